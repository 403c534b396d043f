// SPDX-License-Identifier: MIT
/*
 * The control server's request handling, apart from its sockets, so tests
 * and the fuzzer can drive it directly.
 */
#ifndef GVT_CTL_H
#define GVT_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <gvt/gvt.h>

/* Longest request line, without its newline. */
#define GVT_CTL_LINE_MAX 4096
/* Largest reply a client may leave unread before it is dropped. */
#define GVT_CTL_OUT_MAX (16u << 20)
#define GVT_CTL_MAX_CLIENTS 32
#define GVT_CTL_PROTOCOL 1

/* A growable output buffer for one JSON reply. */
struct gvt_jbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;	/* an append failed: the reply is unusable */
};

void gvt_jbuf_free(struct gvt_jbuf *b);

/* A control server without sockets (for tests and fuzzing). */
int gvt_ctl_create_detached(struct gvt_ctx *ctx,
			    const struct gvt_ctl_params *params,
			    struct gvt_ctl **out);

/* Answer one request line (no newline) with one JSON line (with it). */
void gvt_ctl_handle_line(struct gvt_ctl *ctl, const char *line,
			 struct gvt_jbuf *reply);

#endif /* GVT_CTL_H */
