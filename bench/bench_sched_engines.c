// SPDX-License-Identifier: MIT
/*
 * gvt-bench sched, several engines: per-engine switching (libgvt: a run
 * queue per engine, scheduler.c) against whole-GPU switching (GVT-g's
 * way: a vGPU owns every engine during its slice), on the same virtual
 * clock and the same workload traces, to measure what the choice costs
 * or gains.
 *
 * Per engine: the real policy (sched_policy.c), one run queue per engine
 * with every vGPU in it at its weight, each engine driven as in
 * bench_sched.c's model: a switch costs that engine SWITCH_NS; a
 * preemption takes effect at the next arbitration point (uniform up to
 * ARB_NS), at once at a workload's end; a preempted workload resumes
 * where it stopped.
 *
 * Whole GPU: a MODEL for comparison, not libgvt code. It runs the same
 * policy code on one run queue for the GPU, so that what differs is the
 * switching granularity, not the algorithm (GVT-g's own TBS algorithm is
 * measured in bench_sched.c). A vGPU is runnable while it has work on
 * any engine and is charged the wall time it owns the GPU. During its
 * slice only its work runs, on every engine it has work for; the other
 * engines idle even if other vGPUs have work for them. A switch first
 * stops every engine at its own next arbitration point (the first to
 * stop waits for the last), then costs SWITCH_NS on every engine at once.
 *
 * The traces: each (vGPU, engine) stream draws its workload lengths from
 * its own generator, so its k-th workload is the same length under both
 * policies. A stream is always busy (a new workload as soon as one ends)
 * or gets a burst of a fixed number of workloads at fixed times, the same
 * under both. Not modelled: work on one engine waiting for the same
 * vGPU's work on another (semaphores, fences); see docs/scheduler.md.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_sched.h"
#include "sched_policy.h"

#define NENG 2		/* render and blitter */
#define MIXC 4		/* vGPUs per mix, at most */

static const char *const eng_name[NENG] = { "rcs", "bcs" };

/* One vGPU's work for one engine. */
struct stream {
	double wl_ns;		/* workload length (+-50% jitter); 0: no work here */
	unsigned int burst_n;	/* workloads queued every period_ns; 0: always busy */
	double period_ns;
	double phase_ns;	/* the first burst comes here */
};

struct mix_case {
	const char *name;
	const char *desc;
	unsigned int n;
	unsigned int weight[MIXC];
	struct stream s[MIXC][NENG];	/* [vGPU][engine] */
};

#define ALWAYS(wl) { (wl), 0, 0, 0 }
#define NONE { 0, 0, 0, 0 }
/* 6 ms of copies every 100 ms */
#define BURSTS(phase) { 0.3 * MS, 20, 100 * MS, (phase) }

static const struct mix_case mixes[] = {
	{ "mix1", "A render only w4 (2 ms workloads), B blitter only w2 (0.5 ms), C both w1 (render 1 ms, blitter 0.3 ms); always busy",
	  3, { 4, 2, 1 },
	  { { ALWAYS(2 * MS), NONE },
	    { NONE, ALWAYS(0.5 * MS) },
	    { ALWAYS(1 * MS), ALWAYS(0.3 * MS) } } },
	{ "mix2", "A, B, C all use both engines, w 4:2:1; render 2/1/0.5 ms, blitter 0.5/0.3/1 ms; always busy",
	  3, { 4, 2, 1 },
	  { { ALWAYS(2 * MS), ALWAYS(0.5 * MS) },
	    { ALWAYS(1 * MS), ALWAYS(0.3 * MS) },
	    { ALWAYS(0.5 * MS), ALWAYS(1 * MS) } } },
	{ "mix3", "A, B, C render always (2/1/0.5 ms); each queues 20 blits of 0.3 ms (6 ms) every 100 ms, at 0/33/66 ms; w 4:2:1",
	  3, { 4, 2, 1 },
	  { { ALWAYS(2 * MS), BURSTS(0) },
	    { ALWAYS(1 * MS), BURSTS(33 * MS) },
	    { ALWAYS(0.5 * MS), BURSTS(66 * MS) } } },
};

/* The engines' work, and the meter both policies are read with. */
struct mix_sim {
	const struct mix_case *c;
	double t;			/* ns, virtual */
	uint64_t trace[MIXC][NENG];	/* workload lengths, per stream */
	uint64_t arb;			/* preemption delays */
	double rem[MIXC][NENG];		/* ns left of the workload in hand */
	bool work[MIXC][NENG];		/* has a workload in hand */
	unsigned int queued[MIXC][NENG];	/* burst workloads behind it */
	double arrival[MIXC][NENG];	/* ns; the next burst */
	uint64_t done[MIXC][NENG];	/* workloads finished */
	double burst_max, burst_sum;	/* ns, bursts' arrival to last completion */
	unsigned int bursts;

	double next_grid;
	double cum[NENG][MIXC];		/* useful engine time, ns */
	double ideal_e[NENG][MIXC];	/* GPS on the engine, among its backlogged streams */
	double owed[NENG][MIXC];	/* weight share of the GPU, while it has work there */
	double ideal_g[MIXC];		/* GPS on the whole GPU, summed over its
					 * backlogged streams */
	double useful[NENG], lost[NENG], idle_work[NENG];	/* ns */
	bool waiting[NENG][MIXC];
	double wait_from[NENG][MIXC], wait_max;
	double *snap;			/* per grid step: cum, ideal_e, owed, ideal_g */
	unsigned int samples;
	uint64_t engine_switches, gpu_switches;
};

#define SNAP (3 * NENG * MIXC + MIXC)

struct mix_result {
	double util[NENG], util_all;	/* useful % of each engine's time, of all */
	double lost_pct, idle_work_pct;	/* % of all engines' time */
	double err_engine, err_gpu;	/* %, max over sliding 1 s windows */
	double owed_min;		/* ratio, min over the same windows */
	double engine_sw_per_s, gpu_sw_per_s;
	double wait_max_ms;
	double burst_max_ms, burst_mean_ms;	/* bursts from 2 s on */
};

/* Seeds for the streams: neighbouring seeds must not give xorshift
 * neighbouring sequences. */
static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (x ^ (x >> 31)) | 1;
}

static double draw(struct mix_sim *s, unsigned int i, unsigned int e)
{
	return s->c->s[i][e].wl_ns * (1 + 0.5 * (2 * bench_urand(&s->trace[i][e]) - 1));
}

static struct mix_sim *mix_init(const struct mix_case *c, uint64_t seed)
{
	struct mix_sim *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->snap = calloc((size_t)(RUN_NS / GRID_NS) + 2, SNAP * sizeof(double));
	if (!s->snap)
		abort();
	s->c = c;
	s->arb = splitmix(seed);
	s->next_grid = GRID_NS;
	for (unsigned int i = 0; i < c->n; i++) {
		for (unsigned int e = 0; e < NENG; e++) {
			const struct stream *st = &c->s[i][e];

			s->trace[i][e] = splitmix(seed + 1 + i * NENG + e);
			s->arrival[i][e] = INFINITY;
			if (st->wl_ns && st->burst_n) {
				s->arrival[i][e] = st->phase_ns;
			} else if (st->wl_ns) {
				s->work[i][e] = true;
				s->rem[i][e] = draw(s, i, e);
			}
		}
	}
	return s;
}

/*
 * Share errors are over always-busy streams only: a burst is a fixed
 * amount of work, done under either policy, so its share of an engine is
 * set by its demand, and a fluid ideal over the time it had work would
 * only say how long it waited. Bursts are measured by their completion.
 */
static bool backlogged(const struct mix_case *c, unsigned int i, unsigned int e)
{
	return c->s[i][e].wl_ns && !c->s[i][e].burst_n;
}

static bool any_work(const struct mix_sim *s, unsigned int i)
{
	for (unsigned int e = 0; e < NENG; e++)
		if (s->work[i][e])
			return true;
	return false;
}

static double next_arrival(const struct mix_sim *s)
{
	double t = INFINITY;

	for (unsigned int i = 0; i < s->c->n; i++)
		for (unsigned int e = 0; e < NENG; e++)
			t = fmin(t, s->arrival[i][e]);
	return t;
}

/* Bursts come; *@woke[i][e] is set where a stream that had no workload
 * in hand got one. */
static void do_arrivals(struct mix_sim *s, bool woke[MIXC][NENG])
{
	memset(woke, 0, sizeof(bool) * MIXC * NENG);
	for (unsigned int i = 0; i < s->c->n; i++) {
		for (unsigned int e = 0; e < NENG; e++) {
			const struct stream *st = &s->c->s[i][e];

			if (s->t < s->arrival[i][e])
				continue;
			s->arrival[i][e] += st->period_ns;
			s->queued[i][e] += st->burst_n;
			if (!s->work[i][e]) {
				s->work[i][e] = true;
				s->rem[i][e] = draw(s, i, e);
				s->queued[i][e]--;
				woke[i][e] = true;
			}
		}
	}
}

/* vGPU @i's workload on @e ended: the next, or none left (false). */
static bool workload_end(struct mix_sim *s, unsigned int i, unsigned int e)
{
	const struct stream *st = &s->c->s[i][e];

	s->done[i][e]++;
	if (!st->burst_n) {
		s->rem[i][e] = draw(s, i, e);
		return true;
	}
	if (s->done[i][e] % st->burst_n == 0) {
		/* Burst k, which came at phase + k * period, is done. */
		double k = (double)(s->done[i][e] / st->burst_n - 1);
		double came = st->phase_ns + k * st->period_ns;

		if (came >= SKIP * GRID_NS) {
			s->burst_max = fmax(s->burst_max, s->t - came);
			s->burst_sum += s->t - came;
			s->bursts++;
		}
	}
	if (s->queued[i][e]) {
		s->queued[i][e]--;
		s->rem[i][e] = draw(s, i, e);
		return true;
	}
	s->rem[i][e] = 0;
	s->work[i][e] = false;
	return false;
}

/*
 * Time passes to @to: on each engine @run[e] (a vGPU, or -1) does useful
 * work, or the engine is lost to a switch (@lost[e]) or idles. Both
 * policies' waits and ideals are measured here.
 */
static void mix_advance(struct mix_sim *s, double to, const int run[NENG],
			const bool lost[NENG])
{
	const struct mix_case *c = s->c;
	unsigned int n = c->n;

	for (unsigned int e = 0; e < NENG; e++) {
		for (unsigned int i = 0; i < n; i++) {
			if (run[e] == (int)i || !s->work[i][e]) {
				if (s->waiting[e][i] &&
				    s->t - s->wait_from[e][i] > s->wait_max)
					s->wait_max = s->t - s->wait_from[e][i];
				s->waiting[e][i] = false;
			} else if (!s->waiting[e][i]) {
				s->waiting[e][i] = true;
				s->wait_from[e][i] = s->t;
			}
		}
	}
	while (s->t < to) {
		double end = fmin(to, s->next_grid), dt = end - s->t;
		double w_any = 0, w_e[NENG] = { 0 }, w_b[NENG] = { 0 };
		unsigned int k[MIXC] = { 0 };

		for (unsigned int i = 0; i < n; i++) {
			bool any = false;

			for (unsigned int e = 0; e < NENG; e++) {
				if (!s->work[i][e])
					continue;
				any = true;
				w_e[e] += c->weight[i];
				if (!backlogged(c, i, e))
					continue;
				w_b[e] += c->weight[i];
				k[i]++;
			}
			w_any += any ? c->weight[i] : 0;
		}
		for (unsigned int i = 0; i < n; i++) {
			double g = w_any > 0 ? dt * c->weight[i] / w_any : 0;

			/* Whole-GPU GPS: the GPU for w_i / W of the time,
			 * on every engine it has backlogged work for. */
			s->ideal_g[i] += g * k[i];
			for (unsigned int e = 0; e < NENG; e++) {
				if (!s->work[i][e])
					continue;
				s->owed[e][i] += g;
				if (backlogged(c, i, e))
					s->ideal_e[e][i] += dt * c->weight[i] / w_b[e];
			}
		}
		for (unsigned int e = 0; e < NENG; e++) {
			if (run[e] >= 0) {
				s->cum[e][run[e]] += dt;
				s->useful[e] += dt;
			} else if (lost[e]) {
				s->lost[e] += dt;
			} else if (w_e[e] > 0) {
				s->idle_work[e] += dt;
			}
		}
		s->t = end;
		if (end == s->next_grid) {
			double *p = s->snap + (size_t)s->samples++ * SNAP;

			memcpy(p, s->cum, sizeof(s->cum));
			memcpy(p + NENG * MIXC, s->ideal_e, sizeof(s->ideal_e));
			memcpy(p + 2 * NENG * MIXC, s->owed, sizeof(s->owed));
			memcpy(p + 3 * NENG * MIXC, s->ideal_g, sizeof(s->ideal_g));
			s->next_grid += GRID_NS;
		}
	}
}

/* Worst figures of one 1 s window, from snapshots @a to @b. */
static void mix_window(const struct mix_sim *s, const double *a,
		       const double *b, struct mix_result *r)
{
	const struct mix_case *c = s->c;
	unsigned int n = c->n, E = NENG * MIXC;
	double ga = 0, gi = 0;

	for (unsigned int e = 0; e < NENG; e++) {
		double sa = 0, si = 0;

		for (unsigned int i = 0; i < n; i++) {
			unsigned int x = e * MIXC + i;

			if (!backlogged(c, i, e))
				continue;
			sa += b[x] - a[x];
			si += b[E + x] - a[E + x];
		}
		ga += sa;
		for (unsigned int i = 0; i < n; i++) {
			unsigned int x = e * MIXC + i;
			double ideal = si > 0 ? (b[E + x] - a[E + x]) / si : 0;
			double got = b[x] - a[x], owed = b[2 * E + x] - a[2 * E + x];

			if (backlogged(c, i, e) && ideal > 1e-3 && sa > 0 &&
			    100 * fabs(got / sa - ideal) / ideal > r->err_engine)
				r->err_engine = 100 * fabs(got / sa - ideal) / ideal;
			/* Over 1 ms owed: a stream that had work at all. */
			if (owed > 1 * MS && got / owed < r->owed_min)
				r->owed_min = got / owed;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		gi += b[3 * E + i] - a[3 * E + i];
	for (unsigned int i = 0; i < n; i++) {
		double got = 0, ideal = (b[3 * E + i] - a[3 * E + i]) / gi;

		for (unsigned int e = 0; e < NENG; e++)
			if (backlogged(c, i, e))
				got += b[e * MIXC + i] - a[e * MIXC + i];
		if (ideal > 1e-3 && 100 * fabs(got / ga - ideal) / ideal > r->err_gpu)
			r->err_gpu = 100 * fabs(got / ga - ideal) / ideal;
	}
}

static void mix_result(struct mix_sim *s, struct mix_result *r)
{
	const int none[NENG] = { -1, -1 };
	const bool no[NENG] = { false, false };
	double useful = 0, lost = 0, idle_work = 0;

	mix_advance(s, s->t, none, no);	/* close open waits */
	memset(r, 0, sizeof(*r));
	r->owed_min = INFINITY;
	for (unsigned int k = SKIP; k + WINDOW < s->samples; k++)
		mix_window(s, s->snap + (size_t)k * SNAP,
			   s->snap + (size_t)(k + WINDOW) * SNAP, r);
	for (unsigned int e = 0; e < NENG; e++) {
		r->util[e] = 100 * s->useful[e] / s->t;
		useful += s->useful[e];
		lost += s->lost[e];
		idle_work += s->idle_work[e];
	}
	r->util_all = 100 * useful / (NENG * s->t);
	r->lost_pct = 100 * lost / (NENG * s->t);
	r->idle_work_pct = 100 * idle_work / (NENG * s->t);
	r->engine_sw_per_s = (double)s->engine_switches / (RUN_NS / 1e9);
	r->gpu_sw_per_s = (double)s->gpu_switches / (RUN_NS / 1e9);
	r->wait_max_ms = s->wait_max / MS;
	r->burst_max_ms = s->burst_max / MS;
	r->burst_mean_ms = s->bursts ? s->burst_sum / s->bursts / MS : 0;
	free(s->snap);
	free(s);
}

static void check_progress(const struct mix_sim *s, double tn,
			   unsigned int *stuck, const char *who)
{
	*stuck = tn > s->t ? 0 : *stuck + 1;
	if (*stuck > 1000) {
		fprintf(stderr, "gvt-bench sched: %s, %s: the engine model stopped at %.0f ns\n",
			s->c->name, who, s->t);
		abort();
	}
}

/* ---- Per engine: libgvt's policy, a run queue per engine ---- */

enum eng_state { E_IDLE, E_SWITCH, E_RUN, E_STOP };

struct pe_engine {
	struct gvt_sched_rq rq;
	struct gvt_sched_client cl[MIXC];
	enum eng_state st;
	int cur, loaded;		/* vGPU on it / whose registers it holds */
	double run_since, ev_done;	/* ns */
	uint64_t slice_end;		/* ns */
	bool decide, boundary;		/* pick() is due; at an arbitration point */
};

static bool pe_running(const struct pe_engine *g)
{
	return g->st == E_RUN || g->st == E_STOP;
}

static double pe_next(const struct mix_sim *s, const struct pe_engine *g,
		      unsigned int e)
{
	double tn = INFINITY;

	if (g->decide && g->st != E_STOP)
		return s->t;
	if (pe_running(g))
		tn = s->t + s->rem[g->cur][e];
	if (g->st == E_RUN)
		tn = fmin(tn, (double)g->slice_end);
	if (g->st == E_STOP || g->st == E_SWITCH)
		tn = fmin(tn, g->ev_done);
	return tn;
}

/* What happened on @e at s->t; as sim_libgvt() in bench_sched.c. */
static void pe_events(struct mix_sim *s, struct pe_engine *g, unsigned int e)
{
	uint64_t now = (uint64_t)s->t;
	bool free_engine = false;
	int cur = g->cur;

	g->boundary = false;
	if (pe_running(g) && s->rem[cur][e] <= 1e-3) {
		/* A workload's end is an arbitration point. */
		gvt_sched_charge(&g->rq, &g->cl[cur], (uint64_t)(s->t - g->run_since), now);
		g->run_since = s->t;
		if (!workload_end(s, (unsigned int)cur, e))
			gvt_sched_set_runnable(&g->rq, &g->cl[cur], false, now);
		g->decide = true;
		g->boundary = true;
		free_engine = g->st == E_STOP;
	} else if (g->st == E_STOP && s->t >= g->ev_done) {
		gvt_sched_charge(&g->rq, &g->cl[cur], (uint64_t)(s->t - g->run_since), now);
		free_engine = true;
	} else if (g->st == E_SWITCH && s->t >= g->ev_done) {
		g->st = E_RUN;
		g->loaded = cur;
		g->run_since = s->t;
	} else if (g->st == E_RUN && s->t >= (double)g->slice_end) {
		gvt_sched_charge(&g->rq, &g->cl[cur], (uint64_t)(s->t - g->run_since), now);
		g->run_since = s->t;
		g->decide = true;
	}
	if (free_engine) {
		g->st = E_IDLE;
		g->cur = -1;
		g->decide = true;
	}
}

static void pe_decide(struct mix_sim *s, struct pe_engine *g)
{
	struct gvt_sched_client *y;
	int next;

	if (!g->decide || g->st == E_STOP)
		return;
	g->decide = false;
	y = gvt_sched_pick(&g->rq, (uint64_t)s->t, &g->slice_end);
	next = y ? (int)(y - g->cl) : -1;
	if (g->st == E_RUN) {
		if (next == g->cur)
			return;
		if (!g->boundary) {
			g->st = E_STOP;
			g->ev_done = s->t + ARB_NS * bench_urand(&s->arb);
			return;
		}
		g->st = E_IDLE;	/* the owner's next workload stays queued */
		g->cur = -1;
	}
	if (g->st == E_SWITCH) {
		if (next >= 0)
			g->cur = next;	/* retarget */
		return;
	}
	if (next < 0)
		return;
	g->cur = next;
	if (next == g->loaded) {
		g->st = E_RUN;
		g->run_since = s->t;
	} else {
		g->st = E_SWITCH;
		g->ev_done = s->t + SWITCH_NS;
		s->engine_switches++;
	}
}

static void sim_per_engine(const struct mix_case *c,
			   const struct gvt_sched_params *p, uint64_t seed,
			   struct mix_result *r)
{
	struct mix_sim *s = mix_init(c, seed);
	struct pe_engine g[NENG];
	bool woke[MIXC][NENG];
	unsigned int stuck = 0;

	memset(g, 0, sizeof(g));
	for (unsigned int e = 0; e < NENG; e++) {
		gvt_sched_rq_init(&g[e].rq, p);
		g[e].cur = g[e].loaded = -1;
		g[e].slice_end = UINT64_MAX;
		g[e].decide = true;
		for (unsigned int i = 0; i < c->n; i++) {
			g[e].cl[i].weight = c->weight[i];
			if (gvt_sched_add(&g[e].rq, &g[e].cl[i], 0))
				abort();
			if (s->work[i][e])
				gvt_sched_set_runnable(&g[e].rq, &g[e].cl[i], true, 0);
		}
	}
	while (s->t < RUN_NS) {
		double tn = fmin(RUN_NS, next_arrival(s)), dt;
		int run[NENG];
		bool lost[NENG];

		for (unsigned int e = 0; e < NENG; e++) {
			tn = fmin(tn, pe_next(s, &g[e], e));
			run[e] = pe_running(&g[e]) ? g[e].cur : -1;
			lost[e] = g[e].st == E_SWITCH;
		}
		tn = fmax(tn, s->t);
		check_progress(s, tn, &stuck, "per engine");
		dt = tn - s->t;
		mix_advance(s, tn, run, lost);
		for (unsigned int e = 0; e < NENG; e++)
			if (run[e] >= 0)
				s->rem[run[e]][e] -= dt;
		for (unsigned int e = 0; e < NENG; e++)
			pe_events(s, &g[e], e);
		do_arrivals(s, woke);
		for (unsigned int i = 0; i < c->n; i++) {
			for (unsigned int e = 0; e < NENG; e++) {
				if (!woke[i][e])
					continue;
				gvt_sched_set_runnable(&g[e].rq, &g[e].cl[i], true,
						       (uint64_t)s->t);
				g[e].decide = true;
			}
		}
		for (unsigned int e = 0; e < NENG; e++)
			pe_decide(s, &g[e]);
	}
	mix_result(s, r);
}

/* ---- Whole GPU: a model, the same policy on one run queue ---- */

struct wg {
	struct gvt_sched_rq rq;
	struct gvt_sched_client cl[MIXC];
	enum eng_state st;		/* the GPU's: E_STOP until every engine stopped */
	int cur, loaded;		/* vGPU that owns the GPU / whose registers it holds */
	bool stopped[NENG];		/* E_STOP: the engine reached its arbitration point */
	double stop_at[NENG];		/* ns */
	double run_since, ev_done;	/* ns */
	uint64_t slice_end;		/* ns */
	bool decide;
};

/* @e runs the owner's work. */
static bool wg_running(const struct mix_sim *s, const struct wg *g,
		       unsigned int e)
{
	if (g->st != E_RUN && !(g->st == E_STOP && !g->stopped[e]))
		return false;
	return g->cur >= 0 && s->work[g->cur][e];
}

/* The GPU's next decision, once no engine is stopping; as pe_decide(). */
static void wg_decide(struct mix_sim *s, struct wg *g, const bool boundary[NENG])
{
	struct gvt_sched_client *y;
	bool stopping = false;
	int next;

	if (!g->decide || g->st == E_STOP)
		return;
	g->decide = false;
	if (g->st == E_RUN) {
		gvt_sched_charge(&g->rq, &g->cl[g->cur],
				 (uint64_t)(s->t - g->run_since), (uint64_t)s->t);
		g->run_since = s->t;
	}
	y = gvt_sched_pick(&g->rq, (uint64_t)s->t, &g->slice_end);
	next = y ? (int)(y - g->cl) : -1;
	if (g->st == E_RUN) {
		if (next == g->cur)
			return;
		/* Every engine stops at its own next arbitration point. */
		for (unsigned int e = 0; e < NENG; e++) {
			g->stopped[e] = !wg_running(s, g, e) || boundary[e];
			if (!g->stopped[e]) {
				g->stop_at[e] = s->t + ARB_NS * bench_urand(&s->arb);
				stopping = true;
			}
		}
		if (stopping) {
			g->st = E_STOP;
			return;
		}
		g->st = E_IDLE;
		g->cur = -1;
	}
	if (g->st == E_SWITCH) {
		if (next >= 0)
			g->cur = next;	/* retarget */
		return;
	}
	if (next < 0)
		return;
	g->cur = next;
	if (next == g->loaded) {
		g->st = E_RUN;
		g->run_since = s->t;
	} else {
		g->st = E_SWITCH;
		g->ev_done = s->t + SWITCH_NS;
		s->gpu_switches++;
		s->engine_switches += NENG;
	}
}

static void sim_whole_gpu(const struct mix_case *c,
			  const struct gvt_sched_params *p, uint64_t seed,
			  struct mix_result *r)
{
	struct mix_sim *s = mix_init(c, seed);
	struct wg g;
	bool woke[MIXC][NENG];
	unsigned int stuck = 0;

	memset(&g, 0, sizeof(g));
	gvt_sched_rq_init(&g.rq, p);
	g.cur = g.loaded = -1;
	g.slice_end = UINT64_MAX;
	g.decide = true;
	for (unsigned int i = 0; i < c->n; i++) {
		g.cl[i].weight = c->weight[i];
		if (gvt_sched_add(&g.rq, &g.cl[i], 0))
			abort();
		if (any_work(s, i))
			gvt_sched_set_runnable(&g.rq, &g.cl[i], true, 0);
	}
	while (s->t < RUN_NS) {
		double tn = fmin(RUN_NS, next_arrival(s)), dt;
		bool lost[NENG], boundary[NENG] = { false, false };
		int run[NENG];

		for (unsigned int e = 0; e < NENG; e++) {
			bool running = wg_running(s, &g, e);

			run[e] = running ? g.cur : -1;
			lost[e] = g.st == E_SWITCH || (g.st == E_STOP && !running);
			if (running)
				tn = fmin(tn, s->t + s->rem[g.cur][e]);
			if (running && g.st == E_STOP)
				tn = fmin(tn, g.stop_at[e]);
		}
		if (g.st == E_RUN)
			tn = fmin(tn, (double)g.slice_end);
		if (g.st == E_SWITCH)
			tn = fmin(tn, g.ev_done);
		if (g.decide && g.st != E_STOP)
			tn = s->t;
		tn = fmax(tn, s->t);
		check_progress(s, tn, &stuck, "whole GPU");
		dt = tn - s->t;
		mix_advance(s, tn, run, lost);
		for (unsigned int e = 0; e < NENG; e++)
			if (run[e] >= 0)
				s->rem[run[e]][e] -= dt;

		for (unsigned int e = 0; e < NENG; e++) {
			if (run[e] < 0 || s->rem[g.cur][e] > 1e-3)
				continue;
			boundary[e] = true;
			workload_end(s, (unsigned int)g.cur, e);
			if (g.st == E_STOP)
				g.stopped[e] = true;
			g.decide = true;
		}
		if (g.cur >= 0 && g.cl[g.cur].runnable && !any_work(s, (unsigned int)g.cur))
			gvt_sched_set_runnable(&g.rq, &g.cl[g.cur], false, (uint64_t)s->t);
		if (g.st == E_STOP) {
			bool all = true;

			for (unsigned int e = 0; e < NENG; e++) {
				if (s->t >= g.stop_at[e])
					g.stopped[e] = true;
				all &= g.stopped[e];
			}
			if (all) {
				/* It owned the GPU until the last engine stopped. */
				gvt_sched_charge(&g.rq, &g.cl[g.cur],
						 (uint64_t)(s->t - g.run_since), (uint64_t)s->t);
				g.st = E_IDLE;
				g.cur = -1;
				g.decide = true;
			}
		} else if (g.st == E_SWITCH && s->t >= g.ev_done) {
			g.st = E_RUN;
			g.loaded = g.cur;
			g.run_since = s->t;
		} else if (g.st == E_RUN && s->t >= (double)g.slice_end) {
			g.decide = true;
		}
		do_arrivals(s, woke);
		for (unsigned int i = 0; i < c->n; i++) {
			for (unsigned int e = 0; e < NENG; e++) {
				if (!woke[i][e] || g.cl[i].runnable)
					continue;
				gvt_sched_set_runnable(&g.rq, &g.cl[i], true, (uint64_t)s->t);
				g.decide = true;
			}
		}
		wg_decide(s, &g, boundary);
	}
	mix_result(s, r);
}

/* ---- Reporting ---- */

#define BASE "wholegpu_model"

static void report_mix(const struct mix_case *c, const struct mix_result *o,
		       const struct mix_result *w)
{
	char fig[64], note[640];

	for (unsigned int e = 0; e < NENG; e++) {
		snprintf(fig, sizeof(fig), "%s.util_%s_pct", c->name, eng_name[e]);
		snprintf(note, sizeof(note),
			 "%s: %s; %s engine time doing workloads / virtual time; value: per-engine switching (libgvt's policy, a run queue per engine); baseline: whole-GPU switching (model: the same policy on one run queue, only the owner's work on any engine)",
			 c->name, c->desc, eng_name[e]);
		bench_report("sched", fig, o->util[e], "%", BASE, w->util[e], note);
	}
	snprintf(fig, sizeof(fig), "%s.util_pct", c->name);
	snprintf(note, sizeof(note),
		 "%s: useful time of all engines / (engines x virtual time); lost to switches and stops: %.2f%% (whole GPU %.2f%%); idle while a vGPU had work for the engine: %.2f%% (whole GPU %.2f%%)",
		 c->name, o->lost_pct, w->lost_pct, o->idle_work_pct, w->idle_work_pct);
	bench_report("sched", fig, o->util_all, "%", BASE, w->util_all, note);
	snprintf(fig, sizeof(fig), "%s.share_err_engine_max", c->name);
	snprintf(note, sizeof(note),
		 "%s: per engine, each vGPU's share of that engine's useful time against GPS by weight among the vGPUs with work there; always-busy streams only; max over engines, vGPUs and 1 s windows starting every 10 ms from 2 s on",
		 c->name);
	bench_report("sched", fig, o->err_engine, "%", BASE, w->err_engine, note);
	snprintf(fig, sizeof(fig), "%s.share_err_gpu_max", c->name);
	snprintf(note, sizeof(note),
		 "%s: each vGPU's useful time summed over engines, as a share of all engines' useful time, against whole-GPU GPS (the GPU for w/W of the time, W over vGPUs with work anywhere, on every engine it has work for); always-busy streams only; max over vGPUs and the same windows",
		 c->name);
	bench_report("sched", fig, o->err_gpu, "%", BASE, w->err_gpu, note);
	snprintf(fig, sizeof(fig), "%s.weight_share_min", c->name);
	snprintf(note, sizeof(note),
		 "%s: useful time a vGPU got on an engine / w/W of the time it had work there (W over vGPUs with work anywhere: what whole-GPU switching owes it); min over vGPUs, engines and the same windows; >= 1: nobody got less than its weight of the GPU",
		 c->name);
	bench_report("sched", fig, o->owed_min, "ratio", BASE, w->owed_min, note);
	snprintf(fig, sizeof(fig), "%s.engine_switches_per_s", c->name);
	snprintf(note, sizeof(note),
		 "%s: 180 us engine switches per second, summed over engines; a whole-GPU switch is one per engine (whole GPU: %.1f GPU switches/s)",
		 c->name, w->gpu_sw_per_s);
	bench_report("sched", fig, o->engine_sw_per_s, "1/s", BASE, w->engine_sw_per_s, note);
	snprintf(fig, sizeof(fig), "%s.wait_max_ms", c->name);
	snprintf(note, sizeof(note),
		 "%s: longest time any vGPU had work for an engine but no useful time on it (the switch to it included)",
		 c->name);
	bench_report("sched", fig, o->wait_max_ms, "ms", BASE, w->wait_max_ms, note);
	if (!w->burst_max_ms)
		return;
	snprintf(fig, sizeof(fig), "%s.burst_done_max_ms", c->name);
	snprintf(note, sizeof(note),
		 "%s: from a burst's arrival to its last workload's end, max over bursts from 2 s on (mean %.2f ms; whole GPU %.2f ms)",
		 c->name, o->burst_mean_ms, w->burst_mean_ms);
	bench_report("sched", fig, o->burst_max_ms, "ms", BASE, w->burst_max_ms, note);
}

void bench_sched_engines(const struct bench_opts *opts)
{
	struct gvt_sched_params p;

	gvt_sched_params_default(&p);
	for (size_t k = 0; k < sizeof(mixes) / sizeof(mixes[0]); k++) {
		struct mix_result o, w;

		sim_per_engine(&mixes[k], &p, opts->seed, &o);
		sim_whole_gpu(&mixes[k], &p, opts->seed, &w);
		report_mix(&mixes[k], &o, &w);
	}
}
