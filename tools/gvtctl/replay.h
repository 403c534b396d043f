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
	/* Stop, as passed, at the first ELSP write: traces do not carry the
	 * guest memory a workload reads, nor when the GPU completed it, so
	 * what follows a submission in a live recording cannot be replayed
	 * exactly. */
	bool until_submission;
	bool stopped_at_submission;	/* out: it did */
};

/* Run a trace held in memory. Returns 0 if it passed. */
int replay_text(const char *text, size_t len, struct replay_report *rep);
/* Run the trace in @path. Returns 0 if it passed. */
int replay_file(const char *path, struct replay_report *rep);

/* Timeout of an idle line. */
#define REPLAY_IDLE_TIMEOUT_MS 2000

#endif /* GVTCTL_REPLAY_H */
