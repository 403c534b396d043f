// SPDX-License-Identifier: MIT
/*
 * The vfio-user wire format, written from QEMU's docs/interop/vfio-user.rst:
 * a 16-byte header, then a command-specific payload. Fields are in host
 * byte order, which the protocol defines as the order both ends share
 * (little-endian here). The structs below describe payloads only.
 */
#ifndef GVT_VFU_PROTO_H
#define GVT_VFU_PROTO_H

#include <assert.h>
#include <stdint.h>

enum vfu_command {
	VFU_CMD_VERSION = 1,
	VFU_CMD_DMA_MAP = 2,
	VFU_CMD_DMA_UNMAP = 3,
	VFU_CMD_DEVICE_GET_INFO = 4,
	VFU_CMD_DEVICE_GET_REGION_INFO = 5,
	VFU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
	VFU_CMD_DEVICE_GET_IRQ_INFO = 7,
	VFU_CMD_DEVICE_SET_IRQS = 8,
	VFU_CMD_REGION_READ = 9,
	VFU_CMD_REGION_WRITE = 10,
	VFU_CMD_DMA_READ = 11,
	VFU_CMD_DMA_WRITE = 12,
	VFU_CMD_DEVICE_RESET = 13,
	VFU_CMD_REGION_WRITE_MULTI = 15,
	VFU_CMD_DEVICE_FEATURE = 16,
	VFU_CMD_MAX = 18,
};

struct vfu_hdr {
	uint16_t msg_id;	/* chosen by the sender, echoed in the reply */
	uint16_t command;
	uint32_t size;		/* bytes, header included */
	uint32_t flags;
	uint32_t error;		/* positive errno, with VFU_FLAG_ERROR */
};
static_assert(sizeof(struct vfu_hdr) == 16, "vfio-user header is 16 bytes");

#define VFU_HDR_SIZE		16u
#define VFU_FLAG_TYPE_MASK	0xfu
#define VFU_TYPE_COMMAND	0u
#define VFU_TYPE_REPLY		1u
#define VFU_FLAG_NO_REPLY	(1u << 4)
#define VFU_FLAG_ERROR		(1u << 5)

/* VERSION: major, minor, then NUL-terminated JSON capabilities. */
struct vfu_version {
	uint16_t major;
	uint16_t minor;
	char json[];
};

struct vfu_dma_map {
	uint32_t argsz;
	uint32_t flags;		/* VFU_DMA_READ | VFU_DMA_WRITE */
	uint64_t offset;	/* into the descriptor sent with the message */
	uint64_t addr;		/* guest-physical */
	uint64_t size;
};
static_assert(sizeof(struct vfu_dma_map) == 32, "DMA_MAP payload");
#define VFU_DMA_READ		(1u << 0)
#define VFU_DMA_WRITE		(1u << 1)

struct vfu_dma_unmap {
	uint32_t argsz;
	uint32_t flags;		/* VFU_UNMAP_* */
	uint64_t addr;
	uint64_t size;
};
static_assert(sizeof(struct vfu_dma_unmap) == 24, "DMA_UNMAP payload");
#define VFU_UNMAP_GET_DIRTY_BITMAP	(1u << 0)
#define VFU_UNMAP_ALL			(1u << 1)

struct vfu_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
};
static_assert(sizeof(struct vfu_device_info) == 16, "DEVICE_GET_INFO payload");

struct vfu_region_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t cap_offset;
	uint64_t size;
	uint64_t offset;
};
static_assert(sizeof(struct vfu_region_info) == 32, "GET_REGION_INFO payload");

struct vfu_irq_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t count;
};
static_assert(sizeof(struct vfu_irq_info) == 16, "GET_IRQ_INFO payload");

struct vfu_irq_set {
	uint32_t argsz;
	uint32_t flags;
	uint32_t index;
	uint32_t start;
	uint32_t count;
	uint8_t data[];		/* DATA_BOOL: one byte per interrupt */
};
static_assert(sizeof(struct vfu_irq_set) == 20, "SET_IRQS payload");

struct vfu_region_access {
	uint64_t offset;
	uint32_t region;
	uint32_t count;
	uint8_t data[];
};
static_assert(sizeof(struct vfu_region_access) == 16, "REGION_READ/WRITE payload");

struct vfu_write_multi_entry {
	uint64_t offset;
	uint32_t region;
	uint32_t count;		/* 1 .. 8 */
	uint8_t data[8];
};
static_assert(sizeof(struct vfu_write_multi_entry) == 24, "WRITE_MULTI entry");
#define VFU_WRITE_MULTI_MAX	200u

/* DMA_READ / DMA_WRITE, sent by the server. */
struct vfu_dma_access {
	uint64_t addr;
	uint64_t count;
	uint8_t data[];
};
static_assert(sizeof(struct vfu_dma_access) == 16, "DMA_READ/WRITE payload");

#endif /* GVT_VFU_PROTO_H */
