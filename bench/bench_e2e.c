// SPDX-License-Identifier: MIT
/*
 * gvt-bench e2e: submission-to-completion latency of one small workload
 * through the whole in-process path: the guest driver writes its ring and
 * the ELSP, libgvt shadows and scans it, the GPU thread schedules it, the
 * sim GPU runs it, the completion comes back as a CSB entry in the guest's
 * status page and an MSI. One workload in flight at a time, so each sample
 * is one whole round trip.
 *
 * The workload is guestdrv's seqno batch (MI_STORE_DATA_IMM of a seqno,
 * MI_USER_INTERRUPT, MI_BATCH_BUFFER_END, started from the ring): the
 * smallest a driver submits with a result to check.
 *
 * Baseline, same run: the same hand-off between two threads without
 * libgvt: a spinning ping-pong (what the guest's polling variant pays at
 * least) and a condition-variable ping-pong (what the MSI variant pays at
 * least, since the GPU thread and the guest's vCPU are two threads).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "bench.h"
#include "guestdrv.h"
#include "mock_hv.h"

#define GUEST_RAM (64u << 20)
#define WARMUP 500

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

/* ---- the baselines: two threads handing a token back and forth ---- */

struct pingpong {
	atomic_uint turn;		/* spin: 0 main's, 1 the peer's, 2 stop */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int cturn;		/* condvar: the same, under lock */
};

static void *spin_peer(void *arg)
{
	struct pingpong *p = arg;

	for (;;) {
		unsigned int t;

		while ((t = atomic_load(&p->turn)) == 0)
			;
		if (t == 2)
			return NULL;
		atomic_store(&p->turn, 0);
	}
}

static void *cond_peer(void *arg)
{
	struct pingpong *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->cturn == 0)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->cturn == 2)
			break;
		p->cturn = 0;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int pingpong(bool spin, double *samples, size_t n)
{
	struct pingpong p = { .lock = PTHREAD_MUTEX_INITIALIZER,
			      .cond = PTHREAD_COND_INITIALIZER };
	pthread_t peer;

	if (pthread_create(&peer, NULL, spin ? spin_peer : cond_peer, &p))
		return -EAGAIN;
	for (size_t i = 0; i < n + WARMUP; i++) {
		uint64_t t0 = bench_now_ns();

		if (spin) {
			atomic_store(&p.turn, 1);
			while (atomic_load(&p.turn))
				;
		} else {
			pthread_mutex_lock(&p.lock);
			p.cturn = 1;
			pthread_cond_broadcast(&p.cond);
			while (p.cturn)
				pthread_cond_wait(&p.cond, &p.lock);
			pthread_mutex_unlock(&p.lock);
		}
		if (i >= WARMUP)
			samples[i - WARMUP] = (double)(bench_now_ns() - t0);
	}
	if (spin) {
		atomic_store(&p.turn, 2);
	} else {
		pthread_mutex_lock(&p.lock);
		p.cturn = 2;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.lock);
	}
	pthread_join(peer, NULL);
	return 0;
}

/* ---- libgvt: one workload at a time, through a vGPU ---- */

static uint64_t completed(struct guestdrv *gd)
{
	struct guestdrv_stats s;

	guestdrv_get_stats(gd, GUESTDRV_RCS, &s);
	return s.completed + s.failed;
}

static int round_trips(struct guestdrv *gd, bool msi, double *samples,
		       size_t n)
{
	for (size_t i = 0; i < n + WARMUP; i++) {
		uint64_t want = completed(gd) + 1, t0 = bench_now_ns();
		int ret = guestdrv_submit_seqno(gd);

		if (ret)
			return ret;
		while (completed(gd) < want) {
			ret = msi ? guestdrv_wait(gd, 1000) : guestdrv_poll(gd);
			if (ret < 0)
				return ret;
		}
		if (i >= WARMUP)
			samples[i - WARMUP] = (double)(bench_now_ns() - t0);
	}
	return 0;
}

static void report_pair(const char *figure, double *v, double *base, size_t n,
			const char *baseline, const char *note)
{
	char name[64], text[512];
	double p50 = bench_quantile(v, n, 0.5), p99 = bench_quantile(v, n, 0.99);
	double b50 = bench_quantile(base, n, 0.5), b99 = bench_quantile(base, n, 0.99);

	snprintf(name, sizeof(name), "%s_p50", figure);
	snprintf(text, sizeof(text), "%s; %zu workloads, one in flight", note, n);
	bench_report("e2e", name, p50 / 1000, "us", baseline, b50 / 1000, text);
	snprintf(name, sizeof(name), "%s_p99", figure);
	bench_report("e2e", name, p99 / 1000, "us", baseline, b99 / 1000, text);
}

int bench_e2e(const struct bench_opts *opts)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL, .backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024, .log_fn = quiet,
		.log_level = GVT_LOG_ERR,
	};
	/* A round trip costs what 200 register accesses do: --ops 4000000
	 * (the default) times 20,000 workloads per variant. */
	size_t n = opts->ops / 200 > 1000 ? (size_t)(opts->ops / 200) : 1000;
	double *v = calloc(n, sizeof(double)), *base = calloc(n, sizeof(double));
	struct gvt_ctx *ctx = NULL;
	struct gvt_vgpu *vgpu = NULL;
	struct mock_hv *hv = NULL;
	struct guestdrv *gd = NULL;
	char err[256] = "";
	int ret = -ENOMEM;

	if (!v || !base)
		goto out;
	ret = gvt_ctx_create(&params, &ctx);
	if (!ret)
		ret = mock_hv_create(GUEST_RAM, &hv);
	if (!ret)
		ret = gvt_vgpu_create(ctx, "GVTg_V5_4", &mock_hv_ops, hv, &vgpu);
	if (!ret)
		ret = guestdrv_open(vgpu, hv, &(struct guestdrv_params){ .batch = 1 },
				    &gd, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "gvt-bench e2e: setup failed: %s %s\n",
			strerror(-ret), err);
		goto out;
	}

	ret = pingpong(true, base, n) ?: round_trips(gd, false, v, n);
	if (ret)
		goto out_failed;
	report_pair("noop_poll", v, base, n, "spin_pingpong",
		    "ELSP write to the guest seeing the CSB entry in its status page (polling); baseline: a token passed to another thread and back, both spinning");
	ret = pingpong(false, base, n) ?: round_trips(gd, true, v, n);
	if (ret)
		goto out_failed;
	report_pair("noop_msi", v, base, n, "condvar_pingpong",
		    "ELSP write to the guest retiring the workload after waiting for its MSI; baseline: a token passed to another thread and back through a condition variable");
	goto out;

out_failed:
	fprintf(stderr, "gvt-bench e2e: %s (%s)\n", strerror(-ret),
		guestdrv_error(gd) ? guestdrv_error(gd) : "");
out:
	guestdrv_close(gd);
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
	gvt_ctx_destroy(ctx);
	free(v);
	free(base);
	return ret ? 1 : 0;
}
