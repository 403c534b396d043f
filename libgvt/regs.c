// SPDX-License-Identifier: MIT
/*
 * From declarative register tables to the flat per-dword attribute array
 * that MMIO dispatch indexes. Tables are checked here, once, at
 * gvt_ctx_create(): rows must be sorted, must not overlap, and no dword may
 * be claimed twice (by two rows, or by a row repeated at two engine bases).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static int check_table_order(struct gvt_ctx *ctx,
			     const struct gvt_reg_table *table)
{
	for (size_t i = 0; i < table->count; i++) {
		const struct gvt_reg *r = &table->regs[i];
		const struct gvt_reg *prev = i ? &table->regs[i - 1] : NULL;

		if (!r->size || r->size % 4 || r->offset % 4) {
			gvt_err(ctx, "register table: %s at 0x%x has size %u; rows must be whole aligned dwords",
				r->name, r->offset, r->size);
			return -EINVAL;
		}
		if (!prev)
			continue;
		if (r->offset == prev->offset) {
			gvt_err(ctx, "register table: duplicate register at 0x%x (%s and %s)",
				r->offset, prev->name, r->name);
			return -EEXIST;
		}
		if (r->offset < prev->offset) {
			gvt_err(ctx, "register table: not sorted: %s (0x%x) follows %s (0x%x)",
				r->name, r->offset, prev->name, prev->offset);
			return -EINVAL;
		}
		if (r->offset < prev->offset + prev->size) {
			gvt_err(ctx, "register table: %s (0x%x) overlaps %s (0x%x, %u bytes)",
				r->name, r->offset, prev->name, prev->offset,
				prev->size);
			return -EEXIST;
		}
	}
	return 0;
}

static int place_row(struct gvt_ctx *ctx, struct gvt_mmio_table *table,
		     const struct gvt_reg *r, uint32_t base, int engine)
{
	uint32_t start = base + r->offset;
	struct gvt_mmio_info *info;
	uint16_t flags = (uint16_t)(r->flags | F_TRACKED);

	if (start >= GVT_MMIO_SIZE || r->size > GVT_MMIO_SIZE - start) {
		gvt_err(ctx, "register table: %s at 0x%x lies outside the register range",
			r->name, start);
		return -EINVAL;
	}
	if (table->num_info > UINT16_MAX) {
		gvt_err(ctx, "register table: more than %u rows", UINT16_MAX);
		return -E2BIG;
	}
	for (uint32_t off = start; off < start + r->size; off += 4) {
		const struct gvt_mmio_attr *a = &table->attr[off >> 2];

		if (a->flags & F_TRACKED) {
			gvt_err(ctx, "register table: duplicate register at 0x%x (%s and %s)",
				off, table->info[a->info].reg->name, r->name);
			return -EEXIST;
		}
	}

	info = &table->info[table->num_info];
	info->reg = r;
	info->offset = start;
	info->engine = engine;
	info->ro_mask = r->ro_mask;
	info->read = r->read;
	info->write = r->write;
	if (r->ro_mask)
		flags |= F_RO;
	if (r->read)
		flags |= F_RH;
	if (r->write)
		flags |= F_WH;
	for (uint32_t off = start; off < start + r->size; off += 4) {
		table->attr[off >> 2].flags = flags;
		table->attr[off >> 2].info = (uint16_t)table->num_info;
		table->tracked_dwords++;
	}
	table->num_info++;
	return 0;
}

int gvt_mmio_table_build(struct gvt_ctx *ctx, struct gvt_mmio_table *table,
			 const struct gvt_platform_desc *platform,
			 const struct gvt_reg_table *tables, size_t num_tables)
{
	size_t rows = 1;
	int ret;

	for (size_t t = 0; t < num_tables; t++)
		rows += tables[t].count *
			(tables[t].per_engine ? platform->num_engines : 1);

	table->attr = gvt_alloc_hot(GVT_MMIO_SIZE / 4 * sizeof(*table->attr));
	if (table->attr)
		memset(table->attr, 0, GVT_MMIO_SIZE / 4 * sizeof(*table->attr));
	table->info = calloc(rows, sizeof(*table->info));
	table->num_info = 1;
	table->tracked_dwords = 0;
	if (!table->attr || !table->info) {
		gvt_err(ctx, "register table: out of memory");
		ret = -ENOMEM;
		goto out_free;
	}

	for (size_t t = 0; t < num_tables; t++) {
		const struct gvt_reg_table *rt = &tables[t];
		unsigned int bases = rt->per_engine ? platform->num_engines : 1;

		ret = check_table_order(ctx, rt);
		if (ret)
			goto out_free;
		for (size_t i = 0; i < rt->count; i++) {
			const struct gvt_reg *r = &rt->regs[i];

			if (!(r->platforms & platform->platform_mask))
				continue;
			for (unsigned int e = 0; e < bases; e++) {
				uint32_t base = rt->per_engine ?
							platform->engines[e].mmio_base :
							0;

				ret = place_row(ctx, table, r, base,
						rt->per_engine ? (int)e : -1);
				if (ret)
					goto out_free;
			}
		}
	}
	return 0;

out_free:
	gvt_mmio_table_free(table);
	return ret;
}

void gvt_mmio_table_free(struct gvt_mmio_table *table)
{
	free(table->attr);
	free(table->info);
	table->attr = NULL;
	table->info = NULL;
	table->num_info = 0;
	table->tracked_dwords = 0;
}

const struct gvt_reg *gvt_mmio_find_reg(const struct gvt_mmio_table *table,
					uint32_t offset)
{
	const struct gvt_mmio_attr *a;

	if (offset >= GVT_MMIO_SIZE)
		return NULL;
	a = &table->attr[offset >> 2];
	return (a->flags & F_TRACKED) ? table->info[a->info].reg : NULL;
}
