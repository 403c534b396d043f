// SPDX-License-Identifier: MIT
/*
 * The scheduling policy: who owns an engine next, and until when. It is
 * pure bookkeeping: no threads, no clock of its own, no knowledge of
 * workloads or engines. The GPU thread (scheduler.c) feeds it the time,
 * which vGPUs have work and how much engine time each used; gvt-bench
 * feeds it a virtual clock and model engines. One run queue serves one
 * engine (per-engine switching) or the whole GPU; docs/scheduler.md says
 * which libgvt uses and why.
 */
#ifndef GVT_SCHED_POLICY_H
#define GVT_SCHED_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define GVT_SCHED_MAX_CLIENTS 16

/* Tunables; gvt_sched_params_default() gives libgvt's. */
struct gvt_sched_params {
	uint64_t period_ns;	/* time over which shares are made exact */
	uint64_t min_slice_ns;	/* no client is given less at a time */
	uint64_t max_wait_ns;	/* a runnable client waits at most about this */
	uint64_t switch_ns;	/* engine time a switch loses, preemption
				 * delay included: an estimate, used to keep
				 * waits under max_wait_ns */
};

/*
 * One vGPU as a run queue sees it. The caller embeds it; fields below
 * "policy's" are the policy's own.
 */
struct gvt_sched_client {
	unsigned int weight;	/* > 0; relative share when contended */
	bool runnable;		/* has work for this run queue */
	uint64_t busy_ns;	/* engine time charged, total */
	uint64_t switches_in;	/* times it was given the engine */
	uint64_t waited_max_ns;	/* longest time runnable without the engine */

	/* policy's */
	int64_t credit_ns;	/* engine time owed (+) or overdrawn (-) */
	uint64_t runnable_since;	/* ns; when it last became runnable or lost the engine */
	unsigned int slot;	/* index in the run queue */
};

struct gvt_sched_rq {
	struct gvt_sched_params params;
	struct gvt_sched_client *clients[GVT_SCHED_MAX_CLIENTS];
	unsigned int num_clients;
	struct gvt_sched_client *owner;	/* holds the engine; NULL: none */
	uint64_t owner_since;		/* ns */
	uint64_t slice_end;		/* ns; when to ask again */
	uint64_t last_update;		/* ns */
	uint64_t decisions;		/* gvt_sched_pick() calls */
	uint64_t switches;		/* owner changes to a different client */
	/* policy's */
	const struct gvt_sched_client *loaded;	/* last owner; NULL: none */
	unsigned int cursor;		/* slot of the last client given a turn */
};

void gvt_sched_params_default(struct gvt_sched_params *p);
void gvt_sched_rq_init(struct gvt_sched_rq *rq, const struct gvt_sched_params *p);

/* Add @c (weight set, not runnable) at time @now; -ENOSPC when full,
 * -EINVAL for a zero weight. */
int gvt_sched_add(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
		  uint64_t now);
/* Remove @c; if it owned the engine, nobody does. */
void gvt_sched_remove(struct gvt_sched_rq *rq, struct gvt_sched_client *c);
/* Change @c's weight (> 0, else -EINVAL); takes effect from @now. */
int gvt_sched_set_weight(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
			 unsigned int weight, uint64_t now);
/* @c has work (or has none left) from @now. */
void gvt_sched_set_runnable(struct gvt_sched_rq *rq,
			    struct gvt_sched_client *c, bool runnable,
			    uint64_t now);
/* @c used @busy_ns of engine time, ending at @now. */
void gvt_sched_charge(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
		      uint64_t busy_ns, uint64_t now);

/*
 * Who should own the engine from @now: the current owner (keep going), a
 * different client (switch: the caller stops the owner at its next
 * arbitration point and switches), or NULL (nobody is runnable: idle).
 * *@slice_end is when to call again at the latest; earlier calls are fine
 * (a workload finished, a client became runnable).
 */
struct gvt_sched_client *gvt_sched_pick(struct gvt_sched_rq *rq, uint64_t now,
					uint64_t *slice_end);

#endif /* GVT_SCHED_POLICY_H */
