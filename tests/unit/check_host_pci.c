// SPDX-License-Identifier: MIT
/* Host GPU discovery through libpci. */
#include "harness.h"

START_TEST(test_host_pci_scan_is_consistent)
{
	struct gvt_host_gpu gpus[8];
	size_t n = 99, n2 = 99;
	int ret = gvt_host_gpu_scan(gpus, 8, &n);

	if (ret == -EOPNOTSUPP) {
		ck_assert_uint_eq(n, 0);
		return;
	}
	ck_assert_int_eq(ret, 0);
	/* Counting without room gives the same number. */
	ck_assert_int_eq(gvt_host_gpu_scan(NULL, 0, &n2), 0);
	ck_assert_uint_eq(n, n2);
	for (size_t i = 0; i < n && i < 8; i++)
		ck_assert(gpus[i].platform == 0 || gpus[i].platform == GVT_PLATFORM_SKL);
	ck_assert_int_eq(gvt_host_gpu_scan(NULL, 1, &n), -EINVAL);
	ck_assert_int_eq(gvt_host_gpu_scan(gpus, 1, NULL), -EINVAL);
}
END_TEST

Suite *host_pci_suite(void)
{
	Suite *s = suite_create("host_pci");
	TCase *tc = tcase_create("host_pci");

	tcase_add_test(tc, test_host_pci_scan_is_consistent);
	suite_add_tcase(s, tc);
	return s;
}
