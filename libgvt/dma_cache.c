// SPDX-License-Identifier: MIT
#include <errno.h>

#include "hv.h"
#include "private.h"

/* Frames are below 2^52, so the size class fits under the frame number. */
static uint64_t dma_key(uint64_t gfn, uint64_t size)
{
	return gfn << 1 | (size == GVT_DMA_2M);
}

int gvt_dma_get(struct gvt_vgpu *vgpu, uint64_t gfn, uint64_t size,
		uint64_t *bus)
{
	struct gvt_dma_cache *cache = &vgpu->dma;
	uint64_t key = dma_key(gfn, size);
	struct gvt_u64map_slot *slot = gvt_u64map_find(&cache->map, key);
	uint64_t addr = 0;
	int ret;

	if (likely(slot)) {
		slot->aux++;
		cache->refs++;
		*bus = slot->value;
		return 0;
	}
	ret = gvt_hv_dma_map(vgpu, gfn, size, &addr);
	if (ret)
		return ret;
	cache->hv_maps++;
	if (!addr) {
		gvt_hv_dma_unmap(vgpu, 0, size);
		return -EFAULT;
	}
	slot = gvt_u64map_insert(&cache->map, key);
	if (!slot) {
		gvt_hv_dma_unmap(vgpu, addr, size);
		return -ENOMEM;
	}
	slot->value = addr;
	slot->aux = 1;
	cache->refs++;
	*bus = addr;
	/* Newly reachable by the GPU while a write is recorded: its bytes
	 * now go in the trace before the write. */
	if (unlikely(vgpu->trace) && gvt_trace_reader == vgpu)
		gvt_trace_frames_mapped(vgpu, gfn, size);
	return 0;
}

void gvt_dma_put(struct gvt_vgpu *vgpu, uint64_t gfn, uint64_t size)
{
	struct gvt_dma_cache *cache = &vgpu->dma;
	struct gvt_u64map_slot *slot = gvt_u64map_find(&cache->map,
						       dma_key(gfn, size));

	if (!slot)
		return;
	cache->refs--;
	if (--slot->aux)
		return;
	gvt_hv_dma_unmap(vgpu, slot->value, size);
	gvt_u64map_remove(&cache->map, slot);
}

void gvt_dma_cache_fini(struct gvt_vgpu *vgpu)
{
	struct gvt_dma_cache *cache = &vgpu->dma;

	for (uint32_t i = 0; i < cache->map.capacity; i++) {
		struct gvt_u64map_slot *s = &cache->map.slots[i];

		if (s->key != GVT_U64MAP_EMPTY)
			gvt_hv_dma_unmap(vgpu, s->value,
					 s->key & 1 ? GVT_DMA_2M : GVT_DMA_4K);
	}
	gvt_u64map_fini(&cache->map);
	cache->refs = 0;
}
