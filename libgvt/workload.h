// SPDX-License-Identifier: MIT
/*
 * Workloads: one element of a guest's ELSP submission, from the guest's
 * context image to a shadow the GPU may run, and back.
 *
 * Created in the vGPU's thread when the guest writes its ELSP (the guest's
 * context image is read, its ring and batches copied and scanned, its PPGTT
 * pinned); made runnable on the GPU thread (shadow graphics memory mapped,
 * batch starts relocated, the shadow context image filled); completed in
 * the vGPU's thread or the GPU thread under the vGPU's lock (ring head
 * written back, shadows released).
 */
#ifndef GVT_WORKLOAD_H
#define GVT_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd_parser.h"
#include "pgpu.h"
#include "ppgtt.h"

struct gvt_vgpu;

/* What became of a workload (struct gvt_workload.status). */
enum gvt_workload_status {
	GVT_WL_QUEUED,		/* waiting for the GPU, or preempted */
	GVT_WL_DONE,		/* ran to its tail */
	GVT_WL_HUNG,		/* the engine hung on it or it overran */
	GVT_WL_CANCELLED,	/* dropped by a reset before it finished */
};

struct gvt_workload {
	struct gvt_workload *next;	/* in its engine queue (scheduler.c) */
	struct gvt_vgpu *vgpu;
	unsigned int engine;
	uint64_t desc;			/* the guest's context descriptor */
	uint64_t lrca;			/* GGTT address of the guest's image */
	uint64_t state_gpa;		/* guest frame of its register state page */
	uint32_t head;			/* guest ring: byte offsets and size */
	uint32_t tail;
	uint32_t head_wraps;		/* RING_HEAD's wrap count, bits 31:21 */
	uint32_t ring_bytes;
	uint64_t ring_start;
	uint32_t ctx_control;		/* CONTEXT_CONTROL from the image */
	struct gvt_ppgtt_root root;
	struct gvt_ppgtt_mm *mm;	/* pinned while the workload lives */
	uint64_t shadow_pdp[4];		/* what the shadow image's PDPs hold */
	struct gvt_cmd_shadow *shadow;	/* the ring's and batches' copies */
	uint64_t gm[3];			/* host GM each level's copies live at */
	uint32_t gm_pages[3];		/* 0: not mapped */
	/* The render context's workaround batches (none: wa NULL), copied
	 * and scanned like the ring: the indirect batch at level 0. */
	struct gvt_cmd_shadow *wa;
	uint64_t wa_gm[3];
	uint32_t wa_gm_pages[3];
	uint32_t indirect_lines;	/* cachelines; 0: no indirect batch */
	uint32_t indirect_offset;	/* INDIRECT_CTX_OFFSET, the guest's */
	bool per_ctx;			/* a per-context batch follows */
	uint64_t submission;		/* its ELSP write: gvt_execlist.submissions */
	unsigned int element;		/* 0 or 1: its place in that write */
	bool started;			/* dispatched at least once */
	int status;			/* enum gvt_workload_status */
	uint32_t events;		/* GVT_PGPU_EV_* not yet delivered */
	uint64_t submit_ns;		/* CLOCK_MONOTONIC at the ELSP write */
	uint64_t finish_ns;		/* when the engine finished with it */
	uint64_t busy_ns;		/* engine time so far */
	uint64_t shadow_ns;		/* spent in create and prepare */
	uint64_t stall_ns;		/* engine time since the ring's head last
					 * moved (scheduler.c's hang limit) */
	uint32_t last_head;		/* RING_HEAD then, with its wrap count */
	uint32_t ctx_timestamp;		/* CTX_TIMESTAMP the engine left, for
					 * the write-back */
	char why[160];			/* HUNG: what the engine said */
	uint32_t guest_state[1024];	/* the guest's register state page */
};

/*
 * Build a workload for descriptor @desc on @engine: read the guest's image,
 * pin its PPGTT, copy and scan its ring from @head (the guest's RING_HEAD,
 * or the tail of the same context's previous workload when one is queued).
 * Called with the vGPU's lock held. Return: the workload, with status
 * QUEUED; or NULL when the guest's submission is refused (logged once:
 * *@refused set) or the host ran short (logged).
 */
struct gvt_workload *gvt_workload_create(struct gvt_vgpu *vgpu,
					 unsigned int engine, uint64_t desc,
					 const uint32_t *prev_tail,
					 bool *refused);

/*
 * Make @w runnable on the GPU (GPU thread, before its first dispatch): map
 * its copies into host graphics memory, point the batch starts at them and
 * fill the vGPU's shadow context image for @w's engine. Return: 0, or
 * -ENOSPC when host graphics memory is short for now (try later).
 */
int gvt_workload_prepare(struct gvt_workload *w);

/* @w ran to its tail (GPU thread): keep what the write-back gives the
 * guest from the engine's shadow image, which the next workload on the
 * engine overwrites. */
void gvt_workload_ran(struct gvt_workload *w);

/* After @w ran to its tail: the guest's image gets the new head. Called
 * with the vGPU's lock held. */
void gvt_workload_write_back(struct gvt_workload *w);

/* Release everything @w holds. Called with the vGPU's lock held. */
void gvt_workload_free(struct gvt_workload *w);

/* GGTT address of the vGPU's shadow context image for @engine. */
uint64_t gvt_workload_shadow_lrca(const struct gvt_vgpu *vgpu,
				  unsigned int engine);

/* The vGPU's shadow context images: one per engine, in host GM. */
int gvt_shadow_ctx_init(struct gvt_vgpu *vgpu);
void gvt_shadow_ctx_fini(struct gvt_vgpu *vgpu);

#endif /* GVT_WORKLOAD_H */
