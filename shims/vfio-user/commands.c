// SPDX-License-Identifier: MIT
/*
 * One handler per vfio-user command, and the device the client sees: a
 * vfio-pci device with config space, BAR0 (registers and GGTT), BAR2 (the
 * aperture) and BAR4 (the I/O window), INTx and one MSI vector.
 *
 * Handlers validate every field before acting and return 0 with a reply
 * payload, or -errno for an error reply; none trusts a length, an index or
 * an offset it did not check. A rule the client breaks is logged once
 * here, with the detail only the handler knows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json.h"

uint8_t *vfu_reply_space(struct gvt_vfu *vfu, struct vfu_reply *out,
			    size_t len)
{
	if (len > vfu->scratch_cap) {
		uint8_t *p = realloc(vfu->scratch, len);

		if (!p)
			return NULL;
		vfu->scratch = p;
		vfu->scratch_cap = len;
	}
	memset(vfu->scratch, 0, len);
	out->data = vfu->scratch;
	out->len = len;
	return vfu->scratch;
}

int vfu_reply_copy(struct gvt_vfu *vfu, struct vfu_reply *out,
		   const void *data, size_t len)
{
	uint8_t *p = vfu_reply_space(vfu, out, len);

	if (!p)
		return -ENOMEM;
	memcpy(p, data, len);
	return 0;
}

/* ---- VERSION ---- */

/* Offer only what the client proposed (the protocol's rule) and what this
 * server does; anything longer than the client's own proposal would not
 * fit QEMU's reply buffer, and this is far shorter. */
static int cmd_version(struct gvt_vfu *vfu, struct vfu_msg *msg,
		       struct vfu_reply *out)
{
	struct vfu_version v;
	const char *text = (const char *)msg->payload + sizeof(v);
	size_t text_len = msg->len - sizeof(v);
	struct json *caps_doc = NULL;
	char err[96], json[160];
	uint64_t max_xfer = VFU_MAX_XFER;
	bool multi = false;
	uint8_t *p;
	int n;

	memcpy(&v, msg->payload, sizeof(v));
	if (msg->len > VFU_VERSION_MAX) {
		vfu_warn(vfu, "client: VERSION of %u bytes; at most %u are read",
			 msg->len, VFU_VERSION_MAX);
		return -E2BIG;
	}
	if (vfu->negotiated) {
		vfu_warn(vfu, "client: VERSION sent twice");
		return -EINVAL;
	}
	if (v.major != 0) {
		vfu_warn(vfu, "client: protocol version %u.%u; this server speaks 0.0",
			 v.major, v.minor);
		return -ENOTSUP;
	}
	if (text_len) {
		const struct json *caps, *mx;

		if (text[text_len - 1] != '\0' || strlen(text) != text_len - 1) {
			vfu_warn(vfu, "client: VERSION capabilities are not one NUL-terminated string");
			return -EINVAL;
		}
		caps_doc = json_parse(text, err, sizeof(err));
		if (!caps_doc || caps_doc->type != JSON_OBJECT) {
			vfu_warn(vfu, "client: VERSION capabilities: %s",
				 caps_doc ? "not a JSON object" : err);
			json_free(caps_doc);
			return -EINVAL;
		}
		caps = json_get(caps_doc, "capabilities");
		if (caps && caps->type == JSON_OBJECT) {
			mx = json_get(caps, "max_data_xfer_size");
			if (mx && mx->type == JSON_INT && mx->u)
				max_xfer = mx->u < VFU_MAX_XFER ? mx->u : VFU_MAX_XFER;
			multi = json_get_bool(caps, "write_multiple", false);
		}
		json_free(caps_doc);
	}

	n = snprintf(json, sizeof(json),
		     "{\"capabilities\":{\"max_msg_fds\":%u,\"max_data_xfer_size\":%u%s}}",
		     VFU_MAX_FDS, VFU_MAX_XFER, multi ? ",\"write_multiple\":true" : "");
	p = vfu_reply_space(vfu, out, sizeof(v) + (size_t)n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + sizeof(v), json, (size_t)n + 1); /* major 0, minor 0 */
	vfu->negotiated = true;
	vfu->write_multi = multi;
	vfu->client_max_xfer = max_xfer;
	vfu_log(vfu, GVT_LOG_DEBUG, "client: protocol 0.0, capabilities %s", json);
	return 0;
}

/* ---- the device ---- */

static int cmd_get_info(struct gvt_vfu *vfu, struct vfu_msg *msg,
			struct vfu_reply *out)
{
	struct vfu_device_info info = {
		.argsz = sizeof(info),
		.flags = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI,
		.num_regions = VFU_NUM_REGIONS,
		.num_irqs = VFU_NUM_IRQS,
	};
	uint32_t argsz;

	memcpy(&argsz, msg->payload, sizeof(argsz));
	if (argsz < sizeof(info)) {
		vfu_warn(vfu, "client: DEVICE_GET_INFO with argsz %u", argsz);
		return -EINVAL;
	}
	return vfu_reply_copy(vfu, out, &info, sizeof(info));
}

/* Size of region @index as the client sees it; 0 for a region the device
 * does not have (vfio-pci reports every index). */
static uint64_t region_size(struct gvt_vfu *vfu, uint32_t index)
{
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return GVT_CFG_SPACE_SIZE;
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return vfu->bar[index].size;
	return 0; /* ROM, VGA */
}

static int cmd_get_region_info(struct gvt_vfu *vfu, struct vfu_msg *msg,
			       struct vfu_reply *out)
{
	struct vfu_region_info info;

	memcpy(&info, msg->payload, sizeof(info));
	if (info.argsz < sizeof(info) || info.index >= VFU_NUM_REGIONS) {
		vfu_warn(vfu, "client: GET_REGION_INFO with argsz %u, index %u",
			 info.argsz, info.index);
		return -EINVAL;
	}
	info.argsz = sizeof(info);
	info.cap_offset = 0;
	info.offset = 0;
	info.size = region_size(vfu, info.index);
	/* Readable and writable, never mappable: every access must reach
	 * libgvt (and no MMAP flag keeps QEMU's posted writes on). */
	info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
				 VFIO_REGION_INFO_FLAG_WRITE : 0;
	return vfu_reply_copy(vfu, out, &info, sizeof(info));
}

static int cmd_get_irq_info(struct gvt_vfu *vfu, struct vfu_msg *msg,
			    struct vfu_reply *out)
{
	struct vfu_irq_info info;
	int ret;

	memcpy(&info, msg->payload, sizeof(info));
	if (info.argsz < sizeof(info) || info.index >= VFU_NUM_IRQS) {
		vfu_warn(vfu, "client: GET_IRQ_INFO with argsz %u, index %u",
			 info.argsz, info.index);
		return -EINVAL;
	}
	ret = vfu_irq_info(vfu, info.index, &info);
	if (ret)
		return ret;
	return vfu_reply_copy(vfu, out, &info, sizeof(info));
}

/* ---- region accesses ---- */

/* The largest naturally aligned access at @offset that fits @count and
 * @widest: the entry points take 1, 2, 4 or 8 bytes, aligned. */
static uint32_t access_width(uint64_t offset, uint32_t count, uint32_t widest)
{
	uint32_t w = widest;

	while (w > 1 && ((offset & (w - 1)) || w > count))
		w >>= 1;
	return w;
}

typedef int vfu_rw_fn(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		      uint32_t len, bool write);

static int rw_cfg(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		  uint32_t len, bool write)
{
	return write ? gvt_vgpu_cfg_write(vgpu, (uint32_t)offset, buf, len) :
		       gvt_vgpu_cfg_read(vgpu, (uint32_t)offset, buf, len);
}

static int rw_bar0(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		   uint32_t len, bool write)
{
	return write ? gvt_vgpu_mmio_write(vgpu, offset, buf, len) :
		       gvt_vgpu_mmio_read(vgpu, offset, buf, len);
}

static int rw_bar2(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		   uint32_t len, bool write)
{
	return write ? gvt_vgpu_aperture_write(vgpu, offset, buf, len) :
		       gvt_vgpu_aperture_read(vgpu, offset, buf, len);
}

static int rw_bar4(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		   uint32_t len, bool write)
{
	return write ? gvt_vgpu_io_write(vgpu, (uint32_t)offset, buf, len) :
		       gvt_vgpu_io_read(vgpu, (uint32_t)offset, buf, len);
}

/* Read or write @count bytes of region @index at @offset. */
static int region_rw(struct gvt_vfu *vfu, uint32_t index, uint64_t offset,
		     uint8_t *data, uint32_t count, bool write)
{
	uint64_t size = region_size(vfu, index);
	uint32_t widest = 8;
	vfu_rw_fn *rw;
	uint64_t start;
	int ret = 0;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		rw = rw_cfg;
		widest = 4;
		vfu->stats.cfg_accesses++;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		rw = rw_bar0;
		vfu->stats.mmio_accesses++;
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		rw = rw_bar2;
		vfu->stats.aperture_accesses++;
		break;
	case VFIO_PCI_BAR4_REGION_INDEX:
		rw = rw_bar4;
		widest = 4;
		vfu->stats.mmio_accesses++;
		break;
	default:
		size = 0;
		rw = NULL;
		break;
	}
	if (!rw || !count || offset >= size || count > size - offset) {
		vfu_warn(vfu, "client: %s of %u bytes at 0x%llx of region %u, which has %llu bytes",
			 write ? "write" : "read", count, (unsigned long long)offset,
			 index, (unsigned long long)size);
		return -EINVAL;
	}
	vfu->stats.exits++;
	start = vfu_now_ns();
	while (count && !ret) {
		uint32_t w = access_width(offset, count, widest);

		ret = rw(vfu->vgpu, offset, data, w, write);
		offset += w;
		data += w;
		count -= w;
	}
	vfu->stats.libgvt_ns += vfu_now_ns() - start;
	return ret;
}

static int cmd_region_read(struct gvt_vfu *vfu, struct vfu_msg *msg,
			   struct vfu_reply *out)
{
	struct vfu_region_access acc;
	uint8_t *p;

	memcpy(&acc, msg->payload, sizeof(acc));
	if (acc.count > VFU_MAX_XFER) {
		vfu_warn(vfu, "client: REGION_READ of %u bytes; at most %u are allowed",
			 acc.count, VFU_MAX_XFER);
		return -E2BIG;
	}
	p = vfu_reply_space(vfu, out, sizeof(acc) + acc.count);
	if (!p)
		return -ENOMEM;
	memcpy(p, &acc, sizeof(acc));
	return region_rw(vfu, acc.region, acc.offset, p + sizeof(acc),
			 acc.count, false);
}

static int cmd_region_write(struct gvt_vfu *vfu, struct vfu_msg *msg,
			    struct vfu_reply *out)
{
	struct vfu_region_access acc;
	int ret;

	memcpy(&acc, msg->payload, sizeof(acc));
	if (acc.count != msg->len - sizeof(acc)) {
		vfu_warn(vfu, "client: REGION_WRITE of %u bytes carries %zu",
			 acc.count, msg->len - sizeof(acc));
		return -EINVAL;
	}
	ret = region_rw(vfu, acc.region, acc.offset, msg->payload + sizeof(acc),
			acc.count, true);
	if (ret)
		return ret;
	return vfu_reply_copy(vfu, out, &acc, sizeof(acc));
}

/* Posted writes QEMU batched; they are applied in order, and the first
 * failure is reported after the rest were tried, as separate writes
 * would have been. */
static int cmd_region_write_multi(struct gvt_vfu *vfu, struct vfu_msg *msg,
				  struct vfu_reply *out)
{
	uint64_t count;
	int first_err = 0;

	memcpy(&count, msg->payload, sizeof(count));
	if (!vfu->write_multi || count > VFU_WRITE_MULTI_MAX ||
	    msg->len != sizeof(count) + count * sizeof(struct vfu_write_multi_entry)) {
		vfu_warn(vfu, "client: REGION_WRITE_MULTI of %llu writes in %u bytes%s",
			 (unsigned long long)count, msg->len,
			 vfu->write_multi ? "" : " (not negotiated)");
		return -EINVAL;
	}
	for (uint64_t i = 0; i < count; i++) {
		struct vfu_write_multi_entry e;
		int ret;

		memcpy(&e, msg->payload + sizeof(count) + i * sizeof(e), sizeof(e));
		if (e.count < 1 || e.count > sizeof(e.data)) {
			vfu_warn(vfu, "client: REGION_WRITE_MULTI entry of %u bytes",
				 e.count);
			ret = -EINVAL;
		} else {
			ret = region_rw(vfu, e.region, e.offset, e.data, e.count,
					true);
		}
		if (ret && !first_err)
			first_err = ret;
	}
	if (first_err)
		return first_err;
	return vfu_reply_copy(vfu, out, &count, sizeof(count));
}

static int cmd_device_reset(struct gvt_vfu *vfu, struct vfu_msg *msg,
			    struct vfu_reply *out)
{
	int ret = gvt_vgpu_reset(vfu->vgpu);

	vfu_irq_reset(vfu);
	vfu_log(vfu, GVT_LOG_DEBUG, "client: device reset");
	return ret;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	vfu_cmd_fn *fn;
	uint32_t min_len;	/* payload bytes the handler reads unchecked */
	bool takes_fds;
} commands[VFU_CMD_MAX + 1] = {
	[VFU_CMD_VERSION] = { "VERSION", cmd_version, sizeof(struct vfu_version), false },
	[VFU_CMD_DMA_MAP] = { "DMA_MAP", vfu_dma_map_cmd, sizeof(struct vfu_dma_map), true },
	[VFU_CMD_DMA_UNMAP] = { "DMA_UNMAP", vfu_dma_unmap_cmd, sizeof(struct vfu_dma_unmap), false },
	[VFU_CMD_DEVICE_GET_INFO] = { "DEVICE_GET_INFO", cmd_get_info, sizeof(uint32_t), false },
	[VFU_CMD_DEVICE_GET_REGION_INFO] = { "DEVICE_GET_REGION_INFO", cmd_get_region_info,
					     sizeof(struct vfu_region_info), false },
	[VFU_CMD_DEVICE_GET_REGION_IO_FDS] = { "DEVICE_GET_REGION_IO_FDS", NULL, 0, false },
	[VFU_CMD_DEVICE_GET_IRQ_INFO] = { "DEVICE_GET_IRQ_INFO", cmd_get_irq_info,
					  sizeof(struct vfu_irq_info), false },
	[VFU_CMD_DEVICE_SET_IRQS] = { "DEVICE_SET_IRQS", vfu_set_irqs_cmd,
				      sizeof(struct vfu_irq_set), true },
	[VFU_CMD_REGION_READ] = { "REGION_READ", cmd_region_read,
				  sizeof(struct vfu_region_access), false },
	[VFU_CMD_REGION_WRITE] = { "REGION_WRITE", cmd_region_write,
				   sizeof(struct vfu_region_access), false },
	[VFU_CMD_DMA_READ] = { "DMA_READ", NULL, 0, false },
	[VFU_CMD_DMA_WRITE] = { "DMA_WRITE", NULL, 0, false },
	[VFU_CMD_DEVICE_RESET] = { "DEVICE_RESET", cmd_device_reset, 0, false },
	[VFU_CMD_REGION_WRITE_MULTI] = { "REGION_WRITE_MULTI", cmd_region_write_multi,
					 sizeof(uint64_t), false },
	[VFU_CMD_DEVICE_FEATURE] = { "DEVICE_FEATURE", NULL, 0, false },
};

static int check_and_run(struct gvt_vfu *vfu, struct vfu_msg *msg,
			 struct vfu_reply *out)
{
	uint16_t cmd = msg->hdr.command;
	const char *name = cmd <= VFU_CMD_MAX ? commands[cmd].name : NULL;

	if (!name || !commands[cmd].fn) {
		/* Not implemented: QEMU asks for DEVICE_FEATURE and copes. */
		vfu_log(vfu, GVT_LOG_DEBUG, "client: command %u (%s) is not supported",
			cmd, name ? name : "unknown");
		if (cmd == VFU_CMD_DEVICE_FEATURE)
			return -ENOTTY;
		if (cmd == VFU_CMD_DMA_READ || cmd == VFU_CMD_DMA_WRITE)
			return -EINVAL; /* the server's to send, not the client's */
		return -ENOSYS;
	}
	if (!vfu->negotiated && cmd != VFU_CMD_VERSION) {
		vfu_warn(vfu, "client: %s before VERSION", name);
		return -EINVAL;
	}
	if (msg->len < commands[cmd].min_len) {
		vfu_warn(vfu, "client: %s of %u payload bytes; it needs %u", name,
			 msg->len, commands[cmd].min_len);
		return -EINVAL;
	}
	if (msg->fds_bad || (msg->nfds && !commands[cmd].takes_fds)) {
		vfu_warn(vfu, "client: %s carries %u unexpected descriptors", name,
			 msg->nfds);
		return -EINVAL;
	}
	return commands[cmd].fn(vfu, msg, out);
}

void vfu_handle(struct gvt_vfu *vfu, struct vfu_msg *msg)
{
	struct vfu_reply out = { NULL, 0 };
	struct vfu_hdr hdr = {
		.msg_id = msg->hdr.msg_id,
		.command = msg->hdr.command,
		.flags = VFU_TYPE_REPLY,
	};
	int ret;

	vfu->stats.messages++;
	ret = check_and_run(vfu, msg, &out);
	if (msg->hdr.flags & VFU_FLAG_NO_REPLY)
		return;
	if (ret < 0) {
		hdr.flags |= VFU_FLAG_ERROR;
		hdr.error = (uint32_t)-ret;
		out.len = 0;
	}
	hdr.size = (uint32_t)(VFU_HDR_SIZE + out.len);
	vfu_send(vfu, &hdr, out.data, out.len);
}
