// SPDX-License-Identifier: MIT
/*
 * gvt-bench scan: command-scanner throughput in GB/s on four kinds of
 * stream at 64 KiB, 1 MiB and 16 MiB, each beside memcpy of the same
 * buffer, and the scan with its shadow copy beside the scan alone.
 *
 * The streams are first-level batches of the render (and, for the chained
 * one, any) engine, audited with a real vGPU's rules:
 * - mixed: the mix of the reference toy scanner this figure is compared
 *   with (30% MI_NOOP, 45% 3DSTATE_* of 2-12 dwords, 10% PIPE_CONTROL with
 *   a GGTT post-sync write to audit, 10% MI_LOAD_REGISTER_IMM of 1-8
 *   registers, 5% other), in random order;
 * - noop: 90% of the dwords are MI_NOOP runs (padding), the rest mixed;
 * - lri: MI_LOAD_REGISTER_IMM of 1-8 allowed registers, back to back;
 * - chained: the mixed stream cut into 4 KiB batches, each chaining to the
 *   next with MI_BATCH_BUFFER_START.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cmd_parser.h"
#include "mock_hv.h"
#include "private.h"

#define BATCH_GMA 0x100000000ull	/* PPGTT address of the streams */
#define CHAIN_BYTES 4096u

enum stream_kind { MIXED, NOOP_HEAVY, LRI_HEAVY, CHAINED, NUM_KINDS };
static const char *const kind_name[NUM_KINDS] = { "mixed", "noop", "lri", "chained" };

/* Registers a real driver loads from batches, all of them allowed. */
static const uint32_t lri_regs[] = {
	0x2420, 0x2430, 0x2434, 0x2438, 0x243c, 0x2440, 0x2600, 0x2608,
	0x2610, 0x7034, 0x7000, 0x7004, 0xe194, 0x2580, 0x5280, 0x2400,
};

struct stream {
	uint32_t *dw;
	uint32_t n;		/* dwords written */
	uint32_t cap;		/* dwords */
	uint64_t rng;
	uint64_t ggtt_lo, ggtt_hi;	/* a GGTT range inside the vGPU */
};

static void put(struct stream *s, uint32_t v)
{
	if (s->n < s->cap)
		s->dw[s->n++] = v;
}

static uint32_t pick(struct stream *s, uint32_t n)
{
	return (uint32_t)(bench_rand(&s->rng) % n);
}

static void emit_noops(struct stream *s, uint32_t count)
{
	while (count--)
		put(s, 0);
}

static void emit_3dstate(struct stream *s)
{
	/* 3DSTATE_CONSTANT_VS (11), 3DSTATE_VERTEX_BUFFERS (1 + 4n),
	 * 3DSTATE_BINDING_TABLE_POINTERS_VS (2), 3DSTATE_SF (4),
	 * 3DSTATE_WM_DEPTH_STENCIL (4), 3DSTATE_CLIP (4), 3DSTATE_VF (2):
	 * lengths of 2 to 12 dwords as a driver's state changes have. */
	switch (pick(s, 7)) {
	case 0:
		put(s, 0x78150009);
		for (int i = 0; i < 10; i++)
			put(s, (uint32_t)i);
		break;
	case 1: {
		uint32_t bufs = 1 + pick(s, 2);

		put(s, 0x78080000 | (4 * bufs - 1));
		for (uint32_t i = 0; i < 4 * bufs; i++)
			put(s, i);
		break;
	}
	case 2:
		put(s, 0x78260000);
		put(s, 0x40);
		break;
	case 3:
		put(s, 0x78130002);
		put(s, 0); put(s, 0); put(s, 0);
		break;
	case 4:
		put(s, 0x784e0002);
		put(s, 0); put(s, 0); put(s, 0);
		break;
	case 5:
		put(s, 0x78120002);
		put(s, 0); put(s, 0); put(s, 0);
		break;
	default:
		put(s, 0x780c0000);
		put(s, 0);
		break;
	}
}

static void emit_pipe_control(struct stream *s)
{
	uint64_t addr = s->ggtt_lo + ((uint64_t)pick(s, 4096) << 6);

	put(s, 0x7a000004);
	put(s, (1u << 24) | (1u << 14) | (1u << 20));	/* GGTT, write imm, CS stall */
	put(s, (uint32_t)addr);
	put(s, (uint32_t)(addr >> 32));
	put(s, 1);
	put(s, 0);
}

static void emit_lri(struct stream *s)
{
	uint32_t regs = 1 + pick(s, 8);

	put(s, 0x11000000 | (2 * regs - 1));
	for (uint32_t i = 0; i < regs; i++) {
		put(s, lri_regs[pick(s, sizeof(lri_regs) / sizeof(lri_regs[0]))]);
		put(s, i);
	}
}

static void emit_other(struct stream *s)
{
	switch (pick(s, 3)) {
	case 0:
		put(s, 0x7b000005);	/* 3DPRIMITIVE */
		for (int i = 0; i < 6; i++)
			put(s, 3);
		break;
	case 1:
		put(s, 0x02800000);	/* MI_ARB_CHECK */
		break;
	default:
		put(s, 0x10000002);	/* MI_STORE_DATA_IMM, PPGTT */
		put(s, 0x1000);
		put(s, 0);
		put(s, 7);
		break;
	}
}

static void emit_mixed_command(struct stream *s)
{
	uint32_t r = pick(s, 100);

	if (r < 30)
		emit_noops(s, 1);
	else if (r < 75)
		emit_3dstate(s);
	else if (r < 85)
		emit_pipe_control(s);
	else if (r < 95)
		emit_lri(s);
	else
		emit_other(s);
}

/* Fill a stream of @bytes, ending with MI_BATCH_BUFFER_END. */
static void build(struct stream *s, enum stream_kind kind, uint32_t bytes)
{
	uint32_t end = bytes / 4 - 1;

	s->n = 0;
	s->cap = end;
	if (kind == CHAINED) {
		/* 4 KiB batches, each ending with a start of the next. */
		for (uint32_t seg = 0; seg * (CHAIN_BYTES / 4) < end;
		     seg++) {
			uint32_t seg_end = (seg + 1) * (CHAIN_BYTES / 4) - 3;
			uint64_t next = BATCH_GMA + (uint64_t)(seg + 1) * CHAIN_BYTES;

			if (seg_end + 3 > end)
				break;
			s->cap = seg_end;
			while (s->n < seg_end - 20)
				emit_mixed_command(s);
			emit_noops(s, seg_end - s->n);
			s->cap = end;
			put(s, 0x18800101);	/* MI_BATCH_BUFFER_START, PPGTT */
			put(s, (uint32_t)next);
			put(s, (uint32_t)(next >> 32));
		}
	} else {
		while (s->n + 40 < end) {
			if (kind == MIXED)
				emit_mixed_command(s);
			else if (kind == LRI_HEAVY)
				emit_lri(s);
			else if (pick(s, 10) == 0)
				emit_mixed_command(s);
			else
				emit_noops(s, 32);
		}
	}
	emit_noops(s, end - s->n);
	s->dw[end] = 0x05000000;	/* MI_BATCH_BUFFER_END */
}

struct source {
	const uint8_t *buf;
	size_t len;
};

static const void *source_map(void *opaque, bool ppgtt, uint64_t gma,
			      size_t *avail)
{
	const struct source *src = opaque;

	if (!ppgtt || gma < BATCH_GMA || gma - BATCH_GMA >= src->len)
		return NULL;
	*avail = src->len - (gma - BATCH_GMA);
	return src->buf + (gma - BATCH_GMA);
}

/* What reading guest memory costs at least: a copy. */
static int source_read(void *opaque, bool ppgtt, uint64_t gma, void *dst,
		       size_t len)
{
	const struct source *src = opaque;
	size_t off = gma - BATCH_GMA;

	if (!ppgtt || gma < BATCH_GMA || off >= src->len)
		return -EFAULT;
	if (len > src->len - off) {
		/* Past the stream: the rest of the page reads as zeros. */
		memcpy(dst, src->buf + off, src->len - off);
		memset((uint8_t *)dst + (src->len - off), 0,
		       len - (src->len - off));
		return 0;
	}
	memcpy(dst, src->buf + off, len);
	return 0;
}

static volatile uint32_t sink;

/* GB/s of @fn over @bytes, the median of 5 trials of enough repeats to
 * take ~20 ms each. */
typedef int timed_fn(void *arg);

static double throughput(timed_fn *fn, void *arg, size_t bytes)
{
	double trial[5];
	uint64_t reps = (64ull << 20) / bytes;

	if (reps < 2)
		reps = 2;
	if (fn(arg))	/* warm up, and make sure it works */
		return -1;
	for (int t = 0; t < 5; t++) {
		uint64_t t0 = bench_now_ns();

		for (uint64_t r = 0; r < reps; r++)
			if (fn(arg))
				return -1;
		trial[t] = (double)(bytes * reps) /
			   (double)(bench_now_ns() - t0);
	}
	return bench_quantile(trial, 5, 0.5);
}

struct run {
	struct gvt_cmd_scan scan;
	struct source src;
	uint8_t *copy_dst;
	bool shadowed;
};

static int run_memcpy(void *arg)
{
	struct run *r = arg;

	memcpy(r->copy_dst, r->src.buf, r->src.len);
	sink += r->copy_dst[r->src.len / 2];
	return 0;
}

static int run_scan(void *arg)
{
	struct run *r = arg;
	int ret = gvt_cmd_scan_buffer(&r->scan, true, BATCH_GMA, r->src.len,
				      false);

	if (ret == 1)
		fprintf(stderr, "gvt-bench scan: stream refused: %s %s: %s\n",
			r->scan.verdict.command, r->scan.verdict.rule,
			r->scan.verdict.detail);
	return ret;
}

int bench_scan(const struct bench_opts *opts)
{
	static const uint32_t sizes[] = { 64u << 10, 1u << 20, 16u << 20 };
	static const char *const size_name[] = { "64k", "1m", "16m" };
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL, .backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
	};
	struct gvt_cmd_policy pol;
	struct gvt_cmd_shadow shadow;
	struct gvt_ctx *ctx;
	struct gvt_vgpu *vgpu;
	struct mock_hv *hv;
	struct stream st = { 0 };
	struct run r = { 0 };
	int ret = 1;

	if (gvt_ctx_create(&p, &ctx))
		return 1;
	if (mock_hv_create(1 << 20, &hv) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_4", &mock_hv_ops, hv, &vgpu)) {
		fprintf(stderr, "gvt-bench scan: cannot create a vGPU\n");
		goto out_ctx;
	}
	/* The vGPU's rules, as a submitted workload would be checked. */
	gvt_vgpu_cmd_policy(vgpu, &pol);
	st.ggtt_lo = pol.gm[0].start;
	st.ggtt_hi = pol.gm[0].end;
	st.rng = opts->seed;
	st.dw = malloc(sizes[2]);
	r.copy_dst = malloc(sizes[2]);
	gvt_cmd_shadow_init(&shadow);
	if (!st.dw || !r.copy_dst)
		goto out;

	for (int k = 0; k < NUM_KINDS; k++) {
		for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			char fig[48], base[48], note[96];
			double mem, scan, copy;

			build(&st, (enum stream_kind)k, sizes[z]);
			r.src.buf = (const uint8_t *)st.dw;
			r.src.len = sizes[z];
			memset(&r.scan, 0, sizeof(r.scan));
			r.scan.engine = GVT_RCS;
			r.scan.policy = &pol;
			r.scan.mem.map = source_map;
			r.scan.mem.read = source_read;
			r.scan.mem.opaque = &r.src;

			mem = throughput(run_memcpy, &r, sizes[z]);
			r.scan.shadow = NULL;
			scan = throughput(run_scan, &r, sizes[z]);
			r.scan.shadow = &shadow;
			copy = throughput(run_scan, &r, sizes[z]);
			if (scan < 0 || copy < 0)
				goto out;
			snprintf(note, sizeof(note), "%.2f dwords per command",
				 (double)r.scan.dwords /
					 (double)r.scan.verdict.commands);
			snprintf(fig, sizeof(fig), "scan_%s_%s_gbps",
				 kind_name[k], size_name[z]);
			bench_report("scan", fig, scan, "GB/s", "memcpy_gbps",
				     mem, note);
			snprintf(base, sizeof(base), "%s", fig);
			snprintf(fig, sizeof(fig), "scan_copy_%s_%s_gbps",
				 kind_name[k], size_name[z]);
			bench_report("scan", fig, copy, "GB/s", base, scan,
				     "scan with its shadow copy, against scan alone");
			gvt_cmd_scan_fini(&r.scan);
		}
	}
	ret = 0;
out:
	gvt_cmd_shadow_fini(&shadow);
	free(st.dw);
	free(r.copy_dst);
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
out_ctx:
	gvt_ctx_destroy(ctx);
	return ret;
}
