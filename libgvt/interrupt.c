// SPDX-License-Identifier: MIT
/*
 * Virtual interrupts, gen8+ layout.
 *
 * Events latch into a bank's IIR unless its IMR masks them; IIR bits that
 * IER enables are "pending" and show up as level bits in GEN8_MASTER_IRQ;
 * the guest's master enable (bit 31) gates the whole. The combined output
 * is a level; like hardware, the vGPU sends one MSI each time that level
 * rises, which is what the guest's handler relies on when it drops the
 * master enable, acks IIRs and raises the enable again.
 */
#include <errno.h>
#include <string.h>

#include "cfg_space.h"
#include "hv.h"
#include "interrupt.h"
#include "private.h"
#include "reg.h"

static const uint32_t bank_isr[GVT_IRQ_NUM_BANKS] = {
	[GVT_IRQ_GT0] = GEN8_GT_ISR(0),
	[GVT_IRQ_GT1] = GEN8_GT_ISR(1),
	[GVT_IRQ_GT2] = GEN8_GT_ISR(2),
	[GVT_IRQ_GT3] = GEN8_GT_ISR(3),
	[GVT_IRQ_DE_PIPE_A] = GEN8_DE_PIPE_ISR(0),
	[GVT_IRQ_DE_PIPE_B] = GEN8_DE_PIPE_ISR(1),
	[GVT_IRQ_DE_PIPE_C] = GEN8_DE_PIPE_ISR(2),
	[GVT_IRQ_DE_PORT] = GEN8_DE_PORT_ISR,
	[GVT_IRQ_DE_MISC] = GEN8_DE_MISC_ISR,
	[GVT_IRQ_PCU] = GEN8_PCU_ISR,
	[GVT_IRQ_SDE] = SDEISR,
};

/* Which master level bit each part of a bank drives. GT banks are split
 * in halves, one engine (or PM / GuC) per half; other banks drive one bit. */
static const struct {
	uint32_t mask[2];
	uint8_t master_bit[2];
} bank_routes[GVT_IRQ_NUM_BANKS] = {
	[GVT_IRQ_GT0] = { { 0x0000ffff, 0xffff0000 }, { 0, 1 } },	/* RCS, BCS */
	[GVT_IRQ_GT1] = { { 0x0000ffff, 0xffff0000 }, { 2, 3 } },	/* VCS0, VCS1 */
	[GVT_IRQ_GT2] = { { 0x0000ffff, 0xffff0000 }, { 4, 5 } },	/* PM, GuC */
	[GVT_IRQ_GT3] = { { 0x0000ffff, 0 }, { 6, 6 } },		/* VECS */
	[GVT_IRQ_DE_PIPE_A] = { { 0xffffffff, 0 }, { 16, 16 } },
	[GVT_IRQ_DE_PIPE_B] = { { 0xffffffff, 0 }, { 17, 17 } },
	[GVT_IRQ_DE_PIPE_C] = { { 0xffffffff, 0 }, { 18, 18 } },
	[GVT_IRQ_DE_PORT] = { { 0xffffffff, 0 }, { 20, 20 } },
	[GVT_IRQ_DE_MISC] = { { 0xffffffff, 0 }, { 22, 22 } },
	[GVT_IRQ_PCU] = { { 0xffffffff, 0 }, { 30, 30 } },
	[GVT_IRQ_SDE] = { { 0xffffffff, 0 }, { 23, 23 } },		/* PCH */
};

const struct gvt_irq_event_desc gvt_irq_events[GVT_IRQ_NUM_EVENTS] = {
	[GVT_EV_RCS_USER_INTERRUPT] = { "rcs-user-interrupt", GVT_IRQ_GT0, 0 },
	[GVT_EV_RCS_PIPE_CONTROL_NOTIFY] = { "rcs-pipe-control-notify", GVT_IRQ_GT0, 4 },
	[GVT_EV_RCS_CONTEXT_SWITCH] = { "rcs-context-switch", GVT_IRQ_GT0, 8 },
	[GVT_EV_BCS_USER_INTERRUPT] = { "bcs-user-interrupt", GVT_IRQ_GT0, 16 },
	[GVT_EV_BCS_FLUSH_DW_NOTIFY] = { "bcs-flush-dw-notify", GVT_IRQ_GT0, 20 },
	[GVT_EV_BCS_CONTEXT_SWITCH] = { "bcs-context-switch", GVT_IRQ_GT0, 24 },
	[GVT_EV_VCS_USER_INTERRUPT] = { "vcs-user-interrupt", GVT_IRQ_GT1, 0 },
	[GVT_EV_VCS_FLUSH_DW_NOTIFY] = { "vcs-flush-dw-notify", GVT_IRQ_GT1, 4 },
	[GVT_EV_VCS_CONTEXT_SWITCH] = { "vcs-context-switch", GVT_IRQ_GT1, 8 },
	[GVT_EV_VECS_USER_INTERRUPT] = { "vecs-user-interrupt", GVT_IRQ_GT3, 0 },
	[GVT_EV_VECS_FLUSH_DW_NOTIFY] = { "vecs-flush-dw-notify", GVT_IRQ_GT3, 4 },
	[GVT_EV_VECS_CONTEXT_SWITCH] = { "vecs-context-switch", GVT_IRQ_GT3, 8 },
	[GVT_EV_PIPE_A_VBLANK] = { "pipe-a-vblank", GVT_IRQ_DE_PIPE_A, 0 },
	[GVT_EV_PIPE_B_VBLANK] = { "pipe-b-vblank", GVT_IRQ_DE_PIPE_B, 0 },
	[GVT_EV_PIPE_C_VBLANK] = { "pipe-c-vblank", GVT_IRQ_DE_PIPE_C, 0 },
	[GVT_EV_PIPE_A_FLIP_DONE] = { "pipe-a-primary-flip-done", GVT_IRQ_DE_PIPE_A, 3 },
	[GVT_EV_PIPE_B_FLIP_DONE] = { "pipe-b-primary-flip-done", GVT_IRQ_DE_PIPE_B, 3 },
	[GVT_EV_PIPE_C_FLIP_DONE] = { "pipe-c-primary-flip-done", GVT_IRQ_DE_PIPE_C, 3 },
	[GVT_EV_GMBUS] = { "gmbus", GVT_IRQ_SDE, 17 },
	[GVT_EV_AUX_A] = { "aux-a", GVT_IRQ_DE_PORT, 0 },
	[GVT_EV_AUX_B] = { "aux-b", GVT_IRQ_DE_PORT, 25 },
	[GVT_EV_AUX_C] = { "aux-c", GVT_IRQ_DE_PORT, 26 },
	[GVT_EV_AUX_D] = { "aux-d", GVT_IRQ_DE_PORT, 27 },
	[GVT_EV_PCH_PORT_D_HOTPLUG] = { "pch-port-d-hotplug", GVT_IRQ_SDE, 23 },
};

static uint32_t bank_reg(struct gvt_vgpu *vgpu, unsigned int bank,
			 uint32_t which)
{
	return *vgpu_vreg32(vgpu, bank_isr[bank] + which);
}

/* Recompute the master level bits that @bank drives: its IIR bits that IER
 * enables, per route. They live in the master register's storage itself,
 * so a read of it is a plain read and an update walks no bank. */
static void bank_changed(struct gvt_vgpu *vgpu, unsigned int bank)
{
	uint32_t pending = bank_reg(vgpu, bank, IRQ_BANK_IIR) &
			   bank_reg(vgpu, bank, IRQ_BANK_IER);

	uint32_t *master = vgpu_vreg32(vgpu, GEN8_MASTER_IRQ);

	for (unsigned int i = 0; i < 2; i++) {
		uint32_t bit = 1u << bank_routes[bank].master_bit[i];

		if (!bank_routes[bank].mask[i])
			continue;
		if (pending & bank_routes[bank].mask[i])
			*master |= bit;
		else
			*master &= ~bit;
	}
}

/* The bank an IIR/IER offset belongs to (the table attaches these
 * handlers to bank registers only). */
static unsigned int bank_of(uint32_t offset)
{
	uint32_t isr = offset & ~0xfu;

	if (isr - GEN8_GT_ISR(0) <= GEN8_GT_ISR(3) - GEN8_GT_ISR(0))
		return GVT_IRQ_GT0 + (isr - GEN8_GT_ISR(0)) / 0x10;
	for (unsigned int bank = GVT_IRQ_DE_PIPE_A; bank < GVT_IRQ_NUM_BANKS; bank++)
		if (bank_isr[bank] == isr)
			return bank;
	return GVT_IRQ_SDE;
}

/* INTx is a level: the shim hears of every change. A vGPU in failsafe
 * lets its line fall, so a guest is not left with a line it cannot
 * clear. */
static void intx_update(struct gvt_vgpu *vgpu, bool pending)
{
	bool asserted = pending && gvt_cfg_intx_enabled(vgpu) && !vgpu->failsafe;
	int ret;

	gvt_cfg_set_intx_status(vgpu, pending && !gvt_cfg_msi_enabled(vgpu));
	if (asserted == vgpu->irq.intx || !gvt_hv_has_intx(vgpu))
		return;
	ret = gvt_hv_set_intx(vgpu, asserted);
	if (ret) {
		/* The level stays what the shim last heard, so the next
		 * update tries again rather than leaving a line stuck. */
		vgpu->stats.intx_failed++;
		gvt_vgpu_dbg(vgpu, GVT_DBG_IRQ, "INTx %s not delivered: %d",
			     asserted ? "assert" : "deassert", ret);
		return;
	}
	vgpu->irq.intx = asserted;
	vgpu->stats.intx_asserted += asserted;
	if (vgpu->trace)
		gvt_trace_intx(vgpu, asserted);
	gvt_vgpu_dbg(vgpu, GVT_DBG_IRQ, "INTx %s", asserted ? "asserted" : "deasserted");
}

void gvt_irq_update(struct gvt_vgpu *vgpu)
{
	uint32_t master = *vgpu_vreg32(vgpu, GEN8_MASTER_IRQ);
	bool pending = (master & GEN8_MASTER_IRQ_CONTROL) &&
		       (master & ~GEN8_MASTER_IRQ_CONTROL);
	bool line = pending && gvt_cfg_msi_deliverable(vgpu);
	bool rising = line && !vgpu->irq.line;

	intx_update(vgpu, pending);

	vgpu->irq.line = line;
	if (!rising || vgpu->failsafe)
		return;

	uint64_t addr;
	uint32_t data;
	int ret;

	gvt_cfg_msi_message(vgpu, &addr, &data);
	ret = gvt_hv_inject_msi(vgpu, addr, data);
	if (ret) {
		vgpu->stats.msi_failed++;
		gvt_vgpu_dbg(vgpu, GVT_DBG_IRQ, "MSI 0x%llx/0x%x not delivered: %d",
			     (unsigned long long)addr, data, ret);
		return;
	}
	vgpu->stats.msi_injected++;
	if (vgpu->trace)
		gvt_trace_msi(vgpu);
	gvt_vgpu_dbg(vgpu, GVT_DBG_IRQ, "MSI 0x%llx/0x%x",
		     (unsigned long long)addr, data);
}

void gvt_irq_raise(struct gvt_vgpu *vgpu, enum gvt_irq_event event)
{
	const struct gvt_irq_event_desc *ev = &gvt_irq_events[event];
	uint32_t bit = 1u << ev->bit;

	if (bank_reg(vgpu, ev->bank, IRQ_BANK_IMR) & bit) {
		gvt_vgpu_dbg(vgpu, GVT_DBG_IRQ, "%s masked", ev->name);
		return;
	}
	*vgpu_vreg32(vgpu, bank_isr[ev->bank] + IRQ_BANK_IIR) |= bit;
	bank_changed(vgpu, ev->bank);
	gvt_irq_update(vgpu);
}

/* After the registers were rewritten wholesale (reset): rebuild the cached
 * levels; the output starts low, as after a reset. */
int gvt_vgpu_raise_event(struct gvt_vgpu *vgpu, const char *event)
{
	if (!vgpu)
		return -EINVAL;
	for (unsigned int i = 0; event && i < GVT_IRQ_NUM_EVENTS; i++) {
		if (!strcmp(gvt_irq_events[i].name, event)) {
			/* Locked before its line: no completion comes
			 * between the line and the event (gvt_trace_lock()). */
			pthread_mutex_lock(&vgpu->lock);
			/* A stimulus from outside: a replay needs it too. */
			if (vgpu->trace)
				gvt_trace_event(vgpu, event);
			gvt_irq_raise(vgpu, (enum gvt_irq_event)i);
			pthread_mutex_unlock(&vgpu->lock);
			return 0;
		}
	}
	return gvt_vgpu_misuse(vgpu, "no interrupt event '%s'", event ? event : "(null)");
}

void gvt_irq_reset(struct gvt_vgpu *vgpu)
{
	vgpu->irq.line = false;
	/* A reset lowers the line; a shim that fails to hear it is told again
	 * at the next update, as the level is kept until it hears. */
	if (vgpu->irq.intx && !gvt_hv_set_intx(vgpu, false))
		vgpu->irq.intx = false;
	*vgpu_vreg32(vgpu, GEN8_MASTER_IRQ) &= GEN8_MASTER_IRQ_CONTROL;
	for (unsigned int bank = 0; bank < GVT_IRQ_NUM_BANKS; bank++)
		bank_changed(vgpu, bank);
}

/* Only the enable is the guest's; the level bits are the banks'. */
void master_irq_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			   uint32_t value)
{
	uint32_t *master = vgpu_vreg32(vgpu, offset);

	*master = (*master & ~GEN8_MASTER_IRQ_CONTROL) |
		  (value & GEN8_MASTER_IRQ_CONTROL);
	gvt_irq_update(vgpu);
}

void irq_ier_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	*vgpu_vreg32(vgpu, offset) = value;
	bank_changed(vgpu, bank_of(offset));
	gvt_irq_update(vgpu);
}

void irq_iir_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	*vgpu_vreg32(vgpu, offset) &= ~value; /* write 1 to clear */
	bank_changed(vgpu, bank_of(offset));
	gvt_irq_update(vgpu);
}
