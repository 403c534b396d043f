// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a hostile guest's page tables. Two vGPUs on one GPU each
 * have a guest with the same small RAM, and the input is a history of
 * guest actions applied to both alike: page-table writes (whole entries,
 * halves, straddling ones, runs, page copies and clears), PPGTT roots
 * announced and dropped, submissions pinning and unpinning them. Guest A's
 * hypervisor write-protects shadowed tables (every table write is reported
 * through gvt_vgpu_page_write()); guest B's cannot, so its shadows are
 * re-validated when pinned. Checked along the way:
 *   - a pinned shadow, walked as the GPU walks it, reaches exactly what the
 *     reference walk of the guest's tables (tests/mock/guest_ppgtt.c)
 *     reaches: the frame in the vGPU's own RAM, or the vGPU's scratch page
 *     where the guest's walk fails, leaves RAM or uses a 1 GiB page. A's
 *     shadows are current even unpinned, except tables written in part of
 *     an entry, which libgvt settles at the next pin. libgvt's own guest
 *     walk (the command scanner's) agrees with the reference;
 *   - every entry of every shadow table matches the guest entry it was
 *     built from and points only at the vGPU's own RAM, its own scratch
 *     tables or its own shadow tables; the DMA cache's references and the
 *     hypervisor's live mappings and tracked frames are exactly what the
 *     tables account for;
 *   - libgvt writes guest RAM only for the writes A's guest reported;
 *   - once the roots are gone, or the vGPUs destroyed, nothing is left
 *     mapped or tracked and nothing was unmapped twice.
 *
 * The input: a flags byte (bit 0: which guest's RAM is 2 MiB aligned, so
 * that its 2 MiB pages can be kept whole; bit 1: drop every root and pin
 * before destroying the vGPUs), then operations, each an opcode byte (its
 * value mod 16, OP_* below) and its arguments, little-endian, zeros past
 * the end (fuzz_input.h). A frame argument is 2 bytes (pick_frame()), an
 * entry value a kind byte and more (fuzz_pte()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_input.h"
#include "guest_ppgtt.h"
#include "mock_hv.h"
#include "pgpu/sim/sim.h"
#include "ppgtt.h"
#include "private.h"

/* 768 frames: 2 MiB page 0 lies inside RAM, 2 MiB page 1 straddles its end. */
#define RAM_SIZE	(3ull << 20)
#define RAM_FRAMES	(RAM_SIZE >> 12)
#define SZ_2M		(2ull << 20)

#define MAX_ROOTS	8
#define MAX_PINS	8
#define MAX_RECENT	32
#define MAX_WRITES	16
#define MAX_PROBES	16
#define WALKS		24	/* probe addresses walked per root check */

enum op {
	OP_WRITE,	/* 0-4: frame, index and width (2 bytes), value */
	OP_BULK = 5,	/* frame, first (2), count, step, value: one write */
	OP_COPY,	/* source frame, destination frame: a page copy */
	OP_ZERO,	/* frame: the page cleared */
	OP_CREATE_L4,	/* frame, low bits of the root */
	OP_CREATE_L3,	/* mask, then a frame for each PD the mask names */
	OP_DESTROY,	/* root slot */
	OP_PIN,		/* root slot */
	OP_UNPIN,	/* pin slot */
	OP_CHECK,	/* check A's live shadows and both vGPUs' tables */
	OP_PROBE,	/* 8 bytes: an address every root check probes */
	OP_FAULT,	/* what, more: a hypervisor call fails (op_fault()) */
};

struct side {
	const char *name;
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu;
	bool tracked;		/* its hypervisor write-protects */
	/* A dma_map was made to fail, or the shadow table limit was hit:
	 * an entry may map scratch where the guest's maps RAM. */
	bool degraded;
	bool limited;		/* the shadow table limit was hit */
	uint8_t *own_ram;	/* the mock's mapping of RAM, see place_ram() */
};

struct pin {
	struct gvt_ppgtt_mm *mm[2];
	uint64_t pdp[2][4];
};

struct written {
	uint64_t gfn;
	unsigned int index;
};

struct run {
	struct fuzz_input in;
	uint64_t rng;
	struct side s[2];	/* [0] write-protected, [1] re-validated */
	struct gvt_ppgtt_root roots[MAX_ROOTS];
	unsigned int num_roots;	/* announced so far; slots wrap */
	struct pin pins[MAX_PINS];
	unsigned int num_pins;
	uint64_t recent[MAX_RECENT];	/* frames the input named lately */
	unsigned int num_recent;
	struct written writes[MAX_WRITES];	/* entries written lately */
	unsigned int num_writes;
	uint64_t probes[MAX_PROBES];
	unsigned int num_probes;
	uint64_t page_writes;	/* reported to A */
};

/* The checks below are many comparisons of no interest to the fuzzer:
 * keep them out of its coverage feedback, which they would slow and flood. */
#ifdef __clang__
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

static struct gvt_ctx *ctx;

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_ppgtt: invariant broken: %s\n", what);
	abort();
}

static void fail_side(const struct side *s, const char *what)
{
	fprintf(stderr, "fuzz_ppgtt: vGPU %s: ", s->name);
	fail(what);
}

/* splitmix64: probe addresses, seeded from the input. */
NO_COVERAGE
static uint64_t rnd(struct run *r)
{
	uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void remember(struct run *r, uint64_t gfn)
{
	r->recent[r->num_recent++ % MAX_RECENT] = gfn;
}

/*
 * A frame: one the input named lately, one in RAM, one near its end, or
 * an odd one (past RAM, the top of the address space, 2 MiB aligned).
 */
static uint64_t pick_frame(struct run *r)
{
	uint64_t v = fuzz_take(&r->in, 2);
	uint64_t x = v & 0x3fff;
	uint64_t gfn, n;

	switch (v >> 14) {
	case 0:
		n = r->num_recent < MAX_RECENT ? r->num_recent : MAX_RECENT;
		gfn = n ? r->recent[x % n] : x & 0xff;
		break;
	case 1:
		gfn = x % RAM_FRAMES;
		break;
	case 2:
		gfn = x & 0x3ff;
		break;
	default: {
		const uint64_t odd[] = {
			RAM_FRAMES - 1, RAM_FRAMES, 512, 1023, 1024 + (x >> 3),
			(x >> 3) << 9, 0x3ffffffffull - (x >> 3), 0,
		};

		gfn = odd[x & 7];
		break;
	}
	}
	remember(r, gfn);
	return gfn;
}

/* An entry value's frame (fuzz_pte()). */
static uint64_t pte_frame(void *r)
{
	return pick_frame(r);
}

/* The guest writes @len bytes at @gpa (in RAM, within one page): A's
 * hypervisor reports it, B's lets it through. */
static void guest_write(struct run *r, uint64_t gpa, const void *buf,
			uint32_t len)
{
	r->page_writes++;
	if (gvt_vgpu_page_write(r->s[0].vgpu, gpa, buf, len))
		fail_side(&r->s[0], "a page write in RAM failed");
	memcpy(r->s[1].hv->ram + gpa, buf, len);
	r->writes[r->num_writes++ % MAX_WRITES] =
		(struct written){ gpa >> 12, (unsigned int)(gpa % 4096 / 8) };
}

/* ---- The guest's tables, as the reference sees them ---- */

NO_COVERAGE
static bool ram_entry(const struct run *r, uint64_t table, unsigned int i,
		      uint64_t *e)
{
	uint64_t at = (table & GPT_ADDR) + i * 8ull;

	if (at + 8 > RAM_SIZE)
		return false;
	memcpy(e, r->s[0].hv->ram + at, 8);
	return true;
}

/* The guest's walk of @gma uses a 1 GiB page, which vGPUs refuse. */
NO_COVERAGE
static bool via_1g(const struct run *r, const struct gvt_ppgtt_root *root,
		   uint64_t gma)
{
	uint64_t e;

	return root->levels == 4 &&
	       ram_entry(r, root->pdp[0], (gma >> 39) & 511, &e) &&
	       (e & GPT_PRESENT) && ram_entry(r, e, (gma >> 30) & 511, &e) &&
	       (e & GPT_PRESENT) && (e & GPT_PS);
}

/* An offset into a page of @size bytes, often at an edge. */
NO_COVERAGE
static uint64_t page_offset(struct run *r, uint64_t size)
{
	uint64_t x = rnd(r);

	switch (x & 3) {
	case 0:
		return 0;
	case 1:
		return size - 1 - (x >> 8) % 8;
	case 2:
		return (x >> 8) % size;
	default:
		return ((x >> 8) % (size >> 12)) << 12 |
		       ((x >> 40) & 1 ? 4095 : 0);
	}
}

/* An entry of @table to walk through (with @step 16 the 64 KiB ones):
 * often one the input wrote, mostly a present one, sometimes any. */
NO_COVERAGE
static unsigned int pick_index(struct run *r, uint64_t table,
			       unsigned int step)
{
	uint64_t gfn = (table & GPT_ADDR) >> 12;
	uint64_t x = rnd(r);
	unsigned int present[GVT_PPGTT_ENTRIES];
	unsigned int n = 0;
	uint64_t e;

	if (x & 1) {
		unsigned int start = (unsigned int)(x >> 8);
		unsigned int n_w = r->num_writes < MAX_WRITES ?
				   r->num_writes : MAX_WRITES;

		for (unsigned int k = 0; k < n_w; k++) {
			const struct written *w = &r->writes[(start + k) % n_w];

			if (w->gfn == gfn)
				return w->index & ~(step - 1);
		}
	}
	if (((x >> 1) & 3) && gfn < RAM_FRAMES) {
		const uint8_t *page = r->s[0].hv->ram + (gfn << 12);

		for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i += step) {
			memcpy(&e, page + i * 8, 8);
			if (e & GPT_PRESENT)
				present[n++] = i;
		}
		if (n)
			return present[(x >> 16) % n];
	}
	return (unsigned int)(x >> 16) % GVT_PPGTT_ENTRIES & ~(step - 1);
}

/* A PPGTT address of @root whose walk goes where the guest's tables lead,
 * to their leaves and the edges of the pages there. */
NO_COVERAGE
static uint64_t guided_gma(struct run *r,
			   const struct gvt_ppgtt_root *root)
{
	uint64_t gma = 0;
	uint64_t table, e;
	unsigned int level, i;
	bool ips = false;

	if (root->levels == 4) {
		table = root->pdp[0];
		level = 4;
	} else {
		i = (unsigned int)(rnd(r) & 3);
		gma = (uint64_t)i << 30;
		table = root->pdp[i];
		if (!(table & GPT_ADDR))
			return gma | page_offset(r, 1ull << 30);
		level = 2;
	}
	for (;; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		unsigned int step = level == 1 && ips ? 16 : 1;

		i = pick_index(r, table, step);
		if (step == 16) {
			uint64_t x = rnd(r);

			i |= x & 1 ? (unsigned int)(x >> 8) % 16 :
			     x & 2 ? 15 : 0;
		}
		gma |= (uint64_t)i << shift;
		if (!ram_entry(r, table, i & ~(step - 1), &e) ||
		    !(e & GPT_PRESENT) || level == 1 ||
		    ((e & GPT_PS) && level <= 3))
			return gma | page_offset(r, 1ull << shift);
		ips = level == 2 && (e & GPT_IPS);
		table = e;
	}
}

/* ---- The shadows ---- */

NO_COVERAGE
static bool in_ram(const struct side *s, uint64_t bus)
{
	return bus >= (uintptr_t)s->hv->ram &&
	       bus - (uintptr_t)s->hv->ram < RAM_SIZE;
}

NO_COVERAGE
static uint64_t scratch_entry(const struct side *s, unsigned int level)
{
	return s->vgpu->ppgtt.scratch_bus[level] | GVT_PPGTT_PRESENT | GVT_PPGTT_RW;
}

/* What the GPU loads into its PDP registers for @mm, as pin gives it. */
static void mm_pdp(const struct side *s, const struct gvt_ppgtt_mm *mm,
		   uint64_t pdp[4])
{
	for (unsigned int i = 0; i < 4; i++)
		pdp[i] = mm->top[i] ? mm->top[i]->shadow_bus :
			 mm->root.levels == 3 ? s->vgpu->ppgtt.scratch_bus[2] : 0;
}

/*
 * Translate @gma through each listed side's shadow as the GPU does and
 * compare with the reference walk of the guest's tables.
 */
NO_COVERAGE
static void check_gma(struct run *r, const struct gvt_ppgtt_root *root,
		      struct side *const sides[], const uint64_t *const pdps[],
		      unsigned int n, uint64_t gma)
{
	uint64_t gpa = 0, gpa2 = 0, bus;
	int ref = guest_ppgtt_walk(r->s[0].hv, root->levels, root->pdp, gma, &gpa);
	int own = gvt_ppgtt_gma_to_gpa(r->s[0].vgpu, root, gma, &gpa2);
	bool want_ram = !ref && gpa < RAM_SIZE && !via_1g(r, root, gma);

	if (!ref != !own || (!ref && gpa != gpa2))
		fail("libgvt's guest walk (the command scanner's) differs from the reference walk");
	for (unsigned int k = 0; k < n; k++) {
		const struct side *s = sides[k];
		uint64_t scratch = s->vgpu->ppgtt.scratch_bus[0];

		if (sim_ppgtt_translate(pdps[k], root->levels, gma, &bus))
			fail_side(s, "the GPU faults in a shadow: a hole does not map scratch");
		if (in_ram(s, bus)) {
			if (!want_ram)
				fail_side(s, "the shadow maps guest RAM where the guest's tables map none (or a 1 GiB page)");
			if (bus - (uintptr_t)s->hv->ram != gpa)
				fail_side(s, "the shadow maps another guest frame than the guest's tables");
		} else if ((bus & ~4095ull) == scratch) {
			if ((bus & 4095) != (gma & 4095))
				fail_side(s, "the scratch page is mapped at the wrong offset");
			if (want_ram && !s->degraded)
				fail_side(s, "the shadow maps scratch where the guest's tables map RAM");
		} else {
			fail_side(s, "the shadow maps memory that is neither the vGPU's RAM nor its scratch page");
		}
	}
}

/* Probe @root in the listed shadows: addresses the input gave, walks
 * along the guest's tables, and a few anywhere. */
NO_COVERAGE
static void check_root(struct run *r, const struct gvt_ppgtt_root *root,
		       struct side *const sides[], const uint64_t *const pdps[],
		       unsigned int n)
{
	uint64_t limit = root->levels == 4 ? 1ull << 48 : 1ull << 32;

	for (unsigned int i = 0; i < r->num_probes && i < MAX_PROBES; i++)
		check_gma(r, root, sides, pdps, n, r->probes[i] % limit);
	for (unsigned int i = 0; i < WALKS; i++)
		check_gma(r, root, sides, pdps, n, guided_gma(r, root));
	for (unsigned int i = 0; i < 4; i++)
		check_gma(r, root, sides, pdps, n, rnd(r) % limit);
}

NO_COVERAGE
static bool is_table_of(const struct side *s, const struct gvt_spt *t)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&s->vgpu->ppgtt.tables, t->gfn);

	for (const struct gvt_spt *c = slot ? (struct gvt_spt *)slot->value : NULL;
	     c; c = c->next)
		if (c == t)
			return true;
	return false;
}

static bool frame_in_ram(uint64_t gfn)
{
	return gfn < RAM_FRAMES;
}

/* Entry @i of directory @t maps scratch at @level, as a hole does. */
NO_COVERAGE
static void check_hole(const struct side *s, const struct gvt_spt *t,
		       unsigned int i, unsigned int level)
{
	if (t->child[i] || t->shadow[i] != scratch_entry(s, level))
		fail_side(s, "a directory entry the guest left empty (or that maps a 1 GiB page) is not scratch");
}

/*
 * Entry @i of directory @t, built from guest entry @g, points at the shadow
 * of the guest table at @gfn used as @kind (@level below @t's), or at
 * scratch where none could be made.
 */
NO_COVERAGE
static void check_dir_entry(const struct side *s, const struct gvt_spt *t,
			    unsigned int i, uint64_t g, enum gvt_spt_kind kind,
			    uint64_t gfn, unsigned int level)
{
	const struct gvt_spt *child = t->child[i];
	uint64_t e = t->shadow[i];
	uint64_t flags = g & 0xfff & ~(GVT_PPGTT_PS | GVT_PPGTT_IPS);

	if (!child) {
		if (e != scratch_entry(s, level))
			fail_side(s, "a directory entry without a child table is not scratch");
		/* A split 2 MiB page needs no guest memory: only the table
		 * limit stops it. */
		if ((kind == GVT_SPT_SPLIT_2M || frame_in_ram(gfn)) && !s->limited)
			fail_side(s, "a directory entry naming a guest table in RAM maps scratch");
		return;
	}
	if (!is_table_of(s, child) || !child->refs)
		fail_side(s, "a directory entry points at a table that is not one of the vGPU's");
	if (child->kind != kind || child->gfn != gfn)
		fail_side(s, "a directory entry's child shadows another table than the guest's entry names");
	if (e != (child->shadow_bus | flags))
		fail_side(s, "a directory entry does not point at its child's shadow");
}

/*
 * Entry @i of shadow table @t against the guest entry it was built from.
 * Return: 1 if it holds a DMA cache reference, else 0.
 */
NO_COVERAGE
static unsigned int check_entry(const struct side *s, const struct gvt_spt *t,
				unsigned int i)
{
	uint64_t e = t->shadow[i];
	uint64_t g = t->guest[t->kind == GVT_SPT_PT_64K ? i & ~15u : i];
	uint64_t gfn = (g & GVT_PPGTT_ADDR_MASK) >> 12;

	switch (t->kind) {
	case GVT_SPT_PT:
	case GVT_SPT_PT_64K:
	case GVT_SPT_SPLIT_2M:
		if (t->kind == GVT_SPT_SPLIT_2M) {
			g = GVT_PPGTT_PRESENT | GVT_PPGTT_RW;
			gfn = t->gfn + i;
		} else if (t->kind == GVT_SPT_PT_64K) {
			gfn = (gfn & ~15ull) + (i & 15);
		}
		if ((g & GVT_PPGTT_PRESENT) && frame_in_ram(gfn) &&
		    e == (mock_hv_bus_addr(s->hv, gfn) | (g & 0xfff)))
			return 1;
		if (e != scratch_entry(s, 0))
			fail_side(s, "a leaf maps neither the guest's frame nor scratch");
		if ((g & GVT_PPGTT_PRESENT) && frame_in_ram(gfn) && !s->degraded)
			fail_side(s, "a leaf maps scratch for a guest frame in RAM");
		return 0;
	case GVT_SPT_PD:
		if (!(g & GVT_PPGTT_PRESENT)) {
			check_hole(s, t, i, 1);
			return 0;
		}
		if (!(g & GVT_PPGTT_PS)) {
			check_dir_entry(s, t, i, g, g & GVT_PPGTT_IPS ?
					GVT_SPT_PT_64K : GVT_SPT_PT, gfn, 1);
			return 0;
		}
		gfn &= ~511ull;
		if (t->child[i] || !(e & GVT_PPGTT_PS)) {
			check_dir_entry(s, t, i, g, GVT_SPT_SPLIT_2M, gfn, 1);
			return 0;
		}
		/* A 2 MiB page kept whole. */
		if (!frame_in_ram(gfn + 511) ||
		    e != (mock_hv_bus_addr(s->hv, gfn) | (g & 0xfff)) ||
		    (e & GVT_BUS_ADDR_MASK) % SZ_2M)
			fail_side(s, "a 2 MiB page is kept whole where it is not all in RAM or not 2 MiB aligned");
		return 1;
	case GVT_SPT_PDP:
		if (!(g & GVT_PPGTT_PRESENT) || (g & GVT_PPGTT_PS))
			check_hole(s, t, i, 2);
		else
			check_dir_entry(s, t, i, g, GVT_SPT_PD, gfn, 2);
		return 0;
	case GVT_SPT_PML4:
		if (!(g & GVT_PPGTT_PRESENT))
			check_hole(s, t, i, 3);
		else
			check_dir_entry(s, t, i, g, GVT_SPT_PDP, gfn, 3);
		return 0;
	}
	fail_side(s, "a shadow table of no known kind");
	return 0;
}

/*
 * Every shadow table of @s against its guest values, and the accounting:
 * DMA references, live mappings and tracked frames are what the tables
 * hold. A write-protected vGPU's tables are also all current.
 */
NO_COVERAGE
static void check_tables(const struct side *s)
{
	const struct gvt_ppgtt_state *pp = &s->vgpu->ppgtt;
	uint64_t tables = 0, refs = 0, frames = 0;

	for (unsigned int level = 1; level < 4; level++)
		for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
			if (pp->scratch[level][i] != scratch_entry(s, level - 1))
				fail_side(s, "a scratch table was written");
	for (uint32_t k = 0; k < pp->tables.capacity; k++) {
		const struct gvt_u64map_slot *slot = &pp->tables.slots[k];
		bool guest_table = false;

		if (slot->key == GVT_U64MAP_EMPTY)
			continue;
		if (!slot->value)
			fail_side(s, "a frame in the table map has no table");
		for (const struct gvt_spt *t = (struct gvt_spt *)slot->value; t;
		     t = t->next) {
			tables++;
			if (t->gfn != slot->key || !t->refs)
				fail_side(s, "a shadow table is filed under another frame, or unreferenced");
			if (t->kind != GVT_SPT_SPLIT_2M) {
				guest_table = true;
				if (!frame_in_ram(t->gfn))
					fail_side(s, "a guest table outside RAM has a shadow");
				/* Partly written entries wait for the next pin. */
				if (pp->write_protect && !t->deferred &&
				    memcmp(t->guest, s->hv->ram + t->gfn * 4096, 4096))
					fail_side(s, "a write-protected shadow is not current");
			}
			for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++)
				refs += check_entry(s, t, i);
		}
		frames += guest_table;
	}
	if (tables != pp->num_tables)
		fail_side(s, "the shadow table count is wrong");
	if (refs != s->vgpu->dma.refs)
		fail_side(s, "the DMA cache's references are not what the shadow entries hold");
	if (s->hv->maps_live != s->vgpu->dma.map.count)
		fail_side(s, "the hypervisor's live mappings are not the DMA cache's");
	if (s->hv->bad_unmaps)
		fail_side(s, "something was unmapped that was not mapped");
	if (!s->tracked ? s->hv->tracked_live != 0 :
	    pp->write_protect ? s->hv->tracked_live != frames :
	    s->hv->tracked_live > frames)
		fail_side(s, "the tracked frames are not the shadowed tables'");
}

/* ---- Tables reachable from a root are current after a pin ---- */

struct reach {
	const struct gvt_spt **all;
	bool *seen;
	size_t n;
};

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a;
	uintptr_t y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

NO_COVERAGE
static void reach_mark(const struct side *s, struct reach *rc,
		       const struct gvt_spt *t)
{
	const struct gvt_spt **at;
	size_t i;

	if (!t)
		return;
	at = bsearch(&t, rc->all, rc->n, sizeof(*rc->all), ptr_cmp);
	if (!at)
		fail_side(s, "a shadow reaches a table that is not the vGPU's");
	i = (size_t)(at - rc->all);
	if (rc->seen[i])
		return;
	rc->seen[i] = true;
	if (t->kind != GVT_SPT_SPLIT_2M &&
	    memcmp(t->guest, s->hv->ram + t->gfn * 4096, 4096))
		fail_side(s, "a table reachable from a pinned root was not re-validated");
	if (t->child)
		for (unsigned int k = 0; k < GVT_PPGTT_ENTRIES; k++)
			reach_mark(s, rc, t->child[k]);
}

NO_COVERAGE
static void check_current(const struct side *s,
			  const struct gvt_ppgtt_mm *mm)
{
	const struct gvt_ppgtt_state *pp = &s->vgpu->ppgtt;
	struct reach rc = { 0 };

	rc.all = malloc((pp->num_tables + 1) * sizeof(*rc.all));
	rc.seen = calloc(pp->num_tables + 1, sizeof(*rc.seen));
	if (!rc.all || !rc.seen)
		fail("out of memory");
	for (uint32_t k = 0; k < pp->tables.capacity; k++) {
		const struct gvt_u64map_slot *slot = &pp->tables.slots[k];

		if (slot->key == GVT_U64MAP_EMPTY)
			continue;
		for (const struct gvt_spt *t = (struct gvt_spt *)slot->value;
		     t && rc.n < pp->num_tables; t = t->next)
			rc.all[rc.n++] = t;
	}
	qsort(rc.all, rc.n, sizeof(*rc.all), ptr_cmp);
	for (unsigned int i = 0; i < 4; i++)
		reach_mark(s, &rc, mm->top[i]);
	free(rc.all);
	free(rc.seen);
}

/* ---- Operations ---- */

static void op_write(struct run *r)
{
	uint64_t gfn = pick_frame(r) % RAM_FRAMES;
	unsigned int iw = (unsigned int)fuzz_take(&r->in, 2);
	unsigned int i = iw & 511;
	uint64_t v = fuzz_pte(&r->in, pte_frame, r);
	uint64_t gpa = gfn << 12 | i * 8u;
	uint32_t half;

	switch ((iw >> 9) & 7) {
	case 4:		/* the low dword */
		half = (uint32_t)v;
		guest_write(r, gpa, &half, 4);
		break;
	case 5:		/* the high dword */
		half = (uint32_t)(v >> 32);
		guest_write(r, gpa + 4, &half, 4);
		break;
	case 6:		/* straddling two entries */
		guest_write(r, i < 511 ? gpa + 4 : gpa, &v, 8);
		break;
	default:
		guest_write(r, gpa, &v, 8);
		break;
	}
}

static void op_bulk(struct run *r)
{
	static const uint64_t steps[] = {
		0, 1ull << 12, 16ull << 12, 512ull << 12, 1, 2ull << 12,
		1ull << 30, 1ull << 21,
	};
	uint64_t gfn = pick_frame(r) % RAM_FRAMES;
	unsigned int first = (unsigned int)fuzz_take(&r->in, 2) & 511;
	unsigned int count = 1 + (unsigned int)fuzz_take(&r->in, 1) % 64;
	uint64_t step = steps[fuzz_take(&r->in, 1) & 7];
	uint64_t v = fuzz_pte(&r->in, pte_frame, r);
	uint64_t buf[64];

	if (count > GVT_PPGTT_ENTRIES - first)
		count = GVT_PPGTT_ENTRIES - first;
	for (unsigned int k = 0; k < count; k++)
		buf[k] = v + k * step;
	guest_write(r, gfn << 12 | first * 8u, buf, count * 8);
}

static void op_copy(struct run *r, bool zero)
{
	uint8_t page[4096];
	uint64_t src = zero ? 0 : pick_frame(r) % RAM_FRAMES;
	uint64_t dst = pick_frame(r) % RAM_FRAMES;

	if (zero)
		memset(page, 0, sizeof(page));
	else
		memcpy(page, r->s[0].hv->ram + (src << 12), sizeof(page));
	guest_write(r, dst << 12, page, sizeof(page));
}

static void op_create(struct run *r, unsigned int levels)
{
	struct gvt_ppgtt_root root = { .levels = (uint8_t)levels };
	int ret[2];

	if (levels == 4) {
		root.pdp[0] = pick_frame(r) << 12;
		root.pdp[0] |= fuzz_take(&r->in, 1);
	} else {
		unsigned int mask = (unsigned int)fuzz_take(&r->in, 1);

		for (unsigned int i = 0; i < 4; i++)
			if (mask & (1u << i))
				root.pdp[i] = pick_frame(r) << 12;
	}
	r->roots[r->num_roots++ % MAX_ROOTS] = root;
	for (unsigned int k = 0; k < 2; k++) {
		ret[k] = gvt_ppgtt_create(r->s[k].vgpu, &root, NULL);
		if (ret[k] && ret[k] != -EFAULT)
			fail_side(&r->s[k], "create failed other than for a root outside RAM");
	}
	if (r->s[0].limited || r->s[1].limited)
		return;
	if (ret[0] != ret[1])
		fail("the two vGPUs disagree on a create");
	if (ret[0] != (levels == 4 && !frame_in_ram(root.pdp[0] >> 12) ? -EFAULT : 0))
		fail("create refused a root in RAM, or took one outside it");
}

static const struct gvt_ppgtt_root *pick_root(struct run *r)
{
	unsigned int n = r->num_roots < MAX_ROOTS ? r->num_roots : MAX_ROOTS;
	unsigned int i = (unsigned int)fuzz_take(&r->in, 1);

	return n ? &r->roots[i % n] : NULL;
}

static void op_destroy(struct run *r)
{
	const struct gvt_ppgtt_root *root = pick_root(r);

	if (root && gvt_ppgtt_destroy(r->s[0].vgpu, root) !=
		    gvt_ppgtt_destroy(r->s[1].vgpu, root))
		fail("the two vGPUs disagree on a destroy");
}

static void unpin(struct run *r, unsigned int i)
{
	for (unsigned int k = 0; k < 2; k++)
		gvt_ppgtt_unpin(r->s[k].vgpu, r->pins[i].mm[k]);
	r->pins[i] = r->pins[--r->num_pins];
}

static void op_pin(struct run *r)
{
	const struct gvt_ppgtt_root *root = pick_root(r);
	struct side *sides[2] = { &r->s[0], &r->s[1] };
	const uint64_t *pdps[2];
	struct pin *p;
	int ret[2];

	if (!root)
		return;
	if (r->num_pins == MAX_PINS)
		unpin(r, 0);
	p = &r->pins[r->num_pins];
	for (unsigned int k = 0; k < 2; k++) {
		ret[k] = gvt_ppgtt_pin(r->s[k].vgpu, root, &p->mm[k], p->pdp[k]);
		pdps[k] = p->pdp[k];
	}
	if (ret[0] != ret[1] && !r->s[0].limited && !r->s[1].limited)
		fail("the two vGPUs disagree on a pin");
	if (ret[0] || ret[1]) {
		for (unsigned int k = 0; k < 2; k++) {
			if (ret[k] && ret[k] != -EFAULT)
				fail_side(&r->s[k], "pin failed other than for a root outside RAM");
			if (!ret[k])
				gvt_ppgtt_unpin(r->s[k].vgpu, p->mm[k]);
		}
		return;
	}
	r->num_pins++;
	for (unsigned int k = 0; k < 2; k++) {
		check_tables(&r->s[k]);
		if (!r->s[k].vgpu->ppgtt.write_protect)
			check_current(&r->s[k], p->mm[k]);
	}
	check_root(r, root, sides, pdps, 2);
}

/* A's shadows are current whether pinned or not, unless a write of part
 * of an entry waits for the next pin. */
static void op_check(struct run *r)
{
	struct side *a = &r->s[0];
	const struct gvt_ppgtt_state *pp = &a->vgpu->ppgtt;

	check_tables(&r->s[0]);
	check_tables(&r->s[1]);
	if (!pp->write_protect || pp->num_deferred)
		return;
	for (uint32_t i = 0; i < pp->num_mms; i++) {
		struct gvt_ppgtt_root root = pp->mms[i]->root;
		uint64_t pdp[4];
		const uint64_t *pdps[1] = { pdp };

		mm_pdp(a, pp->mms[i], pdp);
		check_root(r, &root, &a, pdps, 1);
	}
}

/*
 * A hypervisor failure on one side (bit 0 of what): (what >> 1) % 3 is 0 for
 * a refused page_track_enable, 1 for a refused dma_map, 2 for dma_map
 * handing out bus address 0 for a frame (an argument after what).
 */
static void op_fault(struct run *r)
{
	unsigned int what = (unsigned int)fuzz_take(&r->in, 1);
	struct side *s = &r->s[what & 1];
	unsigned int after;

	switch ((what >> 1) % 3) {
	case 0:
		after = (unsigned int)fuzz_take(&r->in, 1) % 16;
		/* libgvt falls back to re-validation from then on. */
		if (s->tracked)
			mock_hv_fail(s->hv, MOCK_PAGE_TRACK_ENABLE, after, 1, -EIO);
		break;
	case 1:
		after = (unsigned int)fuzz_take(&r->in, 1) % 16;
		mock_hv_fail(s->hv, MOCK_DMA_MAP, after, 1, -ENOMEM);
		s->degraded = true;
		break;
	default:
		s->hv->zero_bus_gfn = pick_frame(r) % RAM_FRAMES;
		s->degraded = true;
		break;
	}
}

/* ---- One input ---- */

/*
 * Whether a 2 MiB page is kept whole depends on its bus address being
 * 2 MiB aligned: give @s's RAM a 2 MiB boundary plus @offset, as a second
 * mapping of the mock's memfd. The mock's own mapping stays, untouched,
 * until place_ram_undo() hands it back.
 */
static void place_ram(struct side *s, uint64_t offset)
{
	size_t span = RAM_SIZE + 2 * SZ_2M;
	uint8_t *res, *at;

	s->own_ram = s->hv->ram;
	if ((uintptr_t)s->hv->ram % SZ_2M == offset)
		return;
	res = mmap(NULL, span, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		fail("reserve address space");
	at = (uint8_t *)(((uintptr_t)res + SZ_2M - 1) & ~(SZ_2M - 1)) + offset;
	if (mmap(at, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 s->hv->memfd, 0) == MAP_FAILED)
		fail("map guest RAM");
	if (at > res)
		munmap(res, (size_t)(at - res));
	munmap(at + RAM_SIZE, (size_t)(res + span - at - RAM_SIZE));
	s->hv->ram = at;
}

static void place_ram_undo(struct side *s)
{
	if (s->hv->ram != s->own_ram)
		munmap(s->hv->ram, RAM_SIZE);
	s->hv->ram = s->own_ram;
}

static void setup(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 512,
		.log_fn = quiet,
	};

	if (gvt_ctx_create(&p, &ctx))
		fail("setup");
}

static void side_create(struct side *s, const char *name, bool tracked,
			bool aligned)
{
	s->name = name;
	s->tracked = tracked;
	s->degraded = false;
	s->limited = false;
	if (mock_hv_create(RAM_SIZE, &s->hv))
		fail("mock hypervisor");
	place_ram(s, aligned ? 0 : 4096);
	if (gvt_vgpu_create(ctx, "GVTg_V5_4",
			    tracked ? &mock_hv_ops : &mock_hv_ops_no_track,
			    s->hv, &s->vgpu))
		fail("vGPU create");
	if (s->vgpu->ppgtt.write_protect != tracked)
		fail_side(s, "write protection is not what the hypervisor offers");
}

/*
 * Drop every pin and every guest reference, then pin and unpin a root
 * without tables, which settles partly written tables: nothing may stay.
 */
static void release_all(struct run *r)
{
	const struct gvt_ppgtt_root none = { .levels = 3 };

	while (r->num_pins)
		unpin(r, r->num_pins - 1);
	for (unsigned int k = 0; k < 2; k++) {
		struct side *s = &r->s[k];
		struct gvt_ppgtt_state *pp = &s->vgpu->ppgtt;
		struct gvt_ppgtt_mm *mm;
		uint64_t pdp[4];

		while (pp->num_mms) {
			struct gvt_ppgtt_root root = pp->mms[0]->root;
			uint32_t n = pp->num_mms;

			while (pp->num_mms == n)
				if (gvt_ppgtt_destroy(s->vgpu, &root))
					fail_side(s, "a root without pins outlived its guest references");
		}
		if (gvt_ppgtt_pin(s->vgpu, &none, &mm, pdp))
			fail_side(s, "pinning a root without tables failed");
		gvt_ppgtt_unpin(s->vgpu, mm);
		if (pp->num_tables || pp->tables.count || s->vgpu->dma.refs ||
		    s->vgpu->dma.map.count)
			fail_side(s, "shadow tables or mappings outlived every root");
		if (s->hv->maps_live || s->hv->tracked_live || s->hv->bad_unmaps)
			fail_side(s, "mappings or tracked frames outlived every root");
	}
}

static void run(const uint8_t *data, size_t size)
{
	struct run *r = calloc(1, sizeof(*r));
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int flags;

	if (!r)
		fail("out of memory");
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	r->rng = h;
	r->in = (struct fuzz_input){ data, size };
	flags = (unsigned int)fuzz_take(&r->in, 1);
	side_create(&r->s[0], "A (write-protected)", true, !(flags & 1));
	side_create(&r->s[1], "B (re-validated)", false, flags & 1);

	while (r->in.left) {
		switch (fuzz_take(&r->in, 1) % 16) {
		case OP_WRITE ... OP_WRITE + 4:
			op_write(r);
			break;
		case OP_BULK:
			op_bulk(r);
			break;
		case OP_COPY:
			op_copy(r, false);
			break;
		case OP_ZERO:
			op_copy(r, true);
			break;
		case OP_CREATE_L4:
			op_create(r, 4);
			break;
		case OP_CREATE_L3:
			op_create(r, 3);
			break;
		case OP_DESTROY:
			op_destroy(r);
			break;
		case OP_PIN:
			op_pin(r);
			break;
		case OP_UNPIN:
			if (r->num_pins)
				unpin(r, (unsigned int)fuzz_take(&r->in, 1) %
					 r->num_pins);
			break;
		case OP_CHECK:
			op_check(r);
			break;
		case OP_PROBE:
			r->probes[r->num_probes++ % MAX_PROBES] =
				fuzz_take(&r->in, 8);
			break;
		default:
			op_fault(r);
			break;
		}
		for (unsigned int k = 0; k < 2; k++)
			if (r->s[k].vgpu->ppgtt.num_tables >= GVT_PPGTT_MAX_TABLES)
				r->s[k].degraded = r->s[k].limited = true;
	}

	for (unsigned int k = 0; k < 2; k++)
		mock_hv_fail(r->s[k].hv, MOCK_DMA_MAP, 0, 0, 0);
	op_check(r);
	if (r->s[0].hv->calls[MOCK_WRITE_GPA] != r->page_writes ||
	    r->s[1].hv->calls[MOCK_WRITE_GPA])
		fail("libgvt wrote guest RAM other than for the guest's reported writes");
	if (flags & 2)
		release_all(r);
	for (unsigned int k = 0; k < 2; k++) {
		struct side *s = &r->s[k];

		gvt_vgpu_destroy(s->vgpu);
		if (s->hv->maps_live || s->hv->tracked_live || s->hv->bad_unmaps)
			fail_side(s, "mappings or tracked frames outlived the vGPU, or one was unmapped twice");
		place_ram_undo(s);
		mock_hv_destroy(s->hv);
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx)
		setup();
	run(data, size);
	return 0;
}
