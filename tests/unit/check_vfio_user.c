// SPDX-License-Identifier: MIT
/*
 * The vfio-user server, driven by a test client over a socketpair: the
 * protocol as QEMU speaks it, the device it describes, guest memory from
 * DMA_MAP (mapped, retired, or reached by message), interrupts through
 * eventfds, and what a broken or hostile client gets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define DEVICE_ID 0x1912
#define PVINFO_MAGIC 0x4776544776544776ull
#define GUEST_GPA 0x100000ull
#define GUEST_SIZE (1u << 20)
#define MASTER_IRQ 0x44200
#define GT0_IMR 0x44304
#define GT0_IER 0x4430c

static struct gvt_vfu *vfu;
static int client = -1;		/* the test's end of the socket */
static uint16_t next_id = 100;

static void vfu_setup(void)
{
	struct gvt_vfu_params p = {
		.connected_fd = -1,
		.log_fn = t_log_sink,
		.log_level = GVT_LOG_DEBUG,
		.dma_timeout_ms = 200,
	};
	int sv[2];

	t_setup_ctx();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	client = sv[0];
	p.connected_fd = sv[1];
	ck_assert_int_eq(gvt_vfu_create(&p, &vfu), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_4", &gvt_vfu_hv_ops, vfu,
					 &t_vgpu), 0);
	gvt_vfu_attach(vfu, t_vgpu);
}

static void vfu_teardown(void)
{
	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	gvt_vfu_destroy(vfu);
	vfu = NULL;
	if (client >= 0)
		close(client);
	client = -1;
	t_teardown();
}

/* ---- a client ---- */

static void send_msg_fds(uint16_t cmd, uint32_t flags, const void *payload,
			 size_t len, const int *fds, unsigned int nfds, uint16_t *id)
{
	struct vfu_hdr hdr = {
		.msg_id = next_id++,
		.command = cmd,
		.size = (uint32_t)(sizeof(hdr) + len),
		.flags = flags,
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ck_assert_int_eq(sendmsg(client, &mh, MSG_NOSIGNAL), (ssize_t)(sizeof(hdr) + len));
	if (id)
		*id = hdr.msg_id;
}

static uint16_t send_msg(uint16_t cmd, uint32_t flags, const void *payload, size_t len)
{
	uint16_t id;

	send_msg_fds(cmd, flags, payload, len, NULL, 0, &id);
	return id;
}

/* Let the server run until the client has something to read, or it does
 * not within a while. Return: true if readable. */
static bool pump(void)
{
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = client, .events = POLLIN };

		gvt_vfu_dispatch(vfu);
		if (poll(&p, 1, 2) > 0)
			return true;
	}
	return false;
}

/* Read exactly @len bytes. The main thread keeps the server running
 * meanwhile (a reply may arrive in pieces); the DMA client thread must
 * not touch the server and just blocks. */
static bool read_exact(void *buf, size_t len, bool run_server)
{
	size_t got = 0;

	for (int idle = 0; got < len && idle < 2000;) {
		ssize_t n = recv(client, (char *)buf + got, len - got,
				 run_server ? MSG_DONTWAIT : 0);

		if (n > 0) {
			got += (size_t)n;
			idle = 0;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			return false;
		} else {
			gvt_vfu_dispatch(vfu);
			poll(&(struct pollfd){ .fd = client, .events = POLLIN }, 1, 1);
			idle++;
		}
	}
	return got == len;
}

static bool read_full(void *buf, size_t len)
{
	return read_exact(buf, len, true);
}

/* A reply: header and payload (into @buf, up to @len bytes). */
static struct vfu_hdr recv_reply(void *buf, size_t len, uint32_t *payload_len)
{
	struct vfu_hdr hdr;
	uint32_t n;

	ck_assert(pump());
	ck_assert(read_full(&hdr, sizeof(hdr)));
	ck_assert_uint_ge(hdr.size, sizeof(hdr));
	n = hdr.size - (uint32_t)sizeof(hdr);
	ck_assert_uint_le(n, len);
	ck_assert(read_full(buf, n));
	if (payload_len)
		*payload_len = n;
	return hdr;
}

/* A request, with descriptor @fd attached unless it is -1, and its reply:
 * returns the reply's errno (0 on success). */
static int call_fd(uint16_t cmd, const void *payload, size_t len, int fd,
		   void *out, size_t out_len, uint32_t *got)
{
	uint16_t id;
	struct vfu_hdr r;

	send_msg_fds(cmd, 0, payload, len, &fd, fd >= 0, &id);
	r = recv_reply(out, out_len, got);

	ck_assert_uint_eq(r.msg_id, id);
	ck_assert_uint_eq(r.command, cmd);
	ck_assert_uint_eq(r.flags & VFU_FLAG_TYPE_MASK, VFU_TYPE_REPLY);
	return r.flags & VFU_FLAG_ERROR ? (int)r.error : 0;
}

static int call(uint16_t cmd, const void *payload, size_t len, void *out,
		size_t out_len, uint32_t *got)
{
	return call_fd(cmd, payload, len, -1, out, out_len, got);
}

static void negotiate(bool write_multiple)
{
	char buf[256];
	char json[128];
	struct vfu_version *v = (struct vfu_version *)buf;
	uint32_t got;
	int n = snprintf(json, sizeof(json),
			 "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576%s}}",
			 write_multiple ? ",\"write_multiple\":true" : "");

	v->major = 0;
	v->minor = 0;
	memcpy(v->json, json, (size_t)n + 1);
	ck_assert_int_eq(call(VFU_CMD_VERSION, buf, sizeof(*v) + (size_t)n + 1, buf,
			      sizeof(buf), &got), 0);
	ck_assert_uint_ge(got, 5);
	ck_assert_uint_eq(v->major, 0);
	ck_assert_uint_eq(v->minor, 0);
	ck_assert_uint_eq(buf[got - 1], '\0');
	ck_assert_uint_lt(got, sizeof(*v) + (size_t)n + 1 + 16); /* fits QEMU's buffer */
}

static int region_rw(uint32_t region, uint64_t offset, void *data, uint32_t count,
		     bool write)
{
	uint8_t buf[4096 + 16];
	struct vfu_region_access *a = (struct vfu_region_access *)buf;
	uint32_t got;
	int err;

	a->offset = offset;
	a->region = region;
	a->count = count;
	if (write)
		memcpy(a->data, data, count);
	err = call(write ? VFU_CMD_REGION_WRITE : VFU_CMD_REGION_READ, buf,
		   sizeof(*a) + (write ? count : 0), buf, sizeof(buf), &got);
	if (!err && !write) {
		ck_assert_uint_eq(got, sizeof(*a) + count);
		memcpy(data, a->data, count);
	}
	return err;
}

static uint32_t bar0_r32(uint64_t off)
{
	uint32_t v = 0;

	ck_assert_int_eq(region_rw(VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4, false), 0);
	return v;
}

static void bar0_w32(uint64_t off, uint32_t v)
{
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR0_REGION_INDEX, off, &v, 4, true), 0);
}

static void cfg_w(uint32_t off, uint32_t v, uint32_t len)
{
	ck_assert_int_eq(region_rw(VFIO_PCI_CONFIG_REGION_INDEX, off, &v, len, true), 0);
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Guest RAM the way QEMU shares it: a memfd, sealed against resizing. */
static int guest_memfd(bool sealed)
{
	int fd = memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, GUEST_SIZE), 0);
	if (sealed)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

static int dma_map(uint64_t gpa, uint64_t size, uint32_t flags, int fd)
{
	struct vfu_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .addr = gpa, .size = size,
	};
	char buf[64];

	return call_fd(VFU_CMD_DMA_MAP, &m, sizeof(m), fd, buf, sizeof(buf), NULL);
}

static int dma_unmap(uint64_t gpa, uint64_t size, uint32_t flags)
{
	struct vfu_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .addr = gpa, .size = size,
	};
	char buf[64];

	return call(VFU_CMD_DMA_UNMAP, &u, sizeof(u), buf, sizeof(buf), NULL);
}

static int set_irqs(uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
		    int fd)
{
	struct vfu_irq_set s = {
		.argsz = sizeof(s), .flags = flags, .index = index,
		.start = start, .count = count,
	};
	char buf[64];

	return call_fd(VFU_CMD_DEVICE_SET_IRQS, &s, sizeof(s), fd, buf, sizeof(buf), NULL);
}

static uint64_t eventfd_count(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* ---- the protocol ---- */

START_TEST(test_vfio_user_version_is_negotiated_once)
{
	char buf[256];

	negotiate(true);
	ck_assert(vfu->write_multi);
	ck_assert_int_eq(call(VFU_CMD_VERSION, "\0\0\0\0{}", 7, buf, sizeof(buf), NULL),
			 EINVAL);
	ck_assert(t_log_has("VERSION sent twice"));
}
END_TEST

START_TEST(test_vfio_user_version_rejects_what_it_cannot_read)
{
	char buf[256];
	static const char no_nul[] = "\0\0\0\0{}";	/* sent without its NUL */
	static const char not_object[] = "\0\0\0\0[1]";
	static const char major1[] = "\1\0\0\0{}";

	ck_assert_int_eq(call(VFU_CMD_VERSION, no_nul, 6, buf, sizeof(buf), NULL), EINVAL);
	ck_assert_int_eq(call(VFU_CMD_VERSION, not_object, sizeof(not_object), buf,
			      sizeof(buf), NULL), EINVAL);
	ck_assert_int_eq(call(VFU_CMD_VERSION, major1, sizeof(major1), buf, sizeof(buf),
			      NULL), ENOTSUP);
	ck_assert(!vfu->negotiated);
	/* Without capabilities the defaults hold. */
	ck_assert_int_eq(call(VFU_CMD_VERSION, "\0\0\0\0", 4, buf, sizeof(buf), NULL), 0);
	ck_assert(vfu->negotiated && !vfu->write_multi);
}
END_TEST

START_TEST(test_vfio_user_commands_wait_for_version)
{
	struct vfu_device_info info = { .argsz = sizeof(info) };
	char buf[64];

	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_INFO, &info, sizeof(info), buf,
			      sizeof(buf), NULL), EINVAL);
	ck_assert(t_log_has("DEVICE_GET_INFO before VERSION"));
}
END_TEST

START_TEST(test_vfio_user_describes_a_pci_device)
{
	struct vfu_device_info info = { .argsz = sizeof(info) };
	struct vfu_region_info ri = { .argsz = sizeof(ri) };
	static const uint64_t sizes[VFU_NUM_REGIONS] = {
		[0] = 16u << 20, [2] = 1024ull << 20, [4] = 64, [7] = 256,
	};
	struct vfu_irq_info ii = { .argsz = sizeof(ii) };
	uint32_t got;

	negotiate(false);
	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_INFO, &info, sizeof(info), &info,
			      sizeof(info), &got), 0);
	ck_assert_uint_eq(got, sizeof(info));
	ck_assert_uint_eq(info.flags, VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI);
	ck_assert_uint_eq(info.num_regions, 9);
	ck_assert_uint_eq(info.num_irqs, 5);

	for (uint32_t i = 0; i < VFU_NUM_REGIONS; i++) {
		ri = (struct vfu_region_info){ .argsz = sizeof(ri), .index = i };
		ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), &ri,
				      sizeof(ri), &got), 0);
		ck_assert_uint_eq(got, sizeof(ri));
		ck_assert_uint_eq(ri.index, i);
		ck_assert_uint_eq(ri.size, sizes[i]);
		/* Never mappable: every access must reach libgvt. */
		ck_assert_uint_eq(ri.flags, sizes[i] ? VFIO_REGION_INFO_FLAG_READ |
						       VFIO_REGION_INFO_FLAG_WRITE : 0);
	}
	ri = (struct vfu_region_info){ .argsz = sizeof(ri), .index = 9 };
	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_REGION_INFO, &ri, sizeof(ri), &ri,
			      sizeof(ri), NULL), EINVAL);

	for (uint32_t i = 0; i < 5; i++) {
		ii = (struct vfu_irq_info){ .argsz = sizeof(ii), .index = i };
		ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), &ii,
				      sizeof(ii), NULL), 0);
		ck_assert_uint_eq(ii.count, i <= VFIO_PCI_MSI_IRQ_INDEX ? 1 : 0);
	}
	ii = (struct vfu_irq_info){ .argsz = sizeof(ii), .index = 5 };
	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_IRQ_INFO, &ii, sizeof(ii), &ii,
			      sizeof(ii), NULL), EINVAL);
}
END_TEST

START_TEST(test_vfio_user_config_space_reads_whole)
{
	uint8_t cfg[256];
	uint32_t bar4;

	negotiate(false);
	ck_assert_int_eq(region_rw(VFIO_PCI_CONFIG_REGION_INDEX, 0, cfg, 256, false), 0);
	ck_assert_uint_eq(cfg[0] | cfg[1] << 8, 0x8086);
	ck_assert_uint_eq(cfg[2] | cfg[3] << 8, DEVICE_ID);
	memcpy(&bar4, cfg + 0x20, 4);
	ck_assert_uint_eq(bar4 & 1, 1);	/* QEMU takes BAR types from here */
	ck_assert_uint_eq(cfg[0x3d], 1);	/* INTA */
	/* Past the end, or nothing at all. */
	ck_assert_int_eq(region_rw(VFIO_PCI_CONFIG_REGION_INDEX, 0, cfg, 257, false),
			 EINVAL);
	ck_assert_int_eq(region_rw(VFIO_PCI_CONFIG_REGION_INDEX, 0, cfg, 0, false),
			 EINVAL);
	ck_assert_int_eq(region_rw(VFIO_PCI_ROM_REGION_INDEX, 0, cfg, 4, false), EINVAL);
	ck_assert_uint_eq(vfu->stats.cfg_accesses, 3); /* the refused ones too */
}
END_TEST

START_TEST(test_vfio_user_bar_accesses_reach_libgvt)
{
	uint64_t magic = 0;
	uint32_t v;

	negotiate(false);
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR0_REGION_INDEX, 0x78000, &magic, 8, false), 0);
	ck_assert_uint_eq(magic, PVINFO_MAGIC);
	bar0_w32(GT0_IMR, 0x12345678);
	ck_assert_uint_eq(bar0_r32(GT0_IMR), 0x12345678);
	/* BAR4: MMIO_INDEX, then MMIO_DATA reads the register it selects. */
	v = GT0_IMR;
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR4_REGION_INDEX, 0, &v, 4, true), 0);
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR4_REGION_INDEX, 4, &v, 4, false), 0);
	ck_assert_uint_eq(v, 0x12345678);
	/* An unaligned 8-byte access is split into what libgvt takes. */
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR0_REGION_INDEX, 0x78002, &magic, 8, false), 0);
	ck_assert_uint_eq(vfu->stats.mmio_accesses, 6);
	ck_assert_uint_eq(vfu->stats.exits, 6);
	ck_assert_uint_gt(vfu->stats.libgvt_ns, 0);
}
END_TEST

START_TEST(test_vfio_user_posted_writes_get_no_reply)
{
	struct {
		struct vfu_region_access a;
		uint32_t v;
	} w = { { GT0_IMR, VFIO_PCI_BAR0_REGION_INDEX, 4 }, 0xabcd };

	negotiate(false);
	send_msg(VFU_CMD_REGION_WRITE, VFU_FLAG_NO_REPLY, &w, sizeof(w.a) + sizeof(w.v));
	/* The next reply is the read's: the write was applied before it. */
	ck_assert_uint_eq(bar0_r32(GT0_IMR), 0xabcd);
}
END_TEST

START_TEST(test_vfio_user_write_multi)
{
	struct {
		uint64_t count;
		struct vfu_write_multi_entry e[2];
	} m = { 2, {
		{ GT0_IMR, VFIO_PCI_BAR0_REGION_INDEX, 4, { 0x11, 0x22, 0x33, 0x44 } },
		{ GT0_IER, VFIO_PCI_BAR0_REGION_INDEX, 2, { 0x55, 0x66 } },
	} };
	char buf[64];

	negotiate(false);
	/* Not negotiated: refused. */
	ck_assert_int_eq(call(VFU_CMD_REGION_WRITE_MULTI, &m, sizeof(m), buf,
			      sizeof(buf), NULL), EINVAL);
	vfu->negotiated = false;
	negotiate(true);
	send_msg(VFU_CMD_REGION_WRITE_MULTI, VFU_FLAG_NO_REPLY, &m, sizeof(m));
	ck_assert_uint_eq(bar0_r32(GT0_IMR), 0x44332211);
	ck_assert_uint_eq(bar0_r32(GT0_IER) & 0xffff, 0x6655);
	/* A count that disagrees with the size. */
	m.count = 3;
	ck_assert_int_eq(call(VFU_CMD_REGION_WRITE_MULTI, &m, sizeof(m), buf,
			      sizeof(buf), NULL), EINVAL);
}
END_TEST

START_TEST(test_vfio_user_device_reset)
{
	char buf[16];
	uint32_t got = 1;

	negotiate(false);
	bar0_w32(GT0_IMR, 0);
	ck_assert_int_eq(call(VFU_CMD_DEVICE_RESET, NULL, 0, buf, sizeof(buf), &got), 0);
	ck_assert_uint_eq(got, 0);	/* QEMU's buffer has room for the header only */
	ck_assert_uint_eq(bar0_r32(GT0_IMR), 0xffffffff);
}
END_TEST

START_TEST(test_vfio_user_unsupported_commands)
{
	char buf[64];

	negotiate(false);
	ck_assert_int_eq(call(VFU_CMD_DEVICE_FEATURE, "\0\0\0\0\0\0\0\0", 8, buf,
			      sizeof(buf), NULL), ENOTTY);
	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_REGION_IO_FDS, NULL, 0, buf,
			      sizeof(buf), NULL), ENOSYS);
	ck_assert_int_eq(call(14, NULL, 0, buf, sizeof(buf), NULL), ENOSYS);
	ck_assert_int_eq(call(999, NULL, 0, buf, sizeof(buf), NULL), ENOSYS);
	/* The server's own requests are not the client's to send. */
	ck_assert_int_eq(call(VFU_CMD_DMA_READ, NULL, 0, buf, sizeof(buf), NULL), EINVAL);
	/* A payload too short for the command. */
	ck_assert_int_eq(call(VFU_CMD_DEVICE_GET_REGION_INFO, "\x20\0\0\0", 4, buf,
			      sizeof(buf), NULL), EINVAL);
}
END_TEST

/* ---- guest memory ---- */

START_TEST(test_vfio_user_dma_map_gives_libgvt_guest_ram)
{
	int fd = guest_memfd(true);
	uint8_t *ram = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uint64_t bus = 0, word = 0;

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, GUEST_SIZE, VFU_DMA_READ | VFU_DMA_WRITE, fd), 0);
	close(fd); /* the server keeps its own mapping */
	ck_assert_ptr_nonnull(vfu->regions[0].host);
	memcpy(ram + 0x1000, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA + 0x1000, &word, 8), 0);
	ck_assert_uint_eq(word, 0x8877665544332211ull);
	word = 0xfeedface;
	ck_assert_int_eq(gvt_vfu_hv_ops.write_gpa(vfu, GUEST_GPA + 0x2000, &word, 4), 0);
	ck_assert_uint_eq(*(uint32_t *)(ram + 0x2000), 0xfeedface);
	/* Outside every region. */
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, 0, &word, 8), -EFAULT);
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA + GUEST_SIZE - 4, &word, 8),
			 -EFAULT);

	/* The GPU's view: a bus address inside our mapping. */
	ck_assert_int_eq(gvt_vfu_hv_ops.dma_map(vfu, (GUEST_GPA >> 12) + 3, 4096, &bus), 0);
	ck_assert_uint_eq(*(uint32_t *)(uintptr_t)(bus - 0x1000), 0xfeedface);
	ck_assert_int_eq(gvt_vfu_hv_ops.dma_unmap(vfu, bus, 4096), 0);
	ck_assert_int_eq(gvt_vfu_hv_ops.dma_map(vfu, 0, 4096, &bus), -EFAULT);
	ck_assert_uint_eq(vfu->stats.dma_maps, 1);
	munmap(ram, GUEST_SIZE);
}
END_TEST

START_TEST(test_vfio_user_ggtt_entries_map_through_the_server)
{
	int fd = guest_memfd(true);
	struct gvt_vgpu_info info;
	struct gvt_vgpu_stats stats;
	uint64_t pte = (GUEST_GPA + 0x5000) | 1;
	uint64_t at;

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, GUEST_SIZE, VFU_DMA_READ | VFU_DMA_WRITE, fd), 0);
	close(fd);
	ck_assert_int_eq(gvt_vgpu_get_info(t_vgpu, &info), 0);
	at = (8u << 20) + (info.aperture_base >> 12) * 8;
	ck_assert_int_eq(region_rw(VFIO_PCI_BAR0_REGION_INDEX, at, &pte, 8, true), 0);
	ck_assert_int_eq(gvt_vgpu_get_stats(t_vgpu, &stats), 0);
	ck_assert_uint_eq(stats.ggtt_writes, 1);
	ck_assert_uint_eq(stats.ggtt_map_failures, 0);
	ck_assert_uint_eq(vfu->regions[0].refs, 1);

	/* The client unmaps the region under the GPU's feet: it stays mapped,
	 * retired, until libgvt lets go. */
	ck_assert_int_eq(dma_unmap(GUEST_GPA, GUEST_SIZE, 0), 0);
	ck_assert_uint_eq(vfu->num_regions, 0);
	ck_assert_uint_eq(vfu->num_retired, 1);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(vfu->num_retired, 0);
}
END_TEST

START_TEST(test_vfio_user_dma_map_rules)
{
	int fd = guest_memfd(true);
	int two[2] = { fd, fd };
	struct vfu_dma_map m = {
		.argsz = sizeof(m), .flags = VFU_DMA_READ, .addr = 0x200000, .size = 4096,
	};
	char buf[64];
	uint16_t id;

	negotiate(false);
	/* Unaligned, empty, wrapping, unknown flags, no READ. */
	ck_assert_int_eq(dma_map(0x1001, 4096, VFU_DMA_READ, -1), EINVAL);
	ck_assert_int_eq(dma_map(0x1000, 0, VFU_DMA_READ, -1), EINVAL);
	ck_assert_int_eq(dma_map(~0xfffull, 0x2000, VFU_DMA_READ, -1), EINVAL);
	ck_assert_int_eq(dma_map(0x1000, 4096, 0x4 | VFU_DMA_READ, -1), EINVAL);
	ck_assert_int_eq(dma_map(0x1000, 4096, VFU_DMA_WRITE, -1), EINVAL);
	/* A file shorter than the region. */
	ck_assert_int_eq(dma_map(0x1000, 2 * GUEST_SIZE, VFU_DMA_READ, fd), EINVAL);
	/* Two descriptors for one region. */
	send_msg_fds(VFU_CMD_DMA_MAP, 0, &m, sizeof(m), two, 2, &id);
	ck_assert_uint_eq(recv_reply(buf, sizeof(buf), NULL).error, EINVAL);
	/* Overlap. */
	ck_assert_int_eq(dma_map(0x100000, 0x10000, VFU_DMA_READ | VFU_DMA_WRITE, -1), 0);
	ck_assert_int_eq(dma_map(0x108000, 0x10000, VFU_DMA_READ, -1), EEXIST);
	ck_assert_int_eq(dma_map(0xf8000, 0x10000, VFU_DMA_READ, -1), EEXIST);
	ck_assert_int_eq(dma_map(0x110000, 0x1000, VFU_DMA_READ, -1), 0);
	/* Unmap: exact ranges only; then everything. */
	ck_assert_int_eq(dma_unmap(0x100000, 0x1000, 0), ENOENT);
	ck_assert_int_eq(dma_unmap(0, 0, VFU_UNMAP_GET_DIRTY_BITMAP), ENOTSUP);
	ck_assert_int_eq(dma_unmap(0x1000, 0, VFU_UNMAP_ALL), EINVAL);
	ck_assert_int_eq(dma_unmap(0, 0, VFU_UNMAP_ALL), 0);
	ck_assert_uint_eq(vfu->num_regions, 0);
	close(fd);
}
END_TEST

START_TEST(test_vfio_user_unsealed_memory_is_not_mapped)
{
	int fd = guest_memfd(false);
	uint64_t bus;

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, GUEST_SIZE, VFU_DMA_READ | VFU_DMA_WRITE, fd), 0);
	close(fd);
	ck_assert_ptr_null(vfu->regions[0].host);
	ck_assert(t_log_has("not sealed against shrinking"));
	/* The GPU cannot be given what only messages reach. */
	ck_assert_int_eq(gvt_vfu_hv_ops.dma_map(vfu, GUEST_GPA >> 12, 4096, &bus), -EFAULT);
}
END_TEST

/* A client that answers DMA_READ/DMA_WRITE from its own copy of guest
 * memory, as QEMU does for RAM it shared no descriptor for. */
static uint8_t client_ram[8192];
static int client_requests;

static void *dma_client(void *arg)
{
	(void)arg;
	for (int served = 0; served < client_requests; served++) {
		struct {
			struct vfu_hdr hdr;
			struct vfu_dma_access acc;
			uint8_t data[8192];
		} m;
		struct {
			struct vfu_hdr hdr;
			struct vfu_dma_access acc;
			uint8_t data[8192];
		} r;
		uint64_t off;

		if (!read_exact(&m.hdr, sizeof(m.hdr), false) ||
		    !read_exact(&m.acc, m.hdr.size - sizeof(m.hdr), false))
			return NULL;
		off = m.acc.addr - GUEST_GPA;
		r.hdr = m.hdr;
		r.hdr.flags = VFU_TYPE_REPLY;
		r.acc = m.acc;
		r.hdr.size = sizeof(r.hdr) + sizeof(r.acc);
		if (m.hdr.command == VFU_CMD_DMA_READ) {
			memcpy(r.data, client_ram + off, m.acc.count);
			r.hdr.size += (uint32_t)m.acc.count;
		} else {
			memcpy(client_ram + off, m.data, m.acc.count);
		}
		if (write(client, &r, r.hdr.size) != (ssize_t)r.hdr.size)
			return NULL;
	}
	return NULL;
}

START_TEST(test_vfio_user_memory_without_a_descriptor_goes_by_message)
{
	pthread_t t;
	uint8_t buf[6000];

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, sizeof(client_ram), VFU_DMA_READ | VFU_DMA_WRITE,
				 -1), 0);
	for (size_t i = 0; i < sizeof(client_ram); i++)
		client_ram[i] = (uint8_t)(i * 7);
	client_requests = 2;
	ck_assert_int_eq(pthread_create(&t, NULL, dma_client, NULL), 0);
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA + 100, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], (uint8_t)((i + 100) * 7));
	memset(buf, 0xa5, 16);
	ck_assert_int_eq(gvt_vfu_hv_ops.write_gpa(vfu, GUEST_GPA + 8, buf, 16), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(client_ram[8], 0xa5);
	ck_assert_uint_eq(client_ram[23], 0xa5);
	ck_assert_uint_eq(client_ram[24], (uint8_t)(24 * 7));
	ck_assert_uint_eq(vfu->stats.dma_messages, 2);
}
END_TEST

START_TEST(test_vfio_user_dma_message_times_out)
{
	uint8_t buf[8];

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, 4096, VFU_DMA_READ, -1), 0);
	/* Nobody answers: the wait ends at the timeout, not never. */
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA, buf, 8), -ETIMEDOUT);
	/* Read-only memory is not written. */
	ck_assert_int_eq(gvt_vfu_hv_ops.write_gpa(vfu, GUEST_GPA, buf, 8), -EFAULT);
}
END_TEST

/* Commands that arrive while a DMA_READ waits are handled after it, in
 * order; the late reply to a request that timed out is dropped. */
START_TEST(test_vfio_user_commands_queue_behind_a_dma_wait)
{
	struct {
		struct vfu_region_access a;
		uint32_t v;
	} w = { { GT0_IMR, VFIO_PCI_BAR0_REGION_INDEX, 4 }, 0x5a5a };
	uint8_t buf[8], big_enough[64];

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, 4096, VFU_DMA_READ, -1), 0);
	send_msg(VFU_CMD_REGION_WRITE, VFU_FLAG_NO_REPLY, &w, sizeof(w.a) + sizeof(w.v));
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA, buf, 8), -ETIMEDOUT);
	ck_assert_uint_eq(vfu->queue_len, 1);
	/* The unanswered DMA_READ is still in the client's socket. */
	ck_assert_uint_eq(recv_reply(big_enough, sizeof(big_enough), NULL).command,
			  VFU_CMD_DMA_READ);
	/* The queued write is handled without waiting for the socket. */
	gvt_vfu_dispatch(vfu);
	ck_assert_uint_eq(vfu->queue_len, 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IMR), 0x5a5a);
}
END_TEST

/* ---- interrupts ---- */

static void guest_enables_interrupts(void)
{
	bar0_w32(GT0_IMR, ~1u);
	bar0_w32(GT0_IER, 1u);
	bar0_w32(MASTER_IRQ, 0x80000000u);
}

START_TEST(test_vfio_user_msi_through_its_eventfd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	negotiate(false);
	cfg_w(0x04, 0x6, 2);				/* memory, bus master */
	cfg_w(0xb0, 0xfee00000, 4);			/* MSI address, data, enable */
	cfg_w(0xb4, 0x4041, 2);
	cfg_w(0xae, 1, 2);
	guest_enables_interrupts();
	/* An interrupt before QEMU handed over the eventfd is held... */
	ck_assert_int_eq(gvt_vgpu_raise_event(t_vgpu, "rcs-user-interrupt"), 0);
	ck_assert(vfu->irq[VFIO_PCI_MSI_IRQ_INDEX].pending);
	/* ...and signalled once it comes. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	ck_assert_uint_eq(eventfd_count(efd), 1);
	/* MSI has one vector; disabling the index drops the eventfd. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2, -1), EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, -1), 0);
	ck_assert_int_eq(vfu->irq[VFIO_PCI_MSI_IRQ_INDEX].trigger_fd, -1);
	close(efd);
}
END_TEST

START_TEST(test_vfio_user_intx_is_masked_until_unmasked)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	negotiate(false);
	cfg_w(0x04, 0x6, 2);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	guest_enables_interrupts();
	ck_assert_int_eq(gvt_vgpu_raise_event(t_vgpu, "rcs-user-interrupt"), 0);
	ck_assert_uint_eq(eventfd_count(efd), 1);
	ck_assert(vfu->irq[VFIO_PCI_INTX_IRQ_INDEX].masked);
	/* The guest's EOI without acking: still high, so signalled again. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, -1), 0);
	ck_assert_uint_eq(eventfd_count(efd), 1);
	/* Acked, then unmasked: quiet. */
	bar0_w32(0x44308, 1);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, -1), 0);
	ck_assert_uint_eq(eventfd_count(efd), 0);
	/* Masked by the client: nothing until unmasked. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_MASK, 0, 1, -1), 0);
	ck_assert_int_eq(gvt_vgpu_raise_event(t_vgpu, "rcs-user-interrupt"), 0);
	ck_assert_uint_eq(eventfd_count(efd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, -1), 0);
	ck_assert_uint_eq(eventfd_count(efd), 1);
	ck_assert_uint_eq(vfu->stats.irqs_signalled, 3);
	close(efd);
}
END_TEST

START_TEST(test_vfio_user_intx_resample_eventfd)
{
	int trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;

	negotiate(false);
	cfg_w(0x04, 0x6, 2);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, trigger), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, resample), 0);
	guest_enables_interrupts();
	ck_assert_int_eq(gvt_vgpu_raise_event(t_vgpu, "rcs-user-interrupt"), 0);
	ck_assert_uint_eq(eventfd_count(trigger), 1);
	/* KVM's resampler signals the guest's EOI; the line is still high. */
	ck_assert_int_eq(write(resample, &one, sizeof(one)), sizeof(one));
	gvt_vfu_dispatch(vfu);
	ck_assert_uint_eq(eventfd_count(trigger), 1);
	close(trigger);
	close(resample);
}
END_TEST

START_TEST(test_vfio_user_set_irqs_rules)
{
	int pipefd[2];
	int efd = eventfd(0, EFD_CLOEXEC);
	int before;

	negotiate(false);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	before = open_fds();
	/* Only an eventfd is signalled; the server closes what it refuses. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, pipefd[1]), EINVAL);
	ck_assert_int_eq(open_fds(), before);
	/* One data type and one action, a known index, within range. */
	ck_assert_int_eq(set_irqs(0, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, -1), EINVAL);
	ck_assert_int_eq(set_irqs(0, VFIO_IRQ_SET_DATA_NONE, 0, 1, -1), EINVAL);
	ck_assert_int_eq(set_irqs(5, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  0, 1, -1), EINVAL);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), EINVAL);
	ck_assert_int_eq(set_irqs(0, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				  1, 1, -1), EINVAL);
	/* Disabling an index the device lacks is what QEMU does at reset. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, -1), 0);
	ck_assert_int_eq(open_fds(), before);
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
}
END_TEST

/* ---- a broken or hostile client ---- */

START_TEST(test_vfio_user_descriptors_where_none_belong_are_closed)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct vfu_device_info info = { .argsz = sizeof(info) };
	char buf[64];
	int before;

	negotiate(false);
	before = open_fds();
	ck_assert_int_eq(call_fd(VFU_CMD_DEVICE_GET_INFO, &info, sizeof(info), efd, buf,
				 sizeof(buf), NULL), EINVAL);
	ck_assert_int_eq(open_fds(), before);
	close(efd);
}
END_TEST

START_TEST(test_vfio_user_a_message_in_pieces)
{
	struct vfu_hdr hdr = {
		.msg_id = 7, .command = VFU_CMD_VERSION, .size = sizeof(hdr) + 4,
	};
	uint32_t zero = 0;
	char buf[256];

	ck_assert_int_eq(write(client, &hdr, 10), 10);
	gvt_vfu_dispatch(vfu);
	ck_assert_int_eq(write(client, (char *)&hdr + 10, 6), 6);
	gvt_vfu_dispatch(vfu);
	ck_assert_int_eq(write(client, &zero, 2), 2);
	gvt_vfu_dispatch(vfu);
	ck_assert(!vfu->negotiated);
	ck_assert_int_eq(write(client, (char *)&zero + 2, 2), 2);
	ck_assert_uint_eq(recv_reply(buf, sizeof(buf), NULL).msg_id, 7);
	ck_assert(vfu->negotiated);
}
END_TEST

/* What breaks the framing ends the connection, and the vGPU is reset. */
static void check_framing_error(const struct vfu_hdr *hdr)
{
	char c;

	negotiate(false);
	bar0_w32(GT0_IMR, 0);
	ck_assert_int_eq(write(client, hdr, sizeof(*hdr)), sizeof(*hdr));
	ck_assert(pump());
	ck_assert_int_eq(read(client, &c, 1), 0);	/* EOF */
	ck_assert(!gvt_vfu_connected(vfu));
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IMR), 0xffffffff);
	ck_assert_uint_eq(vfu->stats.protocol_errors, 1);
}

START_TEST(test_vfio_user_short_size_disconnects)
{
	struct vfu_hdr hdr = { .command = VFU_CMD_VERSION, .size = 15 };

	check_framing_error(&hdr);
}
END_TEST

START_TEST(test_vfio_user_huge_size_disconnects)
{
	struct vfu_hdr hdr = { .command = VFU_CMD_REGION_WRITE, .size = VFU_MAX_MSG + 1 };

	check_framing_error(&hdr);
}
END_TEST

START_TEST(test_vfio_user_bad_type_disconnects)
{
	struct vfu_hdr hdr = { .command = VFU_CMD_VERSION, .size = 16, .flags = 2 };

	check_framing_error(&hdr);
}
END_TEST

START_TEST(test_vfio_user_client_gone_releases_everything)
{
	int fd = guest_memfd(true);
	int efd = eventfd(0, EFD_CLOEXEC);
	int before;

	before = open_fds();
	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, GUEST_SIZE, VFU_DMA_READ | VFU_DMA_WRITE, fd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	close(client);
	client = -1;
	for (int i = 0; i < 100 && gvt_vfu_connected(vfu); i++)
		gvt_vfu_dispatch(vfu);
	ck_assert(!gvt_vfu_connected(vfu));
	ck_assert_uint_eq(vfu->num_regions, 0);
	ck_assert_int_eq(vfu->irq[VFIO_PCI_MSI_IRQ_INDEX].trigger_fd, -1);
	/* Its socket, the eventfd copy: all closed (ours are still open). */
	ck_assert_int_eq(open_fds(), before - 2);
	close(fd);
	close(efd);
}
END_TEST

START_TEST(test_vfio_user_reply_backpressure)
{
	static uint8_t big[16 + 4096];
	struct vfu_region_access *a = (struct vfu_region_access *)big;
	int sndbuf = 4096;
	unsigned int sent = 0;

	negotiate(false);
	/* Shrink the server's send buffer and ask without reading. */
	ck_assert_int_eq(setsockopt(vfu->conn_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	a->region = VFIO_PCI_BAR2_REGION_INDEX;
	a->count = 4096;
	for (int i = 0; i < 64; i++) {
		struct pollfd p = { .fd = client, .events = POLLOUT };

		if (poll(&p, 1, 0) <= 0)
			break;
		send_msg(VFU_CMD_REGION_READ, 0, a, sizeof(*a));
		sent++;
		gvt_vfu_dispatch(vfu);
	}
	/* It stopped reading once its replies backed up, holding at most
	 * what it had to say so far, and it does not wake up for the
	 * requests it is not reading (found in review: it spun). */
	ck_assert_uint_gt(vfu->tx_len - vfu->tx_pos, 0);
	ck_assert_uint_lt(vfu->stats.messages, sent + 1);
	gvt_vfu_dispatch(vfu);
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = gvt_vfu_fd(vfu), .events = POLLIN },
			      1, 0), 0);
	/* Reading the replies lets everything through, in order. */
	for (unsigned int i = 0; i < sent; i++) {
		struct vfu_hdr r = recv_reply(big, sizeof(big), NULL);

		ck_assert_uint_eq(r.flags, VFU_TYPE_REPLY);
	}
}
END_TEST

START_TEST(test_vfio_user_listening_server_resets_for_each_client)
{
	char dir[] = "/tmp/gvt-vfu-XXXXXX";
	char path[64];
	struct gvt_vfu_params p = { .connected_fd = -1, .log_fn = t_log_sink };
	struct gvt_vfu *srv;
	struct gvt_vgpu *v;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int second;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vgpu.sock", dir);
	p.socket_path = path;
	ck_assert_int_eq(gvt_vfu_create(&p, &srv), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &gvt_vfu_hv_ops, srv, &v), 0);
	gvt_vfu_attach(srv, v);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	for (int round = 0; round < 2; round++) {
		uint32_t imr = 0;

		client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_eq(connect(client, (struct sockaddr *)&addr, sizeof(addr)), 0);
		second = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_eq(connect(second, (struct sockaddr *)&addr, sizeof(addr)), 0);
		vfu = srv;
		negotiate(false);
		ck_assert(gvt_vfu_connected(srv));
		/* Every client finds the vGPU as it was created. */
		ck_assert_int_eq(gvt_vgpu_mmio_read(v, GT0_IMR, &imr, 4), 0);
		ck_assert_uint_eq(imr, 0xffffffff);
		bar0_w32(GT0_IMR, 0);
		for (int i = 0; i < 100 && srv->stats.refused == (uint64_t)round; i++)
			gvt_vfu_dispatch(srv);
		close(second);
		close(client);
		client = -1;
		for (int i = 0; i < 100 && gvt_vfu_connected(srv); i++)
			gvt_vfu_dispatch(srv);
		ck_assert(!gvt_vfu_connected(srv));
	}
	ck_assert_uint_eq(srv->stats.connects, 2);
	ck_assert_uint_eq(srv->stats.refused, 2);
	/* A second server cannot take a live socket (its probe is one more
	 * client, which hangs up at once). */
	ck_assert_int_eq(gvt_vfu_create(&p, &(struct gvt_vfu *){ NULL }), -EADDRINUSE);
	vfu = NULL;
	gvt_vgpu_destroy(v);
	gvt_vfu_destroy(srv);
	ck_assert_int_eq(access(path, F_OK), -1);	/* the socket is gone */
	rmdir(dir);
}
END_TEST

/* ---- found in review: each a way a client could hang, spin or starve gvtd ---- */

/* An eventfd the client left blocking with its counter full: signalling it
 * must not block the process that serves every vGPU. */
START_TEST(test_vfio_user_full_blocking_eventfd_does_not_block)
{
	int efd = eventfd(0, EFD_CLOEXEC);	/* blocking */
	uint64_t full = 0xfffffffffffffffeull;

	negotiate(false);
	ck_assert_int_eq(write(efd, &full, sizeof(full)), sizeof(full));
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	/* A loopback trigger, then an MSI from libgvt: both return. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, -1), 0);
	ck_assert_int_eq(gvt_vfu_hv_ops.inject_msi(vfu, 0xfee00000, 0), 0);
	close(efd);
}
END_TEST

/* The client reads its resample eventfd before we do, or writes a huge
 * count to a semaphore one: no blocking read, no endless wake-ups. */
START_TEST(test_vfio_user_unmask_eventfd_cannot_stall_or_spin)
{
	int trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int resample = eventfd(0, EFD_CLOEXEC);		/* blocking */
	int sem = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	uint64_t n = 1;

	negotiate(false);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, trigger), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, resample), 0);
	ck_assert_int_eq(write(resample, &n, sizeof(n)), sizeof(n));
	ck_assert_int_eq(read(resample, &n, sizeof(n)), sizeof(n));	/* we lose the race */
	gvt_vfu_dispatch(vfu);	/* must return */

	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, sem), 0);
	n = 1ull << 62;
	ck_assert_int_eq(write(sem, &n, sizeof(n)), sizeof(n));
	gvt_vfu_dispatch(vfu);
	ck_assert_int_eq(poll(&(struct pollfd){ .fd = gvt_vfu_fd(vfu), .events = POLLIN },
			      1, 0), 0);
	close(trigger);
	close(resample);
	close(sem);
}
END_TEST

/* A sparse sealed file costs the client nothing; our address space is
 * finite. Past VFU_MAX_MAPPED, regions are reached by message. */
START_TEST(test_vfio_user_mapped_guest_memory_is_capped)
{
	int a = memfd_create("big", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int b = memfd_create("big", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint64_t size = 3 * (VFU_MAX_MAPPED / 4);

	negotiate(false);
	ck_assert_int_eq(ftruncate(a, (off_t)size), 0);
	ck_assert_int_eq(ftruncate(b, (off_t)size), 0);
	ck_assert_int_eq(fcntl(a, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	ck_assert_int_eq(fcntl(b, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	ck_assert_int_eq(dma_map(0, size, VFU_DMA_READ | VFU_DMA_WRITE, a), 0);
	ck_assert_int_eq(dma_map(size, size, VFU_DMA_READ | VFU_DMA_WRITE, b), 0);
	ck_assert_ptr_nonnull(vfu->regions[0].host);
	ck_assert_ptr_null(vfu->regions[1].host);
	ck_assert_uint_le(vfu->mapped_bytes, VFU_MAX_MAPPED);
	ck_assert(t_log_has("would be mapped"));
	ck_assert_int_eq(dma_unmap(0, 0, VFU_UNMAP_ALL), 0);
	ck_assert_uint_eq(vfu->mapped_bytes, 0);
	close(a);
	close(b);
}
END_TEST

/* A client that floods us with replies nobody asked for does not stretch
 * a DMA wait past its deadline. */
static volatile bool flooding;

static void *stray_replies(void *arg)
{
	struct vfu_hdr r = { .msg_id = 0xbeef, .command = VFU_CMD_DMA_READ,
			     .size = sizeof(r), .flags = VFU_TYPE_REPLY };

	(void)arg;
	/* Non-blocking: once the test stops reading, a full socket must not
	 * keep this thread from seeing the flag. */
	while (flooding)
		if (send(client, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN)
			break;
	return NULL;
}

START_TEST(test_vfio_user_dma_wait_keeps_its_deadline)
{
	pthread_t t;
	uint8_t buf[8];
	uint64_t start;

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, 4096, VFU_DMA_READ, -1), 0);
	flooding = true;
	ck_assert_int_eq(pthread_create(&t, NULL, stray_replies, NULL), 0);
	start = vfu_now_ns();
	ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA, buf, 8), -ETIMEDOUT);
	ck_assert_uint_lt(vfu_now_ns() - start, 1000000000ull);	/* timeout 200 ms */
	flooding = false;
	pthread_join(t, NULL);
}
END_TEST

/* A client's error number is an errno or nothing: never a positive result
 * or an overflow. */
static uint32_t error_to_send;

static void *error_replier(void *arg)
{
	struct {
		struct vfu_hdr hdr;
		struct vfu_dma_access acc;
	} m;

	(void)arg;
	if (!read_exact(&m, sizeof(m), false))
		return NULL;
	m.hdr.flags = VFU_TYPE_REPLY | VFU_FLAG_ERROR;
	m.hdr.error = error_to_send;
	m.hdr.size = sizeof(m.hdr);
	if (write(client, &m.hdr, sizeof(m.hdr)) < 0)
		return NULL;
	return NULL;
}

START_TEST(test_vfio_user_client_error_numbers_are_bounded)
{
	static const uint32_t errors[] = { 0xffffffff, 0x80000000, 0, 4096, EFAULT };
	static const int expect[] = { -EIO, -EIO, -EIO, -EIO, -EFAULT };
	uint8_t buf[8];

	negotiate(false);
	ck_assert_int_eq(dma_map(GUEST_GPA, 4096, VFU_DMA_READ, -1), 0);
	for (unsigned int i = 0; i < ARRAY_LEN(errors); i++) {
		pthread_t t;

		error_to_send = errors[i];
		ck_assert_int_eq(pthread_create(&t, NULL, error_replier, NULL), 0);
		ck_assert_int_eq(gvt_vfu_hv_ops.read_gpa(vfu, GUEST_GPA, buf, 8), expect[i]);
		pthread_join(t, NULL);
	}
}
END_TEST

/* What a client can make us log is bounded, across reconnections too. */
START_TEST(test_vfio_user_client_cannot_flood_the_log)
{
	unsigned int warned = 0;

	negotiate(false);
	t_log_clear();
	for (int i = 0; i < 200; i++) {
		int fd = guest_memfd(false);

		ck_assert_int_eq(dma_map(GUEST_GPA, 4096, VFU_DMA_READ, fd), 0);
		ck_assert_int_eq(dma_unmap(GUEST_GPA, 4096, 0), 0);
		close(fd);
	}
	for (unsigned int i = 0; i < t_log_count(); i++)
		warned += strstr(t_log_line(i), "not sealed") != NULL;
	ck_assert_uint_eq(warned, VFU_WARN_BUDGET);
}
END_TEST

START_TEST(test_vfio_user_small_rules)
{
	static uint8_t big[16 + VFU_VERSION_MAX + 8];
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	char buf[64];

	/* A VERSION too long to be one is not parsed. */
	big[sizeof(big) - 1] = '\0';
	memset(big + 4, ' ', sizeof(big) - 5);
	ck_assert_int_eq(call(VFU_CMD_VERSION, big, sizeof(big), buf, sizeof(buf), NULL), E2BIG);
	negotiate(false);
	/* Disabling an index with a descriptor attached is refused whole. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, efd), EINVAL);
	ck_assert_int_ge(vfu->irq[VFIO_PCI_MSI_IRQ_INDEX].trigger_fd, 0);
	/* A loopback INTx trigger honours the mask. */
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, efd), 0);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_MASK, 0, 1, -1), 0);
	eventfd_count(efd);
	ck_assert_int_eq(set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, -1), 0);
	ck_assert_uint_eq(eventfd_count(efd), 0);
	close(efd);
}
END_TEST

Suite *vfio_user_suite(void)
{
	Suite *s = suite_create("vfio_user");
	TCase *proto = tcase_create("protocol");
	TCase *mem = tcase_create("memory");
	TCase *irq = tcase_create("interrupts");
	TCase *bad = tcase_create("hostile");
	TCase *srv = tcase_create("server");

	tcase_add_checked_fixture(proto, vfu_setup, vfu_teardown);
	tcase_add_test(proto, test_vfio_user_version_is_negotiated_once);
	tcase_add_test(proto, test_vfio_user_version_rejects_what_it_cannot_read);
	tcase_add_test(proto, test_vfio_user_commands_wait_for_version);
	tcase_add_test(proto, test_vfio_user_describes_a_pci_device);
	tcase_add_test(proto, test_vfio_user_config_space_reads_whole);
	tcase_add_test(proto, test_vfio_user_bar_accesses_reach_libgvt);
	tcase_add_test(proto, test_vfio_user_posted_writes_get_no_reply);
	tcase_add_test(proto, test_vfio_user_write_multi);
	tcase_add_test(proto, test_vfio_user_device_reset);
	tcase_add_test(proto, test_vfio_user_unsupported_commands);
	suite_add_tcase(s, proto);

	tcase_add_checked_fixture(mem, vfu_setup, vfu_teardown);
	tcase_add_test(mem, test_vfio_user_dma_map_gives_libgvt_guest_ram);
	tcase_add_test(mem, test_vfio_user_ggtt_entries_map_through_the_server);
	tcase_add_test(mem, test_vfio_user_dma_map_rules);
	tcase_add_test(mem, test_vfio_user_unsealed_memory_is_not_mapped);
	tcase_add_test(mem, test_vfio_user_memory_without_a_descriptor_goes_by_message);
	tcase_add_test(mem, test_vfio_user_dma_message_times_out);
	tcase_add_test(mem, test_vfio_user_commands_queue_behind_a_dma_wait);
	suite_add_tcase(s, mem);

	tcase_add_checked_fixture(irq, vfu_setup, vfu_teardown);
	tcase_add_test(irq, test_vfio_user_msi_through_its_eventfd);
	tcase_add_test(irq, test_vfio_user_intx_is_masked_until_unmasked);
	tcase_add_test(irq, test_vfio_user_intx_resample_eventfd);
	tcase_add_test(irq, test_vfio_user_set_irqs_rules);
	suite_add_tcase(s, irq);

	tcase_add_checked_fixture(bad, vfu_setup, vfu_teardown);
	tcase_add_test(bad, test_vfio_user_descriptors_where_none_belong_are_closed);
	tcase_add_test(bad, test_vfio_user_a_message_in_pieces);
	tcase_add_test(bad, test_vfio_user_short_size_disconnects);
	tcase_add_test(bad, test_vfio_user_huge_size_disconnects);
	tcase_add_test(bad, test_vfio_user_bad_type_disconnects);
	tcase_add_test(bad, test_vfio_user_client_gone_releases_everything);
	tcase_add_test(bad, test_vfio_user_reply_backpressure);
	tcase_add_test(bad, test_vfio_user_full_blocking_eventfd_does_not_block);
	tcase_add_test(bad, test_vfio_user_unmask_eventfd_cannot_stall_or_spin);
	tcase_add_test(bad, test_vfio_user_mapped_guest_memory_is_capped);
	tcase_add_test(bad, test_vfio_user_dma_wait_keeps_its_deadline);
	tcase_add_test(bad, test_vfio_user_client_error_numbers_are_bounded);
	tcase_add_test(bad, test_vfio_user_client_cannot_flood_the_log);
	tcase_add_test(bad, test_vfio_user_small_rules);
	suite_add_tcase(s, bad);

	tcase_add_checked_fixture(srv, t_setup_ctx, t_teardown);
	tcase_add_test(srv, test_vfio_user_listening_server_resets_for_each_client);
	suite_add_tcase(s, srv);
	return s;
}
