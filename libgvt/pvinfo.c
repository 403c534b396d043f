// SPDX-License-Identifier: MIT
/*
 * The PVINFO page: the shared page at BAR0 + 0x78000 through which a
 * GVT-aware guest learns it runs on a vGPU (magic, version, caps), which
 * graphics memory and fences are its own (ballooning info), and through
 * which it notifies the host of PPGTT and context lifetimes. Layout from
 * i915_pvinfo.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "private.h"
#include "reg.h"

#define PV(off) (VGT_PVINFO_PAGE + (off))

#define PV_MAGIC		PV(0x000)	/* u64 */
#define PV_VERSION_MAJOR	PV(0x008)	/* u16 */
#define PV_VERSION_MINOR	PV(0x00a)	/* u16 */
#define PV_VGT_ID		PV(0x00c)
#define PV_VGT_CAPS		PV(0x010)
#define PV_MAPPABLE_BASE	PV(0x040)
#define PV_MAPPABLE_SIZE	PV(0x044)
#define PV_NONMAPPABLE_BASE	PV(0x048)
#define PV_NONMAPPABLE_SIZE	PV(0x04c)
#define PV_FENCE_NUM		PV(0x050)
#define PV_DISPLAY_READY	PV(0x804)
#define PV_RSV5			PV(0x808)	/* 4 dwords */
#define PV_G2V_NOTIFY		PV(0x818)
#define PV_CURSOR_X_HOT		PV(0x830)
#define PV_CURSOR_Y_HOT		PV(0x834)
#define PV_PDP(n)		PV(0x838 + 8 * (n))	/* lo, then hi */
#define PV_EXECLIST_DESC_LO	PV(0x858)
#define PV_EXECLIST_DESC_HI	PV(0x85c)

#define VGT_MAGIC		0x4776544776544776ull
#define VGT_CAPS_FULL_PPGTT	BIT(2)
#define VGT_CAPS_HWSP_EMULATION	BIT(3)
#define VGT_CAPS_HUGE_GTT	BIT(4)

enum vgt_g2v_type {
	VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE = 2,
	VGT_G2V_PPGTT_L3_PAGE_TABLE_DESTROY,
	VGT_G2V_PPGTT_L4_PAGE_TABLE_CREATE,
	VGT_G2V_PPGTT_L4_PAGE_TABLE_DESTROY,
	VGT_G2V_EXECLIST_CONTEXT_CREATE,
	VGT_G2V_EXECLIST_CONTEXT_DESTROY,
};

void gvt_pvinfo_populate(struct gvt_vgpu *vgpu)
{
	uint32_t *page = vgpu_vreg32(vgpu, VGT_PVINFO_PAGE);

	memset(page, 0, VGT_PVINFO_SIZE);
	*vgpu_vreg32(vgpu, PV_MAGIC) = (uint32_t)VGT_MAGIC;
	*vgpu_vreg32(vgpu, PV_MAGIC + 4) = (uint32_t)(VGT_MAGIC >> 32);
	*vgpu_vreg32(vgpu, PV_VERSION_MAJOR) = 1 | 0 << 16; /* 1.0 */
	*vgpu_vreg32(vgpu, PV_VGT_ID) = vgpu->id;
	*vgpu_vreg32(vgpu, PV_VGT_CAPS) = VGT_CAPS_FULL_PPGTT |
					  VGT_CAPS_HWSP_EMULATION |
					  VGT_CAPS_HUGE_GTT;
	*vgpu_vreg32(vgpu, PV_MAPPABLE_BASE) = (uint32_t)vgpu->low_gm.start;
	*vgpu_vreg32(vgpu, PV_MAPPABLE_SIZE) = (uint32_t)vgpu->low_gm.size;
	*vgpu_vreg32(vgpu, PV_NONMAPPABLE_BASE) = (uint32_t)vgpu->high_gm.start;
	*vgpu_vreg32(vgpu, PV_NONMAPPABLE_SIZE) = (uint32_t)vgpu->high_gm.size;
	*vgpu_vreg32(vgpu, PV_FENCE_NUM) = vgpu->fence_count;
	*vgpu_vreg32(vgpu, PV_CURSOR_X_HOT) = UINT32_MAX;
	*vgpu_vreg32(vgpu, PV_CURSOR_Y_HOT) = UINT32_MAX;
}

void gvt_pvinfo_reset(struct gvt_vgpu *vgpu)
{
	struct gvt_pvinfo_state *pv = &vgpu->pv;

	pv->pv_notified = false;
	pv->display_ready = false;
	pv->ctx_notifications = 0;
	gvt_pvinfo_populate(vgpu);
}

uint32_t pvinfo_mmio_read(struct gvt_vgpu *vgpu, uint32_t offset)
{
	/* Reading PVINFO is how a guest shows it knows it runs on a vGPU. */
	vgpu->pv.pv_notified = true;
	return *vgpu_vreg32(vgpu, offset);
}

static void g2v_notify(struct gvt_vgpu *vgpu, uint32_t type)
{
	struct gvt_ppgtt_root key = { .levels = 0 };

	switch (type) {
	case VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE:
	case VGT_G2V_PPGTT_L3_PAGE_TABLE_DESTROY:
		key.levels = 3;
		for (unsigned int i = 0; i < 4; i++)
			key.pdp[i] = *vgpu_vreg32(vgpu, PV_PDP(i)) |
				     (uint64_t)*vgpu_vreg32(vgpu, PV_PDP(i) + 4) << 32;
		break;
	case VGT_G2V_PPGTT_L4_PAGE_TABLE_CREATE:
	case VGT_G2V_PPGTT_L4_PAGE_TABLE_DESTROY:
		key.levels = 4;
		key.pdp[0] = *vgpu_vreg32(vgpu, PV_PDP(0)) |
			     (uint64_t)*vgpu_vreg32(vgpu, PV_PDP(0) + 4) << 32;
		break;
	case VGT_G2V_EXECLIST_CONTEXT_CREATE:
	case VGT_G2V_EXECLIST_CONTEXT_DESTROY:
	case 1: /* an old guest's "execlist context" notification */
		vgpu->pv.ctx_notifications++;
		return;
	default:
		gvt_vgpu_guest_err(vgpu, "PVINFO: unknown g2v notification %u",
				   type);
		return;
	}
	if (type == VGT_G2V_PPGTT_L3_PAGE_TABLE_CREATE ||
	    type == VGT_G2V_PPGTT_L4_PAGE_TABLE_CREATE) {
		/* Shadowed now, as GVT-g does: the guest submits right after. */
		int ret = gvt_ppgtt_create(vgpu, &key, NULL);

		if (ret == -ENOMEM)
			gvt_vgpu_err(vgpu, "PVINFO: out of memory shadowing L%u PPGTT 0x%llx",
				     key.levels, (unsigned long long)key.pdp[0]);
		else if (ret)
			gvt_vgpu_guest_err(vgpu, "PVINFO: L%u PPGTT 0x%llx refused (%d)",
					   key.levels,
					   (unsigned long long)key.pdp[0], ret);
	} else if (gvt_ppgtt_destroy(vgpu, &key)) {
		gvt_vgpu_guest_err(vgpu, "PVINFO: destroy of unknown L%u PPGTT 0x%llx",
				   key.levels, (unsigned long long)key.pdp[0]);
	}
}

void pvinfo_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case PV_DISPLAY_READY:
		if (value > 1) {
			gvt_vgpu_guest_err(vgpu, "PVINFO: display_ready %u is neither 0 nor 1",
					   value);
			return;
		}
		*vgpu_vreg32(vgpu, offset) = value;
		/* Debug only: the guest decides how often this happens. */
		if (vgpu->pv.display_ready != (value == 1))
			gvt_vgpu_dbg(vgpu, GVT_DBG_DPY, "guest display %s",
				     value ? "ready" : "not ready");
		vgpu->pv.display_ready = value == 1;
		return;
	case PV_G2V_NOTIFY:
		*vgpu_vreg32(vgpu, offset) = value;
		g2v_notify(vgpu, value);
		return;
	case PV_CURSOR_X_HOT:
	case PV_CURSOR_Y_HOT:
	case PV_PDP(0) ... PV_EXECLIST_DESC_HI:
		*vgpu_vreg32(vgpu, offset) = value;
		return;
	case PV_RSV5 ... PV_RSV5 + 12:
		/* i915 writes here when it cannot live with what PVINFO gave
		 * it: the vGPU is unusable for this guest. */
		gvt_vgpu_enter_failsafe(vgpu, "guest reported insufficient resources (PVINFO rsv5 write 0x%x at 0x%x)",
					value, offset);
		return;
	default:
		gvt_vgpu_guest_err(vgpu, "PVINFO: write 0x%x to read-only 0x%x ignored",
				   value, offset);
		return;
	}
}
