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

/* Is [start, start + size) inside @region and clear of every extent? */
static bool region_free(const struct gvt_gm_region *region, uint64_t start,
			uint64_t size)
{
	if (start < region->base || size > region->size ||
	    start - region->base > region->size - size)
		return false;
	for (unsigned int i = 0; i < region->num_used; i++) {
		const struct gvt_gm_extent *e = &region->used[i];

		if (start < e->start + e->size && e->start < start + size)
			return false;
	}
	return true;
}

/* Where @vgpu's slice of @region goes: first fit, or where @want says. */
static int place_slice(const struct gvt_gm_region *region, uint64_t size,
		       uint64_t want, uint64_t *start, char *why,
		       size_t why_len)
{
	if (want == GVT_PLACE_ANY) {
		*start = region_gaps(region, size).first_fit;
		return 0; /* admission already saw that one fits */
	}
	if (want % GVT_GTT_PAGE_SIZE) {
		snprintf(why, why_len, "%s slice at 0x%llx is not page aligned",
			 region->name, (unsigned long long)want);
		return -EINVAL;
	}
	if (!region_free(region, want, size)) {
		snprintf(why, why_len, "%s slice [0x%llx, 0x%llx) is outside the %s region or in use",
			 region->name, (unsigned long long)want,
			 (unsigned long long)(want + size), region->name);
		return -EBUSY;
	}
	*start = want;
	return 0;
}

/* The physical fences behind the vGPU's guest fences. */
static int place_fences(const struct gvt_ctx *ctx, uint32_t count,
			const struct gvt_vgpu_placement *at, uint32_t *index,
			char *why, size_t why_len)
{
	uint32_t taken = ctx->fence_used;
	uint32_t got = 0;

	if (!at || !at->fence_count) {
		for (uint32_t i = 0; i < ctx->platform->num_fences && got < count; i++)
			if (!(taken & (1u << i)))
				index[got++] = i;
		return 0;
	}
	if (at->fence_count != count) {
		snprintf(why, why_len, "%u fences requested; the type has %u",
			 at->fence_count, count);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t f = at->fence_index[i];

		if (f >= ctx->platform->num_fences || (taken & (1u << f))) {
			snprintf(why, why_len, "fence %u is %s", f,
				 f >= ctx->platform->num_fences ? "not a fence" : "in use");
			return f >= ctx->platform->num_fences ? -EINVAL : -EBUSY;
		}
		taken |= 1u << f;
		index[i] = f;
	}
	return 0;
}

int gvt_gm_alloc_locked(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu,
			const struct gvt_vgpu_placement *at, char *why,
			size_t why_len)
{
	const struct gvt_type_desc *type = vgpu->type;
	uint64_t low_size = type->low_gm_mib * MiB;
	uint64_t high_size = type->high_gm_mib * MiB;
	uint32_t fences[GVT_FENCES_PER_VGPU_MAX];
	uint64_t low, high;
	int ret;

	ret = place_slice(&ctx->low_gm, low_size,
			  at ? at->aperture_base : GVT_PLACE_ANY, &low, why, why_len);
	if (!ret)
		ret = place_slice(&ctx->high_gm, high_size,
				  at ? at->hidden_base : GVT_PLACE_ANY, &high, why,
				  why_len);
	if (!ret)
		ret = place_fences(ctx, type->fences, at, fences, why, why_len);
	if (ret)
		return ret;

	region_insert(&ctx->low_gm, low, low_size);
	region_insert(&ctx->high_gm, high, high_size);
	vgpu->low_gm = (struct gvt_gm_extent){ low, low_size };
	vgpu->high_gm = (struct gvt_gm_extent){ high, high_size };
	for (uint32_t i = 0; i < type->fences; i++) {
		ctx->fence_used |= 1u << fences[i];
		vgpu->fence_index[i] = fences[i];
	}
	vgpu->fence_count = type->fences;
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
