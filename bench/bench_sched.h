// SPDX-License-Identifier: MIT
/*
 * The engine model that gvt-bench sched's simulations share, so that the
 * one-engine cases (bench_sched.c) and the several-engine mixes
 * (bench_sched_engines.c) pay the same switch and preemption costs on the
 * same virtual clock and are read with the same windows.
 */
#ifndef GVT_BENCH_SCHED_H
#define GVT_BENCH_SCHED_H

#include "bench.h"

#define US 1e3
#define MS 1e6
#define RUN_NS (30e9)		/* virtual time per case */
#define GRID_NS (10 * MS)	/* share sampling, and the sliding step */
#define WINDOW 100		/* grid steps: 1 s */
#define SKIP 200		/* grid steps: the first 2 s */
#define SWITCH_NS (180 * US)	/* MMIO context switch, post-ffe2a503 */
#define ARB_NS (100 * US)	/* preemption delay: uniform up to this */

/* A uniform double in [0, 1). */
static inline double bench_urand(uint64_t *rng)
{
	return (double)(bench_rand(rng) >> 11) * 0x1.0p-53;
}

/* The several-engine mixes: per-engine run queues against one run queue
 * for the whole GPU; prints their figures. */
void bench_sched_engines(const struct bench_opts *opts);

#endif /* GVT_BENCH_SCHED_H */
