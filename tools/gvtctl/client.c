// SPDX-License-Identifier: MIT
/* The client side of the control protocol (docs/control-protocol.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gvt/gvt.h>

#include "gvtctl.h"

#define REPLY_TIMEOUT_MS 10000
#define PROTOCOL 1

/* Read one line (up to '\n'); NULL on error or timeout. */
static char *read_line(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (len + 1 >= cap) {
			char *t = realloc(buf, cap * 2);

			if (!t)
				break;
			buf = t;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0) {
			errno = n ? errno : ECONNRESET;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static int connect_to(struct gvtctl *g, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int gvtctl_call(struct gvtctl *g, const char *request, struct json **reply)
{
	char path[256];
	char err[128];
	char *line = NULL;
	struct json *hello = NULL, *j = NULL;
	int fd, ret = EXIT_FAIL;

	*reply = NULL;
	if (g->socket)
		snprintf(path, sizeof(path), "%s", g->socket);
	else if (gvt_ctl_default_path(path, sizeof(path)))
		return gvtctl_error(g, "the default socket path is too long");
	fd = connect_to(g, path);
	if (fd < 0)
		return gvtctl_error(g, "cannot reach %s: %s (is a libgvt process serving it? see --socket)",
				    path, strerror(errno));

	/* The server greets with its version reply. */
	line = read_line(fd);
	hello = line ? json_parse(line, err, sizeof(err)) : NULL;
	if (!hello || json_get_u64(hello, "protocol", 0) != PROTOCOL) {
		gvtctl_error(g, "%s does not speak gvt-ctl %d%s%s", path, PROTOCOL,
			     line ? "" : ": ", line ? "" : strerror(errno));
		goto out;
	}
	free(line);
	if (dprintf(fd, "%s\n", request) < 0) {
		line = NULL;
		gvtctl_error(g, "sending to %s: %s", path, strerror(errno));
		goto out;
	}
	line = read_line(fd);
	if (!line) {
		gvtctl_error(g, "no reply from %s: %s", path, strerror(errno));
		goto out;
	}
	j = json_parse(line, err, sizeof(err));
	if (!j) {
		gvtctl_error(g, "bad reply from %s: %s", path, err);
		goto out;
	}
	if (g->json)
		printf("%s\n", line);
	if (!json_get_bool(j, "ok", false)) {
		gvtctl_error(g, "%s", json_get_str(j, "error", "request failed"));
		json_free(j);
		goto out;
	}
	*reply = j;
	ret = EXIT_OK;
out:
	free(line);
	json_free(hello);
	close(fd);
	return ret;
}

#define REQUEST_MAX 4096

int gvtctl_callv(struct gvtctl *g, const char *const *words, int n,
		 struct json **reply)
{
	char request[REQUEST_MAX + 1];
	size_t used = 0;

	*reply = NULL;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(words[i]);

		for (size_t c = 0; c < len; c++) {
			if ((unsigned char)words[i][c] <= 0x20 ||
			    words[i][c] == 0x7f) {
				fprintf(stderr, "%s: '%s' holds a space or control character\n",
					g->prog, words[i]);
				return EXIT_USAGE;
			}
		}
		if (!len || used + len + 1 > REQUEST_MAX) {
			fprintf(stderr, "%s: %s\n", g->prog,
				len ? "request too long" : "empty argument");
			return EXIT_USAGE;
		}
		if (used)
			request[used++] = ' ';
		memcpy(request + used, words[i], len);
		used += len;
	}
	request[used] = '\0';
	return gvtctl_call(g, request, reply);
}
