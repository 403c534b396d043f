// SPDX-License-Identifier: MIT
/*
 * The vfio-user server's transport: the listening socket, one client
 * connection, message framing with descriptor passing, a queue, and
 * replies that never block.
 *
 * Everything is non-blocking so that one stalled or hostile client cannot
 * hold up the other vGPUs a program serves from the same thread. The one
 * exception is a DMA_READ/DMA_WRITE the server sends for guest memory it
 * has no descriptor for: libgvt needs the bytes before it can go on, so
 * the server waits for the reply, bounded by the DMA timeout, and queues
 * whatever commands arrive meanwhile to handle them afterwards, in order.
 *
 * Framing is trusted by nothing: a size outside [16, VFU_MAX_MSG] or an
 * unknown message type loses the stream, so the client is disconnected;
 * every other fault is a per-message error reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define VFU_TX_MAX	(8u << 20)	/* unsent replies before we give up */
#define VFU_READS_PER_DISPATCH 64u	/* then let other servers run */

uint64_t vfu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* errno is preserved for the callers, as libgvt's own sink promises. */
static void vfu_vlog(struct gvt_vfu *vfu, int level, const char *fmt,
		     va_list ap)
{
	int saved = errno;
	char line[512];
	int n;

	if (!vfu->log_fn || level > vfu->log_level)
		return;
	n = vfu->vgpu_id ? snprintf(line, sizeof(line), "vfio-user vgpu%u: ",
				    vfu->vgpu_id) :
			   snprintf(line, sizeof(line), "vfio-user: ");
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	vfu->log_fn(vfu->log_opaque, level, line);
	errno = saved;
}

void vfu_log(struct gvt_vfu *vfu, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfu_vlog(vfu, level, fmt, ap);
	va_end(ap);
}

/* What a client can make us say is rate-limited per server, across
 * reconnections: VFU_WARN_BUDGET lines a minute, then one line saying how
 * many were held back. */
static void __attribute__((format(printf, 3, 0)))
vfu_vwarn(struct gvt_vfu *vfu, bool protocol_error, const char *fmt, va_list ap)
{
	uint64_t now = vfu_now_ns();

	if (protocol_error)
		vfu->stats.protocol_errors++;
	if (now - vfu->warn_window_start >= VFU_WARN_WINDOW_NS) {
		if (vfu->warnings_held)
			vfu_log(vfu, GVT_LOG_WARNING,
				"client: %u more warnings were not logged", vfu->warnings_held);
		vfu->warn_window_start = now;
		vfu->warnings = 0;
		vfu->warnings_held = 0;
	}
	if (vfu->warnings >= VFU_WARN_BUDGET) {
		vfu->warnings_held++;
		return;
	}
	vfu->warnings++;
	vfu_vlog(vfu, GVT_LOG_WARNING, fmt, ap);
}

void vfu_warn(struct gvt_vfu *vfu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfu_vwarn(vfu, true, fmt, ap);
	va_end(ap);
}

void vfu_note(struct gvt_vfu *vfu, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfu_vwarn(vfu, false, fmt, ap);
	va_end(ap);
}

static void close_fds(struct vfu_msg *msg)
{
	for (unsigned int i = 0; i < msg->nfds; i++)
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	msg->nfds = 0;
}

void vfu_msg_release(struct vfu_msg *msg)
{
	close_fds(msg);
	free(msg->payload);
	memset(msg, 0, sizeof(*msg));
}

/* ---- sending ---- */

/* While replies wait to be sent, the client is not read (it gets no more
 * replies before it takes these), so only room to send wakes us: a client
 * that stops reading but keeps writing must not keep us spinning. */
static void watch_output(struct gvt_vfu *vfu, bool on)
{
	struct epoll_event ev = {
		.events = on ? EPOLLOUT : EPOLLIN,
		.data.fd = vfu->conn_fd,
	};

	if (vfu->tx_watched == on)
		return;
	if (!epoll_ctl(vfu->epoll_fd, EPOLL_CTL_MOD, vfu->conn_fd, &ev))
		vfu->tx_watched = on;
}

/* Write what the socket takes; the rest waits for EPOLLOUT. */
static void flush_tx(struct gvt_vfu *vfu)
{
	while (vfu->tx_pos < vfu->tx_len && !vfu->conn_broken) {
		ssize_t n = send(vfu->conn_fd, vfu->tx + vfu->tx_pos,
				 vfu->tx_len - vfu->tx_pos,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			vfu->tx_pos += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch_output(vfu, true);
			return;
		} else {
			vfu_log(vfu, GVT_LOG_INFO, "client: send: %s",
				n < 0 ? strerror(errno) : "nothing sent");
			vfu->conn_broken = true;
		}
	}
	vfu->tx_len = vfu->tx_pos = 0;
	watch_output(vfu, false);
}

int vfu_send(struct gvt_vfu *vfu, const struct vfu_hdr *hdr,
	     const void *payload, size_t len)
{
	size_t need = VFU_HDR_SIZE + len;

	if (vfu->conn_fd < 0 || vfu->conn_broken)
		return -ENOTCONN;
	if (vfu->tx_len + need > VFU_TX_MAX) {
		vfu_warn(vfu, "client: does not read its replies; disconnecting");
		vfu->conn_broken = true;
		return -ENOBUFS;
	}
	if (vfu->tx_len + need > vfu->tx_cap) {
		size_t cap = vfu->tx_cap ? vfu->tx_cap : 4096;
		uint8_t *tx;

		while (cap < vfu->tx_len + need)
			cap *= 2;
		tx = realloc(vfu->tx, cap);
		if (!tx) {
			vfu_log(vfu, GVT_LOG_ERR, "out of memory for a reply");
			vfu->conn_broken = true;
			return -ENOMEM;
		}
		vfu->tx = tx;
		vfu->tx_cap = cap;
	}
	memcpy(vfu->tx + vfu->tx_len, hdr, VFU_HDR_SIZE);
	if (len)
		memcpy(vfu->tx + vfu->tx_len + VFU_HDR_SIZE, payload, len);
	vfu->tx_len += need;
	flush_tx(vfu);
	return vfu->conn_broken ? -ECONNRESET : 0;
}

/* ---- receiving ---- */

/* Take descriptors from a received control message into @msg. They may
 * only come with the header: a sender attaches them to a message's first
 * byte. */
static void take_fds(struct gvt_vfu *vfu, struct msghdr *mh, bool allowed)
{
	struct vfu_msg *msg = &vfu->rx;

	if (mh->msg_flags & MSG_CTRUNC)
		msg->fds_bad = true;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;
		int fds[VFU_MAX_FDS];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > VFU_MAX_FDS)
			n = VFU_MAX_FDS; /* cannot happen: the buffer holds no more */
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			if (allowed && msg->nfds < VFU_MAX_FDS) {
				msg->fds[msg->nfds++] = fds[i];
			} else {
				close(fds[i]);
				msg->fds_bad = true;
			}
		}
	}
}

/* Read up to @len bytes into @buf. Return: bytes read, 0 if none are
 * waiting, or -1 when the connection ended (conn_broken is set). */
static ssize_t rx_read(struct gvt_vfu *vfu, void *buf, size_t len,
		       bool fds_allowed)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VFU_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(vfu->conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		vfu_log(vfu, GVT_LOG_INFO, "client: %s",
			n ? strerror(errno) : "closed the connection");
		vfu->conn_broken = true;
		return -1;
	}
	take_fds(vfu, &mh, fds_allowed);
	return n;
}

/* A complete message: a command joins the queue, a reply goes to whoever
 * awaits it (a late reply to a request that timed out is dropped). */
static void rx_complete(struct gvt_vfu *vfu)
{
	struct vfu_msg *msg = &vfu->rx;

	if ((msg->hdr.flags & VFU_FLAG_TYPE_MASK) == VFU_TYPE_REPLY) {
		if (vfu->awaited && !vfu->awaited_done &&
		    msg->hdr.msg_id == vfu->awaited_id) {
			*vfu->awaited = *msg;
			vfu->awaited_done = true;
		} else {
			vfu_log(vfu, GVT_LOG_DEBUG,
				"client: dropped a reply to message %u, which nothing awaits",
				msg->hdr.msg_id);
			vfu_msg_release(msg);
		}
	} else {
		unsigned int tail = (vfu->queue_head + vfu->queue_len) %
				    VFU_QUEUE_LEN;

		vfu->queue[tail] = *msg;
		vfu->queue_len++;
	}
	memset(msg, 0, sizeof(*msg));
	vfu->rx_got = 0;
}

/*
 * Receive until one message is complete or the socket has no more.
 * Return: 1 if a message completed, 0 if the socket has nothing more for
 * now, -1 if the connection ended.
 */
static int rx_step(struct gvt_vfu *vfu)
{
	struct vfu_msg *msg = &vfu->rx;

	while (vfu->rx_got < VFU_HDR_SIZE) {
		ssize_t n = rx_read(vfu, (uint8_t *)&msg->hdr + vfu->rx_got,
				    VFU_HDR_SIZE - vfu->rx_got, true);

		if (n <= 0)
			return (int)n;
		vfu->rx_got += (uint32_t)n;
		if (vfu->rx_got < VFU_HDR_SIZE)
			continue;
		uint32_t type = msg->hdr.flags & VFU_FLAG_TYPE_MASK;

		if (msg->hdr.size < VFU_HDR_SIZE || msg->hdr.size > VFU_MAX_MSG ||
		    (type != VFU_TYPE_COMMAND && type != VFU_TYPE_REPLY)) {
			vfu_warn(vfu, "client: message %u has size %u and type %u; the stream cannot be followed, disconnecting",
				 msg->hdr.msg_id, msg->hdr.size, type);
			vfu->conn_broken = true;
			return -1;
		}
		msg->len = msg->hdr.size - VFU_HDR_SIZE;
		msg->payload = malloc(msg->len ? msg->len : 1);
		if (!msg->payload) {
			vfu_log(vfu, GVT_LOG_ERR, "out of memory for a %u-byte message",
				msg->hdr.size);
			vfu->conn_broken = true;
			return -1;
		}
	}
	while (vfu->rx_got < msg->hdr.size) {
		uint32_t at = vfu->rx_got - VFU_HDR_SIZE;
		ssize_t n = rx_read(vfu, msg->payload + at, msg->len - at, false);

		if (n <= 0)
			return (int)n;
		vfu->rx_got += (uint32_t)n;
	}
	rx_complete(vfu);
	return 1;
}

/* ---- the connection ---- */

static void reset_connection_state(struct gvt_vfu *vfu)
{
	vfu->negotiated = false;
	vfu->write_multi = false;
	vfu->client_max_xfer = VFU_MAX_XFER;
	vfu->conn_broken = false;
	vfu->tx_len = vfu->tx_pos = 0;
	vfu->tx_watched = false;
}

static void conn_close(struct gvt_vfu *vfu, bool reset_vgpu)
{
	if (vfu->conn_fd < 0)
		return;
	epoll_ctl(vfu->epoll_fd, EPOLL_CTL_DEL, vfu->conn_fd, NULL);
	close(vfu->conn_fd);
	vfu->conn_fd = -1;
	vfu_msg_release(&vfu->rx);
	vfu->rx_got = 0;
	while (vfu->queue_len) {
		vfu_msg_release(&vfu->queue[vfu->queue_head]);
		vfu->queue_head = (vfu->queue_head + 1) % VFU_QUEUE_LEN;
		vfu->queue_len--;
	}
	reset_connection_state(vfu);
	vfu_irq_release_all(vfu);

	/* The guest that programmed this vGPU is gone: reset it, which also
	 * makes libgvt let go of the guest pages it mapped, so the client's
	 * memory is not kept alive by us until the next client comes. */
	if (reset_vgpu && vfu->vgpu) {
		struct gvt_vgpu_info info;

		if (!gvt_vgpu_get_info(vfu->vgpu, &info) && info.failsafe)
			vfu_log(vfu, GVT_LOG_NOTICE,
				"client gone while the vGPU was in failsafe mode: %s",
				info.failsafe_reason);
		if (gvt_vgpu_reset(vfu->vgpu))
			vfu_log(vfu, GVT_LOG_ERR, "resetting the vGPU after its client failed");
	}
	vfu_dma_release_all(vfu);
	vfu_log(vfu, GVT_LOG_INFO,
		"client disconnected; since the vGPU was created: %llu messages, %llu exits, %llu us in libgvt",
		(unsigned long long)vfu->stats.messages,
		(unsigned long long)vfu->stats.exits,
		(unsigned long long)(vfu->stats.libgvt_ns / 1000));
}

static int conn_open(struct gvt_vfu *vfu, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(vfu->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		vfu_log(vfu, GVT_LOG_ERR, "cannot watch the client: %s",
			strerror(errno));
		close(fd);
		return err;
	}
	vfu->conn_fd = fd;
	reset_connection_state(vfu);
	vfu->stats.connects++;
	return 0;
}

static void accept_client(struct gvt_vfu *vfu)
{
	int fd = accept4(vfu->listen_fd, NULL, NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			vfu_log(vfu, GVT_LOG_WARNING, "accept: %s", strerror(errno));
		return;
	}
	if (vfu->conn_fd >= 0) {
		/* vfio-user is one client per device. */
		vfu->stats.refused++;
		vfu_note(vfu, "refused a second client: the vGPU already has one");
		close(fd);
		return;
	}
	if (!conn_open(vfu, fd))
		vfu_log(vfu, GVT_LOG_INFO, "client connected");
}

/* ---- requests the server makes ---- */

int vfu_request(struct gvt_vfu *vfu, uint16_t command, const void *payload,
		size_t len, struct vfu_msg *reply, uint64_t deadline)
{
	struct vfu_hdr hdr = {
		.msg_id = vfu->next_msg_id++,
		.command = command,
		.size = (uint32_t)(VFU_HDR_SIZE + len),
		.flags = VFU_TYPE_COMMAND,
	};
	int ret;

	if (vfu->conn_fd < 0 || vfu->conn_broken || !vfu->negotiated)
		return -ENOTCONN;
	if (vfu->awaited)
		return -EBUSY;
	ret = vfu_send(vfu, &hdr, payload, len);
	if (ret)
		return ret;
	memset(reply, 0, sizeof(*reply));
	vfu->awaited = reply;
	vfu->awaited_id = hdr.msg_id;
	vfu->awaited_done = false;
	ret = 0;
	while (!vfu->awaited_done) {
		struct pollfd pfd = { .fd = vfu->conn_fd, .events = POLLIN };
		uint64_t now = vfu_now_ns();
		int step;

		/* Checked every time round: a client that keeps sending
		 * other things must not stretch the wait. */
		if (now >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		if (vfu->tx_pos < vfu->tx_len) {
			flush_tx(vfu);
			pfd.events |= POLLOUT;
		}
		if (vfu->conn_broken) {
			ret = -ECONNRESET;
			break;
		}
		if (vfu->queue_len == VFU_QUEUE_LEN) {
			/* Nowhere to put what comes before the reply. */
			ret = -EAGAIN;
			break;
		}
		step = rx_step(vfu);
		if (step < 0) {
			ret = -ECONNRESET;
			break;
		}
		if (step > 0)
			continue;
		poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
	}
	vfu->awaited = NULL;
	/* Outside dispatch nothing would look at what was queued until the
	 * socket spoke again: wake our poller. */
	if (!vfu->dispatching && (vfu->queue_len || vfu->conn_broken))
		eventfd_write(vfu->kick_fd, 1);
	if (ret) {
		vfu_note(vfu, "client: no reply to %s of message %u: %s",
			 command == VFU_CMD_DMA_READ ? "DMA_READ" : "DMA_WRITE",
			 hdr.msg_id, strerror(-ret));
		return ret;
	}
	if (reply->hdr.command != command) {
		vfu_warn(vfu, "client: replied to message %u with command %u",
			 hdr.msg_id, reply->hdr.command);
		vfu_msg_release(reply);
		return -EPROTO;
	}
	if (reply->hdr.flags & VFU_FLAG_ERROR) {
		/* An errno, or EIO for what cannot be one. */
		uint32_t e = reply->hdr.error;

		ret = e > 0 && e < 4096 ? -(int)e : -EIO;
		vfu_msg_release(reply);
		return ret;
	}
	return 0;
}

/* ---- the public face ---- */

int gvt_vfu_create(const struct gvt_vfu_params *params, struct gvt_vfu **out)
{
	struct gvt_vfu *vfu;
	char why[200];
	int ret;

	if (!params || !out || (!params->socket_path) == (params->connected_fd < 0)) {
		if (params && params->connected_fd >= 0)
			close(params->connected_fd);
		return -EINVAL;
	}
	vfu = calloc(1, sizeof(*vfu));
	if (!vfu) {
		if (params->connected_fd >= 0)
			close(params->connected_fd);
		return -ENOMEM;
	}
	vfu->log_fn = params->log_fn;
	vfu->log_opaque = params->log_opaque;
	vfu->log_level = params->log_level ? params->log_level : GVT_LOG_INFO;
	vfu->dma_timeout_ms = params->dma_timeout_ms ? params->dma_timeout_ms :
				VFU_DEFAULT_DMA_TIMEOUT_MS;
	vfu->listen_fd = -1;
	vfu->conn_fd = -1;
	for (unsigned int i = 0; i < ARRAY_LEN(vfu->irq); i++)
		vfu->irq[i].trigger_fd = vfu->irq[i].unmask_fd = -1;
	reset_connection_state(vfu);

	vfu->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	vfu->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vfu->epoll_fd < 0 || vfu->kick_fd < 0 ||
	    epoll_ctl(vfu->epoll_fd, EPOLL_CTL_ADD, vfu->kick_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.fd = vfu->kick_fd })) {
		ret = -errno;
		vfu_log(vfu, GVT_LOG_ERR, "epoll: %s", strerror(errno));
		if (params->connected_fd >= 0)
			close(params->connected_fd);
		goto out_close_epoll;
	}
	if (params->connected_fd >= 0) {
		ret = conn_open(vfu, params->connected_fd);
		if (ret)
			goto out_close_epoll;
	} else {
		struct epoll_event ev = { .events = EPOLLIN };

		ret = gvt_unix_listen(params->socket_path,
				      params->socket_mode ? params->socket_mode : 0600,
				      why, sizeof(why));
		if (ret < 0) {
			vfu_log(vfu, GVT_LOG_ERR, "%s", why);
			goto out_close_epoll;
		}
		vfu->listen_fd = ret;
		snprintf(vfu->path, sizeof(vfu->path), "%s", params->socket_path);
		ev.data.fd = vfu->listen_fd;
		if (epoll_ctl(vfu->epoll_fd, EPOLL_CTL_ADD, vfu->listen_fd, &ev)) {
			ret = -errno;
			vfu_log(vfu, GVT_LOG_ERR, "epoll: %s", strerror(errno));
			unlink(vfu->path);
			close(vfu->listen_fd);
			goto out_close_epoll;
		}
	}
	*out = vfu;
	return 0;

out_close_epoll:
	if (vfu->epoll_fd >= 0)
		close(vfu->epoll_fd);
	if (vfu->kick_fd >= 0)
		close(vfu->kick_fd);
	free(vfu);
	return ret;
}

void gvt_vfu_attach(struct gvt_vfu *vfu, struct gvt_vgpu *vgpu)
{
	struct gvt_vgpu_info info;

	vfu->vgpu = vgpu;
	if (!gvt_vgpu_get_info(vgpu, &info)) {
		vfu->vgpu_id = info.id;
		memcpy(vfu->bar, info.bar, sizeof(vfu->bar));
	}
	if (vfu->path[0])
		vfu_log(vfu, GVT_LOG_INFO, "serving %s", vfu->path);
}

int gvt_vfu_fd(const struct gvt_vfu *vfu)
{
	return vfu ? vfu->epoll_fd : -EINVAL;
}

bool gvt_vfu_connected(const struct gvt_vfu *vfu)
{
	return vfu && vfu->conn_fd >= 0;
}

void gvt_vfu_get_stats(const struct gvt_vfu *vfu, struct gvt_vfu_stats *out)
{
	*out = vfu->stats;
}

/* Handle what the queue holds, in order. A handler that waits for a DMA
 * reply may queue more behind it; those are handled here too. */
static unsigned int drain_queue(struct gvt_vfu *vfu)
{
	unsigned int handled = 0;

	while (vfu->queue_len && !vfu->conn_broken) {
		struct vfu_msg msg = vfu->queue[vfu->queue_head];

		memset(&vfu->queue[vfu->queue_head], 0, sizeof(msg));
		vfu->queue_head = (vfu->queue_head + 1) % VFU_QUEUE_LEN;
		vfu->queue_len--;
		vfu_handle(vfu, &msg);
		vfu_msg_release(&msg);
		handled++;
	}
	return handled;
}

int gvt_vfu_dispatch(struct gvt_vfu *vfu)
{
	struct epoll_event ev[8];
	unsigned int handled = 0;
	int n;

	if (!vfu || !vfu->vgpu)
		return -EINVAL;
	n = epoll_wait(vfu->epoll_fd, ev, ARRAY_LEN(ev), 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;

		if (fd == vfu->listen_fd)
			accept_client(vfu);
		else if (fd == vfu->kick_fd)
			eventfd_read(fd, &(eventfd_t){ 0 });
		else if (fd == vfu->conn_fd && vfu->tx_pos < vfu->tx_len)
			flush_tx(vfu); /* room, or a hang-up that ends it */
		else if (fd != vfu->conn_fd)
			vfu_irq_event(vfu, fd);
	}

	/* What a DMA wait queued comes first; then read while the replies
	 * go out (a client that stops reading them stops being read). */
	vfu->dispatching = true;
	handled += drain_queue(vfu);
	for (unsigned int reads = 0; vfu->conn_fd >= 0 && !vfu->conn_broken &&
	     vfu->tx_pos == vfu->tx_len && reads < VFU_READS_PER_DISPATCH; reads++) {
		if (rx_step(vfu) <= 0)
			break;
		handled += drain_queue(vfu);
	}
	vfu->dispatching = false;
	if (vfu->conn_broken)
		conn_close(vfu, true);
	return (int)handled;
}

void gvt_vfu_destroy(struct gvt_vfu *vfu)
{
	if (!vfu)
		return;
	conn_close(vfu, false);
	vfu_dma_destroy(vfu);
	vfu_irq_release_all(vfu);
	if (vfu->listen_fd >= 0) {
		close(vfu->listen_fd);
		unlink(vfu->path);
	}
	close(vfu->epoll_fd);
	close(vfu->kick_fd);
	free(vfu->tx);
	free(vfu->scratch);
	free(vfu);
}
