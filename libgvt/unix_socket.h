// SPDX-License-Identifier: MIT
/*
 * Listening UNIX sockets for the servers libgvt and its device servers
 * run: the control socket and each vfio-user socket.
 */
#ifndef GVT_UNIX_SOCKET_H
#define GVT_UNIX_SOCKET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* GVT_SOCKET_PATH_MAX - the longest socket path, with its terminator. */
#define GVT_SOCKET_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/*
 * gvt_unix_listen() - listen on a UNIX stream socket at @path.
 * @path: the socket file. Its directory is made (mode 0700) if only the
 *	last level is missing. A stale socket left by a dead process is
 *	replaced; one that a live process serves is not.
 * @mode: permissions of the socket file.
 * @why: receives a one-line reason on failure.
 * @why_len: room in @why.
 *
 * Return: a non-blocking, close-on-exec listening descriptor, or -errno:
 * -EADDRINUSE if another process serves @path, -ENAMETOOLONG.
 */
int gvt_unix_listen(const char *path, unsigned int mode, char *why,
		    size_t why_len);

#endif /* GVT_UNIX_SOCKET_H */
