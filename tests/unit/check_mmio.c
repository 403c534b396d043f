// SPDX-License-Identifier: MIT
/* Register emulation: default semantics, handlers with side effects, and
 * the shapes of access a guest can make to BAR0 and BAR4. */
#include <string.h>
#include <time.h>

#include "harness.h"
#include "private.h"

#define RCS 0x2000u
#define BCS 0x22000u
#define UNTRACKED 0x1ff000u

static uint32_t phys_r32(uint32_t off)
{
	return t_ctx->pgpu_ops->mmio_read(t_ctx->pgpu, off);
}

START_TEST(test_mmio_power_on_values)
{
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44304), 0xffffffff);	/* GT0 IMR */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0xc4004), 0xffffffff);	/* SDEIMR */
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0xa8), 0xffffffff);	/* RING_IMR */
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x3a0), 0x7);	/* CSB write ptr 7 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, BCS + 0x3a0), 0x7);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x9120), 0x02800000);	/* GEN8_FUSE2 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x42000), 0x8e000000);	/* SKL_FUSE_STATUS */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x46010), 0xc0000000);	/* LCPLL1 locked */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x6c060), 0x1);		/* DPLL0 locked */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44200), 0);		/* master off */
	/* What i915's probe reads of the "hardware" (found booting it): */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x6c05c), 0x000f8000);	/* DDI clocks gated */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x14500c), 0x408);	/* DIMM on channel 0 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x145010), 0x408);	/* and 1 */
}
END_TEST

START_TEST(test_mmio_untracked_is_storage)
{
	ck_assert_ptr_null(gvt_mmio_find_reg(&t_ctx->mmio, UNTRACKED));
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED), 0);
	mmio_w32(t_vgpu, UNTRACKED, 0xcafef00d);
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED), 0xcafef00d);
}
END_TEST

START_TEST(test_mmio_read_only)
{
	mmio_w32(t_vgpu, 0x44300, 0x1234);		/* GT0 ISR */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44300), 0);
	mmio_w32(t_vgpu, 0x13805c, 0x7);		/* GT thread status */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x13805c), 0);
	mmio_w32(t_vgpu, 0x145998, 0);			/* RP_STATE_CAP (MCHBAR) */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x145998), 0x00070e17);
	mmio_w32(t_vgpu, RCS + 0x234, 0xffffffff);	/* EXECLIST_STATUS */
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x234), 0);
}
END_TEST

START_TEST(test_mmio_mode_mask)
{
	uint32_t instpm = RCS + 0xc0;

	mmio_w32(t_vgpu, instpm, 0x00010001);
	ck_assert_uint_eq(mmio_r32(t_vgpu, instpm), 0x1);
	mmio_w32(t_vgpu, instpm, 0x00000000);		/* no mask: no change */
	ck_assert_uint_eq(mmio_r32(t_vgpu, instpm), 0x1);
	mmio_w32(t_vgpu, instpm, 0x00060004);		/* sets 2, clears 1 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, instpm), 0x5);
	mmio_w32(t_vgpu, instpm, 0x00010000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, instpm), 0x4);
	/* The CSB pointer is a masked register the driver resets. */
	mmio_w32(t_vgpu, RCS + 0x3a0, 0xffff0505);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x3a0), 0x0505);
}
END_TEST

START_TEST(test_mmio_forcewake_ack)
{
	static const uint32_t req_ack[][2] = {
		{ 0xa278, 0x0d84 }, { 0xa188, 0x130044 }, { 0xa270, 0x0d88 },
	};

	for (unsigned int i = 0; i < 3; i++) {
		mmio_w32(t_vgpu, req_ack[i][0], 0xffff0000);
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][1]), 0);
		mmio_w32(t_vgpu, req_ack[i][0], 0x00010001);
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][1]), 1);
		mmio_w32(t_vgpu, req_ack[i][0], 0x80008000);	/* fallback bit */
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][1]), 0x8001);
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][0]), 0x8001);
		mmio_w32(t_vgpu, req_ack[i][1], 0);		/* acks are the GPU's */
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][1]), 0x8001);
		mmio_w32(t_vgpu, req_ack[i][0], 0x80010000);
		ck_assert_uint_eq(mmio_r32(t_vgpu, req_ack[i][1]), 0);
	}
}
END_TEST

START_TEST(test_mmio_fences_are_private)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);
	uint32_t start = (uint32_t)info.aperture_base;
	uint32_t last = start + 0x10000 - 0x1000;

	ck_assert_int_eq(mmio_r32(t_vgpu, 0x78000), 0x76544776); /* GVT-aware */
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t phys = info.fence_index[i];

		mmio_w32(t_vgpu, 0x100000 + 8 * i, 0);
		mmio_w32(t_vgpu, 0x100004 + 8 * i, last | 0x7);
		mmio_w32(t_vgpu, 0x100000 + 8 * i, start | 0x3);
		ck_assert_uint_eq(mmio_r32(t_vgpu, 0x100000 + 8 * i), start | 0x3);
		ck_assert_uint_eq(phys_r32(0x100000 + 8 * phys), start | 0x3);
		ck_assert_uint_eq(phys_r32(0x100004 + 8 * phys), last | 0x7);
	}
	/* Fence 4 is not ours: reads 0, writes reach nothing. */
	mmio_w32(t_vgpu, 0x100020, start | 1);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x100020), 0);
	for (uint32_t p = 0; p < 32; p++) {
		bool ours = false;

		for (uint32_t i = 0; i < 4; i++)
			ours |= info.fence_index[i] == p;
		if (!ours)
			ck_assert_uint_eq(phys_r32(0x100000 + 8 * p), 0);
	}
	ck_assert_uint_ge(t_stats(t_vgpu).guest_errors, 1);
	ck_assert(!t_info(t_vgpu).failsafe);
}
END_TEST

START_TEST(test_mmio_fence_outside_own_memory_is_disabled)
{
	uint32_t phys = t_info(t_vgpu).fence_index[0];

	mmio_r32(t_vgpu, 0x78000);
	/* A valid fence over the host's part of the aperture. */
	mmio_w32(t_vgpu, 0x100004, 0x00100000);
	mmio_w32(t_vgpu, 0x100000, 0x00000001);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x100000), 0x00000001);
	ck_assert_uint_eq(phys_r32(0x100000 + 8 * phys), 0);
	ck_assert(t_log_has("outside its graphics memory; disabled"));
}
END_TEST

START_TEST(test_mmio_fence_before_pvinfo_is_failsafe)
{
	mmio_r32(t_vgpu, 0x100040);	/* fence 8, without reading PVINFO */
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert(strstr(t_info(t_vgpu).failsafe_reason, "not GVT-aware"));
}
END_TEST

START_TEST(test_mmio_gdrst)
{
	mmio_w32(t_vgpu, RCS + 0x34, 0x1234);		/* RING_HEAD */
	mmio_w32(t_vgpu, 0x44304, 0xfffffefe);		/* GT0 IMR */
	mmio_w32(t_vgpu, RCS + 0x3a0, 0xffff0505);
	mmio_w32(t_vgpu, BCS + 0x3a0, 0xffff0303);

	/* Engine reset: that engine's submission state only. */
	mmio_w32(t_vgpu, 0x941c, 1u << 1);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x941c), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x3a0), 0x7);
	ck_assert_uint_eq(mmio_r32(t_vgpu, BCS + 0x3a0), 0x0303);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x34), 0x1234);

	/* Full reset: the GT's registers, not interrupts or display. */
	mmio_w32(t_vgpu, 0x941c, 1u << 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x941c), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x34), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, BCS + 0x3a0), 0x7);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44304), 0xfffffefe);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x78000), 0x76544776);
	ck_assert_uint_eq(t_stats(t_vgpu).resets, 2);
	/* Resets the guest asks for do not flood the log. */
	t_log_clear();
	for (int i = 0; i < 100; i++)
		mmio_w32(t_vgpu, 0x941c, 1);
	ck_assert_uint_eq(t_log_count(), 0);
}
END_TEST

/* Found by Debian's i915: after resetting the GuC it checks that the
 * microcontroller sits in reset, which it does for good on a vGPU. */
START_TEST(test_mmio_guc_reset_holds_mia_in_reset)
{
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0xc000) & 1, 1);	/* GUC_STATUS */
	mmio_w32(t_vgpu, 0xc000, 0);				/* read-only */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0xc000) & 1, 1);
	mmio_w32(t_vgpu, 0x941c, 1u << 5);			/* GDRST: GuC */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x941c), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0xc000) & 1, 1);
}
END_TEST

/* Found by Debian's i915: an AUX transaction on a port with no monitor
 * must end (done + timeout error) rather than stay busy. */
START_TEST(test_mmio_dp_aux_without_a_sink_times_out)
{
	const uint32_t busy = 1u << 31, done = 1u << 30, irq = 1u << 29,
		       timeout = 1u << 28, rcv_err = 1u << 25;

	for (uint32_t ch = 0; ch < 4; ch++) {
		uint32_t ctl = 0x64010 + ch * 0x100;

		mmio_w32(t_vgpu, ctl + 4, 0x90000001);		/* data: stored */
		ck_assert_uint_eq(mmio_r32(t_vgpu, ctl + 4), 0x90000001);
		mmio_w32(t_vgpu, ctl, busy | done | timeout | rcv_err | 0x00500000);
		ck_assert_uint_eq(mmio_r32(t_vgpu, ctl), done | timeout | 0x00500000);
		/* Writing the sticky bits back clears them. */
		mmio_w32(t_vgpu, ctl, done | timeout);
		ck_assert_uint_eq(mmio_r32(t_vgpu, ctl), 0);
	}
	/* With the interrupt bit, AUX A's completion is an event. */
	mmio_w32(t_vgpu, 0x44444, ~1u);				/* DE port IMR */
	mmio_w32(t_vgpu, 0x64010, busy | irq);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44448) & 1, 1);	/* DE port IIR */
}
END_TEST

START_TEST(test_mmio_pcode_mailbox)
{
	mmio_w32(t_vgpu, 0x138128, 0);
	mmio_w32(t_vgpu, 0x138124, 0x80000006);		/* read WM latency 0-3 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138124), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138128), 0x1e1a1100);
	mmio_w32(t_vgpu, 0x138128, 1);
	mmio_w32(t_vgpu, 0x138124, 0x80000006);		/* levels 4-7 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138128), 0x61514b3d);
	mmio_w32(t_vgpu, 0x138128, 3);
	mmio_w32(t_vgpu, 0x138124, 0x80000007);		/* CDCLK prepare */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138128), 0x1);
	mmio_w32(t_vgpu, 0x138128, 0);
	mmio_w32(t_vgpu, 0x138124, 0x80000021);		/* SAGV disable */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138128), 0x1);
	mmio_w32(t_vgpu, 0x138124, 0x00000021);		/* not ready: just stored */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x138124), 0x21);
}
END_TEST

START_TEST(test_mmio_display_power_and_plls)
{
	mmio_w32(t_vgpu, 0x45404, 0xa0000002);		/* PW2, PW1, MISC IO */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x45404), 0xf0000003);
	mmio_w32(t_vgpu, 0x45404, 0x00000001);		/* state bits are not the guest's */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x45404), 0);
	mmio_w32(t_vgpu, 0x45008, 0x80000000);		/* DBUF */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x45008), 0xc0000000);
	mmio_w32(t_vgpu, 0x46014, 0x80000000);		/* LCPLL2 */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x46014), 0xc0000000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x6c060), 0x101);
	mmio_w32(t_vgpu, 0x46010, 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x46010), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x6c060), 0x100);
}
END_TEST

START_TEST(test_mmio_ring_control)
{
	/* Stopping a ring: the idle engine reports idle at once. */
	mmio_w32(t_vgpu, RCS + 0x9c, 0x01000100);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x9c), 0x300);
	mmio_w32(t_vgpu, RCS + 0x9c, 0x02000200);	/* idle is read-only */
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x9c), 0x300);
	mmio_w32(t_vgpu, RCS + 0x9c, 0x01000000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x9c), 0);
	/* Engine reset handshake. */
	mmio_w32(t_vgpu, RCS + 0xd0, 0x00010001);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0xd0), 0x3);
	mmio_w32(t_vgpu, RCS + 0xd0, 0x00010000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0xd0), 0);
	mmio_w32(t_vgpu, RCS + 0xd0, 0x00020002);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0xd0), 0);
	/* TLB invalidation completes at once. */
	mmio_w32(t_vgpu, 0x4260, 1);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x4260), 0);
	/* FPGA_DBG's unclaimed-access bit is write-1-to-clear. */
	mmio_w32(t_vgpu, 0x42300, 0x80000000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x42300), 0);
	/* So is every engine's RING_EIR: i915 writes all ones to clear it. */
	for (uint32_t base = 0x2000; base <= 0x22000; base += 0x10000) {
		mmio_w32(t_vgpu, base + 0xb0, 0xffffffff);
		ck_assert_uint_eq(mmio_r32(t_vgpu, base + 0xb0), 0);
	}
	mmio_w32(t_vgpu, 0x1a000 + 0xb0, 0xffffffff);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x1a000 + 0xb0), 0);
}
END_TEST

START_TEST(test_mmio_hws_pga_must_be_own_memory)
{
	uint32_t own = (uint32_t)t_info(t_vgpu).aperture_base + 0x3000;

	mmio_w32(t_vgpu, RCS + 0x80, own);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x80), own);
	mmio_w32(t_vgpu, RCS + 0x80, 0x1000);		/* the host's */
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x80), own);
	ck_assert(t_log_has("RING_HWS_PGA"));
}
END_TEST

START_TEST(test_mmio_execlists_need_gvt_aware_guest)
{
	mmio_w32(t_vgpu, RCS + 0x29c, 0x80008000);	/* RUN_LIST_ENABLE */
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert(strstr(t_info(t_vgpu).failsafe_reason, "rcs: guest enabled execlists or PPGTT without reading PVINFO"));
	ck_assert(t_log_has("failsafe: rcs"));
	/* In failsafe, registers are plain storage: forcewake is not acked. */
	mmio_w32(t_vgpu, 0xa278, 0x00010001);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x0d84), 0);
	/* A device reset brings the vGPU back. */
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert(!t_info(t_vgpu).failsafe);
	ck_assert_str_eq(t_info(t_vgpu).failsafe_reason, "");
}
END_TEST

START_TEST(test_mmio_host_owned_gfx_mode_bit)
{
	mmio_r32(t_vgpu, 0x78000);
	mmio_w32(t_vgpu, BCS + 0x29c, 0x00010001);
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert_uint_eq(mmio_r32(t_vgpu, BCS + 0x29c), 0);
}
END_TEST

START_TEST(test_mmio_elsp_submission_latched)
{
	struct gvt_engine_state *es = &t_vgpu->engine[GVT_RCS];
	const uint32_t elsp = RCS + 0x230;

	mmio_r32(t_vgpu, 0x78000);
	mmio_w32(t_vgpu, RCS + 0x29c, 0x80008000);
	ck_assert_uint_eq(mmio_r32(t_vgpu, RCS + 0x29c), 0x8000);
	ck_assert(!t_info(t_vgpu).failsafe);

	/* Element 1 high, low, element 0 high, low. */
	mmio_w32(t_vgpu, elsp, 0);
	mmio_w32(t_vgpu, elsp, 0);
	mmio_w32(t_vgpu, elsp, 0x20);
	ck_assert_uint_eq(es->elsp_submissions, 0);
	mmio_w32(t_vgpu, elsp, 0x00801119);
	ck_assert_uint_eq(es->elsp_submissions, 1);
	ck_assert_uint_eq(es->elsp_desc[0], 0x0000002000801119ull);
	ck_assert_uint_eq(es->elsp_desc[1], 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, elsp), 0);	/* write-only */

	/* A GGTT context is refused. */
	for (int i = 0; i < 3; i++)
		mmio_w32(t_vgpu, elsp, 0);
	mmio_w32(t_vgpu, elsp, 0x00801001);
	ck_assert_uint_eq(es->elsp_submissions, 1);
	ck_assert(t_log_has("uses the GGTT"));
}
END_TEST

START_TEST(test_mmio_legacy_ring_submission_is_failsafe)
{
	mmio_r32(t_vgpu, 0x78000);
	mmio_w32(t_vgpu, RCS + 0x3c, 0x1);		/* RING_CTL valid */
	mmio_w32(t_vgpu, RCS + 0x30, 0x100);		/* RING_TAIL */
	ck_assert(t_info(t_vgpu).failsafe);
	ck_assert(strstr(t_info(t_vgpu).failsafe_reason, "legacy ring-buffer submission"));
}
END_TEST

START_TEST(test_mmio_access_shapes)
{
	uint8_t b[8];
	uint16_t w;
	uint64_t q;

	mmio_w32(t_vgpu, UNTRACKED, 0x11223344);
	mmio_w32(t_vgpu, UNTRACKED + 4, 0x55667788);
	/* Bytes and words merge into the dword. */
	b[0] = 0xaa;
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, UNTRACKED + 1, b, 1), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED), 0x1122aa44);
	w = 0xbbcc;
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, UNTRACKED + 2, &w, 2), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED), 0xbbccaa44);
	/* A word across two dwords. */
	w = 0x0ff0;
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, UNTRACKED + 3, &w, 2), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED), 0xf0ccaa44);
	ck_assert_uint_eq(mmio_r32(t_vgpu, UNTRACKED + 4), 0x5566770f);
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, UNTRACKED + 3, &w, 2), 0);
	ck_assert_uint_eq(w, 0x0ff0);
	/* A qword is two dwords, low first. */
	q = mmio_r64(t_vgpu, UNTRACKED);
	ck_assert_uint_eq(q, 0x5566770ff0ccaa44ull);
	mmio_w64(t_vgpu, 0x44300, 0x12345678ffffffffull);	/* ISR (RO), IMR */
	ck_assert_uint_eq(mmio_r64(t_vgpu, 0x44300), 0x1234567800000000ull);
	/* The hole between registers and GGTT reads zero, ignores writes. */
	mmio_w32(t_vgpu, 0x300000, 0xffffffff);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x300000), 0);
}
END_TEST

START_TEST(test_mmio_misuse)
{
	uint64_t v = 0;

	t_log_clear();
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, 0, &v, 3), -EINVAL);
	ck_assert(t_log_has("size 3 is not 1, 2, 4 or 8"));
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, 0, &v, 16), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, 16u << 20, &v, 4), -EINVAL);
	ck_assert(t_log_has("outside the BAR"));
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, (16u << 20) - 4, &v, 8), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, 0x2000, NULL, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, 0x2000, NULL, 4), -EINVAL);
	ck_assert_uint_eq(t_log_count(), 6);
}
END_TEST

START_TEST(test_mmio_io_bar)
{
	uint32_t v = 0x44304;

	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 0, &v, 4), 0);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 4, &v, 4), 0);
	ck_assert_uint_eq(v, 0xffffffff);
	v = 0xfffffffe;
	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 4, &v, 4), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44304), 0xfffffffe);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 0, &v, 4), 0);
	ck_assert_uint_eq(v, 0x44304);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 0x10, &v, 4), 0);
	ck_assert_uint_eq(v, 0);
	/* A write through the window does not read first: writing PVINFO's
	 * display_ready does not make the guest look GVT-aware. */
	v = 0x78804;
	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 0, &v, 4), 0);
	v = 1;
	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 4, &v, 4), 0);
	ck_assert(!t_info(t_vgpu).pv_notified);
	ck_assert(t_info(t_vgpu).display_ready);
	/* A byte through the window lands on its byte. */
	v = 0x1ff000;
	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 0, &v, 4), 0);
	uint8_t b = 0xab;
	ck_assert_int_eq(gvt_vgpu_io_write(t_vgpu, 6, &b, 1), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x1ff000), 0x00ab0000);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 62, &v, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 0, &v, 8), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_io_read(t_vgpu, 3, &v, 2), -EINVAL);
}
END_TEST

START_TEST(test_mmio_timestamp_ticks)
{
	struct timespec pause = { 0, 2000000 };
	uint32_t a = mmio_r32(t_vgpu, RCS + 0x358);
	uint32_t b;

	nanosleep(&pause, NULL);
	b = mmio_r32(t_vgpu, RCS + 0x358);
	/* 12 MHz: 2 ms is at least 24000 ticks. */
	ck_assert_uint_ge(b - a, 24000);
}
END_TEST

Suite *mmio_suite(void)
{
	Suite *s = suite_create("mmio");
	TCase *tc = tcase_create("mmio");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_test(tc, test_mmio_power_on_values);
	tcase_add_test(tc, test_mmio_untracked_is_storage);
	tcase_add_test(tc, test_mmio_read_only);
	tcase_add_test(tc, test_mmio_mode_mask);
	tcase_add_test(tc, test_mmio_forcewake_ack);
	tcase_add_test(tc, test_mmio_fences_are_private);
	tcase_add_test(tc, test_mmio_fence_outside_own_memory_is_disabled);
	tcase_add_test(tc, test_mmio_fence_before_pvinfo_is_failsafe);
	tcase_add_test(tc, test_mmio_gdrst);
	tcase_add_test(tc, test_mmio_guc_reset_holds_mia_in_reset);
	tcase_add_test(tc, test_mmio_dp_aux_without_a_sink_times_out);
	tcase_add_test(tc, test_mmio_pcode_mailbox);
	tcase_add_test(tc, test_mmio_display_power_and_plls);
	tcase_add_test(tc, test_mmio_ring_control);
	tcase_add_test(tc, test_mmio_hws_pga_must_be_own_memory);
	tcase_add_test(tc, test_mmio_execlists_need_gvt_aware_guest);
	tcase_add_test(tc, test_mmio_host_owned_gfx_mode_bit);
	tcase_add_test(tc, test_mmio_elsp_submission_latched);
	tcase_add_test(tc, test_mmio_legacy_ring_submission_is_failsafe);
	tcase_add_test(tc, test_mmio_access_shapes);
	tcase_add_test(tc, test_mmio_misuse);
	tcase_add_test(tc, test_mmio_io_bar);
	tcase_add_test(tc, test_mmio_timestamp_ticks);
	suite_add_tcase(s, tc);
	return s;
}
