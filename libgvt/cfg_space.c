// SPDX-License-Identifier: MIT
/*
 * Virtual PCI configuration space of a vGPU: a Skylake GT2 function as a
 * GVT-g vGPU presents it. Every byte has a write mask and a write-1-to-clear
 * mask, so read-only bits stay read-only and BAR sizing falls out of the
 * masks without special cases.
 */
#include <errno.h>
#include <string.h>

#include "cfg_space.h"
#include "interrupt.h"
#include "private.h"
#include "reg.h"

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND_IO		BIT(0)
#define PCI_COMMAND_MEMORY	BIT(1)
#define PCI_STATUS_CAP_LIST	BIT(4)
#define PCI_STATUS_ERRORS	0xf900	/* parity, aborts, SERR: RW1C */
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_BAR0		0x10
#define PCI_BAR2		0x18
#define PCI_BAR4		0x20
#define PCI_BAR_MEM_TYPE_64	0x4
#define PCI_BAR_MEM_PREFETCH	0x8
#define PCI_BAR_IO_SPACE	0x1
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

/* Intel IGD registers. */
#define IGD_GMCH_CTRL		0x50	/* GGC */
#define IGD_GMCH_LOCK		BIT(0)
#define IGD_GMCH_GGMS_SHIFT	6	/* GGTT size: 1 << n MiB */
#define IGD_GMCH_GGMS_8M	3
#define IGD_BDSM		0x5c	/* base of stolen memory */
#define IGD_MSAC		0x62	/* aperture size: 0x01 256M, 0x03 512M, 0x07 1G */

/* Capabilities, at their offsets on a real Skylake GT2. Its PCI Express
 * capability (0x70) and extended capabilities (PASID, ATS, PRI) are left
 * out: a vGPU is a conventional function and offers none of them. */
#define CAP_VENDOR		0x40
#define PCI_CAP_ID_VNDR		0x09
#define CAP_VENDOR_LEN		0x0c
#define PCI_CAP_ID_MSI		0x05
#define MSI_FLAGS_QSIZE		0x70	/* multiple message enable */
#define MSI_ADDRESS		(CAP_MSI + 4)
#define MSI_DATA		(CAP_MSI + 8)
#define CAP_PM			0xd0
#define PCI_CAP_ID_PM		0x01
#define PM_PMC			(CAP_PM + 2)
#define PM_PMC_VALUE		0x0022	/* PM 1.1 (version 2), DSI */
#define PM_CTRL			(CAP_PM + 4)
#define PM_CTRL_STATE_MASK	0x3
#define PM_CTRL_NO_SOFT_RESET	BIT(3)
#define PM_STATE_D0		0
#define PM_STATE_D3HOT		3

static void put8(struct gvt_cfg_space *cfg, unsigned int off, uint8_t v)
{
	cfg->data[off] = v;
}

static void put16(struct gvt_cfg_space *cfg, unsigned int off, uint16_t v)
{
	cfg->data[off] = (uint8_t)v;
	cfg->data[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *bytes, unsigned int off, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		bytes[off + i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const struct gvt_cfg_space *cfg, unsigned int off)
{
	return (uint16_t)(cfg->data[off] | cfg->data[off + 1] << 8);
}

static uint32_t get32(const struct gvt_cfg_space *cfg, unsigned int off)
{
	return (uint32_t)get16(cfg, off) | (uint32_t)get16(cfg, off + 2) << 16;
}

/* A 64-bit memory BAR of @size bytes at @off: the address bits below
 * @size read as zero, which is what the sizing protocol reads back. */
static void init_bar64(struct gvt_cfg_space *cfg, unsigned int off,
		       uint64_t size, uint32_t flags)
{
	uint64_t wmask = ~(size - 1);

	put32(cfg->data, off, flags | PCI_BAR_MEM_TYPE_64);
	put32(cfg->data, off + 4, 0);
	put32(cfg->wmask, off, (uint32_t)wmask & ~0xfu);
	put32(cfg->wmask, off + 4, (uint32_t)(wmask >> 32));
}

void gvt_cfg_init(struct gvt_vgpu *vgpu)
{
	const struct gvt_platform_desc *p = vgpu->ctx->platform;
	struct gvt_cfg_space *cfg = &vgpu->cfg;

	memset(cfg, 0, sizeof(*cfg));

	put16(cfg, PCI_VENDOR_ID, p->vendor_id);
	put16(cfg, PCI_DEVICE_ID, p->device_id);
	/* Decoding and bus mastering start off, as after a reset. */
	put16(cfg, PCI_COMMAND, 0);
	cfg->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
				  PCI_COMMAND_MASTER;
	cfg->wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	put16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg->w1cmask[PCI_STATUS + 1] = PCI_STATUS_ERRORS >> 8;
	put8(cfg, PCI_REVISION_ID, p->revision);
	put8(cfg, PCI_CLASS_PROG, (uint8_t)p->class_code);
	put16(cfg, PCI_CLASS_PROG + 1, (uint16_t)(p->class_code >> 8));

	init_bar64(cfg, PCI_BAR0, GVT_BAR0_SIZE, 0);
	/* BAR2 spans the host's whole aperture: ballooning makes a guest's GM
	 * addresses equal the host's, so aperture offset X is GM address X. */
	init_bar64(cfg, PCI_BAR2, vgpu->ctx->aperture_size,
		   PCI_BAR_MEM_PREFETCH);
	put32(cfg->data, PCI_BAR4, PCI_BAR_IO_SPACE);
	put32(cfg->wmask, PCI_BAR4, ~(GVT_BAR4_SIZE - 1));

	put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, p->subsystem_vendor_id);
	put16(cfg, PCI_SUBSYSTEM_ID, p->subsystem_id);
	put8(cfg, PCI_CAPABILITY_LIST, CAP_VENDOR);
	cfg->wmask[PCI_INTERRUPT_LINE] = 0xff;
	put8(cfg, PCI_INTERRUPT_PIN, 1);

	/* An 8 MiB GGTT (4 GiB of GM) and no stolen memory, as a GVT-g vGPU
	 * reports: the guest must not use memory it cannot see. Locked, as
	 * firmware leaves it. */
	put16(cfg, IGD_GMCH_CTRL,
	      IGD_GMCH_GGMS_8M << IGD_GMCH_GGMS_SHIFT | IGD_GMCH_LOCK);
	put32(cfg->data, IGD_BDSM, 0);
	put8(cfg, IGD_MSAC, (uint8_t)(vgpu->ctx->aperture_size / (128 * MiB) - 1));

	/* Vendor-specific capability: its payload (fuse bits) reads as zero. */
	put8(cfg, CAP_VENDOR, PCI_CAP_ID_VNDR);
	put8(cfg, CAP_VENDOR + 1, CAP_MSI);
	put8(cfg, CAP_VENDOR + 2, CAP_VENDOR_LEN);
	put8(cfg, CAP_VENDOR + 3, 1);

	/* MSI: one vector, 32-bit address, no per-vector masking. */
	put8(cfg, CAP_MSI, PCI_CAP_ID_MSI);
	put8(cfg, CAP_MSI + 1, CAP_PM);
	put16(cfg, MSI_FLAGS, 0);
	cfg->wmask[MSI_FLAGS] = MSI_FLAGS_ENABLE | MSI_FLAGS_QSIZE;
	put32(cfg->wmask, MSI_ADDRESS, 0xfffffffc);
	cfg->wmask[MSI_DATA] = 0xff;
	cfg->wmask[MSI_DATA + 1] = 0xff;

	/* Power management: D0 and D3hot. Unlike the real part the vGPU
	 * keeps its state across D3hot -> D0 (No_Soft_Reset): a device-level
	 * reset is the device model's call, not a side effect of power. */
	put8(cfg, CAP_PM, PCI_CAP_ID_PM);
	put8(cfg, CAP_PM + 1, 0);
	put16(cfg, PM_PMC, PM_PMC_VALUE);
	put16(cfg, PM_CTRL, PM_CTRL_NO_SOFT_RESET);
	cfg->wmask[PM_CTRL] = PM_CTRL_STATE_MASK;
}

void gvt_cfg_msi_message(const struct gvt_vgpu *vgpu, uint64_t *addr,
			 uint32_t *data)
{
	*addr = get32(&vgpu->cfg, MSI_ADDRESS);
	*data = get16(&vgpu->cfg, MSI_DATA);
}

static bool cfg_access_ok(struct gvt_vgpu *vgpu, const char *what,
			  uint32_t offset, const void *buf, uint32_t len)
{
	if (!vgpu)
		return false; /* nowhere to log to */
	if (!buf) {
		gvt_vgpu_misuse(vgpu, "config %s: NULL buffer", what);
		return false;
	}
	if (len != 1 && len != 2 && len != 4) {
		gvt_vgpu_misuse(vgpu, "config %s: size %u is not 1, 2 or 4",
				what, len);
		return false;
	}
	if (offset >= GVT_CFG_SPACE_SIZE || len > GVT_CFG_SPACE_SIZE - offset) {
		gvt_vgpu_misuse(vgpu,
				"config %s: offset 0x%x size %u is outside the %u-byte config space",
				what, offset, len, GVT_CFG_SPACE_SIZE);
		return false;
	}
	return true;
}

int gvt_vgpu_cfg_read(struct gvt_vgpu *vgpu, uint32_t offset, void *buf,
		      uint32_t len)
{
	bool locked;

	if (!cfg_access_ok(vgpu, "read", offset, buf, len))
		return -EINVAL;
	locked = gvt_trace_lock(vgpu);
	if (vgpu->trace)
		gvt_trace_begin_read(vgpu);
	memcpy(buf, &vgpu->cfg.data[offset], len);
	vgpu->stats.cfg_reads++;
	if (vgpu->trace)
		gvt_trace_io(vgpu, "cr", offset, len, buf);
	gvt_trace_unlock(vgpu, locked);
	return 0;
}

int gvt_vgpu_cfg_write(struct gvt_vgpu *vgpu, uint32_t offset,
		       const void *buf, uint32_t len)
{
	struct gvt_cfg_space *cfg;
	const uint8_t *src = buf;
	uint8_t old_pm;

	if (!cfg_access_ok(vgpu, "write", offset, buf, len))
		return -EINVAL;
	cfg = &vgpu->cfg;
	/* The GPU thread reads the MSI message when it interrupts. */
	pthread_mutex_lock(&vgpu->lock);
	old_pm = cfg->data[PM_CTRL];
	vgpu->stats.cfg_writes++;
	if (vgpu->trace)
		gvt_trace_io(vgpu, "cw", offset, len, buf);

	for (uint32_t i = 0; i < len; i++) {
		uint32_t at = offset + i;
		uint8_t v = (uint8_t)((cfg->data[at] & ~cfg->wmask[at]) |
				      (src[i] & cfg->wmask[at]));

		cfg->data[at] = (uint8_t)(v & ~(src[i] & cfg->w1cmask[at]));
	}

	/* D1 and D2 are not supported: PCI PM says such a write completes
	 * but its state change is discarded. */
	if (offset <= PM_CTRL && offset + len > PM_CTRL) {
		uint8_t state = cfg->data[PM_CTRL] & PM_CTRL_STATE_MASK;

		if (state != PM_STATE_D0 && state != PM_STATE_D3HOT)
			cfg->data[PM_CTRL] = old_pm;
	}

	/* Enabling MSI, bus mastering or INTx may let a pending interrupt
	 * out; disabling them holds it back. */
	if ((offset <= PCI_COMMAND + 1 && offset + len > PCI_COMMAND) ||
	    (offset <= MSI_FLAGS && offset + len > MSI_FLAGS))
		gvt_irq_update(vgpu);
	pthread_mutex_unlock(&vgpu->lock);
	gvt_vgpu_dbg(vgpu, GVT_DBG_MMIO, "config write 0x%x size %u", offset,
		     len);
	return 0;
}
