// SPDX-License-Identifier: MIT
/*
 * The workload run: several vGPUs of mixed types share the sim GPU, each
 * driven by guestdrv from a thread of its own (the guest's vCPU). Render
 * engines run seqno streams, blitters fill and copy surfaces; every result
 * is checked by the guest's CPU. The main thread prints progress once a
 * second and a table at the end, with libgvt's view of each engine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gvt/gvt.h>

#include "demo.h"
#include "guestdrv.h"
#include "mock_hv.h"

#define GUEST_RAM (64u << 20)
#define RCS_DEPTH 32	/* seqno workloads kept queued */
#define BCS_DEPTH 8	/* blits kept queued */
#define STALL_MS 3000	/* no completion for this long: the vGPU hung */

struct vm {
	char type[GVT_TYPE_NAME_MAX];
	struct gvt_vgpu *vgpu;
	struct mock_hv *hv;
	pthread_t thread;
	bool started;
	struct guestdrv *_Atomic gd;	/* published once open */
	uint32_t id, weight;
	uint64_t last_done;		/* main thread: for the per-second delta */
	/* Written by the vCPU thread, read after join: */
	int ret;
	char err[256];
	char quirks[2048];
	struct gvt_engine_stats es[GUESTDRV_NUM_ENGINES];
	int es_ret;
};

static atomic_bool stop_run;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible per vGPU, no shared state. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 0x2545f4914f6cdd1dull) >> 32);
}

static int random_blit(struct guestdrv *gd, uint64_t *seed)
{
	uint32_t w = 1 + rnd(seed) % 64, h = 1 + rnd(seed) % 32;
	uint32_t dx = rnd(seed) % (GUESTDRV_SURF_W - w + 1);
	uint32_t dy = rnd(seed) % (GUESTDRV_SURF_H - h + 1);
	unsigned int dst = rnd(seed) % GUESTDRV_NUM_SURFACES, src;

	if (rnd(seed) & 1)
		return guestdrv_submit_fill(gd, dst, dx, dy, w, h, rnd(seed));
	src = (dst + 1 + rnd(seed) % (GUESTDRV_NUM_SURFACES - 1)) %
	      GUESTDRV_NUM_SURFACES;
	return guestdrv_submit_copy(gd, src, rnd(seed) % (GUESTDRV_SURF_W - w + 1),
				    rnd(seed) % (GUESTDRV_SURF_H - h + 1), dst,
				    dx, dy, w, h);
}

static uint64_t done_of(struct guestdrv *gd)
{
	struct guestdrv_stats s;
	uint64_t n = 0;

	for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++) {
		guestdrv_get_stats(gd, e, &s);
		n += s.completed;
	}
	return n;
}

/* The guest's vCPU: open the device, keep both engines busy, check. */
static void *vcpu(void *arg)
{
	struct vm *vm = arg;
	struct guestdrv *gd;
	uint64_t seed = 0x9e3779b97f4a7c15ull * vm->id, last = now_ms(), done = 0;
	int ret;

	ret = guestdrv_open(vm->vgpu, vm->hv, NULL, &gd, vm->err, sizeof(vm->err));
	if (ret) {
		vm->ret = ret;
		return NULL;
	}
	atomic_store(&vm->gd, gd);
	while (!atomic_load(&stop_run)) {
		while (guestdrv_pending(gd, GUESTDRV_RCS) < RCS_DEPTH &&
		       !guestdrv_submit_seqno(gd))
			;
		while (guestdrv_pending(gd, GUESTDRV_BCS) < BCS_DEPTH &&
		       !random_blit(gd, &seed))
			;
		ret = guestdrv_wait(gd, 100);
		if (ret < 0)
			break;
		if (done_of(gd) != done) {
			done = done_of(gd);
			last = now_ms();
		} else if (now_ms() - last > STALL_MS) {
			break;	/* guestdrv_idle() below says what is stuck */
		}
	}
	vm->ret = guestdrv_idle(gd, STALL_MS);
	snprintf(vm->err, sizeof(vm->err), "%s", guestdrv_error(gd));
	snprintf(vm->quirks, sizeof(vm->quirks), "%s", guestdrv_quirks(gd));
	/* This thread owns the vGPU's calls: read libgvt's view here. */
	for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES && !vm->es_ret; e++)
		vm->es_ret = gvt_vgpu_get_engine_stats(vm->vgpu, e, &vm->es[e]);
	return NULL;
}

static int vm_create(struct gvt_ctx *ctx, struct vm *vm, const char *type)
{
	struct gvt_vgpu_info info;
	int ret;

	snprintf(vm->type, sizeof(vm->type), "%s", type);
	ret = mock_hv_create(GUEST_RAM, &vm->hv);
	if (ret)
		return ret;
	ret = gvt_vgpu_create(ctx, type, &mock_hv_ops, vm->hv, &vm->vgpu);
	if (!ret)
		ret = gvt_vgpu_get_info(vm->vgpu, &info);
	if (ret) {
		gvt_vgpu_destroy(vm->vgpu);
		mock_hv_destroy(vm->hv);
		vm->vgpu = NULL;
		vm->hv = NULL;
		return ret;
	}
	vm->id = info.id;
	vm->weight = info.weight;
	/* Until a weight is set, the type's is the vGPU's. */
	for (unsigned int i = 0; !vm->weight && i < gvt_ctx_num_types(ctx); i++) {
		struct gvt_type_info t;

		if (!gvt_ctx_get_type(ctx, i, &t) && !strcmp(t.name, type))
			vm->weight = t.weight;
	}
	return 0;
}

/* Which vGPUs to start: the given types, or a mix from the largest type
 * down, as many as asked for and admission allows. */
static unsigned int vms_create(struct gvt_ctx *ctx,
			       const struct demo_run_opts *o, struct vm *vms)
{
	/* A GVTg_V5_1 takes 2 GiB of hidden memory: with it only one more
	 * vGPU fits, so the mix starts at _2. */
	static const char *const mix[] = { "GVTg_V5_2", "GVTg_V5_4",
					   "GVTg_V5_8" };
	unsigned int n = 0, want = o->ntypes ? o->ntypes : o->count ? o->count : 4;
	char why[256];

	for (unsigned int i = 0, misses = 0; n < want && n < DEMO_MAX_VGPUS &&
	     misses < 3; i++) {
		const char *type = o->ntypes ? o->types[i] : mix[i % 3];

		if (o->ntypes && i >= o->ntypes)
			break;
		if (gvt_ctx_admit(ctx, type, why, sizeof(why))) {
			if (o->ntypes || o->count)
				printf("  %s not started: %s\n", type, why);
			misses++;
			continue;
		}
		misses = 0;
		if (vm_create(ctx, &vms[n], type)) {
			printf("  %s not started: creation failed\n", type);
			continue;
		}
		n++;
	}
	return n;
}

static void print_progress(struct vm *vms, unsigned int n, unsigned int sec)
{
	char line[512];
	int len = snprintf(line, sizeof(line), "  %3us", sec);

	for (unsigned int i = 0; i < n && len < (int)sizeof(line); i++) {
		struct guestdrv *gd = atomic_load(&vms[i].gd);
		uint64_t done = gd ? done_of(gd) : 0;

		len += snprintf(line + len, sizeof(line) - (size_t)len,
				"  vgpu%u %7llu (+%llu)", vms[i].id,
				(unsigned long long)done,
				(unsigned long long)(done - vms[i].last_done));
		vms[i].last_done = done;
	}
	printf("%s\n", line);
	fflush(stdout);
}

/* The upper edge, in microseconds, of the bucket holding quantile @q. */
static uint64_t hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++)
		total += hist[b];
	if (!total)
		return 0;
	for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++) {
		seen += hist[b];
		if ((double)seen >= q * (double)total)
			return 2ull << b;
	}
	return 2ull << (GVT_LATENCY_BUCKETS - 1);
}

static int report(struct vm *vms, unsigned int n)
{
	uint64_t busy_all = 0, weight_all = 0;
	int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		weight_all += vms[i].weight;
		for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++)
			busy_all += vms[i].es[e].busy_ns;
	}
	printf("\n  %-6s %-10s %6s %9s %9s %6s %6s %7s %9s %7s %7s %9s\n",
	       "vGPU", "type", "weight", "rcs ok", "bcs ok", "failed",
	       "gpu%", "weight%", "lat mean", "p50<", "p99<", "max");
	for (unsigned int i = 0; i < n; i++) {
		struct vm *vm = &vms[i];
		struct guestdrv *gd = atomic_load(&vm->gd);
		struct guestdrv_stats g[GUESTDRV_NUM_ENGINES] = { 0 };
		uint64_t hist[GVT_LATENCY_BUCKETS] = { 0 }, busy = 0, lat = 0;
		uint64_t completed = 0, max = 0, failed = 0, refused = 0, hung = 0;

		for (unsigned int e = 0; gd && e < GUESTDRV_NUM_ENGINES; e++) {
			const struct gvt_engine_stats *s = &vm->es[e];

			guestdrv_get_stats(gd, e, &g[e]);
			failed += g[e].failed;
			busy += s->busy_ns;
			lat += s->latency_sum_ns;
			completed += s->completed;
			refused += s->refused;
			hung += s->hung;
			max = s->latency_max_ns > max ? s->latency_max_ns : max;
			for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++)
				hist[b] += s->latency_hist[b];
		}
		printf("  vgpu%-2u %-10s %6u %9llu %9llu %6llu %5.1f%% %6.1f%% %7.1fus %5lluus %5lluus %7.1fus\n",
		       vm->id, vm->type, vm->weight,
		       (unsigned long long)g[GUESTDRV_RCS].completed,
		       (unsigned long long)g[GUESTDRV_BCS].completed,
		       (unsigned long long)failed,
		       busy_all ? 100.0 * (double)busy / (double)busy_all : 0.0,
		       weight_all ? 100.0 * vm->weight / (double)weight_all : 0.0,
		       completed ? (double)lat / (double)completed / 1000.0 : 0.0,
		       (unsigned long long)hist_quantile(hist, 0.50),
		       (unsigned long long)hist_quantile(hist, 0.99),
		       (double)max / 1000.0);
		if (refused || hung)
			printf("         libgvt refused %llu and hung %llu of its workloads\n",
			       (unsigned long long)refused, (unsigned long long)hung);
		if (vm->es_ret)
			printf("         engine stats unavailable: %s\n",
			       strerror(-vm->es_ret));
		if (vm->ret || vm->err[0])
			printf("         %s%s%s\n", vm->ret ? strerror(-vm->ret) : "",
			       vm->ret && vm->err[0] ? ": " : "", vm->err);
		bad |= !gd || vm->ret || failed || refused || hung;
	}
	printf("  (latency: libgvt's, ELSP write to completion; p50/p99 are histogram bucket edges)\n");
	return bad;
}

/* Findings from every guest, each printed once. */
static void print_quirks(struct vm *vms, unsigned int n)
{
	bool any = false;

	for (unsigned int i = 0; i < n; i++) {
		char *save = NULL, *copy = strdup(vms[i].quirks);

		for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (!any)
				printf("\n  where the vGPU differed from the hardware guestdrv expects:\n");
			any = true;
			printf("    vgpu%u %s\n", vms[i].id, l);
		}
		free(copy);
	}
}

int demo_run(const struct demo_run_opts *o)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = demo_log,
		.log_level = demo_verbosity,
	};
	struct vm vms[DEMO_MAX_VGPUS] = { 0 };
	struct gvt_ctx *ctx;
	unsigned int n, started = 0;
	int ret;

	ret = gvt_ctx_create(&params, &ctx);
	if (ret) {
		fprintf(stderr, "gvt-demo: cannot create the GPU: %s\n", strerror(-ret));
		return 1;
	}
	printf("\nWorkloads: vGPUs on one Skylake GT2 (pgpu/sim, 1024 MiB aperture), each driven by\n"
	       "a guest driver in its own thread: seqno streams on rcs, fills and copies on bcs\n"
	       "(linear and X-tiled), every result checked by the guest for %u s.\n",
	       o->seconds);
	n = vms_create(ctx, o, vms);
	for (unsigned int i = 0; i < n; i++)
		printf("  vgpu%u: %s, weight %u\n", vms[i].id, vms[i].type, vms[i].weight);
	atomic_store(&stop_run, false);
	for (unsigned int i = 0; i < n; i++) {
		if (pthread_create(&vms[i].thread, NULL, vcpu, &vms[i])) {
			vms[i].ret = -EAGAIN;
			continue;
		}
		vms[i].started = true;
		started++;
	}
	for (unsigned int s = 1; s <= o->seconds; s++) {
		struct timespec one = { 1, 0 };

		nanosleep(&one, NULL);
		print_progress(vms, n, s);
	}
	atomic_store(&stop_run, true);
	for (unsigned int i = 0; i < n; i++)
		if (vms[i].started)
			pthread_join(vms[i].thread, NULL);
	ret = report(vms, n) || !n || started != n;
	print_quirks(vms, n);
	for (unsigned int i = 0; i < n; i++) {
		guestdrv_close(atomic_load(&vms[i].gd));
		gvt_vgpu_destroy(vms[i].vgpu);
		mock_hv_destroy(vms[i].hv);
	}
	gvt_ctx_destroy(ctx);
	printf("\n%s\n", ret ? "gvt-demo: FAILED: some workloads were not verified" :
			       "gvt-demo: every workload verified");
	return ret;
}
