// SPDX-License-Identifier: MIT
/*
 * The sim GPU's command streamers: load a logical ring context, run its
 * ring and batch buffers, save it back when it finishes, is preempted or
 * hangs.
 *
 * Every command is decoded through the scanner's table (gvt_cmd_find), so
 * the engine and the scanner never disagree on a length. The MI commands a
 * driver can observe are executed, the blitter's draw commands go to
 * sim_blt.c, and the 3D, media and codec commands are skipped at their
 * decoded length. Every memory access goes through the GGTT or the
 * context's PPGTT: an address nothing maps hangs the engine, it never
 * reaches host memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../cmd_parser.h"
#include "../../reg.h"
#include "sim.h"

/* Registers the command streamer keeps live, relative to its base. */
#define CS_TIMESTAMP		0x358
#define CS_TIMESTAMP_UDW	0x35c
#define CS_CTX_TIMESTAMP	0x3a8
#define CS_GPR(n)		(0x600 + 8 * (n))

/* The context image's BB_STATE bits (see docs/sim-gpu.md). */
#define SIM_BB_ACTIVE		(1u << 0)	/* chosen: a batch is in progress */
#define SIM_BB_PPGTT		(1u << 5)	/* as i915's RING_BB_PPGTT */

/* The longest command the engine executes (LRI, MI_MATH): 257 dwords. */
#define SIM_CMD_MAX		260
/* How often the clock is read, in commands. */
#define SIM_CLOCK_EVERY		256
/* A false semaphore is re-checked this many times per poll. */
#define SIM_SEM_RECHECKS	4

enum step {
	STEP_NEXT,	/* executed */
	STEP_ARB,	/* an arbitration point (MI_ARB_CHECK) */
	STEP_WAIT,	/* a semaphore is not satisfied: stay on it */
	STEP_HEAVY,	/* executed, and it took long: look at the clock */
	STEP_PART,	/* a blit stopped part-way: stay on it, look at the clock */
	STEP_HANG,	/* e->hang says why */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sim_engine *engine_of(void *pgpu, unsigned int engine)
{
	struct sim_gpu *sim = pgpu;

	if (engine >= sim->platform->num_engines || engine >= GVT_NUM_ENGINES)
		return NULL;
	return &sim->engines[engine];
}

void sim_engines_init(struct sim_gpu *sim)
{
	for (unsigned int i = 0; i < GVT_NUM_ENGINES; i++) {
		struct sim_engine *e = &sim->engines[i];

		memset(e, 0, sizeof(*e));
		e->sim = sim;
		e->id = (enum gvt_engine_id)i;
		if (i < sim->platform->num_engines)
			e->base = sim->platform->engines[i].mmio_base;
	}
}

int sim_engine_hang(struct sim_engine *e, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	/* The first error is the one that explains the hang. */
	if (e->hang[0])
		return -EFAULT;
	if (e->cmd_name)
		n = (size_t)snprintf(e->hang, sizeof(e->hang), "%s at %s 0x%llx: ",
				     e->cmd_name, e->cmd_ppgtt ? "PPGTT" : "GGTT",
				     (unsigned long long)e->cmd_addr);
	else
		n = (size_t)snprintf(e->hang, sizeof(e->hang), "command at %s 0x%llx: ",
				     e->cmd_ppgtt ? "PPGTT" : "GGTT",
				     (unsigned long long)e->cmd_addr);
	if (n < sizeof(e->hang)) {
		va_start(ap, fmt);
		vsnprintf(e->hang + n, sizeof(e->hang) - n, fmt, ap);
		va_end(ap);
	}
	return -EFAULT;
}

/* ---- memory ---- */

/* The GGTT entry's page for @addr, or NULL for the scratch page; false if
 * the entry is not present or beyond the GGTT. */
static bool ggtt_host(struct sim_gpu *sim, uint64_t addr, uint8_t **host)
{
	uint64_t pte;
	uint8_t *page;

	if (addr >= sim->platform->ggtt_size)
		return false;
	pte = sim->ggtt[addr / GVT_GTT_PAGE_SIZE];
	if (!(pte & GVT_GTT_PTE_PRESENT))
		return false;
	page = (uint8_t *)(uintptr_t)(pte & SIM_PTE_ADDR_MASK);
	*host = page == sim->scratch ? NULL : page + addr % GVT_GTT_PAGE_SIZE;
	return true;
}

int sim_engine_xlate(struct sim_engine *e, bool ppgtt, uint64_t addr,
		     bool write, uint8_t **host)
{
	uint64_t bus;

	if (!ppgtt) {
		if (!ggtt_host(e->sim, addr, host))
			return sim_engine_hang(e, "page fault %s GGTT address 0x%llx (%s)",
					       write ? "writing" : "reading",
					       (unsigned long long)addr,
					       addr >= e->sim->platform->ggtt_size ?
					       "beyond the GGTT" : "entry not present");
		return 0;
	}
	if (sim_ppgtt_translate(e->pdp, e->levels, addr, &bus))
		return sim_engine_hang(e, "page fault %s PPGTT address 0x%llx (not mapped)",
				       write ? "writing" : "reading",
				       (unsigned long long)addr);
	/* libgvt's shadow points holes at the scratch page too. */
	if ((bus & SIM_PTE_ADDR_MASK) == (uintptr_t)e->sim->scratch)
		*host = NULL;
	else
		*host = (uint8_t *)(uintptr_t)bus;
	return 0;
}

/* Copy between the engine's view of memory and @buf, page by page. */
static int mem_rw(struct sim_engine *e, bool ppgtt, uint64_t addr, void *buf,
		  size_t len, bool write)
{
	uint8_t *p = buf;

	while (len) {
		size_t in_page = GVT_GTT_PAGE_SIZE - addr % GVT_GTT_PAGE_SIZE;
		size_t n = len < in_page ? len : in_page;
		uint8_t *host;

		if (sim_engine_xlate(e, ppgtt, addr, write, &host))
			return -EFAULT;
		if (!host) {
			if (!write)
				memset(p, 0, n);
		} else if (write) {
			memcpy(host, p, n);
		} else {
			memcpy(p, host, n);
		}
		addr += n;
		p += n;
		len -= n;
	}
	return 0;
}

static int mem_read32(struct sim_engine *e, bool ppgtt, uint64_t addr,
		      uint32_t *v)
{
	return mem_rw(e, ppgtt, addr, v, 4, false);
}

static int mem_write32(struct sim_engine *e, bool ppgtt, uint64_t addr,
		       uint32_t v)
{
	return mem_rw(e, ppgtt, addr, &v, 4, true);
}

static int mem_write64(struct sim_engine *e, bool ppgtt, uint64_t addr,
		       uint64_t v)
{
	return mem_rw(e, ppgtt, addr, &v, 8, true);
}

/* A 48-bit address from a command's low (bits 31:@align) and high dwords. */
static uint64_t addr48(uint32_t lo, uint32_t hi, unsigned int align)
{
	return (lo & ~((1u << align) - 1)) | (uint64_t)(hi & 0xffff) << 32;
}

/* ---- the context image ---- */

static uint32_t ctx_read(struct sim_engine *e, unsigned int slot)
{
	uint8_t *host;
	uint64_t addr = e->lrca + GVT_CTX_STATE_PAGE * GVT_GTT_PAGE_SIZE +
			(slot + 1) * 4;
	uint32_t v = 0;

	if (ggtt_host(e->sim, addr, &host) && host)
		memcpy(&v, host, 4);
	return v;
}

static void ctx_write(struct sim_engine *e, unsigned int slot, uint32_t v)
{
	uint8_t *host;
	uint64_t addr = e->lrca + GVT_CTX_STATE_PAGE * GVT_GTT_PAGE_SIZE +
			(slot + 1) * 4;

	if (ggtt_host(e->sim, addr, &host) && host)
		memcpy(host, &v, 4);
}

static void save_bb(struct sim_engine *e, const struct sim_bb *bb,
		    unsigned int u, unsigned int l, unsigned int state)
{
	if (!bb->active) {
		ctx_write(e, state, ctx_read(e, state) & ~SIM_BB_ACTIVE);
		return;
	}
	ctx_write(e, u, (uint32_t)(bb->addr >> 32));
	ctx_write(e, l, (uint32_t)bb->addr);
	ctx_write(e, state, SIM_BB_ACTIVE | (bb->ppgtt ? SIM_BB_PPGTT : 0));
}

/* What the engine writes back when it stops: where it stopped and how long
 * the context ran. */
static void ctx_save(struct sim_engine *e)
{
	ctx_write(e, GVT_CTX_RING_HEAD, e->wraps << 21 | e->head);
	save_bb(e, &e->bb[0], GVT_CTX_BB_HEAD_U, GVT_CTX_BB_HEAD_L,
		GVT_CTX_BB_STATE);
	save_bb(e, &e->bb[1], GVT_CTX_SECOND_BB_HEAD_U, GVT_CTX_SECOND_BB_HEAD_L,
		GVT_CTX_SECOND_BB_STATE);
	ctx_write(e, GVT_CTX_CTX_TIMESTAMP, (uint32_t)e->ctx_ts);
}

static void load_bb(struct sim_engine *e, struct sim_bb *bb, unsigned int u,
		    unsigned int l, unsigned int state)
{
	uint32_t st = ctx_read(e, state);

	bb->active = st & SIM_BB_ACTIVE;
	bb->ppgtt = st & SIM_BB_PPGTT;
	bb->addr = addr48(ctx_read(e, l), ctx_read(e, u), 2);
}

/* INDIRECT_CTX: GGTT address in bits 31:6, size in cachelines in 5:0;
 * BB_PER_CTX_PTR: address in 31:6, valid in bit 0. */
#define SIM_WA_ADDR_MASK	0xffffffc0u
#define SIM_INDIRECT_CTX_SIZE	0x3fu
#define SIM_PER_CTX_VALID	(1u << 0)

/* The render context's workaround batches, if its image names any: set
 * the restored batch state aside and start on them. */
static void wa_load(struct sim_engine *e)
{
	uint32_t indirect, per_ctx;

	e->wa_phase = SIM_WA_NONE;
	e->per_ctx_pending = false;
	if (e->id != GVT_RCS)
		return;
	indirect = ctx_read(e, GVT_CTX_RCS_INDIRECT_CTX);
	per_ctx = ctx_read(e, GVT_CTX_BB_PER_CTX_PTR);
	if (!(indirect & SIM_INDIRECT_CTX_SIZE) && !(per_ctx & SIM_PER_CTX_VALID))
		return;
	e->wa_addr = indirect & SIM_WA_ADDR_MASK;
	e->wa_end = e->wa_addr + 64ull * (indirect & SIM_INDIRECT_CTX_SIZE);
	e->per_ctx_addr = per_ctx & SIM_WA_ADDR_MASK;
	e->per_ctx_pending = per_ctx & SIM_PER_CTX_VALID;
	e->resume_level = e->level;
	memcpy(e->resume_bb, e->bb, sizeof(e->bb));
	e->level = 0;
	e->bb[0].active = false;
	e->bb[1].active = false;
	e->wa_phase = SIM_WA_INDIRECT;
}

/* At level 0 during the workaround batches: move on when one is done. */
static void wa_advance(struct sim_engine *e)
{
	if (e->wa_phase == SIM_WA_INDIRECT && e->wa_addr < e->wa_end)
		return;
	if (e->wa_phase == SIM_WA_INDIRECT && e->per_ctx_pending) {
		e->per_ctx_pending = false;
		e->bb[0] = (struct sim_bb){ .addr = e->per_ctx_addr,
					    .active = true };
		e->level = 1;
		e->wa_phase = SIM_WA_PER_CTX;
		return;
	}
	/* Both done: back to what the image restored. */
	e->level = e->resume_level;
	memcpy(e->bb, e->resume_bb, sizeof(e->bb));
	e->wa_phase = SIM_WA_NONE;
}

int sim_engine_submit(void *pgpu, unsigned int engine, uint64_t lrca)
{
	struct sim_gpu *sim = pgpu;
	struct sim_engine *e = engine_of(pgpu, engine);
	uint8_t *host;

	if (!e || lrca % GVT_GTT_PAGE_SIZE ||
	    lrca + GVT_CTX_PAGES_OTHER * GVT_GTT_PAGE_SIZE > sim->platform->ggtt_size ||
	    !ggtt_host(sim, lrca + GVT_CTX_STATE_PAGE * GVT_GTT_PAGE_SIZE, &host))
		return -EINVAL;
	if (e->loaded)
		return -EBUSY;

	e->lrca = lrca;
	e->loaded = true;
	e->preempt = false;
	e->arb_on = true;
	e->blt_partial = false;
	e->hang[0] = '\0';
	e->events = 0;
	e->cmd_name = NULL;
	e->cmd_addr = lrca;
	e->cmd_ppgtt = false;

	e->ring_start = ctx_read(e, GVT_CTX_RING_BUFFER_START) & ~0xfffu;
	e->ring_ctl = ctx_read(e, GVT_CTX_RING_BUFFER_CONTROL);
	e->ring_size = (((e->ring_ctl >> 12) & 0x1ff) + 1) * GVT_GTT_PAGE_SIZE;
	e->head = ctx_read(e, GVT_CTX_RING_HEAD) & 0x1ffffc;
	e->wraps = ctx_read(e, GVT_CTX_RING_HEAD) >> 21;
	e->tail = ctx_read(e, GVT_CTX_RING_TAIL) & 0x1ffff8;
	e->ctx_ts = ctx_read(e, GVT_CTX_CTX_TIMESTAMP);

	for (unsigned int n = 0; n < 4; n++) {
		unsigned int udw = GVT_CTX_PDP3_UDW + 4 * (3 - n);

		e->pdp[n] = (uint64_t)ctx_read(e, udw) << 32 | ctx_read(e, udw + 2);
	}
	e->levels = e->pdp[0] && !e->pdp[1] && !e->pdp[2] && !e->pdp[3] ? 4 : 3;

	load_bb(e, &e->bb[0], GVT_CTX_BB_HEAD_U, GVT_CTX_BB_HEAD_L,
		GVT_CTX_BB_STATE);
	load_bb(e, &e->bb[1], GVT_CTX_SECOND_BB_HEAD_U, GVT_CTX_SECOND_BB_HEAD_L,
		GVT_CTX_SECOND_BB_STATE);
	e->level = e->bb[1].active ? 2 : e->bb[0].active ? 1 : 0;
	wa_load(e);

	/* A bad image is the context's error, reported by the first poll
	 * like any other hang; the submission itself was well formed. */
	if (!(e->ring_ctl & RING_CTL_VALID))
		snprintf(e->hang, sizeof(e->hang),
			 "context at GGTT 0x%llx: RING_BUFFER_CONTROL 0x%08x is not valid",
			 (unsigned long long)lrca, e->ring_ctl);
	else if (e->head >= e->ring_size || e->tail >= e->ring_size)
		snprintf(e->hang, sizeof(e->hang),
			 "context at GGTT 0x%llx: RING_HEAD 0x%x or RING_TAIL 0x%x beyond the %u-byte ring",
			 (unsigned long long)lrca, e->head, e->tail, e->ring_size);
	else if (e->bb[1].active && !e->bb[0].active)
		snprintf(e->hang, sizeof(e->hang),
			 "context at GGTT 0x%llx: a second-level batch is active without a first-level one",
			 (unsigned long long)lrca);
	return 0;
}

/* ---- registers ---- */

static bool reg_ok(struct sim_engine *e, uint32_t offset)
{
	if (offset < GVT_MMIO_SIZE)
		return true;
	sim_engine_hang(e, "register 0x%x is outside the 2 MiB register range",
			offset);
	return false;
}

static uint32_t reg_read(struct sim_engine *e, uint32_t offset)
{
	struct sim_gpu *sim = e->sim;
	uint32_t rel;

	offset &= GVT_MMIO_SIZE - 4;
	rel = offset - e->base;
	if (offset >= e->base && rel < 0x1000) {
		switch (rel) {
		case CS_TIMESTAMP:
			return (uint32_t)sim_timestamp(sim);
		case CS_TIMESTAMP_UDW:
			return (uint32_t)(sim_timestamp(sim) >> 32);
		case CS_CTX_TIMESTAMP:
			if (e->loaded)
				return (uint32_t)e->ctx_ts;
			break;
		case RING_HEAD:
			if (e->loaded)
				return e->wraps << 21 | e->head;
			break;
		case RING_TAIL:
			if (e->loaded)
				return e->tail;
			break;
		case RING_START:
			if (e->loaded)
				return (uint32_t)e->ring_start;
			break;
		case RING_CTL:
			if (e->loaded)
				return e->ring_ctl;
			break;
		}
	}
	return sim->regs[offset >> 2];
}

static void reg_write(struct sim_engine *e, uint32_t offset, uint32_t value)
{
	uint32_t *r = &e->sim->regs[(offset & (GVT_MMIO_SIZE - 4)) >> 2];

	/* The blitter's tiling selects are a masked register: bits 31:16
	 * say which of bits 15:0 the write changes. */
	if ((offset & (GVT_MMIO_SIZE - 4)) == SIM_BCS_SWCTRL)
		*r = (*r & ~(value >> 16)) | (value & value >> 16 & 0xffff);
	else
		*r = value;
}

uint32_t sim_engine_reg_read(void *pgpu, unsigned int engine, uint32_t offset)
{
	struct sim_engine *e = engine_of(pgpu, engine);

	return e ? reg_read(e, offset) : 0;
}

void sim_engine_reg_write(void *pgpu, unsigned int engine, uint32_t offset,
			  uint32_t value)
{
	struct sim_engine *e = engine_of(pgpu, engine);

	if (e)
		reg_write(e, offset, value);
}

static uint64_t gpr_read(struct sim_engine *e, unsigned int n)
{
	uint32_t off = e->base + CS_GPR(n);

	return (uint64_t)reg_read(e, off + 4) << 32 | reg_read(e, off);
}

static void gpr_write(struct sim_engine *e, unsigned int n, uint64_t v)
{
	uint32_t off = e->base + CS_GPR(n);

	reg_write(e, off, (uint32_t)v);
	reg_write(e, off + 4, (uint32_t)(v >> 32));
}

/* ---- MI commands ---- */

static uint64_t hws_addr(struct sim_engine *e, uint32_t offset)
{
	return (reg_read(e, e->base + RING_HWS_PGA) & ~0xfffu) + (offset & 0xffc);
}

/*
 * A non-privileged (PPGTT) batch, as on hardware: its commands' "use the
 * GGTT" bits are ignored, so every address goes through the context's
 * PPGTT, and a register write outside what non-privileged batches may
 * write is dropped. The mediator relies on this: it runs a guest's PPGTT
 * batches in place, as GVT-g does.
 */
static bool use_ggtt(const struct sim_engine *e, bool ggtt_bit)
{
	return ggtt_bit && !e->cmd_ppgtt;
}

static bool nonpriv_denied(const struct sim_engine *e, uint32_t off)
{
	const uint64_t *ok = e->sim->nonpriv_reg_ok;
	uint32_t dw = off >> 2;

	if (!e->cmd_ppgtt)
		return false;
	return !ok || !(ok[dw / 64] >> (dw % 64) & 1);
}

static int exec_lri(struct sim_engine *e, const uint32_t *dw, uint32_t len)
{
	uint32_t disable = (dw[0] >> 8) & 0xf;	/* byte write disables */
	uint32_t keep = 0;

	if ((len - 1) % 2)
		return sim_engine_hang(e, "%u dwords do not make register/value pairs",
				       len - 1);
	for (unsigned int b = 0; b < 4; b++)
		if (disable & (1u << b))
			keep |= 0xffu << (8 * b);
	for (uint32_t i = 1; i + 1 < len; i += 2) {
		uint32_t off = dw[i] & 0x7ffffc;

		if (!reg_ok(e, off))
			return -EFAULT;
		if (nonpriv_denied(e, off))
			continue;
		reg_write(e, off, (reg_read(e, off) & keep) | (dw[i + 1] & ~keep));
	}
	return 0;
}

static bool alu_read(struct sim_engine *e, uint32_t operand, uint64_t *v)
{
	if (operand < 16)
		*v = gpr_read(e, operand);
	else if (operand == 0x20)
		*v = e->srca;
	else if (operand == 0x21)
		*v = e->srcb;
	else if (operand == 0x31)
		*v = e->accu;
	else if (operand == 0x32)
		*v = e->zf ? ~0ull : 0;	/* flags read as all ones or zero */
	else if (operand == 0x33)
		*v = e->cf ? ~0ull : 0;
	else
		return false;
	return true;
}

static int exec_math(struct sim_engine *e, const uint32_t *dw, uint32_t len)
{
	for (uint32_t i = 1; i < len; i++) {
		uint32_t op = dw[i] >> 20, o1 = (dw[i] >> 10) & 0x3ff;
		uint32_t o2 = dw[i] & 0x3ff;
		uint64_t v, *src = o1 == 0x20 ? &e->srca : o1 == 0x21 ? &e->srcb : NULL;

		switch (op) {
		case 0x000:	/* NOOP */
			break;
		case 0x080:	/* LOAD */
		case 0x480:	/* LOADINV */
			if (!src || !alu_read(e, o2, &v))
				goto bad_operand;
			*src = op == 0x480 ? ~v : v;
			break;
		case 0x081:	/* LOAD0 */
		case 0x481:	/* LOAD1: all ones */
			if (!src)
				goto bad_operand;
			*src = op == 0x481 ? ~0ull : 0;
			break;
		case 0x100:	/* ADD */
			e->accu = e->srca + e->srcb;
			e->cf = e->accu < e->srca;
			e->zf = !e->accu;
			break;
		case 0x101:	/* SUB: CF is the borrow */
			e->accu = e->srca - e->srcb;
			e->cf = e->srca < e->srcb;
			e->zf = !e->accu;
			break;
		case 0x102:	/* AND */
		case 0x103:	/* OR */
		case 0x104:	/* XOR */
			e->accu = op == 0x102 ? e->srca & e->srcb :
				  op == 0x103 ? e->srca | e->srcb :
						e->srca ^ e->srcb;
			e->cf = false;
			e->zf = !e->accu;
			break;
		case 0x180:	/* STORE */
		case 0x580:	/* STOREINV */
			if (o1 >= 16 || !alu_read(e, o2, &v))
				goto bad_operand;
			gpr_write(e, o1, op == 0x580 ? ~v : v);
			break;
		default:
			return sim_engine_hang(e, "ALU instruction %u (0x%08x) has unknown opcode 0x%03x",
					       i, dw[i], op);
		}
		continue;
bad_operand:
		return sim_engine_hang(e, "ALU instruction %u (0x%08x) has a bad operand",
				       i, dw[i]);
	}
	return 0;
}

/* MI_SEMAPHORE_WAIT in polling mode: 1 when the wait is over. */
static int exec_semaphore(struct sim_engine *e, const uint32_t *dw)
{
	bool ggtt = use_ggtt(e, dw[0] & (1u << 22));
	uint32_t sad, sdd = dw[1];
	bool ok;

	if (dw[0] & (1u << 16))
		return sim_engine_hang(e, "register poll mode is not modelled");
	if (!(dw[0] & (1u << 15)))
		return sim_engine_hang(e, "signal mode is not modelled (only polling)");
	if (mem_read32(e, !ggtt, addr48(dw[2], dw[3], 2), &sad))
		return -EFAULT;
	switch ((dw[0] >> 12) & 7) {
	case 0: ok = sad > sdd; break;
	case 1: ok = sad >= sdd; break;
	case 2: ok = sad < sdd; break;
	case 3: ok = sad <= sdd; break;
	case 4: ok = sad == sdd; break;
	case 5: ok = sad != sdd; break;
	default:
		return sim_engine_hang(e, "compare operation %u is reserved",
				       (dw[0] >> 12) & 7);
	}
	return ok;
}

/* A post-sync write of MI_FLUSH_DW or PIPE_CONTROL. */
static int post_sync(struct sim_engine *e, uint32_t op, bool ggtt, bool index,
		     uint64_t addr, uint64_t data, bool qword)
{
	if (!op)
		return 0;
	ggtt = use_ggtt(e, ggtt);
	if (index) {
		addr = hws_addr(e, (uint32_t)addr);
		ggtt = true;
	}
	if (op == 3)
		return mem_write64(e, !ggtt, addr, sim_timestamp(e->sim));
	if (op == 2)	/* PS_DEPTH_COUNT: no pixels are ever drawn */
		return mem_write64(e, !ggtt, addr, 0);
	return qword ? mem_write64(e, !ggtt, addr, data) :
		       mem_write32(e, !ggtt, addr, (uint32_t)data);
}

static int exec_bb_start(struct sim_engine *e, const uint32_t *dw)
{
	struct sim_bb bb = {
		.addr = addr48(dw[1], dw[2], 2),
		/* What a non-privileged batch starts stays non-privileged. */
		.ppgtt = (dw[0] & (1u << 8)) || e->cmd_ppgtt,
		.active = true,
	};
	bool second = dw[0] & (1u << 22);

	if (e->level == 0) {
		e->bb[0] = bb;
		e->level = 1;
	} else if (e->level == 1 && second) {
		/* A call: bb[0].addr already points past this command,
		 * where MI_BATCH_BUFFER_END of the second level returns. */
		e->bb[1] = bb;
		e->level = 2;
	} else if (e->level == 1) {
		e->bb[0] = bb;	/* chained */
	} else if (second) {
		return sim_engine_hang(e, "a third batch level: the batch buffer stack is 2 deep");
	} else {
		e->bb[1] = bb;	/* chained */
	}
	return 0;
}

static void bb_end(struct sim_engine *e, bool all)
{
	if (e->level == 2 && !all) {
		e->bb[1].active = false;
		e->level = 1;
	} else if (e->level) {
		e->bb[0].active = false;
		e->bb[1].active = false;
		e->level = 0;
	}
}

static int exec_mi(struct sim_engine *e, const uint32_t *dw, uint32_t len)
{
	bool ggtt = use_ggtt(e, dw[0] & (1u << 22));
	uint32_t v;
	int r;

	switch ((dw[0] >> 23) & 0x3f) {
	case 0x02:	/* MI_USER_INTERRUPT */
		e->events |= GVT_PGPU_EV_USER_INTERRUPT;
		return STEP_NEXT;
	case 0x05:	/* MI_ARB_CHECK */
		return STEP_ARB;
	case 0x08:	/* MI_ARB_ON_OFF */
		e->arb_on = dw[0] & 1;
		return STEP_NEXT;
	case 0x0a:	/* MI_BATCH_BUFFER_END (a no-op in the ring) */
		bb_end(e, false);
		return STEP_NEXT;
	case 0x1a:	/* MI_MATH */
		return exec_math(e, dw, len) ? STEP_HANG : STEP_NEXT;
	case 0x1c:	/* MI_SEMAPHORE_WAIT */
		r = exec_semaphore(e, dw);
		return r < 0 ? STEP_HANG : r ? STEP_NEXT : STEP_WAIT;
	case 0x20:	/* MI_STORE_DATA_IMM: dword (4) or qword (5) */
		if (len == 5)
			r = mem_write64(e, !ggtt, addr48(dw[1], dw[2], 2),
					dw[3] | (uint64_t)dw[4] << 32);
		else
			r = mem_write32(e, !ggtt, addr48(dw[1], dw[2], 2), dw[3]);
		return r ? STEP_HANG : STEP_NEXT;
	case 0x21:	/* MI_STORE_DATA_INDEX: into the status page */
		if (len == 4)
			r = mem_write64(e, false, hws_addr(e, dw[1]),
					dw[2] | (uint64_t)dw[3] << 32);
		else
			r = mem_write32(e, false, hws_addr(e, dw[1]), dw[2]);
		return r ? STEP_HANG : STEP_NEXT;
	case 0x22:	/* MI_LOAD_REGISTER_IMM */
		return exec_lri(e, dw, len) ? STEP_HANG : STEP_NEXT;
	case 0x24:	/* MI_STORE_REGISTER_MEM */
		if (!reg_ok(e, dw[1] & 0x7ffffc))
			return STEP_HANG;
		return mem_write32(e, !ggtt, addr48(dw[2], dw[3], 2),
				   reg_read(e, dw[1] & 0x7ffffc)) ?
			       STEP_HANG : STEP_NEXT;
	case 0x26:	/* MI_FLUSH_DW */
		if (dw[0] & (1u << 8))
			e->events |= GVT_PGPU_EV_FLUSH_DW_NOTIFY;
		r = post_sync(e, (dw[0] >> 14) & 3, dw[1] & (1u << 2),
			      dw[0] & (1u << 21), addr48(dw[1], dw[2], 3),
			      dw[3] | (len == 5 ? (uint64_t)dw[4] << 32 : 0),
			      len == 5);
		return r ? STEP_HANG : STEP_NEXT;
	case 0x29:	/* MI_LOAD_REGISTER_MEM */
		if (!reg_ok(e, dw[1] & 0x7ffffc) ||
		    mem_read32(e, !ggtt, addr48(dw[2], dw[3], 2), &v))
			return STEP_HANG;
		if (!nonpriv_denied(e, dw[1] & 0x7ffffc))
			reg_write(e, dw[1] & 0x7ffffc, v);
		return STEP_NEXT;
	case 0x2a:	/* MI_LOAD_REGISTER_REG */
		if (!reg_ok(e, dw[1] & 0x7ffffc) || !reg_ok(e, dw[2] & 0x7ffffc))
			return STEP_HANG;
		if (!nonpriv_denied(e, dw[2] & 0x7ffffc))
			reg_write(e, dw[2] & 0x7ffffc, reg_read(e, dw[1] & 0x7ffffc));
		return STEP_NEXT;
	case 0x2e:	/* MI_COPY_MEM_MEM: bit 22 source GGTT, 21 dest GGTT */
		if (mem_read32(e, !ggtt, addr48(dw[3], dw[4], 2), &v) ||
		    mem_write32(e, !use_ggtt(e, dw[0] & (1u << 21)),
				addr48(dw[1], dw[2], 2), v))
			return STEP_HANG;
		return STEP_NEXT;
	case 0x31:	/* MI_BATCH_BUFFER_START */
		return exec_bb_start(e, dw) ? STEP_HANG : STEP_NEXT;
	case 0x36:	/* MI_CONDITIONAL_BATCH_BUFFER_END */
		if (mem_read32(e, !ggtt, addr48(dw[2], dw[3], 3), &v))
			return STEP_HANG;
		if (dw[0] & (1u << 19)) {	/* mask mode: mask in the next dword */
			uint32_t mask;

			if (mem_read32(e, !ggtt, addr48(dw[2], dw[3], 3) + 4, &mask))
				return STEP_HANG;
			v &= mask;
		}
		/* Gen9 ends the whole batch (both levels) when memory is
		 * not above the inline data. */
		if (v <= dw[1])
			bb_end(e, true);
		return STEP_NEXT;
	default:	/* decoded and skipped: docs/sim-gpu.md lists them */
		return STEP_NEXT;
	}
}

static int exec_pipe_control(struct sim_engine *e, const uint32_t *dw)
{
	if (dw[1] & (1u << 8))
		e->events |= GVT_PGPU_EV_PIPE_CONTROL_NOTIFY;
	return post_sync(e, (dw[1] >> 14) & 3, dw[1] & (1u << 24),
			 dw[1] & (1u << 21), addr48(dw[2], dw[3], 2),
			 dw[4] | (uint64_t)dw[5] << 32, true) ?
		       STEP_HANG : STEP_NEXT;
}

/* ---- the command streamer ---- */

/* The GPU address of dword @i of the command at the engine's head. */
static uint64_t cmd_dword_addr(const struct sim_engine *e, uint32_t i)
{
	if (e->level)
		return e->bb[e->level - 1].addr + 4ull * i;
	if (e->wa_phase)
		return e->wa_addr + 4ull * i;
	return e->ring_start + (e->head + 4ull * i) % e->ring_size;
}

static void advance(struct sim_engine *e, uint32_t len)
{
	if (e->level) {
		e->bb[e->level - 1].addr += 4ull * len;
		return;
	}
	if (e->wa_phase) {
		e->wa_addr += 4ull * len;
		return;
	}
	e->head += 4 * len;
	if (e->head >= e->ring_size) {
		e->head -= e->ring_size;
		e->wraps = (e->wraps + 1) & 0x7ff;
	}
}

static int step(struct sim_engine *e)
{
	uint32_t dw[SIM_CMD_MAX], len, n;
	const struct gvt_cmd_desc *d;
	struct sim_bb saved_bb[2];
	uint32_t saved_head = e->head, saved_wraps = e->wraps;
	uint64_t saved_wa_addr = e->wa_addr;
	unsigned int saved_level = e->level;
	uint8_t *host;
	int r;

	e->cmd_name = NULL;
	e->cmd_ppgtt = e->level && e->bb[e->level - 1].ppgtt;
	e->cmd_addr = cmd_dword_addr(e, 0);
	if (mem_read32(e, e->cmd_ppgtt, e->cmd_addr, &dw[0]))
		return STEP_HANG;
	d = gvt_cmd_find(e->id, dw[0]);
	if (!d) {
		sim_engine_hang(e, "header 0x%08x is not a command of the %s engine",
				dw[0], e->sim->platform->engines[e->id].name);
		return STEP_HANG;
	}
	e->cmd_name = d->name;
	len = d->len_bits ? (dw[0] & ((1u << d->len_bits) - 1)) + d->len_bias :
			    d->len_bias;
	if (len < d->min_len || len > d->max_len) {
		sim_engine_hang(e, "length %u dwords, valid %u to %u", len,
				d->min_len, d->max_len);
		return STEP_HANG;
	}
	if (!e->level && e->wa_phase) {
		if (4ull * len > e->wa_end - e->wa_addr) {
			sim_engine_hang(e, "its %u dwords run past the end of the indirect context batch at GGTT 0x%llx",
					len, (unsigned long long)e->wa_end);
			return STEP_HANG;
		}
	} else if (!e->level &&
		   4 * len > (e->tail + e->ring_size - e->head) % e->ring_size) {
		sim_engine_hang(e, "its %u dwords run past RING_TAIL 0x%x", len,
				e->tail);
		return STEP_HANG;
	}
	/* Only commands the engine executes are short enough to read;
	 * longer ones are skipped, once their last dword is known mapped. */
	n = len < SIM_CMD_MAX ? len : 1;
	for (uint32_t i = 1; i < n; i++)
		if (mem_read32(e, e->cmd_ppgtt, cmd_dword_addr(e, i), &dw[i]))
			return STEP_HANG;
	if (n < len && sim_engine_xlate(e, e->cmd_ppgtt,
					cmd_dword_addr(e, len - 1), false, &host))
		return STEP_HANG;

	memcpy(saved_bb, e->bb, sizeof(saved_bb));
	advance(e, len);
	switch (dw[0] >> 29) {
	case 0:
		r = exec_mi(e, dw, len);
		break;
	case 2:
		r = e->id == GVT_BCS ? sim_blt_exec(e, dw, len) : 1;
		r = r < 0 ? STEP_HANG : r == 0 ? STEP_HEAVY :
		    r == 2 ? STEP_PART : STEP_NEXT;
		break;
	case 3:
		r = (dw[0] & 0xffff0000u) == 0x7a000000u ?
			    exec_pipe_control(e, dw) : STEP_NEXT;
		break;
	default:
		r = STEP_NEXT;
		break;
	}
	if (r != STEP_PART)
		e->blt_partial = false;
	/* A wait and an unfinished blit stay on their command; a hang leaves
	 * the head on the command that hung, as the error capture wants it. */
	if (r == STEP_WAIT || r == STEP_PART || r == STEP_HANG) {
		e->head = saved_head;
		e->wraps = saved_wraps;
		e->wa_addr = saved_wa_addr;
		e->level = saved_level;
		memcpy(e->bb, saved_bb, sizeof(saved_bb));
	}
	return r;
}

/* Preemption waits for arbitration to be on, for the context's workaround
 * batches to be done (the saved image has no place for them) and for a blit
 * drawn in steps to finish. */
static bool can_preempt(const struct sim_engine *e)
{
	return e->preempt && e->arb_on && !e->wa_phase && !e->blt_partial;
}

static int run(struct sim_engine *e, uint64_t budget_ns, uint64_t start,
	       uint64_t *commands)
{
	unsigned int since_clock = 0, waits = 0;

	for (;;) {
		int r;

		if (e->hang[0])
			return GVT_PGPU_HUNG;
		if (!e->level && e->wa_phase)
			wa_advance(e);
		if (!e->level && !e->wa_phase && e->head == e->tail)
			return GVT_PGPU_DONE;
		/* Between ring commands is an arbitration point; inside a
		 * blit is not. */
		if (!e->level && can_preempt(e))
			return GVT_PGPU_PREEMPTED;
		r = step(e);
		if (r == STEP_HANG)
			return GVT_PGPU_HUNG;
		if (r == STEP_WAIT) {
			/* A semaphore wait can be preempted, or it can give
			 * the rest of the budget back after a few looks. */
			if (can_preempt(e))
				return GVT_PGPU_PREEMPTED;
			if (++waits >= SIM_SEM_RECHECKS)
				return GVT_PGPU_RUNNING;
			continue;
		}
		(*commands)++;
		if (r == STEP_ARB && can_preempt(e))
			return GVT_PGPU_PREEMPTED;
		if (r == STEP_HEAVY || r == STEP_PART ||
		    ++since_clock >= SIM_CLOCK_EVERY) {
			since_clock = 0;
			if (now_ns() - start >= budget_ns)
				return GVT_PGPU_RUNNING;
		}
	}
}

void sim_engine_poll(void *pgpu, unsigned int engine, uint64_t budget_ns,
		     struct gvt_pgpu_poll *out)
{
	struct sim_engine *e = engine_of(pgpu, engine);
	uint64_t start, ns;

	memset(out, 0, sizeof(*out));
	if (!e || !e->loaded) {
		out->state = GVT_PGPU_IDLE;
		return;
	}
	start = now_ns();
	out->state = run(e, budget_ns, start, &out->commands);
	ns = now_ns() - start;
	out->busy_ns = ns;
	out->events = e->events;
	e->events = 0;
	e->ctx_ts += ns * (SIM_TIMESTAMP_HZ / 1000000) / 1000;
	if (out->state == GVT_PGPU_RUNNING)
		return;
	if (out->state == GVT_PGPU_HUNG)
		snprintf(out->why, sizeof(out->why), "%s", e->hang);
	if (e->wa_phase) {
		/* Hung in a workaround batch: the image keeps its own
		 * batch state, not the workaround's. */
		e->level = e->resume_level;
		memcpy(e->bb, e->resume_bb, sizeof(e->bb));
		e->wa_phase = SIM_WA_NONE;
	}
	ctx_save(e);
	e->loaded = false;
	e->preempt = false;
}

void sim_engine_preempt(void *pgpu, unsigned int engine)
{
	struct sim_engine *e = engine_of(pgpu, engine);

	if (e && e->loaded)
		e->preempt = true;
}

void sim_engine_reset(void *pgpu, unsigned int engine)
{
	struct sim_engine *e = engine_of(pgpu, engine);

	if (!e)
		return;
	e->loaded = false;
	e->preempt = false;
	e->level = 0;
	e->bb[0].active = false;
	e->bb[1].active = false;
	e->wa_phase = SIM_WA_NONE;
	e->per_ctx_pending = false;
	e->blt_partial = false;
	e->hang[0] = '\0';
	e->events = 0;
}
