// SPDX-License-Identifier: MIT
#include "guest_gen9.h"

const uint32_t guest_eng_base[GUEST_ENGINES] = {
	0x2000, 0x22000, 0x12000, 0x1a000,
};

const uint32_t guest_gdrst_bit[GUEST_ENGINES] = {
	1u << 1, 1u << 3, 1u << 2, 1u << 4,
};

void guest_ctx_fill(uint32_t *regs, uint32_t base, uint32_t ring_gm,
		    unsigned int ring_pages, const uint64_t pdp[4])
{
	regs[CTX_CONTROL] = base + R_CONTEXT_CONTROL;
	regs[CTX_CONTROL + 1] = 0x00090009;	/* inhibit syn switch, restore */
	regs[CTX_HEAD] = base + R_HEAD;
	regs[CTX_HEAD + 1] = 0;
	regs[CTX_TAIL] = base + R_TAIL;
	regs[CTX_TAIL + 1] = 0;
	regs[CTX_START] = base + R_START;
	regs[CTX_START + 1] = ring_gm;
	regs[CTX_CTL] = base + R_CTL;
	regs[CTX_CTL + 1] = ((ring_pages - 1) << 12) | 1;
	regs[CTX_BB_STATE] = base + R_BB_STATE;
	regs[CTX_BB_STATE + 1] = 0x20;
	for (unsigned int n = 0; n < 4; n++) {
		unsigned int slot = CTX_PDP3_UDW + 4 * (3 - n);

		regs[slot] = base + R_PDP_UDW(n);
		regs[slot + 1] = (uint32_t)(pdp[n] >> 32);
		regs[slot + 2] = base + R_PDP_LDW(n);
		regs[slot + 3] = (uint32_t)pdp[n];
	}
}
