// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the vfio-user server's message parser and handlers, fed the
 * byte stream a client (QEMU, or anything that can reach the socket) may
 * send, over a real socket, with real descriptors attached where the input
 * asks: a sealed memfd (guest RAM), an unsealed one, or an eventfd.
 *
 * The input is a series of records: one control byte, a little-endian
 * 16-bit length, then that many bytes of the stream. The control byte's
 * bits 0-2 choose a descriptor to attach (none, a sealed memfd, an
 * unsealed one, an eventfd, a blocking eventfd with a full counter, a
 * semaphore eventfd with a huge count, a sparse 1 TiB sealed memfd); bit 3
 * runs the server before the next record; bit 4 has libgvt's side read and
 * write guest memory at the address the record's first 8 bytes give, as
 * libgvt would (answered, if at all, by whatever the stream holds). The
 * server must answer or disconnect, never crash, hang or leak a descriptor
 * (ASan's leak check sees the mappings and memory; the fd count is
 * compared below).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private.h"
#include "vfio_user.h"

#define GUEST_RAM (64u << 10)

static struct gvt_ctx *ctx;

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

enum fd_kind {
	FD_NONE, FD_SEALED, FD_UNSEALED, FD_EVENTFD, FD_EVENTFD_FULL,
	FD_EVENTFD_SEMAPHORE, FD_SPARSE_HUGE,
};

static int make_fd(unsigned int kind)
{
	uint64_t count;
	int fd;

	switch (kind) {
	case FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case FD_EVENTFD_FULL:
	case FD_EVENTFD_SEMAPHORE:
		fd = eventfd(0, EFD_CLOEXEC | (kind == FD_EVENTFD_SEMAPHORE ? EFD_SEMAPHORE : 0));
		count = kind == FD_EVENTFD_FULL ? 0xfffffffffffffffeull : 1ull << 62;
		if (fd >= 0 && write(fd, &count, sizeof(count)) != sizeof(count)) {
			close(fd);
			return -1;
		}
		return fd;
	case FD_SEALED:
	case FD_UNSEALED:
	case FD_SPARSE_HUGE:
		fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd < 0)
			return -1;
		if (ftruncate(fd, kind == FD_SPARSE_HUGE ? (off_t)1 << 40 : GUEST_RAM) ||
		    (kind != FD_UNSEALED && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))) {
			close(fd);
			return -1;
		}
		return fd;
	default:
		return -1;
	}
}

static void send_record(int sock, const uint8_t *data, size_t len, unsigned int kind)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = kind ? make_fd(kind) : -1;

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* A full socket drops the rest of the record: the server reads it
	 * as a stream that stopped, which is input too. */
	if (len)
		sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (fd >= 0)
		close(fd);
}

/* Let the server work, and read whatever it replies. */
static void run_server(struct gvt_vfu *vfu, int sock)
{
	char sink[4096];

	for (int i = 0; i < 16; i++) {
		int handled = gvt_vfu_dispatch(vfu);

		while (recv(sock, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		if (handled <= 0 || !gvt_vfu_connected(vfu))
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvt_vfu_params params = {
		.log_fn = quiet,
		.dma_timeout_ms = 1,	/* nobody answers DMA requests for long */
	};
	struct gvt_vgpu *vgpu;
	struct gvt_vfu *vfu;
	int sv[2], before;

	if (!ctx) {
		struct gvt_ctx_params p = {
			.platform = GVT_PLATFORM_SKL,
			.backend = GVT_BACKEND_SIM,
			.aperture_mib = 256,
			.log_fn = quiet,
		};

		if (gvt_ctx_create(&p, &ctx))
			abort();
	}
	before = open_fds();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	params.connected_fd = sv[1];
	if (gvt_vfu_create(&params, &vfu)) {
		close(sv[0]);
		return 0;
	}
	if (gvt_vgpu_create(ctx, "GVTg_V5_8", &gvt_vfu_hv_ops, vfu, &vgpu))
		abort();
	gvt_vfu_attach(vfu, vgpu);

	while (size >= 3 && gvt_vfu_connected(vfu)) {
		unsigned int ctl = data[0];
		size_t len = (size_t)(data[1] | data[2] << 8);

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		send_record(sv[0], data, len, ctl & 7);
		if (ctl & 0x10 && len >= 8) {
			uint8_t buf[64] = { 0 };
			uint64_t gpa;

			memcpy(&gpa, data, sizeof(gpa));
			(void)gvt_vfu_hv_ops.read_gpa(vfu, gpa, buf, sizeof(buf));
			(void)gvt_vfu_hv_ops.write_gpa(vfu, gpa, buf, sizeof(buf));
		}
		data += len;
		size -= len;
		if (ctl & 8 || !size)
			run_server(vfu, sv[0]);
	}
	run_server(vfu, sv[0]);
	close(sv[0]);
	run_server(vfu, -1); /* sees the hang-up: releases the client's things */

	gvt_vgpu_destroy(vgpu);
	gvt_vfu_destroy(vfu);
	if (open_fds() != before)
		abort(); /* a descriptor leaked */
	return 0;
}
