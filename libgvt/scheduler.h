// SPDX-License-Identifier: MIT
/*
 * The GPU thread: one per context. It owns the physical engines: it picks
 * whose workload runs next on each engine (sched_policy.c), switches the
 * engine's registers between vGPUs, runs workloads through the pgpu,
 * preempts at slice ends, detects hangs, and hands finished workloads back
 * to their vGPU for the guest-visible completion.
 *
 * Locks: each vGPU's lock (vgpu->lock) guards its emulated state; the
 * scheduler's lock guards the queues, the run queues and the counters.
 * Order: a vGPU's lock, then the scheduler's. The GPU thread never waits
 * for a vGPU's lock (it tries, and retries later), so a vGPU thread may
 * wait for the GPU thread while holding its own.
 */
#ifndef GVT_SCHEDULER_H
#define GVT_SCHEDULER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform.h"
#include "gvt_limits.h"
#include "sched_policy.h"

struct gvt_ctx;
struct gvt_vgpu;
struct gvt_workload;
struct gvt_engine_stats;

struct gvt_scheduler {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* work arrived, or a stop request */
	pthread_cond_t stopped;		/* a stop request was served */
	pthread_t thread;
	bool thread_started;
	bool quit;

	struct gvt_sched_rq rq[GVT_NUM_ENGINES];
	struct gvt_workload *active[GVT_NUM_ENGINES];	/* on the engine */
	struct gvt_vgpu *owner[GVT_NUM_ENGINES];	/* whose registers it holds */
	bool preempting[GVT_NUM_ENGINES];
	uint64_t slice_end[GVT_NUM_ENGINES];		/* ns */
	uint64_t charged_at[GVT_NUM_ENGINES];		/* ns: occupancy charged up to */
	uint64_t timeout_ns;		/* engine time a workload may run without
					 * its ring's head moving */

	struct gvt_vgpu *stop_vgpu;	/* a stop request being served */
	uint32_t stop_engines;
	bool stop_served;

	struct gvt_vgpu *members[GVT_MAX_VGPUS + 1];	/* by id */
	struct gvt_vgpu *delivering;	/* its lock is being tried, unlocked */

	uint64_t queued_total;		/* workloads ever queued */
	uint64_t stops_done;		/* stop requests whose queues are gone */
	uint64_t limits_changed;	/* delivery limits set: held workloads
					 * may be let through now */

	uint64_t mmio_switches;		/* engine register switches between vGPUs */
	uint64_t mmio_switch_ns;	/* time they took */
};

int gvt_sched_init(struct gvt_ctx *ctx);
void gvt_sched_fini(struct gvt_ctx *ctx);

/* A vGPU joins (at its type's weight) and leaves the run queues. Leave
 * only after gvt_sched_stop() of every engine. */
int gvt_sched_vgpu_add(struct gvt_vgpu *vgpu);
void gvt_sched_vgpu_remove(struct gvt_vgpu *vgpu);

/* Queue @w behind its vGPU's other workloads on its engine. */
void gvt_sched_queue(struct gvt_vgpu *vgpu, struct gvt_workload *w);
/* The tail of the last queued workload of context @lrca on @engine. */
bool gvt_sched_queued_tail(struct gvt_vgpu *vgpu, unsigned int engine,
			   uint64_t lrca, uint32_t *tail);

/*
 * Stop @vgpu's work on @engines: engines running its workloads are reset,
 * and its queued and finished workloads, held ones included, are dropped
 * (freed, no event).
 * Called with the vGPU's lock held; returns when the GPU thread no longer
 * touches them.
 */
void gvt_sched_stop(struct gvt_vgpu *vgpu, uint32_t engines);

/* Deliver what finished for @vgpu, as far as its delivery limits allow:
 * called with its lock held. */
void gvt_sched_deliver(struct gvt_vgpu *vgpu);

/*
 * Deliver no more than @limit of @vgpu's workloads on @engine, counted
 * since its creation (UINT64_MAX: no limit). Those finished beyond it
 * stay on the vGPU's finished list, held, until a higher limit lets them
 * through or a stop drops them. For replay (gvt_vgpu_limit_completions()).
 */
void gvt_sched_limit_deliveries(struct gvt_vgpu *vgpu, unsigned int engine,
				uint64_t limit);
/* Workloads on @engine delivered to @vgpu's guest since its creation. */
uint64_t gvt_sched_delivered(struct gvt_vgpu *vgpu, unsigned int engine);

/* Workloads queued, running, or finished and not yet delivered (held
 * ones too) for @vgpu. */
uint64_t gvt_sched_pending(struct gvt_vgpu *vgpu);

/* Counters the vGPU's thread moves (the scheduler's lock guards them). */
void gvt_sched_count(struct gvt_vgpu *vgpu, unsigned int engine,
		     unsigned int submitted, unsigned int refused,
		     unsigned int hung);
void gvt_sched_engine_stats(struct gvt_vgpu *vgpu, unsigned int engine,
			    struct gvt_engine_stats *out);
int gvt_sched_vgpu_set_weight(struct gvt_vgpu *vgpu, unsigned int weight);
/* Engine time a workload may run without progress through its ring
 * before it counts as hung (tests). */
void gvt_sched_set_timeout(struct gvt_ctx *ctx, uint64_t ns);

#endif /* GVT_SCHEDULER_H */
