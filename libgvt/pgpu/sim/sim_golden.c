// SPDX-License-Identifier: MIT
/*
 * The sim GPU's power-on register state: what a Skylake GT2 reads before a
 * driver touches it (or as firmware leaves it), wherever that is not zero.
 * Every vGPU's registers start from this image.
 *
 * Sources: i915 (how a driver decodes each value), GVT-g (what a vGPU must
 * show), Intel's 6th/7th-gen datasheets and public lspci dumps of HD 530.
 * Values marked "chosen" have no public source for the real part; they are
 * consistent values a driver accepts.
 */
#include <string.h>

#include "../../platform.h"
#include "../../reg.h"
#include "sim.h"

static const struct sim_reg_value skl_gt2_power_on[] = {
	/* 1 slice (bits 27:25), subslice 3 fused off (bits 23:20): 3x8 EUs */
	{ 0x9120, 0x02800000 },		/* GEN8_FUSE2 */
	/* Timestamps from the crystal, shift 2: 24 MHz >> 1 = 12 MHz */
	{ 0xa26c, 0x00000004 },		/* CTC_MODE */
	/* Fuses downloaded, power gates 0-2 distributed */
	{ 0x42000, 0x8e000000 },	/* SKL_FUSE_STATUS */
	/* CDCLK 337.5 MHz from DPLL0 at VCO 8100 (chosen: i915's minimum) */
	{ 0x46000, 0x080002a1 },	/* CDCLK_CTL */
	{ 0x46010, LCPLL_PLL_ENABLE | LCPLL_PLL_LOCK },	/* LCPLL1_CTL */
	{ 0x6c058, 0x00000007 },	/* DPLL_CTRL1: DPLL0 override, 1620 */
	/* No port lit: every DDI clock gated (DDI_CLK_OFF for ports A-E) */
	{ 0x6c05c, 0x000f8000 },	/* DPLL_CTRL2 */
	/* GuC microcontroller held in reset: no GuC firmware is loaded */
	{ GUC_STATUS, GS_MIA_IN_RESET },
	{ 0xc6204, 24 },		/* PCH_RAWCLK_FREQ: 24 MHz */
	/* Two DDR4 channels, each one 8 GB dual-rank x8 DIMM (chosen) */
	{ 0x145000, 0x00000000 },	/* MAD_INTER_CHANNEL: DDR4 */
	{ 0x14500c, 0x00000408 },	/* MAD_DIMM_CH0: L 8 GB, x8, 2 ranks */
	{ 0x145010, 0x00000408 },	/* MAD_DIMM_CH1 */
	/* RP0 1150 MHz, RPn 350 MHz (HD 530), RP1 700 MHz (chosen); 50 MHz units */
	{ 0x145998, 0x00070e17 },	/* GEN6_RP_STATE_CAP */
	{ 0x138148, 0x00000017 },	/* GEN9_RP_STATE_LIMITS */
	/* PCH DP status registers as GVT-g reports them */
	{ 0xe651c, 1u << 17 },
	{ 0xe661c, 1u << 17 },
	{ 0xe671c, 1u << 17 },
	{ 0xe681c, 1u << 17 },
	{ 0xe6c04, 0x3 },
	{ 0xe6e1c, 0x2fu << 16 },
	/* Every interrupt source starts masked */
	{ GEN8_GT_ISR(0) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_GT_ISR(1) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_GT_ISR(2) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_GT_ISR(3) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_DE_PIPE_ISR(0) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_DE_PIPE_ISR(1) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_DE_PIPE_ISR(2) + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_DE_PORT_ISR + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_DE_MISC_ISR + IRQ_BANK_IMR, 0xffffffff },
	{ GEN8_PCU_ISR + IRQ_BANK_IMR, 0xffffffff },
	{ SDEISR + IRQ_BANK_IMR, 0xffffffff },
};

/* Per engine: interrupts masked, status-page writes masked, and the
 * context-status write pointer at 7 ("nothing written yet": the first
 * event lands in entry 0). */
static const struct sim_reg_value engine_power_on[] = {
	{ RING_HWSTAM, 0xffffffff },
	{ RING_IMR, 0xffffffff },
	{ RING_CSB_PTR, 0x00000007 },
};

void sim_power_on_state(const struct gvt_platform_desc *platform, uint32_t *regs)
{
	for (size_t i = 0; i < sizeof(skl_gt2_power_on) / sizeof(skl_gt2_power_on[0]); i++)
		regs[skl_gt2_power_on[i].offset >> 2] = skl_gt2_power_on[i].value;
	for (unsigned int e = 0; e < platform->num_engines; e++)
		for (size_t i = 0; i < sizeof(engine_power_on) / sizeof(engine_power_on[0]); i++)
			regs[(platform->engines[e].mmio_base +
			      engine_power_on[i].offset) >> 2] =
				engine_power_on[i].value;
}
