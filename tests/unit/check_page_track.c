// SPDX-License-Identifier: MIT
/* Write-protected guest pages and the page-write entry point. */
#include "harness.h"
#include "private.h"

struct seen {
	unsigned int calls;
	uint64_t gpa;
	uint32_t len;
	uint64_t value_in_ram;
};

static void on_write(struct gvt_vgpu *vgpu, uint64_t gpa, const void *data,
		     uint32_t len, void *priv)
{
	struct seen *s = priv;

	s->calls++;
	s->gpa = gpa;
	s->len = len;
	/* The write is already in guest memory when the handler runs. */
	s->value_in_ram = *(uint64_t *)(t_hv->ram + gpa);
}

START_TEST(test_page_track_write_is_performed_then_handled)
{
	struct seen seen = { 0 };
	uint64_t pte = 0x1234567000ull | 3;

	ck_assert_int_eq(gvt_page_track_add(t_vgpu, 0x42, on_write, &seen), 0);
	ck_assert_uint_eq(t_hv->tracked_live, 1);
	ck_assert_uint_eq(t_hv->track[0].gfn, 0x42);
	ck_assert(t_hv->track[0].enable);

	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, 0x42 * 4096 + 0x18, &pte, 8), 0);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.gpa, 0x42 * 4096 + 0x18);
	ck_assert_uint_eq(seen.len, 8);
	ck_assert_uint_eq(seen.value_in_ram, pte);
	ck_assert_uint_eq(t_stats(t_vgpu).page_writes, 1);

	/* An untracked page (a race with untracking) is written, no more. */
	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, 0x43 * 4096, &pte, 8), 0);
	ck_assert_uint_eq(*(uint64_t *)(t_hv->ram + 0x43 * 4096), pte);
	ck_assert_uint_eq(seen.calls, 1);

	ck_assert_int_eq(gvt_page_track_remove(t_vgpu, 0x42), 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	ck_assert_int_eq(gvt_page_track_remove(t_vgpu, 0x42), -ENOENT);
}
END_TEST

START_TEST(test_page_track_many_pages)
{
	struct seen seen = { 0 };

	/* Enough to grow the table several times, with removals between. */
	for (uint64_t gfn = 0; gfn < 5000; gfn++)
		ck_assert_int_eq(gvt_page_track_add(t_vgpu, gfn * 7, on_write, &seen), 0);
	ck_assert_int_eq(gvt_page_track_add(t_vgpu, 7, on_write, &seen), -EEXIST);
	for (uint64_t gfn = 0; gfn < 5000; gfn += 2)
		ck_assert_int_eq(gvt_page_track_remove(t_vgpu, gfn * 7), 0);
	for (uint64_t gfn = 0; gfn < 5000; gfn++)
		ck_assert((gvt_page_track_find(t_vgpu, gfn * 7) != NULL) == (gfn % 2 == 1));
	ck_assert_ptr_null(gvt_page_track_find(t_vgpu, 3));
	ck_assert_uint_eq(t_hv->tracked_live, 2500);
	/* Reset drops every protection. */
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	ck_assert_ptr_null(gvt_page_track_find(t_vgpu, 7));
}
END_TEST

START_TEST(test_page_track_needs_the_transport)
{
	struct mock_hv *hv;
	struct gvt_vgpu *v = NULL;
	struct seen seen = { 0 };

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops_no_track, hv, &v), 0);
	ck_assert_int_eq(gvt_page_track_add(v, 1, on_write, &seen), -EOPNOTSUPP);
	ck_assert_ptr_null(gvt_page_track_find(v, 1));
	/* A failing transport leaves nothing half-tracked. */
	mock_hv_fail(t_hv, MOCK_PAGE_TRACK_ENABLE, 0, 1, -EIO);
	ck_assert_int_eq(gvt_page_track_add(t_vgpu, 1, on_write, &seen), -EIO);
	ck_assert_ptr_null(gvt_page_track_find(t_vgpu, 1));
	gvt_vgpu_destroy(v);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_page_track_write_misuse)
{
	uint8_t buf[8] = { 0 };

	t_log_clear();
	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, 4096 - 4, buf, 8), -EINVAL);
	ck_assert(t_log_has("within one page"));
	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, 0, buf, 0), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, 0, NULL, 8), -EINVAL);
	/* Outside guest RAM the transport refuses; the error comes back. */
	ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, TEST_RAM_SIZE, buf, 8), -EFAULT);
}
END_TEST

Suite *page_track_suite(void)
{
	Suite *s = suite_create("page_track");
	TCase *tc = tcase_create("page_track");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_test(tc, test_page_track_write_is_performed_then_handled);
	tcase_add_test(tc, test_page_track_many_pages);
	tcase_add_test(tc, test_page_track_needs_the_transport);
	tcase_add_test(tc, test_page_track_write_misuse);
	suite_add_tcase(s, tc);
	return s;
}
