// SPDX-License-Identifier: MIT
/*
 * PPGTT shadowing, the guest walkers and the DMA cache: the shadow
 * translates every address as the guest's tables do (checked with the sim
 * GPU's walker against an independent reference walk), holes and refused
 * entries map the vGPU's own scratch, huge and 64 KiB pages, sharing,
 * teardown, and write protection and re-validation giving identical
 * shadows on random histories.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "guest_ppgtt.h"
#include "harness.h"
#include "pgpu/sim/sim.h"
#include "private.h"
#include "u64map.h"

#define POOL_GPA (32ull << 20)	/* guest tables live in the top half of RAM */
#define POOL_SIZE (16ull << 20)
#define PAGE 4096ull

static struct guest_ppgtt g;

static void setup(void)
{
	t_setup_vgpu();
	ck_assert_int_eq(guest_ppgtt_init(&g, t_hv, POOL_GPA, POOL_SIZE), 0);
	g.vgpu = t_vgpu;	/* writes are trapped, as with KVM or Xen */
}

static struct gvt_ppgtt_root l4_root(const struct guest_ppgtt *gp)
{
	return (struct gvt_ppgtt_root){ .pdp = { gp->pml4 }, .levels = 4 };
}

/* Pin @root on @vgpu and translate @gma through the shadow as the GPU
 * would; returns the bus address. */
static uint64_t shadow_bus(struct gvt_vgpu *vgpu, struct gvt_ppgtt_root root,
			   uint64_t gma)
{
	struct gvt_ppgtt_mm *mm;
	uint64_t pdp[4], bus = 0;

	ck_assert_int_eq(gvt_ppgtt_pin(vgpu, &root, &mm, pdp), 0);
	ck_assert_int_eq(sim_ppgtt_translate(pdp, root.levels, gma, &bus), 0);
	gvt_ppgtt_unpin(vgpu, mm);
	return bus;
}

static uint64_t scratch_of(struct gvt_vgpu *vgpu, uint64_t gma)
{
	return vgpu->ppgtt.scratch_bus[0] | (gma & 4095);
}

/* What the shadow must give for @gma: the mapped guest byte, or scratch. */
static uint64_t expected_bus(struct gvt_vgpu *vgpu, struct mock_hv *hv,
			     struct gvt_ppgtt_root root, uint64_t gma)
{
	uint64_t gpa;

	if (guest_ppgtt_walk(hv, root.levels, root.pdp, gma, &gpa) ||
	    gpa >= hv->ram_size)
		return scratch_of(vgpu, gma);
	return mock_hv_bus_addr(hv, gpa / PAGE) + gpa % PAGE;
}

static void assert_translates(struct gvt_vgpu *vgpu, struct mock_hv *hv,
			      struct gvt_ppgtt_root root, uint64_t gma)
{
	uint64_t want = expected_bus(vgpu, hv, root, gma);
	uint64_t got = shadow_bus(vgpu, root, gma);

	ck_assert_msg(got == want, "gma 0x%llx: shadow 0x%llx, expected 0x%llx",
		      (unsigned long long)gma, (unsigned long long)got,
		      (unsigned long long)want);
}

START_TEST(test_ppgtt_shadow_translates_4k_pages)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	struct gvt_ppgtt_mm *mm;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT | GPT_RW), 0);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x7fff12345000ull, 0x9000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, &mm), 0);
	/* PML4, two PDPs, two PDs, two PTs. */
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 7);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1234),
			  mock_hv_bus_addr(t_hv, 5) + 0x234);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x7fff12345678ull),
			  mock_hv_bus_addr(t_hv, 9) + 0x678);
	/* The guest's flags carry over to the leaf. */
	ck_assert(t_hv->map_refs[5] == 1 && t_hv->map_refs[9] == 1);
}
END_TEST

START_TEST(test_ppgtt_holes_map_the_vgpus_own_scratch)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	struct mock_hv *hv2;
	struct gvt_vgpu *v2 = t_vgpu_new(t_ctx, "GVTg_V5_4", &hv2);
	struct guest_ppgtt g2;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x200000, 0x5000, PAGE, GPT_PRESENT), 0);
	/* A hole at every level: PML4, PDP, PD, PT. */
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x8000000000ull), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x40000000), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x400000), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x201008), scratch_of(t_vgpu, 8));
	/* Another vGPU's holes lead elsewhere: no channel through scratch. */
	ck_assert_int_eq(guest_ppgtt_init(&g2, hv2, POOL_GPA, POOL_SIZE), 0);
	ck_assert_uint_ne(shadow_bus(v2, l4_root(&g2), 0), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(v2, l4_root(&g2), 0), scratch_of(v2, 0));
	gvt_vgpu_destroy(v2);
	mock_hv_destroy(hv2);
}
END_TEST

START_TEST(test_ppgtt_unmappable_frames_map_scratch_and_say_so)
{
	struct gvt_ppgtt_root root = l4_root(&g);

	/* A leaf past the end of RAM, and a page table past it. */
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 1ull << 40, PAGE, GPT_PRESENT), 0);
	guest_ppgtt_set(&g, guest_ppgtt_table(&g, 0, 2), 1,
			(1ull << 40) | GPT_PRESENT | GPT_RW);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1000), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x200000), scratch_of(t_vgpu, 0));
	ck_assert(t_log_has("cannot be mapped"));
	ck_assert(t_log_has("is not guest memory"));
	ck_assert_uint_ge(t_stats(t_vgpu).ppgtt_map_failures, 2);
	ck_assert(!t_info(t_vgpu).failsafe);
}
END_TEST

START_TEST(test_ppgtt_2m_page_kept_when_contiguous)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	uint64_t pdp[4], pde, *pd;
	struct gvt_ppgtt_mm *mm;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x40000000, 0x400000, 2ull << 20,
					 GPT_PRESENT | GPT_RW), 0);
	ck_assert_int_eq(gvt_ppgtt_pin(t_vgpu, &root, &mm, pdp), 0);
	pd = mm->top[0]->child[0]->child[1]->shadow;
	pde = pd[0];
	ck_assert(pde & GVT_PPGTT_PS);
	ck_assert_uint_eq(pde & GVT_BUS_ADDR_MASK, mock_hv_bus_addr(t_hv, 0x400));
	gvt_ppgtt_unpin(t_vgpu, mm);
	assert_translates(t_vgpu, t_hv, root, 0x40123456);
	assert_translates(t_vgpu, t_hv, root, 0x401fffff);
}
END_TEST

START_TEST(test_ppgtt_2m_page_split_when_not)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	struct gvt_ppgtt_mm *mm;
	uint64_t pdp[4];

	/* The hypervisor cannot map it in one piece: 512 small entries. */
	mock_hv_fail(t_hv, MOCK_DMA_MAP, 0, 1, -ENOMEM);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x40000000, 0x600000, 2ull << 20,
					 GPT_PRESENT | GPT_RW), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	ck_assert_int_eq(gvt_ppgtt_pin(t_vgpu, &root, &mm, pdp), 0);
	ck_assert(!(mm->top[0]->child[0]->child[1]->shadow[0] & GVT_PPGTT_PS));
	gvt_ppgtt_unpin(t_vgpu, mm);
	ck_assert_uint_eq(t_hv->maps_live, 512);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x40000010),
			  mock_hv_bus_addr(t_hv, 0x600) + 0x10);
	assert_translates(t_vgpu, t_hv, root, 0x401ff123);
	/* A 2 MiB page past the end of RAM: each small page is scratch. */
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x80000000, TEST_RAM_SIZE, 2ull << 20,
					 GPT_PRESENT | GPT_RW), 0);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x80001010), scratch_of(t_vgpu, 0x10));
	/* Unmapping the split page releases all 512. */
	guest_ppgtt_set(&g, guest_ppgtt_table(&g, 0x40000000, 2), 0, 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
}
END_TEST

START_TEST(test_ppgtt_64k_pages)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	struct gvt_ppgtt_mm *mm;
	uint64_t pdp[4], pt;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x10000, 0x30000, 65536, GPT_PRESENT | GPT_RW), 0);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x20000, 0x50000, 65536, GPT_PRESENT | GPT_RW), 0);
	for (uint64_t off = 0; off < 0x30000; off += 0x1000)
		assert_translates(t_vgpu, t_hv, root, off + 0x123);
	/* The shadow maps 4 KiB pages: its PDE has no IPS. */
	ck_assert_int_eq(gvt_ppgtt_pin(t_vgpu, &root, &mm, pdp), 0);
	ck_assert(!(mm->top[0]->child[0]->child[0]->shadow[0] & GVT_PPGTT_IPS));
	gvt_ppgtt_unpin(t_vgpu, mm);
	/* Only every 16th entry counts: writing the others changes nothing. */
	pt = guest_ppgtt_table(&g, 0x10000, 1);
	guest_ppgtt_set(&g, pt, 17, 0x70000 | GPT_PRESENT);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x11000),
			  mock_hv_bus_addr(t_hv, 0x31));
	guest_ppgtt_set(&g, pt, 16, 0x70000 | GPT_PRESENT);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x11000),
			  mock_hv_bus_addr(t_hv, 0x71));
	ck_assert_uint_eq(t_hv->map_refs[0x31], 0);
}
END_TEST

START_TEST(test_ppgtt_1g_pages_are_refused)
{
	struct gvt_ppgtt_root root = l4_root(&g);

	ck_assert_int_eq(guest_ppgtt_map(&g, 1ull << 30, 0, 1ull << 30, GPT_PRESENT | GPT_RW), 0);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, (1ull << 30) + 0x5000),
			  scratch_of(t_vgpu, 0));
	ck_assert(t_log_has("1 GiB page"));
	ck_assert_uint_eq(t_hv->maps_live, 0);
}
END_TEST

START_TEST(test_ppgtt_tables_are_shared_between_roots)
{
	struct gvt_ppgtt_root a = l4_root(&g), b;
	uint64_t pml4b = guest_ppgtt_alloc_table(&g);
	struct gvt_ppgtt_mm *mma, *mmb;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	/* A second PML4 pointing at the same PDP (i915 shares scratch
	 * structures like this). */
	guest_ppgtt_set(&g, pml4b, 0, guest_ppgtt_get(&g, g.pml4, 0));
	b = (struct gvt_ppgtt_root){ .pdp = { pml4b }, .levels = 4 };
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &a, &mma), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &b, &mmb), 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 5);	/* 2 PML4, PDP, PD, PT */
	ck_assert_ptr_eq(mma->top[0]->child[0], mmb->top[0]->child[0]);
	ck_assert_uint_eq(t_hv->map_refs[5], 1);
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &a), 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 4);
	ck_assert_uint_eq(shadow_bus(t_vgpu, b, 0x1000), mock_hv_bus_addr(t_hv, 5));
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &b), 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &b), -ENOENT);
}
END_TEST

START_TEST(test_ppgtt_pvinfo_notifications_create_and_destroy_shadows)
{
	const uint32_t pv = 0x78000;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	mmio_w32(t_vgpu, pv + 0x838, (uint32_t)g.pml4);
	mmio_w32(t_vgpu, pv + 0x83c, 0);
	mmio_w32(t_vgpu, pv + 0x818, 4);	/* L4 create */
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 4);
	ck_assert_uint_eq(t_hv->tracked_live, 4);
	ck_assert_uint_eq(t_hv->maps_live, 1);
	mmio_w32(t_vgpu, pv + 0x818, 5);	/* L4 destroy */
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);

	/* A root outside RAM is refused with a reason, nothing kept. */
	mmio_w32(t_vgpu, pv + 0x838, 0);
	mmio_w32(t_vgpu, pv + 0x83c, 0x100);
	mmio_w32(t_vgpu, pv + 0x818, 4);
	ck_assert(t_log_has("L4 PPGTT 0x10000000000 refused"));
	ck_assert_uint_eq(t_vgpu->ppgtt.num_mms, 0);
}
END_TEST

START_TEST(test_ppgtt_pinned_shadow_outlives_the_guest_destroy)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	struct gvt_ppgtt_mm *mm, *pinned;
	uint64_t pdp[4];

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, &mm), 0);
	ck_assert_int_eq(gvt_ppgtt_pin(t_vgpu, &root, &pinned, pdp), 0);
	ck_assert_ptr_eq(mm, pinned);
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &root), 0);
	/* The GPU may still be walking it. */
	ck_assert_uint_eq(t_vgpu->ppgtt.num_mms, 1);
	ck_assert_uint_eq(t_hv->maps_live, 1);
	gvt_ppgtt_unpin(t_vgpu, pinned);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_mms, 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
}
END_TEST

START_TEST(test_ppgtt_reset_and_destroy_leave_nothing)
{
	struct gvt_ppgtt_root root = l4_root(&g);

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x200000, 0x400000, 2ull << 20, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	ck_assert_uint_gt(t_hv->maps_live, 0);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_mms, 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	/* Destroy with shadows alive: the teardown releases them (ASan
	 * checks the memory). */
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
	ck_assert_uint_eq(t_hv->bad_unmaps, 0);
}
END_TEST

START_TEST(test_ppgtt_write_protect_updates_only_what_changed)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	uint64_t pt, maps;

	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x2000, 0x6000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	pt = guest_ppgtt_table(&g, 0x1000, 1);
	maps = t_hv->calls[MOCK_DMA_MAP];
	guest_ppgtt_set(&g, pt, 1, 0x7000 | GPT_PRESENT);
	/* One new mapping, the old frame released, the other entry untouched. */
	ck_assert_uint_eq(t_hv->calls[MOCK_DMA_MAP], maps + 1);
	ck_assert_uint_eq(t_hv->map_refs[5], 0);
	ck_assert_uint_eq(t_hv->map_refs[6], 1);
	ck_assert_uint_eq(t_stats(t_vgpu).ppgtt_entry_updates, 1);
	ck_assert_uint_eq(t_stats(t_vgpu).ppgtt_revalidations, 0);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1000), mock_hv_bus_addr(t_hv, 7));
	/* A 32-bit guest writes halves. Between them the entry names a frame
	 * outside RAM it never meant: nothing is mapped or blamed until the
	 * next pin, which sees the finished entry. */
	{
		uint32_t lo = 0x8000 | GPT_PRESENT, hi = 0;
		uint64_t failures;

		guest_ppgtt_set(&g, pt, 1, 1ull << 32);
		failures = t_stats(t_vgpu).ppgtt_map_failures;
		t_log_clear();
		ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, pt + 8, &lo, 4), 0);
		ck_assert_int_eq(gvt_vgpu_page_write(t_vgpu, pt + 8 + 4, &hi, 4), 0);
		ck_assert_uint_eq(t_stats(t_vgpu).ppgtt_map_failures, failures);
		ck_assert(!t_log_has("cannot be mapped"));
	}
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1000), mock_hv_bus_addr(t_hv, 8));
	/* A flags-only change keeps the mapping: no hypervisor call. */
	maps = t_hv->calls[MOCK_DMA_MAP];
	guest_ppgtt_set(&g, pt, 1, 0x8000 | GPT_PRESENT | GPT_RW);
	ck_assert_uint_eq(t_hv->calls[MOCK_DMA_MAP], maps);
	ck_assert_uint_eq(t_hv->map_refs[8], 1);
	ck_assert_uint_eq(t_vgpu->ppgtt.mms[0]->top[0]->child[0]->child[0]->child[0]->shadow[1],
			  mock_hv_bus_addr(t_hv, 8) | GPT_PRESENT | GPT_RW);
	/* Replacing a whole table: the old one's shadow goes. */
	guest_ppgtt_set(&g, guest_ppgtt_table(&g, 0, 2), 0, 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 3);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1000), scratch_of(t_vgpu, 0));
}
END_TEST

START_TEST(test_ppgtt_revalidation_catches_untrapped_writes)
{
	struct mock_hv *hv;
	struct gvt_vgpu *v;
	struct guest_ppgtt gg;
	struct gvt_ppgtt_root root;
	struct gvt_ppgtt_mm *mm;
	uint64_t pdp[4], bus;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops_no_track, hv, &v), 0);
	ck_assert(!v->ppgtt.write_protect);
	ck_assert_int_eq(guest_ppgtt_init(&gg, hv, POOL_GPA, POOL_SIZE), 0);
	root = l4_root(&gg);
	ck_assert_int_eq(guest_ppgtt_map(&gg, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(v, &root, &mm), 0);
	ck_assert_uint_eq(hv->tracked_live, 0);
	/* The write lands in RAM unseen; the shadow is stale until a pin. */
	guest_ppgtt_set(&gg, guest_ppgtt_table(&gg, 0x1000, 1), 1, 0x9000 | GPT_PRESENT);
	ck_assert_int_eq(sim_ppgtt_translate((uint64_t[4]){ mm->top[0]->shadow_bus },
					     4, 0x1000, &bus), 0);
	ck_assert_uint_eq(bus, mock_hv_bus_addr(hv, 5));
	ck_assert_int_eq(gvt_ppgtt_pin(v, &root, &mm, pdp), 0);
	ck_assert_int_eq(sim_ppgtt_translate(pdp, 4, 0x1000, &bus), 0);
	ck_assert_uint_eq(bus, mock_hv_bus_addr(hv, 9));
	ck_assert_uint_eq(hv->map_refs[5], 0);
	gvt_ppgtt_unpin(v, mm);
	ck_assert_uint_eq(t_stats(v).ppgtt_revalidations, 1);
	ck_assert_uint_eq(t_stats(v).ppgtt_entry_updates, 1);
	gvt_vgpu_destroy(v);
	ck_assert_uint_eq(hv->maps_live, 0);
	mock_hv_destroy(hv);
}
END_TEST

/* Regression (found by fuzz_ppgtt): a re-validation that builds a new
 * table must still walk through it to older, stale tables that are now
 * reachable only from it. */
START_TEST(test_ppgtt_revalidation_walks_through_tables_it_builds)
{
	struct mock_hv *hv;
	struct gvt_vgpu *v;
	struct guest_ppgtt gg;
	struct gvt_ppgtt_root root;
	uint64_t pdp_new;

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops_no_track, hv, &v), 0);
	ck_assert_int_eq(guest_ppgtt_init(&gg, hv, POOL_GPA, POOL_SIZE), 0);
	root = l4_root(&gg);
	ck_assert_int_eq(guest_ppgtt_map(&gg, 1ull << 39, 100 * PAGE, PAGE, GPT_PRESENT), 0);
	ck_assert_uint_eq(shadow_bus(v, root, 1ull << 39), mock_hv_bus_addr(hv, 100));
	ck_assert_int_eq(gvt_ppgtt_create(v, &root, NULL), 0);
	/* The PT changes; then a new PDP takes over its PD and the old path
	 * goes: the stale PT is reachable only through the new PDP. */
	guest_ppgtt_set(&gg, guest_ppgtt_table(&gg, 1ull << 39, 1), 0, 101 * PAGE | GPT_PRESENT);
	pdp_new = guest_ppgtt_alloc_table(&gg);
	guest_ppgtt_set(&gg, pdp_new, 0, guest_ppgtt_get(&gg, guest_ppgtt_table(&gg, 1ull << 39, 3), 0));
	guest_ppgtt_set(&gg, gg.pml4, 0, pdp_new | GPT_PRESENT | GPT_RW);
	guest_ppgtt_set(&gg, gg.pml4, 1, 0);
	ck_assert_uint_eq(shadow_bus(v, root, 0), mock_hv_bus_addr(hv, 101));
	gvt_vgpu_destroy(v);
	ck_assert_uint_eq(hv->maps_live, 0);
	mock_hv_destroy(hv);
}
END_TEST

START_TEST(test_ppgtt_failed_write_protection_falls_back_to_revalidation)
{
	struct gvt_ppgtt_root root = l4_root(&g);

	g.vgpu = NULL;	/* nothing is tracked, so nothing would be reported */
	mock_hv_fail(t_hv, MOCK_PAGE_TRACK_ENABLE, 1, UINT_MAX, -ENOSPC);
	ck_assert_int_eq(guest_ppgtt_map(&g, 0x1000, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	ck_assert(!t_vgpu->ppgtt.write_protect);
	ck_assert(t_log_has("re-validated at submission"));
	guest_ppgtt_set(&g, guest_ppgtt_table(&g, 0x1000, 1), 1, 0x9000 | GPT_PRESENT);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x1000), mock_hv_bus_addr(t_hv, 9));
}
END_TEST

START_TEST(test_ppgtt_self_referencing_tables_terminate)
{
	struct gvt_ppgtt_root root = l4_root(&g);

	/* The PML4 names itself as PDP, PD and PT: a frame shadowed at every
	 * level, and a write to it updates each. */
	guest_ppgtt_set(&g, g.pml4, 0, g.pml4 | GPT_PRESENT | GPT_RW);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 4);
	assert_translates(t_vgpu, t_hv, root, 0);
	guest_ppgtt_set(&g, g.pml4, 1, 0x5000 | GPT_PRESENT | GPT_RW);
	assert_translates(t_vgpu, t_hv, root, 0x1000);
	assert_translates(t_vgpu, t_hv, root, 0x200000);
	/* Left: the PML4 and the PDP its entry 1 names. */
	guest_ppgtt_set(&g, g.pml4, 0, 0);
	ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, 2);
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &root), 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->tracked_live, 0);
}
END_TEST

START_TEST(test_ppgtt_legacy_32bit_roots)
{
	struct gvt_ppgtt_root root = { .levels = 3 };
	uint64_t pd1 = guest_ppgtt_alloc_table(&g), pt = guest_ppgtt_alloc_table(&g);

	guest_ppgtt_set(&g, pd1, 2, pt | GPT_PRESENT | GPT_RW);
	guest_ppgtt_set(&g, pt, 3, 0x5000 | GPT_PRESENT);
	root.pdp[1] = pd1;	/* PDs 0, 2 and 3 left empty */
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, (1ull << 30) + (2 << 21) + 0x3010),
			  mock_hv_bus_addr(t_hv, 5) + 0x10);
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0x3000), scratch_of(t_vgpu, 0));
	ck_assert_uint_eq(shadow_bus(t_vgpu, root, 0xfffff000ull), scratch_of(t_vgpu, 0));
}
END_TEST

/* Every leaf and directory of a shadow tree points at the vGPU's own RAM,
 * its scratch, or its shadow tables. */
static void assert_isolated(struct gvt_vgpu *vgpu, struct mock_hv *hv,
			    const struct gvt_spt *spt)
{
	for (unsigned int i = 0; i < GVT_PPGTT_ENTRIES; i++) {
		uint64_t a = spt->shadow[i] & GVT_BUS_ADDR_MASK;
		bool own_ram = a >= (uintptr_t)hv->ram && a < (uintptr_t)hv->ram + hv->ram_size;
		bool scratch = false;

		for (unsigned int l = 0; l < 4; l++)
			scratch |= a == vgpu->ppgtt.scratch_bus[l];
		if (spt->child && spt->child[i]) {
			ck_assert_uint_eq(a, spt->child[i]->shadow_bus);
			assert_isolated(vgpu, hv, spt->child[i]);
			continue;
		}
		ck_assert_msg(own_ram || scratch, "entry %u maps 0x%llx", i,
			      (unsigned long long)a);
	}
}

/* Random guest histories through two vGPUs, one told of every write
 * (write protection) and one not (re-validation at pin): at every step both
 * shadows translate every probed address the same, and as the guest's
 * tables do. */
START_TEST(test_ppgtt_write_protect_and_revalidation_agree)
{
	struct mock_hv *hv_b;
	struct gvt_vgpu *vb;
	struct guest_ppgtt gb;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
	uint64_t gmas[64];

	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &hv_b), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_8", &mock_hv_ops_no_track, hv_b, &vb), 0);
	ck_assert_int_eq(guest_ppgtt_init(&gb, hv_b, POOL_GPA, POOL_SIZE), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(gmas); i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		/* A few 2 MiB regions of a few 1 GiB regions, so maps collide. */
		gmas[i] = ((rng >> 20) & 3) << 30 | ((rng >> 30) & 7) << 21 |
			  ((rng >> 40) & 511) << 12;
	}
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &(struct gvt_ppgtt_root){ .pdp = { g.pml4 }, .levels = 4 }, NULL), 0);
	ck_assert_int_eq(gvt_ppgtt_create(vb, &(struct gvt_ppgtt_root){ .pdp = { gb.pml4 }, .levels = 4 }, NULL), 0);
	for (unsigned int step = 0; step < 300; step++) {
		uint64_t gma, frame, kind, r;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		r = rng >> 16;
		gma = gmas[r % ARRAY_SIZE(gmas)];
		kind = (r >> 8) % 10;
		frame = ((r >> 16) % (TEST_RAM_SIZE / PAGE + 64)) * PAGE;	/* some past RAM */
		if (kind < 5) {		/* map a small page */
			guest_ppgtt_map(&g, gma, frame, PAGE, GPT_PRESENT | GPT_RW);
			guest_ppgtt_map(&gb, gma, frame, PAGE, GPT_PRESENT | GPT_RW);
		} else if (kind < 7) {	/* a 2 MiB page over whatever was there */
			gma &= ~((2ull << 20) - 1);
			frame &= ~((2ull << 20) - 1);
			guest_ppgtt_map(&g, gma, frame, 2ull << 20, GPT_PRESENT | GPT_RW);
			guest_ppgtt_map(&gb, gma, frame, 2ull << 20, GPT_PRESENT | GPT_RW);
		} else {		/* clear one entry at some level */
			unsigned int level = 1 + (unsigned int)((r >> 40) % 3);
			unsigned int idx = (unsigned int)(gma >> (12 + 9 * (level - 1))) & 511;
			uint64_t ta = guest_ppgtt_table(&g, gma, level);
			uint64_t tb = guest_ppgtt_table(&gb, gma, level);

			/* Both guests allocate tables identically. */
			ck_assert_uint_eq(ta, tb);
			if (ta) {
				guest_ppgtt_set(&g, ta, idx, 0);
				guest_ppgtt_set(&gb, tb, idx, 0);
			}
		}
		if (step % 10)
			continue;
		for (unsigned int i = 0; i < ARRAY_SIZE(gmas); i++) {
			struct gvt_ppgtt_root ra = { .pdp = { g.pml4 }, .levels = 4 };
			struct gvt_ppgtt_root rb = { .pdp = { gb.pml4 }, .levels = 4 };
			uint64_t a = shadow_bus(t_vgpu, ra, gmas[i] + 8);
			uint64_t b = shadow_bus(vb, rb, gmas[i] + 8);

			ck_assert_uint_eq(a, expected_bus(t_vgpu, t_hv, ra, gmas[i] + 8));
			ck_assert_uint_eq(b, expected_bus(vb, hv_b, rb, gmas[i] + 8));
		}
		ck_assert_uint_eq(t_vgpu->ppgtt.num_tables, vb->ppgtt.num_tables);
		ck_assert_uint_eq(t_hv->maps_live, hv_b->maps_live);
		assert_isolated(t_vgpu, t_hv, t_vgpu->ppgtt.mms[0]->top[0]);
		assert_isolated(vb, hv_b, vb->ppgtt.mms[0]->top[0]);
	}
	gvt_vgpu_destroy(vb);
	ck_assert_uint_eq(hv_b->maps_live, 0);
	ck_assert_uint_eq(hv_b->bad_unmaps, 0);
	mock_hv_destroy(hv_b);
}
END_TEST

/* The guest walker the scanner reads PPGTT batches with, against the
 * reference walker, on random trees of every page size. */
START_TEST(test_ppgtt_guest_walker_matches_reference)
{
	struct gvt_ppgtt_root root = l4_root(&g);
	uint64_t rng = 12345 + (uint64_t)_i;

	g.vgpu = NULL;
	for (unsigned int i = 0; i < 200; i++) {
		static const uint64_t sizes[] = { PAGE, 65536, 2ull << 20, 1ull << 30 };
		uint64_t size, gma, gpa;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		size = sizes[(rng >> 33) % 4];
		gma = ((rng >> 8) & 0xffffffffffull) & ~(size - 1) & ((1ull << 40) - 1);
		gpa = (((rng >> 20) % (1ull << 34)) & ~(size - 1));
		/* 64 KiB pages own their 2 MiB: skip a clash with 4 KiB ones. */
		guest_ppgtt_map(&g, gma, gpa, size, GPT_PRESENT | GPT_RW);
	}
	for (unsigned int i = 0; i < 5000; i++) {
		uint64_t gma, want = 0, got = 0;
		int rw, rg;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		gma = (rng >> 4) & ((1ull << 40) - 1);
		rw = guest_ppgtt_walk(t_hv, 4, root.pdp, gma, &want);
		rg = gvt_ppgtt_gma_to_gpa(t_vgpu, &root, gma, &got);
		ck_assert_int_eq(rg, rw);
		if (!rw)
			ck_assert_uint_eq(got, want);
	}
}
END_TEST

START_TEST(test_dma_cache_maps_a_frame_once)
{
	uint64_t maps = t_hv->calls[MOCK_DMA_MAP];
	struct gvt_ppgtt_root root = l4_root(&g);

	/* 100 GGTT entries and 100 PPGTT entries on one frame (i915 points
	 * everything unused at its scratch page): one mapping. */
	for (uint32_t i = 0; i < 100; i++)
		ggtt_w64(t_vgpu, (uint32_t)(t_vgpu->low_gm.start / PAGE) + i, 0x5000 | 1);
	for (uint64_t i = 0; i < 100; i++)
		ck_assert_int_eq(guest_ppgtt_map(&g, i * PAGE, 0x5000, PAGE, GPT_PRESENT), 0);
	ck_assert_int_eq(gvt_ppgtt_create(t_vgpu, &root, NULL), 0);
	ck_assert_uint_eq(t_hv->calls[MOCK_DMA_MAP], maps + 1);
	ck_assert_uint_eq(t_vgpu->dma.refs, 200);
	ck_assert_uint_eq(t_hv->map_refs[5], 1);
	ck_assert_int_eq(gvt_ppgtt_destroy(t_vgpu, &root), 0);
	ck_assert_uint_eq(t_hv->map_refs[5], 1);
	for (uint32_t i = 0; i < 100; i++)
		ggtt_w64(t_vgpu, (uint32_t)(t_vgpu->low_gm.start / PAGE) + i, 0);
	ck_assert_uint_eq(t_hv->map_refs[5], 0);
	ck_assert_uint_eq(t_vgpu->dma.refs, 0);
	ck_assert_uint_eq(t_vgpu->dma.map.count, 0);
}
END_TEST

/* The map under the DMA cache and the shadow index, against a plain
 * reference, through heavy insert/remove churn. */
START_TEST(test_u64map_matches_reference_under_churn)
{
	enum { KEYS = 2048 };
	static uint64_t ref[KEYS];	/* value + 1; 0 absent */
	struct gvt_u64map m = { 0 };
	uint64_t rng = 7;

	memset(ref, 0, sizeof(ref));
	for (unsigned int step = 0; step < 200000; step++) {
		uint64_t key, *want;
		struct gvt_u64map_slot *s;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		key = (rng >> 33) % KEYS;
		want = &ref[key];
		s = gvt_u64map_find(&m, key * 4096);
		ck_assert_int_eq(s != NULL, *want != 0);
		if (s) {
			ck_assert_uint_eq(s->value + 1, *want);
			gvt_u64map_remove(&m, s);
			*want = 0;
		} else {
			s = gvt_u64map_insert(&m, key * 4096);
			ck_assert_ptr_nonnull(s);
			s->value = step;
			*want = step + 1ull;
		}
	}
	for (uint64_t key = 0; key < KEYS; key++) {
		struct gvt_u64map_slot *s = gvt_u64map_find(&m, key * 4096);

		ck_assert_int_eq(s != NULL, ref[key] != 0);
	}
	gvt_u64map_fini(&m);
}
END_TEST

Suite *ppgtt_suite(void)
{
	Suite *s = suite_create("ppgtt");
	TCase *tc = tcase_create("ppgtt");

	tcase_add_checked_fixture(tc, setup, t_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ppgtt_shadow_translates_4k_pages);
	tcase_add_test(tc, test_ppgtt_holes_map_the_vgpus_own_scratch);
	tcase_add_test(tc, test_ppgtt_unmappable_frames_map_scratch_and_say_so);
	tcase_add_test(tc, test_ppgtt_2m_page_kept_when_contiguous);
	tcase_add_test(tc, test_ppgtt_2m_page_split_when_not);
	tcase_add_test(tc, test_ppgtt_64k_pages);
	tcase_add_test(tc, test_ppgtt_1g_pages_are_refused);
	tcase_add_test(tc, test_ppgtt_tables_are_shared_between_roots);
	tcase_add_test(tc, test_ppgtt_pvinfo_notifications_create_and_destroy_shadows);
	tcase_add_test(tc, test_ppgtt_pinned_shadow_outlives_the_guest_destroy);
	tcase_add_test(tc, test_ppgtt_reset_and_destroy_leave_nothing);
	tcase_add_test(tc, test_ppgtt_write_protect_updates_only_what_changed);
	tcase_add_test(tc, test_ppgtt_revalidation_catches_untrapped_writes);
	tcase_add_test(tc, test_ppgtt_revalidation_walks_through_tables_it_builds);
	tcase_add_test(tc, test_ppgtt_failed_write_protection_falls_back_to_revalidation);
	tcase_add_test(tc, test_ppgtt_self_referencing_tables_terminate);
	tcase_add_test(tc, test_ppgtt_legacy_32bit_roots);
	tcase_add_loop_test(tc, test_ppgtt_write_protect_and_revalidation_agree, 0, 4);
	tcase_add_loop_test(tc, test_ppgtt_guest_walker_matches_reference, 0, 3);
	tcase_add_test(tc, test_dma_cache_maps_a_frame_once);
	tcase_add_test(tc, test_u64map_matches_reference_under_churn);
	suite_add_tcase(s, tc);
	return s;
}
