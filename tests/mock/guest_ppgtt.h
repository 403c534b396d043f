// SPDX-License-Identifier: MIT
/*
 * The guest's side of a PPGTT, for tests and benchmarks: builds gen8
 * 4-level page tables in mock guest RAM the way a driver does, and walks
 * them with a reference walker written from the PRM's layout, independent
 * of libgvt's.
 */
#ifndef GVT_GUEST_PPGTT_H
#define GVT_GUEST_PPGTT_H

#include <stdint.h>

#include "mock_hv.h"

struct gvt_vgpu;

#define GPT_PRESENT	(1ull << 0)
#define GPT_RW		(1ull << 1)
#define GPT_PS		(1ull << 7)
#define GPT_IPS		(1ull << 11)
#define GPT_ADDR	0x00003ffffffff000ull

struct guest_ppgtt {
	struct mock_hv *hv;
	/* Non-NULL: every table write goes through gvt_vgpu_page_write(), as
	 * a shim reports a trapped write; NULL: straight into RAM. */
	struct gvt_vgpu *vgpu;
	uint64_t next;		/* next free table frame (gpa) */
	uint64_t end;		/* end of the table frame pool */
	uint64_t pml4;		/* gpa */
};

/* Tables come from [@pool_gpa, @pool_gpa + @pool_size); the PML4 is the
 * first. Return: 0 or -ENOMEM. */
int guest_ppgtt_init(struct guest_ppgtt *g, struct mock_hv *hv,
		     uint64_t pool_gpa, uint64_t pool_size);
/* A zeroed table frame from the pool (gpa), or 0. */
uint64_t guest_ppgtt_alloc_table(struct guest_ppgtt *g);
uint64_t guest_ppgtt_get(const struct guest_ppgtt *g, uint64_t table,
			 unsigned int index);
/* The one way entries are written. */
void guest_ppgtt_set(struct guest_ppgtt *g, uint64_t table, unsigned int index,
		     uint64_t entry);
/* Map [@gma, @gma + @size) to @gpa with a page of @size (4 KiB, 64 KiB,
 * 2 MiB or 1 GiB), creating the tables on the way. A 64 KiB page marks its
 * PDE IPS: use its 2 MiB for 64 KiB pages only. Return: 0, -EINVAL or
 * -ENOMEM. */
int guest_ppgtt_map(struct guest_ppgtt *g, uint64_t gma, uint64_t gpa,
		    uint64_t size, uint64_t flags);
/* The table (gpa) at @level (1 PT .. 4 PML4) on @gma's path, or 0. */
uint64_t guest_ppgtt_table(const struct guest_ppgtt *g, uint64_t gma,
			   unsigned int level);

/* The reference walk: @gma through the tables in @hv's RAM, from a PML4
 * (@levels 4) or four PDs (3). Return: 0 with *@gpa, or -EFAULT. */
int guest_ppgtt_walk(const struct mock_hv *hv, unsigned int levels,
		     const uint64_t pdp[4], uint64_t gma, uint64_t *gpa);

#endif /* GVT_GUEST_PPGTT_H */
