// SPDX-License-Identifier: MIT
/*
 * Write-protected guest frames, and gvt_vgpu_page_write(), through which a
 * shim reports the guest's writes to them.
 *
 * The table is open addressing with linear probing: a lookup is a hash and,
 * nearly always, one cache line, which matters because shadowed page tables
 * put a lookup behind every trapped PTE write.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "private.h"

#define GVT_PT_EMPTY UINT64_MAX
#define GVT_PT_DELETED (UINT64_MAX - 1)
#define GVT_PT_MIN_CAPACITY 64u

static uint32_t gfn_hash(uint64_t gfn, uint32_t capacity)
{
	/* Fibonacci hashing spreads consecutive frames, which page tables
	 * usually are, across the table. */
	return (uint32_t)((gfn * 0x9e3779b97f4a7c15ull) >> 32) & (capacity - 1);
}

static int table_resize(struct gvt_page_track_table *t, uint32_t capacity)
{
	struct gvt_page_track *old = t->slots;
	uint32_t old_capacity = t->capacity;
	struct gvt_page_track *slots = malloc(capacity * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < capacity; i++)
		slots[i].gfn = GVT_PT_EMPTY;
	t->slots = slots;
	t->capacity = capacity;
	t->count = 0;
	t->deleted = 0;
	for (uint32_t i = 0; i < old_capacity; i++) {
		uint64_t gfn = old[i].gfn;
		uint32_t h;

		if (gfn == GVT_PT_EMPTY || gfn == GVT_PT_DELETED)
			continue;
		for (h = gfn_hash(gfn, capacity); slots[h].gfn != GVT_PT_EMPTY;
		     h = (h + 1) & (capacity - 1))
			;
		slots[h] = old[i];
		t->count++;
	}
	free(old);
	return 0;
}

static struct gvt_page_track *table_find(const struct gvt_page_track_table *t,
					 uint64_t gfn)
{
	if (!t->capacity)
		return NULL;
	for (uint32_t h = gfn_hash(gfn, t->capacity);;
	     h = (h + 1) & (t->capacity - 1)) {
		if (t->slots[h].gfn == gfn)
			return &t->slots[h];
		if (t->slots[h].gfn == GVT_PT_EMPTY)
			return NULL;
	}
}

const struct gvt_page_track *gvt_page_track_find(const struct gvt_vgpu *vgpu,
						 uint64_t gfn)
{
	return table_find(&vgpu->page_track, gfn);
}

int gvt_page_track_add(struct gvt_vgpu *vgpu, uint64_t gfn,
		       gvt_page_track_fn *handler, void *priv)
{
	struct gvt_page_track_table *t = &vgpu->page_track;
	uint32_t h;
	int ret;

	if (gfn >= GVT_PT_DELETED || !handler)
		return -EINVAL;
	if (table_find(t, gfn))
		return -EEXIST;
	/* Keep the load (live + tombstones) under one half. */
	if ((t->count + t->deleted + 1) * 2 > t->capacity) {
		uint32_t cap = t->capacity ? t->capacity : GVT_PT_MIN_CAPACITY;

		while ((t->count + 1) * 2 > cap)
			cap *= 2;
		ret = table_resize(t, cap);
		if (ret)
			return ret;
	}
	ret = gvt_hv_page_track_enable(vgpu, gfn);
	if (ret) {
		gvt_vgpu_err(vgpu, "cannot write-protect gfn 0x%llx: %d",
			     (unsigned long long)gfn, ret);
		return ret;
	}
	for (h = gfn_hash(gfn, t->capacity);
	     t->slots[h].gfn != GVT_PT_EMPTY && t->slots[h].gfn != GVT_PT_DELETED;
	     h = (h + 1) & (t->capacity - 1))
		;
	if (t->slots[h].gfn == GVT_PT_DELETED)
		t->deleted--;
	t->slots[h] = (struct gvt_page_track){ gfn, handler, priv };
	t->count++;
	return 0;
}

int gvt_page_track_remove(struct gvt_vgpu *vgpu, uint64_t gfn)
{
	struct gvt_page_track *p = table_find(&vgpu->page_track, gfn);
	int ret;

	if (!p)
		return -ENOENT;
	p->gfn = GVT_PT_DELETED;
	vgpu->page_track.count--;
	vgpu->page_track.deleted++;
	ret = gvt_hv_page_track_disable(vgpu, gfn);
	if (ret)
		gvt_vgpu_err(vgpu, "cannot remove write protection of gfn 0x%llx: %d",
			     (unsigned long long)gfn, ret);
	return ret;
}

void gvt_page_track_remove_all(struct gvt_vgpu *vgpu)
{
	struct gvt_page_track_table *t = &vgpu->page_track;

	for (uint32_t i = 0; i < t->capacity; i++) {
		uint64_t gfn = t->slots[i].gfn;

		if (gfn != GVT_PT_EMPTY && gfn != GVT_PT_DELETED)
			gvt_hv_page_track_disable(vgpu, gfn);
	}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int gvt_vgpu_page_write(struct gvt_vgpu *vgpu, uint64_t gpa, const void *buf,
			uint32_t len)
{
	const struct gvt_page_track *p;
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
	p = gvt_page_track_find(vgpu, gpa / GVT_HV_PAGE_SIZE);
	if (p)
		p->handler(vgpu, gpa, buf, len, p->priv);
	return 0;
}
