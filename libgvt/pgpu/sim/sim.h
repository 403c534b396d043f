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

/* The engine timestamp frequency: gen9's 24 MHz crystal divided by 2. */
#define SIM_TIMESTAMP_HZ 12000000ull

#endif /* GVT_SIM_H */
