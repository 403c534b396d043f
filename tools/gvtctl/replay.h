// SPDX-License-Identifier: MIT
/*
 * Replaying a gvt-trace (docs/trace-format.md) on a fresh sim GPU with the
 * mock hypervisor, comparing every read the trace recorded.
 */
#ifndef GVTCTL_REPLAY_H
#define GVTCTL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLAY_MAX_REPORTED 16

struct replay_error {
	unsigned int line;
	char message[256];
};

struct replay_report {
	unsigned int lines;		/* lines read */
	unsigned int checks;		/* comparisons that passed */
	unsigned int failures;		/* mismatches and errors */
	unsigned int reported;		/* of them, kept in error[] */
	struct replay_error error[REPLAY_MAX_REPORTED];
	bool verbose;			/* print libgvt's log on stderr */
	unsigned int idle_timeout_ms;	/* for idle lines; 0: the default */
	/* Stop, as passed, at the first ELSP write: for recordings made
	 * before traces carried the guest memory a workload reads (mem
	 * lines) and when the GPU finished it (done lines), whose replay
	 * past a submission cannot be exact. */
	bool until_submission;
	bool stopped_at_submission;	/* out: it did */
};

/* Run a trace held in memory. Returns 0 if it passed. */
int replay_text(const char *text, size_t len, struct replay_report *rep);
/* Run the trace in @path. Returns 0 if it passed. */
int replay_file(const char *path, struct replay_report *rep);

/* Timeout of an idle line, and how long an msi or intx line waits for
 * what it expects. */
#define REPLAY_IDLE_TIMEOUT_MS 2000
/* The most bytes one mem line carries (the recorder writes 256). */
#define REPLAY_MEM_MAX 256

#endif /* GVTCTL_REPLAY_H */
