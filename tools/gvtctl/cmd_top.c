// SPDX-License-Identifier: MIT
/*
 * gvtctl top: per-vGPU, per-engine activity of a running process, refreshed
 * like intel_gpu_top: engine busy %, workloads completed per second, queue
 * depth and mean latency over the last interval, from `show`'s engine
 * counters (docs/control-protocol.md).
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

/* Rates over [@p, @c]; a vGPU new in @c counts from zero. */
static void show(const struct top_sample *p, const struct top_sample *c,
		 bool json)
{
	double dt = (double)(c->t_ns - p->t_ns) / 1e9;
	static const struct top_engine zero;

	if (dt <= 0)
		dt = 1e-9;
	if (json)
		printf("{\"interval_s\":%.3f,\"vgpus\":[", dt);
	else
		printf("%-6s %-10s %6s %-5s %7s %10s %6s %10s %8s\n", "vGPU",
		       "type", "weight", "eng", "busy", "wl/s", "queue",
		       "latency", "refused");
	for (unsigned int i = 0; i < c->n; i++) {
		const struct top_vgpu *v = &c->v[i];

		if (json)
			printf("%s{\"id\":%llu,\"type\":\"%s\",\"weight\":%llu,\"engines\":[",
			       i ? "," : "", (unsigned long long)v->id, v->type,
			       (unsigned long long)v->weight);
		for (unsigned int e = 0; e < v->nengines; e++) {
			const struct top_engine *ce = &v->e[e];
			const struct top_engine *pe = prev_engine(p, v->id, e);
			uint64_t done, busy, lat;
			double busy_pct, rate, lat_us;

			pe = pe ? pe : &zero;
			done = ce->completed - pe->completed;
			busy = ce->busy_ns - pe->busy_ns;
			lat = ce->lat_ns - pe->lat_ns;
			busy_pct = 100.0 * (double)busy / (dt * 1e9);
			rate = (double)done / dt;
			lat_us = done ? (double)lat / (double)done / 1000.0 : 0.0;
			if (json) {
				printf("%s{\"name\":\"%s\",\"busy_pct\":%.1f,\"workloads_per_s\":%.1f,\"queued\":%llu,\"latency_us\":%.1f,\"refused\":%llu,\"hung\":%llu}",
				       e ? "," : "", ce->name, busy_pct, rate,
				       (unsigned long long)ce->queued, lat_us,
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
			printf("%-5s %6.1f%% %10.1f %6llu ", ce->name, busy_pct,
			       rate, (unsigned long long)ce->queued);
			if (done)
				printf("%8.1fus", lat_us);
			else
				printf("%10s", "-");
			printf(" %8llu\n", (unsigned long long)ce->refused);
		}
		if (json)
			printf("]}");
	}
	if (json)
		printf("]}\n");
	else if (!c->n)
		printf("(no vGPUs)\n");
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
