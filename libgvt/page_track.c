// SPDX-License-Identifier: MIT
/*
 * Write-protected guest frames, and gvt_vgpu_page_write(), through which a
 * shim reports the guest's writes to them.
 */
#include <errno.h>

#include "hv.h"
#include "private.h"

const struct gvt_u64map_slot *gvt_page_track_find(const struct gvt_vgpu *vgpu,
						  uint64_t gfn)
{
	return gvt_u64map_find(&vgpu->page_track, gfn);
}

int gvt_page_track_add(struct gvt_vgpu *vgpu, uint64_t gfn,
		       gvt_page_track_fn *handler, void *priv)
{
	struct gvt_u64map_slot *slot;
	int ret;

	if (gfn == GVT_U64MAP_EMPTY || !handler)
		return -EINVAL;
	if (gvt_u64map_find(&vgpu->page_track, gfn))
		return -EEXIST;
	ret = gvt_hv_page_track_enable(vgpu, gfn);
	if (ret) {
		gvt_vgpu_err(vgpu, "cannot write-protect gfn 0x%llx: %d",
			     (unsigned long long)gfn, ret);
		return ret;
	}
	slot = gvt_u64map_insert(&vgpu->page_track, gfn);
	if (!slot) {
		gvt_hv_page_track_disable(vgpu, gfn);
		return -ENOMEM;
	}
	slot->value = (uintptr_t)handler;
	slot->aux = (uintptr_t)priv;
	return 0;
}

int gvt_page_track_remove(struct gvt_vgpu *vgpu, uint64_t gfn)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&vgpu->page_track, gfn);
	int ret;

	if (!slot)
		return -ENOENT;
	gvt_u64map_remove(&vgpu->page_track, slot);
	ret = gvt_hv_page_track_disable(vgpu, gfn);
	if (ret)
		gvt_vgpu_err(vgpu, "cannot remove write protection of gfn 0x%llx: %d",
			     (unsigned long long)gfn, ret);
	return ret;
}

void gvt_page_track_remove_all(struct gvt_vgpu *vgpu)
{
	struct gvt_u64map *t = &vgpu->page_track;

	for (uint32_t i = 0; i < t->capacity; i++)
		if (t->slots[i].key != GVT_U64MAP_EMPTY)
			gvt_hv_page_track_disable(vgpu, t->slots[i].key);
	gvt_u64map_fini(t);
}

static int page_write(struct gvt_vgpu *vgpu, uint64_t gpa, const void *buf,
		      uint32_t len)
{
	const struct gvt_u64map_slot *p;
	int ret;

	if (!vgpu)
		return -EINVAL;
	if (!buf || !len || len > GVT_HV_PAGE_SIZE ||
	    (gpa % GVT_HV_PAGE_SIZE) + len > GVT_HV_PAGE_SIZE)
		return gvt_vgpu_misuse(vgpu,
				       "page write: gpa 0x%llx size %u must be 1..4096 bytes within one page",
				       (unsigned long long)gpa, len);
	vgpu->stats.page_writes++;
	if (vgpu->trace)
		gvt_trace_memory_write(vgpu, gpa, buf, len);
	/* Perform the write first: handlers re-read guest memory, as the
	 * shadowing code does for KVM's already-performed writes. */
	ret = gvt_hv_write_gpa(vgpu, gpa, buf, len);
	if (ret) {
		gvt_vgpu_err(vgpu, "page write: gpa 0x%llx size %u not performed: %d",
			     (unsigned long long)gpa, len, ret);
		return ret;
	}
	if (vgpu->trace)
		gvt_trace_note_memory(vgpu, gpa + len);
	pthread_mutex_lock(&vgpu->lock);
	p = gvt_page_track_find(vgpu, gpa / GVT_HV_PAGE_SIZE);
	if (p)
		((gvt_page_track_fn *)(uintptr_t)p->value)(vgpu, gpa, buf, len,
							   (void *)(uintptr_t)p->aux);
	pthread_mutex_unlock(&vgpu->lock);
	return 0;
}

int gvt_vgpu_page_write(struct gvt_vgpu *vgpu, uint64_t gpa, const void *buf,
			uint32_t len)
{
	bool locked = vgpu && gvt_trace_lock(vgpu);
	int ret = page_write(vgpu, gpa, buf, len);

	gvt_trace_unlock(vgpu, locked);
	return ret;
}
