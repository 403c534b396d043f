// SPDX-License-Identifier: MIT
/* vGPU lifecycle: create, destroy, reset, and the contract with the shim. */
#include <malloc.h>
#include <string.h>

#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

START_TEST(test_vgpu_create_destroy_1000_times)
{
	struct gvt_ctx *ctx = t_ctx_new(512);
	struct mock_hv *hv;
	size_t before = 0;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	gvt_ctx_set_log(ctx, NULL, NULL, 0);
	for (int i = 0; i < 1000; i++) {
		struct gvt_vgpu *vgpu = NULL;
		uint32_t idx;

		ck_assert_int_eq(gvt_vgpu_create(ctx, i % 2 ? "GVTg_V5_2" : "GVTg_V5_8",
						 &mock_hv_ops, hv, &vgpu), 0);
		/* Use it a little, so destroy has mappings to undo. */
		idx = (uint32_t)(t_info(vgpu).aperture_base >> 12);
		ggtt_w64(vgpu, idx, (uint64_t)(i % 100 + 1) << 12 | 1);
		mmio_w32(vgpu, 0x78804, 1);
		mmio_w32(vgpu, 0x78838, 0x1000);
		mmio_w32(vgpu, 0x78818, 4);
		gvt_vgpu_destroy(vgpu);
		/* Measure after the same kind of round, once malloc's caches
		 * have filled, so they hold the same chunks at both points. */
		if (i == 99)
			before = mallinfo2().uordblks;
	}
	ck_assert_uint_eq(hv->maps_live, 0);
	ck_assert_uint_eq(hv->bad_unmaps, 0);
#ifndef UNDER_ASAN
	/* Every allocation since round 99 found its way back. */
	ck_assert_uint_le(mallinfo2().uordblks, before + 256);
#endif
	(void)before;
	gvt_ctx_destroy(ctx);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_vgpu_hv_ops_are_checked)
{
	struct gvt_hv_ops ops = mock_hv_ops;
	struct gvt_vgpu *v = NULL;
	struct mock_hv *hv;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	t_log_clear();
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", NULL, hv, &v), -EINVAL);
	ops.version = GVT_HV_OPS_VERSION + 1;
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &ops, hv, &v), -EINVAL);
	ck_assert(t_log_has("hv ops version 3, libgvt speaks 2"));
	ops = mock_hv_ops;
	ops.dma_map = NULL;
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &ops, hv, &v), -EINVAL);
	ops = mock_hv_ops;
	ops.page_track_disable = NULL;
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &ops, hv, &v), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops, hv, NULL), -EINVAL);
	ck_assert_ptr_null(v);
	/* Without page tracking (vfio-user) a vGPU is still fine. */
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops_no_track, hv, &v), 0);
	gvt_vgpu_destroy(v);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_vgpu_info)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);

	ck_assert_uint_eq(info.id, 1);
	ck_assert_str_eq(info.type_name, "GVTg_V5_4");
	ck_assert_uint_eq(info.vendor_id, 0x8086);
	ck_assert_uint_eq(info.device_id, 0x1912);
	ck_assert_uint_eq(info.cfg_size, 256);
	ck_assert_uint_eq(info.bar[0].size, 16u << 20);
	ck_assert_uint_eq(info.bar[0].flags, GVT_BAR_MEM64);
	ck_assert_uint_eq(info.bar[2].size, 1u << 30);
	ck_assert_uint_eq(info.bar[2].flags, GVT_BAR_MEM64 | GVT_BAR_PREFETCH);
	ck_assert_uint_eq(info.bar[4].size, 64);
	ck_assert_uint_eq(info.bar[4].flags, GVT_BAR_IO);
	ck_assert_uint_eq(info.bar[1].size, 0);
	ck_assert(!info.failsafe);
}
END_TEST

START_TEST(test_vgpu_reset_returns_to_power_on)
{
	mmio_r32(t_vgpu, 0x78000);
	mmio_w32(t_vgpu, 0x1ff000, 0x1234);
	mmio_w32(t_vgpu, 0x44304, 0);
	mmio_w32(t_vgpu, 0x100000, 0x1);
	cfg_w16(t_vgpu, 0x04, 0x7);
	mmio_w32(t_vgpu, 0x78808, 1);		/* failsafe */
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x1ff000), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44304), 0xffffffff);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x04), 0);
	ck_assert(!t_info(t_vgpu).failsafe);
	mmio_r32(t_vgpu, 0x78000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x100000), 0);
	ck_assert_uint_eq(t_stats(t_vgpu).resets, 1);
}
END_TEST

START_TEST(test_vgpu_guest_error_log_is_bounded)
{
	t_log_clear();
	for (int i = 0; i < 1000; i++)
		ggtt_w64(t_vgpu, 0, 1);	/* host entry: a rule break each time */
	ck_assert_uint_eq(t_stats(t_vgpu).guest_errors, 1000);
	ck_assert_uint_eq(t_log_count(), 65);
	ck_assert(t_log_has("further rule breaks are counted but not logged"));
	/* A reset gives the guest a fresh budget. */
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	t_log_clear();
	ggtt_w64(t_vgpu, 0, 1);
	ck_assert(t_log_has("outside its slices"));
}
END_TEST

START_TEST(test_vgpu_stats_count_accesses)
{
	uint32_t v;

	mmio_r32(t_vgpu, 0x2000);
	mmio_w32(t_vgpu, 0x2000, 0);
	cfg_r16(t_vgpu, 0);
	ggtt_r64(t_vgpu, 0);
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, 0, &v, 4), 0);
	struct gvt_vgpu_stats s = t_stats(t_vgpu);
	ck_assert_uint_eq(s.mmio_reads, 1);
	ck_assert_uint_eq(s.mmio_writes, 1);
	ck_assert_uint_eq(s.cfg_reads, 1);
	ck_assert_uint_eq(s.ggtt_reads, 1);
	ck_assert_uint_eq(s.aperture_reads, 1);
	ck_assert_uint_eq(s.aperture_dropped, 1);
}
END_TEST

START_TEST(test_vgpu_ctx_destroy_takes_stragglers)
{
	struct mock_hv *hv;
	struct gvt_vgpu *v = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv);

	ggtt_w64(v, (uint32_t)(t_info(v).aperture_base >> 12), 0x1000 | 1);
	ck_assert_uint_eq(hv->maps_live, 1);
	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	gvt_ctx_destroy(t_ctx);	/* v is still there */
	t_ctx = NULL;
	ck_assert(t_log_has("vgpu2 still exists"));
	ck_assert_uint_eq(hv->maps_live, 0);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_vgpu_null_handles_are_refused)
{
	struct gvt_vgpu_info info;
	struct gvt_vgpu_stats stats;
	struct gvt_type_info type;
	struct gvt_vgpu *v = NULL;
	uint32_t buf = 0;

	ck_assert_int_eq(gvt_vgpu_mmio_read(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_mmio_write(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_mmio_read(NULL, 1, &buf, 2), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_cfg_read(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_cfg_write(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_aperture_read(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_aperture_write(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_io_read(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_io_write(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_page_write(NULL, 0, &buf, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_reset(NULL), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_get_info(NULL, &info), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_get_info(t_vgpu, NULL), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_get_stats(NULL, &stats), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_create(NULL, "GVTg_V5_8", &mock_hv_ops, t_hv, &v), -EINVAL);
	ck_assert_int_eq(gvt_ctx_get_type(NULL, 0, &type), -EINVAL);
	ck_assert_int_eq(gvt_ctx_admit(NULL, "GVTg_V5_8", NULL, 0), -EINVAL);
	ck_assert_uint_eq(gvt_ctx_num_types(NULL), 0);
	gvt_ctx_set_log(NULL, NULL, NULL, 0);
	gvt_ctx_set_debug(NULL, 0);
	gvt_vgpu_destroy(NULL);
	gvt_ctx_destroy(NULL);
}
END_TEST

Suite *vgpu_suite(void)
{
	Suite *s = suite_create("vgpu");
	TCase *tc = tcase_create("vgpu");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vgpu_create_destroy_1000_times);
	tcase_add_test(tc, test_vgpu_hv_ops_are_checked);
	tcase_add_test(tc, test_vgpu_info);
	tcase_add_test(tc, test_vgpu_reset_returns_to_power_on);
	tcase_add_test(tc, test_vgpu_guest_error_log_is_bounded);
	tcase_add_test(tc, test_vgpu_stats_count_accesses);
	tcase_add_test(tc, test_vgpu_ctx_destroy_takes_stragglers);
	tcase_add_test(tc, test_vgpu_null_handles_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
