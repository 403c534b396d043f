// SPDX-License-Identifier: MIT
/*
 * gvtctl: inspect and manage libgvt vGPUs. One file per verb, dispatched
 * from the table in gvtctl.c.
 */
#ifndef GVTCTL_H
#define GVTCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_FAIL 1	/* the request failed, or a check did */
#define EXIT_USAGE 2

struct gvtctl {
	const char *socket;	/* --socket, or NULL for the default */
	bool json;		/* --json: machine-readable output */
	const char *prog;	/* for messages */
};

typedef int gvtctl_cmd_fn(struct gvtctl *g, int argc, char **argv);

gvtctl_cmd_fn cmd_types;
gvtctl_cmd_fn cmd_replay;
gvtctl_cmd_fn cmd_list;
gvtctl_cmd_fn cmd_create;
gvtctl_cmd_fn cmd_destroy;
gvtctl_cmd_fn cmd_show;
gvtctl_cmd_fn cmd_regs;
gvtctl_cmd_fn cmd_gtt;
gvtctl_cmd_fn cmd_trace;
gvtctl_cmd_fn cmd_top;
gvtctl_cmd_fn cmd_weight;
gvtctl_cmd_fn cmd_doctor;
gvtctl_cmd_fn cmd_decode;
gvtctl_cmd_fn cmd_audit;

/* An error for the user: "gvtctl: ..." on stderr. Returns EXIT_FAIL. */
__attribute__((format(printf, 2, 3)))
int gvtctl_error(struct gvtctl *g, const char *fmt, ...);
/* A usage error. Returns EXIT_USAGE. */
int gvtctl_usage(struct gvtctl *g, const char *usage);
/* A bad option value or input file: the message, then EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int gvtctl_input_error(struct gvtctl *g, const char *fmt, ...);

/* A libgvt log sink for verbs that run a GPU in-process: errors only,
 * "libgvt: ..." on stderr. */
void gvtctl_log_errors(void *opaque, int level, const char *msg);

/*
 * Send one request to the process behind --socket and parse its reply.
 * With --json the reply line is printed as it came. On a failed request
 * the server's message is printed; the return value is the exit code.
 */
int gvtctl_call(struct gvtctl *g, const char *request, struct json **reply);

/*
 * The same, for a request made of @n words. A word that is empty or holds
 * a space or control character (which would split it, or start another
 * request) is refused with a usage error.
 */
int gvtctl_callv(struct gvtctl *g, const char *const *words, int n,
		 struct json **reply);

/* Print a JSON string with escapes (for verbs that build JSON locally). */
void gvtctl_json_str(FILE *f, const char *s);

#endif /* GVTCTL_H */
