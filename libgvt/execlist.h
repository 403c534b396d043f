// SPDX-License-Identifier: MIT
/*
 * Execlist emulation: the guest-visible side of submission. Two virtual
 * execlist slots per engine (one running, one pending), the context status
 * buffer in registers and in the guest's status page, EXECLIST_STATUS, and
 * the context-switch interrupt, following the events hardware produces.
 * Everything here runs under the vGPU's lock.
 */
#ifndef GVT_EXECLIST_H
#define GVT_EXECLIST_H

#include <stdbool.h>
#include <stdint.h>

struct gvt_vgpu;
struct gvt_workload;

/* Context status buffer events (low dword of an entry). */
#define GVT_CSB_IDLE_TO_ACTIVE	(1u << 0)
#define GVT_CSB_PREEMPTED	(1u << 1)
#define GVT_CSB_ELEMENT_SWITCH	(1u << 2)
#define GVT_CSB_ACTIVE_TO_IDLE	(1u << 3)
#define GVT_CSB_COMPLETE	(1u << 4)
#define GVT_CSB_LITE_RESTORE	(1u << 15)
#define GVT_CSB_ENTRIES		6

struct gvt_execlist_slot {
	uint64_t desc[2];	/* elements; bit 0 of each: valid */
	uint64_t submission;	/* which ELSP write filled it (numbered below) */
	uint8_t index;		/* the element running */
	bool valid;
};

struct gvt_execlist {
	struct gvt_execlist_slot slot[2];
	int running;		/* slot index, -1: none */
	int pending;		/* slot index, -1: none */
	unsigned int write_slot;	/* where the next submission goes */
	uint64_t submissions;	/* ELSP writes taken since the reset: 1, 2... */
	bool hung;		/* a workload hung: nothing completes until reset */
};

/* The guest wrote a complete, valid ELSP pair on @engine (handlers.c). */
void gvt_execlist_submit(struct gvt_vgpu *vgpu, unsigned int engine,
			 const uint64_t desc[2]);
/* A submission refused before it ran (@refused), or one the host could
 * not take: counted, and to the guest the engine hung. */
void gvt_execlist_refuse(struct gvt_vgpu *vgpu, unsigned int engine,
			 const uint64_t desc[2], bool refused);
/* Workload @w ran to its tail: the schedule-out events. */
void gvt_execlist_complete(struct gvt_vgpu *vgpu, struct gvt_workload *w);
/* The engine hung on a workload: as on hardware, nothing more completes
 * and no event comes until the guest resets the engine. */
void gvt_execlist_hang(struct gvt_vgpu *vgpu, unsigned int engine);
/* Back to power-on state (engine reset, device reset). */
void gvt_execlist_reset(struct gvt_vgpu *vgpu, unsigned int engine);

#endif /* GVT_EXECLIST_H */
