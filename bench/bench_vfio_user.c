// SPDX-License-Identifier: MIT
/*
 * vfio-user: what one guest register read costs end to end on the device
 * server's side of the socket. A client thread sends REGION_READ of a BAR0
 * register, as QEMU does for a trapped guest load, and waits for the reply;
 * the server thread polls and dispatches, as gvtd does. The baseline is
 * the same two threads passing messages of the same sizes through a
 * socketpair with no protocol and no libgvt behind them: the ratio is what
 * the server adds to the transport it cannot avoid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gvt/gvt.h>

#include "bench.h"
#include "internal.h"

#define REG_GT0_IMR 0x44304
#define REQ_SIZE (VFU_HDR_SIZE + sizeof(struct vfu_region_access))
#define REPLY_SIZE (REQ_SIZE + 4)

static atomic_bool stop;

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void *serve_vfu(void *arg)
{
	struct gvt_vfu *vfu = arg;

	while (!atomic_load(&stop)) {
		struct pollfd p = { .fd = gvt_vfu_fd(vfu), .events = POLLIN };

		if (poll(&p, 1, 10) > 0)
			gvt_vfu_dispatch(vfu);
	}
	return NULL;
}

/* The baseline server: same wake-up, same message sizes, nothing done. */
static void *serve_echo(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[REPLY_SIZE] = { 0 };

	while (!atomic_load(&stop)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10) <= 0)
			continue;
		if (recv(fd, buf, REQ_SIZE, MSG_WAITALL) != (ssize_t)REQ_SIZE ||
		    send(fd, buf, REPLY_SIZE, MSG_NOSIGNAL) != (ssize_t)REPLY_SIZE)
			break;
	}
	return NULL;
}

static int round_trip(int fd, const void *req, size_t req_len, void *reply,
		      size_t reply_len)
{
	if (send(fd, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len ||
	    recv(fd, reply, reply_len, MSG_WAITALL) != (ssize_t)reply_len)
		return -EIO;
	return 0;
}

static int negotiate(int fd)
{
	struct {
		struct vfu_hdr hdr;
		struct vfu_version v;
		char json[3];
	} __attribute__((packed)) req = {
		{ .command = VFU_CMD_VERSION, .size = sizeof(req) }, { 0, 0 }, "{}",
	};
	uint8_t reply[256];
	struct vfu_hdr hdr;

	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req) ||
	    recv(fd, &hdr, sizeof(hdr), MSG_WAITALL) != (ssize_t)sizeof(hdr) ||
	    hdr.size < sizeof(hdr) || hdr.size - sizeof(hdr) > sizeof(reply) ||
	    recv(fd, reply, hdr.size - sizeof(hdr), MSG_WAITALL) !=
		    (ssize_t)(hdr.size - sizeof(hdr)) ||
	    (hdr.flags & VFU_FLAG_ERROR))
		return -EIO;
	return 0;
}

/* Time @n round trips of a REGION_READ-shaped exchange on @fd. */
static int time_reads(int fd, uint64_t n, double *samples)
{
	struct {
		struct vfu_hdr hdr;
		struct vfu_region_access acc;
	} req = {
		{ .command = VFU_CMD_REGION_READ, .size = REQ_SIZE },
		{ .offset = REG_GT0_IMR, .region = VFIO_PCI_BAR0_REGION_INDEX, .count = 4 },
	};
	uint8_t reply[REPLY_SIZE];

	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		req.hdr.msg_id = (uint16_t)i;
		if (round_trip(fd, &req, sizeof(req), reply, sizeof(reply)))
			return -EIO;
		samples[i] = (double)(bench_now_ns() - t0);
	}
	return 0;
}

int bench_vfio_user(const struct bench_opts *opts)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = quiet,
	};
	uint64_t n = opts->ops / 100;
	struct gvt_vfu_params vp = { .log_fn = quiet };
	struct gvt_vfu_stats stats;
	struct gvt_ctx *ctx = NULL;
	struct gvt_vgpu *vgpu = NULL;
	struct gvt_vfu *vfu = NULL;
	int vfu_sv[2] = { -1, -1 }, echo_sv[2] = { -1, -1 };
	double *vfu_ns = NULL, *echo_ns = NULL;
	pthread_t vfu_thread, echo_thread;
	int ret = -1;

	n = n < 2000 ? 2000 : n > 100000 ? 100000 : n;
	vfu_ns = malloc(n * sizeof(*vfu_ns));
	echo_ns = malloc(n * sizeof(*echo_ns));
	if (!vfu_ns || !echo_ns ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, vfu_sv) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, echo_sv) ||
	    gvt_ctx_create(&params, &ctx))
		goto out;
	vp.connected_fd = vfu_sv[1];
	vfu_sv[1] = -1;
	if (gvt_vfu_create(&vp, &vfu) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_4", &gvt_vfu_hv_ops, vfu, &vgpu))
		goto out;
	gvt_vfu_attach(vfu, vgpu);

	atomic_store(&stop, false);
	if (pthread_create(&vfu_thread, NULL, serve_vfu, vfu))
		goto out;
	ret = negotiate(vfu_sv[0]);
	/* Warm up, then measure; the same for the baseline. */
	ret = ret ? ret : time_reads(vfu_sv[0], n / 10, vfu_ns);
	ret = ret ? ret : time_reads(vfu_sv[0], n, vfu_ns);
	atomic_store(&stop, true);
	pthread_join(vfu_thread, NULL);
	if (ret)
		goto out;
	gvt_vfu_get_stats(vfu, &stats);

	atomic_store(&stop, false);
	if (pthread_create(&echo_thread, NULL, serve_echo, &echo_sv[1])) {
		ret = -1;
		goto out;
	}
	ret = time_reads(echo_sv[0], n / 10, echo_ns);
	ret = ret ? ret : time_reads(echo_sv[0], n, echo_ns);
	atomic_store(&stop, true);
	pthread_join(echo_thread, NULL);
	if (ret)
		goto out;

	double echo_p50 = bench_quantile(echo_ns, n, 0.5) / 1000.0;

	bench_report("vfio-user", "region_read_round_trip_us_p50",
		     bench_quantile(vfu_ns, n, 0.5) / 1000.0, "us",
		     "socketpair_round_trip_us_p50", echo_p50,
		     "a guest register read through the vfio-user server, both threads polling as gvtd does");
	bench_report("vfio-user", "region_read_round_trip_us_p99",
		     bench_quantile(vfu_ns, n, 0.99) / 1000.0, "us",
		     "socketpair_round_trip_us_p99", bench_quantile(echo_ns, n, 0.99) / 1000.0,
		     NULL);
	bench_report("vfio-user", "libgvt_ns_per_exit",
		     (double)stats.libgvt_ns / (double)stats.exits, "ns",
		     "region_read_round_trip_ns_p50", bench_quantile(vfu_ns, n, 0.5),
		     "time inside libgvt per access, as gvtd reports it (hot caches)");
out:
	if (ret)
		fprintf(stderr, "gvt-bench vfio-user: setup or a round trip failed\n");
	gvt_vgpu_destroy(vgpu);
	gvt_vfu_destroy(vfu);
	gvt_ctx_destroy(ctx);
	for (int i = 0; i < 2; i++) {
		if (vfu_sv[i] >= 0)
			close(vfu_sv[i]);
		if (echo_sv[i] >= 0)
			close(echo_sv[i]);
	}
	free(vfu_ns);
	free(echo_ns);
	return ret ? 1 : 0;
}
