// SPDX-License-Identifier: MIT
/*
 * The unit-test runner: every subsystem's suite, or only the one named by
 * CK_RUN_SUITE (which is how CTest runs them one by one).
 */
#include <stdlib.h>

#include "harness.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
		aperture_gm_suite, cfg_space_suite, cmd_parser_suite,
		ctl_suite,	   execlist_suite,  gtt_suite,	    host_pci_suite,
		interrupt_suite,   log_suite,	    mmio_suite,
		page_track_suite,  ppgtt_suite,     pvinfo_suite,
		regs_suite,	   sched_policy_suite, sim_engine_suite,
		trace_suite,	   vgpu_suite,
#ifdef GVT_TEST_VFIO_USER
		vfio_user_suite,
#endif
#ifdef GVT_TEST_XEN
		xen_suite,
#endif
#ifdef GVT_TEST_XEN_DM
		xen_dm_suite,
#endif
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
