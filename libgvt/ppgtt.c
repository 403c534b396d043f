// SPDX-License-Identifier: MIT
/*
 * PPGTT shadowing.
 *
 * Every guest page-table page the GPU may walk has a shadow table, keyed by
 * its frame and how it is used (a frame used both as a PD and as a PT has
 * two). Each shadow entry owns exactly one thing, and releases it when the
 * guest's entry changes:
 *   - a leaf: one reference on a mapping in the vGPU's DMA cache;
 *   - a directory entry: one reference on a child shadow table, or (a kept
 *     2 MiB page) a 2 MiB mapping;
 *   - a hole, or anything we refused: nothing; it points at a scratch table
 *     or page of the vGPU's own.
 * Which one is always derivable from the entry and the guest value it was
 * built from, kept in spt->guest, so no second bookkeeping can drift.
 *
 * Shadows follow the guest's tables in one of two ways, with one code path
 * for applying a change (spt_sync()):
 *   - write protection (hv->page_track_*): each shadowed guest frame is
 *     tracked and every guest write to it re-syncs just the entries written;
 *   - without (vfio-user): gvt_ppgtt_pin() compares, before a submission,
 *     every table reachable from the root with spt->guest and re-syncs what
 *     differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "ppgtt.h"
#include "private.h"

#define SCRATCH_FLAGS (GVT_PPGTT_PRESENT | GVT_PPGTT_RW)
/* A split 2 MiB page's small entries. One split table serves every PDE
 * naming that page, so it cannot carry each PDE's caching bits: it uses
 * the default (PAT index 0) for all. */
#define SPLIT_2M_FLAGS (GVT_PPGTT_PRESENT | GVT_PPGTT_RW)

static bool kind_has_guest_table(enum gvt_spt_kind kind)
{
	return kind != GVT_SPT_SPLIT_2M;
}

static bool kind_is_leaf(enum gvt_spt_kind kind)
{
	return kind <= GVT_SPT_SPLIT_2M;
}

/* The level a kind's entries point into, for scratch: 0 data, 1 PT, ... */
static unsigned int kind_child_level(enum gvt_spt_kind kind)
{
	switch (kind) {
	case GVT_SPT_PD:
		return 1;
	case GVT_SPT_PDP:
		return 2;
	case GVT_SPT_PML4:
		return 3;
	default:
		return 0;
	}
}

static const char *kind_name(enum gvt_spt_kind kind)
{
	static const char *const names[] = {
		[GVT_SPT_PT] = "PT", [GVT_SPT_PT_64K] = "PT (64K)",
		[GVT_SPT_SPLIT_2M] = "2M page", [GVT_SPT_PD] = "PD",
		[GVT_SPT_PDP] = "PDP", [GVT_SPT_PML4] = "PML4",
	};
	return names[kind];
}

static uint64_t scratch_entry(struct gvt_vgpu *vgpu, unsigned int level)
{
	return vgpu->ppgtt.scratch_bus[level] | SCRATCH_FLAGS;
}

static struct gvt_spt *spt_find(struct gvt_vgpu *vgpu, uint64_t gfn,
				enum gvt_spt_kind kind)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&vgpu->ppgtt.tables, gfn);

	for (struct gvt_spt *s = slot ? (struct gvt_spt *)(uintptr_t)slot->value : NULL; s;
	     s = s->next)
		if (s->kind == kind)
			return s;
	return NULL;
}

static struct gvt_spt *spt_get(struct gvt_vgpu *vgpu, uint64_t gfn,
			       enum gvt_spt_kind kind);
static void spt_put(struct gvt_vgpu *vgpu, struct gvt_spt *spt);

/*
 * Release what entry @i of @spt owned when it was @shadow, built from guest
 * entry @guest (in a 64 KiB table, the entry at the 64 KiB boundary) with
 * child table @child (see the top of the file).
 */
static void entry_release(struct gvt_vgpu *vgpu, struct gvt_spt *spt,
			  unsigned int i, uint64_t shadow, uint64_t guest,
			  struct gvt_spt *child)
{
	uint64_t gfn = (guest & GVT_PPGTT_ADDR_MASK) >> 12;

	if (child) {
		spt_put(vgpu, child);
		return;
	}
	if (!kind_is_leaf(spt->kind)) {
		if (spt->kind == GVT_SPT_PD && (shadow & GVT_PPGTT_PS))
			gvt_dma_put(vgpu, gfn & ~511ull, GVT_DMA_2M);
		return;
	}
	if ((shadow & GVT_BUS_ADDR_MASK) == vgpu->ppgtt.scratch_bus[0])
		return;
	if (spt->kind == GVT_SPT_SPLIT_2M)
		gfn = spt->gfn + i;
	else if (spt->kind == GVT_SPT_PT_64K)
		gfn = (gfn & ~15ull) + (i & 15);
	gvt_dma_put(vgpu, gfn, GVT_DMA_4K);
}

/* A leaf mapping guest frame @gfn with @flags, or the scratch page. */
static uint64_t leaf_entry(struct gvt_vgpu *vgpu, const struct gvt_spt *spt,
			   unsigned int i, uint64_t gfn, uint64_t flags)
{
	uint64_t bus;
	int ret = gvt_dma_get(vgpu, gfn, GVT_DMA_4K, &bus);

	if (likely(!ret))
		return bus | (flags & 0xfff);
	vgpu->stats.ppgtt_map_failures++;
	gvt_vgpu_guest_err(vgpu, "PPGTT %s at gfn 0x%llx entry %u maps gfn 0x%llx, which cannot be mapped (%d); it maps the scratch page",
			   kind_name(spt->kind), (unsigned long long)spt->gfn, i,
			   (unsigned long long)gfn, ret);
	return scratch_entry(vgpu, 0);
}

/* Shadow entry @i of a directory from guest entry @g; sets spt->child[i]. */
static uint64_t dir_entry(struct gvt_vgpu *vgpu, struct gvt_spt *spt,
			  unsigned int i, uint64_t g)
{
	unsigned int below = kind_child_level(spt->kind);
	uint64_t gfn = (g & GVT_PPGTT_ADDR_MASK) >> 12;
	uint64_t flags = g & 0xfff & ~(GVT_PPGTT_PS | GVT_PPGTT_IPS);
	enum gvt_spt_kind kind;
	struct gvt_spt *child;
	uint64_t bus;

	if (!(g & GVT_PPGTT_PRESENT))
		return scratch_entry(vgpu, below);
	switch (spt->kind) {
	case GVT_SPT_PML4:
		kind = GVT_SPT_PDP;
		break;
	case GVT_SPT_PDP:
		if (g & GVT_PPGTT_PS) {
			/* As GVT-g: 1 GiB pages are not shadowed. */
			vgpu->stats.ppgtt_map_failures++;
			gvt_vgpu_guest_err(vgpu, "PPGTT PDP at gfn 0x%llx entry %u is a 1 GiB page, which vGPUs do not support; it maps scratch",
					   (unsigned long long)spt->gfn, i);
			return scratch_entry(vgpu, below);
		}
		kind = GVT_SPT_PD;
		break;
	default: /* PD */
		if (g & GVT_PPGTT_PS) {
			/* Keep the 2 MiB page where the hypervisor can map it
			 * in one piece; else shadow it as 512 small pages. */
			gfn &= ~511ull;
			if (!gvt_dma_get(vgpu, gfn, GVT_DMA_2M, &bus)) {
				if (!(bus & (GVT_DMA_2M - 1)))
					return bus | (g & 0xfff);
				gvt_dma_put(vgpu, gfn, GVT_DMA_2M);
			}
			kind = GVT_SPT_SPLIT_2M;
		} else {
			kind = g & GVT_PPGTT_IPS ? GVT_SPT_PT_64K : GVT_SPT_PT;
		}
		break;
	}
	child = spt_get(vgpu, gfn, kind);
	if (!child)
		return scratch_entry(vgpu, below);
	spt->child[i] = child;
	return child->shadow_bus | flags;
}

/* Shadow entry @i (and, in a 64 KiB table, the 15 after it) from the
 * guest's current spt->guest. */
static void entry_build(struct gvt_vgpu *vgpu, struct gvt_spt *spt,
			unsigned int i)
{
	uint64_t g = spt->guest[i];
	uint64_t gfn = (g & GVT_PPGTT_ADDR_MASK) >> 12;

	switch (spt->kind) {
	case GVT_SPT_PT:
		spt->shadow[i] = g & GVT_PPGTT_PRESENT ?
				 leaf_entry(vgpu, spt, i, gfn, g) :
				 scratch_entry(vgpu, 0);
		return;
	case GVT_SPT_PT_64K:
		/* Hardware reads every 16th entry; the shadow maps the 64 KiB
		 * page as 16 small ones (its PDE drops IPS). */
		for (unsigned int j = 0; j < 16; j++)
			spt->shadow[i + j] = g & GVT_PPGTT_PRESENT ?
				leaf_entry(vgpu, spt, i + j, (gfn & ~15ull) + j, g) :
				scratch_entry(vgpu, 0);
		return;
	case GVT_SPT_SPLIT_2M:
		spt->shadow[i] = leaf_entry(vgpu, spt, i, spt->gfn + i,
					    SPLIT_2M_FLAGS);
		return;
	default:
		spt->shadow[i] = dir_entry(vgpu, spt, i, g);
		return;
	}
}

/*
 * Does guest entry @g point where @old did, with a shadow entry @i that
 * owns it (a mapping, or a child table), so that only flag bits change?
 */
static bool same_target(const struct gvt_vgpu *vgpu, const struct gvt_spt *spt,
			unsigned int i, uint64_t old, uint64_t g)
{
	const uint64_t what = GVT_PPGTT_ADDR_MASK | GVT_PPGTT_PRESENT |
			      GVT_PPGTT_PS | GVT_PPGTT_IPS;

	if (((old ^ g) & what) || !(g & GVT_PPGTT_PRESENT))
		return false;
	if (spt->child)
		return spt->child[i] != NULL;
	return spt->kind == GVT_SPT_PT &&
	       (spt->shadow[i] & GVT_BUS_ADDR_MASK) != vgpu->ppgtt.scratch_bus[0];
}

/*
 * The guest's entry @i of @spt is now @g: re-shadow what depends on it.
 * The new entries take their references before the old ones release
 * theirs, so an entry that keeps its frame is never unmapped and remapped.
 */
static void spt_sync(struct gvt_vgpu *vgpu, struct gvt_spt *spt,
		     unsigned int i, uint64_t g)
{
	uint64_t old_guest = spt->guest[i];
	uint64_t old_shadow[16];
	struct gvt_spt *old_child = NULL;
	unsigned int n = 1;

	if (old_guest == g)
		return;
	spt->guest[i] = g;
	if (spt->kind == GVT_SPT_PT_64K) {
		if (i % 16)
			return;	/* the GPU reads only every 16th entry */
		n = 16;
	}
	vgpu->stats.ppgtt_entry_updates++;
	if (same_target(vgpu, spt, i, old_guest, g)) {
		/* Only flags changed: what the entry owns stays. */
		spt->shadow[i] = (spt->shadow[i] & ~0xfffull) |
				 (g & 0xfff & ~(spt->child ? GVT_PPGTT_PS | GVT_PPGTT_IPS : 0));
		return;
	}
	for (unsigned int j = 0; j < n; j++)
		old_shadow[j] = spt->shadow[i + j];
	if (spt->child) {
		old_child = spt->child[i];
		spt->child[i] = NULL;
	}
	entry_build(vgpu, spt, i);
	for (unsigned int j = 0; j < n; j++)
		entry_release(vgpu, spt, i + j, old_shadow[j], old_guest,
			      j ? NULL : old_child);
}

static int table_alloc(struct gvt_vgpu *vgpu, uint64_t **page, uint64_t *bus)
{
	struct gvt_ctx *ctx = vgpu->ctx;

	*page = ctx->pgpu_ops->page_alloc(ctx->pgpu, bus);
	return *page ? 0 : -ENOMEM;
}

/*
 * A shadow table the guest let go of may still be walked by an engine
 * running one of the vGPU's workloads: it waits until the vGPU's engines
 * are done (gvt_ppgtt_gpu_idle()). The fence pairs with the GPU thread's
 * count before it starts an engine: either it sees the new entry, or we
 * see its count.
 */
static void table_free(struct gvt_vgpu *vgpu, uint64_t *page)
{
	struct gvt_ctx *ctx = vgpu->ctx;
	struct gvt_ppgtt_state *st = &vgpu->ppgtt;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vgpu->gpu_busy, __ATOMIC_SEQ_CST)) {
		if (st->num_zombies == st->cap_zombies) {
			size_t cap = st->cap_zombies ? 2 * st->cap_zombies : 64;
			uint64_t **z = realloc(st->zombies, cap * sizeof(*z));

			if (z) {
				st->zombies = z;
				st->cap_zombies = cap;
			}
		}
		if (st->num_zombies < st->cap_zombies) {
			st->zombies[st->num_zombies++] = page;
			return;
		}
		/* No memory to wait with: leak it rather than let an engine
		 * walk freed memory. */
		gvt_vgpu_err(vgpu, "out of memory deferring a shadow table's release; leaking it");
		return;
	}
	ctx->pgpu_ops->page_free(ctx->pgpu, page);
}

void gvt_ppgtt_gpu_idle(struct gvt_vgpu *vgpu)
{
	struct gvt_ppgtt_state *st = &vgpu->ppgtt;

	while (st->num_zombies)
		vgpu->ctx->pgpu_ops->page_free(vgpu->ctx->pgpu,
					       st->zombies[--st->num_zombies]);
}

static void page_written(struct gvt_vgpu *vgpu, uint64_t gpa,
			 const void *data, uint32_t len, void *priv);

/* Is any table of this frame's chain a guest table (so the frame is
 * tracked)? */
static bool chain_has_guest_table(const struct gvt_spt *s)
{
	for (; s; s = s->next)
		if (kind_has_guest_table(s->kind))
			return true;
	return false;
}

/* Chain @spt under its frame; track the frame if it is the first guest
 * table there. */
static int spt_link(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;
	struct gvt_u64map_slot *slot = gvt_u64map_find(&pp->tables, spt->gfn);
	bool tracked = false;

	if (slot) {
		tracked = chain_has_guest_table((struct gvt_spt *)(uintptr_t)slot->value);
	} else {
		slot = gvt_u64map_insert(&pp->tables, spt->gfn);
		if (!slot)
			return -ENOMEM;
	}
	spt->next = (struct gvt_spt *)(uintptr_t)slot->value;
	slot->value = (uintptr_t)spt;
	if (pp->write_protect && kind_has_guest_table(spt->kind) && !tracked &&
	    gvt_page_track_add(vgpu, spt->gfn, page_written, NULL)) {
		/* Correct, only slower: compare at every submission instead. */
		gvt_vgpu_err(vgpu, "PPGTT: write protection failed; shadows are re-validated at submission from now on");
		pp->write_protect = false;
	}
	return 0;
}

static void spt_unlink(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;
	struct gvt_u64map_slot *slot = gvt_u64map_find(&pp->tables, spt->gfn);
	struct gvt_spt *head = (struct gvt_spt *)(uintptr_t)slot->value;

	if (head == spt) {
		head = spt->next;
	} else {
		struct gvt_spt *prev = head;

		while (prev->next != spt)
			prev = prev->next;
		prev->next = spt->next;
	}
	if (kind_has_guest_table(spt->kind) && !chain_has_guest_table(head))
		gvt_page_track_remove(vgpu, spt->gfn);
	if (head)
		slot->value = (uintptr_t)head;
	else
		gvt_u64map_remove(&pp->tables, slot);
}

static void spt_free(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	if (spt->shadow)
		table_free(vgpu, spt->shadow);
	free(spt->child);
	free(spt);
}

/* A reference on the shadow of guest table @gfn used as @kind, built if
 * new; NULL (logged) if it cannot be. */
static struct gvt_spt *spt_get(struct gvt_vgpu *vgpu, uint64_t gfn,
			       enum gvt_spt_kind kind)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;
	struct gvt_spt *spt = spt_find(vgpu, gfn, kind);
	int ret;

	if (spt) {
		spt->refs++;
		return spt;
	}
	if (pp->num_tables >= GVT_PPGTT_MAX_TABLES) {
		vgpu->stats.ppgtt_map_failures++;
		gvt_vgpu_guest_err(vgpu, "PPGTT: more than %u shadow tables; the %s at gfn 0x%llx maps scratch",
				   GVT_PPGTT_MAX_TABLES, kind_name(kind),
				   (unsigned long long)gfn);
		return NULL;
	}
	spt = calloc(1, sizeof(*spt));
	if (!spt)
		goto out_nomem;
	spt->gfn = gfn;
	spt->kind = kind;
	spt->refs = 1;
	/* Pass 0 is never current: a re-validation that builds this table
	 * still walks through it, to older tables reachable only from here. */
	spt->pass = 0;
	if (table_alloc(vgpu, &spt->shadow, &spt->shadow_bus))
		goto out_nomem;
	if (!kind_is_leaf(kind)) {
		spt->child = calloc(GVT_PPGTT_ENTRIES, sizeof(*spt->child));
		if (!spt->child)
			goto out_nomem;
	}
	/* Track before reading, so no write falls between the two. */
	if (spt_link(vgpu, spt))
		goto out_nomem;
	pp->num_tables++;
	vgpu->stats.ppgtt_tables_shadowed++;
	if (kind == GVT_SPT_SPLIT_2M) {
		for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
			entry_build(vgpu, spt, i);
		return spt;
	}
	ret = gvt_hv_read_gpa(vgpu, gfn << 12, spt->guest, sizeof(spt->guest));
	if (ret) {
		vgpu->stats.ppgtt_map_failures++;
		gvt_vgpu_guest_err(vgpu, "PPGTT: the %s at gfn 0x%llx is not guest memory (%d); it maps scratch",
				   kind_name(kind), (unsigned long long)gfn, ret);
		memset(spt->guest, 0, sizeof(spt->guest));
		spt_unlink(vgpu, spt);
		pp->num_tables--;
		spt_free(vgpu, spt);
		return NULL;
	}
	for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES;
	     i += kind == GVT_SPT_PT_64K ? 16 : 1)
		entry_build(vgpu, spt, i);
	return spt;

out_nomem:
	gvt_vgpu_err(vgpu, "PPGTT: out of memory shadowing the %s at gfn 0x%llx; it maps scratch",
		     kind_name(kind), (unsigned long long)gfn);
	if (spt)
		spt_free(vgpu, spt);
	return NULL;
}

static void spt_put(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	if (--spt->refs)
		return;
	for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
		entry_release(vgpu, spt, i, spt->shadow[i],
			      spt->guest[spt->kind == GVT_SPT_PT_64K ? i & ~15u : i],
			      spt->child ? spt->child[i] : NULL);
	spt_unlink(vgpu, spt);
	vgpu->ppgtt.num_tables--;
	spt_free(vgpu, spt);
}

/* Compare @spt with the guest's table now and re-sync what differs. */
static void spt_resync(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	uint64_t now[GVT_PPGTT_ENTRIES];

	if (gvt_hv_read_gpa(vgpu, spt->gfn << 12, now, sizeof(now))) {
		/* The frame left guest RAM: leave the shadow as it was, still
		 * pointing only at mapped frames. */
		gvt_vgpu_guest_err(vgpu, "PPGTT: the %s at gfn 0x%llx is no longer readable; its shadow is kept",
				   kind_name(spt->kind),
				   (unsigned long long)spt->gfn);
		return;
	}
	if (!memcmp(now, spt->guest, sizeof(now)))
		return;
	for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
		if (now[i] != spt->guest[i])
			spt_sync(vgpu, spt, i, now[i]);
}

/* Re-sync @spt at the next pin; it stays alive until then. */
static void spt_defer(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;

	if (spt->deferred)
		return;
	if (pp->num_deferred == pp->cap_deferred) {
		uint32_t cap = pp->cap_deferred ? pp->cap_deferred * 2 : 16;
		struct gvt_spt **d = realloc(pp->deferred, cap * sizeof(*d));

		if (!d) {
			/* Without room to defer, sync now, half-written. */
			spt_resync(vgpu, spt);
			return;
		}
		pp->deferred = d;
		pp->cap_deferred = cap;
	}
	spt->deferred = true;
	spt->refs++;
	pp->deferred[pp->num_deferred++] = spt;
}

static void sync_deferred(struct gvt_vgpu *vgpu)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;

	while (pp->num_deferred) {
		struct gvt_spt *spt = pp->deferred[--pp->num_deferred];

		spt->deferred = false;
		if (spt->refs > 1)	/* still in some tree */
			spt_resync(vgpu, spt);
		spt_put(vgpu, spt);
	}
}

/*
 * A tracked guest frame was written (the write is already in guest memory):
 * re-sync the entries it touched in every table shadowing that frame.
 *
 * A write of whole entries applies at once. A write of part of an entry
 * (a 32-bit guest writes halves) is deferred to the next pin, as GVT-g's
 * post-shadow does: between the halves the entry names a frame the guest
 * never meant, which must be neither mapped nor reported as its error.
 */
static void page_written(struct gvt_vgpu *vgpu, uint64_t gpa,
			 const void *data, uint32_t len, void *priv)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&vgpu->ppgtt.tables,
						       gpa >> 12);
	bool whole = !(gpa % 8) && !(len % 8);
	unsigned int first = (unsigned int)(gpa & 4095) / 8;
	unsigned int n = 0, count = whole ? len / 8 : 0;
	const uint64_t *entries = data;
	struct gvt_spt *chain[8];

	(void)priv;
	if (!slot)
		return;
	/* A sync may drop the last reference on a table of this same frame
	 * (a guest table that points at itself): hold them all meanwhile. */
	for (struct gvt_spt *s = (struct gvt_spt *)(uintptr_t)slot->value;
	     s && n < ARRAY_SIZE(chain); s = s->next) {
		if (!kind_has_guest_table(s->kind))
			continue;
		s->refs++;
		chain[n++] = s;
	}
	for (unsigned int k = 0; k < n; k++) {
		if (!whole)
			spt_defer(vgpu, chain[k]);
		for (unsigned int i = 0; i < count; i++) {
			uint64_t e;

			memcpy(&e, &entries[i], sizeof(e));	/* @data may be unaligned */
			spt_sync(vgpu, chain[k], first + i, e);
		}
		spt_put(vgpu, chain[k]);
	}
}

static void spt_revalidate(struct gvt_vgpu *vgpu, struct gvt_spt *spt)
{
	if (!spt || spt->pass == vgpu->ppgtt.pass)
		return;
	spt->pass = vgpu->ppgtt.pass;
	if (kind_has_guest_table(spt->kind))
		spt_resync(vgpu, spt);
	if (!spt->child)
		return;
	for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
		spt_revalidate(vgpu, spt->child[i]);
}

void gvt_ppgtt_revalidate(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm)
{
	/* Pass 0 is what new tables carry: never make it current. */
	if (++vgpu->ppgtt.pass == 0)
		vgpu->ppgtt.pass = 1;
	vgpu->stats.ppgtt_revalidations++;
	for (unsigned int i = 0; i < 4; i++)
		spt_revalidate(vgpu, mm->top[i]);
}

static bool root_equal(const struct gvt_ppgtt_root *a,
		       const struct gvt_ppgtt_root *b)
{
	if (a->levels != b->levels)
		return false;
	if (a->levels == 4)
		return (a->pdp[0] & GVT_PPGTT_ADDR_MASK) ==
		       (b->pdp[0] & GVT_PPGTT_ADDR_MASK);
	for (unsigned int i = 0; i < 4; i++)
		if ((a->pdp[i] & GVT_PPGTT_ADDR_MASK) !=
		    (b->pdp[i] & GVT_PPGTT_ADDR_MASK))
			return false;
	return true;
}

/* Roots are found by their first address; legacy roots sharing it chain. */
static uint64_t root_key(const struct gvt_ppgtt_root *root)
{
	return (root->pdp[0] & GVT_PPGTT_ADDR_MASK) | root->levels;
}

struct gvt_ppgtt_mm *gvt_ppgtt_find(struct gvt_vgpu *vgpu,
				    const struct gvt_ppgtt_root *root)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&vgpu->ppgtt.roots,
						       root_key(root));

	for (struct gvt_ppgtt_mm *mm = slot ? (struct gvt_ppgtt_mm *)(uintptr_t)slot->value : NULL;
	     mm; mm = mm->next)
		if (root_equal(&mm->root, root))
			return mm;
	return NULL;
}

static void mm_free(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm)
{
	for (unsigned int i = 0; i < 4; i++)
		if (mm->top[i])
			spt_put(vgpu, mm->top[i]);
	free(mm);
}

/* Find or shadow @root, without taking any reference. */
static int mm_lookup(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root,
		     struct gvt_ppgtt_mm **out)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;
	struct gvt_ppgtt_mm *mm = gvt_ppgtt_find(vgpu, root);
	struct gvt_u64map_slot *slot;

	if (mm) {
		*out = mm;
		return 0;
	}
	if (root->levels != 3 && root->levels != 4)
		return -EINVAL;
	if (pp->num_mms == GVT_PPGTT_MAX_ROOTS) {
		gvt_vgpu_guest_err(vgpu, "PPGTT: more than %u live roots; L%u 0x%llx refused",
				   GVT_PPGTT_MAX_ROOTS, root->levels,
				   (unsigned long long)root->pdp[0]);
		return -ENOSPC;
	}
	if (pp->num_mms == pp->cap_mms) {
		uint32_t cap = pp->cap_mms ? pp->cap_mms * 2 : 16;
		struct gvt_ppgtt_mm **mms = realloc(pp->mms, cap * sizeof(*mms));

		if (!mms)
			return -ENOMEM;
		pp->mms = mms;
		pp->cap_mms = cap;
	}
	mm = calloc(1, sizeof(*mm));
	if (!mm)
		return -ENOMEM;
	mm->root = *root;
	if (root->levels == 4) {
		mm->top[0] = spt_get(vgpu, (root->pdp[0] & GVT_PPGTT_ADDR_MASK) >> 12,
				     GVT_SPT_PML4);
		if (!mm->top[0]) {
			free(mm);
			return -EFAULT;
		}
	} else {
		/* A legacy PPGTT's four PDP registers name page directories
		 * directly; one the guest left empty maps scratch. */
		for (unsigned int i = 0; i < 4; i++) {
			uint64_t gfn = (root->pdp[i] & GVT_PPGTT_ADDR_MASK) >> 12;

			if (gfn)
				mm->top[i] = spt_get(vgpu, gfn, GVT_SPT_PD);
		}
	}
	slot = gvt_u64map_find(&pp->roots, root_key(root));
	if (!slot) {
		slot = gvt_u64map_insert(&pp->roots, root_key(root));
		if (!slot) {
			mm_free(vgpu, mm);
			return -ENOMEM;
		}
	}
	mm->next = (struct gvt_ppgtt_mm *)(uintptr_t)slot->value;
	slot->value = (uintptr_t)mm;
	mm->index = pp->num_mms;
	pp->mms[pp->num_mms++] = mm;
	gvt_vgpu_dbg(vgpu, GVT_DBG_MM, "PPGTT L%u 0x%llx shadowed: %u tables",
		     root->levels, (unsigned long long)root->pdp[0],
		     pp->num_tables);
	*out = mm;
	return 0;
}

/* Forget @mm's root and free its shadow. */
static void mm_remove(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;
	struct gvt_u64map_slot *slot = gvt_u64map_find(&pp->roots,
						       root_key(&mm->root));
	struct gvt_ppgtt_mm *head = (struct gvt_ppgtt_mm *)(uintptr_t)slot->value;

	if (head == mm) {
		head = mm->next;
	} else {
		struct gvt_ppgtt_mm *prev = head;

		while (prev->next != mm)
			prev = prev->next;
		prev->next = mm->next;
	}
	if (head)
		slot->value = (uintptr_t)head;
	else
		gvt_u64map_remove(&pp->roots, slot);
	pp->mms[mm->index] = pp->mms[--pp->num_mms];
	pp->mms[mm->index]->index = mm->index;
	mm_free(vgpu, mm);
}

static void mm_maybe_free(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm)
{
	if (!mm->guest_refs && !mm->pins)
		mm_remove(vgpu, mm);
}

int gvt_ppgtt_create(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root,
		     struct gvt_ppgtt_mm **out)
{
	struct gvt_ppgtt_mm *mm;
	int ret = mm_lookup(vgpu, root, &mm);

	if (ret)
		return ret;
	mm->guest_refs++;
	if (out)
		*out = mm;
	return 0;
}

int gvt_ppgtt_destroy(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root)
{
	struct gvt_ppgtt_mm *mm = gvt_ppgtt_find(vgpu, root);

	if (!mm || !mm->guest_refs)
		return -ENOENT;
	mm->guest_refs--;
	mm_maybe_free(vgpu, mm);
	return 0;
}

int gvt_ppgtt_pin(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root,
		  struct gvt_ppgtt_mm **out, uint64_t shadow_pdp[4])
{
	struct gvt_ppgtt_mm *mm;
	int ret = mm_lookup(vgpu, root, &mm);

	if (ret)
		return ret;
	mm->pins++;
	sync_deferred(vgpu);
	if (!vgpu->ppgtt.write_protect)
		gvt_ppgtt_revalidate(vgpu, mm);
	for (unsigned int i = 0; i < 4; i++)
		shadow_pdp[i] = mm->top[i] ? mm->top[i]->shadow_bus :
			root->levels == 3 ? vgpu->ppgtt.scratch_bus[2] : 0;
	*out = mm;
	return 0;
}

void gvt_ppgtt_unpin(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm)
{
	if (!mm || !mm->pins)
		return;
	mm->pins--;
	mm_maybe_free(vgpu, mm);
}

int gvt_ppgtt_init(struct gvt_vgpu *vgpu)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;

	memset(pp, 0, sizeof(*pp));
	for (unsigned int level = 0; level < 4; level++) {
		if (table_alloc(vgpu, &pp->scratch[level], &pp->scratch_bus[level])) {
			gvt_ppgtt_fini(vgpu);
			return -ENOMEM;
		}
		if (!level)
			continue;
		for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
			pp->scratch[level][i] = scratch_entry(vgpu, level - 1);
	}
	pp->write_protect = gvt_hv_has_page_track(vgpu);
	return 0;
}

void gvt_ppgtt_reset(struct gvt_vgpu *vgpu)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;

	while (pp->num_deferred) {
		struct gvt_spt *spt = pp->deferred[--pp->num_deferred];

		spt->deferred = false;
		spt_put(vgpu, spt);
	}
	while (pp->num_mms)
		mm_remove(vgpu, pp->mms[pp->num_mms - 1]);
	pp->write_protect = gvt_hv_has_page_track(vgpu);
}

void gvt_ppgtt_fini(struct gvt_vgpu *vgpu)
{
	struct gvt_ppgtt_state *pp = &vgpu->ppgtt;

	gvt_ppgtt_reset(vgpu);
	free(pp->mms);
	free(pp->deferred);
	gvt_u64map_fini(&pp->roots);
	gvt_u64map_fini(&pp->tables);
	for (unsigned int level = 0; level < 4; level++)
		if (pp->scratch[level])
			table_free(vgpu, pp->scratch[level]);
	gvt_ppgtt_gpu_idle(vgpu);
	free(pp->zombies);
	memset(pp, 0, sizeof(*pp));
}
