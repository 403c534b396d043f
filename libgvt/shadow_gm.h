// SPDX-License-Identifier: MIT
/*
 * Host graphics memory for shadows: the GGTT range the host keeps for
 * itself (the bottom of the hidden region) holds the copies of rings and
 * batches the GPU runs, and the vGPUs' shadow context images. No guest can
 * address it: the scanner keeps every GGTT operand inside the vGPU's own
 * slices.
 */
#ifndef GVT_SHADOW_GM_H
#define GVT_SHADOW_GM_H

#include <pthread.h>
#include <stdint.h>

struct gvt_ctx;

struct gvt_shadow_gm {
	pthread_mutex_t lock;
	uint64_t base;		/* first GM address */
	uint32_t pages;		/* of 4 KiB */
	uint64_t *used;		/* bit per page */
	uint32_t hint;		/* where the next search starts */
	uint32_t in_use;	/* pages */
};

int gvt_shadow_gm_init(struct gvt_ctx *ctx);
void gvt_shadow_gm_fini(struct gvt_ctx *ctx);
/* @pages contiguous pages: 0 with *@gm, or -ENOSPC. */
int gvt_shadow_gm_alloc(struct gvt_ctx *ctx, uint32_t pages, uint64_t *gm);
/* Give them back; their GGTT entries point at scratch again. */
void gvt_shadow_gm_free(struct gvt_ctx *ctx, uint64_t gm, uint32_t pages);
/* Point the GGTT entries of [@gm, @gm + 4 KiB * @pages) at the pages of
 * host memory from @mem on. */
void gvt_shadow_gm_map(struct gvt_ctx *ctx, uint64_t gm, const void *mem,
		       uint32_t pages);

#endif /* GVT_SHADOW_GM_H */
