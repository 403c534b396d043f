// SPDX-License-Identifier: MIT
/* The PVINFO page: what each type's guest learns, and what it may say. */
#include <string.h>

#include "harness.h"
#include "private.h"

#define PV 0x78000u

START_TEST(test_pvinfo_per_type)
{
	static const char *const types[] = { "GVTg_V5_1", "GVTg_V5_2",
					     "GVTg_V5_4", "GVTg_V5_8" };
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu = t_vgpu_new(t_ctx, types[_i], &hv);
	struct gvt_vgpu_info info = t_info(vgpu);

	ck_assert_uint_eq(mmio_r64(vgpu, PV + 0x00), 0x4776544776544776ull);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x08), 0x00000001);	/* 1.0 */
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x0c), info.id);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x10), 0x1c);	/* PPGTT, HWSP, huge GTT */
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x40), info.aperture_base);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x44), info.aperture_size);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x48), info.hidden_base);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x4c), info.hidden_size);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x50), 4);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x804), 0);	/* display not ready */
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x830), 0xffffffff);
	ck_assert_uint_eq(mmio_r32(vgpu, PV + 0x834), 0xffffffff);
	/* Word reads of the version, as i915 does them. */
	uint16_t w;
	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, PV + 0x08, &w, 2), 0);
	ck_assert_uint_eq(w, 1);
	ck_assert_int_eq(gvt_vgpu_mmio_read(vgpu, PV + 0x0a, &w, 2), 0);
	ck_assert_uint_eq(w, 0);
	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_pvinfo_read_marks_guest_aware)
{
	ck_assert(!t_info(t_vgpu).pv_notified);
	mmio_r32(t_vgpu, PV + 0x10);
	ck_assert(t_info(t_vgpu).pv_notified);
}
END_TEST

START_TEST(test_pvinfo_host_fields_are_read_only)
{
	mmio_w32(t_vgpu, PV + 0x00, 0);
	mmio_w32(t_vgpu, PV + 0x44, 0x7fffffff);
	mmio_w32(t_vgpu, PV + 0x50, 32);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x00), 0x76544776);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x44), 128u << 20);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x50), 4);
	ck_assert(t_log_has("PVINFO: write 0x20 to read-only 0x78050 ignored"));
	ck_assert(!t_info(t_vgpu).failsafe);
}
END_TEST

START_TEST(test_pvinfo_guest_fields)
{
	t_log_clear();
	for (int i = 0; i < 100; i++) {
		mmio_w32(t_vgpu, PV + 0x804, 1);
		mmio_w32(t_vgpu, PV + 0x804, 0);
	}
	ck_assert_uint_eq(t_log_count(), 0);	/* a guest cannot flood the log */
	mmio_w32(t_vgpu, PV + 0x804, 1);
	ck_assert(t_info(t_vgpu).display_ready);
	mmio_w32(t_vgpu, PV + 0x804, 7);	/* not a state */
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x804), 1);
	mmio_w32(t_vgpu, PV + 0x830, 12);
	mmio_w32(t_vgpu, PV + 0x834, 34);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x830), 12);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x834), 34);
	mmio_w32(t_vgpu, PV + 0x858, 0xabc);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x858), 0xabc);
}
END_TEST

static void notify_l4(uint64_t pml4, uint32_t what)
{
	mmio_w32(t_vgpu, PV + 0x838, (uint32_t)pml4);
	mmio_w32(t_vgpu, PV + 0x83c, (uint32_t)(pml4 >> 32));
	mmio_w32(t_vgpu, PV + 0x818, what);
}

START_TEST(test_pvinfo_g2v_ppgtt_lifetimes)
{
	struct gvt_pvinfo_state *pv = &t_vgpu->pv;
	struct gvt_ppgtt_state *pp = &t_vgpu->ppgtt;

	notify_l4(0x123000, 4);
	notify_l4(0x456000, 4);
	notify_l4(0x123000, 4);			/* a second reference */
	ck_assert_uint_eq(pp->num_mms, 2);
	ck_assert_uint_eq(pp->mms[0]->root.levels, 4);
	ck_assert_uint_eq(pp->mms[0]->root.pdp[0], 0x123000);
	ck_assert_uint_eq(pp->mms[0]->guest_refs, 2);
	notify_l4(0x123000, 5);
	notify_l4(0x123000, 5);
	ck_assert_uint_eq(pp->num_mms, 1);
	ck_assert_uint_eq(pp->mms[0]->root.pdp[0], 0x456000);

	/* Three-level: four PDPs name the PPGTT. */
	for (uint32_t i = 0; i < 4; i++) {
		mmio_w32(t_vgpu, PV + 0x838 + 8 * i, 0x10000 * (i + 1));
		mmio_w32(t_vgpu, PV + 0x83c + 8 * i, 0);
	}
	mmio_w32(t_vgpu, PV + 0x818, 2);
	ck_assert_uint_eq(pp->num_mms, 2);
	ck_assert_uint_eq(pp->mms[1]->root.levels, 3);
	ck_assert_uint_eq(pp->mms[1]->root.pdp[3], 0x40000);
	mmio_w32(t_vgpu, PV + 0x818, 3);
	ck_assert_uint_eq(pp->num_mms, 1);

	/* Destroying what was never created, or nonsense, is the guest's error. */
	notify_l4(0x999000, 5);
	mmio_w32(t_vgpu, PV + 0x818, 42);
	ck_assert(t_log_has("destroy of unknown L4 PPGTT 0x999000"));
	ck_assert(t_log_has("unknown g2v notification 42"));
	/* Context notifications are accepted. */
	mmio_w32(t_vgpu, PV + 0x818, 6);
	mmio_w32(t_vgpu, PV + 0x818, 7);
	ck_assert_uint_eq(pv->ctx_notifications, 2);
	ck_assert(!t_info(t_vgpu).failsafe);
}
END_TEST

START_TEST(test_pvinfo_rsv5_means_failsafe)
{
	mmio_w32(t_vgpu, PV + 0x80c, 1);
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert(strstr(t_info(t_vgpu).failsafe_reason, "insufficient resources"));
}
END_TEST

START_TEST(test_pvinfo_reset_repopulates)
{
	mmio_r32(t_vgpu, PV);
	mmio_w32(t_vgpu, PV + 0x804, 1);
	notify_l4(0x123000, 4);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert(!t_info(t_vgpu).pv_notified);
	ck_assert(!t_info(t_vgpu).display_ready);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_mms, 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, PV + 0x804), 0);
	ck_assert_uint_eq(mmio_r64(t_vgpu, PV), 0x4776544776544776ull);
}
END_TEST

Suite *pvinfo_suite(void)
{
	Suite *s = suite_create("pvinfo");
	TCase *tc = tcase_create("pvinfo");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_loop_test(tc, test_pvinfo_per_type, 0, 4);
	tcase_add_test(tc, test_pvinfo_read_marks_guest_aware);
	tcase_add_test(tc, test_pvinfo_host_fields_are_read_only);
	tcase_add_test(tc, test_pvinfo_guest_fields);
	tcase_add_test(tc, test_pvinfo_g2v_ppgtt_lifetimes);
	tcase_add_test(tc, test_pvinfo_rsv5_means_failsafe);
	tcase_add_test(tc, test_pvinfo_reset_repopulates);
	suite_add_tcase(s, tc);
	return s;
}
