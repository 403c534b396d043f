// SPDX-License-Identifier: MIT
/*
 * Write-protected guest frames and who handles writes to them. The set is
 * an open-addressing hash keyed by gfn, because page-table shadowing asks
 * "is this frame tracked?" on every reported write.
 */
#ifndef GVT_PAGE_TRACK_H
#define GVT_PAGE_TRACK_H

#include <stdint.h>

struct gvt_vgpu;

/* Called after the guest's write has been performed in guest memory. */
typedef void gvt_page_track_fn(struct gvt_vgpu *vgpu, uint64_t gpa,
			       const void *data, uint32_t len, void *priv);

struct gvt_page_track {
	uint64_t gfn;		/* key; GVT_PT_EMPTY or GVT_PT_DELETED when free */
	gvt_page_track_fn *handler;
	void *priv;		/* handler's data */
};

struct gvt_page_track_table {
	struct gvt_page_track *slots;	/* power-of-two count, or NULL */
	uint32_t capacity;
	uint32_t count;			/* live entries */
	uint32_t deleted;		/* tombstones */
};

int gvt_page_track_add(struct gvt_vgpu *vgpu, uint64_t gfn,
		       gvt_page_track_fn *handler, void *priv);
int gvt_page_track_remove(struct gvt_vgpu *vgpu, uint64_t gfn);
const struct gvt_page_track *gvt_page_track_find(const struct gvt_vgpu *vgpu,
						 uint64_t gfn);
void gvt_page_track_remove_all(struct gvt_vgpu *vgpu);

#endif /* GVT_PAGE_TRACK_H */
