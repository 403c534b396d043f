// SPDX-License-Identifier: MIT
/* Virtual interrupts: IIR/IER/IMR per bank, the master register, and MSI
 * delivered once per rising edge. */
#include "harness.h"
#include "interrupt.h"
#include "private.h"

#define MASTER 0x44200
#define GT0_ISR 0x44300
#define GT0_IMR 0x44304
#define GT0_IIR 0x44308
#define GT0_IER 0x4430c
#define MSI_ADDR 0xfee01000u
#define MSI_DATA 0x4041u

/* What i915's postinstall does for the render and blitter engines. */
static void driver_enables_gt0(void)
{
	mmio_w32(t_vgpu, GT0_IMR, ~0x01010101u);
	mmio_w32(t_vgpu, GT0_IER, 0x01010101u);
	mmio_w32(t_vgpu, MASTER, 0x80000000u);
}

static void setup(void)
{
	t_setup_vgpu();
	t_enable_msi(t_vgpu, MSI_ADDR, MSI_DATA);
}

START_TEST(test_interrupt_event_to_msi)
{
	driver_enables_gt0();
	ck_assert_uint_eq(t_hv->num_msi, 0);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->num_msi, 1);
	ck_assert_uint_eq(t_hv->msi[0].addr, MSI_ADDR);
	ck_assert_uint_eq(t_hv->msi[0].data, MSI_DATA);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0x1);
	/* The master register shows the pending level of the RCS half. */
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000001u);
	gvt_irq_raise(t_vgpu, GVT_EV_BCS_CONTEXT_SWITCH);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000003u);
	ck_assert_uint_eq(t_stats(t_vgpu).msi_injected, 1);
}
END_TEST

START_TEST(test_interrupt_one_msi_per_edge)
{
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_CONTEXT_SWITCH);	/* level already high */
	ck_assert_uint_eq(t_hv->num_msi, 1);

	/* The driver's handler: master off, ack, master on. All acked: no MSI. */
	mmio_w32(t_vgpu, MASTER, 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0x101);
	mmio_w32(t_vgpu, GT0_IIR, 0x101);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0);
	mmio_w32(t_vgpu, MASTER, 0x80000000u);
	ck_assert_uint_eq(t_hv->num_msi, 1);

	/* An event during the handler re-asserts on master enable. */
	mmio_w32(t_vgpu, MASTER, 0);
	gvt_irq_raise(t_vgpu, GVT_EV_BCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->num_msi, 1);
	mmio_w32(t_vgpu, MASTER, 0x80000000u);
	ck_assert_uint_eq(t_hv->num_msi, 2);
}
END_TEST

START_TEST(test_interrupt_masked_events_are_not_latched)
{
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_VCS_USER_INTERRUPT);	/* GT1 still masked */
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44318), 0);
	mmio_w32(t_vgpu, 0x44314, 0);				/* unmask GT1 */
	mmio_w32(t_vgpu, 0x4431c, 0xffffffff);
	ck_assert_uint_eq(mmio_r32(t_vgpu, 0x44318), 0);	/* not retroactive */
	ck_assert_uint_eq(t_hv->num_msi, 0);
	gvt_irq_raise(t_vgpu, GVT_EV_VCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->num_msi, 1);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000004u);	/* VCS0 level */
}
END_TEST

START_TEST(test_interrupt_ier_gates_propagation)
{
	mmio_w32(t_vgpu, GT0_IMR, 0);
	mmio_w32(t_vgpu, GT0_IER, 0);
	mmio_w32(t_vgpu, MASTER, 0x80000000u);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 1);	/* latched */
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000000u);	/* not pending */
	ck_assert_uint_eq(t_hv->num_msi, 0);
	mmio_w32(t_vgpu, GT0_IER, 1);
	ck_assert_uint_eq(t_hv->num_msi, 1);
}
END_TEST

START_TEST(test_interrupt_master_enable_is_an_edge)
{
	mmio_w32(t_vgpu, GT0_IMR, 0);
	mmio_w32(t_vgpu, GT0_IER, 0xffffffff);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->num_msi, 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x1);
	/* Only bit 31 is the guest's. */
	mmio_w32(t_vgpu, MASTER, 0xffffffff);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000001u);
	ck_assert_uint_eq(t_hv->num_msi, 1);
}
END_TEST

START_TEST(test_interrupt_needs_msi_and_bus_master)
{
	driver_enables_gt0();
	cfg_w16(t_vgpu, 0xae, 0);				/* MSI off */
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->num_msi, 0);
	cfg_w16(t_vgpu, 0x04, 0x0002);				/* bus master off */
	cfg_w16(t_vgpu, 0xae, 1);
	ck_assert_uint_eq(t_hv->num_msi, 0);
	cfg_w16(t_vgpu, 0x04, 0x0006);				/* pending goes out */
	ck_assert_uint_eq(t_hv->num_msi, 1);
}
END_TEST

START_TEST(test_interrupt_isr_and_display_banks)
{
	mmio_w32(t_vgpu, GT0_ISR, 0xffffffff);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_ISR), 0);
	mmio_w32(t_vgpu, 0x44404, ~1u);				/* pipe A vblank */
	mmio_w32(t_vgpu, 0x4440c, 1);
	mmio_w32(t_vgpu, 0xc4004, ~(1u << 17));			/* GMBUS */
	mmio_w32(t_vgpu, 0xc400c, 1u << 17);
	mmio_w32(t_vgpu, MASTER, 0x80000000u);
	gvt_irq_raise(t_vgpu, GVT_EV_PIPE_A_VBLANK);
	gvt_irq_raise(t_vgpu, GVT_EV_GMBUS);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000000u | 1u << 16 | 1u << 23);
	ck_assert_uint_eq(t_hv->num_msi, 1);
}
END_TEST

START_TEST(test_interrupt_delivery_failure_is_counted)
{
	mock_hv_fail(t_hv, MOCK_INJECT_MSI, 0, 1, -EIO);
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_stats(t_vgpu).msi_failed, 1);
	ck_assert_uint_eq(t_stats(t_vgpu).msi_injected, 0);
}
END_TEST

START_TEST(test_interrupt_partial_iir_write_clears_only_its_bytes)
{
	uint8_t one = 1;

	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	gvt_irq_raise(t_vgpu, GVT_EV_BCS_USER_INTERRUPT);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0x00010001);
	/* A byte of ones at byte 0 acks RCS only, not BCS in byte 2. */
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, GT0_IIR, &one, 1), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0x00010000);
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, GT0_IIR + 2, &one, 1), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, GT0_IIR), 0);
	ck_assert_uint_eq(mmio_r32(t_vgpu, MASTER), 0x80000000u);
}
END_TEST

/* ---- INTx: a guest that leaves MSI off ---- */

#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x08
#define COMMAND_MEM_MASTER 0x0006
#define COMMAND_INTX_DISABLE 0x0400

static void setup_intx(void)
{
	t_setup_vgpu();
	cfg_w16(t_vgpu, PCI_COMMAND, COMMAND_MEM_MASTER);
}

START_TEST(test_interrupt_intx_is_a_level)
{
	driver_enables_gt0();
	ck_assert(!t_hv->intx);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert(t_hv->intx);
	ck_assert_uint_eq(t_hv->num_msi, 0);
	ck_assert_uint_eq(cfg_r16(t_vgpu, PCI_STATUS) & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	/* A second event while the line is high changes nothing. */
	gvt_irq_raise(t_vgpu, GVT_EV_BCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_hv->intx_changes, 1);
	/* The handler acks one source: still pending; the other: the line falls. */
	mmio_w32(t_vgpu, GT0_IIR, 0x1);
	ck_assert(t_hv->intx);
	mmio_w32(t_vgpu, GT0_IIR, 0x10000);
	ck_assert(!t_hv->intx);
	ck_assert_uint_eq(cfg_r16(t_vgpu, PCI_STATUS) & PCI_STATUS_INTERRUPT, 0);
	ck_assert_uint_eq(t_stats(t_vgpu).intx_asserted, 1);
}
END_TEST

START_TEST(test_interrupt_intx_disable_holds_the_line_back)
{
	driver_enables_gt0();
	cfg_w16(t_vgpu, PCI_COMMAND, COMMAND_MEM_MASTER | COMMAND_INTX_DISABLE);
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert(!t_hv->intx);
	/* Interrupt Status shows the pending interrupt regardless. */
	ck_assert_uint_eq(cfg_r16(t_vgpu, PCI_STATUS) & PCI_STATUS_INTERRUPT,
			  PCI_STATUS_INTERRUPT);
	/* Clearing INTx Disable (a one-byte write to the command's high byte)
	 * lets it out. */
	cfg_w8(t_vgpu, PCI_COMMAND + 1, 0);
	ck_assert(t_hv->intx);
}
END_TEST

START_TEST(test_interrupt_msi_takes_over_from_intx)
{
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert(t_hv->intx);
	/* Enabling MSI drops the line, and the pending interrupt goes out as
	 * an MSI instead. */
	t_enable_msi(t_vgpu, MSI_ADDR, MSI_DATA);
	ck_assert(!t_hv->intx);
	ck_assert_uint_eq(t_hv->num_msi, 1);
}
END_TEST

START_TEST(test_interrupt_intx_falls_on_reset_and_failsafe)
{
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert(t_hv->intx);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert(!t_hv->intx);

	cfg_w16(t_vgpu, PCI_COMMAND, COMMAND_MEM_MASTER);
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert(t_hv->intx);
	gvt_vgpu_enter_failsafe(t_vgpu, "test");
	ck_assert(!t_hv->intx);
	gvt_irq_raise(t_vgpu, GVT_EV_BCS_USER_INTERRUPT);
	ck_assert(!t_hv->intx);
}
END_TEST

START_TEST(test_interrupt_intx_failure_is_counted)
{
	mock_hv_fail(t_hv, MOCK_SET_INTX, 0, 1, -EIO);
	driver_enables_gt0();
	gvt_irq_raise(t_vgpu, GVT_EV_RCS_USER_INTERRUPT);
	ck_assert_uint_eq(t_stats(t_vgpu).intx_failed, 1);
	ck_assert_uint_eq(t_stats(t_vgpu).intx_asserted, 0);
}
END_TEST

Suite *interrupt_suite(void)
{
	Suite *s = suite_create("interrupt");
	TCase *tc = tcase_create("interrupt");
	TCase *intx = tcase_create("intx");

	tcase_add_checked_fixture(tc, setup, t_teardown);
	tcase_add_test(tc, test_interrupt_event_to_msi);
	tcase_add_test(tc, test_interrupt_one_msi_per_edge);
	tcase_add_test(tc, test_interrupt_masked_events_are_not_latched);
	tcase_add_test(tc, test_interrupt_ier_gates_propagation);
	tcase_add_test(tc, test_interrupt_master_enable_is_an_edge);
	tcase_add_test(tc, test_interrupt_needs_msi_and_bus_master);
	tcase_add_test(tc, test_interrupt_isr_and_display_banks);
	tcase_add_test(tc, test_interrupt_delivery_failure_is_counted);
	tcase_add_test(tc, test_interrupt_partial_iir_write_clears_only_its_bytes);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(intx, setup_intx, t_teardown);
	tcase_add_test(intx, test_interrupt_intx_is_a_level);
	tcase_add_test(intx, test_interrupt_intx_disable_holds_the_line_back);
	tcase_add_test(intx, test_interrupt_msi_takes_over_from_intx);
	tcase_add_test(intx, test_interrupt_intx_falls_on_reset_and_failsafe);
	tcase_add_test(intx, test_interrupt_intx_failure_is_counted);
	suite_add_tcase(s, intx);
	return s;
}
