// SPDX-License-Identifier: MIT
/* PCI configuration space of a vGPU: identity, BARs, read-only bits, caps. */
#include "harness.h"

START_TEST(test_cfg_space_identity)
{
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x00), 0x8086);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x02), 0x1912);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x08), 0x06);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x08) >> 8, 0x030000);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x0e), 0x00);	/* type 0, single function */
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x2c), 0x8086);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x3d), 1);	/* INTA */
	/* Status: capabilities list, no errors; command: nothing enabled */
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x06), 0x0010);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x04), 0x0000);
}
END_TEST

START_TEST(test_cfg_space_bar_types)
{
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x10), 0x4);	/* 64-bit memory */
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x18), 0xc);	/* 64-bit prefetchable */
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x20), 0x1);	/* I/O */
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x24), 0);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x30), 0);	/* no ROM */
}
END_TEST

START_TEST(test_cfg_space_bar_sizing)
{
	/* The sizing protocol: all ones in, ~(size - 1) | type bits out. */
	cfg_w32(t_vgpu, 0x10, 0xffffffff);
	cfg_w32(t_vgpu, 0x14, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x10), 0xff000004);	/* 16 MiB */
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x14), 0xffffffff);
	cfg_w32(t_vgpu, 0x18, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x18), 0xc000000c);	/* 1 GiB aperture */
	cfg_w32(t_vgpu, 0x20, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x20), 0xffffffc1);	/* 64 bytes of I/O */
	cfg_w32(t_vgpu, 0x24, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x24), 0);
	cfg_w32(t_vgpu, 0x30, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x30), 0);

	/* An address goes in, keeping the type bits and the size alignment. */
	cfg_w32(t_vgpu, 0x10, 0xf6123456);
	cfg_w32(t_vgpu, 0x14, 0x00000001);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x10), 0xf6000004);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x14), 0x00000001);
}
END_TEST

START_TEST(test_cfg_space_bar2_follows_aperture)
{
	static const struct {
		uint32_t mib, sized, msac;
	} cases[] = {
		{ 256, 0xf000000c, 0x01 },
		{ 512, 0xe000000c, 0x03 },
		{ 1024, 0xc000000c, 0x07 },
	};

	for (unsigned int i = 0; i < 3; i++) {
		struct gvt_ctx *ctx = t_ctx_new(cases[i].mib);
		struct mock_hv *hv;
		struct gvt_vgpu *vgpu = t_vgpu_new(ctx, "GVTg_V5_8", &hv);

		cfg_w32(vgpu, 0x18, 0xffffffff);
		ck_assert_uint_eq(cfg_r32(vgpu, 0x18), cases[i].sized);
		ck_assert_uint_eq(cfg_r8(vgpu, 0x62), cases[i].msac);
		ck_assert_uint_eq(t_info(vgpu).bar[2].size, cases[i].mib * (1ull << 20));
		gvt_vgpu_destroy(vgpu);
		gvt_ctx_destroy(ctx);
		mock_hv_destroy(hv);
	}
}
END_TEST

START_TEST(test_cfg_space_ro_bits)
{
	cfg_w32(t_vgpu, 0x00, 0x12345678);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x00), 0x19128086);
	cfg_w32(t_vgpu, 0x08, 0xffffffff);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x08), 0x03000006);
	cfg_w32(t_vgpu, 0x2c, 0);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x2c), 0x8086);
	cfg_w8(t_vgpu, 0x34, 0x00);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x34), 0x40);
	cfg_w8(t_vgpu, 0x3d, 0x04);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x3d), 1);
	/* Command: only I/O, memory, bus master and INTx-disable are real. */
	cfg_w16(t_vgpu, 0x04, 0xffff);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x04), 0x0407);
	/* Status: the capability bit survives a write of ones; errors are
	 * write-1-to-clear and none are set. */
	cfg_w16(t_vgpu, 0x06, 0xffff);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x06), 0x0010);
	/* Interrupt line is scratch for the OS. */
	cfg_w8(t_vgpu, 0x3c, 0x0b);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x3c), 0x0b);
}
END_TEST

START_TEST(test_cfg_space_capability_chain)
{
	uint8_t ids[8];
	unsigned int n = 0;

	for (uint8_t at = cfg_r8(t_vgpu, 0x34); at && n < 8; at = cfg_r8(t_vgpu, at + 1u))
		ids[n++] = cfg_r8(t_vgpu, at);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ids[0], 0x09);	/* vendor specific at 0x40 */
	ck_assert_uint_eq(ids[1], 0x05);	/* MSI at 0xac */
	ck_assert_uint_eq(ids[2], 0x01);	/* PM at 0xd0 */
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x41), 0xac);
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0xad), 0xd0);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xd2), 0x0022);
}
END_TEST

START_TEST(test_cfg_space_msi)
{
	struct gvt_vgpu_info info;

	/* One vector, 32-bit: MMC and 64-bit capability are read-only zero. */
	cfg_w16(t_vgpu, 0xae, 0xffff);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xae), 0x0071);
	cfg_w16(t_vgpu, 0xae, 0);
	cfg_w32(t_vgpu, 0xb0, 0xfee00abf);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0xb0), 0xfee00abc);	/* dword aligned */
	cfg_w32(t_vgpu, 0xb4, 0xffff4041);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0xb4), 0x00004041);	/* 16-bit data */
	info = t_info(t_vgpu);
	ck_assert(!info.msi_enabled);
	cfg_w16(t_vgpu, 0xae, 1);
	info = t_info(t_vgpu);
	ck_assert(info.msi_enabled);
	ck_assert_uint_eq(info.msi_addr, 0xfee00abc);
	ck_assert_uint_eq(info.msi_data, 0x4041);
}
END_TEST

START_TEST(test_cfg_space_igd_registers)
{
	/* 8 MiB GGTT, no stolen memory, locked; base of stolen memory 0. */
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x50), 0x00c1);
	cfg_w16(t_vgpu, 0x50, 0xffff);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x50), 0x00c1);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x5c), 0);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0xfc), 0);
}
END_TEST

START_TEST(test_cfg_space_power_states)
{
	/* No_Soft_Reset is set: state survives D3hot. */
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xd4), 0x0008);
	cfg_w16(t_vgpu, 0xd4, 0x0003);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xd4) & 3, 3);
	cfg_w16(t_vgpu, 0xd4, 0x0001);	/* D1 is not supported: discarded */
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xd4) & 3, 3);
	cfg_w16(t_vgpu, 0xd4, 0x0000);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xd4) & 3, 0);
}
END_TEST

START_TEST(test_cfg_space_unaligned_and_misuse)
{
	uint32_t v = 0;

	/* A word across the vendor/device boundary reads both halves. */
	ck_assert_int_eq(gvt_vgpu_cfg_read(t_vgpu, 0x01, &v, 2), 0);
	ck_assert_uint_eq(v, 0x1280);

	t_log_clear();
	ck_assert_int_eq(gvt_vgpu_cfg_read(t_vgpu, 0, &v, 3), -EINVAL);
	ck_assert(t_log_has("size 3"));
	ck_assert_int_eq(gvt_vgpu_cfg_read(t_vgpu, 256, &v, 1), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_cfg_write(t_vgpu, 254, &v, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_cfg_write(t_vgpu, 0, NULL, 4), -EINVAL);
	ck_assert_uint_eq(t_log_count(), 4);
}
END_TEST

START_TEST(test_cfg_space_reset_restores)
{
	cfg_w32(t_vgpu, 0x10, 0xf6000000);
	cfg_w16(t_vgpu, 0x04, 0x0007);
	cfg_w16(t_vgpu, 0xae, 1);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(cfg_r32(t_vgpu, 0x10), 0x4);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0x04), 0);
	ck_assert_uint_eq(cfg_r16(t_vgpu, 0xae), 0);
}
END_TEST

Suite *cfg_space_suite(void)
{
	Suite *s = suite_create("cfg_space");
	TCase *tc = tcase_create("cfg_space");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_test(tc, test_cfg_space_identity);
	tcase_add_test(tc, test_cfg_space_bar_types);
	tcase_add_test(tc, test_cfg_space_bar_sizing);
	tcase_add_test(tc, test_cfg_space_bar2_follows_aperture);
	tcase_add_test(tc, test_cfg_space_ro_bits);
	tcase_add_test(tc, test_cfg_space_capability_chain);
	tcase_add_test(tc, test_cfg_space_msi);
	tcase_add_test(tc, test_cfg_space_igd_registers);
	tcase_add_test(tc, test_cfg_space_power_states);
	tcase_add_test(tc, test_cfg_space_unaligned_and_misuse);
	tcase_add_test(tc, test_cfg_space_reset_restores);
	suite_add_tcase(s, tc);
	return s;
}
