// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the vfio-user server's message parser and handlers, fed the
 * byte stream a client (QEMU, or anything that can reach the socket) may
 * send, over a real socket, with real descriptors attached where the input
 * asks: a sealed memfd (guest RAM), an unsealed one, or an eventfd.
 *
 * The input is a series of records: one control byte (bits 0-1: which
 * descriptor to attach, if any; bit 2: run the server before sending the
 * next record), a little-endian 16-bit length, then that many bytes of the
 * stream. The server must answer or disconnect, never crash, hang or leak
 * a descriptor (ASan's leak check sees the mappings and memory; the fd
 * count is compared below).
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

static int make_fd(unsigned int kind)
{
	int fd;

	if (kind == 3)
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, GUEST_RAM) ||
	    (kind == 1 && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))) {
		close(fd);
		return -1;
	}
	return fd;
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
		.dma_timeout_ms = 1,
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
		send_record(sv[0], data, len, ctl & 3);
		data += len;
		size -= len;
		if (ctl & 4 || !size)
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
