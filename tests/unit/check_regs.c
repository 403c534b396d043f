// SPDX-License-Identifier: MIT
/* Register tables become the attribute array; bad tables are refused. */
#include "harness.h"
#include "handlers.h"
#include "private.h"

static struct gvt_mmio_table table;

static int build(const struct gvt_reg *regs, size_t n, const struct gvt_reg *ring,
		 size_t nring)
{
	struct gvt_reg_table tables[2] = {
		{ regs, n, 0 },
		{ ring, nring, 1 },
	};

	return gvt_mmio_table_build(t_ctx, &table, t_ctx->platform, tables, 2);
}

START_TEST(test_regs_skl_table_builds)
{
	const struct gvt_reg *r;

	/* GVT-g tracks 2015 dwords on a 4-engine SKL, plus its blocks
	 * (palettes 768, PVINFO 1024, DMC 3072, MCHBAR mirror 65536 dwords);
	 * fences here cover all 32 registers (64 dwords instead of 32),
	 * GUC_STATUS is tracked (read-only, MIA held in reset), and so is
	 * each engine's RING_EIR (write-1-to-clear). */
	ck_assert_uint_eq(t_ctx->mmio.tracked_dwords, 2015 + 70400 + 32 + 1 + 4);
	r = gvt_mmio_find_reg(&t_ctx->mmio, 0x44200);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "GEN8_MASTER_IRQ");
	r = gvt_mmio_find_reg(&t_ctx->mmio, 0x2230);	/* RCS ELSP */
	ck_assert_ptr_nonnull(r);
	ck_assert(r->write == elsp_mmio_write);
	ck_assert_ptr_nonnull(gvt_mmio_find_reg(&t_ctx->mmio, 0x1a230)); /* VECS */
	ck_assert_ptr_null(gvt_mmio_find_reg(&t_ctx->mmio, 0x1c230));	/* no VCS2 */
	ck_assert(t_ctx->mmio.attr[0x78abc >> 2].flags & F_RH);		/* PVINFO */
	ck_assert(t_ctx->mmio.attr[0x209c >> 2].flags & F_MODE_MASK);	/* MI_MODE */
}
END_TEST

START_TEST(test_regs_duplicate_is_refused)
{
	static const struct gvt_reg regs[] = {
		GVT_REG("A", 0x1000, 4, 0, 0, D_SKL, NULL, NULL),
		GVT_REG("B", 0x1000, 4, 0, 0, D_SKL, NULL, NULL),
	};

	t_log_clear();
	ck_assert_int_eq(build(regs, 2, NULL, 0), -EEXIST);
	ck_assert(t_log_has("duplicate register at 0x1000 (A and B)"));
	ck_assert_ptr_null(table.attr);
}
END_TEST

START_TEST(test_regs_overlap_is_refused)
{
	static const struct gvt_reg regs[] = {
		GVT_REG("WIDE", 0x1000, 0x10, 0, 0, D_SKL, NULL, NULL),
		GVT_REG("INSIDE", 0x1008, 4, 0, 0, D_SKL, NULL, NULL),
	};

	ck_assert_int_eq(build(regs, 2, NULL, 0), -EEXIST);
	ck_assert(t_log_has("INSIDE (0x1008) overlaps WIDE"));
}
END_TEST

START_TEST(test_regs_unsorted_is_refused)
{
	static const struct gvt_reg regs[] = {
		GVT_REG("LATE", 0x2000, 4, 0, 0, D_SKL, NULL, NULL),
		GVT_REG("EARLY", 0x1000, 4, 0, 0, D_SKL, NULL, NULL),
	};

	ck_assert_int_eq(build(regs, 2, NULL, 0), -EINVAL);
	ck_assert(t_log_has("not sorted"));
}
END_TEST

START_TEST(test_regs_engine_row_meets_fixed_row)
{
	/* RCS's base + 0x30 is 0x2030: the same dword as this fixed row. */
	static const struct gvt_reg regs[] = {
		GVT_REG("FIXED", 0x2030, 4, 0, 0, D_SKL, NULL, NULL),
	};
	static const struct gvt_reg ring[] = {
		GVT_REG("RING_TAIL", 0x30, 4, 0, 0, D_SKL, NULL, NULL),
	};

	ck_assert_int_eq(build(regs, 1, ring, 1), -EEXIST);
	ck_assert(t_log_has("duplicate register at 0x2030 (FIXED and RING_TAIL)"));
}
END_TEST

START_TEST(test_regs_other_platform_rows_are_skipped)
{
	static const struct gvt_reg regs[] = {
		GVT_REG("SKL_ONLY", 0x1000, 4, F_CMD_ACCESS, 0xff, D_SKL, NULL, NULL),
		GVT_REG("KBL_ONLY", 0x1004, 4, 0, 0, D_KBL, NULL, NULL),
		GVT_REG("MISALIGNED", 0x1008, 6, 0, 0, D_SKL, NULL, NULL),
	};

	ck_assert_int_eq(build(regs, 3, NULL, 0), -EINVAL);
	ck_assert(t_log_has("MISALIGNED"));
	ck_assert_int_eq(build(regs, 2, NULL, 0), 0);
	ck_assert_ptr_nonnull(gvt_mmio_find_reg(&table, 0x1000));
	ck_assert_ptr_null(gvt_mmio_find_reg(&table, 0x1004));
	ck_assert_uint_eq(table.attr[0x1000 >> 2].flags,
			  F_TRACKED | F_CMD_ACCESS | F_RO);
	ck_assert_uint_eq(table.tracked_dwords, 1);
	gvt_mmio_table_free(&table);
}
END_TEST

Suite *regs_suite(void)
{
	Suite *s = suite_create("regs");
	TCase *tc = tcase_create("regs");

	tcase_add_checked_fixture(tc, t_setup_ctx, t_teardown);
	tcase_add_test(tc, test_regs_skl_table_builds);
	tcase_add_test(tc, test_regs_duplicate_is_refused);
	tcase_add_test(tc, test_regs_overlap_is_refused);
	tcase_add_test(tc, test_regs_unsorted_is_refused);
	tcase_add_test(tc, test_regs_engine_row_meets_fixed_row);
	tcase_add_test(tc, test_regs_other_platform_rows_are_skipped);
	suite_add_tcase(s, tc);
	return s;
}
