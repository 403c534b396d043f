// SPDX-License-Identifier: MIT
/*
 * One way to claim a socket path for every server in the tree, so they all
 * agree on what a stale socket is: one nobody accepts connections on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unix_socket.h"

/* Make the socket's directory if it is missing (only the last level). */
static int make_parent(const char *path, char *why, size_t why_len)
{
	char dir[GVT_SOCKET_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = -errno;

		snprintf(why, why_len, "cannot create %s: %s", dir,
			 strerror(errno));
		return err;
	}
	return 0;
}

/* Bind @fd to @addr, replacing a stale socket but never a live one. */
static int bind_socket(int fd, const struct sockaddr_un *addr, char *why,
		       size_t why_len)
{
	int probe;

	if (!bind(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		return 0;
	if (errno != EADDRINUSE)
		goto out_errno;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		goto out_errno;
	if (!connect(probe, (const struct sockaddr *)addr, sizeof(*addr))) {
		close(probe);
		snprintf(why, why_len, "another process serves %s",
			 addr->sun_path);
		return -EADDRINUSE;
	}
	close(probe);
	if (unlink(addr->sun_path) ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		goto out_errno;
	return 0;

out_errno:
	snprintf(why, why_len, "cannot bind %s: %s", addr->sun_path,
		 strerror(errno));
	return -errno;
}

int gvt_unix_listen(const char *path, unsigned int mode, char *why,
		    size_t why_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, why_len, "socket path longer than %zu bytes: %s",
			 sizeof(addr.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	ret = make_parent(path, why, why_len);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return ret;
	}
	ret = bind_socket(fd, &addr, why, why_len);
	if (ret)
		goto out_close;
	if (chmod(path, mode) || listen(fd, SOMAXCONN)) {
		ret = -errno;
		snprintf(why, why_len, "cannot listen on %s: %s", path,
			 strerror(errno));
		unlink(path);
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return ret;
}
