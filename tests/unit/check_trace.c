// SPDX-License-Identifier: MIT
/* Recording: what a guest did, written so that replay checks it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "private.h"
#include "replay.h"

static char file[64];

static void setup(void)
{
	int fd;

	t_setup_ctx();
	snprintf(file, sizeof(file), "/tmp/gvt-trace-XXXXXX");
	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(file);
	t_teardown();
}

static char *slurp(void)
{
	static char buf[65536];
	FILE *f = fopen(file, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A guest's first steps, with an interrupt, a page write and a reset. */
static void guest_activity(struct gvt_vgpu *vgpu)
{
	uint64_t q;
	uint16_t w;
	uint8_t b = 0x5a;
	uint64_t pte = 0x100001;
	uint32_t v;

	mmio_r64(vgpu, 0x78000);
	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, 0x78008, &w, 2), 0);
	t_enable_msi(vgpu, 0xfee00000, 0x4041);
	mmio_w32(vgpu, 0x44304, 0xfffffffe);
	mmio_w32(vgpu, 0x4430c, 1);
	mmio_w32(vgpu, 0x44200, 0x80000000);
	ck_assert_int_eq(gvt_vgpu_raise_event(vgpu, "rcs-user-interrupt"), 0);
	mmio_w32(vgpu, 0x44200, 0);
	mmio_w32(vgpu, 0x44308, 1);
	mmio_w32(vgpu, 0x44200, 0x80000000);
	ggtt_w64(vgpu, (uint32_t)(t_info(vgpu).aperture_base >> 12), pte);
	v = 0x1234;
	ck_assert_int_eq(gvt_vgpu_aperture_write(vgpu, t_info(vgpu).aperture_base + 4, &v, 4), 0);
	ck_assert_int_eq(gvt_vgpu_aperture_read(vgpu, t_info(vgpu).aperture_base + 4, &v, 4), 0);
	q = 0x1122334455667788ull;
	ck_assert_int_eq(gvt_vgpu_page_write(vgpu, 0x200005, &q, 7), 0);
	ck_assert_int_eq(gvt_vgpu_mmio_write(vgpu, 0x1ff001, &b, 1), 0);
	ck_assert_int_eq(gvt_vgpu_reset(vgpu), 0);
	mmio_r32(vgpu, 0x78000);
}

START_TEST(test_trace_records_the_format)
{
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv);
	char *text;

	ck_assert(!gvt_vgpu_tracing(vgpu));
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), 0);
	ck_assert(gvt_vgpu_tracing(vgpu));
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), -EBUSY);
	guest_activity(vgpu);
	ck_assert_int_eq(gvt_vgpu_trace_stop(vgpu), 0);
	ck_assert_int_eq(gvt_vgpu_trace_stop(vgpu), -ENOENT);
	text = slurp();
	ck_assert_msg(!strncmp(text, "gvt-trace 1\n", 12), "%s", text);
	ck_assert_msg(strstr(text, "\nplatform skl\naperture 1024\nvgpu 1 GVTg_V5_8 ram=00000256 id=1 aperture=0x8000000 hidden=0x58000000 fences=4,5,6,7\n"), "%s", text);
	ck_assert_msg(strstr(text, "\nr 1 0x78000 8 0x4776544776544776\n"), "%s", text);
	ck_assert_msg(strstr(text, "\nr 1 0x78008 2 0x1\n"), "%s", text);
	ck_assert_msg(strstr(text, "\ncw 1 0xb0 4 0xfee00000\n"), "%s", text);
	/* An event from outside is recorded; its MSI follows it. */
	ck_assert_msg(strstr(text, "\nw 1 0x44200 4 0x80000000\nevent 1 rcs-user-interrupt\nmsi 1 1\n"), "%s", text);
	ck_assert_msg(strstr(text, "\naw 1 0x8000004 4 0x1234\nar 1 0x8000004 4 0x1234\n"), "%s", text);
	/* A 7-byte page write at 0x200005 is 1 + 2 bytes... then 4 */
	ck_assert_msg(strstr(text, "\nmw 1 0x200005 1 0x88\nmw 1 0x200006 2 0x6677\nmw 1 0x200008 4 0x22334455\n"), "%s", text);
	ck_assert_msg(strstr(text, "\nw 1 0x1ff001 1 0x5a\n"), "%s", text);
	ck_assert_msg(strstr(text, "\nreset 1\n"), "%s", text);
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
}
END_TEST

/* The point of it all: a recording replays, and every read checks out. */
START_TEST(test_trace_round_trip)
{
	struct replay_report rep = { 0 };
	struct mock_hv *hv1, *hv2;
	struct gvt_vgpu *first = t_vgpu_new(t_ctx, "GVTg_V5_4", &hv1);
	struct gvt_vgpu *vgpu = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv2);

	/* Record the second vGPU: its slices are not first fit on an empty
	 * GPU, so replay must honour the recorded placement. */
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), 0);
	guest_activity(vgpu);
	gvt_vgpu_destroy(vgpu);	/* closes the trace */
	replay_file(file, &rep);
	ck_assert_msg(rep.failures == 0, "%u: %s\n%s", rep.error[0].line,
		      rep.error[0].message, slurp());
	ck_assert_uint_eq(rep.checks, 5);	/* 4 reads and an msi line */
	gvt_vgpu_destroy(first);
	mock_hv_destroy(hv1);
	mock_hv_destroy(hv2);
}
END_TEST

/* Regression: an interrupt change a *read* causes (here a fence read before
 * PVINFO enters failsafe, which lowers INTx) was written before the read's
 * line, so replay checked it too early and failed. */
START_TEST(test_trace_interrupts_a_read_causes_follow_it)
{
	struct replay_report rep = { 0 };
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu = t_vgpu_new(t_ctx, "GVTg_V5_4", &hv);
	uint32_t v;

	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), 0);
	cfg_w16(vgpu, 0x04, 0x0006);			/* INTx: MSI stays off */
	mmio_w32(vgpu, 0x44304, ~1u);
	mmio_w32(vgpu, 0x4430c, 1u);
	mmio_w32(vgpu, 0x44200, 0x80000000u);
	ck_assert_int_eq(gvt_vgpu_raise_event(vgpu, "rcs-user-interrupt"), 0);
	ck_assert(hv->intx);
	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, 0x100000 + 8 * 31, &v, 4), 0);
	ck_assert(!hv->intx);
	gvt_vgpu_destroy(vgpu);
	ck_assert_msg(strstr(slurp(), "\nr 1 0x1000f8 4 0x0\nintx 1 0\n"), "%s", slurp());
	replay_file(file, &rep);
	ck_assert_msg(rep.failures == 0, "%u: %s\n%s", rep.error[0].line,
		      rep.error[0].message, slurp());
	mock_hv_destroy(hv);
}
END_TEST

/* Guest memory above the replayer's default: the trace says how much. */
START_TEST(test_trace_records_guest_memory_size)
{
	struct replay_report rep = { 0 };
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu;
	uint64_t v = 0x42;
	uint32_t idx;

	ck_assert_int_eq(mock_hv_create(1024u << 20, &hv), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops, hv, &vgpu), 0);
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), 0);
	idx = (uint32_t)(t_info(vgpu).aperture_base >> 12);
	ggtt_w64(vgpu, idx, (700ull << 20) | 1);		/* a page at 700 MiB */
	ck_assert_int_eq(gvt_vgpu_aperture_write(vgpu, t_info(vgpu).aperture_base, &v, 8), 0);
	ck_assert_int_eq(gvt_vgpu_aperture_read(vgpu, t_info(vgpu).aperture_base, &v, 8), 0);
	ck_assert_int_eq(gvt_vgpu_page_write(vgpu, (900ull << 20) + 8, &v, 8), 0);
	ck_assert_int_eq(gvt_vgpu_trace_stop(vgpu), 0);
	ck_assert_msg(strstr(slurp(), "vgpu 1 GVTg_V5_8 ram=00000901 id=1"), "%s", slurp());
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
	replay_file(file, &rep);
	ck_assert_msg(rep.failures == 0, "%u: %s", rep.error[0].line, rep.error[0].message);
	ck_assert_uint_eq(rep.checks, 1);
}
END_TEST

START_TEST(test_trace_refuses_bad_paths)
{
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv);
	char link[80];

	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, "/nonexistent/dir/t.trace"), -ENOENT);
	snprintf(link, sizeof(link), "%s.link", file);
	ck_assert_int_eq(symlink(file, link), 0);
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, link), -ELOOP);
	unlink(link);
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, NULL), -EINVAL);
	/* Not a regular file: a FIFO nobody reads would block the caller. */
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, "/dev/null"), -EINVAL);
	snprintf(link, sizeof(link), "%s.fifo", file);
	ck_assert_int_eq(mkfifo(link, 0600), 0);
	ck_assert_int_lt(gvt_vgpu_trace_start(vgpu, link), 0);
	unlink(link);
	/* An existing file is truncated and made private. */
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_int_eq(gvt_vgpu_trace_start(vgpu, file), 0);
	ck_assert_int_eq(gvt_vgpu_trace_stop(vgpu), 0);
	{
		struct stat st;

		ck_assert_int_eq(stat(file, &st), 0);
		ck_assert_uint_eq(st.st_mode & 0777, 0600);
	}
	ck_assert(!gvt_vgpu_tracing(vgpu));
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_trace_records_the_format);
	tcase_add_test(tc, test_trace_round_trip);
	tcase_add_test(tc, test_trace_interrupts_a_read_causes_follow_it);
	tcase_add_test(tc, test_trace_records_guest_memory_size);
	tcase_add_test(tc, test_trace_refuses_bad_paths);
	suite_add_tcase(s, tc);
	return s;
}
