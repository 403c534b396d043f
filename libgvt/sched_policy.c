// SPDX-License-Identifier: MIT
/*
 * Weighted time slices for one run queue: deficit round robin over engine
 * time, with a round sized from the wait bound.
 *
 * Runnable clients take turns in slot order. At its turn a client's credit
 * is topped up by its quantum, (round * weight / runnable weight), and it
 * keeps the engine until charge() has taken that credit. An overrun (the
 * engine stops only at its next arbitration point) leaves the credit
 * negative and the next quantum pays it back, so errors do not add up
 * across rounds. Credit never exceeds one quantum: a client that sleeps
 * banks nothing, and loses at most the rest of one quantum.
 *
 * The round is as long as the wait bound allows, because every switch
 * costs the GPU switch_ns: the lightest runnable client waits for all the
 * others' quanta plus one switch each, round * (1 - w_min / W) +
 * n * switch_ns, and that is made equal to max_wait_ns. A long wait bound
 * means fewer switches; it also means a larger 1 s share error, which is
 * about wait / 1 s whatever the weights. docs/scheduler.md has the
 * arithmetic and the measured figures.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sched_policy.h"

#define MS 1000000ull

void gvt_sched_params_default(struct gvt_sched_params *p)
{
	*p = (struct gvt_sched_params){
		.period_ns = 20 * MS,
		.min_slice_ns = 1 * MS,
		.max_wait_ns = 10 * MS,
		.switch_ns = 280000,	/* 180 us MMIO switch + 100 us to the
					 * next arbitration point, worst case */
	};
}

void gvt_sched_rq_init(struct gvt_sched_rq *rq, const struct gvt_sched_params *p)
{
	memset(rq, 0, sizeof(*rq));
	if (p)
		rq->params = *p;
	else
		gvt_sched_params_default(&rq->params);
}

int gvt_sched_add(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
		  uint64_t now)
{
	if (!c->weight)
		return -EINVAL;
	if (rq->num_clients >= GVT_SCHED_MAX_CLIENTS)
		return -ENOSPC;
	c->runnable = false;
	c->busy_ns = 0;
	c->switches_in = 0;
	c->waited_max_ns = 0;
	c->credit_ns = 0;
	c->runnable_since = now;
	c->slot = rq->num_clients;
	rq->clients[rq->num_clients++] = c;
	return 0;
}

void gvt_sched_remove(struct gvt_sched_rq *rq, struct gvt_sched_client *c)
{
	unsigned int r = c->slot;

	if (r >= rq->num_clients || rq->clients[r] != c)
		return;
	/* Shift, not swap: the others keep their turn order. */
	for (unsigned int i = r + 1; i < rq->num_clients; i++) {
		rq->clients[i - 1] = rq->clients[i];
		rq->clients[i - 1]->slot = i - 1;
	}
	rq->clients[--rq->num_clients] = NULL;
	if (rq->cursor > r)
		rq->cursor--;
	else if (rq->cursor == r)	/* whoever followed @c goes next */
		rq->cursor = r ? r - 1 : (rq->num_clients ? rq->num_clients - 1 : 0);
	if (rq->owner == c)
		rq->owner = NULL;
	if (rq->loaded == c)
		rq->loaded = NULL;
}

/*
 * The round, in engine time, among the clients runnable now and @c (which
 * is about to be): see the top of the file. *@total gets their weight.
 * A quantum is round * weight / *@total.
 */
static double round_ns(const struct gvt_sched_rq *rq,
		       const struct gvt_sched_client *c, double *total)
{
	const struct gvt_sched_params *p = &rq->params;
	uint64_t sum = 0, wmin = UINT64_MAX, lost, budget;
	unsigned int n = 0;
	double round;

	for (unsigned int i = 0; i < rq->num_clients; i++) {
		const struct gvt_sched_client *x = rq->clients[i];

		if (!x->runnable && x != c)
			continue;
		n++;
		sum += x->weight;
		if (x->weight < wmin)
			wmin = x->weight;
	}
	*total = (double)sum;
	if (n <= 1)
		return (double)p->period_ns;
	lost = n * p->switch_ns;
	budget = p->max_wait_ns > lost ? p->max_wait_ns - lost : 0;
	round = (double)budget * (double)sum / (double)(sum - wmin);
	return round < (double)p->period_ns ? round : (double)p->period_ns;
}

static int64_t quantum(const struct gvt_sched_rq *rq,
		       const struct gvt_sched_client *c)
{
	double total, round = round_ns(rq, c, &total);

	return (int64_t)(round * c->weight / total);
}

/* Credit a turn may start with, at most: a quantum plus what a client
 * that let turns pass (below min_slice) can have saved. A sleeper comes
 * back with no more. */
static int64_t credit_cap(const struct gvt_sched_rq *rq, int64_t q)
{
	return q + (int64_t)rq->params.min_slice_ns;
}

int gvt_sched_set_weight(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
			 unsigned int weight, uint64_t now)
{
	int64_t q;

	if (!weight)
		return -EINVAL;
	c->weight = weight;
	rq->last_update = now;
	/* A lowered weight must not ride out a quantum granted for the old
	 * one; a raised weight gets its larger quantum at its next turn. */
	q = quantum(rq, c);
	if (c->credit_ns > q)
		c->credit_ns = q;
	return 0;
}

void gvt_sched_set_runnable(struct gvt_sched_rq *rq,
			    struct gvt_sched_client *c, bool runnable,
			    uint64_t now)
{
	if (c->runnable == runnable)
		return;
	c->runnable = runnable;
	if (runnable && c != rq->owner) {
		struct gvt_sched_client *o = rq->owner;

		c->runnable_since = now;
		/* The round just grew: the owner's quantum was sized for
		 * fewer clients, and @c must not wait for all of it. */
		if (o && o->runnable) {
			int64_t q = quantum(rq, o);

			if (o->credit_ns > q)
				o->credit_ns = q;
		}
	}
	rq->last_update = now;
}

void gvt_sched_charge(struct gvt_sched_rq *rq, struct gvt_sched_client *c,
		      uint64_t busy_ns, uint64_t now)
{
	c->busy_ns += busy_ns;
	c->credit_ns -= (int64_t)busy_ns;
	rq->last_update = now;
}

/*
 * The next runnable client in turn order from the cursor, topping up each
 * one passed over; the owner, if runnable, comes last. A turn needs
 * min_slice of credit: a client below it (in debt from an overrun, or
 * with a quantum under min_slice) keeps its top-up and lets the turn pass,
 * so its share stays exact and it runs every few rounds instead. When
 * nobody reaches min_slice in one pass, the rounds nobody would run in are
 * credited at once. NULL when nobody is runnable. O(clients).
 */
static struct gvt_sched_client *turn_pass(struct gvt_sched_rq *rq,
					  const int64_t *q, uint64_t *rounds)
{
	const int64_t need = (int64_t)rq->params.min_slice_ns;
	unsigned int n = rq->num_clients;

	*rounds = UINT64_MAX;
	for (unsigned int k = 1; k <= n; k++) {
		struct gvt_sched_client *x = rq->clients[(rq->cursor + k) % n];
		int64_t cap = credit_cap(rq, q[x->slot]);

		if (!x->runnable)
			continue;
		x->credit_ns = x->credit_ns < cap - q[x->slot] ?
				       x->credit_ns + q[x->slot] : cap;
		if (x->credit_ns >= need)
			return x;
		uint64_t r = (uint64_t)((need - x->credit_ns + q[x->slot] - 1) /
					q[x->slot]);
		if (r < *rounds)
			*rounds = r;
	}
	return NULL;
}

static struct gvt_sched_client *next_turn(struct gvt_sched_rq *rq)
{
	int64_t q[GVT_SCHED_MAX_CLIENTS];
	double total, round = round_ns(rq, NULL, &total);
	struct gvt_sched_client *x;
	uint64_t rounds;

	/* Nobody runnable: no weights to share a round by. */
	if (total <= 0)
		return NULL;
	for (unsigned int i = 0; i < rq->num_clients; i++) {
		q[i] = (int64_t)(round * rq->clients[i]->weight / total);
		if (q[i] < 1)
			q[i] = 1;
	}
	x = turn_pass(rq, q, &rounds);
	if (x || rounds == UINT64_MAX)
		return x;
	/* Every pass but the last at once; the last stops at its winner, as
	 * a real one would, so nobody is credited the same round twice. */
	for (unsigned int i = 0; i < rq->num_clients; i++)
		if (rq->clients[i]->runnable)
			rq->clients[i]->credit_ns += (int64_t)(rounds - 1) * q[i];
	return turn_pass(rq, q, &rounds);
}

struct gvt_sched_client *gvt_sched_pick(struct gvt_sched_rq *rq, uint64_t now,
					uint64_t *slice_end)
{
	struct gvt_sched_client *o = rq->owner, *x;
	uint64_t lost = 0;

	rq->decisions++;
	rq->last_update = now;
	if (o && o->runnable && o->credit_ns > 0) {
		*slice_end = now + (uint64_t)o->credit_ns;
		if (*slice_end < rq->slice_end)	/* a switch is still going on */
			*slice_end = rq->slice_end;
		rq->slice_end = *slice_end;
		return o;
	}
	x = rq->num_clients ? next_turn(rq) : NULL;
	if (!x) {
		rq->owner = NULL;
		*slice_end = rq->slice_end = UINT64_MAX;
		return NULL;
	}
	rq->cursor = x->slot;
	if (x != o) {
		if (o && o->runnable)
			o->runnable_since = now;	/* waits from now */
		if (now - x->runnable_since > x->waited_max_ns)
			x->waited_max_ns = now - x->runnable_since;
		x->switches_in++;
		rq->owner = x;
		rq->owner_since = now;
	}
	if (x != rq->loaded) {
		rq->switches++;
		rq->loaded = x;
		lost = rq->params.switch_ns;
	}
	*slice_end = rq->slice_end = now + lost + (uint64_t)x->credit_ns;
	return x;
}
