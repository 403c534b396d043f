// SPDX-License-Identifier: MIT
/*
 * A gen9 guest driver's view of the GPU, for tests and fuzzers that drive
 * a vGPU as a guest would: PVINFO, interrupts, engine registers, execlist
 * descriptors, the context status buffer, the logical ring context image
 * and the MI commands. Written from the PRM's layout, not from libgvt's
 * headers, so that a libgvt that misreads the hardware fails the tests.
 */
#ifndef GVT_GUEST_GEN9_H
#define GVT_GUEST_GEN9_H

#include <stdint.h>

/* PVINFO */
#define PV_MAGIC		0x78000u
#define PV_AP_BASE		0x78040u
#define PV_AP_SIZE		0x78044u
#define PV_G2V_NOTIFY		0x78818u
#define PV_PDP0_LO		0x78838u
#define PV_PDP0_HI		0x7883cu
#define VGT_MAGIC		0x4776544776544776ull
#define G2V_PPGTT_L4_CREATE	4

/* GGTT entries in BAR0's upper half. */
#define GGTT_BAR		(8ull << 20)

/* Interrupts: master, GT bank 0; context switch is bit 8 of an engine's
 * byte (rcs at 0, bcs at 16; vcs and vecs sit in other banks). */
#define MASTER_IRQ		0x44200u
#define MASTER_IRQ_ENABLE	(1u << 31)
#define GT_IMR0			0x44304u
#define GT_IIR0			0x44308u
#define GT_IER0			0x4430cu
#define GT_CTX_SWITCH(e)	(1u << (8 + 16 * (e)))

/* GPU reset: the whole GT, or engines (guest_gdrst_bit[]). */
#define GDRST			0x941cu
#define GDRST_FULL		(1u << 0)
#define GDRST_ENGINE(e)		(guest_gdrst_bit[e])

/* Engines in gvt_vgpu_get_engine_stats() order: rcs, bcs, vcs, vecs. */
#define GUEST_ENGINES		4
extern const uint32_t guest_eng_base[GUEST_ENGINES];
extern const uint32_t guest_gdrst_bit[GUEST_ENGINES];

/* Engine registers from the engine's base. */
#define R_TAIL			0x030u
#define R_HEAD			0x034u
#define R_START			0x038u
#define R_CTL			0x03cu
#define R_HWS_PGA		0x080u
#define R_SBB_HEAD_L		0x114u
#define R_SBB_STATE		0x118u
#define R_SBB_HEAD_U		0x11cu
#define R_BB_STATE		0x110u
#define R_BB_HEAD_L		0x140u
#define R_BB_HEAD_U		0x168u
#define R_BB_PER_CTX_PTR	0x1c0u
#define R_INDIRECT_CTX		0x1c4u
#define R_INDIRECT_CTX_OFF	0x1c8u
#define R_ELSP			0x230u
#define R_EL_STATUS_LO		0x234u
#define R_EL_STATUS_HI		0x238u
#define R_CONTEXT_CONTROL	0x244u
#define R_PDP_LDW(n)		(0x270u + 8 * (n))
#define R_PDP_UDW(n)		(0x274u + 8 * (n))
#define R_MODE			0x29cu
#define R_CSB			0x370u
#define R_CSB_PTR		0x3a0u
#define R_CTX_TIMESTAMP		0x3a8u
#define R_FORCE_NONPRIV(n)	(0x4d0u + 4 * (n))
#define R_GPR(n)		(0x600u + 8 * (n))
#define R_PWR_CLK_STATE		0x20c8u
#define EL_QUEUE_FULL		(1u << 2)
#define RUN_LIST_ENABLE		(1u << 15)

/* Descriptor, low dword: valid, addressing mode (bits 4:3: 1 legacy
 * 3-level, 3 legacy 4-level), privileged (the PPGTT). */
#define D_VALID			(1u << 0)
#define D_FORCE_RESTORE		(1u << 2)
#define D_3LEVEL		(1u << 3)
#define D_4LEVEL		(3u << 3)
#define D_PRIV			(1u << 8)

/* CSB events. */
#define CSB_I2A			(1u << 0)
#define CSB_PREEMPTED		(1u << 1)
#define CSB_SWITCH		(1u << 2)
#define CSB_A2I			(1u << 3)
#define CSB_COMPLETE		(1u << 4)
#define CSB_LITE		(1u << 15)
#define CSB_N			6
#define HWSP_CSB		0x10
#define HWSP_CSB_WP		0x1f

/* Context image, register-state page (page 1): the register offset of
 * slot X is at X, its value at X + 1. */
#define CTX_CONTROL		0x02
#define CTX_HEAD		0x04
#define CTX_TAIL		0x06
#define CTX_START		0x08
#define CTX_CTL			0x0a
#define CTX_BB_HEAD_U		0x0c
#define CTX_BB_HEAD_L		0x0e
#define CTX_BB_STATE		0x10
#define CTX_SBB_HEAD_U		0x12
#define CTX_SBB_HEAD_L		0x14
#define CTX_SBB_STATE		0x16
#define CTX_BB_PER_CTX_PTR	0x18
#define CTX_INDIRECT_CTX	0x1a
#define CTX_INDIRECT_CTX_OFF	0x1c
#define CTX_TIMESTAMP		0x22
#define CTX_PDP3_UDW		0x24	/* PDPn: UDW at 0x24 + 4 * (3 - n), LDW + 2 */
#define CTX_PWR_CLK_STATE	0x42
#define HEAD_ADDR		0x001ffffcu
#define BB_STATE_PPGTT		(1u << 5)

/* Commands. */
#define MI_NOOP			0x00000000u
#define MI_USER_INTERRUPT	0x01000000u
#define MI_ARB_CHECK		0x02800000u
#define MI_ARB_ON_OFF		0x04000000u
#define MI_BB_END		0x05000000u
#define MI_MATH(n)		(0x0d000000u | ((n) - 1))
#define MI_SEM_WAIT		(0x0e000000u | 1u << 15 | 2)	/* polling */
#define MI_SEM_WAIT_EQ		(MI_SEM_WAIT | 4u << 12)
#define MI_SDI			(0x10000000u | 2)	/* PPGTT, a dword */
#define MI_SDX			(0x10800000u | 1)
#define MI_LRI(n)		(0x11000000u | (2 * (n) - 1))
#define MI_SRM			(0x12000000u | 2)
#define MI_FLUSH_DW		(0x13000000u | 2)
#define MI_LRM			(0x14800000u | 2)
#define MI_LRR			(0x15000000u | 1)
#define MI_COPY_MEM_MEM		(0x17000000u | 3)
#define MI_ATOMIC		(0x17800000u | 1)
#define MI_BB_START		(0x18800000u | 1u << 8 | 1)	/* PPGTT */
#define MI_COND_BB_END		(0x1b000000u | 2)
#define MI_USE_GGTT		(1u << 22)
#define BB_SECOND_LEVEL		(1u << 22)
#define PIPE_CONTROL		0x7a000004u
#define XY_COLOR_BLT		0x54000005u
#define XY_SRC_COPY_BLT		0x54c00008u
#define ALU(op, a, b)		((uint32_t)(op) << 20 | (a) << 10 | (b))
#define ALU_LOAD		0x080
#define ALU_ADD			0x100
#define ALU_STORE		0x180
#define ALU_R0			0x00
#define ALU_R1			0x01
#define ALU_SRCA		0x20
#define ALU_SRCB		0x21
#define ALU_ACCU		0x31

/*
 * Fill a context image's register-state page (@regs, 1024 dwords) for the
 * engine at @base: a valid ring of @ring_pages at GGTT @ring_gm, head and
 * tail 0, no batch in progress, restore inhibited as i915's first
 * submission has it, and the PPGTT roots @pdp (a PML4 in pdp[0] for a
 * 4-level context, four page directories for a 3-level one).
 */
void guest_ctx_fill(uint32_t *regs, uint32_t base, uint32_t ring_gm,
		    unsigned int ring_pages, const uint64_t pdp[4]);

#endif /* GVT_GUEST_GEN9_H */
