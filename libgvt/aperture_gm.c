// SPDX-License-Identifier: MIT
/*
 * Partitioning of graphics memory and fences between the host and vGPUs.
 *
 * The GGTT maps two regions: low GM (the aperture, CPU-visible through
 * BAR2) and high GM (hidden, above the aperture). The host keeps the bottom
 * of each, and each vGPU gets one contiguous slice of each, placed first-fit
 * after the host's reservation. Allocation is deterministic so that recorded
 * traces can rely on addresses: on an empty 1 GiB-aperture GPU the first
 * vGPU's aperture slice starts at 128 MiB and its hidden slice at
 * 1024 + 384 MiB. docs/allocation.md has the whole story.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "private.h"

static void region_init(struct gvt_gm_region *region, const char *name,
			uint64_t base, uint64_t size, uint64_t host_size)
{
	memset(region, 0, sizeof(*region));
	region->name = name;
	region->base = base;
	region->size = size;
	region->used[0].start = base;
	region->used[0].size = host_size;
	region->num_used = 1;
}

void gvt_gm_init(struct gvt_ctx *ctx)
{
	const struct gvt_platform_desc *p = ctx->platform;

	region_init(&ctx->low_gm, "aperture", 0, ctx->aperture_size,
		    p->host_low_gm_mib * MiB);
	region_init(&ctx->high_gm, "hidden", ctx->aperture_size,
		    p->ggtt_size - ctx->aperture_size,
		    p->host_high_gm_mib * MiB);
	ctx->fence_used = (1u << p->host_fences) - 1;
}

/*
 * Walk the free gaps of a region in address order. Returns the first gap
 * that holds @size (start in *first_fit, or UINT64_MAX if none), and
 * reports how many blocks of @size fit in all gaps together, the largest
 * gap and the total free space.
 */
struct gap_summary {
	uint64_t first_fit;
	uint64_t fits;
	uint64_t largest;
	uint64_t total;
};

static struct gap_summary region_gaps(const struct gvt_gm_region *region,
				      uint64_t size)
{
	struct gap_summary s = { .first_fit = UINT64_MAX };
	uint64_t cursor = region->base;
	uint64_t end = region->base + region->size;

	for (unsigned int i = 0; i <= region->num_used; i++) {
		uint64_t next = i < region->num_used ? region->used[i].start : end;
		uint64_t gap = next - cursor;

		if (gap >= size && s.first_fit == UINT64_MAX)
			s.first_fit = cursor;
		s.fits += gap / size;
		s.total += gap;
		if (gap > s.largest)
			s.largest = gap;
		if (i < region->num_used)
			cursor = region->used[i].start + region->used[i].size;
	}
	return s;
}

static void region_insert(struct gvt_gm_region *region, uint64_t start,
			  uint64_t size)
{
	unsigned int i = region->num_used;

	while (i > 0 && region->used[i - 1].start > start) {
		region->used[i] = region->used[i - 1];
		i--;
	}
	region->used[i].start = start;
	region->used[i].size = size;
	region->num_used++;
}

static void region_remove(struct gvt_gm_region *region, uint64_t start)
{
	for (unsigned int i = 1; i < region->num_used; i++) {
		if (region->used[i].start != start)
			continue;
		memmove(&region->used[i], &region->used[i + 1],
			(region->num_used - i - 1) * sizeof(region->used[0]));
		region->num_used--;
		return;
	}
}

static unsigned int fences_free(const struct gvt_ctx *ctx)
{
	uint32_t all = ctx->platform->num_fences >= 32 ?
			       0xffffffffu :
			       (1u << ctx->platform->num_fences) - 1;

	return (unsigned int)__builtin_popcount(all & ~ctx->fence_used);
}

uint32_t gvt_gm_avail_instances_locked(const struct gvt_ctx *ctx,
				       const struct gvt_type_desc *type)
{
	uint64_t low = region_gaps(&ctx->low_gm, type->low_gm_mib * MiB).fits;
	uint64_t high = region_gaps(&ctx->high_gm, type->high_gm_mib * MiB).fits;
	uint64_t fences = fences_free(ctx) / type->fences;
	uint64_t slots = ctx->platform->max_vgpus - ctx->num_vgpus;
	uint64_t n = low;

	if (high < n)
		n = high;
	if (fences < n)
		n = fences;
	if (slots < n)
		n = slots;
	return (uint32_t)n;
}

/* Append "; " and a formatted clause to a reason being built. */
__attribute__((format(printf, 4, 5)))
static void reason_add(char *why, size_t why_len, size_t *used,
		       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!why || *used >= why_len)
		return;
	if (*used) {
		n = snprintf(why + *used, why_len - *used, "; ");
		*used += n > 0 ? (size_t)n : 0;
		if (*used >= why_len)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(why + *used, why_len - *used, fmt, ap);
	va_end(ap);
	*used += n > 0 ? (size_t)n : 0;
}

static bool region_short(const struct gvt_gm_region *region, uint64_t need,
			 char *why, size_t why_len, size_t *used)
{
	struct gap_summary s = region_gaps(region, need);

	if (s.first_fit != UINT64_MAX)
		return false;
	if (s.total >= need)
		reason_add(why, why_len, used,
			   "%s: need %llu MiB contiguous, largest free block %llu MiB of %llu MiB free (short by %llu MiB)",
			   region->name, (unsigned long long)(need / MiB),
			   (unsigned long long)(s.largest / MiB),
			   (unsigned long long)(s.total / MiB),
			   (unsigned long long)((need - s.largest) / MiB));
	else
		reason_add(why, why_len, used,
			   "%s: need %llu MiB, %llu MiB free (short by %llu MiB)",
			   region->name, (unsigned long long)(need / MiB),
			   (unsigned long long)(s.total / MiB),
			   (unsigned long long)((need - s.total) / MiB));
	return true;
}

int gvt_gm_admit_locked(struct gvt_ctx *ctx, const struct gvt_type_desc *type,
			char *why, size_t why_len)
{
	unsigned int free_fences = fences_free(ctx);
	size_t used = 0;
	bool refused = false;

	if (why && why_len)
		why[0] = '\0';
	if (ctx->num_vgpus >= ctx->platform->max_vgpus) {
		reason_add(why, why_len, &used,
			   "vGPUs: %u of %u already exist (short by 1)",
			   ctx->num_vgpus, ctx->platform->max_vgpus);
		refused = true;
	}
	refused |= region_short(&ctx->low_gm, type->low_gm_mib * MiB, why,
				why_len, &used);
	refused |= region_short(&ctx->high_gm, type->high_gm_mib * MiB, why,
				why_len, &used);
	if (free_fences < type->fences) {
		reason_add(why, why_len, &used,
			   "fences: need %u, %u free (short by %u)",
			   type->fences, free_fences,
			   type->fences - free_fences);
		refused = true;
	}
	return refused ? -ENOSPC : 0;
}

int gvt_gm_alloc_locked(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu)
{
	const struct gvt_type_desc *type = vgpu->type;
	uint64_t low_size = type->low_gm_mib * MiB;
	uint64_t high_size = type->high_gm_mib * MiB;
	struct gap_summary low = region_gaps(&ctx->low_gm, low_size);
	struct gap_summary high = region_gaps(&ctx->high_gm, high_size);
	unsigned int got = 0;

	if (low.first_fit == UINT64_MAX || high.first_fit == UINT64_MAX ||
	    fences_free(ctx) < type->fences)
		return -ENOSPC;

	region_insert(&ctx->low_gm, low.first_fit, low_size);
	region_insert(&ctx->high_gm, high.first_fit, high_size);
	vgpu->low_gm = (struct gvt_gm_extent){ low.first_fit, low_size };
	vgpu->high_gm = (struct gvt_gm_extent){ high.first_fit, high_size };

	/* The lowest free fences, so fence numbering is as deterministic as
	 * GM addresses. */
	for (uint32_t i = 0; i < ctx->platform->num_fences && got < type->fences;
	     i++) {
		if (ctx->fence_used & (1u << i))
			continue;
		ctx->fence_used |= 1u << i;
		vgpu->fence_index[got++] = i;
	}
	vgpu->fence_count = got;
	return 0;
}

void gvt_gm_free_locked(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu)
{
	region_remove(&ctx->low_gm, vgpu->low_gm.start);
	region_remove(&ctx->high_gm, vgpu->high_gm.start);
	for (uint32_t i = 0; i < vgpu->fence_count; i++)
		ctx->fence_used &= ~(1u << vgpu->fence_index[i]);
	vgpu->fence_count = 0;
}

static bool extent_holds(const struct gvt_gm_extent *e, uint64_t gm,
			 uint64_t len)
{
	return gm >= e->start && len <= e->size && gm - e->start <= e->size - len;
}

bool gvt_gm_in_aperture_slice(const struct gvt_vgpu *vgpu, uint64_t gm,
			      uint64_t len)
{
	return extent_holds(&vgpu->low_gm, gm, len);
}

/* Is [gm, gm + len) wholly inside one of the vGPU's two slices? */
bool gvt_gm_in_vgpu(const struct gvt_vgpu *vgpu, uint64_t gm, uint64_t len)
{
	return extent_holds(&vgpu->low_gm, gm, len) ||
	       extent_holds(&vgpu->high_gm, gm, len);
}
