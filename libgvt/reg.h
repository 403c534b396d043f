// SPDX-License-Identifier: MIT
/*
 * Register offsets and fields that the emulation acts on, with i915's names
 * so a reader can cross-check them against i915_reg.h. Offsets of registers
 * that need no handler live only in the register tables.
 */
#ifndef GVT_REG_H
#define GVT_REG_H

#define BIT(n) (1u << (n))

/* Engine registers, relative to the engine's MMIO base. */
#define RING_TAIL		0x30
#define RING_HEAD		0x34
#define RING_START		0x38
#define RING_CTL		0x3c
#define RING_HWS_PGA		0x80
#define RING_HWSTAM		0x98
#define RING_MI_MODE		0x9c
#define RING_IMR		0xa8
#define RING_RESET_CTL		0xd0
#define RING_ELSP		0x230
#define RING_EXECLIST_STATUS_LO	0x234
#define RING_EXECLIST_STATUS_HI	0x238
#define RING_PDP_BASE		0x270	/* 4 x (UDW, LDW) */
#define RING_MODE_GEN7		0x29c
#define RING_CSB_BUF		0x370	/* 6 x 8 bytes */
#define RING_CSB_PTR		0x3a0

#define RING_CTL_VALID		BIT(0)
#define RING_CTL_WAIT		BIT(11)
#define RING_CTL_WAIT_SEMAPHORE	BIT(10)

#define MI_MODE_STOP_RING	BIT(8)
#define MI_MODE_IDLE		BIT(9)

#define RESET_CTL_REQUEST_RESET	BIT(0)
#define RESET_CTL_READY_TO_RESET BIT(1)

#define GFX_RUN_LIST_ENABLE	BIT(15)
#define GFX_PPGTT_ENABLE	BIT(9)

/* Engine bases on gen9. */
#define RENDER_RING_BASE	0x2000
#define BLT_RING_BASE		0x22000
#define GEN6_BSD_RING_BASE	0x12000
#define VEBOX_RING_BASE		0x1a000
#define GEN8_BSD2_RING_BASE	0x1c000

/* Interrupts (gen8+ layout). */
#define GEN8_MASTER_IRQ		0x44200
#define GEN8_MASTER_IRQ_CONTROL	BIT(31)
#define GEN8_GT_ISR(n)		(0x44300 + 0x10 * (n))
#define GEN8_DE_PIPE_ISR(p)	(0x44400 + 0x10 * (p))
#define GEN8_DE_PORT_ISR	0x44440
#define GEN8_DE_MISC_ISR	0x44460
#define GEN8_PCU_ISR		0x444e0
#define SDEISR			0xc4000
/* Within a bank: ISR, IMR, IIR, IER at +0, +4, +8, +0xc. */
#define IRQ_BANK_ISR		0x0
#define IRQ_BANK_IMR		0x4
#define IRQ_BANK_IIR		0x8
#define IRQ_BANK_IER		0xc

/* Forcewake (gen9): masked request registers and their acks. */
#define FORCEWAKE_RENDER_GEN9		0xa278
#define FORCEWAKE_ACK_RENDER_GEN9	0x0d84
#define FORCEWAKE_BLITTER_GEN9		0xa188
#define FORCEWAKE_ACK_BLITTER_GEN9	0x130044
#define FORCEWAKE_MEDIA_GEN9		0xa270
#define FORCEWAKE_ACK_MEDIA_GEN9	0x0d88

/* Reset. */
#define GEN6_GDRST		0x941c
#define GEN6_GRDOM_FULL		BIT(0)
#define GEN6_GRDOM_RENDER	BIT(1)
#define GEN6_GRDOM_MEDIA	BIT(2)
#define GEN6_GRDOM_BLT		BIT(3)
#define GEN6_GRDOM_VECS		BIT(4)

/* Read-only and held in reset from power-on: no GuC firmware runs for a
 * vGPU, which i915 checks after resetting the GuC (GDRST bit 5). */
#define GUC_STATUS		0xc000
#define GS_MIA_IN_RESET		BIT(0)

/* DP AUX channel control: one per port, data registers follow it. */
#define DP_AUX_CH_CTL_A		0x64010
#define DP_AUX_CH_STRIDE	0x100
#define DP_AUX_CH_CTL_SEND_BUSY	BIT(31)
#define DP_AUX_CH_CTL_DONE	BIT(30)
#define DP_AUX_CH_CTL_INTERRUPT	BIT(29)
#define DP_AUX_CH_CTL_TIME_OUT_ERROR BIT(28)
#define DP_AUX_CH_CTL_RECEIVE_ERROR BIT(25)

/* Fences: 32 x 64 bits. */
#define FENCE_REG_GEN6_LO(i)	(0x100000 + 8 * (i))
#define FENCE_REG_GEN6_HI(i)	(0x100004 + 8 * (i))
#define GEN6_FENCE_VALID	BIT(0)
#define GEN6_FENCE_ADDR_MASK	0xfffff000u

/* PCU mailbox. */
#define GEN6_PCODE_MAILBOX	0x138124
#define GEN6_PCODE_DATA		0x138128
#define GEN6_PCODE_DATA1	0x13812c
#define GEN6_PCODE_READY	BIT(31)

/* Display power and clocks. */
#define HSW_PWR_WELL_CTL1	0x45400
#define HSW_PWR_WELL_CTL2	0x45404
#define HSW_PWR_WELL_CTL3	0x45408
#define HSW_PWR_WELL_CTL4	0x4540c
#define DBUF_CTL		0x45008
#define DBUF_POWER_REQUEST	BIT(31)
#define DBUF_POWER_STATE	BIT(30)
#define LCPLL1_CTL		0x46010
#define LCPLL2_CTL		0x46014
#define LCPLL_PLL_ENABLE	BIT(31)
#define LCPLL_PLL_LOCK		BIT(30)

/* GGTT invalidation. */
#define GFX_FLSH_CNTL_GEN6	0x101008

/* The PVINFO page (i915_pvinfo.h). */
#define VGT_PVINFO_PAGE		0x78000
#define VGT_PVINFO_SIZE		0x1000

#endif /* GVT_REG_H */
