// SPDX-License-Identifier: MIT
/*
 * gvt-bench: performance figures of libgvt, each beside a baseline measured
 * in the same run on the same machine, so that ratios survive a noisy host.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

static const struct {
	const char *name;
	bench_fn *fn;
	const char *help;
} commands[] = {
	{ "mmio", bench_mmio,
	  "ns per emulated MMIO access, p50 and p99 (80% hot registers, 20% spread; half reads, half writes)" },
	{ "scan", bench_scan,
	  "command scanner GB/s on mixed, NOOP-heavy, LRI-heavy and chained streams, beside memcpy; scan+copy beside scan" },
	{ "ppgtt", bench_ppgtt,
	  "PPGTT shadow build (pages/s), PTE update with write protection and tracked-page lookup (ns), pin-time re-validation (ns per MiB mapped), beside memcpy, a guest store and an array load" },
	{ "sched", bench_sched,
	  "scheduling policy on a virtual clock (3 weighted, 7 equal, 2 mismatched, 1 bursty vGPU): share error per 1 s (aligned and sliding windows), switches/s, useful GPU % at 180 us per switch, worst wait, ns per decision; beside a model of GVT-g's TBS policy. Then render+blitter mixes: per-engine switching beside a model of whole-GPU switching (engine utilisation, share error per engine and summed, switches/s, worst wait)" },
#ifdef GVT_BENCH_E2E
	{ "e2e", bench_e2e,
	  "submission-to-completion latency of one small workload through the whole in-process path (ELSP, shadow, schedule, sim GPU, CSB, MSI), p50 and p99, polling and MSI-waiting, beside two-thread ping-pongs" },
#endif
#ifdef GVT_BENCH_KVM
	{ "kvm", bench_kvm,
	  "ns per guest register read and write on /dev/kvm through the KVM shim and libgvt, beside an empty exit handler (ratio target <= 1.02); exits per ELSP submission with the coalesced ring (target <= 1)" },
#endif
#ifdef GVT_BENCH_XEN
	{ "xen", bench_xen,
	  "ns per guest register read and write through the Xen shim's ioreq loop (over its mock port: no Xen here), beside the same access on libgvt directly" },
#endif
#ifdef GVT_BENCH_VFIO_USER
	{ "vfio-user", bench_vfio_user,
	  "us per guest register read through the vfio-user server, against a bare socketpair round trip" },
#endif
};

uint64_t bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile(double *samples, size_t n, double q)
{
	size_t i;

	qsort(samples, n, sizeof(*samples), cmp_double);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return samples[i < n ? i : n - 1];
}

void bench_report(const char *bench, const char *figure, double value,
		  const char *unit, const char *baseline, double baseline_value,
		  const char *note)
{
	printf("{\"bench\":\"%s\",\"figure\":\"%s\",\"value\":%.3f,\"unit\":\"%s\","
	       "\"baseline\":\"%s\",\"baseline_value\":%.3f,\"ratio\":%.3f%s%s%s}\n",
	       bench, figure, value, unit, baseline, baseline_value,
	       baseline_value > 0 ? value / baseline_value : 0.0,
	       note ? ",\"note\":\"" : "", note ? note : "", note ? "\"" : "");
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gvt-bench <figure> [--ops N] [--seed S]\n\nfigures:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-9s every figure\n", "all");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ops", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts opts = { .ops = 4000000, .seed = 0x9e3779b97f4a7c15ull };
	const char *which;
	int opt, ret = 0, ran = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	which = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "n:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			opts.ops = strtoull(optarg, NULL, 0);
			break;
		case 's':
			opts.seed = strtoull(optarg, NULL, 0) | 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!strcmp(which, "-h") || !strcmp(which, "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(which, "all") && strcmp(which, commands[i].name))
			continue;
		ran++;
		if (commands[i].fn(&opts))
			ret = 1;
	}
	if (!ran) {
		fprintf(stderr, "gvt-bench: no figure '%s'\n", which);
		usage(stderr);
		return 2;
	}
	return ret;
}
