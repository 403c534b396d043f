// SPDX-License-Identifier: MIT
/*
 * Everything that differs between GPU models, in one description per
 * platform, so that Kaby Lake is a new description and not new code.
 */
#ifndef GVT_PLATFORM_H
#define GVT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include <gvt/gvt.h>

#include "regs.h"

enum gvt_engine_id {
	GVT_RCS = 0,	/* render */
	GVT_BCS,	/* blitter */
	GVT_VCS,	/* video decode/encode */
	GVT_VECS,	/* video enhancement */
	GVT_NUM_ENGINES
};

struct gvt_engine_desc {
	const char *name;	/* "rcs" ... */
	uint32_t mmio_base;	/* first register of the engine */
	uint8_t irq_bank;	/* GT interrupt bank (0..3) */
	uint8_t irq_shift;	/* bit of the engine's first event in that bank */
	uint32_t gdrst_bit;	/* GEN6_GDRST domain bit that resets it */
};

struct gvt_type_desc {
	const char *name;	/* "GVTg_V5_8" */
	uint32_t low_gm_mib;	/* aperture */
	uint32_t high_gm_mib;	/* hidden */
	uint32_t fences;
	uint32_t weight;
	uint32_t resolution_x;	/* virtual monitor's preferred mode */
	uint32_t resolution_y;
};

struct gvt_platform_desc {
	const char *name;		/* "Skylake GT2" */
	const char *trace_name;		/* "skl": its name in traces and gvtctl */
	enum gvt_platform id;
	uint16_t platform_mask;		/* D_* bit rows must carry to apply */

	/* PCI identity of the vGPU */
	uint16_t vendor_id;
	uint16_t device_id;
	uint8_t revision;
	uint32_t class_code;		/* 24 bits: class, subclass, prog-if */
	uint16_t subsystem_vendor_id;
	uint16_t subsystem_id;

	/* Graphics memory and fences */
	uint64_t ggtt_size;		/* bytes of GM the GGTT maps */
	uint32_t num_fences;
	uint32_t host_low_gm_mib;	/* kept for the host at the bottom of each region */
	uint32_t host_high_gm_mib;
	uint32_t host_fences;
	uint32_t max_vgpus;

	const struct gvt_engine_desc *engines;	/* indexed by enum gvt_engine_id */
	unsigned int num_engines;

	const struct gvt_type_desc *types;	/* largest first */
	unsigned int num_types;

	const struct gvt_reg_table *reg_tables;
	size_t num_reg_tables;

	/* PCI device IDs of real GPUs this description covers */
	const uint16_t *host_device_ids;
	unsigned int num_host_device_ids;
};

const struct gvt_platform_desc *gvt_platform_find(enum gvt_platform id);
const struct gvt_platform_desc *gvt_platform_find_pci(uint16_t vendor,
						 uint16_t device);

extern const struct gvt_platform_desc gvt_platform_skl;

#endif /* GVT_PLATFORM_H */
