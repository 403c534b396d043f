// SPDX-License-Identifier: MIT
/*
 * The vGPU's guest frames mapped for the GPU, shared by every GGTT and
 * PPGTT entry that points at them. A guest maps some frames thousands of
 * times (i915 points every unused entry at its scratch page), and each
 * hv->dma_map() may pin memory or program an IOMMU, so a frame is mapped
 * once and reference counted.
 */
#ifndef GVT_DMA_CACHE_H
#define GVT_DMA_CACHE_H

#include <stdint.h>

#include "u64map.h"

struct gvt_vgpu;

#define GVT_DMA_4K (4ull << 10)
#define GVT_DMA_2M (2ull << 20)

struct gvt_dma_cache {
	struct gvt_u64map map;	/* gfn and size -> bus address, references */
	uint64_t refs;		/* entries using a mapping */
	uint64_t hv_maps;	/* hv->dma_map calls made (cache misses) */
};

/*
 * Map guest frames [@gfn, @gfn + @size / 4096), @size GVT_DMA_4K or
 * GVT_DMA_2M, or take another reference on the existing mapping. Return: 0
 * with *@bus set, or the -errno of hv->dma_map (-EFAULT also when it handed
 * out bus address 0, which we cannot tell from "not mapped"). Nothing is
 * logged: the caller knows which entry asked.
 */
int gvt_dma_get(struct gvt_vgpu *vgpu, uint64_t gfn, uint64_t size,
		uint64_t *bus);
/* Drop a reference gvt_dma_get() gave; the last one unmaps. */
void gvt_dma_put(struct gvt_vgpu *vgpu, uint64_t gfn, uint64_t size);
/* Unmap whatever is left (nothing, when every user put its references). */
void gvt_dma_cache_fini(struct gvt_vgpu *vgpu);

#endif /* GVT_DMA_CACHE_H */
