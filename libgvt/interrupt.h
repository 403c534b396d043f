// SPDX-License-Identifier: MIT
/*
 * Virtual interrupt controller, gen8+ layout: banks of ISR/IMR/IIR/IER
 * feeding a master register, and MSI on the rising edge of the combined
 * output.
 */
#ifndef GVT_INTERRUPT_H
#define GVT_INTERRUPT_H

#include <stdint.h>

#include "regs.h"

struct gvt_vgpu;

enum gvt_irq_bank {
	GVT_IRQ_GT0,		/* RCS, BCS */
	GVT_IRQ_GT1,		/* VCS1, VCS2 */
	GVT_IRQ_GT2,		/* PM / RPS */
	GVT_IRQ_GT3,		/* VECS */
	GVT_IRQ_DE_PIPE_A,
	GVT_IRQ_DE_PIPE_B,
	GVT_IRQ_DE_PIPE_C,
	GVT_IRQ_DE_PORT,
	GVT_IRQ_DE_MISC,
	GVT_IRQ_PCU,
	GVT_IRQ_SDE,		/* south display engine (PCH) */
	GVT_IRQ_NUM_BANKS
};

/* Events later stages raise; each is one bit in one bank. */
enum gvt_irq_event {
	GVT_EV_RCS_USER_INTERRUPT,
	GVT_EV_RCS_PIPE_CONTROL_NOTIFY,
	GVT_EV_RCS_CONTEXT_SWITCH,
	GVT_EV_BCS_USER_INTERRUPT,
	GVT_EV_BCS_FLUSH_DW_NOTIFY,
	GVT_EV_BCS_CONTEXT_SWITCH,
	GVT_EV_VCS_USER_INTERRUPT,
	GVT_EV_VCS_FLUSH_DW_NOTIFY,
	GVT_EV_VCS_CONTEXT_SWITCH,
	GVT_EV_VECS_USER_INTERRUPT,
	GVT_EV_VECS_FLUSH_DW_NOTIFY,
	GVT_EV_VECS_CONTEXT_SWITCH,
	GVT_EV_PIPE_A_VBLANK,
	GVT_EV_PIPE_B_VBLANK,
	GVT_EV_PIPE_C_VBLANK,
	GVT_EV_PIPE_A_FLIP_DONE,
	GVT_EV_PIPE_B_FLIP_DONE,
	GVT_EV_PIPE_C_FLIP_DONE,
	GVT_EV_GMBUS,
	GVT_EV_AUX_A,
	GVT_EV_AUX_B,
	GVT_EV_AUX_C,
	GVT_EV_AUX_D,
	GVT_EV_PCH_PORT_D_HOTPLUG,
	GVT_IRQ_NUM_EVENTS
};

struct gvt_irq_event_desc {
	const char *name;
	uint8_t bank;		/* enum gvt_irq_bank */
	uint8_t bit;
};

extern const struct gvt_irq_event_desc gvt_irq_events[GVT_IRQ_NUM_EVENTS];

/* Latch @event if unmasked, then deliver an MSI if the output rises. */
void gvt_irq_raise(struct gvt_vgpu *vgpu, enum gvt_irq_event event);
/* Recompute the output after anything it depends on changed. */
void gvt_irq_update(struct gvt_vgpu *vgpu);
void gvt_irq_reset(struct gvt_vgpu *vgpu);

gvt_mmio_write_fn master_irq_mmio_write;
gvt_mmio_write_fn irq_ier_mmio_write;
gvt_mmio_write_fn irq_iir_mmio_write;

#endif /* GVT_INTERRUPT_H */
