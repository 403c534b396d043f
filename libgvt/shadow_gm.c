// SPDX-License-Identifier: MIT
/*
 * A first-fit page allocator over the host's share of the hidden GM. Every
 * workload takes a few pages for its copies and gives them back when it
 * ends, so the search starts after the last allocation (a ring of
 * workloads, like the engines' own rings) and rarely scans far.
 */
#include <errno.h>
#include <stdlib.h>

#include "private.h"
#include "shadow_gm.h"

#define PAGE 4096u

int gvt_shadow_gm_init(struct gvt_ctx *ctx)
{
	struct gvt_shadow_gm *sg = &ctx->shadow_gm;
	int ret;

	sg->base = ctx->high_gm.base;
	sg->pages = (uint32_t)(ctx->platform->host_high_gm_mib * MiB / PAGE);
	sg->used = calloc((sg->pages + 63) / 64, sizeof(uint64_t));
	if (!sg->used)
		return -ENOMEM;
	ret = pthread_mutex_init(&sg->lock, NULL);
	if (ret) {
		free(sg->used);
		return -ret;
	}
	return 0;
}

void gvt_shadow_gm_fini(struct gvt_ctx *ctx)
{
	struct gvt_shadow_gm *sg = &ctx->shadow_gm;

	if (!sg->used)
		return;
	pthread_mutex_destroy(&sg->lock);
	free(sg->used);
	sg->used = NULL;
}

static bool page_used(const struct gvt_shadow_gm *sg, uint32_t p)
{
	return sg->used[p / 64] >> (p % 64) & 1;
}

static void mark(struct gvt_shadow_gm *sg, uint32_t first, uint32_t n,
		 bool used)
{
	for (uint32_t p = first; p < first + n; p++) {
		if (used)
			sg->used[p / 64] |= 1ull << (p % 64);
		else
			sg->used[p / 64] &= ~(1ull << (p % 64));
	}
}

/* The first run of @n free pages in [from, to), or UINT32_MAX. */
static uint32_t find_run(const struct gvt_shadow_gm *sg, uint32_t from,
			 uint32_t to, uint32_t n)
{
	uint32_t run = 0;

	for (uint32_t p = from; p < to; p++) {
		/* Whole used words are skipped at once. */
		if (!(p % 64) && sg->used[p / 64] == ~0ull && p + 64 <= to) {
			run = 0;
			p += 63;
			continue;
		}
		run = page_used(sg, p) ? 0 : run + 1;
		if (run == n)
			return p + 1 - n;
	}
	return UINT32_MAX;
}

int gvt_shadow_gm_alloc(struct gvt_ctx *ctx, uint32_t pages, uint64_t *gm)
{
	struct gvt_shadow_gm *sg = &ctx->shadow_gm;
	uint32_t at;

	if (!pages || pages > sg->pages)
		return -ENOSPC;
	pthread_mutex_lock(&sg->lock);
	at = find_run(sg, sg->hint, sg->pages, pages);
	if (at == UINT32_MAX)
		at = find_run(sg, 0, sg->pages, pages);
	if (at != UINT32_MAX) {
		mark(sg, at, pages, true);
		sg->hint = at + pages < sg->pages ? at + pages : 0;
		sg->in_use += pages;
	}
	pthread_mutex_unlock(&sg->lock);
	if (at == UINT32_MAX)
		return -ENOSPC;
	*gm = sg->base + (uint64_t)at * PAGE;
	return 0;
}

void gvt_shadow_gm_free(struct gvt_ctx *ctx, uint64_t gm, uint32_t pages)
{
	struct gvt_shadow_gm *sg = &ctx->shadow_gm;
	uint32_t first = (uint32_t)((gm - sg->base) / PAGE);
	uint64_t scratch = ctx->scratch_addr | GVT_GTT_PTE_PRESENT;

	for (uint32_t p = 0; p < pages; p++)
		ctx->pgpu_ops->ggtt_write(ctx->pgpu,
					  (uint32_t)(gm / PAGE) + p, scratch);
	pthread_mutex_lock(&sg->lock);
	mark(sg, first, pages, false);
	sg->in_use -= pages;
	pthread_mutex_unlock(&sg->lock);
}

void gvt_shadow_gm_map(struct gvt_ctx *ctx, uint64_t gm, const void *mem,
		       uint32_t pages)
{
	const uint8_t *page = mem;

	for (uint32_t p = 0; p < pages; p++, page += PAGE)
		ctx->pgpu_ops->ggtt_write(ctx->pgpu, (uint32_t)(gm / PAGE) + p,
					  ctx->pgpu_ops->host_bus(ctx->pgpu, page) |
						  GVT_GTT_PTE_PRESENT);
}
