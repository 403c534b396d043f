// SPDX-License-Identifier: MIT
/*
 * The vfio-user shim: serves one vGPU as a PCI device to a vfio-user
 * client (QEMU's vfio-user-pci, QEMU >= 10.1) over a UNIX socket, and
 * implements struct gvt_hv_ops on top of what that client shares: guest
 * RAM from DMA_MAP file descriptors (or DMA_READ/DMA_WRITE messages where
 * the client sends none), MSI and INTx through eventfds. The protocol is
 * QEMU's docs/interop/vfio-user.rst; docs/vfio-user.md says what of it
 * this server implements and how it behaves towards a hostile client.
 *
 * One server is one vGPU and at most one client at a time. Like the
 * control server it does nothing by itself: the program polls
 * gvt_vfu_fd() and calls gvt_vfu_dispatch() from the thread that drives
 * the vGPU.
 */
#ifndef GVT_VFIO_USER_H
#define GVT_VFIO_USER_H

#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>

/** struct gvt_vfu - a vfio-user device server for one vGPU (opaque). */
struct gvt_vfu;

/**
 * gvt_vfu_hv_ops - the hypervisor operations a vGPU served over vfio-user
 * is created with; the handle is its struct gvt_vfu. No page tracking:
 * the transport has none.
 */
extern const struct gvt_hv_ops gvt_vfu_hv_ops;

/**
 * struct gvt_vfu_params - how to create a server.
 * @socket_path: listen on this UNIX socket (created mode @socket_mode; a
 *	stale one is replaced, a live one is not); NULL when @connected_fd is
 *	given instead.
 * @connected_fd: an already connected stream socket to serve (ownership
 *	passes to the server even on failure), or -1.
 * @socket_mode: permissions of the socket file; 0 means 0600.
 * @log_fn: where the server's own messages go (the library's sink type).
 * @log_opaque: passed to @log_fn.
 * @log_level: most verbose level delivered; 0 means GVT_LOG_INFO.
 * @dma_timeout_ms: how long a DMA_READ/DMA_WRITE waits for the client's
 *	reply; 0 means 1000.
 */
struct gvt_vfu_params {
	const char *socket_path;
	int connected_fd;
	unsigned int socket_mode;
	gvt_log_fn *log_fn;
	void *log_opaque;
	int log_level;
	unsigned int dma_timeout_ms;
};

/**
 * gvt_vfu_create() - create a server; it serves nothing until attached.
 * @params: how.
 * @out: receives the server.
 *
 * Return: 0, -EINVAL for bad parameters, -EADDRINUSE if another process
 * serves the path, -ENAMETOOLONG, or the -errno of creating the socket.
 */
GVT_MUST_CHECK int gvt_vfu_create(const struct gvt_vfu_params *params,
				  struct gvt_vfu **out);

/**
 * gvt_vfu_attach() - give the server the vGPU it serves.
 * @vfu: the server.
 * @vgpu: a vGPU created with gvt_vfu_hv_ops and @vfu as its handle.
 *
 * Call once, before the first gvt_vfu_dispatch().
 */
void gvt_vfu_attach(struct gvt_vfu *vfu, struct gvt_vgpu *vgpu);

/**
 * gvt_vfu_fd() - the descriptor to poll for readability.
 * @vfu: the server.
 *
 * Return: a descriptor that is readable whenever gvt_vfu_dispatch() has
 * work (a client to accept, a message, room to send a reply, an INTx
 * unmask).
 */
int gvt_vfu_fd(const struct gvt_vfu *vfu);

/**
 * gvt_vfu_dispatch() - serve what is pending, without blocking (except
 * for a DMA_READ/DMA_WRITE round trip, bounded by the DMA timeout).
 * @vfu: the server.
 *
 * A malformed message gets an error reply; one that breaks the framing
 * (a bad size, an unknown message type) disconnects the client. When a
 * client goes, its DMA regions and interrupt eventfds are released and the
 * vGPU is reset, so a client that comes back finds a fresh device.
 *
 * Return: the number of messages handled, or -errno if the server itself
 * failed.
 */
int gvt_vfu_dispatch(struct gvt_vfu *vfu);

/**
 * gvt_vfu_connected() - is a client connected?
 * @vfu: the server.
 *
 * Return: true while a client is connected.
 */
bool gvt_vfu_connected(const struct gvt_vfu *vfu);

/**
 * struct gvt_vfu_stats - what the server counted since it was created.
 * @connects: clients accepted.
 * @refused: clients turned away because one was already connected.
 * @messages: client messages handled.
 * @protocol_errors: messages answered with an error or that ended a
 *	connection.
 * @cfg_accesses: REGION_READ/WRITE of config space.
 * @mmio_accesses: REGION_READ/WRITE of BAR0 and BAR4 (registers, GGTT),
 *	one per access even inside a REGION_WRITE_MULTI.
 * @aperture_accesses: REGION_READ/WRITE of BAR2.
 * @exits: guest accesses forwarded to the server (config, MMIO and
 *	aperture): each one is a VM exit to QEMU and a round trip here.
 * @libgvt_ns: nanoseconds spent inside libgvt serving those accesses.
 * @dma_maps: DMA_MAP requests accepted.
 * @dma_messages: DMA_READ/DMA_WRITE round trips made for guest memory the
 *	client shared no descriptor for.
 * @irqs_signalled: interrupts signalled to the client (MSI and INTx).
 */
struct gvt_vfu_stats {
	uint64_t connects;
	uint64_t refused;
	uint64_t messages;
	uint64_t protocol_errors;
	uint64_t cfg_accesses;
	uint64_t mmio_accesses;
	uint64_t aperture_accesses;
	uint64_t exits;
	uint64_t libgvt_ns;
	uint64_t dma_maps;
	uint64_t dma_messages;
	uint64_t irqs_signalled;
};

/**
 * gvt_vfu_get_stats() - read the server's counters.
 * @vfu: the server.
 * @out: receives them.
 */
void gvt_vfu_get_stats(const struct gvt_vfu *vfu, struct gvt_vfu_stats *out);

/**
 * gvt_vfu_destroy() - stop serving: drop the client, remove the socket.
 * @vfu: the server, or NULL.
 *
 * Destroy the vGPU first: it may still hold guest pages mapped through
 * this server.
 */
void gvt_vfu_destroy(struct gvt_vfu *vfu);

#endif /* GVT_VFIO_USER_H */
