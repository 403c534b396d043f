// SPDX-License-Identifier: MIT
/*
 * gvtctl top: per-vGPU, per-engine activity of a running process, refreshed
 * like intel_gpu_top: engine busy %, the vGPU's share of the engine beside
 * its weight's, submissions (ELSP elements) completed per second, queue
 * depth and mean latency over the last interval, and each engine's total,
 * from `show`'s engine counters (docs/control-protocol.md).
 *
 * gvtctl weight ID W: change a vGPU's scheduling weight.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gvtctl.h"

#define TOP_VGPUS 8
#define TOP_ENGINES 4

struct top_engine {
	char name[8];
	uint64_t completed, queued, busy_ns, lat_ns, refused, hung;
};

struct top_vgpu {
	uint64_t id, weight;
	char type[16];
	unsigned int nengines;
	struct top_engine e[TOP_ENGINES];
};

struct top_sample {
	uint64_t t_ns;
	unsigned int n;
	struct top_vgpu v[TOP_VGPUS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One `show` per vGPU `list` names. Return: EXIT_OK or the call's code. */
static int sample(struct gvtctl *g, struct top_sample *s)
{
	const struct json *vgpus;
	struct json *list;
	int ret = gvtctl_call(g, "list", &list);

	memset(s, 0, sizeof(*s));
	if (ret)
		return ret;
	s->t_ns = mono_ns();
	vgpus = json_get(list, "vgpus");
	for (size_t i = 0; vgpus && i < vgpus->n && s->n < TOP_VGPUS; i++) {
		char id[24];
		const char *words[] = { "show", id };
		const struct json *engines;
		struct top_vgpu *v = &s->v[s->n];
		struct json *r;

		snprintf(id, sizeof(id), "%llu",
			 (unsigned long long)json_get_u64(vgpus->items[i], "id", 0));
		if (gvtctl_callv(g, words, 2, &r))
			continue;	/* destroyed meanwhile */
		v->id = json_get_u64(r, "id", 0);
		v->weight = json_get_u64(r, "weight", 0);
		snprintf(v->type, sizeof(v->type), "%s", json_get_str(r, "type", "?"));
		engines = json_get(r, "engines");
		for (size_t e = 0; engines && e < engines->n && e < TOP_ENGINES; e++) {
			const struct json *j = engines->items[e];
			struct top_engine *te = &v->e[v->nengines++];

			snprintf(te->name, sizeof(te->name), "%s",
				 json_get_str(j, "name", "?"));
			te->completed = json_get_u64(j, "completed", 0);
			te->queued = json_get_u64(j, "queued", 0);
			te->busy_ns = json_get_u64(j, "busy_ns", 0);
			te->lat_ns = json_get_u64(j, "latency_sum_ns", 0);
			te->refused = json_get_u64(j, "refused", 0);
			te->hung = json_get_u64(j, "hung", 0);
		}
		json_free(r);
		s->n++;
	}
	json_free(list);
	return EXIT_OK;
}

static const struct top_engine *prev_engine(const struct top_sample *p,
					    uint64_t id, unsigned int e)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (p->v[i].id == id && e < p->v[i].nengines)
			return &p->v[i].e[e];
	return NULL;
}

/* One engine of one vGPU over the interval. */
struct top_rate {
	uint64_t busy, done, lat;
	bool active;		/* used the engine, or has work queued on it */
};

/* @c minus @p; a vGPU new in @c, or one whose counters went back (its id
 * was reused meanwhile), counts from zero. */
static struct top_rate rate_of(const struct top_engine *c,
			       const struct top_engine *p)
{
	static const struct top_engine zero;
	struct top_rate r;

	if (!p || c->completed < p->completed || c->busy_ns < p->busy_ns ||
	    c->lat_ns < p->lat_ns)
		p = &zero;
	r.busy = c->busy_ns - p->busy_ns;
	r.done = c->completed - p->completed;
	r.lat = c->lat_ns - p->lat_ns;
	r.active = r.busy || c->queued;
	return r;
}

/* "123.4us", "56.7ms" or "8.9s" in 9 columns; "-" without a sample. */
static void fmt_latency(char *out, size_t len, uint64_t done, uint64_t lat_ns)
{
	double us = done ? (double)lat_ns / (double)done / 1000.0 : 0.0;

	if (!done)
		snprintf(out, len, "-");
	else if (us < 10000.0)
		snprintf(out, len, "%.1fus", us);
	else if (us < 10000000.0)
		snprintf(out, len, "%.1fms", us / 1000.0);
	else
		snprintf(out, len, "%.1fs", us / 1e6);
}

/*
 * Rates over [@p, @c]. Per engine, each vGPU's share of the time all vGPUs
 * held it, beside its weight's share among the vGPUs active on it: the
 * shares a contended engine's scheduler is meant to give.
 */
static void show(const struct top_sample *p, const struct top_sample *c,
		 bool json)
{
	struct top_rate r[TOP_VGPUS][TOP_ENGINES];
	uint64_t busy_all[TOP_ENGINES] = { 0 }, weight_all[TOP_ENGINES] = { 0 };
	double dt = (double)(c->t_ns - p->t_ns) / 1e9;
	unsigned int ne = 0;

	if (dt <= 0)
		dt = 1e-9;
	for (unsigned int i = 0; i < c->n; i++) {
		const struct top_vgpu *v = &c->v[i];

		for (unsigned int e = 0; e < v->nengines; e++) {
			r[i][e] = rate_of(&v->e[e], prev_engine(p, v->id, e));
			busy_all[e] += r[i][e].busy;
			weight_all[e] += r[i][e].active ? v->weight : 0;
		}
		ne = v->nengines > ne ? v->nengines : ne;
	}
	if (json)
		printf("{\"interval_s\":%.3f,\"vgpus\":[", dt);
	else
		printf("%-6s %-10s %6s %-5s %6s %6s %7s %9s %6s %9s %8s\n", "vGPU",
		       "type", "weight", "eng", "busy", "share", "weight%",
		       "submits/s", "queue", "latency", "refused");
	for (unsigned int i = 0; i < c->n; i++) {
		const struct top_vgpu *v = &c->v[i];

		if (json)
			printf("%s{\"id\":%llu,\"type\":\"%s\",\"weight\":%llu,\"engines\":[",
			       i ? "," : "", (unsigned long long)v->id, v->type,
			       (unsigned long long)v->weight);
		for (unsigned int e = 0; e < v->nengines; e++) {
			const struct top_engine *ce = &v->e[e];
			const struct top_rate *rt = &r[i][e];
			double busy_pct = 100.0 * (double)rt->busy / (dt * 1e9);
			double share = busy_all[e] ? 100.0 * (double)rt->busy /
						     (double)busy_all[e] : 0.0;
			double wshare = rt->active && weight_all[e] ?
					100.0 * (double)v->weight / (double)weight_all[e] : 0.0;
			double rate = (double)rt->done / dt;
			char lat[16], sh[16] = "-", ws[16] = "-";

			if (json) {
				printf("%s{\"name\":\"%s\",\"busy_pct\":%.1f,\"share_pct\":%.1f,\"weight_pct\":%.1f,\"workloads_per_s\":%.1f,\"queued\":%llu,\"latency_us\":%.1f,\"refused\":%llu,\"hung\":%llu}",
				       e ? "," : "", ce->name, busy_pct, share,
				       wshare, rate, (unsigned long long)ce->queued,
				       rt->done ? (double)rt->lat / (double)rt->done / 1000.0 : 0.0,
				       (unsigned long long)ce->refused,
				       (unsigned long long)ce->hung);
				continue;
			}
			if (e == 0)
				printf("vgpu%-2llu %-10s %6llu ",
				       (unsigned long long)v->id, v->type,
				       (unsigned long long)v->weight);
			else
				printf("%-6s %-10s %6s ", "", "", "");
			fmt_latency(lat, sizeof(lat), rt->done, rt->lat);
			if (busy_all[e])
				snprintf(sh, sizeof(sh), "%.1f%%", share);
			if (rt->active)
				snprintf(ws, sizeof(ws), "%.1f%%", wshare);
			printf("%-5s %5.1f%% %6s %7s %9.1f %6llu %9s %8llu\n",
			       ce->name, busy_pct, sh, ws, rate,
			       (unsigned long long)ce->queued, lat,
			       (unsigned long long)ce->refused);
		}
		if (json)
			printf("]}");
	}
	if (json) {
		printf("],\"engines\":[");
		for (unsigned int e = 0; e < ne; e++)
			printf("%s{\"name\":\"%s\",\"busy_pct\":%.1f}", e ? "," : "",
			       c->v[0].e[e].name, 100.0 * (double)busy_all[e] / (dt * 1e9));
		printf("]}\n");
	} else if (!c->n) {
		printf("(no vGPUs)\n");
	} else {
		for (unsigned int e = 0; e < ne; e++)
			printf("%-17s %6s %-5s %5.1f%%\n", e ? "" : "all vGPUs", "",
			       c->v[0].e[e].name,
			       100.0 * (double)busy_all[e] / (dt * 1e9));
	}
	fflush(stdout);
}

int cmd_top(struct gvtctl *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_sample *s = calloc(2, sizeof(*s));
	bool once = false, json = g->json, tty;
	double interval = 1.0;
	unsigned int cur = 0;
	char *end;
	int opt, ret;

	if (!s)
		return gvtctl_error(g, "out of memory");
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			once = true;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || interval < 0.1 || interval > 3600) {
				free(s);
				return gvtctl_input_error(g, "--interval wants 0.1 .. 3600 seconds");
			}
			break;
		default:
			free(s);
			return gvtctl_usage(g, "top [--once] [--interval S]");
		}
	}
	if (optind != argc) {
		free(s);
		return gvtctl_usage(g, "top [--once] [--interval S]");
	}
	/* The replies are ours to summarise, not to echo. */
	g->json = false;
	tty = !json && !once && isatty(STDOUT_FILENO);
	ret = sample(g, &s[0]);
	for (;;) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (double)(time_t)interval) * 1e9) };

		if (ret)
			break;
		nanosleep(&ts, NULL);
		ret = sample(g, &s[cur ^ 1]);
		if (ret)
			break;
		if (tty)
			printf("\033[H\033[2J");
		show(&s[cur], &s[cur ^ 1], json);
		cur ^= 1;
		if (once)
			break;
		if (!json && !tty)
			printf("\n");
	}
	g->json = json;
	free(s);
	return ret;
}

int cmd_weight(struct gvtctl *g, int argc, char **argv)
{
	const char *words[] = { "weight", argc == 3 ? argv[1] : "",
				argc == 3 ? argv[2] : "" };
	struct json *reply;
	int ret;

	if (argc != 3)
		return gvtctl_usage(g, "weight ID WEIGHT");
	ret = gvtctl_callv(g, words, 3, &reply);
	if (!ret && !g->json)
		printf("vgpu%llu weight %llu\n",
		       (unsigned long long)json_get_u64(reply, "id", 0),
		       (unsigned long long)json_get_u64(reply, "weight", 0));
	json_free(reply);
	return ret;
}
