// SPDX-License-Identifier: MIT
/* The log sink: levels, categories, line shape, errno. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "private.h"

static int levels[16];
static unsigned int n_levels;

static void level_sink(void *opaque, int level, const char *msg)
{
	(void)msg;
	*(int *)opaque += 1;
	if (n_levels < 16)
		levels[n_levels++] = level;
	errno = EBADF;	/* a sink may clobber errno; the library restores it */
}

START_TEST(test_log_levels_and_categories)
{
	static int calls;	/* teardown still logs through this sink */

	n_levels = 0;
	gvt_ctx_set_log(t_ctx, level_sink, &calls, GVT_LOG_WARNING);
	gvt_info(t_ctx, "not delivered");
	gvt_err(t_ctx, "delivered");
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(levels[0], GVT_LOG_ERR);

	gvt_ctx_set_log(t_ctx, level_sink, &calls, GVT_LOG_DEBUG);
	gvt_ctx_dbg(t_ctx, GVT_DBG_MMIO, "no category selected");
	ck_assert_int_eq(calls, 1);
	gvt_ctx_set_debug(t_ctx, GVT_DBG_MMIO);
	gvt_ctx_dbg(t_ctx, GVT_DBG_IRQ, "other category");
	gvt_ctx_dbg(t_ctx, GVT_DBG_MMIO, "selected");
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(levels[1], GVT_LOG_DEBUG);

	/* Silenced entirely. */
	gvt_ctx_set_log(t_ctx, NULL, NULL, 0);
	gvt_err(t_ctx, "nobody hears this");
	ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(test_log_line_shape_and_errno)
{
	gvt_ctx_set_log(t_ctx, t_log_sink, NULL, GVT_LOG_INFO);
	t_log_clear();
	errno = ENOSPC;
	gvt_vgpu_err(t_vgpu, "two newlines\n\n");
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_str_eq(t_log_line(0), "vgpu1: two newlines");
}
END_TEST

START_TEST(test_log_sink_can_clobber_errno)
{
	static int calls;	/* teardown still logs through this sink */

	gvt_ctx_set_log(t_ctx, level_sink, &calls, GVT_LOG_INFO);
	errno = EAGAIN;
	gvt_err(t_ctx, "x");
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

START_TEST(test_log_create_failure_reaches_sink)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.aperture_mib = 300,
		.log_fn = t_log_sink,
	};
	struct gvt_ctx *ctx = NULL;

	t_log_clear();
	ck_assert_int_eq(gvt_ctx_create(&p, &ctx), -EINVAL);
	ck_assert(t_log_has("aperture of 300 MiB; it must be 256, 512 or 1024"));
	p.aperture_mib = 256;
	p.platform = 99;
	ck_assert_int_eq(gvt_ctx_create(&p, &ctx), -EINVAL);
	ck_assert(t_log_has("unknown platform 99"));
	p.platform = GVT_PLATFORM_SKL;
	p.backend = 5;
	ck_assert_int_eq(gvt_ctx_create(&p, &ctx), -EINVAL);
	ck_assert_int_eq(gvt_ctx_create(NULL, &ctx), -EINVAL);
	ck_assert_ptr_null(ctx);
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_test(tc, test_log_levels_and_categories);
	tcase_add_test(tc, test_log_line_shape_and_errno);
	tcase_add_test(tc, test_log_sink_can_clobber_errno);
	tcase_add_test(tc, test_log_create_failure_reaches_sink);
	suite_add_tcase(s, tc);
	return s;
}
