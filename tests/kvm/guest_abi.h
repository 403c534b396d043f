// SPDX-License-Identifier: MIT
/*
 * What the mini VMM and its guest agree on: where things sit in guest RAM,
 * the mailbox through which the VMM says what to run and the guest says
 * how it went, and the ports the guest signals on. Included by the
 * freestanding guest and by the host, both x86-64, so one layout serves.
 */
#ifndef GVT_KVM_GUEST_ABI_H
#define GVT_KVM_GUEST_ABI_H

#include <stdint.h>

/* Guest-physical layout. The VMM builds the page tables and the mailbox;
 * the guest's image is linked at GUEST_LOAD_GPA (guest.ld); the guest
 * hands out the GPU's pages from GUEST_GPU_GPA. */
#define GUEST_MBOX_GPA		0x8000ull
#define GUEST_PT_GPA		0x10000ull	/* PML4, PDPT, 4 PDs */
#define GUEST_STACK_TOP		0x80000ull
#define GUEST_LOAD_GPA		0x100000ull
#define GUEST_GPU_GPA		0x400000ull
#define GUEST_RAM_MIN		(16ull << 20)
/* The identity map covers the first 4 GiB, where the VMM puts the BARs. */
#define GUEST_MAPPED_TOP	(4ull << 30)

/* Ports: a 4-byte OUT carries the value. */
#define GUEST_PORT_DONE		0xf0	/* enum guest_result; the guest stops */
#define GUEST_PORT_MARK		0xf1	/* enum guest_mark */

#define GUEST_MBOX_MAGIC	0x6b766d67u	/* "gmvk" */

/* What to run (guest_mbox.todo), in this order. */
#define GUEST_DO_SETUP		(1u << 0)	/* PVINFO, GGTT, context, engine */
#define GUEST_DO_DRIVER		(1u << 1)	/* submissions checked as i915 would */
#define GUEST_DO_READS		(1u << 2)	/* register read loop */
#define GUEST_DO_WRITES		(1u << 3)	/* register write loop */
#define GUEST_DO_SUBMITS	(1u << 4)	/* ELSP loop, nothing but ELSP writes */
#define GUEST_DO_PPGTT		(1u << 5)	/* stores through a PPGTT it edits */
#define GUEST_DO_TABLE_WRITES	(1u << 6)	/* PPGTT root entry store loop */

enum guest_result {
	GUEST_OK = 1,
	GUEST_FAILED = 2,
};

/* Each loop is bracketed by a BEGIN and an END mark: the VMM takes the
 * time (and the shim's counters) at both. */
enum guest_mark {
	GUEST_MARK_READY = 1,		/* setup and driver checks done */
	GUEST_MARK_READS_BEGIN,
	GUEST_MARK_READS_END,
	GUEST_MARK_WRITES_BEGIN,
	GUEST_MARK_WRITES_END,
	GUEST_MARK_SUBMITS_BEGIN,
	GUEST_MARK_SUBMITS_END,
	GUEST_MARK_PPGTT_BEGIN,		/* before the first page-table write */
	GUEST_MARK_PPGTT_END,
	GUEST_MARK_TABLE_WRITES_BEGIN,
	GUEST_MARK_TABLE_WRITES_END,
};

/* Steps of the guest, reported with a failure. */
enum guest_step {
	GUEST_STEP_START = 1,
	GUEST_STEP_PVINFO,
	GUEST_STEP_SCRATCH,
	GUEST_STEP_GGTT,
	GUEST_STEP_ENGINE,
	GUEST_STEP_DRIVER,
	GUEST_STEP_LOOPS,
	GUEST_STEP_SUBMITS,
	GUEST_STEP_PPGTT,
	GUEST_STEP_TABLE_WRITES,
};

/* A register both loops use: plain storage in the vGPU, no side effect. */
#define GUEST_BENCH_REG		0xb11cu		/* BDW_SCRATCH1 */

/**
 * struct guest_mbox - at GUEST_MBOX_GPA.
 * The VMM fills the first part before the guest runs; the guest the rest.
 */
struct guest_mbox {
	/* From the VMM. */
	uint32_t magic;			/* GUEST_MBOX_MAGIC */
	uint32_t todo;			/* GUEST_DO_* */
	uint64_t bar0;			/* guest-physical, where firmware put it */
	uint32_t rounds;		/* of the read and write loops */
	uint32_t reads;			/* register reads per round */
	uint32_t writes;		/* register writes per round */
	uint32_t submits;		/* ELSP submissions in GUEST_DO_SUBMITS */
	uint32_t driver_runs;		/* submissions in GUEST_DO_DRIVER */
	uint32_t table_loop;		/* stores in GUEST_DO_TABLE_WRITES */
	/* From the guest. */
	uint32_t step;			/* enum guest_step reached */
	uint32_t submitted;		/* ELSP submissions made */
	uint32_t completed;		/* of which completed and checked */
	uint32_t ap_base;		/* PVINFO's aperture range */
	uint32_t ap_size;
	uint32_t csb_events;		/* CSB entries read */
	uint32_t table_writes;		/* GPU page-table entries written */
	uint32_t pad1;
	uint64_t pml4;			/* guest-physical, the PPGTT's root */
	uint64_t got;			/* with GUEST_FAILED: what was seen */
	uint64_t want;			/* and what was expected */
	char why[128];			/* and what it was, NUL-terminated */
};

#endif /* GVT_KVM_GUEST_ABI_H */
