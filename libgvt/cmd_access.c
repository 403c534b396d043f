// SPDX-License-Identifier: MIT
/*
 * Which registers GPU commands may touch on a vGPU's behalf: the operands
 * of MI_LOAD_REGISTER_IMM/REG/MEM, MI_STORE_REGISTER_MEM, register-polling
 * semaphores and PIPE_CONTROL's register post-sync write.
 *
 * The start is GVT-g's F_CMD_ACCESS marking in the register table. Added to
 * it: registers real Gen9 drivers program from their batches that i915's
 * own command parser allows (indirect-draw and dispatch parameters,
 * predicates, the general-purpose registers MI_MATH works on, L3
 * configuration). Taken out of it, whatever the table says: every register
 * through which a command could make an engine fetch or write memory
 * libgvt did not check (those the table marks as holding a graphics
 * address among them), or reach the host's interrupt, reset, forcewake,
 * fence or GGTT machinery. A refusal names which of those it hit.
 */
#include <errno.h>
#include <stdlib.h>

#include "cmd_parser.h"
#include "private.h"
#include "reg.h"

/* RING_FORCE_TO_NONPRIV: 12 dwords from each engine's base + 0x4d0. */
#define FORCE_NONPRIV_OFFSET 0x4d0
#define FORCE_NONPRIV_SIZE 0x30

struct reg_range {
	uint32_t offset;	/* bytes; per-engine rows: from the engine's base */
	uint32_t size;		/* bytes */
	const char *why;	/* deny rows: what the register is */
};

/* Per engine, added: the engine's general-purpose registers (16 x 64 bit)
 * and its context timestamp. */
static const struct reg_range engine_allow[] = {
	{ 0x600, 0x80, NULL },		/* CS_GPR0..15 */
	{ 0x3a8, 0x4, NULL },		/* CTX_TIMESTAMP */
};

/* Render engine, added (absolute offsets). */
static const struct reg_range allow[] = {
	{ 0x2214, 0x4, NULL },		/* MI_PREDICATE_RESULT_2 */
	{ 0x2400, 0x20, NULL },		/* MI_PREDICATE_SRC0/SRC1/DATA/RESULT/RESULT_1 */
	{ 0x2420, 0x4, NULL },		/* 3DPRIM_END_OFFSET */
	{ 0x2430, 0x14, NULL },		/* 3DPRIM_START_VERTEX .. BASE_VERTEX */
	{ 0x2500, 0xc, NULL },		/* GPGPU_DISPATCHDIMX/Y/Z */
	{ 0x7034, 0x4, NULL },		/* L3CNTLREG */
};

/* Per engine, refused whatever the table says. */
static const struct reg_range engine_deny[] = {
	{ 0x030, 0x10, "a ring buffer register: the engine would fetch commands libgvt never scanned" },
	{ 0x080, 0x4, "the status page address: the GPU would write to a page of the guest's choosing" },
	{ 0x0a8, 0x4, "an engine interrupt mask" },
	{ 0x0d0, 0x4, "the engine reset control" },
	{ 0x140, 0x8, "the batch address: the engine would fetch commands libgvt never scanned" },
	{ 0x168, 0x4, "the batch address: the engine would fetch commands libgvt never scanned" },
	{ 0x230, 0xc, "an execlist submission register" },
	{ 0x244, 0x4, "the context control register" },
	{ 0x270, 0x20, "a PPGTT root: only libgvt's shadow page tables may be roots" },
	{ 0x29c, 0x4, "the engine's submission mode" },
	{ 0x370, 0x34, "the context status buffer" },
	/* LRI may still write one with a value naming an allowed register
	 * (cmd_parser.c); LRM and LRR, whose values are not seen, never. */
	{ FORCE_NONPRIV_OFFSET, FORCE_NONPRIV_SIZE,
	  "a non-privileged whitelist entry, which outlives the workload" },
};

/* Refused whatever the table says (absolute offsets). */
static const struct reg_range deny[] = {
	{ 0x0d84, 0x8, "a forcewake acknowledgement" },
	{ 0x941c, 0x4, "the GPU reset register" },
	{ 0xa188, 0x4, "a forcewake register" },
	{ 0xa270, 0x4, "a forcewake register" },
	{ 0xa278, 0x4, "a forcewake register" },
	{ 0x44200, 0x4, "the master interrupt control" },
	{ 0x44300, 0x40, "a GT interrupt register" },
	{ 0x44400, 0x100, "a display interrupt register" },
	{ 0x78000, 0x1000, "PVINFO, the page libgvt and the guest share" },
	{ 0xc4000, 0x20, "a south display interrupt register" },
	{ 0x100000, 0x100, "a fence register" },
	{ 0x101008, 0x4, "the GGTT flush control" },
	{ 0x130044, 0x4, "a forcewake acknowledgement" },
};

/* Every engine base a command could name, the second video engine's too
 * (absent on GT2, but its registers are no less the host's). */
static const uint32_t engine_bases[] = {
	RENDER_RING_BASE, BLT_RING_BASE, GEN6_BSD_RING_BASE, VEBOX_RING_BASE,
	GEN8_BSD2_RING_BASE,
};


static void set_range(uint64_t *bits, uint32_t offset, uint32_t size,
		      bool on)
{
	for (uint32_t off = offset; off < offset + size && off < GVT_MMIO_SIZE;
	     off += 4) {
		uint64_t bit = 1ull << ((off >> 2) & 63);

		if (on)
			bits[off >> 8] |= bit;
		else
			bits[off >> 8] &= ~bit;
	}
}

int gvt_cmd_access_init(struct gvt_ctx *ctx)
{
	uint64_t *bits = calloc(GVT_MMIO_SIZE / 4 / 64, sizeof(uint64_t));

	if (!bits)
		return -ENOMEM;
	/* A register whose value is a graphics address would point the GPU
	 * at memory no rule checked: never a command's, whatever the table
	 * marks it. */
	for (uint32_t dw = 0; dw < GVT_MMIO_SIZE / 4; dw++)
		if ((ctx->mmio.attr[dw].flags & (F_CMD_ACCESS | F_GMADR)) ==
		    F_CMD_ACCESS)
			bits[dw >> 6] |= 1ull << (dw & 63);
	for (size_t i = 0; i < ARRAY_SIZE(allow); i++)
		set_range(bits, allow[i].offset, allow[i].size, true);
	for (size_t e = 0; e < ARRAY_SIZE(engine_bases); e++)
		for (size_t i = 0; i < ARRAY_SIZE(engine_allow); i++)
			set_range(bits, engine_bases[e] + engine_allow[i].offset,
				  engine_allow[i].size, true);
	/* Denials last: they win over the table and the additions. */
	for (size_t e = 0; e < ARRAY_SIZE(engine_bases); e++)
		for (size_t i = 0; i < ARRAY_SIZE(engine_deny); i++)
			set_range(bits, engine_bases[e] + engine_deny[i].offset,
				  engine_deny[i].size, false);
	for (size_t i = 0; i < ARRAY_SIZE(deny); i++)
		set_range(bits, deny[i].offset, deny[i].size, false);
	ctx->cmd_reg_ok = bits;
	return 0;
}

void gvt_cmd_access_fini(struct gvt_ctx *ctx)
{
	free(ctx->cmd_reg_ok);
	ctx->cmd_reg_ok = NULL;
}

static bool in_range(const struct reg_range *r, uint32_t base, uint32_t off)
{
	return off >= base + r->offset && off < base + r->offset + r->size;
}

bool gvt_cmd_reg_is_force_nonpriv(uint32_t offset)
{
	for (size_t e = 0; e < ARRAY_SIZE(engine_bases); e++)
		if (offset - (engine_bases[e] + FORCE_NONPRIV_OFFSET) <
		    FORCE_NONPRIV_SIZE)
			return true;
	return false;
}

const char *gvt_cmd_reg_refusal(const struct gvt_cmd_policy *policy,
				uint32_t offset)
{
	if (offset >= GVT_MMIO_SIZE)
		return "outside the register range (the GGTT and beyond are never a command's)";
	for (size_t i = 0; i < ARRAY_SIZE(deny); i++)
		if (in_range(&deny[i], 0, offset))
			return deny[i].why;
	for (size_t e = 0; e < ARRAY_SIZE(engine_bases); e++)
		for (size_t i = 0; i < ARRAY_SIZE(engine_deny); i++)
			if (in_range(&engine_deny[i], engine_bases[e], offset))
				return engine_deny[i].why;
	if (policy->attr && (policy->attr[offset >> 2].flags & F_GMADR))
		return "its value is a graphics address: the GPU would use memory no rule checked";
	return NULL;
}
