// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include <gvt/gvt.h>

#include "tool_util.h"

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };

const char *tool_level_name(int level)
{
	if (level < GVT_LOG_ERR)
		return "error";
	if (level > GVT_LOG_DEBUG)
		return "debug";
	return level_names[level - GVT_LOG_ERR];
}

int tool_parse_level(const char *s)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(s, level_names[i]))
			return GVT_LOG_ERR + (int)i;
	return -1;
}

bool tool_parse_uint(const char *s, int base, unsigned long max,
		     unsigned long *out)
{
	size_t digits = strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789");
	char *end;

	if (!digits || s[digits])
		return false;
	errno = 0;
	*out = strtoul(s, &end, base);
	return !*end && !errno && *out <= max;
}

int tool_signal_fd(void)
{
	static const int stop[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 };
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	for (unsigned int i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		sigaddset(&mask, stop[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}
