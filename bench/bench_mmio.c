// SPDX-License-Identifier: MIT
/*
 * gvt-bench mmio: nanoseconds per emulated MMIO access.
 *
 * The pattern is what a running guest does most: 80% of accesses go to a
 * hot set (ring head/tail, interrupt IIR/IMR/IER and master, ELSP, fences,
 * CSB pointers, forcewake), 20% are spread over every register the table
 * tracks; half are reads, half writes, with values a driver would write.
 * Accesses are timed in batches (a clock read costs more than an access),
 * so p50/p99 are over batch means.
 *
 * Baselines, same pattern, same run: a flat array load/store (the floor for
 * "find the register, touch its storage"), and a model of GVT-g's dispatch
 * (chained hash of 2^11 buckets, then a handler call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "bench.h"
#include "mock_hv.h"
#include "private.h"
#include "reg.h"

#define BATCH 256

struct access {
	uint32_t offset;
	uint32_t value;
	uint32_t write;
};

static int must(int ret, const char *what)
{
	if (ret)
		fprintf(stderr, "gvt-bench mmio: %s failed: %d\n", what, ret);
	return ret;
}

/* The hot set, with the values a driver writes to each. */
struct hot_reg {
	uint32_t offset;
	uint32_t values[2];	/* a write picks one of these */
};

static size_t hot_set(struct gvt_vgpu *vgpu, struct hot_reg *hot)
{
	static const uint32_t bases[] = { RENDER_RING_BASE, BLT_RING_BASE,
					  GEN6_BSD_RING_BASE, VEBOX_RING_BASE };
	uint32_t ap = (uint32_t)vgpu->low_gm.start;
	size_t n = 0;

	for (unsigned int e = 0; e < 4; e++) {
		hot[n++] = (struct hot_reg){ bases[e] + RING_TAIL, { 0x1000, 0x2040 } };
		hot[n++] = (struct hot_reg){ bases[e] + RING_HEAD, { 0x1000, 0x2040 } };
		hot[n++] = (struct hot_reg){ bases[e] + RING_CSB_PTR, { 0x07000300, 0x07000500 } };
		hot[n++] = (struct hot_reg){ bases[e] + RING_EXECLIST_STATUS_LO, { 0, 0 } };
		hot[n++] = (struct hot_reg){ bases[e] + RING_ELSP, { 0x20, 0x00801119 } };
		hot[n++] = (struct hot_reg){ GEN8_GT_ISR(e) + IRQ_BANK_IIR, { 0xffffffff, 0x1 } };
		hot[n++] = (struct hot_reg){ GEN8_GT_ISR(e) + IRQ_BANK_IMR, { 0xfefefefe, 0xffffffff } };
		hot[n++] = (struct hot_reg){ GEN8_GT_ISR(e) + IRQ_BANK_IER, { 0x01010101, 0x01010101 } };
		hot[n++] = (struct hot_reg){ FENCE_REG_GEN6_LO(e), { ap + e * 0x10000, (ap + e * 0x10000) | 1 } };
		hot[n++] = (struct hot_reg){ FENCE_REG_GEN6_HI(e), { ap + e * 0x10000 + 0xf000, ap + e * 0x10000 + 0xf000 } };
	}
	hot[n++] = (struct hot_reg){ GEN8_MASTER_IRQ, { 0, GEN8_MASTER_IRQ_CONTROL } };
	hot[n++] = (struct hot_reg){ FORCEWAKE_RENDER_GEN9, { 0x00010001, 0x00010000 } };
	hot[n++] = (struct hot_reg){ FORCEWAKE_ACK_RENDER_GEN9, { 0, 0 } };
	hot[n++] = (struct hot_reg){ FORCEWAKE_BLITTER_GEN9, { 0x00010001, 0x00010000 } };
	return n;
}

/* Registers for the spread part: every tracked row but PVINFO, whose
 * reserved fields would (rightly) stop the vGPU. */
static size_t spread_set(struct gvt_ctx *ctx, uint32_t *offsets, size_t max)
{
	size_t n = 0;

	for (unsigned int i = 1; i < ctx->mmio.num_info && n < max; i++) {
		const struct gvt_mmio_info *info = &ctx->mmio.info[i];

		if (info->offset >= VGT_PVINFO_PAGE &&
		    info->offset < VGT_PVINFO_PAGE + VGT_PVINFO_SIZE)
			continue;
		offsets[n++] = info->offset;
	}
	return n;
}

static struct access *make_pattern(struct gvt_vgpu *vgpu, uint64_t ops,
				   uint64_t seed)
{
	struct access *p = malloc(ops * sizeof(*p));
	struct hot_reg hot[64];
	uint32_t *spread = malloc(4096 * sizeof(*spread));
	size_t nhot = hot_set(vgpu, hot);
	size_t nspread;

	if (!p || !spread) {
		free(p);
		free(spread);
		return NULL;
	}
	nspread = spread_set(vgpu->ctx, spread, 4096);
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t r = bench_rand(&seed);
		bool write = r & 1;

		if ((r >> 8) % 10 < 8) {
			const struct hot_reg *h = &hot[(r >> 16) % nhot];

			p[i] = (struct access){ h->offset, h->values[(r >> 40) & 1], write };
		} else {
			uint32_t off = spread[(r >> 16) % nspread];
			uint32_t cur = 0;

			/* Spread writes put back what is there, as a driver's
			 * read-modify-write without a change would. */
			if (write && gvt_vgpu_mmio_read(vgpu, off, &cur, 4))
				cur = 0;
			p[i] = (struct access){ off, cur, write };
		}
	}
	free(spread);
	return p;
}

static uint64_t sink;

static int cfg_write(struct gvt_vgpu *vgpu, uint32_t off, uint32_t v,
		     uint32_t len)
{
	return gvt_vgpu_cfg_write(vgpu, off, &v, len);
}

static void time_libgvt(struct gvt_vgpu *vgpu, const struct access *p,
			uint64_t ops, double *samples)
{
	for (uint64_t b = 0; b < ops / BATCH; b++) {
		const struct access *a = &p[b * BATCH];
		uint64_t t0 = bench_now_ns();

		for (unsigned int i = 0; i < BATCH; i++) {
			uint32_t v = a[i].value;

			int err = a[i].write ?
					  gvt_vgpu_mmio_write(vgpu, a[i].offset, &v, 4) :
					  gvt_vgpu_mmio_read(vgpu, a[i].offset, &v, 4);

			sink += v + (uint32_t)err;
		}
		samples[b] = (double)(bench_now_ns() - t0) / BATCH;
	}
}

static void time_flat_array(uint32_t *regs, const struct access *p,
			    uint64_t ops, double *samples)
{
	for (uint64_t b = 0; b < ops / BATCH; b++) {
		const struct access *a = &p[b * BATCH];
		uint64_t t0 = bench_now_ns();

		for (unsigned int i = 0; i < BATCH; i++) {
			if (a[i].write)
				regs[a[i].offset >> 2] = a[i].value;
			else
				sink += regs[a[i].offset >> 2];
		}
		samples[b] = (double)(bench_now_ns() - t0) / BATCH;
	}
}

/*
 * A model of GVT-g's dispatch: large ranges (PVINFO, MCHBAR, palettes,
 * DMC) are "blocks" checked first by range; every other tracked dword has
 * one entry in 2^11 chained buckets, found by offset, then a call through
 * the entry's handler (a plain, masked or read-only default).
 */
#define BLOCK_MIN_SIZE 1024	/* GVT-g's rule for what is a block */
#define HASH_BITS 11
struct hash_entry {
	uint32_t offset;
	uint32_t kind;
	struct hash_entry *next;
};

typedef void model_fn(uint32_t *regs, uint32_t offset, uint32_t *v, int write);

static void model_plain(uint32_t *regs, uint32_t off, uint32_t *v, int write)
{
	if (write)
		regs[off >> 2] = *v;
	else
		*v = regs[off >> 2];
}

static void model_masked(uint32_t *regs, uint32_t off, uint32_t *v, int write)
{
	uint32_t m = *v >> 16;

	if (write)
		regs[off >> 2] = (regs[off >> 2] & ~m) | (*v & m);
	else
		*v = regs[off >> 2];
}

static void model_ro(uint32_t *regs, uint32_t off, uint32_t *v, int write)
{
	if (!write)
		*v = regs[off >> 2];
}

static model_fn *const model_fns[] = { model_plain, model_masked, model_ro };

static uint32_t hash_of(uint32_t off)
{
	return (off * 0x9e3779b1u) >> (32 - HASH_BITS);
}

static void time_gvt_model(struct gvt_ctx *ctx, uint32_t *regs,
			   const struct access *p, uint64_t ops,
			   double *samples)
{
	struct hash_entry **bucket = calloc(1u << HASH_BITS, sizeof(*bucket));
	struct hash_entry *pool = calloc(ctx->mmio.tracked_dwords, sizeof(*pool));
	struct { uint32_t start, end; } blocks[16];
	unsigned int nblocks = 0;
	size_t used = 0;

	if (!bucket || !pool)
		goto out;
	for (unsigned int i = 1; i < ctx->mmio.num_info && nblocks < 16; i++) {
		const struct gvt_mmio_info *info = &ctx->mmio.info[i];

		if (info->reg->size >= BLOCK_MIN_SIZE) {
			blocks[nblocks].start = info->offset;
			blocks[nblocks++].end = info->offset + info->reg->size;
		}
	}
	for (uint32_t off = 0; off < GVT_MMIO_SIZE; off += 4) {
		struct gvt_mmio_attr a = ctx->mmio.attr[off >> 2];
		struct hash_entry *e;

		if (!(a.flags & F_TRACKED) ||
		    ctx->mmio.info[a.info].reg->size >= BLOCK_MIN_SIZE)
			continue;
		e = &pool[used++];
		e->offset = off;
		e->kind = (a.flags & F_MODE_MASK) ? 1 : (a.flags & F_RO) ? 2 : 0;
		e->next = bucket[hash_of(off)];
		bucket[hash_of(off)] = e;
	}
	for (uint64_t b = 0; b < ops / BATCH; b++) {
		const struct access *a = &p[b * BATCH];
		uint64_t t0 = bench_now_ns();

		for (unsigned int i = 0; i < BATCH; i++) {
			struct hash_entry *e = NULL;
			uint32_t v = a[i].value;
			unsigned int k;

			for (k = 0; k < nblocks; k++)
				if (a[i].offset - blocks[k].start < blocks[k].end - blocks[k].start)
					break;
			if (k == nblocks) {
				e = bucket[hash_of(a[i].offset)];
				while (e && e->offset != a[i].offset)
					e = e->next;
			}
			model_fns[e ? e->kind : 0](regs, a[i].offset, &v, (int)a[i].write);
			sink += v;
		}
		samples[b] = (double)(bench_now_ns() - t0) / BATCH;
	}
out:
	free(bucket);
	free(pool);
}

int bench_mmio(const struct bench_opts *opts)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
	};
	uint64_t ops = opts->ops / BATCH * BATCH;
	uint64_t nb = ops / BATCH;
	struct gvt_ctx *ctx = NULL;
	struct gvt_vgpu *vgpu = NULL;
	struct mock_hv *hv = NULL;
	struct access *pattern = NULL;
	uint32_t *flat = calloc(GVT_MMIO_SIZE / 4, sizeof(uint32_t));
	uint32_t *model_regs = calloc(GVT_MMIO_SIZE / 4, sizeof(uint32_t));
	double *lib = calloc(3 * nb, sizeof(double));
	double *base = calloc(3 * nb, sizeof(double));
	double *model = calloc(3 * nb, sizeof(double));
	uint32_t v;
	int ret = -1;

	if (!ops || !flat || !model_regs || !lib || !base || !model)
		goto out;
	if (must(gvt_ctx_create(&params, &ctx), "gvt_ctx_create") ||
	    must(mock_hv_create(64u << 20, &hv), "mock_hv_create") ||
	    must(gvt_vgpu_create(ctx, "GVTg_V5_4", &mock_hv_ops, hv, &vgpu), "gvt_vgpu_create"))
		goto out;

	/* A GVT-aware guest with execlists and MSI on: the state a running
	 * driver leaves. */
	if (must(gvt_vgpu_mmio_read(vgpu, VGT_PVINFO_PAGE, &v, 4), "PVINFO read") ||
	    must(cfg_write(vgpu, 0xb0, 0xfee00000, 4), "MSI address") ||
	    must(cfg_write(vgpu, 0x04, 0x0006, 2), "PCI command") ||
	    must(cfg_write(vgpu, 0xae, 1, 2), "MSI enable"))
		goto out;
	for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++) {
		v = (GFX_RUN_LIST_ENABLE << 16) | GFX_RUN_LIST_ENABLE;
		if (must(gvt_vgpu_mmio_write(vgpu, ctx->platform->engines[e].mmio_base + RING_MODE_GEN7, &v, 4),
			 "RING_MODE"))
			goto out;
	}

	pattern = make_pattern(vgpu, ops, opts->seed);
	if (!pattern)
		goto out;
	memcpy(flat, vgpu->vreg, GVT_MMIO_SIZE);
	memcpy(model_regs, vgpu->vreg, GVT_MMIO_SIZE);

	/* Warm caches and predictors once, then interleave three rounds so a
	 * noisy neighbour hits all three measurements alike. */
	time_libgvt(vgpu, pattern, ops, lib);
	for (int round = 0; round < 3; round++) {
		time_libgvt(vgpu, pattern, ops, lib + round * nb);
		time_flat_array(flat, pattern, ops, base + round * nb);
		time_gvt_model(ctx, model_regs, pattern, ops, model + round * nb);
	}
	if (vgpu->failsafe) {
		fprintf(stderr, "gvt-bench mmio: the pattern put the vGPU in failsafe: %s\n",
			vgpu->failsafe_reason);
		goto out;
	}

	double base_p50 = bench_quantile(base, 3 * nb, 0.50);
	double base_p99 = bench_quantile(base, 3 * nb, 0.99);
	double lib_p50 = bench_quantile(lib, 3 * nb, 0.50);
	double lib_p99 = bench_quantile(lib, 3 * nb, 0.99);
	double model_p50 = bench_quantile(model, 3 * nb, 0.50);
	double model_p99 = bench_quantile(model, 3 * nb, 0.99);

	bench_report("mmio", "mmio_access_ns_p50", lib_p50, "ns",
		     "flat_array_access_ns_p50", base_p50, "target <= 15 ns");
	bench_report("mmio", "mmio_access_ns_p99", lib_p99, "ns",
		     "flat_array_access_ns_p99", base_p99, NULL);
	bench_report("mmio", "gvt_hash_model_ns_p50", model_p50, "ns",
		     "flat_array_access_ns_p50", base_p50,
		     "model of GVT-g dispatch: block ranges, then a 2^11-bucket chained hash, then a handler call");
	bench_report("mmio", "gvt_hash_model_ns_p99", model_p99, "ns",
		     "flat_array_access_ns_p99", base_p99, NULL);
	bench_report("mmio", "mmio_vs_gvt_hash_model_p50", lib_p50 / model_p50,
		     "ratio", "gvt_hash_model_ns_p50", model_p50, NULL);
	ret = 0;
out:
	gvt_vgpu_destroy(vgpu);
	gvt_ctx_destroy(ctx);
	mock_hv_destroy(hv);
	free(pattern);
	free(flat);
	free(model_regs);
	free(lib);
	free(base);
	free(model);
	if (sink == 42)
		fprintf(stderr, " ");
	return ret;
}
