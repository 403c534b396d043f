// SPDX-License-Identifier: MIT
/*
 * gvt-bench xen: what the Xen shim adds to a guest register access, on
 * top of libgvt. No Xen here, so the shim runs over its mock port
 * (tests/mock/mock_xen_port.c): a request is posted into the synchronous
 * ioreq slot as Xen posts it (fields, READY, an event on the vCPU's
 * channel, which is an eventfd write), and gvt_xen_dispatch() takes it,
 * performs it through libgvt, answers IORESP_READY and notifies. The
 * baseline is the same register read or write called on libgvt directly.
 *
 * The difference is the shim's own path (state machine, fences, BAR
 * decode, its clock reads) and the mock's event channel: an eventfd
 * written at each post and drained by dispatch, two system calls standing
 * for Xen's evtchn notify and pending, which is measured alone too. Xen's half of a round trip (the vCPU's exit, the event's
 * delivery to dom0 and back) is not in it: no published figure exists
 * (shared/reference/perf.md §8) and no Xen host is at hand to measure one.
 * Rounds alternate the two sides; each figure is the median round.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>
#include <gvt/gvt_xen.h>

#include "bench.h"
#include "mock_xen_port.h"

#define RAM_SIZE	(16u << 20)
#define ROUNDS		15
#define BAR0		0xf0000000ull
#define REG_GT0_IMR	0x44304u	/* a plain read-write register */

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void cfg_write(struct mock_xen_port *m, struct gvt_xen *x,
		      uint32_t off, uint32_t size, uint32_t val)
{
	ioreq_t r = { .type = IOREQ_TYPE_PCI_CONFIG, .dir = IOREQ_WRITE,
		      .addr = (uint64_t)(2u << 3) << 32 | off, .size = size,
		      .count = 1, .data = val };

	mock_xen_port_post(m, 0, &r);
	(void)gvt_xen_dispatch(x);
}

/* @n accesses through the shim; returns ns per access, or -1. */
static double via_shim(struct mock_xen_port *m, struct gvt_xen *x,
		       uint64_t n, bool write)
{
	ioreq_t r = { .type = IOREQ_TYPE_COPY, .dir = write ? IOREQ_WRITE : IOREQ_READ,
		      .addr = BAR0 + REG_GT0_IMR, .size = 4, .count = 1 };
	uint64_t t0 = bench_now_ns();

	for (uint64_t i = 0; i < n; i++) {
		r.data = write ? (uint32_t)i : 0;
		mock_xen_port_post(m, 0, &r);
		if (gvt_xen_dispatch(x) != 1 || m->page[0].state != STATE_IORESP_READY)
			return -1;
	}
	return (double)(bench_now_ns() - t0) / (double)n;
}

static double direct(struct gvt_vgpu *vgpu, uint64_t n, bool write)
{
	uint64_t t0 = bench_now_ns();
	uint32_t v = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (write) {
			v = (uint32_t)i;
			if (gvt_vgpu_mmio_write(vgpu, REG_GT0_IMR, &v, 4))
				return -1;
		} else if (gvt_vgpu_mmio_read(vgpu, REG_GT0_IMR, &v, 4)) {
			return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / (double)n;
}

/* The mock's event channel alone: one eventfd write (the post's event)
 * and one read (dispatch draining it), as many as the shim's path makes. */
static double event_pair(int efd, uint64_t n)
{
	uint64_t t0 = bench_now_ns(), one = 1, got;

	for (uint64_t i = 0; i < n; i++)
		if (write(efd, &one, sizeof(one)) != sizeof(one) ||
		    read(efd, &got, sizeof(got)) != sizeof(got))
			return -1;
	return (double)(bench_now_ns() - t0) / (double)n;
}

static double median(double *v)
{
	return bench_quantile(v, ROUNDS, 0.5);
}

int bench_xen(const struct bench_opts *opts)
{
	struct gvt_ctx_params cp = { .platform = GVT_PLATFORM_SKL, .backend = GVT_BACKEND_SIM,
				     .aperture_mib = 1024, .log_fn = quiet };
	struct gvt_xen_params xp = { .domid = 1, .dev = 2, .page_track = true, .log_fn = quiet };
	double sr[ROUNDS], sw[ROUNDS], dr[ROUNDS], dw[ROUNDS], ev[ROUNDS], own[ROUNDS];
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t per_round = opts->ops / ROUNDS ? opts->ops / ROUNDS : 1;
	struct mock_xen_port *m = NULL;
	struct gvt_xen *x = NULL;
	struct gvt_vgpu *vgpu = NULL;
	struct gvt_ctx *ctx = NULL;
	struct gvt_xen_stats st;
	int ret;

	ret = mock_xen_port_create(1, RAM_SIZE, &m);
	if (!ret)
		ret = gvt_ctx_create(&cp, &ctx);
	if (!ret)
		ret = gvt_xen_create_port(&xp, &mock_xen_port_ops, m, &x);
	if (!ret)
		ret = gvt_vgpu_create(ctx, "GVTg_V5_4", gvt_xen_hv_ops(x), x, &vgpu);
	if (!ret)
		ret = gvt_xen_attach(x, vgpu);
	if (!ret && efd < 0)
		ret = -errno;
	if (ret) {
		fprintf(stderr, "gvt-bench xen: setup: %s\n", strerror(-ret));
		goto out;
	}
	/* The firmware's part: BAR0 placed, memory decoding on. */
	cfg_write(m, x, 0x10, 4, (uint32_t)BAR0);
	cfg_write(m, x, 0x14, 4, (uint32_t)(BAR0 >> 32));
	cfg_write(m, x, 0x04, 2, 0x6);

	for (unsigned int round = 0; round < ROUNDS; round++) {
		sr[round] = via_shim(m, x, per_round, false);
		dr[round] = direct(vgpu, per_round, false);
		sw[round] = via_shim(m, x, per_round, true);
		dw[round] = direct(vgpu, per_round, true);
		ev[round] = event_pair(efd, per_round);
		if (sr[round] < 0 || sw[round] < 0 || dr[round] < 0 || dw[round] < 0 ||
		    ev[round] < 0) {
			fprintf(stderr, "gvt-bench xen: an access failed or was not answered\n");
			ret = -EIO;
			goto out;
		}
		own[round] = sr[round] - dr[round] - ev[round];
	}
	gvt_xen_get_stats(x, &st);
	bench_report("xen", "libgvt_read_ns", median(dr), "ns", "none", 0,
		     "gvt_vgpu_mmio_read of GT0_IMR, called directly");
	bench_report("xen", "libgvt_write_ns", median(dw), "ns", "none", 0,
		     "gvt_vgpu_mmio_write of GT0_IMR, called directly");
	bench_report("xen", "shim_read_ns", median(sr), "ns", "libgvt_read_ns", median(dr),
		     "a COPY read ioreq posted on the mock port and answered by gvt_xen_dispatch; Xen's own hop not included");
	bench_report("xen", "shim_write_ns", median(sw), "ns", "libgvt_write_ns", median(dw),
		     "a COPY write ioreq, as above");
	bench_report("xen", "event_pair_ns", median(ev), "ns", "none", 0,
		     "one eventfd write and read: the mock's event channel, in the shim's path");
	bench_report("xen", "shim_own_read_ns", median(own), "ns", "event_pair_ns", median(ev),
		     "a read through the shim less libgvt and the event pair: the shim's own logic");
	bench_report("xen", "libgvt_ns_per_request", (double)st.libgvt_ns / (double)st.requests,
		     "ns", "none", 0, "the shim's own counter of time inside libgvt");
out:
	if (efd >= 0)
		close(efd);
	if (vgpu)
		gvt_vgpu_destroy(vgpu);
	gvt_xen_destroy(x);
	gvt_ctx_destroy(ctx);
	mock_xen_port_destroy(m);
	return ret ? 1 : 0;
}
