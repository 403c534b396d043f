// SPDX-License-Identifier: MIT
/*
 * guestdrv: a guest's i915, reduced to what a vGPU needs to run work.
 * Register offsets, bits and command encodings follow the Skylake PRM and
 * i915's gen9 execlists path; they are written out here rather than taken
 * from libgvt, whose view of the hardware this driver is meant to check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <gvt/gvt.h>

#include "guest_ppgtt.h"
#include "guestdrv.h"

#define PAGE 4096u
#define MiB (1ull << 20)

/* PCI */
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSI		0x05
#define MSI_ADDR		0xfee00000u
#define MSI_DATA		0x4041u

/* PVINFO (i915_pvinfo.h) */
#define PV			0x78000u
#define PV_MAGIC		(PV + 0x000)
#define PV_VERSION_MAJOR	(PV + 0x008)
#define PV_CAPS			(PV + 0x010)
#define PV_MAPPABLE_BASE	(PV + 0x040)
#define PV_MAPPABLE_SIZE	(PV + 0x044)
#define PV_NONMAPPABLE_BASE	(PV + 0x048)
#define PV_NONMAPPABLE_SIZE	(PV + 0x04c)
#define PV_FENCE_NUM		(PV + 0x050)
#define PV_G2V_NOTIFY		(PV + 0x818)
#define PV_PDP0_LO		(PV + 0x838)
#define PV_PDP0_HI		(PV + 0x83c)
#define VGT_MAGIC		0x4776544776544776ull
#define VGT_CAPS_FULL_PPGTT	(1u << 2)
#define VGT_CAPS_HWSP_EMULATION	(1u << 3)
#define VGT_G2V_PPGTT_L4_CREATE	4
#define VGT_G2V_PPGTT_L4_DESTROY 5

/* GGTT in BAR0's upper half; GFX_FLSH_CNTL after updating it. */
#define GGTT_BAR_OFFSET		(8ull << 20)
#define GFX_FLSH_CNTL		0x101008u

/* Interrupts (gen8+): master control and GT bank 0 (rcs, bcs). */
#define MASTER_IRQ		0x44200u
#define MASTER_IRQ_CONTROL	(1u << 31)
/* GT bank 0 drives two master bits: its render half and its blitter half. */
#define MASTER_GT0_RCS		(1u << 0)
#define MASTER_GT0_BCS		(1u << 1)
#define GT_IMR0			0x44304u
#define GT_IIR0			0x44308u
#define GT_IER0			0x4430cu
#define GT_USER_INTERRUPT	(1u << 0)
#define GT_CONTEXT_SWITCH	(1u << 8)

/* Engine registers, relative to the engine's base. */
#define RING_TAIL		0x030u
#define RING_HEAD		0x034u
#define RING_START		0x038u
#define RING_CTL		0x03cu
#define RING_HWS_PGA		0x080u
#define RING_MI_MODE		0x09cu
#define RING_IMR		0x0a8u
#define RING_BB_STATE		0x110u
#define RING_SBB_HEAD_L		0x114u
#define RING_SBB_STATE		0x118u
#define RING_SBB_HEAD_U		0x11cu
#define RING_BB_HEAD_L		0x140u
#define RING_BB_HEAD_U		0x168u
#define RING_BB_PER_CTX_PTR	0x1c0u
#define RING_INDIRECT_CTX	0x1c4u
#define RING_INDIRECT_CTX_OFF	0x1c8u
#define RING_ELSP		0x230u
#define RING_CONTEXT_CONTROL	0x244u
#define RING_PDP_LDW(n)		(0x270u + 8 * (n))
#define RING_PDP_UDW(n)		(0x274u + 8 * (n))
#define RING_MODE		0x29cu
#define RING_CSB_BUF		0x370u
#define RING_CSB_PTR		0x3a0u
#define RING_CTX_TIMESTAMP	0x3a8u
#define R_PWR_CLK_STATE		0x20c8u

#define MASKED_ENABLE(b)	((b) << 16 | (b))
#define MASKED_DISABLE(b)	((b) << 16)
#define GFX_RUN_LIST_ENABLE	(1u << 15)
#define GFX_REPLAY_MODE		(1u << 11)
#define STOP_RING		(1u << 8)
#define RING_VALID		(1u << 0)
#define RING_HEAD_ADDR		0x001ffffcu
#define RING_BB_PPGTT		(1u << 5)
#define CSB_READ_PTR_MASK	(7u << 8)

/* CONTEXT_CONTROL */
#define CTX_CTRL_RESTORE_INHIBIT	(1u << 0)
#define CTX_CTRL_RS_CTX_ENABLE		(1u << 1)
#define CTX_CTRL_INHIBIT_SYN_SWITCH	(1u << 3)

/* Execlist context descriptor, low dword (i915 intel_lrc.c, gen9). */
#define DESC_VALID		(1u << 0)
#define DESC_LEGACY_64B		(3u << 3)	/* 4-level PPGTT */
#define DESC_L3LLC_COHERENT	(1u << 5)
#define DESC_PRIVILEGE		(1u << 8)

/* Context status buffer events (low dword). */
#define CSB_IDLE_ACTIVE		(1u << 0)
#define CSB_PREEMPTED		(1u << 1)
#define CSB_ELEMENT_SWITCH	(1u << 2)
#define CSB_ACTIVE_IDLE		(1u << 3)
#define CSB_COMPLETE		(1u << 4)
#define CSB_LITE_RESTORE	(1u << 15)
#define CSB_ENTRIES		6
#define HWSP_CSB		0x10	/* dword index of entry 0 */
#define HWSP_CSB_WRITE		0x1f	/* dword index of the write pointer */

/*
 * The register-state page of a logical ring context (gen8-11 layout):
 * dword index of each register's offset; its value follows.
 */
#define CTX_LRI_HEADER_0	0x01
#define CTX_CONTEXT_CONTROL	0x02
#define CTX_RING_HEAD		0x04
#define CTX_RING_TAIL		0x06
#define CTX_RING_START		0x08
#define CTX_RING_CTL		0x0a
#define CTX_BB_HEAD_U		0x0c
#define CTX_BB_HEAD_L		0x0e
#define CTX_BB_STATE		0x10
#define CTX_SBB_HEAD_U		0x12
#define CTX_SBB_HEAD_L		0x14
#define CTX_SBB_STATE		0x16
#define CTX_BB_PER_CTX_PTR	0x18
#define CTX_RCS_INDIRECT_CTX	0x1a
#define CTX_RCS_INDIRECT_OFF	0x1c
#define CTX_LRI_HEADER_1	0x21
#define CTX_TIMESTAMP		0x22
#define CTX_PDP3_UDW		0x24
#define CTX_LRI_HEADER_2	0x41
#define CTX_R_PWR_CLK_STATE	0x42
#define CTX_PAGES_RCS		22	/* gen9 render: PPHWSP, state, 20 more */
#define CTX_PAGES_OTHER		2
#define INDIRECT_CTX_OFF_GEN9	(0x26u << 6)

/* Commands. */
#define MI_NOOP			0x00000000u
#define MI_USER_INTERRUPT	0x01000000u
#define MI_BATCH_BUFFER_END	0x05000000u
#define MI_ARB_CHECK		0x02800000u
#define MI_STORE_DWORD_IMM	(0x20u << 23 | 2)	/* PPGTT, 4 dwords */
#define MI_LRI(n)		(0x22u << 23 | (2 * (n) - 1))
#define MI_LRI_FORCE_POSTED	(1u << 12)
#define MI_FLUSH_DW		(0x26u << 23 | 2)	/* 4 dwords */
#define MI_BB_START_PPGTT	(0x31u << 23 | 1u << 8 | 1)	/* 3 dwords */
#define BLT_CLIENT		(2u << 29)
#define BLT_WRITE_ARGB		(3u << 20)
#define BLT_SRC_TILED		(1u << 15)
#define BLT_DST_TILED		(1u << 11)
#define XY_COLOR_BLT		(BLT_CLIENT | 0x50u << 22 | BLT_WRITE_ARGB | 5)
#define XY_SRC_COPY_BLT		(BLT_CLIENT | 0x53u << 22 | BLT_WRITE_ARGB | 8)
#define BR13_32BPP		(3u << 24)
#define ROP_PATCOPY		(0xf0u << 16)
#define ROP_SRCCOPY		(0xccu << 16)

/*
 * Guest memory: GGTT-mapped pages (status pages, contexts, rings) from
 * 1 MiB, PPGTT-mapped data (batches, seqnos, surfaces) from 8 MiB at GPU
 * address DATA_GMA (above 4 GiB, so every PPGTT level is used), page
 * tables in the last 8 MiB (from 24 MiB in the smallest guest).
 */
#define GGTT_GPA		(1 * MiB)
#define DATA_GPA		(8 * MiB)
#define DATA_GMA		0x0000100000000000ull
#define PT_SIZE			(8 * MiB)
#define RAM_NEEDED		(32 * MiB)

#define RING_WORK_BYTES		16	/* BB_START + MI_NOOP per workload */
#define BATCH_SLOT		128	/* bytes of batch per workload, at least */
#define BLT_DWORDS		10	/* the longest blit command, XY_SRC_COPY */
#define BATCH_TAIL		10	/* flush, breadcrumb, interrupt, end */
#define SEQNO_SLOTS		1024
/* In the page after the seqno slots: the last seqno (rcs's breadcrumb),
 * then the blitter's breadcrumb. */
#define SEQ_LAST		0
#define BCS_BREADCRUMB		64
#define QUIRKS_MAX		16

enum work_kind { WORK_SEQNO, WORK_FILL, WORK_COPY };

struct work {
	enum work_kind kind;
	uint32_t seqno;			/* WORK_SEQNO */
	uint64_t t_submit;		/* CLOCK_MONOTONIC ns */
	uint8_t src, dst;		/* enum guestdrv_surface */
	uint32_t sx, sy, dx, dy, w, h;	/* pixels */
	uint32_t color;
};

struct engine {
	const char *name;
	uint64_t bc_gpa, bc_gma;	/* breadcrumb: the last workload done,
					 * numbered from 1 in ring order */
	uint32_t base;			/* MMIO base */
	unsigned int irq_shift;		/* in GT bank 0 */
	uint32_t ctx_id;		/* descriptor's upper dword */
	uint64_t hwsp_gpa;
	uint32_t hwsp_gm;
	uint64_t ctx_gpa;		/* page 0 of the image */
	uint32_t ctx_gm;		/* the lrca */
	uint64_t ring_gpa;
	uint32_t ring_gm;
	uint32_t ring_size;		/* bytes */
	uint64_t batch_gpa;		/* batch_slot bytes per ring slot */
	uint64_t batch_gma;
	uint32_t batch_slot;
	struct work *work;		/* one per ring slot */
	unsigned int nslots;
	/* Ring positions in bytes, never wrapping: */
	uint64_t emitted;		/* written by the CPU */
	uint64_t submitted;		/* handed to the ELSP */
	uint64_t retired;		/* completed and checked */
	unsigned int unacked;		/* ELSP writes whose first CSB event
					 * (idle-to-active or lite restore) is
					 * still to come */
	bool running;			/* the CSB says the context is active */
	bool ran;			/* the context ran once */
	unsigned int csb_head;		/* last CSB entry read */
	uint64_t ctx_irqs;		/* context-switch IIR bits seen */
	struct guestdrv_stats st;	/* __atomic access: read elsewhere */
};

struct surface {
	bool tiled;
	uint64_t gpa, gma;
	uint32_t *ref;			/* W x H, linear: what it must hold */
	unsigned int writers;		/* blits into it not yet retired */
};

struct quirk {
	const char *id;
	char msg[200];
	uint64_t count;
};

struct guestdrv {
	struct gvt_vgpu *vgpu;
	struct mock_hv *hv;
	struct guestdrv_params params;
	int evfd;			/* the MSI hook signals it */
	uint64_t msis;
	uint32_t ap_base, ap_size;	/* ballooning: our GGTT ranges */
	uint32_t hidden_base, hidden_size;
	uint32_t ggtt_used;		/* pages mapped from ap_base */
	struct guest_ppgtt ppgtt;
	struct engine eng[GUESTDRV_NUM_ENGINES];
	uint64_t seq_gpa, seq_gma;	/* slot page; the "last" dword follows */
	uint32_t next_seqno;		/* first is 1 */
	struct surface surf[GUESTDRV_NUM_SURFACES];
	uint32_t surf_w, surf_h;	/* pixels */
	uint64_t data_used;		/* bytes of the data region handed out */
	uint64_t pt_gpa;		/* page tables: the last PT_SIZE of RAM */
	bool failed;
	char err[256];
	struct quirk quirks[QUIRKS_MAX];
	unsigned int nquirks;
	char quirk_text[QUIRKS_MAX * 240];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct guestdrv *gd, const char *fmt, ...)
{
	va_list ap;

	if (!gd->failed) {
		va_start(ap, fmt);
		vsnprintf(gd->err, sizeof(gd->err), fmt, ap);
		va_end(ap);
		gd->failed = true;
	}
	return -EIO;
}

/* Record a difference from the hardware's behaviour, once per @id. */
__attribute__((format(printf, 3, 4)))
static void quirk(struct guestdrv *gd, const char *id, const char *fmt, ...)
{
	struct quirk *q = NULL;
	va_list ap;

	for (unsigned int i = 0; i < gd->nquirks; i++)
		if (!strcmp(gd->quirks[i].id, id))
			q = &gd->quirks[i];
	if (q) {
		q->count++;
		return;
	}
	if (gd->nquirks == QUIRKS_MAX)
		return;
	q = &gd->quirks[gd->nquirks++];
	q->id = id;
	q->count = 1;
	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
}

static void *ram(struct guestdrv *gd, uint64_t gpa)
{
	return gd->hv->ram + gpa;
}

/* Guest memory the GPU writes: read it as a CPU reads coherent memory. */
static uint32_t ram_load32(struct guestdrv *gd, uint64_t gpa)
{
	return __atomic_load_n((uint32_t *)ram(gd, gpa), __ATOMIC_ACQUIRE);
}

static void ram_store32(struct guestdrv *gd, uint64_t gpa, uint32_t v)
{
	__atomic_store_n((uint32_t *)ram(gd, gpa), v, __ATOMIC_RELEASE);
}

static uint32_t rd(struct guestdrv *gd, uint32_t off)
{
	uint32_t v = 0;

	if (gvt_vgpu_mmio_read(gd->vgpu, off, &v, 4))
		fail(gd, "MMIO read of 0x%x refused", off);
	return v;
}

static void wr(struct guestdrv *gd, uint32_t off, uint32_t v)
{
	if (gvt_vgpu_mmio_write(gd->vgpu, off, &v, 4))
		fail(gd, "MMIO write of 0x%x refused", off);
}

static uint32_t cfg_rd(struct guestdrv *gd, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	if (gvt_vgpu_cfg_read(gd->vgpu, off, &v, len))
		fail(gd, "config read of 0x%x refused", off);
	return v;
}

static void cfg_wr(struct guestdrv *gd, uint32_t off, uint32_t v,
		   uint32_t len)
{
	if (gvt_vgpu_cfg_write(gd->vgpu, off, &v, len))
		fail(gd, "config write of 0x%x refused", off);
}

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct guestdrv *gd = opaque;
	uint64_t one = 1;

	(void)addr;
	(void)data;
	/* A full eventfd counter cannot happen at 2^64 - 1 MSIs. */
	if (write(gd->evfd, &one, sizeof(one)) < 0)
		return;
}

/* PCI: memory decoding, bus mastering, and the MSI capability. */
static int pci_enable(struct guestdrv *gd)
{
	uint32_t ids = cfg_rd(gd, 0, 4), cap, msi = 0;
	unsigned int hops = 0;

	if ((ids & 0xffff) != 0x8086)
		return fail(gd, "PCI vendor 0x%04x is not Intel", ids & 0xffff);
	for (cap = cfg_rd(gd, PCI_CAP_PTR, 1) & 0xfc; cap && hops < 48;
	     cap = cfg_rd(gd, cap + 1, 1) & 0xfc, hops++)
		if (cfg_rd(gd, cap, 1) == PCI_CAP_ID_MSI)
			msi = cap;
	if (!msi)
		return fail(gd, "no MSI capability in config space");
	cfg_wr(gd, msi + 4, MSI_ADDR, 4);
	cfg_wr(gd, msi + 8, MSI_DATA, 2);	/* 32-bit address layout */
	cfg_wr(gd, msi + 2, cfg_rd(gd, msi + 2, 2) | 1, 2);
	cfg_wr(gd, PCI_COMMAND, cfg_rd(gd, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY |
	       PCI_COMMAND_MASTER, 2);
	return gd->failed ? -EIO : 0;
}

/* i915_detect_vgpu() and intel_vgt_balloon(), in short. */
static int pvinfo_read(struct guestdrv *gd)
{
	uint64_t magic = 0;
	uint32_t caps;

	if (gvt_vgpu_mmio_read(gd->vgpu, PV_MAGIC, &magic, 8))
		return fail(gd, "PVINFO read refused");
	if (magic != VGT_MAGIC)
		return fail(gd, "no PVINFO magic (0x%016llx): not a vGPU",
			    (unsigned long long)magic);
	if ((rd(gd, PV_VERSION_MAJOR) & 0xffff) < 1)
		return fail(gd, "PVINFO version %u.x is too old",
			    rd(gd, PV_VERSION_MAJOR) & 0xffff);
	caps = rd(gd, PV_CAPS);
	/* i915 refuses a vGPU without these when it uses PPGTT and execlists. */
	if (!(caps & VGT_CAPS_FULL_PPGTT) || !(caps & VGT_CAPS_HWSP_EMULATION))
		return fail(gd, "vGPU caps 0x%x lack full PPGTT or HWSP emulation",
			    caps);
	gd->ap_base = rd(gd, PV_MAPPABLE_BASE);
	gd->ap_size = rd(gd, PV_MAPPABLE_SIZE);
	gd->hidden_base = rd(gd, PV_NONMAPPABLE_BASE);
	gd->hidden_size = rd(gd, PV_NONMAPPABLE_SIZE);
	if (!gd->ap_size || gd->ap_base % PAGE)
		return fail(gd, "PVINFO gives no usable aperture (base 0x%x size 0x%x)",
			    gd->ap_base, gd->ap_size);
	(void)rd(gd, PV_FENCE_NUM);
	return gd->failed ? -EIO : 0;
}

/* Map @pages guest pages at @gpa into our aperture range; return the GM
 * address of the first, or 0. */
static uint32_t ggtt_map(struct guestdrv *gd, uint64_t gpa, unsigned int pages)
{
	uint32_t gm = gd->ap_base + gd->ggtt_used * PAGE;

	if ((uint64_t)(gd->ggtt_used + pages) * PAGE > gd->ap_size) {
		fail(gd, "aperture of %u KiB too small", gd->ap_size / 1024);
		return 0;
	}
	for (unsigned int i = 0; i < pages; i++) {
		uint64_t index = (gm >> 12) + i, pte = (gpa + i * PAGE) | 1, back = 0;

		memset(ram(gd, gpa + i * PAGE), 0, PAGE);
		if (gvt_vgpu_mmio_write(gd->vgpu, GGTT_BAR_OFFSET + 8 * index, &pte, 8) ||
		    gvt_vgpu_mmio_read(gd->vgpu, GGTT_BAR_OFFSET + 8 * index, &back, 8)) {
			fail(gd, "GGTT entry %llu refused", (unsigned long long)index);
			return 0;
		}
		if (back != pte)
			quirk(gd, "ggtt-readback",
			      "GGTT entry %llu reads 0x%llx after writing 0x%llx",
			      (unsigned long long)index, (unsigned long long)back,
			      (unsigned long long)pte);
	}
	gd->ggtt_used += pages;
	return gm;
}

/* Data pages, PPGTT-mapped: return the guest-physical address and fill
 * *@gma with the GPU's. */
static uint64_t data_alloc(struct guestdrv *gd, uint64_t bytes, uint64_t *gma)
{
	uint64_t off = gd->data_used, gpa = DATA_GPA + off;

	bytes = (bytes + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	if (DATA_GPA + off + bytes > gd->pt_gpa) {
		fail(gd, "out of guest data memory");
		return 0;
	}
	for (uint64_t o = 0; o < bytes; o += PAGE) {
		memset(ram(gd, gpa + o), 0, PAGE);
		if (guest_ppgtt_map(&gd->ppgtt, DATA_GMA + off + o, gpa + o,
				    PAGE, GPT_PRESENT | GPT_RW)) {
			fail(gd, "out of page-table pages");
			return 0;
		}
	}
	gd->data_used += bytes;
	*gma = DATA_GMA + off;
	return gpa;
}

static void ctx_set(struct guestdrv *gd, struct engine *e, unsigned int slot,
		    uint32_t reg, uint32_t value)
{
	uint32_t *regs = ram(gd, e->ctx_gpa + PAGE);

	regs[slot] = e->base + reg;
	regs[slot + 1] = value;
}

/* execlists_init_reg_state() for gen9. */
static void ctx_init(struct guestdrv *gd, struct engine *e, bool rcs)
{
	uint32_t *regs = ram(gd, e->ctx_gpa + PAGE);
	uint32_t ctrl = CTX_CTRL_INHIBIT_SYN_SWITCH | CTX_CTRL_RESTORE_INHIBIT |
			(rcs ? CTX_CTRL_RS_CTX_ENABLE : 0);

	regs[CTX_LRI_HEADER_0] = MI_LRI(rcs ? 14 : 11) | MI_LRI_FORCE_POSTED;
	ctx_set(gd, e, CTX_CONTEXT_CONTROL, RING_CONTEXT_CONTROL,
		MASKED_ENABLE(ctrl));
	ctx_set(gd, e, CTX_RING_HEAD, RING_HEAD, 0);
	ctx_set(gd, e, CTX_RING_TAIL, RING_TAIL, 0);
	ctx_set(gd, e, CTX_RING_START, RING_START, e->ring_gm);
	ctx_set(gd, e, CTX_RING_CTL, RING_CTL,
		((e->ring_size - PAGE) & 0x1ff000u) | RING_VALID);
	ctx_set(gd, e, CTX_BB_HEAD_U, RING_BB_HEAD_U, 0);
	ctx_set(gd, e, CTX_BB_HEAD_L, RING_BB_HEAD_L, 0);
	ctx_set(gd, e, CTX_BB_STATE, RING_BB_STATE, RING_BB_PPGTT);
	ctx_set(gd, e, CTX_SBB_HEAD_U, RING_SBB_HEAD_U, 0);
	ctx_set(gd, e, CTX_SBB_HEAD_L, RING_SBB_HEAD_L, 0);
	ctx_set(gd, e, CTX_SBB_STATE, RING_SBB_STATE, 0);
	if (rcs) {
		ctx_set(gd, e, CTX_BB_PER_CTX_PTR, RING_BB_PER_CTX_PTR, 0);
		ctx_set(gd, e, CTX_RCS_INDIRECT_CTX, RING_INDIRECT_CTX, 0);
		ctx_set(gd, e, CTX_RCS_INDIRECT_OFF, RING_INDIRECT_CTX_OFF,
			INDIRECT_CTX_OFF_GEN9);
	}
	regs[CTX_LRI_HEADER_1] = MI_LRI(9) | MI_LRI_FORCE_POSTED;
	ctx_set(gd, e, CTX_TIMESTAMP, RING_CTX_TIMESTAMP, 0);
	for (unsigned int n = 0; n < 4; n++) {
		unsigned int slot = CTX_PDP3_UDW + 4 * (3 - n);
		uint64_t pdp = n == 0 ? gd->ppgtt.pml4 : 0;

		ctx_set(gd, e, slot, RING_PDP_UDW(n), (uint32_t)(pdp >> 32));
		ctx_set(gd, e, slot + 2, RING_PDP_LDW(n), (uint32_t)pdp);
	}
	if (rcs) {
		regs[CTX_LRI_HEADER_2] = MI_LRI(1);
		regs[CTX_R_PWR_CLK_STATE] = R_PWR_CLK_STATE;
		regs[CTX_R_PWR_CLK_STATE + 1] = 0;
	}
}

static void engine_init(struct guestdrv *gd, unsigned int i)
{
	static const struct {
		const char *name;
		uint32_t base;
		unsigned int irq_shift;
		unsigned int ctx_pages;
	} desc[GUESTDRV_NUM_ENGINES] = {
		[GUESTDRV_RCS] = { "rcs", 0x02000, 0, CTX_PAGES_RCS },
		[GUESTDRV_BCS] = { "bcs", 0x22000, 16, CTX_PAGES_OTHER },
	};
	struct engine *e = &gd->eng[i];
	uint64_t gpa = GGTT_GPA + (uint64_t)gd->ggtt_used * PAGE;

	e->name = desc[i].name;
	e->base = desc[i].base;
	e->irq_shift = desc[i].irq_shift;
	e->ctx_id = 0x100 + i;
	e->ring_size = gd->params.ring_pages * PAGE;
	e->nslots = e->ring_size / RING_WORK_BYTES;

	e->hwsp_gpa = gpa;
	e->hwsp_gm = ggtt_map(gd, gpa, 1);
	e->ctx_gpa = e->hwsp_gpa + PAGE;
	e->ctx_gm = ggtt_map(gd, e->ctx_gpa, desc[i].ctx_pages);
	e->ring_gpa = e->ctx_gpa + desc[i].ctx_pages * PAGE;
	e->ring_gm = ggtt_map(gd, e->ring_gpa, gd->params.ring_pages);
	e->batch_slot = BATCH_SLOT;
	if (i == GUESTDRV_BCS) {
		/* Every pass over every band of the tallest blit, an
		 * arbitration point between each two. */
		uint32_t bands = gd->params.passes * (gd->params.band ?
				 (gd->surf_h + gd->params.band - 1) / gd->params.band : 1);
		uint32_t bytes = 4 * ((BLT_DWORDS + 1) * bands + BATCH_TAIL);

		bytes = (bytes + 63) & ~63u;
		e->batch_slot = bytes > BATCH_SLOT ? bytes : BATCH_SLOT;
	}
	e->batch_gpa = data_alloc(gd, (uint64_t)e->nslots * e->batch_slot,
				  &e->batch_gma);
	e->work = calloc(e->nslots, sizeof(*e->work));
	if (!e->work)
		fail(gd, "out of memory");
	if (gd->failed)
		return;

	/* i915 starts reading the CSB after the last entry, and so does the
	 * status page's copy of the write pointer (reset_csb_pointers()). */
	e->csb_head = CSB_ENTRIES - 1;
	ram_store32(gd, e->hwsp_gpa + 4 * HWSP_CSB_WRITE, CSB_ENTRIES - 1);
	ctx_init(gd, e, i == GUESTDRV_RCS);

	/* enable_execlists() for gen9. */
	wr(gd, e->base + RING_IMR, ~(GT_USER_INTERRUPT | GT_CONTEXT_SWITCH));
	wr(gd, e->base + RING_MODE, MASKED_DISABLE(GFX_REPLAY_MODE) |
	   MASKED_ENABLE(GFX_RUN_LIST_ENABLE));
	wr(gd, e->base + RING_MI_MODE, MASKED_DISABLE(STOP_RING));
	wr(gd, e->base + RING_HWS_PGA, e->hwsp_gm);
	if (rd(gd, e->base + RING_HWS_PGA) != e->hwsp_gm)
		quirk(gd, "hws-pga", "%s: RING_HWS_PGA reads 0x%x after writing 0x%x",
		      e->name, rd(gd, e->base + RING_HWS_PGA), e->hwsp_gm);
	if (!(rd(gd, e->base + RING_MODE) & GFX_RUN_LIST_ENABLE))
		fail(gd, "%s: execlists did not enable (RING_MODE 0x%x)", e->name,
		     rd(gd, e->base + RING_MODE));
}

static int check_failsafe(struct guestdrv *gd)
{
	struct gvt_vgpu_info info;

	if (gvt_vgpu_get_info(gd->vgpu, &info))
		return fail(gd, "cannot read the vGPU's state");
	if (info.failsafe)
		return fail(gd, "the vGPU entered failsafe: %s",
			    info.failsafe_reason);
	return gd->failed ? -EIO : 0;
}

static uint32_t surf_pitch(const struct guestdrv *gd)
{
	return gd->surf_w * 4;
}

static void surfaces_init(struct guestdrv *gd)
{
	uint64_t bytes = (uint64_t)surf_pitch(gd) * gd->surf_h;

	for (unsigned int s = 0; s < GUESTDRV_NUM_SURFACES && !gd->failed; s++) {
		struct surface *sf = &gd->surf[s];

		sf->tiled = s >= GUESTDRV_SURF_XTILED_A;
		sf->gpa = data_alloc(gd, bytes, &sf->gma);
		sf->ref = calloc((size_t)gd->surf_w * gd->surf_h, 4);
		if (!sf->ref) {
			fail(gd, "out of memory");
			return;
		}
	}
}

/* Byte offset of pixel (@x, @y): X tiles are 512 bytes x 8 rows, row-major,
 * without bit-6 swizzling (gen9). */
static uint64_t surf_off(const struct guestdrv *gd, const struct surface *sf,
			 uint32_t x, uint32_t y)
{
	uint32_t xb = x * 4;

	if (!sf->tiled)
		return (uint64_t)y * surf_pitch(gd) + xb;
	return ((uint64_t)(y / 8) * (surf_pitch(gd) / 512) + xb / 512) * 4096 +
	       (y % 8) * 512 + xb % 512;
}

/* Pixels from (@x, @y) on that lie one after another in memory: the rest
 * of the row, or of the X tile's row. */
static uint32_t surf_run(const struct guestdrv *gd, const struct surface *sf,
			 uint32_t x)
{
	return sf->tiled ? 128 - x % 128 : gd->surf_w - x;
}

static uint32_t *surf_ref(const struct guestdrv *gd, const struct surface *sf,
			  uint32_t x, uint32_t y)
{
	return sf->ref + (size_t)y * gd->surf_w + x;
}

/* A pattern a shifted or transposed copy cannot match by accident. */
static void surfaces_fill(struct guestdrv *gd)
{
	for (unsigned int s = 0; s < GUESTDRV_NUM_SURFACES; s++) {
		struct surface *sf = &gd->surf[s];

		for (uint32_t y = 0; y < gd->surf_h; y++) {
			for (uint32_t x = 0; x < gd->surf_w; x++) {
				uint32_t v = (s + 1) << 24 | y << 12 | x;

				memcpy(ram(gd, sf->gpa + surf_off(gd, sf, x, y)), &v, 4);
				*surf_ref(gd, sf, x, y) = v;
			}
		}
	}
}

int guestdrv_open(struct gvt_vgpu *vgpu, struct mock_hv *hv,
		  const struct guestdrv_params *params, struct guestdrv **out,
		  char *err, size_t err_len)
{
	struct guestdrv *gd;
	int ret;

	if (err && err_len)
		err[0] = '\0';
	if (!vgpu || !hv || !out || hv->ram_size < RAM_NEEDED) {
		if (err && err_len)
			snprintf(err, err_len, "guestdrv needs a vGPU and %llu MiB of guest RAM",
				 (unsigned long long)(RAM_NEEDED / MiB));
		return -EINVAL;
	}
	gd = calloc(1, sizeof(*gd));
	if (!gd)
		return -ENOMEM;
	gd->vgpu = vgpu;
	gd->hv = hv;
	if (params)
		gd->params = *params;
	if (!gd->params.ring_pages)
		gd->params.ring_pages = 4;
	if (!gd->params.batch)
		gd->params.batch = 8;
	if (!gd->params.passes)
		gd->params.passes = 1;
	gd->surf_w = gd->params.surf_w ? gd->params.surf_w : GUESTDRV_SURF_W;
	gd->surf_h = gd->params.surf_h ? gd->params.surf_h : GUESTDRV_SURF_H;
	gd->pt_gpa = hv->ram_size - PT_SIZE;
	if (gd->params.ring_pages > 32 || gd->params.passes > GUESTDRV_MAX_PASSES ||
	    gd->surf_w % 128 || gd->surf_h % 8 ||
	    gd->surf_w > GUESTDRV_SURF_MAX || gd->surf_h > GUESTDRV_SURF_MAX ||
	    (gd->params.band &&
	     gd->params.band * GUESTDRV_MAX_BANDS < gd->surf_h)) {
		if (err && err_len && gd->params.ring_pages > 32)
			snprintf(err, err_len, "ring of %u pages: at most 32",
				 gd->params.ring_pages);
		else if (err && err_len && gd->params.passes > GUESTDRV_MAX_PASSES)
			snprintf(err, err_len, "%u passes per blit: at most %u",
				 gd->params.passes, GUESTDRV_MAX_PASSES);
		else if (err && err_len)
			snprintf(err, err_len, "surfaces of %ux%u pixels in bands of %u rows: the width must be a multiple of 128, the height of 8, each at most %u, and at most %u bands",
				 gd->surf_w, gd->surf_h, gd->params.band,
				 GUESTDRV_SURF_MAX, GUESTDRV_MAX_BANDS);
		free(gd);
		return -EINVAL;
	}
	gd->next_seqno = 1;
	gd->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gd->evfd < 0) {
		ret = -errno;
		free(gd);
		return ret;
	}
	mock_hv_set_msi_hook(hv, on_msi, gd);

	if (!pci_enable(gd) && !pvinfo_read(gd)) {
		/* Interrupts off while setting up, as at probe. */
		wr(gd, MASTER_IRQ, 0);
		wr(gd, GT_IMR0, ~0u);
		wr(gd, GT_IER0, 0);
		wr(gd, GT_IIR0, ~0u);
		if (guest_ppgtt_init(&gd->ppgtt, hv, gd->pt_gpa, PT_SIZE))
			fail(gd, "no room for a PML4");
		for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES && !gd->failed; i++)
			engine_init(gd, i);
		gd->seq_gpa = data_alloc(gd, 2 * PAGE, &gd->seq_gma);
		for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++) {
			uint64_t off = PAGE + (i == GUESTDRV_RCS ? SEQ_LAST : BCS_BREADCRUMB);

			gd->eng[i].bc_gpa = gd->seq_gpa + off;
			gd->eng[i].bc_gma = gd->seq_gma + off;
		}
		surfaces_init(gd);
	}
	if (!gd->failed) {
		surfaces_fill(gd);
		/* i915 flushes the GGTT after updating it. */
		wr(gd, GFX_FLSH_CNTL, 1);
		/* gen8_ppgtt_notify_vgt(): the PML4, then the g2v request. */
		wr(gd, PV_PDP0_LO, (uint32_t)gd->ppgtt.pml4);
		wr(gd, PV_PDP0_HI, (uint32_t)(gd->ppgtt.pml4 >> 32));
		wr(gd, PV_G2V_NOTIFY, VGT_G2V_PPGTT_L4_CREATE);
		/* From now on the tables may be write-protected. */
		gd->ppgtt.vgpu = vgpu;
		uint32_t bits = 0;

		for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++)
			bits |= (GT_USER_INTERRUPT | GT_CONTEXT_SWITCH) <<
				gd->eng[i].irq_shift;
		wr(gd, GT_IER0, bits);
		wr(gd, GT_IMR0, ~bits);
		wr(gd, MASTER_IRQ, MASTER_IRQ_CONTROL);
		check_failsafe(gd);
	}
	if (gd->failed) {
		if (err && err_len)
			snprintf(err, err_len, "%s", gd->err);
		guestdrv_close(gd);
		return -EIO;
	}
	*out = gd;
	return 0;
}

void guestdrv_close(struct guestdrv *gd)
{
	if (!gd)
		return;
	if (!gd->failed) {
		wr(gd, MASTER_IRQ, 0);
		wr(gd, GT_IER0, 0);
		wr(gd, GT_IMR0, ~0u);
		wr(gd, PV_G2V_NOTIFY, VGT_G2V_PPGTT_L4_DESTROY);
	}
	mock_hv_set_msi_hook(gd->hv, NULL, NULL);
	for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++)
		free(gd->eng[i].work);
	for (unsigned int s = 0; s < GUESTDRV_NUM_SURFACES; s++)
		free(gd->surf[s].ref);
	close(gd->evfd);
	free(gd);
}

/* Room for one more workload (one ring slot stays free: a full ring
 * would have tail == head; with @ahead it also keeps the batch of the
 * workload retired last, whose MI_BATCH_BUFFER_END the engine may still
 * be reading when its breadcrumb lands). */
static struct work *work_reserve(struct guestdrv *gd, struct engine *e)
{
	if (gd->failed)
		return NULL;
	if (e->emitted - e->retired + 2 * RING_WORK_BYTES > e->ring_size)
		return NULL;
	return &e->work[(e->emitted / RING_WORK_BYTES) % e->nslots];
}

/* The breadcrumb of the workload at ring position @pos: its number, from
 * 1, in the engine's ring order. */
static uint32_t work_number(uint64_t pos)
{
	return (uint32_t)(pos / RING_WORK_BYTES + 1);
}

/* Write the batch's dwords into its slot, start it from the ring. */
static void work_emit(struct guestdrv *gd, struct engine *e, struct work *w,
		      const uint32_t *batch, unsigned int n)
{
	unsigned int slot = (unsigned int)(e->emitted / RING_WORK_BYTES) % e->nslots;
	uint64_t bgma = e->batch_gma + (uint64_t)slot * e->batch_slot;
	uint32_t ring[4] = { MI_BB_START_PPGTT, (uint32_t)bgma,
			     (uint32_t)(bgma >> 32), MI_NOOP };

	memcpy(ram(gd, e->batch_gpa + (uint64_t)slot * e->batch_slot), batch, n * 4);
	memcpy(ram(gd, e->ring_gpa + e->emitted % e->ring_size), ring, sizeof(ring));
	w->t_submit = now_ns();
	e->emitted += RING_WORK_BYTES;
	stat_add(&e->st.submitted, 1);
}

int guestdrv_submit_seqno(struct guestdrv *gd)
{
	struct engine *e = &gd->eng[GUESTDRV_RCS];
	struct work *w = work_reserve(gd, e);
	uint32_t s = gd->next_seqno;
	uint64_t slot_gpa = gd->seq_gpa + 4 * (s % SEQNO_SLOTS);
	uint64_t slot_gma = gd->seq_gma + 4 * (s % SEQNO_SLOTS);

	if (!w)
		return gd->failed ? -EIO : -EAGAIN;
	/* The slot was cleared when seqno s - 1024 retired; anything in it now
	 * is a batch that ran again. */
	if (ram_load32(gd, slot_gpa))
		return fail(gd, "rcs: seqno %u found in slot %u before seqno %u was submitted: a batch ran twice",
			    ram_load32(gd, slot_gpa), s % SEQNO_SLOTS, s);
	/* The second store, the last seqno, is the render breadcrumb: every
	 * rcs workload is a seqno, so seqno and workload number agree. */
	uint32_t batch[] = {
		MI_STORE_DWORD_IMM, (uint32_t)slot_gma, (uint32_t)(slot_gma >> 32), s,
		MI_STORE_DWORD_IMM, (uint32_t)e->bc_gma, (uint32_t)(e->bc_gma >> 32), s,
		MI_USER_INTERRUPT,
		MI_BATCH_BUFFER_END,
	};
	*w = (struct work){ .kind = WORK_SEQNO, .seqno = s };
	work_emit(gd, e, w, batch, sizeof(batch) / 4);
	gd->next_seqno++;
	return 0;
}

static bool rect_ok(const struct guestdrv *gd, uint32_t x, uint32_t y,
		    uint32_t w, uint32_t h)
{
	return w && h && x < gd->surf_w && y < gd->surf_h &&
	       w <= gd->surf_w - x && h <= gd->surf_h - y;
}

static uint32_t blt_pitch(const struct guestdrv *gd, const struct surface *sf)
{
	/* Tiled surfaces give the pitch in dwords. */
	return sf->tiled ? surf_pitch(gd) / 4 : surf_pitch(gd);
}

bool guestdrv_surface_busy(const struct guestdrv *gd, enum guestdrv_surface s)
{
	return gd->params.ahead && (unsigned int)s < GUESTDRV_NUM_SURFACES &&
	       gd->surf[s].writers;
}

/* Queue blit @b: one command per band of rows (@passes of each), an
 * arbitration point between each two, then the flush, the breadcrumb and
 * the interrupt. */
static int submit_blit(struct guestdrv *gd, const struct work *b)
{
	struct engine *e = &gd->eng[GUESTDRV_BCS];
	const struct surface *s = &gd->surf[b->src], *d = &gd->surf[b->dst];
	uint32_t band = gd->params.band ? gd->params.band : b->h;
	uint32_t draws = (b->h + band - 1) / band * gd->params.passes;
	uint32_t batch[(BLT_DWORDS + 1) * GUESTDRV_MAX_BANDS * GUESTDRV_MAX_PASSES +
		       BATCH_TAIL];
	unsigned int n = 0;
	struct work *wk;

	if (guestdrv_surface_busy(gd, b->dst))
		return -EBUSY;
	wk = work_reserve(gd, e);
	if (!wk)
		return gd->failed ? -EIO : -EAGAIN;
	for (uint32_t i = 0; i < draws; i++) {
		uint32_t y = i / gd->params.passes * band;
		uint32_t rows = b->h - y < band ? b->h - y : band;
		uint32_t top = (b->dy + y) << 16 | b->dx;
		uint32_t bottom = (b->dy + y + rows) << 16 | (b->dx + b->w);

		if (i)
			batch[n++] = MI_ARB_CHECK;
		if (b->kind == WORK_FILL) {
			batch[n++] = XY_COLOR_BLT | (d->tiled ? BLT_DST_TILED : 0);
			batch[n++] = BR13_32BPP | ROP_PATCOPY | blt_pitch(gd, d);
			batch[n++] = top;
			batch[n++] = bottom;
			batch[n++] = (uint32_t)d->gma;
			batch[n++] = (uint32_t)(d->gma >> 32);
			batch[n++] = b->color;
			continue;
		}
		batch[n++] = XY_SRC_COPY_BLT | (s->tiled ? BLT_SRC_TILED : 0) |
			     (d->tiled ? BLT_DST_TILED : 0);
		batch[n++] = BR13_32BPP | ROP_SRCCOPY | blt_pitch(gd, d);
		batch[n++] = top;
		batch[n++] = bottom;
		batch[n++] = (uint32_t)d->gma;
		batch[n++] = (uint32_t)(d->gma >> 32);
		batch[n++] = (b->sy + y) << 16 | b->sx;
		batch[n++] = blt_pitch(gd, s);
		batch[n++] = (uint32_t)s->gma;
		batch[n++] = (uint32_t)(s->gma >> 32);
	}
	batch[n++] = MI_FLUSH_DW;
	batch[n++] = 0;
	batch[n++] = 0;
	batch[n++] = 0;
	batch[n++] = MI_STORE_DWORD_IMM;
	batch[n++] = (uint32_t)e->bc_gma;
	batch[n++] = (uint32_t)(e->bc_gma >> 32);
	batch[n++] = work_number(e->emitted);
	batch[n++] = MI_USER_INTERRUPT;
	batch[n++] = MI_BATCH_BUFFER_END;
	*wk = *b;
	work_emit(gd, e, wk, batch, n);
	gd->surf[b->dst].writers++;
	return 0;
}

int guestdrv_submit_fill(struct guestdrv *gd, enum guestdrv_surface dst,
			 uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint32_t color)
{
	if ((unsigned int)dst >= GUESTDRV_NUM_SURFACES || !rect_ok(gd, x, y, w, h))
		return -EINVAL;
	return submit_blit(gd, &(struct work){ .kind = WORK_FILL, .dst = dst,
					       .dx = x, .dy = y, .w = w, .h = h,
					       .color = color });
}

int guestdrv_submit_copy(struct guestdrv *gd, enum guestdrv_surface src,
			 uint32_t sx, uint32_t sy, enum guestdrv_surface dst,
			 uint32_t dx, uint32_t dy, uint32_t w, uint32_t h)
{
	if ((unsigned int)src >= GUESTDRV_NUM_SURFACES ||
	    (unsigned int)dst >= GUESTDRV_NUM_SURFACES || src == dst ||
	    !rect_ok(gd, sx, sy, w, h) || !rect_ok(gd, dx, dy, w, h))
		return -EINVAL;
	/* A source with a blit pending is fine: the engine runs them in
	 * order, and the reference images are updated in the same order. */
	return submit_blit(gd, &(struct work){ .kind = WORK_COPY, .src = src,
					       .dst = dst, .sx = sx, .sy = sy,
					       .dx = dx, .dy = dy, .w = w, .h = h });
}

/* The CPU's version of a blit, on the reference images. */
static void ref_apply(struct guestdrv *gd, const struct work *w)
{
	const struct surface *d = &gd->surf[w->dst];

	for (uint32_t y = 0; y < w->h; y++) {
		uint32_t *row = surf_ref(gd, d, w->dx, w->dy + y);

		if (w->kind == WORK_FILL) {
			for (uint32_t x = 0; x < w->w; x++)
				row[x] = w->color;
		} else {
			memcpy(row, surf_ref(gd, &gd->surf[w->src], w->sx, w->sy + y),
			       w->w * 4);
		}
	}
}

/* Compare a surface with its reference; describe the first difference.
 * Nothing the engine runs now writes it (see guestdrv_params.ahead). */
static bool surf_check(struct guestdrv *gd, unsigned int s, char *why,
		       size_t len)
{
	struct surface *sf = &gd->surf[s];

	/* What the engine wrote before its breadcrumb or CSB event. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	for (uint32_t y = 0; y < gd->surf_h; y++) {
		for (uint32_t x = 0, n; x < gd->surf_w; x += n) {
			const uint32_t *got = ram(gd, sf->gpa + surf_off(gd, sf, x, y));
			const uint32_t *want = surf_ref(gd, sf, x, y);
			uint32_t i = 0;

			n = surf_run(gd, sf, x);
			if (!memcmp(got, want, (size_t)n * 4))
				continue;
			while (got[i] == want[i])
				i++;
			snprintf(why, len, "surface %u (%s) pixel (%u,%u) is 0x%08x, expected 0x%08x",
				 s, sf->tiled ? "X-tiled" : "linear", x + i, y,
				 got[i], want[i]);
			return false;
		}
	}
	return true;
}

/* After a failed check: take what the surfaces hold as the reference, so
 * later blits are checked on their own. */
static void surfaces_resync(struct guestdrv *gd)
{
	for (unsigned int s = 0; s < GUESTDRV_NUM_SURFACES; s++) {
		struct surface *sf = &gd->surf[s];

		for (uint32_t y = 0; y < gd->surf_h; y++)
			for (uint32_t x = 0; x < gd->surf_w; x++)
				*surf_ref(gd, sf, x, y) =
					ram_load32(gd, sf->gpa + surf_off(gd, sf, x, y));
	}
}

static void lat_account(struct engine *e, uint64_t t, const struct work *w)
{
	uint64_t ns = t - w->t_submit, us = ns / 1000, max;
	unsigned int b = us ? 63 - (unsigned int)__builtin_clzll(us) : 0;

	if (b >= GUESTDRV_LAT_BUCKETS)
		b = GUESTDRV_LAT_BUCKETS - 1;
	stat_add(&e->st.lat_sum_ns, ns);
	stat_add(&e->st.lat_hist[b], 1);
	max = __atomic_load_n(&e->st.lat_max_ns, __ATOMIC_RELAXED);
	if (ns > max)
		__atomic_store_n(&e->st.lat_max_ns, ns, __ATOMIC_RELAXED);
}

/*
 * The workloads before ring position @upto ran: check them and count them.
 * @idle: the context is off the engine with everything submitted, so its
 * image and breadcrumb are final; otherwise later workloads may be running.
 */
static int retire(struct guestdrv *gd, struct engine *e, uint64_t upto,
		  bool idle)
{
	uint64_t t = now_ns(), first = e->retired;
	uint32_t *regs = ram(gd, e->ctx_gpa + PAGE);
	uint32_t head = __atomic_load_n(&regs[CTX_RING_HEAD + 1], __ATOMIC_ACQUIRE);
	uint32_t bc = ram_load32(gd, e->bc_gpa), want;
	unsigned int n = 0, bad = 0, touched = 0;
	char why[200] = "";

	if (upto <= first)
		return 0;
	/* The context image comes back with the ring's head where it
	 * stopped: at the tail it was given. */
	if (idle && (head & RING_HEAD_ADDR) != upto % e->ring_size)
		quirk(gd, "ctx-head",
		      "%s: context image RING_HEAD 0x%x after completion, expected the submitted tail 0x%llx",
		      e->name, head, (unsigned long long)(upto % e->ring_size));
	/* In order: each workload's last store is its breadcrumb, so the
	 * newest one retired landed, and none after it unless the context
	 * still runs. */
	want = work_number(upto - RING_WORK_BYTES);
	if (idle ? bc != want : (int32_t)(bc - want) < 0) {
		bad++;
		snprintf(why, sizeof(why), e == &gd->eng[GUESTDRV_RCS] ?
			 "last seqno written is %u, expected %u" :
			 "breadcrumb is %u, expected %u", bc, want);
	}
	for (; e->retired < upto; e->retired += RING_WORK_BYTES, n++) {
		struct work *w = &e->work[(e->retired / RING_WORK_BYTES) % e->nslots];

		if (w->kind == WORK_SEQNO) {
			uint64_t slot = gd->seq_gpa + 4 * (w->seqno % SEQNO_SLOTS);
			uint32_t got = ram_load32(gd, slot);

			if (got != w->seqno) {
				if (!bad++)
					snprintf(why, sizeof(why), "seqno %u: slot holds %u",
						 w->seqno, got);
				stat_add(&e->st.failed, 1);
			} else {
				stat_add(&e->st.completed, 1);
				lat_account(e, t, w);
			}
			ram_store32(gd, slot, 0);
		} else {
			ref_apply(gd, w);
			touched |= 1u << w->dst;
			gd->surf[w->dst].writers--;
		}
	}
	if (touched) {
		bool ok = true;

		for (unsigned int s = 0; s < GUESTDRV_NUM_SURFACES && ok; s++)
			if (touched & (1u << s))
				ok = surf_check(gd, s, why, sizeof(why));
		/* The blits retired together stand or fall together. */
		for (uint64_t p = first; p < e->retired; p += RING_WORK_BYTES) {
			struct work *w = &e->work[(p / RING_WORK_BYTES) % e->nslots];

			if (w->kind == WORK_SEQNO)
				continue;
			if (ok) {
				stat_add(&e->st.completed, 1);
				lat_account(e, t, w);
			} else {
				stat_add(&e->st.failed, 1);
			}
		}
		if (!ok) {
			bad++;
			surfaces_resync(gd);
		}
	}
	if (bad && !gd->err[0])
		snprintf(gd->err, sizeof(gd->err), "%s: %s", e->name, why);
	return (int)n;
}

/* With @ahead: retire what the breadcrumb says is done. */
static int retire_landed(struct guestdrv *gd, struct engine *e)
{
	uint32_t done = ram_load32(gd, e->bc_gpa) -
			(uint32_t)(e->retired / RING_WORK_BYTES);
	uint64_t in_flight = (e->submitted - e->retired) / RING_WORK_BYTES;

	if ((int32_t)done <= 0)
		return 0;
	if (done > in_flight) {
		fail(gd, "%s: breadcrumb %u is %u workloads past the %llu submitted",
		     e->name, ram_load32(gd, e->bc_gpa), done,
		     (unsigned long long)in_flight);
		return 0;
	}
	return retire(gd, e, e->retired + (uint64_t)done * RING_WORK_BYTES, false);
}

/* gen8_irq_handler(): master off, ack the GT bank, master on. */
static void handle_irq(struct guestdrv *gd)
{
	uint32_t master = rd(gd, MASTER_IRQ) & ~MASTER_IRQ_CONTROL, iir = 0;

	wr(gd, MASTER_IRQ, 0);
	if (master & (MASTER_GT0_RCS | MASTER_GT0_BCS)) {
		iir = rd(gd, GT_IIR0);
		if (iir)
			wr(gd, GT_IIR0, iir);
		else
			quirk(gd, "master-no-iir",
			      "GEN8_MASTER_IRQ 0x%x flags GT0 with GT_IIR(0) clear",
			      master);
	}
	wr(gd, MASTER_IRQ, MASTER_IRQ_CONTROL);
	for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++)
		if (iir & (GT_CONTEXT_SWITCH << gd->eng[i].irq_shift))
			gd->eng[i].ctx_irqs++;
}

/* execlists' process_csb() for one engine. Return: workloads retired. */
static int process_csb(struct guestdrv *gd, struct engine *e)
{
	uint32_t wp = ram_load32(gd, e->hwsp_gpa + 4 * HWSP_CSB_WRITE);
	uint32_t mptr = rd(gd, e->base + RING_CSB_PTR);
	int retired = 0;

	if (wp >= CSB_ENTRIES) {
		quirk(gd, "hwsp-wp-range", "%s: status page CSB write pointer is %u",
		      e->name, wp);
		return 0;
	}
	if (wp == e->csb_head)
		return 0;
	/* An entry may land between the two reads (the GPU thread completes
	 * work meanwhile): only a difference that stays is one. */
	if ((mptr & 7) != wp &&
	    ((mptr = rd(gd, e->base + RING_CSB_PTR)) & 7) !=
		    ram_load32(gd, e->hwsp_gpa + 4 * HWSP_CSB_WRITE))
		quirk(gd, "csb-ptr-mismatch",
		      "%s: CSB write pointer %u in the status page, %u in RING_CONTEXT_STATUS_PTR (0x%x)",
		      e->name, wp, mptr & 7, mptr);
	/* New entries before their interrupt are legal: the GPU writes the
	 * CSB, then raises the interrupt, and an interrupt for another engine
	 * may have brought us here in between. */
	while (e->csb_head != wp) {
		uint32_t lo, hi, mlo, mhi;

		e->csb_head = (e->csb_head + 1) % CSB_ENTRIES;
		lo = ram_load32(gd, e->hwsp_gpa + 4 * (HWSP_CSB + 2 * e->csb_head));
		hi = ram_load32(gd, e->hwsp_gpa + 4 * (HWSP_CSB + 2 * e->csb_head + 1));
		mlo = rd(gd, e->base + RING_CSB_BUF + 8 * e->csb_head);
		mhi = rd(gd, e->base + RING_CSB_BUF + 8 * e->csb_head + 4);
		stat_add(&e->st.csb_events, 1);
		if (lo != mlo || hi != mhi)
			quirk(gd, "csb-entry-mismatch",
			      "%s: CSB entry %u is 0x%x:0x%x in the status page but 0x%x:0x%x in MMIO",
			      e->name, e->csb_head, hi, lo, mhi, mlo);
		if ((lo & (CSB_COMPLETE | CSB_PREEMPTED | CSB_ELEMENT_SWITCH)) &&
		    hi != e->ctx_id)
			quirk(gd, "csb-ctx-id",
			      "%s: CSB event 0x%x names context 0x%x, we run 0x%x",
			      e->name, lo, hi, e->ctx_id);
		if (lo & CSB_IDLE_ACTIVE) {
			if (e->unacked)
				e->unacked--;
			else
				quirk(gd, "csb-idle-active",
				      "%s: idle-to-active (0x%x) with no submission outstanding",
				      e->name, lo);
			e->running = true;
		}
		if (lo & (CSB_PREEMPTED | CSB_LITE_RESTORE)) {
			/* Our own resubmission of the running context took
			 * over its port: nothing completed. */
			if (gd->params.ahead && (lo & CSB_PREEMPTED) &&
			    (lo & CSB_LITE_RESTORE) && e->running && e->unacked)
				e->unacked--;
			else
				quirk(gd, "csb-preempted",
				      "%s: CSB event 0x%x (preempted/lite restore) %s",
				      e->name, lo, gd->params.ahead ?
				      "with no resubmission of the running context outstanding" :
				      "with one element and no lite restore");
		}
		if (lo & CSB_COMPLETE) {
			if (!e->running) {
				quirk(gd, "csb-spurious-complete",
				      "%s: CSB context-complete (0x%x) with no element in the port",
				      e->name, lo);
				continue;
			}
			if (!(lo & CSB_ACTIVE_IDLE))
				quirk(gd, "csb-no-idle",
				      "%s: the only element completed without active-to-idle (0x%x)",
				      e->name, lo);
			e->running = false;
			/* With a submission still unacknowledged the context
			 * went idle before it came: its breadcrumbs tell. */
			if (!e->unacked)
				retired += retire(gd, e, e->submitted, true);
		} else if ((lo & CSB_ACTIVE_IDLE) && e->running) {
			quirk(gd, "csb-idle-no-complete",
			      "%s: active-to-idle without context-complete (0x%x)",
			      e->name, lo);
		}
	}
	/* Tell the engine how far we read. */
	wr(gd, e->base + RING_CSB_PTR,
	   CSB_READ_PTR_MASK << 16 | e->csb_head << 8);
	return retired;
}

/*
 * Hand the queued ring contents to the engine, as i915 does: tail into the
 * context image, then the ELSP. Without @ahead only when the port is free;
 * with it also while the context runs (a lite restore), one ELSP write per
 * @batch workloads, each acknowledged in the CSB before the next so the
 * six-entry buffer cannot overflow. Return: workloads retired meanwhile.
 */
static int kick(struct guestdrv *gd, struct engine *e)
{
	uint64_t max = (uint64_t)gd->params.batch * RING_WORK_BYTES;
	uint32_t *regs = ram(gd, e->ctx_gpa + PAGE);
	uint32_t desc = e->ctx_gm | DESC_VALID | DESC_LEGACY_64B |
			DESC_L3LLC_COHERENT | DESC_PRIVILEGE;
	int retired = 0;

	if (!gd->params.ahead && (e->running || e->unacked))
		return 0;
	while (e->emitted != e->submitted && !e->unacked && !gd->failed) {
		uint64_t tail = e->emitted - e->submitted > max ?
				e->submitted + max : e->emitted;

		regs[CTX_RING_TAIL + 1] = (uint32_t)(tail % e->ring_size);
		if (e->ran)	/* the image holds saved state now: restore it */
			regs[CTX_CONTEXT_CONTROL + 1] =
				MASKED_ENABLE(CTX_CTRL_INHIBIT_SYN_SWITCH) |
				MASKED_DISABLE(CTX_CTRL_RESTORE_INHIBIT);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		e->submitted = tail;
		e->unacked++;
		e->ran = true;
		wr(gd, e->base + RING_ELSP, 0);		/* element 1: none */
		wr(gd, e->base + RING_ELSP, 0);
		wr(gd, e->base + RING_ELSP, e->ctx_id);	/* element 0 */
		wr(gd, e->base + RING_ELSP, desc);
		stat_add(&e->st.elsp_writes, 1);
		if (!gd->params.ahead)
			break;
		/* The write's own event is in the CSB already. */
		retired += process_csb(gd, e);
	}
	return retired;
}

static int service(struct guestdrv *gd, bool irq)
{
	int n = 0;

	if (gd->failed)
		return -EIO;
	if (irq)
		handle_irq(gd);
	for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++) {
		struct engine *e = &gd->eng[i];

		n += process_csb(gd, e);
		if (gd->params.ahead)
			n += retire_landed(gd, e);
		n += kick(gd, e);
	}
	return gd->failed ? -EIO : n;
}

int guestdrv_poll(struct guestdrv *gd)
{
	uint64_t cnt;
	bool irq = read(gd->evfd, &cnt, sizeof(cnt)) == sizeof(cnt);

	if (irq) {
		gd->msis += cnt;
		for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++)
			stat_add(&gd->eng[i].st.msis, cnt);
	}
	return service(gd, irq);
}

static bool busy(const struct guestdrv *gd)
{
	for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++)
		if (gd->eng[i].retired != gd->eng[i].emitted)
			return true;
	return false;
}

int guestdrv_wait(struct guestdrv *gd, unsigned int timeout_ms)
{
	struct pollfd p = { .fd = gd->evfd, .events = POLLIN };
	int n = guestdrv_poll(gd);

	if (n)
		return n;
	if (busy(gd) && poll(&p, 1, (int)timeout_ms) > 0)
		return guestdrv_poll(gd);
	return 0;
}

int guestdrv_idle(struct guestdrv *gd, unsigned int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000;

	while (busy(gd)) {
		uint64_t t = now_ns();
		int n;

		if (t >= deadline) {
			struct engine *late = NULL;

			for (unsigned int i = 0; i < GUESTDRV_NUM_ENGINES; i++) {
				struct engine *e = &gd->eng[i];

				if (e->retired == e->emitted)
					continue;
				late = late ? late : e;
				stat_add(&e->st.failed,
					 (e->emitted - e->retired) / RING_WORK_BYTES);
			}
			/* One last look without the MSI: was it only lost? */
			if (service(gd, true) > 0)
				quirk(gd, "completion-without-msi",
				      "work completed in the CSB but no MSI arrived in %u ms",
				      timeout_ms);
			fail(gd, "%s: %llu workloads not completed after %u ms (%llu in the port, CSB write pointer %u, %llu MSIs so far)",
			     late->name,
			     (unsigned long long)((late->emitted - late->retired) /
						  RING_WORK_BYTES),
			     timeout_ms,
			     (unsigned long long)((late->submitted - late->retired) /
						  RING_WORK_BYTES),
			     ram_load32(gd, late->hwsp_gpa + 4 * HWSP_CSB_WRITE),
			     (unsigned long long)gd->msis);
			return -ETIMEDOUT;
		}
		n = guestdrv_wait(gd, (unsigned int)((deadline - t) / 1000000) + 1);
		if (n < 0)
			return n;
	}
	return check_failsafe(gd);
}

unsigned int guestdrv_pending(const struct guestdrv *gd,
			      enum guestdrv_engine engine)
{
	const struct engine *e = &gd->eng[engine];

	return (unsigned int)((e->emitted - e->retired) / RING_WORK_BYTES);
}

void guestdrv_get_stats(const struct guestdrv *gd, enum guestdrv_engine engine,
			struct guestdrv_stats *out)
{
	const uint64_t *src = (const uint64_t *)&gd->eng[engine].st;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const char *guestdrv_error(const struct guestdrv *gd)
{
	return gd->err;
}

const char *guestdrv_quirks(struct guestdrv *gd)
{
	size_t len = 0;

	gd->quirk_text[0] = '\0';
	for (unsigned int i = 0; i < gd->nquirks; i++) {
		int n = snprintf(gd->quirk_text + len, sizeof(gd->quirk_text) - len,
				 "%s: %s (%llu times)\n", gd->quirks[i].id,
				 gd->quirks[i].msg,
				 (unsigned long long)gd->quirks[i].count);

		if (n < 0 || (size_t)n >= sizeof(gd->quirk_text) - len)
			break;
		len += (size_t)n;
	}
	return gd->quirk_text;
}
