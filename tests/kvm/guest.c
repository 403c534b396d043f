// SPDX-License-Identifier: MIT
/*
 * The guest: a GPU driver with no OS under it, run by tests/kvm/vmm.c on
 * /dev/kvm in 64-bit mode with the VMM's identity map of the first 4 GiB.
 * It finds BAR0 where the VMM's firmware put it (the mailbox says), and
 * does what i915 does on a vGPU, reduced to one render context: reads
 * PVINFO, maps its pages through the GGTT entries in BAR0's upper half,
 * builds a ring and a logical ring context in its RAM, submits through the
 * ELSP, polls its status page for the context status buffer, and checks
 * what the GPU's MI_STORE_DATA_IMM left in a page it mapped. Then the
 * loops gvt-bench times. Every check that fails stops the guest with a
 * reason in the mailbox; the VMM prints it.
 *
 * Freestanding: no libc, no interrupts (the VMM gives it no IDT), and
 * general registers only (the VMM does not enable SSE).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_abi.h"
#include "guest_gen9.h"

#define PAGE			4096u

/* PVINFO beyond what guest_gen9.h names. */
#define PV_VERSION_MAJOR	0x78008u
#define PV_CAPS			0x78010u
#define CAPS_FULL_PPGTT		(1u << 2)
#define CAPS_HWSP_EMULATION	(1u << 3)
#define GFX_FLSH_CNTL		0x101008u

#define RCS			0x2000u		/* render engine's base */
#define CTX_PAGES		22		/* gen9 render context image */
#define RING_PAGES		4
#define RING_BYTES		(RING_PAGES * PAGE)
#define CTX_ID			0x4b56u		/* descriptor's upper dword */
#define STORE_SLOTS		(PAGE / 4)
/* Polls of the status page before a submission counts as lost: far more
 * than the sim needs even on a loaded host (the VMM's watchdog is the
 * real limit). */
#define POLL_MAX		(1ull << 34)

/* The VMM reads these after GUEST_PORT_DONE: make them real stores. */
static volatile struct guest_mbox *const mbox =
	(volatile struct guest_mbox *)GUEST_MBOX_GPA;
static volatile uint8_t *bar0;

/* The GPU's pages in guest RAM, and where the GGTT puts them. */
static struct {
	volatile uint32_t *hwsp, *ring, *store;
	uint32_t *regs;			/* context image, register-state page */
	uint32_t hwsp_gm, ctx_gm, ring_gm, store_gm;
	uint64_t pml4;			/* guest-physical */
	uint32_t ggtt_used;		/* pages mapped from ap_base */
	uint64_t next_gpa;		/* next free GPU page */
	uint32_t tail;			/* ring bytes written, mod RING_BYTES */
	unsigned int csb_head;		/* last CSB entry read */
} g;

void guest_main(void);

/* Compilers may call these for struct copies and loops. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *s, int c, size_t n)
{
	uint8_t *p = s;

	while (n--)
		*p++ = (uint8_t)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static uint32_t rd(uint32_t off)
{
	return *(volatile uint32_t *)(bar0 + off);
}

static void wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(bar0 + off) = v;
}

static uint64_t rd64(uint64_t off)
{
	return *(volatile uint64_t *)(bar0 + off);
}

static void wr64(uint64_t off, uint64_t v)
{
	*(volatile uint64_t *)(bar0 + off) = v;
}

static void mark(enum guest_mark m)
{
	outl(GUEST_PORT_MARK, m);
}

__attribute__((noreturn))
static void stop(enum guest_result r)
{
	outl(GUEST_PORT_DONE, r);
	for (;;)
		__asm__ volatile("hlt");
}

__attribute__((noreturn))
static void fail(const char *why, uint64_t got, uint64_t want)
{
	unsigned int i;

	mbox->got = got;
	mbox->want = want;
	for (i = 0; why[i] && i < sizeof(mbox->why) - 1; i++)
		mbox->why[i] = why[i];
	mbox->why[i] = '\0';
	stop(GUEST_FAILED);
}

static void check(bool ok, const char *why, uint64_t got, uint64_t want)
{
	if (!ok)
		fail(why, got, want);
}

static uint64_t page_alloc(unsigned int pages)
{
	uint64_t gpa = g.next_gpa;

	memset((void *)gpa, 0, (size_t)pages * PAGE);
	g.next_gpa += (uint64_t)pages * PAGE;
	return gpa;
}

/* Map @pages guest pages at @gpa after the last ones in our aperture
 * range: one 64-bit GGTT entry each, read back. */
static uint32_t ggtt_map(uint64_t gpa, unsigned int pages)
{
	uint32_t gm = mbox->ap_base + g.ggtt_used * PAGE;

	check((uint64_t)(g.ggtt_used + pages) * PAGE <= mbox->ap_size,
	      "aperture range too small for the driver's pages",
	      (uint64_t)(g.ggtt_used + pages) * PAGE, mbox->ap_size);
	for (unsigned int i = 0; i < pages; i++) {
		uint64_t at = GGTT_BAR + 8ull * ((gm / PAGE) + i);
		uint64_t pte = (gpa + (uint64_t)i * PAGE) | 1;

		wr64(at, pte);
		check(rd64(at) == pte, "GGTT entry reads back another value",
		      rd64(at), pte);
	}
	g.ggtt_used += pages;
	return gm;
}

/* i915_detect_vgpu(): the magic, the version, the capabilities a guest
 * with full PPGTT and execlists needs, and its ballooned range. */
static void pvinfo(void)
{
	uint64_t magic = rd64(PV_MAGIC);

	mbox->step = GUEST_STEP_PVINFO;
	check(magic == VGT_MAGIC, "no PVINFO magic: not a vGPU", magic,
	      VGT_MAGIC);
	check((rd(PV_VERSION_MAJOR) & 0xffff) >= 1, "PVINFO version too old",
	      rd(PV_VERSION_MAJOR) & 0xffff, 1);
	check((rd(PV_CAPS) & (CAPS_FULL_PPGTT | CAPS_HWSP_EMULATION)) ==
		      (CAPS_FULL_PPGTT | CAPS_HWSP_EMULATION),
	      "vGPU caps lack full PPGTT or HWSP emulation", rd(PV_CAPS),
	      CAPS_FULL_PPGTT | CAPS_HWSP_EMULATION);
	mbox->ap_base = rd(PV_AP_BASE);
	mbox->ap_size = rd(PV_AP_SIZE);
	check(mbox->ap_size && !(mbox->ap_base % PAGE),
	      "PVINFO gives no usable aperture range", mbox->ap_base,
	      mbox->ap_size);

	mbox->step = GUEST_STEP_SCRATCH;
	wr(GUEST_BENCH_REG, 0x5a5a1234u);
	check(rd(GUEST_BENCH_REG) == 0x5a5a1234u,
	      "scratch register does not keep what was written",
	      rd(GUEST_BENCH_REG), 0x5a5a1234u);
}

/* The pages the GPU uses, mapped; a PPGTT with nothing in it (every
 * address this driver gives the GPU is a GGTT one); interrupts off. */
static void memory_setup(void)
{
	uint64_t hwsp, ctx, ring, store;

	mbox->step = GUEST_STEP_GGTT;
	g.next_gpa = GUEST_GPU_GPA;
	hwsp = page_alloc(1);
	ctx = page_alloc(CTX_PAGES);
	ring = page_alloc(RING_PAGES);
	store = page_alloc(1);
	g.pml4 = page_alloc(1);
	mbox->pml4 = g.pml4;
	g.hwsp = (volatile uint32_t *)hwsp;
	g.regs = (uint32_t *)(ctx + PAGE);
	g.ring = (volatile uint32_t *)ring;
	g.store = (volatile uint32_t *)store;
	g.hwsp_gm = ggtt_map(hwsp, 1);
	g.ctx_gm = ggtt_map(ctx, CTX_PAGES);
	g.ring_gm = ggtt_map(ring, RING_PAGES);
	g.store_gm = ggtt_map(store, 1);
	wr(GFX_FLSH_CNTL, 1);

	wr(PV_PDP0_LO, (uint32_t)g.pml4);
	wr(PV_PDP0_HI, (uint32_t)(g.pml4 >> 32));
	wr(PV_G2V_NOTIFY, G2V_PPGTT_L4_CREATE);

	wr(MASTER_IRQ, 0);
	wr(GT_IER0, 0);
	wr(GT_IMR0, ~0u);
	wr(GT_IIR0, ~0u);
}

/* enable_execlists() and the first context image. */
static void engine_setup(void)
{
	const uint64_t pdp[4] = { g.pml4 };

	mbox->step = GUEST_STEP_ENGINE;
	/* Reading starts after the last entry, in the page's copy too. */
	g.csb_head = CSB_N - 1;
	g.hwsp[HWSP_CSB_WP] = CSB_N - 1;
	wr(RCS + R_MODE, RUN_LIST_ENABLE << 16 | RUN_LIST_ENABLE);
	wr(RCS + R_HWS_PGA, g.hwsp_gm);
	check(rd(RCS + R_HWS_PGA) == g.hwsp_gm,
	      "RING_HWS_PGA does not keep the status page", rd(RCS + R_HWS_PGA),
	      g.hwsp_gm);
	check(rd(RCS + R_MODE) & RUN_LIST_ENABLE, "execlists did not enable",
	      rd(RCS + R_MODE), RUN_LIST_ENABLE);
	guest_ctx_fill(g.regs, RCS, g.ring_gm, RING_PAGES, pdp);
}

/* One workload: MI_STORE_DATA_IMM of @v into the store page's @slot,
 * through the GGTT; the image's tail after it. */
static void emit_store(uint32_t slot, uint32_t v)
{
	uint32_t at = g.tail / 4;

	g.ring[at] = MI_SDI | MI_USE_GGTT;
	g.ring[at + 1] = g.store_gm + 4 * slot;
	g.ring[at + 2] = 0;
	g.ring[at + 3] = v;
	g.tail = (g.tail + 16) % RING_BYTES;
	g.regs[CTX_TAIL + 1] = g.tail;
}

/* ELSP: element 1 (none), then element 0, whose low dword submits. */
static void elsp_submit(void)
{
	barrier();	/* the ring and the image before the ELSP */
	wr(RCS + R_ELSP, 0);
	wr(RCS + R_ELSP, 0);
	wr(RCS + R_ELSP, CTX_ID);
	wr(RCS + R_ELSP, g.ctx_gm | D_VALID | D_4LEVEL | D_PRIV);
	mbox->submitted++;
}

/*
 * Poll the status page until the context completes; with @driver check
 * each event against the PRM's sequence and its copy in the registers.
 * A single element submitted to an idle engine gives idle-to-active, then
 * active-to-idle with context-complete for our context.
 */
static void wait_complete(bool driver)
{
	unsigned int seen = 0;

	for (uint64_t polls = 0;; polls++) {
		uint32_t wp = g.hwsp[HWSP_CSB_WP];

		check(wp < CSB_N, "status page CSB write pointer out of range",
		      wp, CSB_N - 1);
		while (g.csb_head != wp) {
			uint32_t lo, hi;

			g.csb_head = (g.csb_head + 1) % CSB_N;
			lo = g.hwsp[HWSP_CSB + 2 * g.csb_head];
			hi = g.hwsp[HWSP_CSB + 2 * g.csb_head + 1];
			mbox->csb_events++;
			if (driver) {
				check(lo == rd(RCS + R_CSB + 8 * g.csb_head),
				      "CSB entry differs between status page and register",
				      lo, rd(RCS + R_CSB + 8 * g.csb_head));
				if (!seen)
					check(lo == CSB_I2A,
					      "first CSB event is not idle-to-active",
					      lo, CSB_I2A);
				else
					check(lo == (CSB_A2I | CSB_COMPLETE) &&
						      hi == CTX_ID,
					      "second CSB event is not our context's completion",
					      (uint64_t)hi << 32 | lo,
					      (uint64_t)CTX_ID << 32 |
						      (CSB_A2I | CSB_COMPLETE));
			}
			seen++;
			if (lo & CSB_COMPLETE) {
				if (driver)
					/* Tell the engine how far we read. */
					wr(RCS + R_CSB_PTR, 7u << 24 |
					   g.csb_head << 8);
				return;
			}
		}
		check(polls < POLL_MAX,
		      "no context-complete in the status page", seen, 2);
		cpu_relax();
	}
}

/* MI_STORE_DATA_IMM of @v to PPGTT address @va. */
static void emit_store_ppgtt(uint64_t va, uint32_t v)
{
	uint32_t at = g.tail / 4;

	g.ring[at] = MI_SDI;
	g.ring[at + 1] = (uint32_t)va;
	g.ring[at + 2] = (uint32_t)(va >> 32);
	g.ring[at + 3] = v;
	g.tail = (g.tail + 16) % RING_BYTES;
	g.regs[CTX_TAIL + 1] = g.tail;
}

/* Submit @v into @slot, wait, and check the GPU stored it. */
static void run_store(uint32_t slot, uint32_t v, bool driver)
{
	emit_store(slot, v);
	elsp_submit();
	wait_complete(driver);
	check(g.store[slot] == v, "MI_STORE_DATA_IMM value missing in guest RAM",
	      g.store[slot], v);
	mbox->completed++;
}

static void driver_runs(void)
{
	mbox->step = GUEST_STEP_DRIVER;
	for (uint32_t i = 1; i <= mbox->driver_runs; i++)
		run_store(i % STORE_SLOTS, 0xd0000000u | i, true);
	check(rd(GUEST_BENCH_REG) == 0x5a5a1234u,
	      "scratch register changed behind the driver's back",
	      rd(GUEST_BENCH_REG), 0x5a5a1234u);
	/* The image comes back with the ring's head where it stopped. */
	check((g.regs[CTX_HEAD + 1] & HEAD_ADDR) == g.tail,
	      "context image RING_HEAD is not the submitted tail",
	      g.regs[CTX_HEAD + 1], g.tail);
}

static void loops(void)
{
	uint32_t todo = mbox->todo, sink = 0;

	mbox->step = GUEST_STEP_LOOPS;
	for (uint32_t r = 0; r < mbox->rounds; r++) {
		if (todo & GUEST_DO_READS) {
			uint32_t n = mbox->reads;

			mark(GUEST_MARK_READS_BEGIN);
			for (uint32_t i = 0; i < n; i++)
				sink += rd(GUEST_BENCH_REG);
			mark(GUEST_MARK_READS_END);
		}
		if (todo & GUEST_DO_WRITES) {
			uint32_t n = mbox->writes;

			mark(GUEST_MARK_WRITES_BEGIN);
			for (uint32_t i = 0; i < n; i++)
				wr(GUEST_BENCH_REG, i);
			mark(GUEST_MARK_WRITES_END);
		}
	}
	mbox->got = sink;	/* keeps the reads */
}

/* Submissions with nothing between them but RAM: the ring, the image's
 * tail, four ELSP writes, the status page. */
static void submits(void)
{
	uint32_t n = mbox->submits;

	mbox->step = GUEST_STEP_SUBMITS;
	mark(GUEST_MARK_SUBMITS_BEGIN);
	for (uint32_t i = 1; i <= n; i++)
		run_store(i % STORE_SLOTS, 0x50000000u | i, false);
	mark(GUEST_MARK_SUBMITS_END);
}

/* Where the PPGTT step maps its page: PML4 entry 0, PDP entry 1, PD
 * entry 2, PT entry 3; and a dword in it. */
#define PPGTT_VA		((1ull << 30) | (2ull << 21) | (3ull << 12))
#define PPGTT_SLOT		5u
#define PPGTT_RW		3u		/* present, writable */

/* A page-table entry store that the vGPU may write-protect. */
static void table_write(uint64_t table, unsigned int index, uint64_t entry)
{
	volatile uint64_t *e = (volatile uint64_t *)table + index;

	*e = entry;
	mbox->table_writes++;
	check(*e == entry, "a page-table entry does not read back what was written",
	      *e, entry);
}

/*
 * What i915 does when it binds and moves an object in a PPGTT: fill the
 * lower tables, link them under the root (which the vGPU shadows since
 * G2V_PPGTT_L4_CREATE), store through the address, then point its PTE at
 * another page and store again. The second store lands in the new page
 * only if the vGPU saw the PTE write: at once through page tracking, or
 * by comparing its shadow at the submission.
 */
static void ppgtt_moves(void)
{
	uint64_t pdp, pd, pt, first, second;

	mbox->step = GUEST_STEP_PPGTT;
	pdp = page_alloc(1);
	pd = page_alloc(1);
	pt = page_alloc(1);
	first = page_alloc(1);
	second = page_alloc(1);
	mark(GUEST_MARK_PPGTT_BEGIN);
	table_write(pt, 3, first | PPGTT_RW);
	table_write(pd, 2, pt | PPGTT_RW);
	table_write(pdp, 1, pd | PPGTT_RW);
	table_write(g.pml4, 0, pdp | PPGTT_RW);

	emit_store_ppgtt(PPGTT_VA + 4 * PPGTT_SLOT, 0xa1000000u | PPGTT_SLOT);
	elsp_submit();
	wait_complete(true);
	check(((volatile uint32_t *)first)[PPGTT_SLOT] == (0xa1000000u | PPGTT_SLOT),
	      "store through the PPGTT missing in the page it maps",
	      ((volatile uint32_t *)first)[PPGTT_SLOT], 0xa1000000u | PPGTT_SLOT);
	mbox->completed++;

	table_write(pt, 3, second | PPGTT_RW);
	emit_store_ppgtt(PPGTT_VA + 4 * PPGTT_SLOT, 0xa2000000u | PPGTT_SLOT);
	elsp_submit();
	wait_complete(true);
	check(((volatile uint32_t *)second)[PPGTT_SLOT] == (0xa2000000u | PPGTT_SLOT),
	      "store after the PTE moved missing in the new page",
	      ((volatile uint32_t *)second)[PPGTT_SLOT], 0xa2000000u | PPGTT_SLOT);
	check(((volatile uint32_t *)first)[PPGTT_SLOT] == (0xa1000000u | PPGTT_SLOT),
	      "store after the PTE moved went to the old page",
	      ((volatile uint32_t *)first)[PPGTT_SLOT], 0xa1000000u | PPGTT_SLOT);
	mbox->completed++;
	mark(GUEST_MARK_PPGTT_END);
}

/* Stores to the last entry of the PPGTT's root (never used for an
 * address): each one exits when the vGPU tracks the root. */
static void table_writes(void)
{
	volatile uint64_t *e = (volatile uint64_t *)g.pml4 + 511;
	uint32_t n = mbox->table_loop;

	mbox->step = GUEST_STEP_TABLE_WRITES;
	mark(GUEST_MARK_TABLE_WRITES_BEGIN);
	for (uint32_t i = 0; i < n; i++)
		*e = 0;
	mark(GUEST_MARK_TABLE_WRITES_END);
	mbox->table_writes += n;
}

void guest_main(void)
{
	uint32_t todo;

	mbox->step = GUEST_STEP_START;
	if (mbox->magic != GUEST_MBOX_MAGIC)
		fail("no mailbox from the VMM", mbox->magic, GUEST_MBOX_MAGIC);
	todo = mbox->todo;
	bar0 = (volatile uint8_t *)(uintptr_t)mbox->bar0;
	if (todo & GUEST_DO_SETUP) {
		pvinfo();
		memory_setup();
		engine_setup();
	}
	if (todo & GUEST_DO_DRIVER)
		driver_runs();
	if (todo & GUEST_DO_PPGTT)
		ppgtt_moves();
	mark(GUEST_MARK_READY);
	loops();
	if (todo & GUEST_DO_SUBMITS)
		submits();
	if (todo & GUEST_DO_TABLE_WRITES)
		table_writes();
	stop(GUEST_OK);
}

/* The entry: the VMM set the stack; nothing to return to. */
__asm__(".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".previous\n");
