// SPDX-License-Identifier: MIT
/*
 * A map from 64-bit keys to two words of the owner's: open addressing with
 * linear probing and backward-shift deletion, so a lookup is a multiply and
 * nearly always one cache line, and heavy churn (mappings made and dropped
 * as a guest rewrites its page tables) leaves no tombstones behind.
 */
#ifndef GVT_U64MAP_H
#define GVT_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#define GVT_U64MAP_EMPTY UINT64_MAX	/* the one key that cannot be stored */

struct gvt_u64map_slot {
	uint64_t key;		/* GVT_U64MAP_EMPTY when free */
	uint64_t value;		/* the owner's */
	uint64_t aux;		/* the owner's second word (a reference count, say) */
};

struct gvt_u64map {
	struct gvt_u64map_slot *slots;	/* capacity slots, or NULL */
	uint32_t capacity;		/* a power of two, or 0 */
	uint32_t count;			/* keys stored */
};

static inline uint32_t gvt_u64map_hash(uint64_t key, uint32_t capacity)
{
	/* Fibonacci hashing spreads consecutive keys (frame numbers). */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (capacity - 1);
}

/* The slot holding @key, or NULL. */
static inline struct gvt_u64map_slot *gvt_u64map_find(const struct gvt_u64map *m,
						      uint64_t key)
{
	if (!m->count)
		return NULL;
	for (uint32_t h = gvt_u64map_hash(key, m->capacity);;
	     h = (h + 1) & (m->capacity - 1)) {
		if (m->slots[h].key == key)
			return &m->slots[h];
		if (m->slots[h].key == GVT_U64MAP_EMPTY)
			return NULL;
	}
}

/* Store @key, which must be absent, with value and aux 0. Returns its
 * slot, valid until the next insert or remove, or NULL when out of memory. */
struct gvt_u64map_slot *gvt_u64map_insert(struct gvt_u64map *m, uint64_t key);
/* Remove the key in @slot, a slot gvt_u64map_find() returned. */
void gvt_u64map_remove(struct gvt_u64map *m, struct gvt_u64map_slot *slot);
void gvt_u64map_fini(struct gvt_u64map *m);

#endif /* GVT_U64MAP_H */
