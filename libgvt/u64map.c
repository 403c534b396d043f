// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "u64map.h"

#define U64MAP_MIN_CAPACITY 64u

static int u64map_resize(struct gvt_u64map *m, uint32_t capacity)
{
	struct gvt_u64map_slot *old = m->slots;
	uint32_t old_capacity = m->capacity;
	struct gvt_u64map_slot *slots = malloc(capacity * sizeof(*slots));

	if (!slots)
		return -1;
	for (uint32_t i = 0; i < capacity; i++)
		slots[i].key = GVT_U64MAP_EMPTY;
	for (uint32_t i = 0; i < old_capacity; i++) {
		uint32_t h;

		if (old[i].key == GVT_U64MAP_EMPTY)
			continue;
		for (h = gvt_u64map_hash(old[i].key, capacity);
		     slots[h].key != GVT_U64MAP_EMPTY; h = (h + 1) & (capacity - 1))
			;
		slots[h] = old[i];
	}
	free(old);
	m->slots = slots;
	m->capacity = capacity;
	return 0;
}

struct gvt_u64map_slot *gvt_u64map_insert(struct gvt_u64map *m, uint64_t key)
{
	uint32_t h;

	/* At most half full: probes stay short. */
	if ((m->count + 1) * 2 > m->capacity &&
	    u64map_resize(m, m->capacity ? m->capacity * 2 : U64MAP_MIN_CAPACITY))
		return NULL;
	for (h = gvt_u64map_hash(key, m->capacity);
	     m->slots[h].key != GVT_U64MAP_EMPTY; h = (h + 1) & (m->capacity - 1))
		;
	m->slots[h] = (struct gvt_u64map_slot){ .key = key };
	m->count++;
	return &m->slots[h];
}

/*
 * Backward-shift deletion: move later members of the probe run into the
 * hole whenever their home slot does not lie between the hole and them,
 * so every run stays unbroken without tombstones.
 */
void gvt_u64map_remove(struct gvt_u64map *m, struct gvt_u64map_slot *slot)
{
	uint32_t mask = m->capacity - 1;
	uint32_t hole = (uint32_t)(slot - m->slots);

	for (uint32_t i = (hole + 1) & mask; m->slots[i].key != GVT_U64MAP_EMPTY;
	     i = (i + 1) & mask) {
		uint32_t home = gvt_u64map_hash(m->slots[i].key, m->capacity);

		/* Stays if its home is cyclically in (hole, i]. */
		if (((i - home) & mask) < ((i - hole) & mask))
			continue;
		m->slots[hole] = m->slots[i];
		hole = i;
	}
	m->slots[hole].key = GVT_U64MAP_EMPTY;
	m->count--;
}

void gvt_u64map_fini(struct gvt_u64map *m)
{
	free(m->slots);
	*m = (struct gvt_u64map){ 0 };
}
