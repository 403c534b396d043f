// SPDX-License-Identifier: MIT
/*
 * The GPU thread. Each engine is scheduled on its own (docs/scheduler.md
 * says why): its run queue decides which vGPU owns it, the thread loads
 * that vGPU's engine registers (the MMIO context switch), submits the head
 * of the vGPU's queue for the engine, and polls the engine. At a slice end
 * it asks the policy again; if another vGPU is due, the engine is preempted
 * at its next arbitration point and the workload resumes later where it
 * stopped. A workload that hangs the engine, or makes no progress through
 * its ring for the timeout, is failed as on hardware: the engine is reset
 * and the guest sees a hang; other vGPUs never notice.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "execlist.h"
#include "interrupt.h"
#include "private.h"
#include "reg.h"
#include "scheduler.h"
#include "workload.h"

#define DEFAULT_TIMEOUT_NS	(2000ull * 1000 * 1000)
#define POLL_BUDGET_NS		(500ull * 1000)
#define MIN_POLL_BUDGET_NS	(20ull * 1000)
/* After the last work, keep looking for more this long before sleeping:
 * a futex wake-up costs tens of microseconds here, a submission's whole
 * path a few. */
#define SPIN_BEFORE_SLEEP_NS	(50ull * 1000)

static struct gvt_engine_state *client_engine(struct gvt_sched_client *c)
{
	return (struct gvt_engine_state *)((char *)c -
					   offsetof(struct gvt_engine_state, client));
}

/* ---- the MMIO context switch ---- */

/* Engine registers a vGPU's context image does not carry but its engine
 * needs: the status page (MI_STORE_DATA_INDEX writes there), the
 * general-purpose registers MI_MATH works on (the sim keeps them out of
 * the image) and the memory-object control tables (gen9: 64 per engine,
 * and the render engine's 32 L3 entries). */
struct mmio_block {
	uint32_t offset;
	uint32_t count;		/* dwords */
};

#define CS_GPR(base) { (base) + 0x600, 32 }

static const struct mmio_block switch_regs[GVT_NUM_ENGINES][4] = {
	[GVT_RCS] = { { 0x2000 + RING_HWS_PGA, 1 }, CS_GPR(0x2000),
		      { 0xc800, 64 }, { 0xb020, 32 } },
	[GVT_BCS] = { { 0x22000 + RING_HWS_PGA, 1 }, CS_GPR(0x22000),
		      { 0xcc00, 64 } },
	[GVT_VCS] = { { 0x12000 + RING_HWS_PGA, 1 }, CS_GPR(0x12000),
		      { 0xc900, 64 } },
	[GVT_VECS] = { { 0x1a000 + RING_HWS_PGA, 1 }, CS_GPR(0x1a000),
		       { 0xcb00, 64 } },
};

static void mmio_switch(struct gvt_ctx *ctx, unsigned int engine,
			struct gvt_vgpu *prev, struct gvt_vgpu *next)
{
	struct gvt_scheduler *s = &ctx->sched;
	const struct gvt_pgpu_ops *ops = ctx->pgpu_ops;
	uint64_t t0 = gvt_now_ns();

	for (unsigned int b = 0; b < ARRAY_SIZE(switch_regs[engine]); b++) {
		const struct mmio_block *blk = &switch_regs[engine][b];

		for (uint32_t i = 0; i < blk->count; i++) {
			uint32_t off = blk->offset + 4 * i;

			/* What the previous vGPU's workloads changed (LRI) is
			 * its registers' value now. The status page is only
			 * ever the guest's own. */
			if (prev && b)
				__atomic_store_n(vgpu_vreg32(prev, off),
						 ops->engine_reg_read(ctx->pgpu, engine, off),
						 __ATOMIC_RELAXED);
			ops->engine_reg_write(ctx->pgpu, engine, off,
					      __atomic_load_n(vgpu_vreg32(next, off),
							      __ATOMIC_RELAXED));
		}
	}
	s->owner[engine] = next;
	s->mmio_switches++;
	s->mmio_switch_ns += gvt_now_ns() - t0;
}

/* The engine's RING_HEAD, with its wrap count: where its context is in
 * the ring (the shadow's). */
static uint32_t ring_head(struct gvt_ctx *ctx, unsigned int engine)
{
	return ctx->pgpu_ops->engine_reg_read(ctx->pgpu, engine,
		ctx->platform->engines[engine].mmio_base + RING_HEAD);
}

/* ---- queues ---- */

static void push_done(struct gvt_vgpu *vgpu, struct gvt_workload *w)
{
	w->next = NULL;
	if (vgpu->done_tail)
		vgpu->done_tail->next = w;
	else
		vgpu->done_head = w;
	vgpu->done_tail = w;
	vgpu->done_count++;
}

/* Take @w, the head of its engine queue, off it. */
static void dequeue_head(struct gvt_scheduler *s, struct gvt_workload *w,
			 uint64_t now)
{
	struct gvt_engine_state *es = &w->vgpu->engine[w->engine];

	es->queue = w->next;
	if (!es->queue)
		es->queue_tail = NULL;
	es->queued--;
	if (!es->queue)
		gvt_sched_set_runnable(&s->rq[w->engine], &es->client, false,
				       now);
}

/* @engine no longer runs @vgpu's workload: its shadow tables may go. */
static void off_engine(struct gvt_scheduler *s, unsigned int engine,
		       struct gvt_vgpu *vgpu)
{
	s->active[engine] = NULL;
	s->preempting[engine] = false;
	__atomic_sub_fetch(&vgpu->gpu_busy, 1, __ATOMIC_SEQ_CST);
}

/* @w, the head of its queue, is over: to its vGPU's finished list. */
static void finish(struct gvt_ctx *ctx, struct gvt_workload *w, int status,
		   uint64_t now)
{
	struct gvt_scheduler *s = &ctx->sched;
	struct gvt_vgpu *vgpu = w->vgpu;
	struct gvt_engine_state *es = &vgpu->engine[w->engine];

	w->status = status;
	w->finish_ns = now;
	dequeue_head(s, w, now);
	push_done(vgpu, w);
	if (status != GVT_WL_HUNG)
		return;
	/* A hung engine runs nothing more of this vGPU's until the guest
	 * resets it, as GVT-g drops the queue: what was queued is lost. */
	while (es->queue) {
		struct gvt_workload *q = es->queue;

		dequeue_head(s, q, now);
		q->status = GVT_WL_CANCELLED;
		push_done(vgpu, q);
	}
}

/* ---- the thread ---- */

static void dispatch(struct gvt_ctx *ctx, unsigned int engine, uint64_t now)
{
	struct gvt_scheduler *s = &ctx->sched;
	struct gvt_sched_client *c;
	struct gvt_engine_state *es;
	struct gvt_workload *w;
	struct gvt_vgpu *vgpu;
	int ret;

	c = gvt_sched_pick(&s->rq[engine], now, &s->slice_end[engine]);
	if (!c)
		return;
	es = client_engine(c);
	vgpu = es->vgpu;
	/* Its stopper detaches its queue as soon as it has the lock. */
	if (s->stop_vgpu == vgpu && (s->stop_engines & (1u << engine)))
		return;
	w = es->queue;
	if (!w) {
		gvt_sched_set_runnable(&s->rq[engine], c, false, now);
		return;
	}
	if (!w->started) {
		ret = gvt_workload_prepare(w);
		if (ret) {
			/* Host GM is short: others' workloads will free it. */
			gvt_vgpu_dbg(vgpu, GVT_DBG_SCHED, "%s: waiting for host graphics memory",
				     ctx->platform->engines[engine].name);
			return;
		}
	}
	if (s->owner[engine] != vgpu) {
		mmio_switch(ctx, engine, s->owner[engine], vgpu);
		es->stats.switches_in++;
	}
	ret = ctx->pgpu_ops->engine_submit(ctx->pgpu, engine,
					   gvt_workload_shadow_lrca(vgpu, engine));
	if (ret) {
		gvt_vgpu_err(vgpu, "%s: the GPU refused a context (%d)",
			     ctx->platform->engines[engine].name, ret);
		snprintf(w->why, sizeof(w->why), "the GPU refused the context");
		finish(ctx, w, GVT_WL_HUNG, now);
		return;
	}
	w->started = true;
	w->last_head = ring_head(ctx, engine);
	s->active[engine] = w;
	s->preempting[engine] = false;
	s->charged_at[engine] = now;
	/* Shadow tables freed from now on wait until the engine is done. */
	__atomic_add_fetch(&vgpu->gpu_busy, 1, __ATOMIC_SEQ_CST);
}

/*
 * Has @w run @held more without progress, past the timeout? Progress is
 * the ring's head moving: a batch returned, a ring command ran. A limit on
 * the whole submission would fail a guest for queueing: i915 submits all a
 * context has queued at once, and a dozen 1 MiB blits already take seconds
 * of the sim's time. Bounding each ring command instead loses nothing:
 * between two ring commands the engine can always be preempted, so no
 * other vGPU waits longer than before, and a batch that never returns
 * still hangs.
 */
static bool stalled(struct gvt_ctx *ctx, unsigned int engine,
		    struct gvt_workload *w, uint64_t held)
{
	uint32_t head = ring_head(ctx, engine);

	if (head != w->last_head) {
		w->last_head = head;
		w->stall_ns = 0;
		return false;
	}
	w->stall_ns += held;
	return w->stall_ns > ctx->sched.timeout_ns;
}

/* One engine's poll result; true if it made progress. */
static bool handle(struct gvt_ctx *ctx, unsigned int engine,
		   struct gvt_workload *w, const struct gvt_pgpu_poll *st,
		   uint64_t now)
{
	struct gvt_scheduler *s = &ctx->sched;
	struct gvt_engine_state *es = &w->vgpu->engine[engine];
	struct gvt_sched_client *c;
	uint64_t slice_end;

	/*
	 * Charged by occupancy, the time the context held the engine, not
	 * by the commands it ran: a context waiting on a semaphore keeps
	 * the engine from everyone else, and a hardware backend can only
	 * tell occupancy anyway.
	 */
	uint64_t held = now > s->charged_at[engine] ? now - s->charged_at[engine] : 0;

	s->charged_at[engine] = now;
	w->busy_ns += held;
	w->events |= st->events;
	es->stats.busy_ns += held;
	gvt_sched_charge(&s->rq[engine], &es->client, held, now);

	switch (st->state) {
	case GVT_PGPU_RUNNING:
		if (stalled(ctx, engine, w, held)) {
			ctx->pgpu_ops->engine_reset(ctx->pgpu, engine);
			snprintf(w->why, sizeof(w->why),
				 "no progress through its ring for %llu ms",
				 (unsigned long long)(s->timeout_ns / 1000000));
			off_engine(s, engine, w->vgpu);
			finish(ctx, w, GVT_WL_HUNG, now);
			return true;
		}
		if (!s->preempting[engine] && now >= s->slice_end[engine]) {
			c = gvt_sched_pick(&s->rq[engine], now, &slice_end);
			s->slice_end[engine] = slice_end;
			if (c && c != &es->client) {
				ctx->pgpu_ops->engine_preempt(ctx->pgpu, engine);
				s->preempting[engine] = true;
			}
		}
		return st->commands != 0;
	case GVT_PGPU_DONE:
		gvt_workload_ran(w);
		off_engine(s, engine, w->vgpu);
		finish(ctx, w, GVT_WL_DONE, now);
		return true;
	case GVT_PGPU_PREEMPTED:
		off_engine(s, engine, w->vgpu);
		es->stats.preempted++;
		return true;
	case GVT_PGPU_HUNG:
	default:
		snprintf(w->why, sizeof(w->why), "%s",
			 st->state == GVT_PGPU_HUNG ? st->why :
			 "the engine went idle without finishing the context");
		ctx->pgpu_ops->engine_reset(ctx->pgpu, engine);
		off_engine(s, engine, w->vgpu);
		finish(ctx, w, GVT_WL_HUNG, now);
		return true;
	}
}

static void serve_stop(struct gvt_ctx *ctx)
{
	struct gvt_scheduler *s = &ctx->sched;
	struct gvt_vgpu *vgpu = s->stop_vgpu;

	for (unsigned int e = 0; e < ctx->platform->num_engines; e++) {
		struct gvt_workload *w = s->active[e];

		if (!(s->stop_engines & (1u << e)))
			continue;
		if (w && w->vgpu == vgpu) {
			ctx->pgpu_ops->engine_reset(ctx->pgpu, e);
			off_engine(s, e, vgpu);
		}
		/* The engine's registers are reloaded whole next time. */
		if (s->owner[e] == vgpu)
			s->owner[e] = NULL;
	}
	s->stop_served = true;
	pthread_cond_broadcast(&s->stopped);
}

/* May the guest be told of @w now? Its engine's limit says (scheduler's
 * lock); @taken more of its engine are on their way already. */
static bool may_deliver(const struct gvt_workload *w, uint64_t taken)
{
	const struct gvt_engine_state *es = &w->vgpu->engine[w->engine];

	return es->delivered + taken < es->deliver_limit;
}

/* Has @vgpu finished workloads its limits let through? (scheduler's
 * lock) A held workload must not keep the GPU thread polling: only a
 * new limit (limits_changed) brings it back. */
static bool deliverable(const struct gvt_vgpu *vgpu)
{
	if (!vgpu->deliveries_limited)
		return vgpu->done_head != NULL;
	for (const struct gvt_workload *w = vgpu->done_head; w; w = w->next)
		if (may_deliver(w, 0))
			return true;
	return false;
}

/* Hand finished workloads to their vGPUs, never waiting for a vGPU's lock.
 * Returns how many vGPUs still have work to deliver. */
static unsigned int deliver_all(struct gvt_ctx *ctx)
{
	struct gvt_scheduler *s = &ctx->sched;
	unsigned int left = 0;

	for (unsigned int id = 1; id <= GVT_MAX_VGPUS; id++) {
		struct gvt_vgpu *vgpu = s->members[id];

		if (!vgpu || !deliverable(vgpu))
			continue;
		s->delivering = vgpu;
		pthread_mutex_unlock(&s->lock);
		if (!pthread_mutex_trylock(&vgpu->lock)) {
			gvt_sched_deliver(vgpu);
			pthread_mutex_unlock(&vgpu->lock);
		}
		pthread_mutex_lock(&s->lock);
		s->delivering = NULL;
		pthread_cond_broadcast(&s->stopped);
		left += deliverable(vgpu);
	}
	return left;
}

static void timed_wait(struct gvt_scheduler *s, uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)ns;
	while (ts.tv_nsec >= 1000000000l) {
		ts.tv_nsec -= 1000000000l;
		ts.tv_sec++;
	}
	pthread_cond_timedwait(&s->wake, &s->lock, &ts);
}

static void *gpu_thread(void *arg)
{
	struct gvt_ctx *ctx = arg;
	struct gvt_scheduler *s = &ctx->sched;
	unsigned int ne = ctx->platform->num_engines;
	uint64_t last_work = gvt_now_ns();

	pthread_mutex_lock(&s->lock);
	while (!s->quit) {
		struct gvt_workload *run[GVT_NUM_ENGINES] = { NULL };
		struct gvt_pgpu_poll st[GVT_NUM_ENGINES];
		uint64_t budget[GVT_NUM_ENGINES];
		bool busy = false, progress = false;
		unsigned int undelivered;
		/* Work queued, a stopped vGPU's work taken off the run
		 * queues (others may be due now), or held workloads let
		 * through, while the lock was dropped below must not be slept
		 * through: its wake-up found nobody waiting. */
		uint64_t queued_seen = s->queued_total;
		uint64_t stops_seen = s->stops_done;
		uint64_t raises_seen = s->limits_changed;
		uint64_t now;

		if (s->stop_vgpu && !s->stop_served)
			serve_stop(ctx);
		now = gvt_now_ns();
		for (unsigned int e = 0; e < ne; e++) {
			if (!s->active[e])
				dispatch(ctx, e, now);
			run[e] = s->active[e];
			busy |= run[e] != NULL;
			budget[e] = s->slice_end[e] > now ? s->slice_end[e] - now : 0;
			if (budget[e] > POLL_BUDGET_NS)
				budget[e] = POLL_BUDGET_NS;
			if (budget[e] < MIN_POLL_BUDGET_NS)
				budget[e] = MIN_POLL_BUDGET_NS;
		}
		pthread_mutex_unlock(&s->lock);
		/* Only this thread touches the engines and the workloads on
		 * them; a stop request waits for the next round. */
		for (unsigned int e = 0; e < ne; e++) {
			if (!run[e])
				continue;
			memset(&st[e], 0, sizeof(st[e]));
			ctx->pgpu_ops->engine_poll(ctx->pgpu, e, budget[e], &st[e]);
		}
		pthread_mutex_lock(&s->lock);
		now = gvt_now_ns();
		for (unsigned int e = 0; e < ne; e++)
			if (run[e])
				progress |= handle(ctx, e, run[e], &st[e], now);
		undelivered = deliver_all(ctx);
		if (progress || undelivered)
			last_work = now;
		if (s->quit || (s->stop_vgpu && !s->stop_served) ||
		    s->queued_total != queued_seen || s->stops_done != stops_seen ||
		    s->limits_changed != raises_seen)
			continue;
		if (busy && !progress)
			timed_wait(s, 50 * 1000);	/* semaphores wait */
		else if (undelivered)
			timed_wait(s, 20 * 1000);	/* a vGPU is busy */
		else if (!busy && now - last_work > SPIN_BEFORE_SLEEP_NS)
			pthread_cond_wait(&s->wake, &s->lock);
		else if (!busy) {
			pthread_mutex_unlock(&s->lock);
			sched_yield();
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- setup ---- */

int gvt_sched_init(struct gvt_ctx *ctx)
{
	struct gvt_scheduler *s = &ctx->sched;
	const struct gvt_pgpu_ops *ops = ctx->pgpu_ops;
	struct gvt_sched_params params;
	pthread_condattr_t attr;
	int ret;

	memset(s, 0, sizeof(*s));
	s->timeout_ns = DEFAULT_TIMEOUT_NS;
	gvt_sched_params_default(&params);
	for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++)
		gvt_sched_rq_init(&s->rq[e], &params);
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret)
		return -ret;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = pthread_cond_init(&s->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (!ret)
		ret = pthread_cond_init(&s->stopped, NULL);
	if (ret)
		goto out_destroy;
	if (!ops->engine_submit || !ops->engine_poll || !ops->engine_reset ||
	    !ops->engine_preempt || !ops->engine_reg_read ||
	    !ops->engine_reg_write || !ops->host_bus) {
		gvt_warn(ctx, "pgpu/%s runs no engines: workloads stay queued",
			 ops->name);
		return 0;
	}
	ret = pthread_create(&s->thread, NULL, gpu_thread, ctx);
	if (ret) {
		gvt_err(ctx, "cannot start the GPU thread (%d)", ret);
		goto out_destroy;
	}
	s->thread_started = true;
	return 0;

out_destroy:
	pthread_mutex_destroy(&s->lock);
	return -ret;
}

void gvt_sched_fini(struct gvt_ctx *ctx)
{
	struct gvt_scheduler *s = &ctx->sched;

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->stopped);
	pthread_mutex_destroy(&s->lock);
}

int gvt_sched_vgpu_add(struct gvt_vgpu *vgpu)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	uint64_t now = gvt_now_ns();
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++) {
		struct gvt_engine_state *es = &vgpu->engine[e];

		es->vgpu = vgpu;
		es->client.weight = vgpu->type->weight;
		es->deliver_limit = UINT64_MAX;
		ret = gvt_sched_add(&s->rq[e], &es->client, now);
		if (ret) {
			while (e--)
				gvt_sched_remove(&s->rq[e], &vgpu->engine[e].client);
			break;
		}
	}
	if (!ret)
		s->members[vgpu->id] = vgpu;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void gvt_sched_vgpu_remove(struct gvt_vgpu *vgpu)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;

	pthread_mutex_lock(&s->lock);
	while (s->delivering == vgpu)
		pthread_cond_wait(&s->stopped, &s->lock);
	if (s->members[vgpu->id] == vgpu) {
		for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++) {
			gvt_sched_remove(&s->rq[e], &vgpu->engine[e].client);
			if (s->owner[e] == vgpu)
				s->owner[e] = NULL;
		}
		s->members[vgpu->id] = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

void gvt_sched_queue(struct gvt_vgpu *vgpu, struct gvt_workload *w)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	struct gvt_engine_state *es = &vgpu->engine[w->engine];

	pthread_mutex_lock(&s->lock);
	w->next = NULL;
	if (es->queue_tail)
		es->queue_tail->next = w;
	else
		es->queue = w;
	es->queue_tail = w;
	es->queued++;
	s->queued_total++;
	gvt_sched_set_runnable(&s->rq[w->engine], &es->client, true, gvt_now_ns());
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

bool gvt_sched_queued_tail(struct gvt_vgpu *vgpu, unsigned int engine,
			   uint64_t lrca, uint32_t *tail)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	const struct gvt_workload *last = NULL;

	pthread_mutex_lock(&s->lock);
	/* Finished but not yet written back, then queued: the newest wins. */
	for (const struct gvt_workload *w = vgpu->done_head; w; w = w->next)
		if (w->engine == engine && w->lrca == lrca &&
		    w->status == GVT_WL_DONE)
			last = w;
	for (const struct gvt_workload *w = vgpu->engine[engine].queue; w;
	     w = w->next)
		if (w->lrca == lrca)
			last = w;
	if (last)
		*tail = last->tail;
	pthread_mutex_unlock(&s->lock);
	return last != NULL;
}

static void free_list(struct gvt_workload *w)
{
	while (w) {
		struct gvt_workload *next = w->next;

		gvt_workload_free(w);
		w = next;
	}
}

void gvt_sched_stop(struct gvt_vgpu *vgpu, uint32_t engines)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	struct gvt_workload *drop = NULL, **tail = &drop;
	struct gvt_workload *keep = NULL, **keep_tail = &keep;
	uint64_t now = gvt_now_ns();

	pthread_mutex_lock(&s->lock);
	while (s->stop_vgpu)
		pthread_cond_wait(&s->stopped, &s->lock);
	s->stop_vgpu = vgpu;
	s->stop_engines = engines;
	s->stop_served = false;
	if (s->thread_started) {
		pthread_cond_signal(&s->wake);
		while (!s->stop_served)
			pthread_cond_wait(&s->stopped, &s->lock);
	} else {
		serve_stop(vgpu->ctx);
	}
	s->stop_vgpu = NULL;
	pthread_cond_broadcast(&s->stopped);

	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++) {
		struct gvt_engine_state *es = &vgpu->engine[e];

		if (!(engines & (1u << e)) || !es->queue)
			continue;
		*tail = es->queue;
		tail = &es->queue_tail->next;
		es->queue = es->queue_tail = NULL;
		es->queued = 0;
		gvt_sched_set_runnable(&s->rq[e], &es->client, false, now);
	}
	for (struct gvt_workload *w = vgpu->done_head, *next; w; w = next) {
		next = w->next;
		w->next = NULL;
		if (engines & (1u << w->engine)) {
			*tail = w;
			tail = &w->next;
			vgpu->done_count--;
		} else {
			*keep_tail = w;
			keep_tail = &w->next;
		}
	}
	*tail = NULL;
	vgpu->done_head = keep;
	vgpu->done_tail = NULL;
	for (struct gvt_workload *w = keep; w; w = w->next)
		vgpu->done_tail = w;
	/* Having served the stop, the GPU thread may have picked @vgpu for
	 * an engine again (its slice was not over) and skipped it as
	 * stopping: what other vGPUs queued there must not wait for
	 * somebody's next submission, whether the thread sleeps now or is
	 * about to. */
	s->stops_done++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);

	free_list(drop);
	if (!__atomic_load_n(&vgpu->gpu_busy, __ATOMIC_SEQ_CST))
		gvt_ppgtt_gpu_idle(vgpu);
}

static const enum gvt_irq_event user_event[GVT_NUM_ENGINES] = {
	[GVT_RCS] = GVT_EV_RCS_USER_INTERRUPT,
	[GVT_BCS] = GVT_EV_BCS_USER_INTERRUPT,
	[GVT_VCS] = GVT_EV_VCS_USER_INTERRUPT,
	[GVT_VECS] = GVT_EV_VECS_USER_INTERRUPT,
};

static const int flush_event[GVT_NUM_ENGINES] = {
	[GVT_RCS] = GVT_EV_RCS_PIPE_CONTROL_NOTIFY,
	[GVT_BCS] = GVT_EV_BCS_FLUSH_DW_NOTIFY,
	[GVT_VCS] = GVT_EV_VCS_FLUSH_DW_NOTIFY,
	[GVT_VECS] = GVT_EV_VECS_FLUSH_DW_NOTIFY,
};

static unsigned int latency_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b = us ? 63u - (unsigned int)__builtin_clzll(us) : 0;

	return b < GVT_LATENCY_BUCKETS ? b : GVT_LATENCY_BUCKETS - 1;
}

/*
 * Take the finished workloads @vgpu's limits let through off its list, in
 * the order they finished; held ones stay, in theirs (scheduler's lock).
 * Deliveries never overlap (each runs under the vGPU's lock), so what is
 * taken here is what the guest is told next.
 */
static struct gvt_workload *take_deliverable(struct gvt_vgpu *vgpu)
{
	struct gvt_workload *list = NULL, **tail = &list;
	struct gvt_workload *held = NULL, **held_tail = &held;
	uint64_t taken[GVT_NUM_ENGINES] = { 0 };

	if (!vgpu->deliveries_limited) {
		list = vgpu->done_head;
		vgpu->done_head = vgpu->done_tail = NULL;
		vgpu->done_count = 0;
		return list;
	}
	vgpu->done_tail = NULL;
	for (struct gvt_workload *w = vgpu->done_head, *next; w; w = next) {
		next = w->next;
		w->next = NULL;
		if (may_deliver(w, taken[w->engine])) {
			taken[w->engine]++;
			vgpu->done_count--;
			*tail = w;
			tail = &w->next;
		} else {
			*held_tail = w;
			held_tail = &w->next;
			vgpu->done_tail = w;
		}
	}
	vgpu->done_head = held;
	return list;
}

void gvt_sched_deliver(struct gvt_vgpu *vgpu)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	struct gvt_workload *list;

	pthread_mutex_lock(&s->lock);
	list = take_deliverable(vgpu);
	pthread_mutex_unlock(&s->lock);

	for (struct gvt_workload *w = list, *next; w; w = next) {
		unsigned int e = w->engine;
		const char *name = vgpu->ctx->platform->engines[e].name;
		uint64_t lat = w->finish_ns - w->submit_ns;

		next = w->next;
		/* Into the trace before the guest can see it: any access
		 * that follows the completion then follows its done line. */
		if (vgpu->trace)
			gvt_trace_finished(vgpu, e);
		/* Events first: a driver reading its seqno on the
		 * context-switch interrupt finds it written. */
		if (w->events & GVT_PGPU_EV_USER_INTERRUPT)
			gvt_irq_raise(vgpu, user_event[e]);
		if (w->events & (GVT_PGPU_EV_PIPE_CONTROL_NOTIFY |
				 GVT_PGPU_EV_FLUSH_DW_NOTIFY))
			gvt_irq_raise(vgpu, (enum gvt_irq_event)flush_event[e]);
		if (w->status == GVT_WL_DONE) {
			gvt_workload_write_back(w);
			gvt_execlist_complete(vgpu, w);
		} else if (w->status == GVT_WL_HUNG) {
			gvt_vgpu_guest_err(vgpu, "%s: workload of context 0x%llx hung: %s; the engine was reset and the guest sees a hang",
					   name, (unsigned long long)w->desc,
					   w->why);
			gvt_execlist_hang(vgpu, e);
		} else {
			gvt_execlist_hang(vgpu, e);
		}
		/* Counted once the guest has been told: a reader that sees
		 * the count (under the lock) sees the CSB entry and the
		 * interrupt too, which is what a replay's done line waits
		 * for. */
		pthread_mutex_lock(&s->lock);
		vgpu->engine[e].delivered++;
		if (w->status == GVT_WL_DONE) {
			struct gvt_engine_stats *st = &vgpu->engine[e].stats;

			st->completed++;
			st->latency_sum_ns += lat;
			if (lat > st->latency_max_ns)
				st->latency_max_ns = lat;
			st->latency_hist[latency_bucket(lat)]++;
		} else {
			vgpu->engine[e].stats.hung++;
		}
		pthread_mutex_unlock(&s->lock);
		gvt_workload_free(w);
	}
	if (!__atomic_load_n(&vgpu->gpu_busy, __ATOMIC_SEQ_CST))
		gvt_ppgtt_gpu_idle(vgpu);
}

void gvt_sched_limit_deliveries(struct gvt_vgpu *vgpu, unsigned int engine,
				uint64_t limit)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	bool limited = false;

	pthread_mutex_lock(&s->lock);
	vgpu->engine[engine].deliver_limit = limit;
	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++)
		limited |= vgpu->engine[e].deliver_limit != UINT64_MAX;
	vgpu->deliveries_limited = limited;
	/* What it now lets through may already be waiting: the GPU thread
	 * sleeps only when nothing is deliverable. */
	s->limits_changed++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

uint64_t gvt_sched_delivered(struct gvt_vgpu *vgpu, unsigned int engine)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = vgpu->engine[engine].delivered;
	pthread_mutex_unlock(&s->lock);
	return n;
}

uint64_t gvt_sched_pending(struct gvt_vgpu *vgpu)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	n = vgpu->done_count;
	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++)
		n += vgpu->engine[e].queued;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void gvt_sched_count(struct gvt_vgpu *vgpu, unsigned int engine,
		     unsigned int submitted, unsigned int refused,
		     unsigned int hung)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	struct gvt_engine_stats *st = &vgpu->engine[engine].stats;

	pthread_mutex_lock(&s->lock);
	st->submitted += submitted;
	st->refused += refused;
	st->hung += hung;
	pthread_mutex_unlock(&s->lock);
}

void gvt_sched_engine_stats(struct gvt_vgpu *vgpu, unsigned int engine,
			    struct gvt_engine_stats *out)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	struct gvt_engine_state *es = &vgpu->engine[engine];

	pthread_mutex_lock(&s->lock);
	*out = es->stats;
	out->queued = es->queued;
	out->wait_max_ns = es->client.waited_max_ns;
	pthread_mutex_unlock(&s->lock);
	snprintf(out->name, sizeof(out->name), "%s",
		 vgpu->ctx->platform->engines[engine].name);
}

int gvt_sched_vgpu_set_weight(struct gvt_vgpu *vgpu, unsigned int weight)
{
	struct gvt_scheduler *s = &vgpu->ctx->sched;
	uint64_t now = gvt_now_ns();
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines && !ret; e++)
		ret = gvt_sched_set_weight(&s->rq[e], &vgpu->engine[e].client,
					   weight, now);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void gvt_sched_set_timeout(struct gvt_ctx *ctx, uint64_t ns)
{
	pthread_mutex_lock(&ctx->sched.lock);
	ctx->sched.timeout_ns = ns;
	pthread_mutex_unlock(&ctx->sched.lock);
}
