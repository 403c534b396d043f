// SPDX-License-Identifier: MIT
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

struct gvt_ctx *t_ctx;
struct gvt_vgpu *t_vgpu;
struct mock_hv *t_hv;

#define LOG_LINES 512
static char log_lines[LOG_LINES][512];
static unsigned int log_n;

void t_log_sink(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	if (log_n < LOG_LINES)
		snprintf(log_lines[log_n], sizeof(log_lines[0]), "%s", msg);
	log_n++;
}

void t_log_clear(void)
{
	log_n = 0;
}

unsigned int t_log_count(void)
{
	return log_n;
}

const char *t_log_line(unsigned int i)
{
	return i < log_n && i < LOG_LINES ? log_lines[i] : "";
}

bool t_log_has(const char *needle)
{
	for (unsigned int i = 0; i < log_n && i < LOG_LINES; i++)
		if (strstr(log_lines[i], needle))
			return true;
	return false;
}

struct gvt_ctx *t_ctx_new(uint32_t aperture_mib)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = aperture_mib,
		.log_fn = t_log_sink,
		.log_level = GVT_LOG_INFO,
	};
	struct gvt_ctx *ctx = NULL;

	ck_assert_int_eq(gvt_ctx_create(&p, &ctx), 0);
	return ctx;
}

struct gvt_vgpu *t_vgpu_new(struct gvt_ctx *ctx, const char *type,
			    struct mock_hv **hv)
{
	struct gvt_vgpu *vgpu = NULL;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, hv), 0);
	ck_assert_int_eq(gvt_vgpu_create(ctx, type, &mock_hv_ops, *hv, &vgpu), 0);
	return vgpu;
}

void t_setup_ctx(void)
{
	t_log_clear();
	t_ctx = t_ctx_new(1024);
	t_vgpu = NULL;
	t_hv = NULL;
}

void t_setup_vgpu(void)
{
	t_setup_ctx();
	t_vgpu = t_vgpu_new(t_ctx, "GVTg_V5_4", &t_hv);
}

void t_teardown(void)
{
	gvt_vgpu_destroy(t_vgpu);
	gvt_ctx_destroy(t_ctx);
	mock_hv_destroy(t_hv);
	t_vgpu = NULL;
	t_ctx = NULL;
	t_hv = NULL;
}

uint32_t mmio_r32(struct gvt_vgpu *vgpu, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, off, &v, 4), 0);
	return v;
}

void mmio_w32(struct gvt_vgpu *vgpu, uint64_t off, uint32_t val)
{
	ck_assert_int_eq(gvt_vgpu_mmio_write(vgpu, off, &val, 4), 0);
}

uint64_t mmio_r64(struct gvt_vgpu *vgpu, uint64_t off)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, off, &v, 8), 0);
	return v;
}

void mmio_w64(struct gvt_vgpu *vgpu, uint64_t off, uint64_t val)
{
	ck_assert_int_eq(gvt_vgpu_mmio_write(vgpu, off, &val, 8), 0);
}

uint32_t cfg_r32(struct gvt_vgpu *vgpu, uint32_t off)
{
	uint32_t v = 0;

	ck_assert_int_eq(gvt_vgpu_cfg_read(vgpu, off, &v, 4), 0);
	return v;
}

uint16_t cfg_r16(struct gvt_vgpu *vgpu, uint32_t off)
{
	uint16_t v = 0;

	ck_assert_int_eq(gvt_vgpu_cfg_read(vgpu, off, &v, 2), 0);
	return v;
}

uint8_t cfg_r8(struct gvt_vgpu *vgpu, uint32_t off)
{
	uint8_t v = 0;

	ck_assert_int_eq(gvt_vgpu_cfg_read(vgpu, off, &v, 1), 0);
	return v;
}

void cfg_w32(struct gvt_vgpu *vgpu, uint32_t off, uint32_t val)
{
	ck_assert_int_eq(gvt_vgpu_cfg_write(vgpu, off, &val, 4), 0);
}

void cfg_w16(struct gvt_vgpu *vgpu, uint32_t off, uint16_t val)
{
	ck_assert_int_eq(gvt_vgpu_cfg_write(vgpu, off, &val, 2), 0);
}

void cfg_w8(struct gvt_vgpu *vgpu, uint32_t off, uint8_t val)
{
	ck_assert_int_eq(gvt_vgpu_cfg_write(vgpu, off, &val, 1), 0);
}

#define GGTT_BASE (8u << 20)

uint64_t ggtt_r64(struct gvt_vgpu *vgpu, uint32_t index)
{
	return mmio_r64(vgpu, GGTT_BASE + (uint64_t)index * 8);
}

void ggtt_w64(struct gvt_vgpu *vgpu, uint32_t index, uint64_t pte)
{
	mmio_w64(vgpu, GGTT_BASE + (uint64_t)index * 8, pte);
}

struct gvt_vgpu_info t_info(struct gvt_vgpu *vgpu)
{
	struct gvt_vgpu_info info;

	ck_assert_int_eq(gvt_vgpu_get_info(vgpu, &info), 0);
	return info;
}

struct gvt_vgpu_stats t_stats(struct gvt_vgpu *vgpu)
{
	struct gvt_vgpu_stats s;

	ck_assert_int_eq(gvt_vgpu_get_stats(vgpu, &s), 0);
	return s;
}

void t_enable_msi(struct gvt_vgpu *vgpu, uint32_t addr, uint16_t data)
{
	cfg_w32(vgpu, 0xb0, addr);
	cfg_w16(vgpu, 0xb4, data);
	cfg_w16(vgpu, 0xae, 0x0001);
	cfg_w16(vgpu, 0x04, 0x0006); /* memory + bus master */
}

int t_ctl_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

char *t_ctl_reply(int fd, void (*pump)(void *opaque), void *opaque)
{
	static char buf[1 << 20];
	size_t len = 0;

	for (int spins = 0; spins < 2000; spins++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		pump(opaque);
		if (poll(&p, 1, 1) <= 0)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			return buf;
	}
	buf[len] = '\0';
	return buf;
}
