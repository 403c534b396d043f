// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <gvt/gvt.h>

#include "guest_ppgtt.h"

int guest_ppgtt_init(struct guest_ppgtt *g, struct mock_hv *hv,
		     uint64_t pool_gpa, uint64_t pool_size)
{
	memset(g, 0, sizeof(*g));
	g->hv = hv;
	g->next = pool_gpa;
	g->end = pool_gpa + pool_size;
	g->pml4 = guest_ppgtt_alloc_table(g);
	return g->pml4 ? 0 : -ENOMEM;
}

uint64_t guest_ppgtt_alloc_table(struct guest_ppgtt *g)
{
	uint64_t gpa = g->next;

	if (gpa + 4096 > g->end || gpa + 4096 > g->hv->ram_size)
		return 0;
	g->next += 4096;
	memset(g->hv->ram + gpa, 0, 4096);
	return gpa;
}

uint64_t guest_ppgtt_get(const struct guest_ppgtt *g, uint64_t table,
			 unsigned int index)
{
	uint64_t e;

	memcpy(&e, g->hv->ram + table + index * 8ull, 8);
	return e;
}

void guest_ppgtt_set(struct guest_ppgtt *g, uint64_t table, unsigned int index,
		     uint64_t entry)
{
	if (g->vgpu &&
	    !gvt_vgpu_page_write(g->vgpu, table + index * 8ull, &entry, 8))
		return;
	memcpy(g->hv->ram + table + index * 8ull, &entry, 8);
}

static unsigned int index_at(uint64_t gma, unsigned int level)
{
	return (unsigned int)(gma >> (12 + 9 * (level - 1))) & 511;
}

/* The table below entry @index of @table, made if absent. */
static uint64_t next_table(struct guest_ppgtt *g, uint64_t table,
			   unsigned int index, uint64_t extra)
{
	uint64_t e = guest_ppgtt_get(g, table, index);
	uint64_t t;

	if ((e & GPT_PRESENT) && !(e & GPT_PS)) {
		if (extra && !(e & extra))
			guest_ppgtt_set(g, table, index, e | extra);
		return e & GPT_ADDR;
	}
	t = guest_ppgtt_alloc_table(g);
	if (t)
		guest_ppgtt_set(g, table, index, t | GPT_PRESENT | GPT_RW | extra);
	return t;
}

int guest_ppgtt_map(struct guest_ppgtt *g, uint64_t gma, uint64_t gpa,
		    uint64_t size, uint64_t flags)
{
	unsigned int leaf_level;
	uint64_t table = g->pml4;

	switch (size) {
	case 4096:
	case 65536:
		leaf_level = 1;
		break;
	case 2ull << 20:
		leaf_level = 2;
		break;
	case 1ull << 30:
		leaf_level = 3;
		break;
	default:
		return -EINVAL;
	}
	if ((gma | gpa) & (size - 1))
		return -EINVAL;
	for (unsigned int level = 4; level > leaf_level; level--) {
		table = next_table(g, table, index_at(gma, level),
				   level == 2 && size == 65536 ? GPT_IPS : 0);
		if (!table)
			return -ENOMEM;
	}
	if (leaf_level > 1)
		flags |= GPT_PS;
	guest_ppgtt_set(g, table, index_at(gma, leaf_level), gpa | flags);
	return 0;
}

uint64_t guest_ppgtt_table(const struct guest_ppgtt *g, uint64_t gma,
			   unsigned int level)
{
	uint64_t table = g->pml4;

	for (unsigned int l = 4; l > level; l--) {
		uint64_t e = guest_ppgtt_get(g, table, index_at(gma, l));

		if (!(e & GPT_PRESENT) || (e & GPT_PS))
			return 0;
		table = e & GPT_ADDR;
	}
	return table;
}

static int ram_entry(const struct mock_hv *hv, uint64_t table,
		     unsigned int index, uint64_t *e)
{
	uint64_t at = (table & GPT_ADDR) + index * 8ull;

	if (at + 8 > hv->ram_size)
		return -EFAULT;
	memcpy(e, hv->ram + at, 8);
	return *e & GPT_PRESENT ? 0 : -EFAULT;
}

int guest_ppgtt_walk(const struct mock_hv *hv, unsigned int levels,
		     const uint64_t pdp[4], uint64_t gma, uint64_t *gpa)
{
	uint64_t e, size;
	unsigned int level;

	if (levels == 4) {
		if (gma >> 48 || ram_entry(hv, pdp[0], index_at(gma, 4), &e))
			return -EFAULT;
		level = 3;
	} else {
		if (gma >> 32 || !(pdp[gma >> 30] & GPT_ADDR))
			return -EFAULT;
		e = pdp[gma >> 30] | GPT_PRESENT;
		level = 2;
	}
	for (;; level--) {
		unsigned int index = index_at(gma, level);
		bool ips = level == 1 && (e & GPT_IPS);

		if (ips)
			index &= ~15u;
		if (ram_entry(hv, e, index, &e))
			return -EFAULT;
		size = ips ? 65536 : 1ull << (12 + 9 * (level - 1));
		if (level == 1 || ((e & GPT_PS) && level <= 3))
			break;
	}
	*gpa = (e & GPT_ADDR & ~(size - 1)) | (gma & (size - 1));
	return 0;
}
