// SPDX-License-Identifier: MIT
/*
 * The vfio-user server's insides, shared by its files: server.c (sockets,
 * framing, the message queue), commands.c (one handler per command),
 * dma.c (guest memory) and irq.c (interrupts).
 */
#ifndef GVT_VFU_INTERNAL_H
#define GVT_VFU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vfio.h>

#include "proto.h"
#include "unix_socket.h"
#include "vfio_user.h"

/* What this server accepts and promises. */
#define VFU_MAX_FDS		16u		/* per message */
#define VFU_MAX_XFER		(1u << 20)	/* REGION_READ/WRITE data */
#define VFU_MAX_MSG		(VFU_MAX_XFER + 4096u)
#define VFU_MAX_DMA_REGIONS	1024u
#define VFU_QUEUE_LEN		64u		/* messages held while a DMA waits */
#define VFU_DEFAULT_DMA_TIMEOUT_MS 1000u
#define VFU_PAGE_SIZE		4096u
#define VFU_WARN_BUDGET		32u		/* client warnings logged a minute */
#define VFU_WARN_WINDOW_NS	(60ull * 1000000000ull)
#define VFU_MAX_MAPPED		(1ull << 40)	/* bytes of guest RAM mmapped */
#define VFU_VERSION_MAX		4096u		/* VERSION payload bytes */

#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

/* vfio-pci's region and interrupt indexes (linux/vfio.h numbers them). */
#define VFU_NUM_REGIONS		9u
#define VFU_NUM_IRQS		5u

/* One message received: header, payload, the descriptors it carried. */
struct vfu_msg {
	struct vfu_hdr hdr;
	uint8_t *payload;		/* hdr.size - 16 bytes, malloc'd */
	uint32_t len;
	int fds[VFU_MAX_FDS];
	unsigned int nfds;
	bool fds_bad;			/* descriptors arrived where none may */
};

/* A guest-physical range the client shared with DMA_MAP. */
struct vfu_dma_region {
	uint64_t gpa;
	uint64_t size;			/* bytes */
	uint32_t prot;			/* VFU_DMA_READ | VFU_DMA_WRITE */
	uint8_t *host;			/* our mapping, or NULL: reach it by message */
	uint64_t map_len;		/* bytes mmapped at host */
	uint32_t refs;			/* libgvt dma_map()s into it */
};

struct vfu_irq {
	int trigger_fd;			/* eventfd the client gave, or -1 */
	int unmask_fd;			/* INTx resample eventfd, or -1 */
	bool masked;			/* INTx: masked (by the client or by delivery) */
	bool pending;			/* MSI: one waits for its trigger fd;
					 * INTx: the line is asserted */
};

struct gvt_vfu {
	struct gvt_vgpu *vgpu;
	uint32_t vgpu_id;		/* for log lines */
	gvt_log_fn *log_fn;
	void *log_opaque;
	int log_level;
	unsigned int dma_timeout_ms;

	int epoll_fd;
	int kick_fd;			/* eventfd: messages wait in the queue */
	int listen_fd;			/* -1 when serving a given socket */
	int conn_fd;			/* -1 without a client */
	char path[GVT_SOCKET_PATH_MAX];	/* to unlink; empty without one */

	/* Receiving: one message at a time, then into the queue. */
	struct vfu_msg rx;
	uint32_t rx_got;		/* bytes of rx (header + payload) so far */
	struct vfu_msg queue[VFU_QUEUE_LEN];
	unsigned int queue_head, queue_len;
	bool dispatching;		/* inside gvt_vfu_dispatch() */

	/* Sending: replies the socket did not take yet. */
	uint8_t *tx;
	size_t tx_len, tx_pos, tx_cap;
	bool tx_watched;		/* EPOLLOUT requested */
	bool conn_broken;		/* close at the next safe point */

	/* Per connection. */
	bool negotiated;		/* VERSION done */
	bool write_multi;		/* client offered REGION_WRITE_MULTI */
	uint64_t client_max_xfer;	/* its max_data_xfer_size */
	unsigned int warnings;		/* logged in this window */
	unsigned int warnings_held;	/* not logged in this window */
	uint64_t warn_window_start;	/* ns */
	uint16_t next_msg_id;		/* for our DMA_READ/WRITE */
	struct vfu_msg *awaited;	/* where the awaited reply goes */
	uint16_t awaited_id;
	bool awaited_done;

	struct vfu_dma_region *regions;	/* sorted by gpa, disjoint */
	unsigned int num_regions;
	struct vfu_dma_region *retired;	/* unmapped by the client, still referenced */
	unsigned int num_retired;
	uint64_t mapped_bytes;		/* mmapped, live and retired */

	struct vfu_irq irq[2];		/* INTx and MSI */
	struct gvt_bar_info bar[6];	/* the vGPU's BARs, as regions 0..5 */
	uint8_t *scratch;		/* reply payloads are built here */
	size_t scratch_cap;

	struct gvt_vfu_stats stats;
};

/* A handler's reply: a payload in the server's scratch space. */
struct vfu_reply {
	uint8_t *data;
	size_t len;
};

/* A command handler: 0 with *out filled, or -errno for an error reply. */
typedef int vfu_cmd_fn(struct gvt_vfu *vfu, struct vfu_msg *msg,
		       struct vfu_reply *out);

/* server.c */
void vfu_log(struct gvt_vfu *vfu, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A client broke a rule: logged, within the connection's budget. */
void vfu_warn(struct gvt_vfu *vfu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Something a client caused that is not a protocol error, logged within
 * the same budget. */
void vfu_note(struct gvt_vfu *vfu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int vfu_send(struct gvt_vfu *vfu, const struct vfu_hdr *hdr,
	     const void *payload, size_t len);
/* Send a request and wait for its reply until @deadline (vfu_now_ns()). */
int vfu_request(struct gvt_vfu *vfu, uint16_t command, const void *payload,
		size_t len, struct vfu_msg *reply, uint64_t deadline);
void vfu_msg_release(struct vfu_msg *msg);
uint64_t vfu_now_ns(void);

/* commands.c */
uint8_t *vfu_reply_space(struct gvt_vfu *vfu, struct vfu_reply *out,
			 size_t len);
/* The reply is a copy of @len bytes at @data. Return: 0 or -ENOMEM. */
int vfu_reply_copy(struct gvt_vfu *vfu, struct vfu_reply *out,
		   const void *data, size_t len);
void vfu_handle(struct gvt_vfu *vfu, struct vfu_msg *msg);

/* dma.c */
vfu_cmd_fn vfu_dma_map_cmd;
vfu_cmd_fn vfu_dma_unmap_cmd;
/* The client is gone: forget its regions (those libgvt still maps into
 * stay mapped until it lets go, or until vfu_dma_destroy()). */
void vfu_dma_release_all(struct gvt_vfu *vfu);
void vfu_dma_destroy(struct gvt_vfu *vfu);

/* irq.c */
int vfu_irq_info(struct gvt_vfu *vfu, uint32_t index, struct vfu_irq_info *out);
vfu_cmd_fn vfu_set_irqs_cmd;
void vfu_irq_event(struct gvt_vfu *vfu, int fd);
void vfu_irq_release_all(struct gvt_vfu *vfu);
void vfu_irq_reset(struct gvt_vfu *vfu);
int vfu_inject_msi(void *hv, uint64_t addr, uint32_t data);
int vfu_set_intx(void *hv, bool asserted);

#endif /* GVT_VFU_INTERNAL_H */
