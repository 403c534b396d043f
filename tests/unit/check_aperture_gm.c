// SPDX-License-Identifier: MIT
/* Types and admission: how many vGPUs fit, where they go, why one doesn't. */
#include <string.h>

#include "harness.h"

#define MiB (1ull << 20)

static uint32_t avail(struct gvt_ctx *ctx, const char *name)
{
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctx); i++) {
		struct gvt_type_info t;

		ck_assert_int_eq(gvt_ctx_get_type(ctx, i, &t), 0);
		if (!strcmp(t.name, name))
			return t.avail_instances;
	}
	ck_abort_msg("no type %s", name);
	return 0;
}

START_TEST(test_aperture_gm_type_table)
{
	static const struct {
		const char *name;
		uint64_t low, high;
		uint32_t weight;
	} want[] = {
		{ "GVTg_V5_1", 512, 2048, 16 },
		{ "GVTg_V5_2", 256, 1024, 8 },
		{ "GVTg_V5_4", 128, 512, 4 },
		{ "GVTg_V5_8", 64, 384, 2 },
	};
	struct gvt_type_info t;

	ck_assert_uint_eq(gvt_ctx_num_types(t_ctx), 4);
	for (unsigned int i = 0; i < 4; i++) {
		ck_assert_int_eq(gvt_ctx_get_type(t_ctx, i, &t), 0);
		ck_assert_str_eq(t.name, want[i].name);
		ck_assert_uint_eq(t.low_gm_size, want[i].low * MiB);
		ck_assert_uint_eq(t.high_gm_size, want[i].high * MiB);
		ck_assert_uint_eq(t.fences, 4);
		ck_assert_uint_eq(t.weight, want[i].weight);
	}
	ck_assert_int_eq(gvt_ctx_get_type(t_ctx, 4, &t), -EINVAL);
}
END_TEST

/* The derived GVT-g numbers, per aperture size. */
static const struct {
	uint32_t aperture;
	uint32_t v1, v2, v4, v8;
} admission_table[] = {
	{ 256, 0, 0, 1, 2 },
	{ 512, 0, 1, 3, 6 },
	{ 1024, 1, 2, 5, 7 },
};

START_TEST(test_aperture_gm_available_instances)
{
	struct gvt_ctx *ctx = t_ctx_new(admission_table[_i].aperture);

	ck_assert_uint_eq(avail(ctx, "GVTg_V5_1"), admission_table[_i].v1);
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_2"), admission_table[_i].v2);
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_4"), admission_table[_i].v4);
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_8"), admission_table[_i].v8);
	gvt_ctx_destroy(ctx);
}
END_TEST

/* Exactly as many GVTg_V5_8 as advertised are admitted; the next is not. */
START_TEST(test_aperture_gm_v5_8_fill)
{
	struct gvt_ctx *ctx = t_ctx_new(admission_table[_i].aperture);
	uint32_t n = admission_table[_i].v8;
	struct gvt_vgpu *vgpus[8] = { 0 };
	struct mock_hv *hvs[8] = { 0 };
	struct gvt_vgpu *extra = NULL;

	for (uint32_t i = 0; i < n; i++) {
		ck_assert_uint_eq(avail(ctx, "GVTg_V5_8"), n - i);
		vgpus[i] = t_vgpu_new(ctx, "GVTg_V5_8", &hvs[i]);
	}
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_8"), 0);
	ck_assert_int_eq(gvt_vgpu_create(ctx, "GVTg_V5_8", &mock_hv_ops, hvs[0], &extra), -ENOSPC);
	ck_assert_ptr_null(extra);
	for (uint32_t i = 0; i < n; i++) {
		gvt_vgpu_destroy(vgpus[i]);
		mock_hv_destroy(hvs[i]);
	}
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_8"), n);
	gvt_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_aperture_gm_first_fit_placement)
{
	struct mock_hv *hv1, *hv2, *hv3;
	struct gvt_vgpu *a = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv1);
	struct gvt_vgpu *b = t_vgpu_new(t_ctx, "GVTg_V5_4", &hv2);
	struct gvt_vgpu_info ia = t_info(a), ib = t_info(b), ic;
	struct gvt_vgpu *c;

	/* Host keeps the bottom of each region; vGPUs follow in order. */
	ck_assert_uint_eq(ia.id, 1);
	ck_assert_uint_eq(ia.aperture_base, 128 * MiB);
	ck_assert_uint_eq(ia.aperture_size, 64 * MiB);
	ck_assert_uint_eq(ia.hidden_base, (1024 + 384) * MiB);
	ck_assert_uint_eq(ia.hidden_size, 384 * MiB);
	ck_assert_uint_eq(ia.fence_count, 4);
	ck_assert_uint_eq(ia.fence_index[0], 4);
	ck_assert_uint_eq(ia.fence_index[3], 7);
	ck_assert_uint_eq(ib.id, 2);
	ck_assert_uint_eq(ib.aperture_base, 192 * MiB);
	ck_assert_uint_eq(ib.hidden_base, (1024 + 384 + 384) * MiB);
	ck_assert_uint_eq(ib.fence_index[0], 8);

	/* A freed slot is reused first, with its id and fences. */
	gvt_vgpu_destroy(a);
	c = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv3);
	ic = t_info(c);
	ck_assert_uint_eq(ic.id, 1);
	ck_assert_uint_eq(ic.aperture_base, 128 * MiB);
	ck_assert_uint_eq(ic.hidden_base, (1024 + 384) * MiB);
	ck_assert_uint_eq(ic.fence_index[0], 4);
	gvt_vgpu_destroy(b);
	gvt_vgpu_destroy(c);
	mock_hv_destroy(hv1);
	mock_hv_destroy(hv2);
	mock_hv_destroy(hv3);
}
END_TEST

START_TEST(test_aperture_gm_refusal_names_resource)
{
	struct gvt_ctx *ctx = t_ctx_new(256);
	struct mock_hv *hv1, *hv2;
	struct gvt_vgpu *a = t_vgpu_new(ctx, "GVTg_V5_8", &hv1);
	struct gvt_vgpu *b = t_vgpu_new(ctx, "GVTg_V5_8", &hv2);
	struct gvt_vgpu *c = NULL;
	char why[256];

	ck_assert_int_eq(gvt_ctx_admit(ctx, "GVTg_V5_8", why, sizeof(why)), -ENOSPC);
	ck_assert_msg(strstr(why, "aperture: need 64 MiB, 0 MiB free (short by 64 MiB)"), "%s", why);
	ck_assert_int_eq(gvt_ctx_admit(ctx, "GVTg_V5_1", why, sizeof(why)), -ENOSPC);
	ck_assert_msg(strstr(why, "aperture: need 512 MiB, 0 MiB free (short by 512 MiB)"), "%s", why);

	t_log_clear();
	ck_assert_int_eq(gvt_vgpu_create(ctx, "GVTg_V5_8", &mock_hv_ops, hv1, &c), -ENOSPC);
	ck_assert(t_log_has("cannot create a GVTg_V5_8 vGPU: aperture: need 64 MiB"));
	ck_assert_uint_eq(t_log_count(), 1);

	gvt_vgpu_destroy(a);
	ck_assert_int_eq(gvt_ctx_admit(ctx, "GVTg_V5_8", why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	gvt_vgpu_destroy(b);
	gvt_ctx_destroy(ctx);
	mock_hv_destroy(hv1);
	mock_hv_destroy(hv2);
}
END_TEST

START_TEST(test_aperture_gm_refusal_lists_every_short_resource)
{
	struct gvt_vgpu *v[7];
	struct mock_hv *hv[7];
	char why[512];

	for (int i = 0; i < 7; i++)
		v[i] = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv[i]);
	/* Seven _8 use all 28 vGPU fences, all hidden GM and every id. */
	ck_assert_int_eq(gvt_ctx_admit(t_ctx, "GVTg_V5_8", why, sizeof(why)), -ENOSPC);
	ck_assert_msg(strstr(why, "vGPUs: 7 of 7 already exist"), "%s", why);
	ck_assert_msg(strstr(why, "hidden: need 384 MiB, 0 MiB free (short by 384 MiB)"), "%s", why);
	ck_assert_msg(strstr(why, "fences: need 4, 0 free (short by 4)"), "%s", why);
	ck_assert_msg(!strstr(why, "aperture"), "%s", why);
	for (int i = 0; i < 7; i++) {
		gvt_vgpu_destroy(v[i]);
		mock_hv_destroy(hv[i]);
	}
}
END_TEST

START_TEST(test_aperture_gm_fragmentation_is_explained)
{
	struct gvt_vgpu *v[3];
	struct mock_hv *hv[3];
	char why[256];

	/* 512 MiB aperture: 384 MiB for vGPUs. Take 64 + 128 + 64, then free
	 * the two small ones: 256 MiB free, in holes of 64 and 192. */
	struct gvt_ctx *ctx = t_ctx_new(512);

	v[0] = t_vgpu_new(ctx, "GVTg_V5_8", &hv[0]);
	v[1] = t_vgpu_new(ctx, "GVTg_V5_4", &hv[1]);
	v[2] = t_vgpu_new(ctx, "GVTg_V5_8", &hv[2]);
	gvt_vgpu_destroy(v[0]);
	gvt_vgpu_destroy(v[2]);
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_2"), 0);
	ck_assert_int_eq(gvt_ctx_admit(ctx, "GVTg_V5_2", why, sizeof(why)), -ENOSPC);
	ck_assert_msg(strstr(why, "aperture: need 256 MiB contiguous, largest free block 192 MiB of 256 MiB free (short by 64 MiB)"), "%s", why);
	/* Availability counts what fits in the holes: 1 + 3 blocks of 64. */
	ck_assert_uint_eq(avail(ctx, "GVTg_V5_8"), 4);
	gvt_vgpu_destroy(v[1]);
	gvt_ctx_destroy(ctx);
	for (int i = 0; i < 3; i++)
		mock_hv_destroy(hv[i]);
}
END_TEST

START_TEST(test_aperture_gm_unknown_type)
{
	struct gvt_vgpu *v = NULL;
	struct mock_hv *hv;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	t_log_clear();
	ck_assert_int_eq(gvt_ctx_admit(t_ctx, "GVTg_V5_3", NULL, 0), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_3", &mock_hv_ops, hv, &v), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, NULL, &mock_hv_ops, hv, &v), -EINVAL);
	ck_assert(t_log_has("unknown vGPU type 'GVTg_V5_3'"));
	ck_assert_uint_eq(avail(t_ctx, "GVTg_V5_8"), 7);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_aperture_gm_placed_creation)
{
	struct gvt_vgpu_placement at = {
		.id = 5,
		.aperture_base = 512 * MiB,
		.hidden_base = 2048 * MiB,
		.fence_count = 4,
		.fence_index = { 31, 30, 9, 12 },
	};
	struct mock_hv *hv1, *hv2;
	struct gvt_vgpu *a = NULL, *b = NULL;
	struct gvt_vgpu_info info;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv1), 0);
	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv2), 0);
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_4", &at, &mock_hv_ops, hv1, &a), 0);
	info = t_info(a);
	ck_assert_uint_eq(info.id, 5);
	ck_assert_uint_eq(info.aperture_base, 512 * MiB);
	ck_assert_uint_eq(info.hidden_base, 2048 * MiB);
	ck_assert_uint_eq(info.fence_index[0], 31);
	ck_assert_uint_eq(info.fence_index[2], 9);
	ck_assert_uint_eq(mmio_r32(a, 0x7800c), 5);	/* PVINFO vgt_id */

	/* Taken places are refused, and the log says which. */
	t_log_clear();
	at.id = 0;
	at.aperture_base = 576 * MiB;	/* overlaps [512, 640) */
	at.hidden_base = GVT_PLACE_ANY;
	at.fence_count = 0;
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EBUSY);
	ck_assert(t_log_has("aperture slice [0x24000000, 0x28000000) is outside the aperture region or in use"));
	at.aperture_base = GVT_PLACE_ANY;
	at.id = 5;
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EBUSY);
	ck_assert(t_log_has("vGPU id 5 is in use"));
	at.id = 0;
	at.fence_count = 4;
	at.fence_index[0] = 9;
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EBUSY);
	ck_assert(t_log_has("fence 9 is in use"));
	at.fence_count = 0;
	at.hidden_base = 100 * MiB;		/* in the aperture, not hidden GM */
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EBUSY);
	at.hidden_base = 3000 * MiB + 1;
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EINVAL);
	at.id = 9;
	at.hidden_base = GVT_PLACE_ANY;
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", &at, &mock_hv_ops, hv2, &b), -EINVAL);
	ck_assert_ptr_null(b);
	/* Nothing leaked from the refusals: first fit still starts at 128. */
	ck_assert_int_eq(gvt_vgpu_create_placed(t_ctx, "GVTg_V5_8", NULL, &mock_hv_ops, hv2, &b), 0);
	ck_assert_uint_eq(t_info(b).aperture_base, 128 * MiB);
	ck_assert_uint_eq(t_info(b).id, 1);
	ck_assert_uint_eq(t_info(b).fence_index[0], 4);
	gvt_vgpu_destroy(a);
	gvt_vgpu_destroy(b);
	mock_hv_destroy(hv1);
	mock_hv_destroy(hv2);
}
END_TEST

Suite *aperture_gm_suite(void)
{
	Suite *s = suite_create("aperture_gm");
	TCase *tc = tcase_create("admission");

	tcase_add_checked_fixture(tc, t_setup_ctx, t_teardown);
	tcase_add_test(tc, test_aperture_gm_type_table);
	tcase_add_loop_test(tc, test_aperture_gm_available_instances, 0, 3);
	tcase_add_loop_test(tc, test_aperture_gm_v5_8_fill, 0, 3);
	tcase_add_test(tc, test_aperture_gm_first_fit_placement);
	tcase_add_test(tc, test_aperture_gm_refusal_names_resource);
	tcase_add_test(tc, test_aperture_gm_refusal_lists_every_short_resource);
	tcase_add_test(tc, test_aperture_gm_fragmentation_is_explained);
	tcase_add_test(tc, test_aperture_gm_unknown_type);
	tcase_add_test(tc, test_aperture_gm_placed_creation);
	suite_add_tcase(s, tc);
	return s;
}
