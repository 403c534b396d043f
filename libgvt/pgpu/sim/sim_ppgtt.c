// SPDX-License-Identifier: MIT
/*
 * The sim GPU's PPGTT walk: what its engines translate a PPGTT address
 * with. It reads the tables libgvt's shadow built, through their bus
 * addresses (host addresses, for the sim), exactly as gen9 hardware reads
 * them: 4 levels from a PML4 or 3 from four PDP registers, 1 GiB pages in
 * a PDPE, 2 MiB pages in a PDE, and 64 KiB pages in a table its PDE marks
 * with IPS (every 16th entry maps one).
 */
#include <errno.h>

#include "../../ppgtt.h"
#include "sim.h"

static int sim_entry(uint64_t table, unsigned int index, uint64_t *entry)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)(table & SIM_PTE_ADDR_MASK);

	*entry = t[index];
	return *entry & GVT_PPGTT_PRESENT ? 0 : -EFAULT;
}

static uint64_t page_of(uint64_t entry, uint64_t gma, uint64_t size)
{
	return (entry & SIM_PTE_ADDR_MASK & ~(size - 1)) | (gma & (size - 1));
}

int sim_ppgtt_translate(const uint64_t pdp[4], unsigned int levels,
			uint64_t gma, uint64_t *bus)
{
	uint64_t e;

	if (levels == 4) {
		if (gma >> 48 || sim_entry(pdp[0], (gma >> 39) & 511, &e) ||
		    sim_entry(e, (gma >> 30) & 511, &e))
			return -EFAULT;
	} else if (levels == 3) {
		if (gma >> 32 || !(pdp[(gma >> 30) & 3] & SIM_PTE_ADDR_MASK))
			return -EFAULT;
		e = pdp[(gma >> 30) & 3] | GVT_PPGTT_PRESENT;
	} else {
		return -EINVAL;
	}
	if (levels == 4 && (e & GVT_PPGTT_PS)) {
		*bus = page_of(e, gma, 1ull << 30);
		return 0;
	}
	if (sim_entry(e, (gma >> 21) & 511, &e))
		return -EFAULT;
	if (e & GVT_PPGTT_PS) {
		*bus = page_of(e, gma, 2ull << 20);
		return 0;
	}
	if (e & GVT_PPGTT_IPS) {
		if (sim_entry(e, ((gma >> 12) & 511) & ~15u, &e))
			return -EFAULT;
		*bus = page_of(e, gma, 64ull << 10);
		return 0;
	}
	if (sim_entry(e, (gma >> 12) & 511, &e))
		return -EFAULT;
	*bus = page_of(e, gma, 4096);
	return 0;
}
