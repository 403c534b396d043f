// SPDX-License-Identifier: MIT
/*
 * PPGTT shadowing: for every guest page-table root the GPU may walk, a tree
 * of shadow tables libgvt built from the guest's, whose leaves point at
 * guest frames mapped with hv->dma_map and whose holes point at scratch
 * tables. docs/ppgtt.md describes the design.
 */
#ifndef GVT_PPGTT_H
#define GVT_PPGTT_H

#include <stdbool.h>
#include <stdint.h>

#include "u64map.h"

struct gvt_vgpu;

/* gen8 PPGTT entry bits. */
#define GVT_PPGTT_PRESENT	(1ull << 0)
#define GVT_PPGTT_RW		(1ull << 1)
#define GVT_PPGTT_PS		(1ull << 7)	/* PDPE: 1 GiB page; PDE: 2 MiB */
#define GVT_PPGTT_IPS		(1ull << 11)	/* PDE: its table maps 64 KiB pages */
#define GVT_PPGTT_ADDR_MASK	0x00003ffffffff000ull	/* bits 45:12 */
#define GVT_PPGTT_ENTRIES	512u

/* Shadow tables one vGPU may hold: 128 MiB of them, enough for 256 GiB of
 * guest memory mapped through 4 KiB pages. */
#define GVT_PPGTT_MAX_TABLES	32768u
/* Live guest PPGTTs one vGPU may have announced or submitted. */
#define GVT_PPGTT_MAX_ROOTS	4096u

/* A guest page-table root: the PML4 (4 levels), or the four page
 * directories of a legacy 32-bit PPGTT (3 levels). */
struct gvt_ppgtt_root {
	uint64_t pdp[4];	/* L4: pdp[0] is the PML4's address; L3: four PDs */
	uint8_t levels;		/* 3 or 4 */
};

/* What a shadow table shadows. */
enum gvt_spt_kind {
	GVT_SPT_PT,		/* a guest page table of 4 KiB pages */
	GVT_SPT_PT_64K,		/* a guest page table of 64 KiB pages */
	GVT_SPT_SPLIT_2M,	/* no guest table: a 2 MiB page as 512 4 KiB ones */
	GVT_SPT_PD,
	GVT_SPT_PDP,
	GVT_SPT_PML4,
};

/* One shadow table. Shared by every shadow entry that points at the same
 * guest table the same way (refs counts them and the roots). */
struct gvt_spt {
	struct gvt_spt *next;		/* next shadow of the same guest frame */
	uint64_t gfn;			/* the guest table's frame (SPLIT_2M: the page's) */
	enum gvt_spt_kind kind;
	uint32_t refs;
	uint32_t pass;			/* last re-validation pass that saw it */
	bool deferred;			/* in the deferred list (holds a reference) */
	uint64_t *shadow;		/* 512 entries the GPU walks */
	uint64_t shadow_bus;		/* their bus address */
	struct gvt_spt **child;		/* PD and up: each entry's shadow table, or NULL */
	uint64_t guest[GVT_PPGTT_ENTRIES];	/* the guest's entries as shadowed */
};

/* A guest root and its shadow. */
struct gvt_ppgtt_mm {
	struct gvt_ppgtt_mm *next;	/* next root with the same first address */
	uint32_t index;			/* in gvt_ppgtt_state.mms */
	struct gvt_ppgtt_root root;
	uint32_t guest_refs;		/* PVINFO creates minus destroys */
	uint32_t pins;			/* users of the shadow (submissions) */
	struct gvt_spt *top[4];		/* L4: top[0] the PML4; L3: four PDs */
};

struct gvt_ppgtt_state {
	struct gvt_ppgtt_mm **mms;	/* live roots, in no order */
	struct gvt_u64map roots;	/* first root address -> its roots */
	uint32_t num_mms;
	uint32_t cap_mms;
	struct gvt_u64map tables;	/* guest frame -> its first shadow table */
	uint32_t num_tables;		/* shadow tables alive */
	uint32_t pass;			/* re-validation pass counter */
	struct gvt_spt **deferred;	/* partly written tables, synced at pin */
	uint32_t num_deferred;
	uint32_t cap_deferred;
	bool write_protect;		/* guest table writes are tracked */
	/* Where guest holes point: [0] a data page, [1] a PT of it, [2] a
	 * PD of those, [3] a PDP. The vGPU's own, so no GPU write through a
	 * hole reaches another vGPU. */
	uint64_t *scratch[4];
	uint64_t scratch_bus[4];
	uint64_t **zombies;	/* released tables an engine may still walk */
	size_t num_zombies;
	size_t cap_zombies;
};

int gvt_ppgtt_init(struct gvt_vgpu *vgpu);
/* Drop every root and shadow (device reset): afterwards as after init. */
void gvt_ppgtt_reset(struct gvt_vgpu *vgpu);
void gvt_ppgtt_fini(struct gvt_vgpu *vgpu);

/* The live root equal to @root, or NULL. */
struct gvt_ppgtt_mm *gvt_ppgtt_find(struct gvt_vgpu *vgpu,
				    const struct gvt_ppgtt_root *root);
/*
 * The guest announced @root (PVINFO create): find or shadow it and count
 * the guest's reference. Return: 0, or -EFAULT (a root the guest cannot
 * have: not in its RAM; logged), -ENOSPC (too many roots; logged),
 * -ENOMEM.
 */
int gvt_ppgtt_create(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root,
		     struct gvt_ppgtt_mm **out);
/* The guest's destroy notification: drop its reference; the shadow goes
 * when no reference and no pin is left. Return: 0 or -ENOENT. */
int gvt_ppgtt_destroy(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root);
/*
 * Pin @root's shadow for a submission (creating it if the guest never
 * announced it, as with a root found in a context) and bring it up to date:
 * without write protection every table reachable from the root is compared
 * with the guest's and what changed is re-shadowed. @shadow_pdp receives
 * what the GPU's PDP registers get: L4 the shadow PML4 in [0], L3 four
 * shadow PDs. Return: 0 or as gvt_ppgtt_create().
 */
int gvt_ppgtt_pin(struct gvt_vgpu *vgpu, const struct gvt_ppgtt_root *root,
		  struct gvt_ppgtt_mm **out, uint64_t shadow_pdp[4]);
void gvt_ppgtt_unpin(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm);
/* Re-validate @mm's shadow against the guest's tables (see pin). */
void gvt_ppgtt_revalidate(struct gvt_vgpu *vgpu, struct gvt_ppgtt_mm *mm);
/* The vGPU's engines finished: free the tables released meanwhile. */
void gvt_ppgtt_gpu_idle(struct gvt_vgpu *vgpu);

#endif /* GVT_PPGTT_H */
