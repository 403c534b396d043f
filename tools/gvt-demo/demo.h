// SPDX-License-Identifier: MIT
/* gvt-demo's parts: the admission overview and --serve in gvt-demo.c, the
 * workload run in run.c. */
#ifndef GVT_DEMO_H
#define GVT_DEMO_H

#include <stdbool.h>

#define DEMO_MAX_VGPUS 7	/* vGPU ids 1 .. 7 */

extern int demo_verbosity;

void demo_log(void *opaque, int level, const char *msg);

/**
 * struct demo_run_opts - what the workload run does.
 * @seconds: how long the guests submit work.
 * @count: vGPUs to start (0: one of each type that fits).
 * @types: or exactly these types, @ntypes of them.
 * @ntypes: entries in @types (0: use @count).
 * @control: serve gvtctl on this socket during the run, or NULL.
 */
struct demo_run_opts {
	unsigned int seconds;
	unsigned int count;
	const char *types[DEMO_MAX_VGPUS];
	unsigned int ntypes;
	const char *control;
};

/* Start the vGPUs, run verified work on each from its own thread, report.
 * Return: 0 if every workload was verified, 1 otherwise. */
int demo_run(const struct demo_run_opts *opts);

#endif /* GVT_DEMO_H */
