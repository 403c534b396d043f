// SPDX-License-Identifier: MIT
/*
 * What gvtd and gvt-xen-dm both need around libgvt: log level names, the
 * strict number parsing of their options, and the signals that end them.
 */
#ifndef GVT_TOOLS_TOOL_UTIL_H
#define GVT_TOOLS_TOOL_UTIL_H

#include <stdbool.h>

/* "error", "warning", "notice", "info" or "debug" for a GVT_LOG_* level. */
const char *tool_level_name(int level);

/* The GVT_LOG_* level a name gives, or -1. */
int tool_parse_level(const char *s);

/* Digits only, in @base (10 or 16), at most @max: strtoul alone would
 * take a sign, spaces and "0x". */
bool tool_parse_uint(const char *s, int base, unsigned long max,
		     unsigned long *out);

/*
 * tool_signal_fd() - block SIGTERM, SIGINT, SIGHUP, SIGQUIT (each ends the
 * program cleanly) and SIGUSR1 (figures), ignore SIGPIPE (a client that
 * hangs up), and return a non-blocking signalfd that reads them, or
 * -errno. Call before any thread starts, so that all inherit the mask.
 */
int tool_signal_fd(void);

#endif /* GVT_TOOLS_TOOL_UTIL_H */
