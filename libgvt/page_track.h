// SPDX-License-Identifier: MIT
/*
 * Write-protected guest frames and who handles writes to them, kept in a
 * u64map keyed by gfn (a hash probe, nearly always one cache line),
 * because page-table shadowing asks "is this frame tracked?" on every
 * reported write.
 */
#ifndef GVT_PAGE_TRACK_H
#define GVT_PAGE_TRACK_H

#include <stdint.h>

#include "u64map.h"

struct gvt_vgpu;

/* Called after the guest's write has been performed in guest memory. */
typedef void gvt_page_track_fn(struct gvt_vgpu *vgpu, uint64_t gpa,
			       const void *data, uint32_t len, void *priv);

int gvt_page_track_add(struct gvt_vgpu *vgpu, uint64_t gfn,
		       gvt_page_track_fn *handler, void *priv);
int gvt_page_track_remove(struct gvt_vgpu *vgpu, uint64_t gfn);
/* The slot of tracked frame @gfn (key: the gfn; value: its handler; aux:
 * the handler's data), or NULL. */
const struct gvt_u64map_slot *gvt_page_track_find(const struct gvt_vgpu *vgpu,
						  uint64_t gfn);
void gvt_page_track_remove_all(struct gvt_vgpu *vgpu);

#endif /* GVT_PAGE_TRACK_H */
