// SPDX-License-Identifier: MIT
/*
 * The execlist as a guest driver sees it. Hardware keeps two execlists per
 * engine: the one running and at most one pending. Each submission holds
 * one or two contexts (elements) run in order; every change is reported
 * as a context status buffer (CSB) entry, in registers and, for drivers
 * that read it from memory, in the status page, followed by the engine's
 * context-switch interrupt. The events and when they happen follow the
 * PRM's execlist description, as GVT-g emulates it:
 *
 *   submit to an idle engine           idle-to-active
 *   same context resubmitted while it  preempted + lite-restore
 *     runs as the last element
 *   element 0 done, element 1 follows  element-switch + complete
 *   last element done                  active-to-idle + complete, then
 *                                      idle-to-active if one was pending
 *
 * A workload whose execlist a lite restore replaced completes without an
 * event: the context never left the engine, and goes on in the new one.
 * Workloads carry the number of the ELSP write they came in and their
 * element, so that a context appearing twice (in both elements, or in the
 * running and the pending execlist) is never taken for a lite restore.
 */
#include <string.h>

#include "execlist.h"
#include "hv.h"
#include "interrupt.h"
#include "private.h"
#include "reg.h"
#include "scheduler.h"
#include "workload.h"

#define DESC_VALID	1ull
#define DESC_LRCA_MASK	0xfffff000ull

/* The status page: CSB entries from dword 0x10, the write pointer at
 * dword 0x1f (gen8/9). */
#define HWSP_CSB_DWORD		0x10
#define HWSP_CSB_WRITE_DWORD	0x1f

/* EXECLIST_STATUS, low dword. */
#define EL_STATUS_CURRENT_POINTER	(1u << 0)
#define EL_STATUS_WRITE_POINTER		(1u << 1)
#define EL_STATUS_QUEUE_FULL		(1u << 2)
#define EL_STATUS_SLOT_VALID(s)		(1u << (4 - (s)))
#define EL_STATUS_ACTIVE_ELEMENT_SHIFT	14
#define EL_STATUS_SLOT_ACTIVE(s)	(1u << (18 - (s)))

static const enum gvt_irq_event context_switch_event[GVT_NUM_ENGINES] = {
	[GVT_RCS] = GVT_EV_RCS_CONTEXT_SWITCH,
	[GVT_BCS] = GVT_EV_BCS_CONTEXT_SWITCH,
	[GVT_VCS] = GVT_EV_VCS_CONTEXT_SWITCH,
	[GVT_VECS] = GVT_EV_VECS_CONTEXT_SWITCH,
};

static uint32_t engine_base(const struct gvt_vgpu *vgpu, unsigned int engine)
{
	return vgpu->ctx->platform->engines[engine].mmio_base;
}

static bool same_context(uint64_t a, uint64_t b)
{
	return (a & DESC_LRCA_MASK) == (b & DESC_LRCA_MASK);
}

/* Mirror what the status page holds, if the guest gave one. A page the
 * GGTT does not map is the guest's loss, as on hardware. */
static void hwsp_write(struct gvt_vgpu *vgpu, unsigned int engine,
		       uint32_t dword, const void *data, uint32_t len)
{
	uint32_t hws = *vgpu_vreg32(vgpu, engine_base(vgpu, engine) + RING_HWS_PGA);
	uint64_t gpa;

	if (!hws || gvt_ggtt_gma_to_gpa(vgpu, (uint64_t)hws + 4 * dword, &gpa))
		return;
	(void)gvt_hv_write_gpa(vgpu, gpa, data, len);
}

static void csb_write(struct gvt_vgpu *vgpu, unsigned int engine,
		      uint32_t status, uint32_t ctx_id)
{
	uint32_t base = engine_base(vgpu, engine);
	uint32_t *ptr = vgpu_vreg32(vgpu, base + RING_CSB_PTR);
	uint32_t wp = *ptr & 7;
	uint32_t entry[2] = { status, ctx_id };

	/* 7 is the reset value: "before the first entry". */
	wp = wp >= GVT_CSB_ENTRIES - 1 ? 0 : wp + 1;
	*vgpu_vreg32(vgpu, base + RING_CSB_BUF + 8 * wp) = status;
	*vgpu_vreg32(vgpu, base + RING_CSB_BUF + 8 * wp + 4) = ctx_id;
	hwsp_write(vgpu, engine, HWSP_CSB_DWORD + 2 * wp, entry, sizeof(entry));
	/* The entry before the pointer that announces it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*ptr = (*ptr & ~7u) | wp;
	hwsp_write(vgpu, engine, HWSP_CSB_WRITE_DWORD, &wp, 4);
	gvt_vgpu_dbg(vgpu, GVT_DBG_SCHED, "%s: CSB[%u] 0x%x ctx 0x%x",
		     vgpu->ctx->platform->engines[engine].name, wp, status,
		     ctx_id);
}

static void status_update(struct gvt_vgpu *vgpu, unsigned int engine)
{
	const struct gvt_execlist *el = &vgpu->engine[engine].el;
	uint32_t base = engine_base(vgpu, engine);
	uint32_t lo = 0, hi = 0;

	for (unsigned int s = 0; s < 2; s++)
		if (el->slot[s].valid)
			lo |= EL_STATUS_SLOT_VALID(s);
	if (el->running >= 0) {
		const struct gvt_execlist_slot *r = &el->slot[el->running];

		lo |= el->running ? EL_STATUS_CURRENT_POINTER : 0;
		lo |= EL_STATUS_SLOT_ACTIVE(el->running);
		lo |= (uint32_t)(r->index + 1) << EL_STATUS_ACTIVE_ELEMENT_SHIFT;
		hi = (uint32_t)(r->desc[r->index] >> 32);
	}
	if (el->running >= 0 && el->pending >= 0)
		lo |= EL_STATUS_QUEUE_FULL;
	lo |= el->write_slot ? EL_STATUS_WRITE_POINTER : 0;
	*vgpu_vreg32(vgpu, base + RING_EXECLIST_STATUS_LO) = lo;
	*vgpu_vreg32(vgpu, base + RING_EXECLIST_STATUS_HI) = hi;
}

static unsigned int valid_elements(const uint64_t desc[2])
{
	return (unsigned int)(desc[0] & DESC_VALID) +
	       (unsigned int)(desc[1] & DESC_VALID);
}

void gvt_execlist_refuse(struct gvt_vgpu *vgpu, unsigned int engine,
			 const uint64_t desc[2], bool refused)
{
	unsigned int n = valid_elements(desc);

	/* Like a GPU that stopped on a bad command: no event; the guest's
	 * hang detection resets the engine. */
	gvt_sched_count(vgpu, engine, n, refused ? n : 0, refused ? 0 : n);
	gvt_execlist_hang(vgpu, engine);
}

void gvt_execlist_submit(struct gvt_vgpu *vgpu, unsigned int engine,
			 const uint64_t desc[2])
{
	struct gvt_execlist *el = &vgpu->engine[engine].el;
	const char *name = vgpu->ctx->platform->engines[engine].name;
	struct gvt_workload *w[2] = { NULL, NULL };
	struct gvt_execlist_slot *slot;
	uint64_t submission = el->submissions + 1;
	bool refused = false;

	if (el->running >= 0 && el->pending >= 0) {
		gvt_vgpu_guest_err(vgpu, "%s: ELSP written while both execlists are in use; ignored",
				   name);
		return;
	}
	for (unsigned int n = 0; n < 2 && !refused; n++) {
		uint32_t prev_tail;
		bool queued;

		if (!(desc[n] & DESC_VALID))
			continue;
		queued = gvt_sched_queued_tail(vgpu, engine,
					       desc[n] & DESC_LRCA_MASK,
					       &prev_tail);
		/* Element 1 continuing element 0's context starts where it
		 * ends. */
		if (n == 1 && w[0] && same_context(desc[0], desc[1])) {
			prev_tail = w[0]->tail;
			queued = true;
		}
		w[n] = gvt_workload_create(vgpu, engine, desc[n],
					   queued ? &prev_tail : NULL, &refused);
		if (w[n]) {
			w[n]->submission = submission;
			w[n]->element = n;
		}
		if (!w[n] && !refused) {
			/* The host ran short: to the guest, the GPU hung. */
			refused = true;
		}
	}
	if (refused || el->hung) {
		for (unsigned int n = 0; n < 2; n++)
			gvt_workload_free(w[n]);
		gvt_execlist_refuse(vgpu, engine, desc, refused);
		return;
	}
	gvt_sched_count(vgpu, engine, valid_elements(desc), 0, 0);

	slot = &el->slot[el->write_slot];
	*slot = (struct gvt_execlist_slot){
		.desc = { desc[0], desc[1] & DESC_VALID ? desc[1] : 0 },
		.submission = submission,
		.valid = true,
	};
	el->submissions = submission;
	if (el->running < 0) {
		el->running = (int)el->write_slot;
		csb_write(vgpu, engine, GVT_CSB_IDLE_TO_ACTIVE, 0);
	} else {
		struct gvt_execlist_slot *r = &el->slot[el->running];
		bool last = r->index == 1 || !(r->desc[1] & DESC_VALID);

		if (last && same_context(r->desc[r->index], desc[0])) {
			csb_write(vgpu, engine,
				  GVT_CSB_PREEMPTED | GVT_CSB_LITE_RESTORE,
				  (uint32_t)(r->desc[r->index] >> 32));
			r->valid = false;
			el->running = (int)el->write_slot;
		} else {
			el->pending = (int)el->write_slot;
		}
	}
	el->write_slot ^= 1;
	status_update(vgpu, engine);
	gvt_irq_raise(vgpu, context_switch_event[engine]);

	for (unsigned int n = 0; n < 2; n++)
		if (w[n])
			gvt_sched_queue(vgpu, w[n]);
}

void gvt_execlist_complete(struct gvt_vgpu *vgpu, struct gvt_workload *w)
{
	unsigned int engine = w->engine;
	struct gvt_execlist *el = &vgpu->engine[engine].el;
	struct gvt_execlist_slot *r;
	uint64_t cur;

	if (el->hung || el->running < 0)
		return;
	r = &el->slot[el->running];
	/* A lite restore replaced @w's execlist: the context carries on in
	 * the new one. */
	if (w->submission != r->submission || w->element != r->index)
		return;
	cur = r->desc[r->index];
	if (r->index == 0 && (r->desc[1] & DESC_VALID)) {
		csb_write(vgpu, engine, GVT_CSB_ELEMENT_SWITCH | GVT_CSB_COMPLETE,
			  (uint32_t)(cur >> 32));
		r->index = 1;
	} else {
		csb_write(vgpu, engine, GVT_CSB_ACTIVE_TO_IDLE | GVT_CSB_COMPLETE,
			  (uint32_t)(cur >> 32));
		r->valid = false;
		el->running = -1;
		if (el->pending >= 0) {
			el->running = el->pending;
			el->pending = -1;
			csb_write(vgpu, engine, GVT_CSB_IDLE_TO_ACTIVE, 0);
		}
	}
	status_update(vgpu, engine);
	gvt_irq_raise(vgpu, context_switch_event[engine]);
}

void gvt_execlist_hang(struct gvt_vgpu *vgpu, unsigned int engine)
{
	vgpu->engine[engine].el.hung = true;
}

void gvt_execlist_reset(struct gvt_vgpu *vgpu, unsigned int engine)
{
	struct gvt_execlist *el = &vgpu->engine[engine].el;
	uint32_t base = engine_base(vgpu, engine);

	memset(el, 0, sizeof(*el));
	el->running = -1;
	el->pending = -1;
	memset(vgpu_vreg32(vgpu, base + RING_CSB_BUF), 0, 8 * GVT_CSB_ENTRIES);
	/* Power-on: the write pointer at 7, before the first entry. */
	*vgpu_vreg32(vgpu, base + RING_CSB_PTR) =
		vgpu->ctx->golden[(base + RING_CSB_PTR) >> 2];
	status_update(vgpu, engine);
}
