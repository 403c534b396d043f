// SPDX-License-Identifier: MIT
/* GGTT emulation and the aperture: a guest reaches its own memory through
 * its own slices, and nothing else. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "private.h"

#define PAGE 4096u
#define PRESENT 1ull

static uint64_t phys_pte(uint32_t index)
{
	return t_ctx->pgpu_ops->ggtt_read(t_ctx->pgpu, index);
}

static uint64_t scratch_pte(void)
{
	return t_ctx->scratch_addr | PRESENT;
}

static uint32_t first_index(struct gvt_vgpu *vgpu)
{
	return (uint32_t)(t_info(vgpu).aperture_base / PAGE);
}

START_TEST(test_gtt_in_slice_entry_is_translated)
{
	uint32_t idx = first_index(t_vgpu) + 5;
	uint64_t pte = 0x100ull * PAGE | PRESENT | 0x2;
	uint32_t v;

	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ggtt_w64(t_vgpu, idx, pte);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx), pte);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x100) | PRESENT | 0x2);
	ck_assert_uint_eq(t_hv->maps_live, 1);

	/* The aperture now reaches guest page 0x100 through that entry. */
	v = 0x600df00d;
	ck_assert_int_eq(gvt_vgpu_aperture_write(t_vgpu, (uint64_t)idx * PAGE + 8, &v, 4), 0);
	ck_assert_uint_eq(*(uint32_t *)(t_hv->ram + 0x100 * PAGE + 8), 0x600df00d);
	*(uint32_t *)(t_hv->ram + 0x100 * PAGE + 16) = 0xfeedface;
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, (uint64_t)idx * PAGE + 16, &v, 4), 0);
	ck_assert_uint_eq(v, 0xfeedface);
}
END_TEST

START_TEST(test_gtt_hidden_slice_is_translated)
{
	uint32_t idx = (uint32_t)(t_info(t_vgpu).hidden_base / PAGE) + 100;

	ggtt_w64(t_vgpu, idx, 0x200ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x200) | PRESENT);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx), 0x200ull * PAGE | PRESENT);
}
END_TEST

START_TEST(test_gtt_out_of_slice_write_is_dropped)
{
	/* Entry 0 belongs to the host; the last entry to nobody. */
	ggtt_w64(t_vgpu, 0, 0x100ull * PAGE | PRESENT);
	ggtt_w64(t_vgpu, (1u << 20) - 1, 0x100ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(0), scratch_pte());
	ck_assert_uint_eq(phys_pte((1u << 20) - 1), scratch_pte());
	ck_assert_uint_eq(ggtt_r64(t_vgpu, 0), 0);
	ck_assert_uint_eq(t_hv->calls[MOCK_DMA_MAP], 0);
	ck_assert_uint_eq(t_stats(t_vgpu).ggtt_writes_dropped, 2);
	ck_assert(t_log_has("outside its slices, dropped"));
}
END_TEST

START_TEST(test_gtt_other_vgpu_is_unreachable)
{
	struct mock_hv *hv_b;
	struct gvt_vgpu *b = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv_b);
	uint32_t b_idx = first_index(b) + 3;
	uint64_t b_gm = (uint64_t)b_idx * PAGE;
	uint32_t v;

	/* B maps its page 0x10 and writes a secret through the aperture. */
	ggtt_w64(b, b_idx, 0x10ull * PAGE | PRESENT);
	v = 0x5ec2e7;
	ck_assert_int_eq(gvt_vgpu_aperture_write(b, b_gm, &v, 4), 0);

	/* A can neither read B's entries nor rewrite them... */
	ck_assert_uint_eq(ggtt_r64(t_vgpu, b_idx), 0);
	ggtt_w64(t_vgpu, b_idx, 0x20ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(b_idx), mock_hv_bus_addr(hv_b, 0x10) | PRESENT);
	ck_assert_uint_eq(ggtt_r64(b, b_idx), 0x10ull * PAGE | PRESENT);
	/* ...nor read or write B's aperture slice. */
	v = 0;
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, b_gm, &v, 4), 0);
	ck_assert_uint_eq(v, 0);
	v = 0xbad;
	ck_assert_int_eq(gvt_vgpu_aperture_write(t_vgpu, b_gm, &v, 4), 0);
	ck_assert_uint_eq(*(uint32_t *)(hv_b->ram + 0x10 * PAGE), 0x5ec2e7);
	ck_assert_uint_eq(t_stats(t_vgpu).aperture_dropped, 2);
	ck_assert_uint_eq(t_hv->calls[MOCK_DMA_MAP], 0);
	gvt_vgpu_destroy(b);
	mock_hv_destroy(hv_b);
}
END_TEST

START_TEST(test_gtt_cleared_entry_maps_scratch)
{
	uint32_t idx = first_index(t_vgpu);
	uint32_t v = 0x1234;

	ggtt_w64(t_vgpu, idx, 0x100ull * PAGE | PRESENT);
	ggtt_w64(t_vgpu, idx, 0);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->bad_unmaps, 0);
	/* The scratch page is shared: it reads zero and keeps no writes. */
	ck_assert_int_eq(gvt_vgpu_aperture_write(t_vgpu, (uint64_t)idx * PAGE, &v, 4), 0);
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, (uint64_t)idx * PAGE, &v, 4), 0);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(test_gtt_remap_replaces_mapping)
{
	uint32_t idx = first_index(t_vgpu);

	ggtt_w64(t_vgpu, idx, 0x100ull * PAGE | PRESENT);
	ggtt_w64(t_vgpu, idx, 0x101ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x101) | PRESENT);
	ck_assert_uint_eq(t_hv->maps_live, 1);
	ck_assert_uint_eq(t_hv->map_refs[0x100], 0);
	ck_assert_uint_eq(t_hv->map_refs[0x101], 1);
}
END_TEST

START_TEST(test_gtt_32bit_halves)
{
	uint32_t idx = first_index(t_vgpu) + 7;
	uint64_t off = (8u << 20) + (uint64_t)idx * 8;
	uint32_t lo = 0x100 * PAGE | 1, hi = 0;

	/* The low half alone is held back... */
	mmio_w32(t_vgpu, off, lo);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx), lo);
	/* ...until its high half completes the entry. */
	mmio_w32(t_vgpu, off + 4, hi);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x100) | PRESENT);

	/* A held half is committed when another entry's low half comes. */
	mmio_w32(t_vgpu, off, 0x200 * PAGE | 1);
	mmio_w32(t_vgpu, off + 8, 0x300 * PAGE | 1);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x200) | PRESENT);
	ck_assert_uint_eq(phys_pte(idx + 1), scratch_pte());
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx + 1), 0x300 * PAGE | 1);

	/* The GGTT flush the driver writes after updates commits it too. */
	mmio_w32(t_vgpu, 0x101008, 1);
	ck_assert_uint_eq(phys_pte(idx + 1), mock_hv_bus_addr(t_hv, 0x300) | PRESENT);

	/* High half first, then low: mapped once both are there. */
	mmio_w32(t_vgpu, off + 16 + 4, 0);
	ck_assert_uint_eq(phys_pte(idx + 2), scratch_pte());
	mmio_w32(t_vgpu, off + 16, 0x400 * PAGE | 1);
	ck_assert_uint_eq(phys_pte(idx + 2), mock_hv_bus_addr(t_hv, 0x400) | PRESENT);

	/* A qword to another entry, or an aperture access, commits a held half. */
	mmio_w32(t_vgpu, off, 0x500 * PAGE | 1);
	ggtt_w64(t_vgpu, idx + 3, 0x600ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x500) | PRESENT);
	mmio_w32(t_vgpu, off, 0x501 * PAGE | 1);
	uint32_t v;
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, (uint64_t)idx * PAGE, &v, 4), 0);
	ck_assert_uint_eq(phys_pte(idx), mock_hv_bus_addr(t_hv, 0x501) | PRESENT);
	ck_assert_uint_eq(t_hv->bad_unmaps, 0);
}
END_TEST

START_TEST(test_gtt_frame_outside_guest_ram)
{
	uint32_t idx = first_index(t_vgpu);

	ggtt_w64(t_vgpu, idx, (uint64_t)(TEST_RAM_SIZE / PAGE + 1) * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(t_stats(t_vgpu).ggtt_map_failures, 1);
	ck_assert(t_log_has("cannot be mapped"));
	mock_hv_fail(t_hv, MOCK_DMA_MAP, 0, 1, -ENOMEM);
	ggtt_w64(t_vgpu, idx, 0x100ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(t_stats(t_vgpu).ggtt_map_failures, 2);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	/* A mapping at bus address 0 cannot be told from "none": given back. */
	t_hv->zero_bus_gfn = 0x100;
	ggtt_w64(t_vgpu, idx, 0x100ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(t_stats(t_vgpu).ggtt_map_failures, 3);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->bad_unmaps, 0);
}
END_TEST

START_TEST(test_gtt_reset_and_destroy_release_everything)
{
	uint32_t lo = first_index(t_vgpu);
	uint32_t hi = (uint32_t)(t_info(t_vgpu).hidden_base / PAGE);

	for (uint32_t i = 0; i < 64; i++) {
		ggtt_w64(t_vgpu, lo + i, (0x100ull + i) * PAGE | PRESENT);
		ggtt_w64(t_vgpu, hi + i, (0x200ull + i) * PAGE | PRESENT);
	}
	ck_assert_uint_eq(t_hv->maps_live, 128);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(phys_pte(lo), scratch_pte());
	ck_assert_uint_eq(ggtt_r64(t_vgpu, lo), 0);
	for (uint32_t i = 0; i < 64; i++)
		ggtt_w64(t_vgpu, lo + i, (0x100ull + i) * PAGE | PRESENT);
	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	ck_assert_uint_eq(t_hv->maps_live, 0);
	ck_assert_uint_eq(t_hv->bad_unmaps, 0);
	ck_assert_uint_eq(phys_pte(lo), scratch_pte());
}
END_TEST

START_TEST(test_gtt_aperture_edges)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);
	uint64_t end = info.aperture_base + info.aperture_size;
	uint64_t v = ~0ull;

	/* Straddling the slice's end: the inside half goes through. */
	ggtt_w64(t_vgpu, (uint32_t)(end / PAGE) - 1, 0x100ull * PAGE | PRESENT);
	*(uint32_t *)(t_hv->ram + 0x100 * PAGE + PAGE - 4) = 0x11111111;
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, end - 4, &v, 8), 0);
	ck_assert_uint_eq(v, 0x11111111ull);
	ck_assert_uint_eq(t_stats(t_vgpu).aperture_dropped, 1);
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, 1ull << 30, &v, 4), -EINVAL);
	ck_assert_int_eq(gvt_vgpu_aperture_read(t_vgpu, 0, &v, 3), -EINVAL);
}
END_TEST

START_TEST(test_gtt_failsafe_keeps_entries_virtual)
{
	uint32_t idx = first_index(t_vgpu);

	mmio_w32(t_vgpu, 0x229c, 0x80008000);	/* non-GVT-aware: failsafe */
	ck_assert(t_info(t_vgpu).failsafe);
	ggtt_w64(t_vgpu, idx, 0x100ull * PAGE | PRESENT);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx), 0x100ull * PAGE | PRESENT);
	ck_assert_uint_eq(phys_pte(idx), scratch_pte());
	ck_assert_uint_eq(t_hv->maps_live, 0);
}
END_TEST

START_TEST(test_gtt_access_across_the_hole)
{
	uint32_t idx = first_index(t_vgpu);
	uint64_t pte = 0x100ull * PAGE | PRESENT;
	uint64_t own = (8u << 20) + (uint64_t)idx * 8;
	uint64_t v = ~0ull;

	ggtt_w64(t_vgpu, idx, pte);
	/* An unaligned qword read straddling two entries. */
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, own + 4, &v, 8), 0);
	ck_assert_uint_eq(v, pte >> 32);
	/* From the hole into entry 0 (the host's): zeros all the way. */
	v = ~0ull;
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, (8u << 20) - 4, &v, 8), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, (8u << 20) - 2, &v, 4), 0);
	ck_assert_uint_eq(phys_pte(0), scratch_pte());
	/* A byte write into an own entry changes that byte only. */
	uint8_t b = 0x7;
	ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, own + 5, &b, 1), 0);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, idx), pte | 0x7ull << 40);
}
END_TEST

/* Device reset returns the vGPU to its ballooned layout: its slices map
 * scratch, PVINFO reports the same slices again, and no other entry moves. */
START_TEST(test_gtt_reset_restores_the_ballooned_layout)
{
	struct mock_hv *hv_b;
	struct gvt_vgpu *b = t_vgpu_new(t_ctx, "GVTg_V5_8", &hv_b);
	uint32_t a_idx = first_index(t_vgpu), b_idx = first_index(b);
	uint64_t host0 = phys_pte(0);
	uint32_t base = 0, size = 0;

	ggtt_w64(t_vgpu, a_idx, 0x10ull * PAGE | PRESENT);
	ggtt_w64(b, b_idx, 0x20ull * PAGE | PRESENT);
	ck_assert_int_eq(gvt_vgpu_reset(t_vgpu), 0);
	ck_assert_uint_eq(phys_pte(a_idx), scratch_pte());
	ck_assert_uint_eq(ggtt_r64(t_vgpu, a_idx), 0);
	ck_assert_uint_eq(phys_pte(b_idx), mock_hv_bus_addr(hv_b, 0x20) | PRESENT);
	ck_assert_uint_eq(phys_pte(0), host0);
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, 0x78040, &base, 4), 0);
	ck_assert_int_eq(gvt_vgpu_mmio_read(t_vgpu, 0x78044, &size, 4), 0);
	ck_assert_uint_eq(base, t_info(t_vgpu).aperture_base);
	ck_assert_uint_eq(size, t_info(t_vgpu).aperture_size);
	gvt_vgpu_destroy(b);
	mock_hv_destroy(hv_b);
}
END_TEST

/* The partition invariant under random 8-, 4-, 2- and 1-byte writes over
 * the whole GGTT window: no physical entry outside the vGPU's slices ever
 * changes, and every one inside maps the guest's own RAM or scratch. */
START_TEST(test_gtt_random_writes_stay_in_the_partition)
{
	uint32_t entries = (uint32_t)(t_ctx->platform->ggtt_size / PAGE);
	uint64_t *before = malloc(entries * sizeof(uint64_t));
	struct gvt_vgpu_info info = t_info(t_vgpu);
	uint64_t rng = 99;

	ck_assert_ptr_nonnull(before);
	for (uint32_t i = 0; i < entries; i++)
		before[i] = phys_pte(i);
	for (unsigned int n = 0; n < 20000; n++) {
		static const uint32_t sizes[] = { 8, 4, 2, 1 };
		uint32_t len, idx;
		uint64_t v;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		len = sizes[(rng >> 60) & 3];
		/* Half near the slices' edges, half anywhere. */
		idx = (rng >> 59) & 1 ? (uint32_t)((rng >> 20) % entries) :
			(uint32_t)(info.aperture_base / PAGE) - 2 + (uint32_t)((rng >> 20) % 5) +
			((rng >> 58) & 1) * (uint32_t)(info.aperture_size / PAGE);
		v = (rng >> 8) % (TEST_RAM_SIZE / PAGE + 32) * PAGE | (rng & 1);
		ck_assert_int_eq(gvt_vgpu_mmio_write(t_vgpu, (8u << 20) + idx * 8ull + ((rng >> 40) & 7) / len * len,
						     &v, len), 0);
	}
	mmio_w32(t_vgpu, 0x101008, 1);
	for (uint32_t i = 0; i < entries; i++) {
		uint64_t gm = (uint64_t)i * PAGE, a = phys_pte(i) & ~0xfffull;
		bool mine = (gm - info.aperture_base < info.aperture_size) ||
			    (gm - info.hidden_base < info.hidden_size);

		if (!mine) {
			ck_assert_uint_eq(phys_pte(i), before[i]);
			continue;
		}
		ck_assert(a == t_ctx->scratch_addr ||
			  (a >= (uintptr_t)t_hv->ram && a < (uintptr_t)t_hv->ram + t_hv->ram_size));
	}
	free(before);
}
END_TEST

Suite *gtt_suite(void)
{
	Suite *s = suite_create("gtt");
	TCase *tc = tcase_create("ggtt");

	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	/* The partition test reads the whole GGTT twice: slow under ASan. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gtt_in_slice_entry_is_translated);
	tcase_add_test(tc, test_gtt_hidden_slice_is_translated);
	tcase_add_test(tc, test_gtt_out_of_slice_write_is_dropped);
	tcase_add_test(tc, test_gtt_other_vgpu_is_unreachable);
	tcase_add_test(tc, test_gtt_cleared_entry_maps_scratch);
	tcase_add_test(tc, test_gtt_remap_replaces_mapping);
	tcase_add_test(tc, test_gtt_32bit_halves);
	tcase_add_test(tc, test_gtt_frame_outside_guest_ram);
	tcase_add_test(tc, test_gtt_reset_and_destroy_release_everything);
	tcase_add_test(tc, test_gtt_aperture_edges);
	tcase_add_test(tc, test_gtt_failsafe_keeps_entries_virtual);
	tcase_add_test(tc, test_gtt_access_across_the_hole);
	tcase_add_test(tc, test_gtt_reset_restores_the_ballooned_layout);
	tcase_add_test(tc, test_gtt_random_writes_stay_in_the_partition);
	suite_add_tcase(s, tc);
	return s;
}
