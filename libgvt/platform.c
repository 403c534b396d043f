// SPDX-License-Identifier: MIT
#include "platform.h"
#include "reg.h"

/* Gen9's engines and where their interrupts sit in the GT banks. */
static const struct gvt_engine_desc gen9_engines[GVT_NUM_ENGINES] = {
	[GVT_RCS] = { "rcs", RENDER_RING_BASE, 0, 0, GEN6_GRDOM_RENDER },
	[GVT_BCS] = { "bcs", BLT_RING_BASE, 0, 16, GEN6_GRDOM_BLT },
	[GVT_VCS] = { "vcs", GEN6_BSD_RING_BASE, 1, 0, GEN6_GRDOM_MEDIA },
	[GVT_VECS] = { "vecs", VEBOX_RING_BASE, 3, 0, GEN6_GRDOM_VECS },
};

/*
 * GVT-g's gen9 types: a vGPU of type _n gets 1/n of a 1 GiB-aperture GPU's
 * share. Ordered largest first, as GVT-g lists them. Every type owns at
 * least 4 fences: the register table lets fences 0-3 read without a
 * handler (regs_skl.c).
 */
static const struct gvt_type_desc gen9_types[] = {
	{ "GVTg_V5_1", 512, 2048, 4, 16, 1920, 1200 },
	{ "GVTg_V5_2", 256, 1024, 4, 8, 1920, 1200 },
	{ "GVTg_V5_4", 128, 512, 4, 4, 1920, 1200 },
	{ "GVTg_V5_8", 64, 384, 4, 2, 1024, 768 },
};

/* i915's SKL GT2 PCI IDs: hosts a real Skylake GT2 backend could drive. */
static const uint16_t skl_gt2_device_ids[] = {
	0x1912, 0x1916, 0x191a, 0x191b, 0x191d, 0x191e, 0x1921,
};

const struct gvt_platform_desc gvt_platform_skl = {
	.name = "Skylake GT2",
	.trace_name = "skl",
	.id = GVT_PLATFORM_SKL,
	.platform_mask = D_SKL,
	.vendor_id = 0x8086,
	.device_id = 0x1912,
	.revision = 0x06,
	.class_code = 0x030000,
	.subsystem_vendor_id = 0x8086,
	.subsystem_id = 0x2212,
	.ggtt_size = 4ull << 30,
	.num_fences = 32,
	.host_low_gm_mib = 128,
	.host_high_gm_mib = 384,
	.host_fences = 4,
	.max_vgpus = 7,
	.engines = gen9_engines,
	.num_engines = GVT_NUM_ENGINES,
	.types = gen9_types,
	.num_types = sizeof(gen9_types) / sizeof(gen9_types[0]),
	.reg_tables = gvt_skl_reg_tables,
	.num_reg_tables = GVT_SKL_NUM_REG_TABLES,
	.host_device_ids = skl_gt2_device_ids,
	.num_host_device_ids = sizeof(skl_gt2_device_ids) / sizeof(skl_gt2_device_ids[0]),
};

const struct gvt_platform_desc *gvt_platform_find(enum gvt_platform id)
{
	switch (id) {
	case GVT_PLATFORM_SKL:
		return &gvt_platform_skl;
	}
	return NULL;
}

const struct gvt_platform_desc *gvt_platform_find_pci(uint16_t vendor,
						 uint16_t device)
{
	const struct gvt_platform_desc *p = &gvt_platform_skl;

	if (vendor != p->vendor_id)
		return NULL;
	for (unsigned int i = 0; i < p->num_host_device_ids; i++)
		if (p->host_device_ids[i] == device)
			return p;
	return NULL;
}
