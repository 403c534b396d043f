// SPDX-License-Identifier: MIT
/*
 * The workload run: several vGPUs of mixed types share the sim GPU, each
 * driven by guestdrv from a thread of its own (the guest's vCPU). Render
 * engines run seqno streams, blitters fill and copy surfaces; every result
 * is checked by the guest's CPU. The main thread prints progress once a
 * second and a table at the end, with libgvt's view of each engine.
 *
 * The guests ask for more than the GPU has: each keeps its engines' queues
 * full (submitting ahead, as i915 does) with blits large enough that the
 * engine, not the guest, is the bottleneck. The scheduler then has to
 * arbitrate, and each vGPU's share of an engine should follow its weight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
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
#define RCS_DEPTH 256	/* seqno workloads kept queued: 16 ELSP writes */
#define BATCH 16	/* workloads per ELSP write, at most */
/* Blits kept queued, each in an ELSP write of its own so that each
 * completion lets the guest queue the next: tens of milliseconds of engine
 * time, long enough for a guest to refill in time, short enough to drain
 * quickly at the end. */
#define BCS_DEPTH 2
#define SURF_W 1024	/* 4 MiB surfaces */
#define SURF_H 1024
/*
 * Blits are BLIT_MIN..BLIT_MAX pixels on a side, 1 to 4 MiB. The sim copies
 * about as fast as a guest's CPU checks (a memcpy against a memcmp), so
 * each band of rows is drawn PASSES times (the same pixels each time): the
 * engine, not the guests, is then the bottleneck. The sim cannot stop
 * inside a blit command, so each blit is commands of BAND rows (128 KiB at
 * most) with an arbitration point between: the scheduler can take the
 * engine back inside a workload, as it must to share it finely.
 */
#define BLIT_MIN 512
#define BLIT_MAX 1024
#define BAND 32
#define PASSES 8
#define STALL_MS 3000	/* no completion for this long: the vGPU hung */
#define WARMUP_MS 250	/* shares are measured from here to the end */

struct vm {
	char type[GVT_TYPE_NAME_MAX];
	struct gvt_vgpu *vgpu;
	struct mock_hv *hv;
	pthread_t thread;
	bool started;
	struct guestdrv *_Atomic gd;	/* published once open */
	uint32_t id, weight;
	uint32_t weight0;		/* at the start (gvtctl weight may change it) */
	/* Main thread: libgvt's busy time at the window's start and end, and
	 * at the last progress line; workloads done at the last line. */
	uint64_t busy0[GUESTDRV_NUM_ENGINES], busy1[GUESTDRV_NUM_ENGINES];
	uint64_t busy_tick[GUESTDRV_NUM_ENGINES];
	uint64_t last_done;
	/* Written by the vCPU thread, read after join: */
	uint64_t dry[GUESTDRV_NUM_ENGINES];	/* in the window, times its
						 * queue for the engine was
						 * found empty */
	uint64_t blit_bytes;		/* written by the blits it queued */
	int ret;
	char err[256];
	char quirks[2048];
	struct gvt_engine_stats es[GUESTDRV_NUM_ENGINES];
	int es_ret;
};

static const char *const engine_name[GUESTDRV_NUM_ENGINES] = { "rcs", "bcs" };

static atomic_uint opened;	/* guests done opening (or failed to) */
static atomic_bool go;		/* every guest starts at once */
static atomic_bool stop_run;
static atomic_bool window_open;	/* shares are being measured */

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

static uint32_t rnd_side(uint64_t *seed, uint32_t max)
{
	return BLIT_MIN + rnd(seed) % (max - BLIT_MIN + 1);
}

/* A fill or a copy into a surface no queued blit writes (guestdrv checks
 * a whole surface when its blit retires). Return: 0 and the bytes it
 * writes in *@bytes, or -errno. */
static int random_blit(struct guestdrv *gd, uint64_t *seed, uint64_t *bytes)
{
	uint32_t w = rnd_side(seed, BLIT_MAX), h = rnd_side(seed, BLIT_MAX);
	uint32_t dx = rnd(seed) % (SURF_W - w + 1);
	uint32_t dy = rnd(seed) % (SURF_H - h + 1);
	unsigned int dst = rnd(seed) % GUESTDRV_NUM_SURFACES, src;

	for (unsigned int i = 0; i < GUESTDRV_NUM_SURFACES &&
	     guestdrv_surface_busy(gd, dst); i++)
		dst = (dst + 1) % GUESTDRV_NUM_SURFACES;
	*bytes = 4ull * w * h;
	if (rnd(seed) & 1)
		return guestdrv_submit_fill(gd, dst, dx, dy, w, h, rnd(seed));
	src = (dst + 1 + rnd(seed) % (GUESTDRV_NUM_SURFACES - 1)) %
	      GUESTDRV_NUM_SURFACES;
	return guestdrv_submit_copy(gd, src, rnd(seed) % (SURF_W - w + 1),
				    rnd(seed) % (SURF_H - h + 1), dst,
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

/* Fill both engines' queues. Every poll may retire work, so both are
 * looked at again after each; an empty one is counted: libgvt then had
 * nothing of ours for the engine, and our share there went unclaimed. */
static int top_up(struct vm *vm, struct guestdrv *gd, uint64_t *seed)
{
	uint64_t bytes;

	for (;;) {
		for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++)
			if (atomic_load(&window_open) && !guestdrv_pending(gd, e))
				vm->dry[e]++;
		while (guestdrv_pending(gd, GUESTDRV_RCS) < RCS_DEPTH &&
		       !guestdrv_submit_seqno(gd))
			;
		if (guestdrv_pending(gd, GUESTDRV_BCS) >= BCS_DEPTH ||
		    random_blit(gd, seed, &bytes))
			return 0;
		vm->blit_bytes += bytes;
		/* Each blit goes to the engine at once, on its own. */
		if (guestdrv_poll(gd) < 0)
			return -EIO;
	}
}

/* The guest's vCPU: open the device, keep both engines' queues full,
 * check everything. */
static void *vcpu(void *arg)
{
	struct vm *vm = arg;
	struct guestdrv_params params = { .surf_w = SURF_W, .surf_h = SURF_H,
					  .ahead = true, .band = BAND, .passes = PASSES,
					  .batch = BATCH };
	struct guestdrv *gd;
	uint64_t seed = 0x9e3779b97f4a7c15ull * vm->id, last, done = 0;
	int ret;

	ret = guestdrv_open(vm->vgpu, vm->hv, &params, &gd, vm->err, sizeof(vm->err));
	atomic_fetch_add(&opened, 1);
	if (ret) {
		vm->ret = ret;
		return NULL;
	}
	atomic_store(&vm->gd, gd);
	while (!atomic_load(&go))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	last = now_ms();
	while (!atomic_load(&stop_run)) {
		if (top_up(vm, gd, &seed) || guestdrv_wait(gd, 100) < 0)
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
	vm->weight0 = vm->weight;
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

/* libgvt's busy time of the vGPU's engines now (what gvtctl top reads). */
static void busy_now(const struct vm *vm, uint64_t out[GUESTDRV_NUM_ENGINES])
{
	for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++) {
		struct gvt_engine_stats s;

		out[e] = gvt_vgpu_get_engine_stats(vm->vgpu, e, &s) ? 0 : s.busy_ns;
	}
}

static double weight_share(const struct vm *vms, unsigned int n, unsigned int i)
{
	uint64_t all = 0;

	for (unsigned int j = 0; j < n; j++)
		all += vms[j].weight;
	return all ? (double)vms[i].weight / (double)all : 0.0;
}

static void print_progress_head(const struct vm *vms, unsigned int n)
{
	char line[512];
	int len;

	printf("\n  each second: workloads verified, and the share of the blitter (weight share");
	for (unsigned int i = 0; i < n; i++)
		printf(" %.1f%%", 100.0 * weight_share(vms, n, i));
	printf(")\n");
	len = snprintf(line, sizeof(line), "  %4s", "");
	for (unsigned int i = 0; i < n && len < (int)sizeof(line); i++) {
		char name[16];

		snprintf(name, sizeof(name), "vgpu%u", vms[i].id);
		len += snprintf(line + len, sizeof(line) - (size_t)len,
				"  %15s", name);
	}
	printf("%s\n", line);
}

static void print_progress(struct vm *vms, unsigned int n, unsigned int sec)
{
	uint64_t busy[DEMO_MAX_VGPUS][GUESTDRV_NUM_ENGINES], all = 0;
	char line[512];
	int len = snprintf(line, sizeof(line), "  %3us", sec);

	for (unsigned int i = 0; i < n; i++) {
		busy_now(&vms[i], busy[i]);
		all += busy[i][GUESTDRV_BCS] - vms[i].busy_tick[GUESTDRV_BCS];
	}
	for (unsigned int i = 0; i < n && len < (int)sizeof(line); i++) {
		struct guestdrv *gd = atomic_load(&vms[i].gd);
		uint64_t done = gd ? done_of(gd) : 0;
		uint64_t b = busy[i][GUESTDRV_BCS] - vms[i].busy_tick[GUESTDRV_BCS];

		len += snprintf(line + len, sizeof(line) - (size_t)len,
				"  %7llu %5.1f%%",
				(unsigned long long)(done - vms[i].last_done),
				all ? 100.0 * (double)b / (double)all : 0.0);
		vms[i].last_done = done;
		memcpy(vms[i].busy_tick, busy[i], sizeof(busy[i]));
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

/*
 * Each engine's busy time in the window, split by vGPU, against the weight
 * shares. Return: the largest relative share error over the engines.
 */
static double report_shares(const struct vm *vms, unsigned int n,
			    double window_s)
{
	double worst = 0.0;

	printf("\n  share of each engine's busy time from %.2f s to %.2f s, against the weight share\n",
	       WARMUP_MS / 1000.0, WARMUP_MS / 1000.0 + window_s);
	printf("  %-6s %6s", "engine", "busy");
	for (unsigned int i = 0; i < n; i++)
		printf("  vgpu%-2u", vms[i].id);
	printf("  %-14s %s\n", "max error", "queue empty");
	printf("  %-6s %6s", "weight", "");
	for (unsigned int i = 0; i < n; i++)
		printf(" %6.1f%%", 100.0 * weight_share(vms, n, i));
	printf("\n");
	for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++) {
		uint64_t all = 0, dry = 0;
		double busy, err = 0.0;
		unsigned int who = 0;
		char where[32] = "-";

		for (unsigned int i = 0; i < n; i++) {
			all += vms[i].busy1[e] - vms[i].busy0[e];
			dry += vms[i].dry[e];
		}
		busy = window_s > 0 ? (double)all / (window_s * 1e9) : 0.0;
		printf("  %-6s %5.1f%%", engine_name[e], 100.0 * busy);
		for (unsigned int i = 0; i < n; i++) {
			double share = all ? (double)(vms[i].busy1[e] - vms[i].busy0[e]) /
					     (double)all : 0.0;
			double ideal = weight_share(vms, n, i);
			double rel = ideal > 0 ? (share > ideal ? share - ideal :
						  ideal - share) / ideal : 0.0;

			if (rel > err) {
				err = rel;
				who = i;
			}
			printf(" %6.1f%%", 100.0 * share);
		}
		if (n > 1)
			snprintf(where, sizeof(where), "%.1f%% (vgpu%u)",
				 100.0 * err, vms[who].id);
		printf("  %-14s %11llu\n", where, (unsigned long long)dry);
		worst = err > worst ? err : worst;
	}
	return worst;
}

static int report(struct vm *vms, unsigned int n, double window_s,
		  double run_s)
{
	uint64_t ok[GUESTDRV_NUM_ENGINES] = { 0 }, bytes = 0;
	double worst;
	int bad = 0;

	printf("\n  %-6s %-10s %6s %9s %9s %6s %9s %8s %8s %9s\n",
	       "vGPU", "type", "weight", "rcs ok", "bcs ok", "failed",
	       "lat mean", "p50<", "p99<", "max");
	for (unsigned int i = 0; i < n; i++) {
		struct vm *vm = &vms[i];
		struct guestdrv *gd = atomic_load(&vm->gd);
		struct guestdrv_stats g[GUESTDRV_NUM_ENGINES] = { 0 };
		uint64_t hist[GVT_LATENCY_BUCKETS] = { 0 }, lat = 0;
		uint64_t completed = 0, max = 0, failed = 0, refused = 0, hung = 0;

		for (unsigned int e = 0; gd && e < GUESTDRV_NUM_ENGINES; e++) {
			const struct gvt_engine_stats *s = &vm->es[e];

			guestdrv_get_stats(gd, e, &g[e]);
			failed += g[e].failed;
			ok[e] += g[e].completed;
			lat += s->latency_sum_ns;
			completed += s->completed;
			refused += s->refused;
			hung += s->hung;
			max = s->latency_max_ns > max ? s->latency_max_ns : max;
			for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++)
				hist[b] += s->latency_hist[b];
		}
		printf("  vgpu%-2u %-10s %6u %9llu %9llu %6llu %7.1fms %6llums %6llums %7.1fms\n",
		       vm->id, vm->type, vm->weight,
		       (unsigned long long)g[GUESTDRV_RCS].completed,
		       (unsigned long long)g[GUESTDRV_BCS].completed,
		       (unsigned long long)failed,
		       completed ? (double)lat / (double)completed / 1e6 : 0.0,
		       (unsigned long long)(hist_quantile(hist, 0.50) / 1000),
		       (unsigned long long)(hist_quantile(hist, 0.99) / 1000),
		       (double)max / 1e6);
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
		bytes += vm->blit_bytes;
	}
	printf("  %llu workloads verified in %.1f s: %.0f seqnos/s on rcs, %.1f blits/s on bcs\n"
	       "  (%.0f MiB/s). "
	       "latency: libgvt's, ELSP write to completion, both engines; mostly time\n"
	       "  spent queued behind the vGPU's own earlier work.\n",
	       (unsigned long long)(ok[GUESTDRV_RCS] + ok[GUESTDRV_BCS]),
	       run_s, (double)ok[GUESTDRV_RCS] / run_s,
	       (double)ok[GUESTDRV_BCS] / run_s, (double)bytes / run_s / (1 << 20));
	for (unsigned int i = 0; i < n; i++)
		if (vms[i].weight != vms[i].weight0)
			printf("  vgpu%u's weight went from %u to %u during the run: the shares below\n"
			       "  are compared with the weights at the end.\n",
			       vms[i].id, vms[i].weight0, vms[i].weight);
	worst = report_shares(vms, n, window_s);
	if (n > 1)
		printf("  max share error %.1f%% (error: |share - weight share| / weight share)\n",
		       100.0 * worst);
	printf("  busy: the time vGPU contexts held the engine, as libgvt charges it; the rest is the\n"
	       "  GPU thread's own work (delivering completions, switching), when the sim runs no\n"
	       "  engine. queue empty: times a guest found none of its work queued there, so that its\n"
	       "  share could fall short. An engine stops only between commands, so a vGPU overruns\n"
	       "  its slice by up to one blit band. The sim runs all engines from one thread: a\n"
	       "  render context holds rcs while a band runs on bcs, so rcs is contended by the\n"
	       "  blitter's work, not by its own.\n");
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

/* Sleep until @deadline (CLOCK_MONOTONIC ms), serving gvtctl meanwhile. */
static void wait_until(uint64_t deadline, struct gvt_ctl *ctl)
{
	for (uint64_t t = now_ms(); t < deadline; t = now_ms()) {
		struct pollfd p = { .fd = ctl ? gvt_ctl_fd(ctl) : -1,
				    .events = POLLIN };

		if (poll(&p, 1, (int)(deadline - t)) > 0 && ctl &&
		    gvt_ctl_dispatch(ctl) < 0)
			ctl = NULL;	/* the server failed: just sleep */
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
	struct gvt_ctl *ctl = NULL;
	struct gvt_ctx *ctx;
	unsigned int n, started = 0;
	uint64_t t0, t_end;
	int ret;

	ret = gvt_ctx_create(&params, &ctx);
	if (ret) {
		fprintf(stderr, "gvt-demo: cannot create the GPU: %s\n", strerror(-ret));
		return 1;
	}
	if (o->control) {
		ret = gvt_ctl_serve(ctx, o->control, NULL, &ctl);
		if (ret) {
			fprintf(stderr, "gvt-demo: cannot serve %s: %s\n", o->control,
				strerror(-ret));
			gvt_ctx_destroy(ctx);
			return 1;
		}
	}
	printf("\nWorkloads: vGPUs on one Skylake GT2 (pgpu/sim, 1024 MiB aperture), each driven by\n"
	       "a guest driver in its own thread for %u s: seqno streams on rcs; on bcs fills and\n"
	       "copies of %ux%u to %ux%u pixels (1-4 MiB; linear and X-tiled, in bands of %u rows,\n"
	       "each band drawn %u times), every result checked by the guest. Each guest keeps %u seqnos and %u blits queued,\n"
	       "more than the GPU can run, so the scheduler has to share each engine by weight.\n",
	       o->seconds, BLIT_MIN, BLIT_MIN, BLIT_MAX, BLIT_MAX, BAND, PASSES, RCS_DEPTH,
	       BCS_DEPTH);
	n = vms_create(ctx, o, vms);
	for (unsigned int i = 0; i < n; i++)
		printf("  vgpu%u: %s, weight %u\n", vms[i].id, vms[i].type, vms[i].weight);
	if (ctl)
		printf("  gvtctl --socket %s top: the run as libgvt accounts it\n",
		       o->control);
	fflush(stdout);
	atomic_store(&stop_run, false);
	atomic_store(&go, false);
	atomic_store(&opened, 0);
	for (unsigned int i = 0; i < n; i++) {
		if (pthread_create(&vms[i].thread, NULL, vcpu, &vms[i])) {
			vms[i].ret = -EAGAIN;
			continue;
		}
		vms[i].started = true;
		started++;
	}
	/* Opening maps and fills 16 MiB per guest: start the clock when
	 * every guest can submit. */
	for (t0 = now_ms(); atomic_load(&opened) < started && now_ms() - t0 < 10000;)
		wait_until(now_ms() + 1, ctl);
	t0 = now_ms();
	atomic_store(&go, true);
	print_progress_head(vms, n);
	wait_until(t0 + WARMUP_MS, ctl);
	for (unsigned int i = 0; i < n; i++) {
		busy_now(&vms[i], vms[i].busy0);
		/* A guest still opening its device has nothing queued. */
		if (!atomic_load(&vms[i].gd))
			for (unsigned int e = 0; e < GUESTDRV_NUM_ENGINES; e++)
				vms[i].dry[e]++;
	}
	atomic_store(&window_open, true);
	for (unsigned int s = 1; s <= o->seconds; s++) {
		wait_until(t0 + 1000ull * s, ctl);
		print_progress(vms, n, s);
	}
	atomic_store(&window_open, false);
	for (unsigned int i = 0; i < n; i++)
		busy_now(&vms[i], vms[i].busy1);
	t_end = now_ms();
	atomic_store(&stop_run, true);
	for (unsigned int i = 0; i < n; i++) {
		struct gvt_vgpu_info info;

		if (vms[i].started)
			pthread_join(vms[i].thread, NULL);
		/* Its guest is done: the vGPU is ours to ask again. */
		if (!gvt_vgpu_get_info(vms[i].vgpu, &info) && info.weight)
			vms[i].weight = info.weight;
	}
	ret = report(vms, n, (double)(t_end - t0 - WARMUP_MS) / 1000.0,
		     (double)(now_ms() - t0) / 1000.0) || !n || started != n;
	print_quirks(vms, n);
	gvt_ctl_close(ctl);
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
