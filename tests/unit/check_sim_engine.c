// SPDX-License-Identifier: MIT
/*
 * The sim GPU's engines, driven through gvt_sim_pgpu_ops as the mediator
 * drives them: a context image, a ring and batches in host pages the GGTT
 * (or a small PPGTT) maps, then submit and poll. Each test reads as one
 * rule of docs/sim-gpu.md: what runs, what is written back, what hangs.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "cmd_parser.h"
#include "pgpu.h"
#include "pgpu/sim/sim.h"
#include "platform.h"
#include "ppgtt.h"
#include "reg.h"

#define PAGE 4096u
#define CTX_GFN 16u		/* context image: pages 16, 17 */
#define RING_GFN 32u		/* a one-page ring */
#define BB_GFN 48u		/* batches: 48.. */
#define DATA_GFN 64u		/* data: 64.. */
#define HWS_GFN 80u		/* the status page */
#define SRC_GFN 128u		/* blit surfaces: 8 pages each */
#define DST_GFN 160u
#define GA(gfn) ((uint64_t)(gfn) * PAGE)
#define PPGTT_VA 0x40000000ull	/* where the PPGTT maps its pages */

#define MI(op, len) ((uint32_t)(op) << 23 | (len))
#define NOOP 0u
#define USER_INTERRUPT MI(0x02, 0)
#define ARB_CHECK MI(0x05, 0)
#define BB_END MI(0x0a, 0)
#define SDI(ggtt, len) (MI(0x20, (len) - 2) | ((ggtt) ? 1u << 22 : 0))
#define SDX(len) MI(0x21, (len) - 2)
#define LRI(pairs) MI(0x22, 2 * (pairs) - 1)
#define SRM (MI(0x24, 2) | 1u << 22)
#define FLUSH_DW(len) MI(0x26, (len) - 2)
#define LRM (MI(0x29, 2) | 1u << 22)
#define LRR MI(0x2a, 1)
#define BB_START(ppgtt, second) (MI(0x31, 1) | ((ppgtt) ? 1u << 8 : 0) | \
				 ((second) ? 1u << 22 : 0))
#define COND_BB_END (MI(0x36, 2) | 1u << 22)
#define SEM_WAIT(op) (MI(0x1c, 2) | 1u << 22 | 1u << 15 | (uint32_t)(op) << 12)
#define MATH(n) MI(0x1a, (n) - 1)
#define ALU(op, a, b) ((uint32_t)(op) << 20 | (uint32_t)(a) << 10 | (b))
#define PIPE_CONTROL 0x7a000004u

static const struct gvt_pgpu_ops *ops = &gvt_sim_pgpu_ops;
static void *sim;
static void *pages[512];
static unsigned int num_pages;
static uint64_t pml4_bus;
static uint64_t *pml4, *pdpt, *pd, *pt;

static void *page_new(uint64_t *bus)
{
	void *p = ops->page_alloc(sim, bus);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(num_pages, 512);
	pages[num_pages++] = p;
	return p;
}

/* A host page behind GGTT page @gfn. */
static uint32_t *gpage(uint32_t gfn)
{
	uint64_t bus;
	uint32_t *p = page_new(&bus);

	ops->ggtt_write(sim, gfn, bus | GVT_GTT_PTE_PRESENT);
	return p;
}

/* A host page behind PPGTT address @va (within one 2 MiB table). */
static uint32_t *ppage(uint64_t va)
{
	uint64_t bus;
	uint32_t *p = page_new(&bus);

	pt[(va >> 12) & 511] = bus | GVT_PPGTT_PRESENT | GVT_PPGTT_RW;
	return p;
}

static void setup(void)
{
	uint64_t bus;

	t_setup_ctx();
	ck_assert_int_eq(ops->create(t_ctx, &gvt_platform_skl, &sim), 0);
	num_pages = 0;
	pml4 = page_new(&pml4_bus);
	pdpt = page_new(&bus);
	pml4[PPGTT_VA >> 39 & 511] = bus | GVT_PPGTT_PRESENT;
	pd = page_new(&bus);
	pdpt[PPGTT_VA >> 30 & 511] = bus | GVT_PPGTT_PRESENT;
	pt = page_new(&bus);
	pd[PPGTT_VA >> 21 & 511] = bus | GVT_PPGTT_PRESENT;
}

static void teardown(void)
{
	for (unsigned int i = 0; i < num_pages; i++)
		ops->page_free(sim, pages[i]);
	ops->destroy(sim);
	t_teardown();
}

static uint32_t *ctx_state(void)
{
	uint64_t pte = ops->ggtt_read(sim, CTX_GFN + 1);

	return (uint32_t *)(uintptr_t)(pte & GVT_BUS_ADDR_MASK);
}

/* The image's value for the register at @slot. */
static uint32_t *slot(unsigned int s)
{
	return &ctx_state()[s + 1];
}

/* A context on the one-page ring, running [head, tail), with the PPGTT. */
static void ctx_new(uint32_t head, uint32_t tail)
{
	gpage(CTX_GFN);
	gpage(CTX_GFN + 1);
	*slot(GVT_CTX_RING_BUFFER_START) = (uint32_t)GA(RING_GFN);
	*slot(GVT_CTX_RING_BUFFER_CONTROL) = RING_CTL_VALID;	/* 1 page */
	*slot(GVT_CTX_RING_HEAD) = head;
	*slot(GVT_CTX_RING_TAIL) = tail;
	*slot(GVT_CTX_BB_STATE) = 1u << 5;	/* as i915 leaves a new image */
	*slot(GVT_CTX_PDP0_LDW) = (uint32_t)pml4_bus;
	*slot(GVT_CTX_PDP0_LDW - 2) = (uint32_t)(pml4_bus >> 32);
}

static struct gvt_pgpu_poll poll_once(unsigned int engine, uint64_t budget)
{
	struct gvt_pgpu_poll p;

	ops->engine_poll(sim, engine, budget, &p);
	return p;
}

/* Poll until the context stops (or 50 polls). */
static struct gvt_pgpu_poll poll_end(unsigned int engine)
{
	struct gvt_pgpu_poll p = { 0 }, sum = { 0 };

	for (int i = 0; i < 50; i++) {
		p = poll_once(engine, 10000000);
		sum.events |= p.events;
		sum.commands += p.commands;
		if (p.state != GVT_PGPU_RUNNING)
			break;
	}
	p.events = sum.events;
	p.commands = sum.commands;
	return p;
}

/* Put @n dwords in the ring at 0, pad to a qword, and run them. */
static struct gvt_pgpu_poll run_ring(unsigned int engine, const uint32_t *cmds,
				     uint32_t n)
{
	uint32_t *ring = gpage(RING_GFN);

	memcpy(ring, cmds, n * 4);
	if (n % 2)
		ring[n++] = NOOP;
	ctx_new(0, n * 4);
	ck_assert_int_eq(ops->engine_submit(sim, engine, GA(CTX_GFN)), 0);
	return poll_end(engine);
}

#define RUN(engine, ...) ({ \
	const uint32_t c_[] = { __VA_ARGS__ }; \
	run_ring(engine, c_, sizeof(c_) / 4); })

static uint32_t gpr_lo(unsigned int engine, unsigned int n)
{
	return ops->engine_reg_read(sim, engine,
				    gvt_platform_skl.engines[engine].mmio_base + 0x600 + 8 * n);
}

static uint64_t gpr(unsigned int engine, unsigned int n)
{
	return (uint64_t)ops->engine_reg_read(sim, engine,
		gvt_platform_skl.engines[engine].mmio_base + 0x604 + 8 * n) << 32 |
	       gpr_lo(engine, n);
}

#define RCS_GPR(n) (RENDER_RING_BASE + 0x600 + 8 * (n))

START_TEST(test_sim_engine_noop_ring_done)
{
	uint32_t *ring = gpage(RING_GFN);
	struct gvt_pgpu_poll p;

	memset(ring, 0, PAGE);
	ctx_new(3u << 21 | 0x40, 0x80);	/* wrap count 3 */
	*slot(GVT_CTX_CTX_TIMESTAMP) = 1000;
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), -EBUSY);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(p.commands, 16);
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 3u << 21 | 0x80);
	ck_assert_uint_ge(*slot(GVT_CTX_CTX_TIMESTAMP), 1000);
	ck_assert_int_eq(poll_once(GVT_RCS, 1000).state, GVT_PGPU_IDLE);
	ck_assert_int_eq(ops->engine_submit(sim, 7, GA(CTX_GFN)), -EINVAL);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN) + 4), -EINVAL);
}
END_TEST

START_TEST(test_sim_engine_ring_wraps)
{
	uint32_t *ring = gpage(RING_GFN);
	struct gvt_pgpu_poll p;

	memset(ring, 0, PAGE);
	ring[1022] = SDI(1, 4);	/* a command that wraps: 2 dwords, then 2 */
	ring[1023] = (uint32_t)GA(DATA_GFN);
	ring[0] = 0;
	ring[1] = 0x5a5a;
	gpage(DATA_GFN);
	ctx_new(1u << 21 | 4088, 8);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 2u << 21 | 8);
}
END_TEST

START_TEST(test_sim_engine_stores)
{
	uint32_t *data = gpage(DATA_GFN), *hws = gpage(HWS_GFN);
	struct gvt_pgpu_poll p;

	ops->engine_reg_write(sim, GVT_RCS, RENDER_RING_BASE + RING_HWS_PGA,
			      (uint32_t)GA(HWS_GFN));
	p = RUN(GVT_RCS,
		SDI(1, 4), (uint32_t)GA(DATA_GFN), 0, 0x11111111,
		SDI(1, 5), (uint32_t)GA(DATA_GFN) + 8, 0, 0x22222222, 0x33333333,
		SDX(3), 0x40, 0x44444444,
		SDX(4), 0x48, 0x55555555, 0x66666666,
		PIPE_CONTROL, 1u << 24 | 1u << 14 | 1u << 8,
		(uint32_t)GA(DATA_GFN) + 0x20, 0, 0x77777777, 0x88888888,
		PIPE_CONTROL, 1u << 24 | 3u << 14, (uint32_t)GA(DATA_GFN) + 0x28,
		0, 0, 0,
		USER_INTERRUPT);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(p.events, GVT_PGPU_EV_PIPE_CONTROL_NOTIFY |
				    GVT_PGPU_EV_USER_INTERRUPT);
	ck_assert_uint_eq(data[0], 0x11111111);
	ck_assert_uint_eq(data[2], 0x22222222);
	ck_assert_uint_eq(data[3], 0x33333333);
	ck_assert_uint_eq(hws[0x10], 0x44444444);
	ck_assert_uint_eq(hws[0x12], 0x55555555);
	ck_assert_uint_eq(hws[0x13], 0x66666666);
	ck_assert_uint_eq(data[8], 0x77777777);
	ck_assert_uint_eq(data[9], 0x88888888);
	ck_assert(data[10] || data[11]);	/* a timestamp */
}
END_TEST

START_TEST(test_sim_engine_flush_dw)
{
	uint32_t *data = gpage(DATA_GFN), *hws = gpage(HWS_GFN);
	struct gvt_pgpu_poll p;

	ops->engine_reg_write(sim, GVT_BCS, BLT_RING_BASE + RING_HWS_PGA,
			      (uint32_t)GA(HWS_GFN));
	p = RUN(GVT_BCS,
		FLUSH_DW(4) | 1u << 14 | 1u << 8, (uint32_t)GA(DATA_GFN) | 4, 0,
		0xabcd0001,
		FLUSH_DW(5) | 1u << 14 | 1u << 21, 0x30, 0, 0xabcd0002, 0xabcd0003,
		FLUSH_DW(4) | 3u << 14, ((uint32_t)GA(DATA_GFN) + 0x10) | 4, 0, 0);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(p.events, GVT_PGPU_EV_FLUSH_DW_NOTIFY);
	ck_assert_uint_eq(data[0], 0xabcd0001);
	ck_assert_uint_eq(hws[0xc], 0xabcd0002);
	ck_assert_uint_eq(hws[0xd], 0xabcd0003);
	ck_assert(data[4] || data[5]);
}
END_TEST

/* Ring -> batch 1 -> (call) batch 2 -> back to 1 -> (chain) batch 3 ->
 * ring: each leg stores its number in a slot of its own. */
START_TEST(test_sim_engine_batch_levels)
{
	uint32_t *b1 = gpage(BB_GFN), *b2 = gpage(BB_GFN + 1);
	uint32_t *b3 = gpage(BB_GFN + 2), *data = gpage(DATA_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	const uint32_t c1[] = {
		SDI(1, 4), d, 0, 1,
		BB_START(0, 1), (uint32_t)GA(BB_GFN + 1), 0,
		SDI(1, 4), d + 8, 0, 3,
		BB_START(0, 0), (uint32_t)GA(BB_GFN + 2), 0,
		SDI(1, 4), d + 64, 0, 0xbad,	/* never: the chain left */
	};
	const uint32_t c2[] = { SDI(1, 4), d + 4, 0, 2, BB_END };
	const uint32_t c3[] = { SDI(1, 4), d + 12, 0, 4, BB_END };
	struct gvt_pgpu_poll p;

	memcpy(b1, c1, sizeof(c1));
	memcpy(b2, c2, sizeof(c2));
	memcpy(b3, c3, sizeof(c3));
	p = RUN(GVT_RCS, BB_START(0, 0), (uint32_t)GA(BB_GFN), 0,
		SDI(1, 4), d + 16, 0, 5);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	for (unsigned int i = 0; i < 5; i++)
		ck_assert_uint_eq(data[i], i + 1);
	ck_assert_uint_eq(data[16], 0);
	ck_assert_uint_eq(*slot(GVT_CTX_BB_STATE) & 1, 0);
}
END_TEST

START_TEST(test_sim_engine_ppgtt_batch)
{
	uint32_t *b = ppage(PPGTT_VA), *data = ppage(PPGTT_VA + PAGE);
	const uint32_t c[] = {
		SDI(0, 4) & ~(1u << 22), (uint32_t)(PPGTT_VA + PAGE + 8),
		(uint32_t)(PPGTT_VA >> 32), 0xc0ffee,
		BB_END,
	};
	struct gvt_pgpu_poll p;

	memcpy(b, c, sizeof(c));
	p = RUN(GVT_RCS, BB_START(1, 0), (uint32_t)PPGTT_VA,
		(uint32_t)(PPGTT_VA >> 32));
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[2], 0xc0ffee);
}
END_TEST

START_TEST(test_sim_engine_register_moves)
{
	uint32_t *data = gpage(DATA_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	struct gvt_pgpu_poll p;

	data[0] = 0xfeed0003;
	p = RUN(GVT_RCS,
		LRI(3), RCS_GPR(0), 0x01234567, RCS_GPR(0) + 4, 0x89abcdef,
		0xb020, 0x5555aaaa,		/* a register the sim does not model */
		LRR, RCS_GPR(0), RCS_GPR(2),
		LRM, RCS_GPR(3), d, 0,
		SRM, RCS_GPR(2), d + 8, 0,
		SRM, RCS_GPR(3), d + 12, 0,
		SRM, 0xb020, d + 16, 0,
		LRI(1) | 0xe00, RCS_GPR(4), 0xffffff77);	/* bytes 1-3 disabled */
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(gpr(GVT_RCS, 0), 0x89abcdef01234567ull);
	ck_assert_uint_eq(gpr_lo(GVT_RCS, 2), 0x01234567);
	ck_assert_uint_eq(gpr_lo(GVT_RCS, 3), 0xfeed0003);
	ck_assert_uint_eq(gpr_lo(GVT_RCS, 4), 0x77);
	ck_assert_uint_eq(data[2], 0x01234567);
	ck_assert_uint_eq(data[3], 0xfeed0003);
	ck_assert_uint_eq(data[4], 0x5555aaaa);
	ck_assert_uint_eq(ops->engine_reg_read(sim, GVT_RCS, 0xb020), 0x5555aaaa);
}
END_TEST

/* GPR0 op GPR1 -> GPR2, ZF -> GPR3, CF -> GPR4. */
static void math(uint32_t op, uint64_t a, uint64_t b)
{
	struct gvt_pgpu_poll p = RUN(GVT_RCS,
		LRI(4), RCS_GPR(0), (uint32_t)a, RCS_GPR(0) + 4, (uint32_t)(a >> 32),
		RCS_GPR(1), (uint32_t)b, RCS_GPR(1) + 4, (uint32_t)(b >> 32),
		MATH(6), ALU(0x080, 0x20, 0), ALU(0x080, 0x21, 1), ALU(op, 0, 0),
		ALU(0x180, 2, 0x31), ALU(0x180, 3, 0x32), ALU(0x180, 4, 0x33));

	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
}

START_TEST(test_sim_engine_mi_math)
{
	math(0x100, ~0ull, 2);		/* ADD with carry */
	ck_assert_uint_eq(gpr(GVT_RCS, 2), 1);
	ck_assert_uint_eq(gpr(GVT_RCS, 3), 0);
	ck_assert_uint_eq(gpr(GVT_RCS, 4), ~0ull);
	math(0x101, 5, 7);		/* SUB with borrow */
	ck_assert_uint_eq(gpr(GVT_RCS, 2), (uint64_t)-2);
	ck_assert_uint_eq(gpr(GVT_RCS, 4), ~0ull);
	math(0x101, 7, 7);		/* SUB to zero */
	ck_assert_uint_eq(gpr(GVT_RCS, 2), 0);
	ck_assert_uint_eq(gpr(GVT_RCS, 3), ~0ull);
	ck_assert_uint_eq(gpr(GVT_RCS, 4), 0);
	math(0x102, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull);
	ck_assert_uint_eq(gpr(GVT_RCS, 2), 0x0f000f000f000f00ull);
	math(0x103, 0xf0, 0x0f00000000000000ull);
	ck_assert_uint_eq(gpr(GVT_RCS, 2), 0x0f000000000000f0ull);
	math(0x104, 0x1234, 0x1234);
	ck_assert_uint_eq(gpr(GVT_RCS, 2), 0);
	ck_assert_uint_eq(gpr(GVT_RCS, 3), ~0ull);
	/* LOAD1, LOADINV and STOREINV */
	ck_assert_int_eq(RUN(GVT_RCS, LRI(2), RCS_GPR(5), 0xf, RCS_GPR(5) + 4, 0,
			     MATH(5), ALU(0x481, 0x20, 0), ALU(0x480, 0x21, 5),
			     ALU(0x102, 0, 0), ALU(0x180, 6, 0x31),
			     ALU(0x580, 7, 0x21)).state, GVT_PGPU_DONE);
	ck_assert_uint_eq(gpr(GVT_RCS, 6), ~0xfull);
	ck_assert_uint_eq(gpr(GVT_RCS, 7), 0xf);
	/* An ALU opcode that does not exist hangs */
	ck_assert_int_eq(RUN(GVT_RCS, MATH(2), ALU(0x7ff, 0, 0)).state,
			 GVT_PGPU_HUNG);
}
END_TEST

START_TEST(test_sim_engine_conditional_end)
{
	uint32_t *b = gpage(BB_GFN), *data = gpage(DATA_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	const uint32_t c[] = {
		COND_BB_END, 10, d + 32, 0,	/* ends if mem <= 10 */
		SDI(1, 4), d, 0, 0x600d,
		BB_END,
	};

	memcpy(b, c, sizeof(c));
	data[8] = 11;
	ck_assert_int_eq(RUN(GVT_RCS, BB_START(0, 0), (uint32_t)GA(BB_GFN), 0,
			     SDI(1, 4), d + 4, 0, 1).state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[0], 0x600d);
	ck_assert_uint_eq(data[1], 1);
	data[0] = data[1] = 0;
	data[8] = 10;
	ck_assert_int_eq(RUN(GVT_RCS, BB_START(0, 0), (uint32_t)GA(BB_GFN), 0,
			     SDI(1, 4), d + 4, 0, 1).state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[0], 0);	/* the batch ended */
	ck_assert_uint_eq(data[1], 1);	/* the ring went on */
}
END_TEST

START_TEST(test_sim_engine_semaphore_wait)
{
	uint32_t *data = gpage(DATA_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	struct gvt_pgpu_poll p;
	uint32_t *ring = gpage(RING_GFN);
	const uint32_t c[] = {
		SEM_WAIT(4), 1, d, 0,	/* until *d == 1 */
		SDI(1, 4), d + 4, 0, 0x5e3,
	};

	memcpy(ring, c, sizeof(c));
	ctx_new(0, sizeof(c));
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	for (int i = 0; i < 3; i++) {
		p = poll_once(GVT_RCS, 50000000);
		ck_assert_int_eq(p.state, GVT_PGPU_RUNNING);
		ck_assert_uint_lt(p.busy_ns, 20000000);	/* no spinning */
	}
	ck_assert_uint_eq(data[1], 0);
	data[0] = 1;	/* another agent's write */
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[1], 0x5e3);
}
END_TEST

/* Preempted at a semaphore, then at MI_ARB_CHECK in a second-level batch;
 * each resubmission resumes exactly where it stopped. */
START_TEST(test_sim_engine_preempt_resume)
{
	uint32_t *b1 = gpage(BB_GFN), *b2 = gpage(BB_GFN + 1);
	uint32_t *data = gpage(DATA_GFN), *ring = gpage(RING_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	const uint32_t c1[] = {
		BB_START(0, 1), (uint32_t)GA(BB_GFN + 1), 0,
		SDI(1, 4), d + 16, 0, 4,
		BB_END,
	};
	const uint32_t c2[] = {
		SDI(1, 4), d + 4, 0, 1,
		SEM_WAIT(4), 1, d, 0,
		SDI(1, 4), d + 8, 0, 2,
		ARB_CHECK,
		SDI(1, 4), d + 12, 0, 3,
		BB_END,
	};
	const uint32_t r[] = {
		BB_START(0, 0), (uint32_t)GA(BB_GFN), 0,
		SDI(1, 4), d + 20, 0, 5,
	};
	struct gvt_pgpu_poll p;

	memcpy(b1, c1, sizeof(c1));
	memcpy(b2, c2, sizeof(c2));
	memcpy(ring, r, sizeof(r));
	ctx_new(0, sizeof(r) + 4);

	/* A preempt before anything ran stops at the first ring command. */
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ops->engine_preempt(sim, GVT_RCS);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_PREEMPTED);
	ck_assert_uint_eq(p.commands, 0);
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 0);

	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ck_assert_int_eq(poll_once(GVT_RCS, 1000000).state, GVT_PGPU_RUNNING);
	ck_assert_uint_eq(data[1], 1);
	ops->engine_preempt(sim, GVT_RCS);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_PREEMPTED);
	/* Saved: ring past its BB_START, level 1 past its call, level 2 on
	 * the semaphore. */
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 12);
	ck_assert_uint_eq(*slot(GVT_CTX_BB_STATE), 1);
	ck_assert_uint_eq(*slot(GVT_CTX_BB_HEAD_L), GA(BB_GFN) + 12);
	ck_assert_uint_eq(*slot(GVT_CTX_SECOND_BB_STATE), 1);
	ck_assert_uint_eq(*slot(GVT_CTX_SECOND_BB_HEAD_L), GA(BB_GFN + 1) + 16);

	data[0] = 1;
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ops->engine_preempt(sim, GVT_RCS);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_PREEMPTED);
	ck_assert_uint_eq(p.commands, 3);	/* wait, store, MI_ARB_CHECK */
	ck_assert_uint_eq(data[2], 2);
	ck_assert_uint_eq(data[3], 0);
	ck_assert_uint_eq(*slot(GVT_CTX_SECOND_BB_HEAD_L), GA(BB_GFN + 1) + 52);

	data[1] = 0;
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[1], 0);	/* nothing ran twice */
	ck_assert_uint_eq(data[3], 3);
	ck_assert_uint_eq(data[4], 4);
	ck_assert_uint_eq(data[5], 5);
	ck_assert_uint_eq(*slot(GVT_CTX_BB_STATE) & 1, 0);
	ck_assert_uint_eq(*slot(GVT_CTX_SECOND_BB_STATE) & 1, 0);
}
END_TEST

static void assert_hung(struct gvt_pgpu_poll p, const char *a, const char *b)
{
	ck_assert_int_eq(p.state, GVT_PGPU_HUNG);
	ck_assert_msg(strstr(p.why, a) && strstr(p.why, b),
		      "why \"%s\" lacks \"%s\" or \"%s\"", p.why, a, b);
}

/* The render context's workaround batches run on every restore, before
 * the ring, whole: a preemption waits until they are done. */
START_TEST(test_sim_engine_wa_batches)
{
	uint32_t *wa = gpage(BB_GFN + 4), *bb = gpage(BB_GFN + 5);
	uint32_t *per_ctx = gpage(BB_GFN + 6);
	uint32_t *data = gpage(DATA_GFN), *ring = gpage(RING_GFN);
	uint32_t d = (uint32_t)GA(DATA_GFN);
	const uint32_t indirect[16] = {	/* one cacheline, no end */
		ARB_CHECK,
		SDI(1, 4), d, 0, 1,
		BB_START(0, 0), (uint32_t)GA(BB_GFN + 5), 0,
	};
	const uint32_t started[] = { SDI(1, 4), d + 4, 0, 2, BB_END };
	const uint32_t per[] = { SDI(1, 4), d + 8, 0, 3, SDI(1, 4), d + 12, 0, 3,
				 BB_END };
	const uint32_t r[] = { ARB_CHECK, SDI(1, 4), d + 12, 0, 4, NOOP };
	struct gvt_pgpu_poll p;

	memcpy(wa, indirect, sizeof(indirect));
	memcpy(bb, started, sizeof(started));
	memcpy(per_ctx, per, sizeof(per));
	memcpy(ring, r, sizeof(r));
	ctx_new(0, sizeof(r));
	*slot(GVT_CTX_RCS_INDIRECT_CTX) = (uint32_t)GA(BB_GFN + 4) | 1;
	*slot(GVT_CTX_BB_PER_CTX_PTR) = (uint32_t)GA(BB_GFN + 6) | 1;

	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ops->engine_preempt(sim, GVT_RCS);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_PREEMPTED);
	ck_assert_uint_eq(data[0], 1);
	ck_assert_uint_eq(data[1], 2);
	ck_assert_uint_eq(data[2], 3);
	ck_assert_uint_eq(data[3], 3);	/* the ring has not run */
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 0);
	ck_assert_uint_eq(*slot(GVT_CTX_BB_STATE) & 1, 0);

	memset(data, 0, 16);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	p = poll_end(GVT_RCS);
	ck_assert_int_eq(p.state, GVT_PGPU_DONE);
	ck_assert_uint_eq(data[0], 1);	/* again, on this restore */
	ck_assert_uint_eq(data[2], 3);
	ck_assert_uint_eq(data[3], 4);	/* the ring ran after them */

	/* A command running past the indirect batch's length hangs. */
	wa[14] = SDI(1, 4);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	assert_hung(poll_end(GVT_RCS), "past the end", "indirect context batch");
	ck_assert_uint_eq(*slot(GVT_CTX_BB_STATE) & 1, 0);
}
END_TEST

START_TEST(test_sim_engine_faults_hang)
{
	uint32_t *b = gpage(BB_GFN), *b2 = gpage(BB_GFN + 1);
	const uint32_t nest[] = { BB_START(0, 1), (uint32_t)GA(BB_GFN + 1), 0 };
	const uint32_t nest2[] = { BB_START(0, 1), (uint32_t)GA(BB_GFN + 1), 0 };

	ops->ggtt_write(sim, 900, 0);	/* not present */
	assert_hung(RUN(GVT_RCS, SDI(1, 4), (uint32_t)GA(900), 0, 1),
		    "MI_STORE_DATA_IMM at GGTT 0x20000", "not present");
	/* The head stays on the command that hung. */
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 0);
	assert_hung(RUN(GVT_RCS, NOOP, 0x1f800000u), "0x1f800000", "not a command");
	assert_hung(RUN(GVT_BCS, PIPE_CONTROL, 0, 0, 0, 0, 0), "0x7a000004",
		    "bcs");
	assert_hung(RUN(GVT_RCS, MI(0x22, 0)), "MI_LOAD_REGISTER_IMM", "length 2");
	assert_hung(RUN(GVT_RCS, BB_START(1, 0), 0x1000, 0),
		    "command at PPGTT 0x1000", "not mapped");
	assert_hung(RUN(GVT_RCS, SDI(0, 4), 0x7000, 0, 1),
		    "MI_STORE_DATA_IMM", "PPGTT address 0x7000");
	memcpy(b, nest, sizeof(nest));
	memcpy(b2, nest2, sizeof(nest2));
	assert_hung(RUN(GVT_RCS, BB_START(0, 0), (uint32_t)GA(BB_GFN), 0),
		    "MI_BATCH_BUFFER_START at GGTT 0x31000", "2 deep");
	assert_hung(RUN(GVT_RCS, MI(0x1c, 2), 0, 0, 0), "MI_SEMAPHORE_WAIT",
		    "signal mode");
	/* A bad image hangs at the first poll. */
	gpage(RING_GFN);
	ctx_new(0, 8);
	*slot(GVT_CTX_RING_BUFFER_CONTROL) = 0;
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	assert_hung(poll_end(GVT_RCS), "RING_BUFFER_CONTROL", "not valid");
	/* The scratch page reads as zero and drops writes: no fault. */
	ck_assert_int_eq(RUN(GVT_RCS, SDI(1, 4), (uint32_t)GA(901), 0, 1).state,
			 GVT_PGPU_DONE);
	ck_assert_uint_eq(((uint32_t *)(uintptr_t)ops->scratch_addr(sim))[0], 0);
}
END_TEST

START_TEST(test_sim_engine_runaway_keeps_running)
{
	uint32_t *b = gpage(BB_GFN);
	const uint32_t loop[] = { NOOP, BB_START(0, 0), (uint32_t)GA(BB_GFN), 0 };
	struct gvt_pgpu_poll p;

	uint32_t *ring = gpage(RING_GFN);

	memcpy(b, loop, sizeof(loop));
	ring[0] = BB_START(0, 0);
	ring[1] = (uint32_t)GA(BB_GFN);
	ctx_new(0, 16);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	for (int i = 0; i < 3; i++) {
		p = poll_once(GVT_RCS, 2000000);
		ck_assert_int_eq(p.state, GVT_PGPU_RUNNING);
		ck_assert_uint_gt(p.commands, 0);
		ck_assert_uint_lt(p.busy_ns, 200000000);
	}
	ops->engine_reset(sim, GVT_RCS);
	ck_assert_int_eq(poll_once(GVT_RCS, 1000).state, GVT_PGPU_IDLE);
	ck_assert_int_eq(ops->engine_submit(sim, GVT_RCS, GA(CTX_GFN)), 0);
	ops->engine_reset(sim, GVT_RCS);
}
END_TEST

/* ---- blits, against offsets computed here from the tiling formulas ---- */

#define SURF_PAGES 8u
#define PITCH 512u
#define ROWS 64u

enum { LIN, TX, TY };

static uint64_t ref_offset(int tiling, uint32_t xb, uint32_t y)
{
	if (tiling == TX)
		return ((y / 8) * (PITCH / 512) + xb / 512) * 4096 +
		       (y % 8) * 512 + xb % 512;
	if (tiling == TY)
		return ((y / 32) * (PITCH / 128) + xb / 128) * 4096 +
		       (xb % 128 / 16) * 512 + (y % 32) * 16 + xb % 16;
	return (uint64_t)y * PITCH + xb;
}

static uint64_t src_pixel(uint32_t x, uint32_t y, unsigned int cpp)
{
	uint64_t v = (uint64_t)(x * 7 + y * 131 + 0x5a) * 0x9e3779b1u;

	return cpp == 4 ? (uint32_t)v : cpp == 2 ? (uint16_t)v : (uint8_t)v;
}

static void pix_io(uint32_t gfn, int tiling, uint32_t x, uint32_t y,
		   unsigned int cpp, uint64_t *v, bool write)
{
	for (unsigned int i = 0; i < cpp; i++) {
		uint8_t b = (uint8_t)(*v >> (8 * i));

		ck_assert_int_eq(ops->gm_access(sim, GA(gfn) + ref_offset(tiling, x * cpp + i, y),
						&b, 1, write), 0);
		if (!write)
			*v = (*v & ~(0xffull << (8 * i))) | (uint64_t)b << (8 * i);
	}
}

static void surfaces(unsigned int cpp, int src_tiling)
{
	for (unsigned int i = 0; i < SURF_PAGES; i++) {
		memset(gpage(SRC_GFN + i), 0, PAGE);
		memset(gpage(DST_GFN + i), 0xab, PAGE);
	}
	for (uint32_t y = 0; y < ROWS; y++)
		for (uint32_t x = 0; x < PITCH / cpp; x++) {
			uint64_t v = src_pixel(x, y, cpp);

			pix_io(SRC_GFN, src_tiling, x, y, cpp, &v, true);
		}
}

/* Every destination pixel: the source's inside the rectangle, untouched
 * (0xab bytes) outside. @color: XY_COLOR_BLT's colour instead of a copy. */
static void check_dst(int tiling, unsigned int cpp, uint32_t dx, uint32_t dy,
		      uint32_t w, uint32_t h, uint32_t sx, uint32_t sy,
		      const uint64_t *color)
{
	uint64_t untouched = 0xababababababababull >> (64 - 8 * cpp);

	for (uint32_t y = 0; y < ROWS; y++)
		for (uint32_t x = 0; x < PITCH / cpp; x++) {
			bool in = x >= dx && x < dx + w && y >= dy && y < dy + h;
			uint64_t v = 0, want = !in ? untouched : color ? *color :
					       src_pixel(sx + x - dx, sy + y - dy, cpp);

			pix_io(DST_GFN, tiling, x, y, cpp, &v, false);
			if (v != want)
				ck_abort_msg("pixel (%u,%u) is 0x%llx, want 0x%llx", x, y,
					     (unsigned long long)v, (unsigned long long)want);
		}
}

static const unsigned int cpps[3] = { 1, 2, 4 };

/* _i: XY_SRC_COPY_BLT (0-26) or XY_FAST_COPY_BLT (27-53), then source
 * tiling, destination tiling and depth, 3 each. */
START_TEST(test_sim_engine_blit_copy)
{
	bool fast = _i >= 27;
	int st = _i % 27 / 9, dt = _i % 9 / 3;
	unsigned int cpp = cpps[_i % 3];
	uint32_t w = 37, h = 40, dx = 3, dy = 5, sx = 7, sy = 9;
	uint32_t spitch = st == LIN ? PITCH : PITCH / 4;
	uint32_t dpitch = dt == LIN ? PITCH : PITCH / 4;
	uint32_t depth = cpp == 1 ? 0 : cpp == 2 ? 1 : 3;	/* both encode so */
	uint32_t dw0, dw1;
	struct gvt_pgpu_poll p;

	surfaces(cpp, st);
	if (fast) {
		static const uint32_t f[3] = { 0, 1, 2 };

		dw0 = 0x50800008u | f[st] << 20 | f[dt] << 13;
		dw1 = depth << 24 | dpitch;
	} else {
		dw0 = 0x54c00008u | 3u << 20 | (st != LIN) << 15 | (dt != LIN) << 11;
		dw1 = depth << 24 | 0xccu << 16 | dpitch;
	}
	p = RUN(GVT_BCS,
		LRI(1), SIM_BCS_SWCTRL, 3u << 16 | (st == TY) | (dt == TY) << 1,
		dw0, dw1, dy << 16 | dx, (dy + h) << 16 | (dx + w),
		(uint32_t)GA(DST_GFN), 0, sy << 16 | sx, spitch,
		(uint32_t)GA(SRC_GFN), 0);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	check_dst(dt, cpp, dx, dy, w, h, sx, sy, NULL);
}
END_TEST

START_TEST(test_sim_engine_blit_color)
{
	int dt = _i / 3;
	unsigned int cpp = cpps[_i % 3];
	uint32_t w = 50, h = 33, dx = 11, dy = 2;
	uint64_t color = 0x12345678ull & ((1ull << (8 * cpp)) - 1);
	uint32_t depth = cpp == 1 ? 0 : cpp == 2 ? 1 : 3;
	struct gvt_pgpu_poll p;

	surfaces(cpp, LIN);
	p = RUN(GVT_BCS,
		LRI(1), SIM_BCS_SWCTRL, 3u << 16 | (dt == TY) << 1,
		0x54000005u | 3u << 20 | (dt != LIN) << 11,
		depth << 24 | 0xf0u << 16 | (dt == LIN ? PITCH : PITCH / 4),
		dy << 16 | dx, (dy + h) << 16 | (dx + w), (uint32_t)GA(DST_GFN), 0,
		0x12345678);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	check_dst(dt, cpp, dx, dy, w, h, 0, 0, &color);
}
END_TEST

/*
 * A blit draws at most SIM_BLT_PIXELS_PER_STEP pixels at a time and goes
 * on at the next step: a poll keeps its budget whatever the rectangle,
 * no pixel is drawn twice (an XOR shows it), and the middle of a blit is
 * no arbitration point.
 */
START_TEST(test_sim_engine_blit_runs_across_polls)
{
	uint32_t *ring = gpage(RING_GFN);
	uint32_t w = PITCH / 4, h = ROWS;	/* 8192 pixels at 32 bpp */
	uint64_t want = 0x5a5a5a5aull ^ 0xababababull;
	const uint32_t c[] = {
		0x54000005u | 3u << 20, 3u << 24 | 0x5au << 16 | PITCH, 0,
		h << 16 | w, (uint32_t)GA(DST_GFN), 0, 0x5a5a5a5a, NOOP,
	};
	struct gvt_pgpu_poll p;

	surfaces(4, LIN);
	memcpy(ring, c, sizeof(c));
	ctx_new(0, sizeof(c));
	ck_assert_int_eq(ops->engine_submit(sim, GVT_BCS, GA(CTX_GFN)), 0);
	p = poll_once(GVT_BCS, 1);
	ck_assert_int_eq(p.state, GVT_PGPU_RUNNING);
	ck_assert_uint_eq(p.commands, 1);
	ops->engine_preempt(sim, GVT_BCS);
	p = poll_once(GVT_BCS, 10000000);
	ck_assert_msg(p.state == GVT_PGPU_PREEMPTED, "state %d: %s", p.state, p.why);
	check_dst(LIN, 4, 0, 0, w, h, 0, 0, &want);
	ck_assert_uint_eq(*slot(GVT_CTX_RING_HEAD), 28);	/* on the NOOP */

	/* The largest linear blit the surface holds, every row on the same
	 * bytes (pitch 0): 2^31 pixels. A poll still ends within its budget
	 * and a reset drops the rest. */
	ring[0] = 0x54000005u | 3u << 20;
	ring[1] = 0xf0u << 16;
	ring[2] = 0;
	ring[3] = 0xffffu << 16 | SURF_PAGES * PAGE;
	ctx_new(0, sizeof(c));
	ck_assert_int_eq(ops->engine_submit(sim, GVT_BCS, GA(CTX_GFN)), 0);
	for (int i = 0; i < 3; i++) {
		p = poll_once(GVT_BCS, 1000000);
		ck_assert_int_eq(p.state, GVT_PGPU_RUNNING);
		ck_assert_uint_lt(p.busy_ns, 200000000);
	}
	ops->engine_reset(sim, GVT_BCS);
	ck_assert_int_eq(poll_once(GVT_BCS, 1000).state, GVT_PGPU_IDLE);
}
END_TEST

START_TEST(test_sim_engine_blit_faults_and_ppgtt)
{
	uint32_t *b = ppage(PPGTT_VA), *dst = ppage(PPGTT_VA + PAGE);
	/* A PPGTT batch blits through the PPGTT: a 16x4 fill at 32 bpp. */
	const uint32_t c[] = {
		0x54000005u | 3u << 20, 3u << 24 | 0xf0u << 16 | 64,
		0, 4u << 16 | 16, (uint32_t)(PPGTT_VA + PAGE),
		(uint32_t)(PPGTT_VA >> 32), 0xcafe0001,
		BB_END,
	};

	memcpy(b, c, sizeof(c));
	ck_assert_int_eq(RUN(GVT_BCS, BB_START(1, 0), (uint32_t)PPGTT_VA,
			     (uint32_t)(PPGTT_VA >> 32)).state, GVT_PGPU_DONE);
	ck_assert_uint_eq(dst[0], 0xcafe0001);
	ck_assert_uint_eq(dst[3 * 16 + 15], 0xcafe0001);
	ck_assert_uint_eq(dst[4 * 16], 0);
	/* Rows past the mapped page fault: the blit hangs, it does not
	 * reach past what the GGTT maps. */
	memset(gpage(DST_GFN), 0, PAGE);
	ops->ggtt_write(sim, DST_GFN + 1, 0);
	assert_hung(RUN(GVT_BCS, 0x54000005u | 3u << 20, 3u << 24 | 0xf0u << 16 | 1024,
			0, 8u << 16 | 4, (uint32_t)GA(DST_GFN), 0, 1),
		    "XY_COLOR_BLT", "not present");
	/* Tiled with a pitch that is not a whole number of tiles */
	assert_hung(RUN(GVT_BCS, 0x54000005u | 3u << 20 | 1u << 11,
			3u << 24 | 0xf0u << 16 | 100, 0, 1u << 16 | 1,
			(uint32_t)GA(DST_GFN), 0, 1),
		    "XY_COLOR_BLT", "tile width");
	/* Decoded only: XY_SETUP_BLT is skipped */
	ck_assert_int_eq(RUN(GVT_BCS, 0x40400008u, 0, 0, 0, 0, 0, 0, 0, 0, 0).state,
			 GVT_PGPU_DONE);
}
END_TEST

/*
 * A blit is drawn in spans contiguous in both surfaces, and must draw what
 * pixel by pixel drawing would: a source overlapping its destination reads
 * the pixels the row already drew, a pixel across two pages lands on both,
 * a 32 bpp blit without its alpha bit keeps the alpha bytes, and 64 bpp
 * fast copies move whole pixels.
 */
START_TEST(test_sim_engine_blit_spans_match_pixels)
{
	uint32_t *d0 = gpage(DST_GFN), *d1 = gpage(DST_GFN + 1);
	uint32_t *s0 = gpage(SRC_GFN);
	struct gvt_pgpu_poll p;

	/* One row copied onto itself one pixel right: pixel 0 runs along. */
	for (uint32_t i = 0; i < 16; i++)
		d0[i] = 0x1000u + i;
	p = RUN(GVT_BCS, 0x54c00008u | 3u << 20, 3u << 24 | 0xccu << 16 | PITCH,
		1, 1u << 16 | 9, (uint32_t)GA(DST_GFN), 0, 0, PITCH,
		(uint32_t)GA(DST_GFN), 0);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	for (uint32_t i = 0; i < 9; i++)
		ck_assert_uint_eq(d0[i], 0x1000u);
	ck_assert_uint_eq(d0[9], 0x1009u);

	/* A 32 bpp fill from 2 bytes before a page's end: its first pixel
	 * is half on each page. */
	memset(d0, 0xab, PAGE);
	memset(d1, 0xab, PAGE);
	p = RUN(GVT_BCS, 0x54000005u | 3u << 20, 3u << 24 | 0xf0u << 16 | PITCH,
		0, 1u << 16 | 3, (uint32_t)GA(DST_GFN) + PAGE - 2, 0, 0x44332211);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	ck_assert_uint_eq(((uint8_t *)d0)[PAGE - 3], 0xab);
	ck_assert_uint_eq(((uint8_t *)d0)[PAGE - 2], 0x11);
	ck_assert_uint_eq(((uint8_t *)d0)[PAGE - 1], 0x22);
	ck_assert_uint_eq(((uint8_t *)d1)[0], 0x33);
	ck_assert_uint_eq(((uint8_t *)d1)[1], 0x44);
	ck_assert_uint_eq(((uint8_t *)d1)[2], 0x11);
	ck_assert_uint_eq(((uint8_t *)d1)[9], 0x44);
	ck_assert_uint_eq(((uint8_t *)d1)[10], 0xab);

	/* RGB only (DW0 bit 20): the copy leaves every alpha byte. */
	for (uint32_t i = 0; i < 8; i++)
		s0[i] = 0xa0b0c0d0u + i;
	p = RUN(GVT_BCS, 0x54c00008u | 1u << 20, 3u << 24 | 0xccu << 16 | PITCH,
		0, 1u << 16 | 8, (uint32_t)GA(DST_GFN), 0, 0, PITCH,
		(uint32_t)GA(SRC_GFN), 0);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	for (uint32_t i = 0; i < 8; i++)
		ck_assert_uint_eq(d0[i], 0xabb0c0d0u + i);

	/* XY_FAST_COPY_BLT at 64 bpp (depth 4), 5 pixels. */
	for (uint32_t i = 0; i < 12; i++)
		s0[i] = 0x2000u + i;
	memset(d0, 0, PAGE);
	p = RUN(GVT_BCS, 0x50800008u, 4u << 24 | PITCH, 0, 1u << 16 | 5,
		(uint32_t)GA(DST_GFN), 0, 1, PITCH, (uint32_t)GA(SRC_GFN), 0);
	ck_assert_msg(p.state == GVT_PGPU_DONE, "state %d: %s", p.state, p.why);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_uint_eq(d0[i], 0x2002u + i);
	ck_assert_uint_eq(d0[10], 0);
}
END_TEST

Suite *sim_engine_suite(void)
{
	Suite *s = suite_create("sim_engine");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sim_engine_noop_ring_done);
	tcase_add_test(tc, test_sim_engine_ring_wraps);
	tcase_add_test(tc, test_sim_engine_stores);
	tcase_add_test(tc, test_sim_engine_flush_dw);
	tcase_add_test(tc, test_sim_engine_batch_levels);
	tcase_add_test(tc, test_sim_engine_ppgtt_batch);
	tcase_add_test(tc, test_sim_engine_register_moves);
	tcase_add_test(tc, test_sim_engine_mi_math);
	tcase_add_test(tc, test_sim_engine_conditional_end);
	tcase_add_test(tc, test_sim_engine_semaphore_wait);
	tcase_add_test(tc, test_sim_engine_preempt_resume);
	tcase_add_test(tc, test_sim_engine_wa_batches);
	tcase_add_test(tc, test_sim_engine_faults_hang);
	tcase_add_test(tc, test_sim_engine_runaway_keeps_running);
	tcase_add_loop_test(tc, test_sim_engine_blit_copy, 0, 54);
	tcase_add_loop_test(tc, test_sim_engine_blit_color, 0, 9);
	tcase_add_test(tc, test_sim_engine_blit_faults_and_ppgtt);
	tcase_add_test(tc, test_sim_engine_blit_runs_across_polls);
	tcase_add_test(tc, test_sim_engine_blit_spans_match_pixels);
	suite_add_tcase(s, tc);
	return s;
}
