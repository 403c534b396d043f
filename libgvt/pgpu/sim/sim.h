// SPDX-License-Identifier: MIT
/*
 * pgpu/sim: a software Gen9 GPU. This stage models what a mediator needs
 * before any work runs: the register file and its power-on state, the GGTT
 * and memory access through it, and the scratch page.
 */
#ifndef GVT_SIM_H
#define GVT_SIM_H

#include <stdint.h>

struct gvt_platform_desc;

/* The sim's physical address width: host virtual addresses are its bus
 * addresses, and x86-64 user addresses need 47 bits, beyond gen9's 39. */
#define SIM_PTE_ADDR_MASK 0x0000fffffffff000ull

/* A register that is not zero at power-on. */
struct sim_reg_value {
	uint32_t offset;
	uint32_t value;
};

/* Fill @regs (GVT_MMIO_SIZE bytes, zeroed) with @platform's power-on state. */
void sim_power_on_state(const struct gvt_platform_desc *platform, uint32_t *regs);

/*
 * Translate PPGTT address @gma as the GPU does, from the PDP registers'
 * values (@levels 4: pdp[0] is the PML4's bus address; 3: four PDs).
 * Return: 0 with *@bus the byte's bus address, -EFAULT where an entry on
 * the way is not present, -EINVAL for a bad @levels.
 */
int sim_ppgtt_translate(const uint64_t pdp[4], unsigned int levels,
			uint64_t gma, uint64_t *bus);

/* The engine timestamp frequency: gen9's 24 MHz crystal divided by 2. */
#define SIM_TIMESTAMP_HZ 12000000ull

#endif /* GVT_SIM_H */
