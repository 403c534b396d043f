// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a hostile guest's MMIO sequence. The input is a stream of
 * guest actions (config, BAR0 registers and GGTT, BAR2, BAR4, write-
 * protected page writes, device resets) against one vGPU, while a second
 * vGPU on the same GPU stands by. After every input:
 *   - nothing crashed and every call returned 0 or -EINVAL;
 *   - the bystander's registers, GGTT slices, fences and memory are
 *     exactly as before;
 *   - the host's part of the GGTT still points at the scratch page;
 *   - the attacker's vGPU releases every mapping it made when destroyed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_hv.h"
#include "private.h"
#include "reg.h"

#define RAM (2u << 20)

static struct gvt_ctx *ctx;
static struct gvt_vgpu *bystander;
static struct mock_hv *bystander_hv;
static uint32_t *bystander_vreg;
static uint8_t *bystander_ram;

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_mmio: invariant broken: %s\n", what);
	abort();
}

static void setup(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 512,
		.log_fn = quiet,
	};
	uint32_t idx;
	uint64_t pte;

	if (gvt_ctx_create(&p, &ctx) || mock_hv_create(RAM, &bystander_hv) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_8", &mock_hv_ops, bystander_hv, &bystander))
		fail("setup");
	/* The bystander has live mappings and data worth stealing. */
	idx = (uint32_t)(bystander->low_gm.start >> 12);
	for (uint32_t i = 0; i < 16; i++) {
		pte = (uint64_t)(i + 1) << 12 | 1;
		if (gvt_vgpu_mmio_write(bystander, GVT_GGTT_MMIO_OFFSET + (idx + i) * 8ull, &pte, 8))
			fail("bystander setup");
	}
	memset(bystander_hv->ram, 0x5a, RAM);
	bystander_vreg = malloc(GVT_MMIO_SIZE);
	bystander_ram = malloc(RAM);
	if (!bystander_vreg || !bystander_ram)
		fail("setup memory");
	memcpy(bystander_vreg, bystander->vreg, GVT_MMIO_SIZE);
	memcpy(bystander_ram, bystander_hv->ram, RAM);
}

/* A cursor over the input. */
struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* An offset the guest would plausibly aim at: a tracked register, the
 * GGTT (own slice, the bystander's, the host's) or anything at all. */
static uint64_t pick_bar0_offset(struct gvt_vgpu *vgpu, struct input *in)
{
	unsigned int how = (unsigned int)take(in, 1) % 6;
	uint64_t r = take(in, 4);
	const struct gvt_mmio_table *t = &ctx->mmio;

	switch (how) {
	case 0:
	case 1: {
		const struct gvt_mmio_info *info = &t->info[1 + r % (t->num_info - 1)];

		return info->offset + ((r >> 16) % info->reg->size & ~3u);
	}
	case 2:
		return GVT_GGTT_MMIO_OFFSET + ((vgpu->low_gm.start >> 12) + r % 0x4000) * 8;
	case 3:
		return GVT_GGTT_MMIO_OFFSET + ((bystander->low_gm.start >> 12) + r % 0x4000) * 8;
	case 4:
		return GVT_GGTT_MMIO_OFFSET + (r % (1u << 20)) * 8 + (r >> 28);
	default:
		return r % (GVT_BAR0_SIZE + 16);
	}
}

static unsigned int pick_len(struct input *in)
{
	static const unsigned int lens[] = { 4, 4, 4, 8, 1, 2, 3, 0, 16 };

	return lens[take(in, 1) % (sizeof(lens) / sizeof(lens[0]))];
}

static void check_ret(int ret)
{
	if (ret != 0 && ret != -EINVAL && ret != -EFAULT)
		fail("unexpected return value");
}

static void run(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu;
	uint8_t buf[16];

	if (mock_hv_create(RAM, &hv) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_4", size % 7 == 3 ? &mock_hv_ops_no_track : &mock_hv_ops, hv, &vgpu))
		fail("create");
	while (in.left) {
		unsigned int op = (unsigned int)take(&in, 1) % 10;
		unsigned int len = pick_len(&in);
		uint64_t off;
		uint64_t val = take(&in, 8);

		memcpy(buf, &val, 8);
		memcpy(buf + 8, &val, 8);
		switch (op) {
		case 0:
			check_ret(gvt_vgpu_cfg_read(vgpu, (uint32_t)take(&in, 2) % 300, buf, len));
			break;
		case 1:
			check_ret(gvt_vgpu_cfg_write(vgpu, (uint32_t)take(&in, 2) % 300, buf, len));
			break;
		case 2:
			off = pick_bar0_offset(vgpu, &in);
			check_ret(gvt_vgpu_mmio_read(vgpu, off, buf, len));
			break;
		case 3:
		case 4:
			off = pick_bar0_offset(vgpu, &in);
			check_ret(gvt_vgpu_mmio_write(vgpu, off, buf, len));
			break;
		case 5:
			check_ret(gvt_vgpu_aperture_read(vgpu, take(&in, 4) % (ctx->aperture_size + 8), buf, len));
			break;
		case 6:
			check_ret(gvt_vgpu_aperture_write(vgpu, take(&in, 4) % (ctx->aperture_size + 8), buf, len));
			break;
		case 7:
			off = take(&in, 1);
			if (off & 1)
				check_ret(gvt_vgpu_io_write(vgpu, (uint32_t)(off >> 1) % 70, buf, len));
			else
				check_ret(gvt_vgpu_io_read(vgpu, (uint32_t)(off >> 1) % 70, buf, len));
			break;
		case 8:
			check_ret(gvt_vgpu_page_write(vgpu, take(&in, 4) % (RAM + 8192), buf, len));
			break;
		default:
			if (take(&in, 1) == 0x42 && gvt_vgpu_reset(vgpu))
				fail("reset");
			break;
		}
	}
	gvt_vgpu_destroy(vgpu);
	if (hv->maps_live || hv->bad_unmaps)
		fail("the attacker's mappings were not all released");
	mock_hv_destroy(hv);

	if (memcmp(bystander_vreg, bystander->vreg, GVT_MMIO_SIZE))
		fail("bystander's registers changed");
	if (memcmp(bystander_ram, bystander_hv->ram, RAM))
		fail("bystander's memory changed");
	for (uint32_t i = 0; i < 16; i++) {
		uint32_t idx = (uint32_t)(bystander->low_gm.start >> 12) + i;

		if (ctx->pgpu_ops->ggtt_read(ctx->pgpu, idx) !=
		    (mock_hv_bus_addr(bystander_hv, i + 1) | 1))
			fail("bystander's GGTT entries changed");
	}
	for (uint32_t f = 0; f < 32; f++) {
		bool theirs = false;

		for (uint32_t i = 0; i < bystander->fence_count; i++)
			theirs |= bystander->fence_index[i] == f;
		if (ctx->pgpu_ops->mmio_read(ctx->pgpu, FENCE_REG_GEN6_LO(f)) & 1)
			fail(theirs ? "bystander's fence changed" : "a released fence stayed valid");
	}
	for (uint32_t idx = 0; idx < (128u << 20) >> 12; idx += 97)
		if (ctx->pgpu_ops->ggtt_read(ctx->pgpu, idx) != (ctx->scratch_addr | 1))
			fail("host GGTT entry changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx)
		setup();
	run(data, size);
	return 0;
}
