// SPDX-License-Identifier: MIT
/*
 * gvt-bench: each subcommand measures one figure against a baseline taken
 * in the same run, and prints one JSON object per figure per line.
 */
#ifndef GVT_BENCH_H
#define GVT_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bench_opts {
	uint64_t ops;		/* accesses to time */
	uint64_t seed;		/* of the access pattern */
};

typedef int bench_fn(const struct bench_opts *opts);

bench_fn bench_mmio;
bench_fn bench_vfio_user;
bench_fn bench_scan;
bench_fn bench_ppgtt;
bench_fn bench_sched;
bench_fn bench_e2e;
bench_fn bench_kvm;
bench_fn bench_xen;

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* The q-quantile (0..1) of @n samples; sorts them in place. */
double bench_quantile(double *samples, size_t n, double q);

/* One figure: its value, and the baseline measured beside it. */
void bench_report(const char *bench, const char *figure, double value,
		  const char *unit, const char *baseline, double baseline_value,
		  const char *note);

/* xorshift64*: a fixed seed gives a fixed access pattern. */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

#endif /* GVT_BENCH_H */
