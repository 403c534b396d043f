// SPDX-License-Identifier: MIT
/*
 * The command scanner: decode every command of a ring or batch buffer at
 * its real length, audit the ones that could reach outside the vGPU, and
 * copy what the GPU will run into shadow buffers in the same pass.
 *
 * Why the shape:
 * - Decoding is one load from a per-engine array indexed by the header's
 *   top 16 bits, holding exactly what sizing a command needs (length mask,
 *   bias, valid range, audit class). Commands with nothing to audit never
 *   leave the tight loop; everything else (MI_NOOP runs, audits, control
 *   flow, errors) goes through one rarely-taken branch.
 * - Shadowing copies guest memory into the shadow first and scans the copy,
 *   never the guest's memory: what was checked is what the GPU runs, and a
 *   guest changing its buffer afterwards changes nothing. Copy and scan
 *   touch each page back to back, so the copy is still one pass.
 * - Control flow is followed in execution order (a batch a ring starts is
 *   scanned where the ring starts it). Each batch level grows in its own
 *   arena, so a first-level batch stays contiguous while the second-level
 *   batches it calls are being copied.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cmd_parser.h"
#include "private.h"

/* MI_BATCH_BUFFER_START, dword 0 */
#define BB_ASI_PPGTT		(1u << 8)
#define BB_RESOURCE_STREAMER	(1u << 10)
#define BB_PREDICATED		(1u << 15)
#define BB_ADD_OFFSET		(1u << 16)
#define BB_SECOND_LEVEL		(1u << 22)

/* "Use Global GTT" and friends, dword 0 of the MI commands that have it */
#define MI_USE_GGTT		(1u << 22)
#define SDI_QWORD		(1u << 21)
#define COPY_DST_GGTT		(1u << 21)
#define COND_BB_MASK_MODE	(1u << 19)
#define SEMA_REGISTER_POLL	(1u << 16)
#define ATOMIC_INLINE_DATA	(1u << 18)
#define FLUSH_DW_STORE_INDEX	(1u << 21)
#define FLUSH_DW_GGTT		(1u << 2)	/* dword 1 */

/* PIPE_CONTROL, dword 1 */
#define PC_STORE_DATA_INDEX	(1u << 21)
#define PC_LRI_POST_SYNC	(1u << 23)
#define PC_GGTT			(1u << 24)

#define POST_SYNC_OP(dw)	(((dw) >> 14) & 3u)
#define POST_SYNC_IMMEDIATE	1u
#define POST_SYNC_TIMESTAMP	3u

#define REG_OFFSET(dw)		((dw) & 0x7ffffcu)	/* bits 22:2 */
#define HWSP_BYTES		4096u
#define MI_BATCH_BUFFER_END_HDR	0x05000000u

/* The hot part of a command's description: what sizing it needs. */
struct cmd_hot {
	uint16_t len_mask;
	uint8_t len_bias;
	uint8_t audit;
	uint16_t min_len;
	uint16_t span;		/* max_len - min_len */
};

struct cmd_engine_table {
	struct cmd_hot hot[1u << 16];	/* by header >> 16 */
	uint16_t desc[1u << 16];	/* index into the table + 1; 0: unknown */
};

static const struct gvt_cmd_table *const built_table = &gvt_cmd_table_skl;
static struct cmd_engine_table *engine_tables[GVT_NUM_ENGINES];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static int tables_err;

uint32_t gvt_cmd_opcode_mask(uint32_t header)
{
	switch (header >> 29) {
	case 0:
		return 0xff800000u;	/* MI: opcode 28:23 */
	case 2:
		return 0xffc00000u;	/* 2D: opcode 28:22 */
	case 3:
		return 0xffff0000u;	/* GFXPIPE/media: 28:27, 26:24, 23:16 */
	default:
		return 0;
	}
}

/* The keys (header >> 16) a command's opcode covers. */
static void key_range(uint32_t opcode, uint32_t *first, uint32_t *last)
{
	uint32_t free_bits = ~gvt_cmd_opcode_mask(opcode) >> 16 & 0xffffu;

	*first = opcode >> 16;
	*last = *first | free_bits;
}

static void hot_from_desc(struct cmd_hot *h, const struct gvt_cmd_desc *d)
{
	h->len_mask = (uint16_t)(d->len_bits ? (1u << d->len_bits) - 1 : 0);
	h->len_bias = d->len_bias;
	/* A lone MI_NOOP needs nothing: the tight loop skips runs itself. */
	h->audit = d->audit == CMD_AUDIT_NOOP ? CMD_AUDIT_NONE : d->audit;
	h->min_len = d->min_len;
	h->span = (uint16_t)(d->max_len - d->min_len);
}

static void build_tables(void)
{
	const struct gvt_cmd_table *t = built_table;
	const struct cmd_hot unknown = {
		.len_mask = 0, .len_bias = 1, .audit = CMD_AUDIT_UNKNOWN,
		.min_len = 1, .span = 0,
	};

	for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++) {
		struct cmd_engine_table *et = calloc(1, sizeof(*et));

		if (!et) {
			tables_err = -ENOMEM;
			return;
		}
		for (uint32_t k = 0; k < (1u << 16); k++)
			et->hot[k] = unknown;
		for (size_t i = 0; i < t->count; i++) {
			const struct gvt_cmd_desc *d = &t->descs[i];
			uint32_t first, last;

			if (!(d->engines & (1u << e)))
				continue;
			key_range(d->opcode, &first, &last);
			for (uint32_t k = first; k <= last; k++) {
				hot_from_desc(&et->hot[k], d);
				et->desc[k] = (uint16_t)(i + 1);
			}
		}
		engine_tables[e] = et;
	}
}

static const struct cmd_engine_table *tables_get(enum gvt_engine_id engine)
{
	pthread_once(&tables_once, build_tables);
	if (tables_err || (unsigned int)engine >= GVT_NUM_ENGINES)
		return NULL;
	return engine_tables[engine];
}

const struct gvt_cmd_desc *gvt_cmd_find(enum gvt_engine_id engine,
					uint32_t header)
{
	const struct cmd_engine_table *et = tables_get(engine);
	uint16_t idx;

	if (!et)
		return NULL;
	idx = et->desc[header >> 16];
	return idx ? &built_table->descs[idx - 1] : NULL;
}

int gvt_cmd_table_check(const struct gvt_cmd_table *t, char *why,
			size_t why_len)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct gvt_cmd_desc *a = &t->descs[i];
		uint32_t mask = gvt_cmd_opcode_mask(a->opcode);
		uint32_t field_max = a->len_bits ? (1u << a->len_bits) - 1 : 0;

		if (!mask || (a->opcode & ~mask)) {
			snprintf(why, why_len, "%s: opcode 0x%08x has bits outside its type's opcode mask",
				 a->name, a->opcode);
			return -EINVAL;
		}
		if (a->min_len < 1 || a->min_len > a->max_len ||
		    a->min_len < a->len_bias ||
		    a->max_len > field_max + a->len_bias) {
			snprintf(why, why_len, "%s: lengths %u..%u do not fit its length field (%u bits, bias %u)",
				 a->name, a->min_len, a->max_len, a->len_bits,
				 a->len_bias);
			return -EINVAL;
		}
		if ((a->audit == CMD_AUDIT_REFUSE ||
		     a->audit == CMD_AUDIT_NOOP_OUT) && !a->why) {
			snprintf(why, why_len, "%s: refused or emulated without a reason",
				 a->name);
			return -EINVAL;
		}
		for (size_t j = i + 1; j < t->count; j++) {
			const struct gvt_cmd_desc *b = &t->descs[j];
			uint32_t a0, a1, b0, b1;

			if (!(a->engines & b->engines))
				continue;
			key_range(a->opcode, &a0, &a1);
			key_range(b->opcode, &b0, &b1);
			if (a0 <= b1 && b0 <= a1) {
				snprintf(why, why_len, "%s and %s share opcode 0x%08x on an engine",
					 a->name, b->name, a->opcode);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* ---- shadows ---- */

void gvt_cmd_shadow_init(struct gvt_cmd_shadow *sh)
{
	memset(sh, 0, sizeof(*sh));
}

void gvt_cmd_shadow_reset(struct gvt_cmd_shadow *sh)
{
	for (unsigned int l = 0; l < ARRAY_SIZE(sh->arena); l++)
		sh->arena[l].used = 0;
	sh->num_bufs = 0;
	sh->bytes = 0;
}

void gvt_cmd_shadow_fini(struct gvt_cmd_shadow *sh)
{
	for (unsigned int l = 0; l < ARRAY_SIZE(sh->arena); l++) {
		struct gvt_cmd_arena *a = &sh->arena[l];

		if (a->base)
			munmap(a->base, a->cap * sizeof(uint32_t));
	}
	free(sh->bufs);
	memset(sh, 0, sizeof(*sh));
}

/*
 * Address space, not memory: an arena reserves its level's limit once and
 * is reused by every workload, so a big batch costs no reallocation (no
 * second copy) and pages stay warm from one workload to the next.
 */
static int arena_reserve(struct gvt_cmd_arena *a)
{
	void *p;

	if (a->base)
		return 0;
	p = mmap(NULL, GVT_CMD_MAX_SHADOW_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	a->base = p;
	a->cap = GVT_CMD_MAX_SHADOW_BYTES / sizeof(uint32_t);
	a->used = 0;
	return 0;
}

/* ---- the scan ---- */

enum scan_result {
	SCAN_ACCEPT = 0,
	SCAN_REFUSE = 1,
};

/* The buffer being scanned and the position in it. */
struct cursor {
	int buf;		/* index into the scan's buffer list */
	uint32_t *shadow;	/* the copy (copy mode), else NULL */
	const uint32_t *p;	/* dwords being decoded */
	uint32_t ip;		/* next command */
	uint32_t n;		/* dwords at hand */
	uint32_t limit;		/* dwords the buffer may grow to */
	bool growable;		/* a batch: fetch more when needed */
	uint64_t fetch_gma;	/* next address to fetch */
	uint32_t chunk;		/* next fetch size, bytes */
	unsigned int group;	/* chain group: buffers one chain went through */
	struct worklist *chain;	/* where a chain's targets queue */
};

/* Buffers of one chain group still to scan, in order. */
struct worklist {
	int *bi;
	unsigned int num;
	unsigned int cap;
};

static int worklist_push(struct worklist *wl, int bi)
{
	if (wl->num == wl->cap) {
		unsigned int ncap = wl->cap ? wl->cap * 2 : 8;
		int *n = realloc(wl->bi, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		wl->bi = n;
		wl->cap = ncap;
	}
	wl->bi[wl->num++] = bi;
	return 0;
}

/* The buffer list: the shadow's, or the scan's own when scanning in place. */
static struct gvt_cmd_shadow *list_of(struct gvt_cmd_scan *s)
{
	return s->shadow ? s->shadow : &s->listed;
}

static struct gvt_cmd_buffer *buf_at(struct gvt_cmd_scan *s, int i)
{
	return &list_of(s)->bufs[i];
}

/*
 * Chain groups: the buffers one chain went through. Kept beside the list,
 * by buffer: its group and the group's previous buffer, so that a cycle
 * check walks only the chain's recent buffers.
 */
struct scan_ctx {
	struct gvt_cmd_scan *s;
	const struct cmd_engine_table *et;
	unsigned int *group_of;		/* by buffer */
	int *prev_in_group;		/* by buffer; -1: first of its group */
	int *group_last;		/* by group: its latest buffer */
	unsigned int cap_group;
	unsigned int next_group;
	uint64_t commands;
};

/* How far back along a chain a loop's target is looked for. A longer loop
 * is scanned as new buffers, round after round, until GVT_CMD_MAX_BUFFERS
 * refuses it. */
#define LOOP_LOOKBACK 64

uint64_t gvt_cmd_buffer_gma(const struct gvt_cmd_buffer *b, uint32_t at)
{
	if (b->wrap_at && at >= b->wrap_at)
		return b->wrap_gma + (uint64_t)(at - b->wrap_at) * 4;
	return b->gma + (uint64_t)at * 4;
}

static int set_refusal(struct gvt_cmd_verdict *v, const char *command,
		       const char *rule, const char *fmt, va_list ap)
{
	v->refused = 1;
	snprintf(v->command, sizeof(v->command), "%s", command);
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	return SCAN_REFUSE;
}

__attribute__((format(printf, 6, 7)))
static int refuse(struct scan_ctx *sc, const struct cursor *c, uint32_t at,
		  const char *command, const char *rule, const char *fmt, ...)
{
	struct gvt_cmd_verdict *v = &sc->s->verdict;
	const struct gvt_cmd_buffer *b = buf_at(sc->s, c->buf);
	va_list ap;

	v->ppgtt = b->ppgtt;
	v->level = b->level;
	v->gma = gvt_cmd_buffer_gma(b, at);
	v->header = at < c->n ? c->p[at] : 0;
	va_start(ap, fmt);
	set_refusal(v, command, rule, fmt, ap);
	va_end(ap);
	return SCAN_REFUSE;
}

/* A refusal found before any buffer exists (a ring that is malformed). */
__attribute__((format(printf, 5, 6)))
static int refuse_early(struct gvt_cmd_scan *s, uint64_t gma,
			unsigned int level, const char *rule,
			const char *fmt, ...)
{
	va_list ap;

	s->verdict.gma = gma;
	s->verdict.level = level;
	va_start(ap, fmt);
	set_refusal(&s->verdict, "-", rule, fmt, ap);
	va_end(ap);
	return SCAN_REFUSE;
}

static int grow_groups(struct scan_ctx *sc, unsigned int cap)
{
	unsigned int *g = realloc(sc->group_of, cap * sizeof(*g));
	int *prev, *last;

	if (!g)
		return -ENOMEM;
	sc->group_of = g;
	prev = realloc(sc->prev_in_group, cap * sizeof(*prev));
	if (!prev)
		return -ENOMEM;
	sc->prev_in_group = prev;
	last = realloc(sc->group_last, cap * sizeof(*last));
	if (!last)
		return -ENOMEM;
	sc->group_last = last;
	sc->cap_group = cap;
	return 0;
}

static int add_buffer(struct scan_ctx *sc, const struct gvt_cmd_buffer *nb)
{
	struct gvt_cmd_shadow *l = list_of(sc->s);
	int ret;

	if (l->num_bufs == l->cap_bufs) {
		unsigned int ncap = l->cap_bufs ? l->cap_bufs * 2 : 16;
		struct gvt_cmd_buffer *nbufs =
			realloc(l->bufs, ncap * sizeof(*nbufs));

		if (!nbufs)
			return -ENOMEM;
		l->bufs = nbufs;
		l->cap_bufs = ncap;
	}
	if (l->num_bufs >= sc->cap_group) {
		ret = grow_groups(sc, l->cap_bufs);
		if (ret)
			return ret;
	}
	l->bufs[l->num_bufs] = *nb;
	return (int)l->num_bufs++;
}

/* Put buffer @bi at the end of chain group @group (a new group: -1). */
static void join_group(struct scan_ctx *sc, int bi, int group)
{
	if (group < 0) {
		group = (int)sc->next_group++;
		sc->prev_in_group[bi] = -1;
	} else {
		sc->prev_in_group[bi] = sc->group_last[group];
	}
	/* Groups never outnumber buffers: group_last has room. */
	sc->group_of[bi] = (unsigned int)group;
	sc->group_last[group] = bi;
}

/*
 * Make at least @need dwords from the buffer's start available: copy more
 * of a batch into its shadow (copy mode) or map more of it (in place).
 * Returns 0, SCAN_REFUSE, -ENODATA when the memory is not at hand (the
 * buffer ends there) or -errno.
 */
static int fetch_more(struct scan_ctx *sc, struct cursor *c, uint32_t need)
{
	struct gvt_cmd_scan *s = sc->s;
	const struct gvt_cmd_buffer *b = buf_at(s, c->buf);
	int ret;

	if (!c->growable)
		return -ENODATA;
	if (need > c->limit)
		return refuse(sc, c, c->ip, "-", "bb-size",
			      "a level-%u batch may hold at most %u MiB of commands in one workload",
			      b->level, GVT_CMD_MAX_SHADOW_BYTES >> 20);
	if (!s->shadow) {
		size_t avail = 0;
		const void *p = s->mem.map(s->mem.opaque, b->ppgtt, b->gma,
					   &avail);

		if (!p || avail / 4 <= c->n)
			return -ENODATA;
		c->p = p;
		c->n = avail / 4 > c->limit ? c->limit : (uint32_t)(avail / 4);
		return c->n < need ? -ENODATA : 0;
	}
	while (c->n < need) {
		uint32_t page_left = 4096 - (uint32_t)(c->fetch_gma & 4095);
		uint32_t room = (c->limit - c->n) * 4;
		uint32_t bytes = c->chunk;

		/* First to the page's end, then growing chunks: small batches
		 * copy little past their end, big ones are copied in few calls. */
		if (c->n == 0)
			bytes = page_left;
		else if (c->chunk < (256u << 10))
			c->chunk *= 2;
		if (bytes > room)
			bytes = room;
		ret = s->mem.read(s->mem.opaque, b->ppgtt, c->fetch_gma,
				  c->shadow + c->n, bytes);
		/* A chunk may reach pages past the batch's end that are not
		 * mapped: only a fault on the very next page is the guest's. */
		if (ret == -EFAULT && bytes > page_left) {
			bytes = page_left;
			ret = s->mem.read(s->mem.opaque, b->ppgtt, c->fetch_gma,
					  c->shadow + c->n, bytes);
		}
		if (ret == -ENODATA)
			return -ENODATA;
		if (ret)
			return refuse(sc, c, c->ip, "-", "memory",
				      "the batch's memory at %s 0x%llx is not the vGPU's",
				      b->ppgtt ? "PPGTT" : "GGTT",
				      (unsigned long long)c->fetch_gma);
		c->n += bytes / 4;
		c->fetch_gma += bytes;
		s->shadow->bytes += bytes;
	}
	return 0;
}

static bool ggtt_in_vgpu(const struct gvt_cmd_policy *pol, uint64_t addr,
			 uint64_t size)
{
	if (addr + size < addr)
		return false;
	for (unsigned int i = 0; i < pol->num_gm; i++)
		if (addr >= pol->gm[i].start && addr + size <= pol->gm[i].end)
			return true;
	return false;
}

/* 1 if commands may not touch the register at @off (bits 22:2 of an
 * operand), without a branch: the tight loop ORs these together. */
static inline uint32_t reg_denied(const uint64_t *bits, uint32_t off)
{
	uint32_t dw = (off & (GVT_MMIO_SIZE - 1)) >> 2;

	return (off >> 21) | (uint32_t)(~bits[dw >> 6] >> (dw & 63) & 1);
}

static inline bool reg_ok(const struct gvt_cmd_policy *pol, uint32_t off)
{
	return !reg_denied(pol->reg_ok, off);
}

static int check_reg(struct scan_ctx *sc, const struct cursor *c,
		     const struct gvt_cmd_desc *d, uint32_t off,
		     const char *role)
{
	const struct gvt_cmd_policy *pol = sc->s->policy;
	const char *why;

	if (reg_ok(pol, off))
		return 0;
	why = gvt_cmd_reg_refusal(pol, off);
	return refuse(sc, c, c->ip, d->name, "register",
		      "%s register 0x%x: %s", role, off,
		      why ? why : "not a register commands may touch");
}

static int check_ggtt(struct scan_ctx *sc, const struct cursor *c,
		      const struct gvt_cmd_desc *d, uint64_t addr,
		      uint64_t size, const char *role)
{
	if (ggtt_in_vgpu(sc->s->policy, addr, size))
		return 0;
	return refuse(sc, c, c->ip, d->name, "ggtt-range",
		      "%s %llu bytes at GGTT 0x%llx, outside the vGPU's graphics memory",
		      role, (unsigned long long)size, (unsigned long long)addr);
}

static int check_index(struct scan_ctx *sc, const struct cursor *c,
		       const struct gvt_cmd_desc *d, uint32_t index,
		       uint32_t size)
{
	if (index + size <= HWSP_BYTES)
		return 0;
	return refuse(sc, c, c->ip, d->name, "hwsp-index",
		      "writes %u bytes at status-page index 0x%x, past the page's %u bytes",
		      size, index, HWSP_BYTES);
}

static inline uint64_t addr64(const uint32_t *cmd, unsigned int i,
			      uint64_t low_mask)
{
	return ((uint64_t)cmd[i] | (uint64_t)cmd[i + 1] << 32) & low_mask &
	       0x0000ffffffffffffull;
}

/*
 * A blit surface: the bytes it spans, from its base, over the pixels
 * [x1, x2) x [y1, y2) at @cpp bytes each. Linear: @pitch bytes a row,
 * signed. Tiled: X tiles (512 B x 8 rows) or Y tiles (128 B x 32 rows) of
 * 4 KiB, row-major, @pitch bytes a row of tiles' rows; BCS_SWCTRL picks X
 * or Y when the command runs, so both are covered. Columns past the pitch
 * spill into the next tiles, as the GPU addresses them.
 */
struct blt_extent {
	int64_t lo, hi;		/* [lo, hi) from the base */
};

static struct blt_extent blt_tiled(uint64_t pitch, uint32_t xb2, uint32_t y1,
				   uint32_t y2, uint32_t tile_w, uint32_t tile_h)
{
	uint64_t per_row = pitch / tile_w;

	return (struct blt_extent){
		.lo = (int64_t)((y1 / tile_h) * per_row * 4096),
		.hi = (int64_t)(((y2 - 1) / tile_h * per_row +
				 (xb2 - 1) / tile_w + 1) * 4096),
	};
}

static struct blt_extent blt_surface(bool tiled, int64_t pitch, uint32_t cpp,
				     uint32_t x1, uint32_t y1, uint32_t x2,
				     uint32_t y2)
{
	uint32_t xb1 = x1 * cpp, xb2 = x2 * cpp;
	struct blt_extent e, ey;

	if (!tiled) {
		int64_t first = (int64_t)y1 * pitch, last = (int64_t)(y2 - 1) * pitch;

		e.lo = (first < last ? first : last) + xb1;
		e.hi = (first < last ? last : first) + xb2;
		return e;
	}
	e = blt_tiled((uint64_t)pitch, xb2, y1, y2, 512, 8);
	ey = blt_tiled((uint64_t)pitch, xb2, y1, y2, 128, 32);
	e.lo = e.lo < ey.lo ? e.lo : ey.lo;
	e.hi = e.hi > ey.hi ? e.hi : ey.hi;
	return e;
}

static int scan_group(struct scan_ctx *sc, int bi);

/* A blit's surface at @base, [@e.lo, @e.hi) from it, in the vGPU's GGTT. */
static int check_blt_surface(struct scan_ctx *sc, const struct cursor *c,
			     const struct gvt_cmd_desc *d, uint64_t base,
			     struct blt_extent e, const char *role)
{
	uint64_t at = base + (uint64_t)e.lo;

	if ((int64_t)base + e.lo < 0 || at > 0x0000ffffffffffffull)
		return refuse(sc, c, c->ip, d->name, "ggtt-range",
			      "its %s at GGTT 0x%llx reaches below 0 or past 48 bits",
			      role, (unsigned long long)base);
	return check_ggtt(sc, c, d, at, (uint64_t)(e.hi - e.lo), role);
}

/*
 * XY_COLOR_BLT, XY_SRC_COPY_BLT, XY_FAST_COPY_BLT in the ring or a GGTT
 * batch: the GPU draws them through the GGTT (docs/sim-gpu.md), so their
 * surfaces must lie in the vGPU's graphics memory. In a PPGTT batch they
 * go through the shadow PPGTT like any other address.
 */
static int audit_blt(struct scan_ctx *sc, const struct cursor *c,
		     const struct gvt_cmd_desc *d)
{
	static const uint32_t xy_cpp[4] = { 1, 2, 2, 4 };
	static const uint32_t fast_cpp[8] = { 1, 2, 8, 4, 8, 8, 8, 8 };
	const uint32_t *cmd = &c->p[c->ip];
	bool fast = (cmd[0] & 0xffc00000u) == 0x50800000u;
	bool copy = fast || (cmd[0] & 0xffc00000u) == 0x54c00000u;
	uint32_t x1 = cmd[2] & 0xffff, y1 = cmd[2] >> 16;
	uint32_t x2 = cmd[3] & 0xffff, y2 = cmd[3] >> 16;
	uint32_t sx = cmd[6] & 0xffff, sy = cmd[6] >> 16, cpp;
	bool dst_tiled, src_tiled;
	int64_t dpitch, spitch;
	int ret;

	if (buf_at(sc->s, c->buf)->ppgtt || x2 <= x1 || y2 <= y1)
		return 0;
	if (fast) {
		/* Depths the GPU does not draw are counted at the widest. */
		cpp = fast_cpp[(cmd[1] >> 24) & 7];
		dst_tiled = (cmd[0] >> 13) & 3;
		src_tiled = (cmd[0] >> 20) & 3;
	} else {
		cpp = xy_cpp[(cmd[1] >> 24) & 3];
		dst_tiled = cmd[0] & (1u << 11);
		src_tiled = cmd[0] & (1u << 15);
	}
	/* Tiled pitches are in dwords, linear ones signed bytes. */
	dpitch = dst_tiled ? (int64_t)(cmd[1] & 0xffff) * 4 : (int16_t)(cmd[1] & 0xffff);
	ret = check_blt_surface(sc, c, d, cmd[4] | (uint64_t)(cmd[5] & 0xffff) << 32,
				blt_surface(dst_tiled, dpitch, cpp, x1, y1, x2, y2),
				"destination");
	if (ret || !copy)
		return ret;
	spitch = src_tiled ? (int64_t)(cmd[7] & 0xffff) * 4 : (int16_t)(cmd[7] & 0xffff);
	return check_blt_surface(sc, c, d, cmd[8] | (uint64_t)(cmd[9] & 0xffff) << 32,
				 blt_surface(src_tiled, spitch, cpp, sx, sy,
					     sx + (x2 - x1), sy + (y2 - y1)),
				 "source");
}

/* Apply the rules of one command with operands to audit. */
static int audit_operands(struct scan_ctx *sc, struct cursor *c,
			  const struct gvt_cmd_desc *d, uint32_t len)
{
	const uint32_t *cmd = &c->p[c->ip];
	uint32_t dw0 = cmd[0];
	int ret = 0;

	switch (d->audit) {
	case CMD_AUDIT_REFUSE:
		return refuse(sc, c, c->ip, d->name, "forbidden", "%s", d->why);
	case CMD_AUDIT_NOOP_OUT:
		/* Emulated: the shadow runs MI_NOOPs in its place. */
		if (c->shadow)
			memset(&c->shadow[c->ip], 0, len * 4);
		return 0;
	case CMD_AUDIT_LRI:
		if ((len - 1) % 2)
			return refuse(sc, c, c->ip, d->name, "length",
				      "%u dwords do not make whole register-value pairs",
				      len);
		for (uint32_t i = 1; i < len && !ret; i += 2) {
			uint32_t off = REG_OFFSET(cmd[i]);

			/* A whitelist entry outlives the workload: it may only
			 * name a register commands may touch anyway. */
			if (gvt_cmd_reg_is_force_nonpriv(off) &&
			    reg_ok(sc->s->policy, cmd[i + 1] & 0x3fffffcu))
				continue;
			ret = check_reg(sc, c, d, off, "writes");
		}
		return ret;
	case CMD_AUDIT_LRR:
		ret = check_reg(sc, c, d, REG_OFFSET(cmd[1]), "reads");
		return ret ? ret : check_reg(sc, c, d, REG_OFFSET(cmd[2]), "writes");
	case CMD_AUDIT_LRM:
	case CMD_AUDIT_SRM:
		ret = check_reg(sc, c, d, REG_OFFSET(cmd[1]),
				d->audit == CMD_AUDIT_LRM ? "writes" : "reads");
		if (!ret && (dw0 & MI_USE_GGTT))
			ret = check_ggtt(sc, c, d, addr64(cmd, 2, ~3ull), 4,
					 d->audit == CMD_AUDIT_LRM ? "reads" : "writes");
		return ret;
	case CMD_AUDIT_SDI:
		if (!(dw0 & MI_USE_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 1, ~3ull),
				  (dw0 & SDI_QWORD) ? 8 : (len - 3) * 4, "writes");
	case CMD_AUDIT_SDX:
		return check_index(sc, c, d, cmd[1] & 0xffcu, (len - 2) * 4);
	case CMD_AUDIT_FLUSH_DW: {
		uint32_t op = POST_SYNC_OP(dw0);
		uint32_t size = op == POST_SYNC_TIMESTAMP ? 8 : (len - 3) * 4;

		if (!op)
			return 0;
		if (dw0 & FLUSH_DW_STORE_INDEX)
			return check_index(sc, c, d, cmd[1] & 0xff8u, size);
		if (!(cmd[1] & FLUSH_DW_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 1, ~7ull), size,
				  "post-sync writes");
	}
	case CMD_AUDIT_PIPE_CONTROL: {
		uint32_t dw1 = cmd[1];

		/* A register write may come with a memory write's bits set (the
		 * PRM leaves that undefined): both must then be safe. */
		if (dw1 & PC_LRI_POST_SYNC) {
			int ret2 = check_reg(sc, c, d, REG_OFFSET(cmd[2]),
					     "post-sync writes");

			if (ret2)
				return ret2;
		}
		if (!POST_SYNC_OP(dw1))
			return 0;
		if (dw1 & PC_STORE_DATA_INDEX)
			return check_index(sc, c, d, cmd[2] & 0xff8u, 8);
		if (!(dw1 & PC_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 2, ~7ull), 8,
				  "post-sync writes");
	}
	case CMD_AUDIT_SEMAPHORE_WAIT:
		if (dw0 & SEMA_REGISTER_POLL)
			return check_reg(sc, c, d, REG_OFFSET(cmd[2]), "polls");
		if (!(dw0 & MI_USE_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 2, ~3ull), 4, "polls");
	case CMD_AUDIT_ATOMIC: {
		static const uint32_t size_of[4] = { 4, 8, 16, 0 };
		uint32_t size = size_of[(dw0 >> 19) & 3];
		uint32_t want = (dw0 & ATOMIC_INLINE_DATA) ? 11 : 3;

		if (len != want)
			return refuse(sc, c, c->ip, d->name, "length",
				      "%u dwords; %s inline data it is %u",
				      len, want == 11 ? "with" : "without", want);
		if (!size)
			return refuse(sc, c, c->ip, d->name, "malformed",
				      "data size 3 is reserved");
		if (!(dw0 & MI_USE_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 1, ~3ull), size,
				  "updates");
	}
	case CMD_AUDIT_COPY_MEM_MEM:
		if (dw0 & COPY_DST_GGTT)
			ret = check_ggtt(sc, c, d, addr64(cmd, 1, ~3ull), 4,
					 "writes");
		if (!ret && (dw0 & MI_USE_GGTT))
			ret = check_ggtt(sc, c, d, addr64(cmd, 3, ~3ull), 4,
					 "reads");
		return ret;
	case CMD_AUDIT_COND_BB_END:
		if (!(dw0 & MI_USE_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 2, ~7ull),
				  (dw0 & COND_BB_MASK_MODE) ? 8 : 4, "compares");
	case CMD_AUDIT_PERF_COUNT:
		if (!(cmd[1] & 1))
			return 0;
		/* An OA report is at most 256 bytes. */
		return check_ggtt(sc, c, d, addr64(cmd, 1, ~63ull), 256,
				  "writes a report of");
	case CMD_AUDIT_CLFLUSH:
		if (!(dw0 & MI_USE_GGTT))
			return 0;
		return check_ggtt(sc, c, d, addr64(cmd, 1, ~4095ull), 4096,
				  "flushes");
	case CMD_AUDIT_BLT:
		return audit_blt(sc, c, d);
	default:
		return 0;
	}
}

/*
 * A chain back to where a buffer of the current chain began (the current
 * buffer included) closes a loop: IGT's spinners and gem_wsim's timed
 * batches jump back until a MI_CONDITIONAL_BATCH_BUFFER_END ends them.
 * That buffer was scanned from its first command on, and everything its
 * chain reaches is scanned or queued, so the loop adds nothing unchecked:
 * it runs the buffer's copy again. Returns the buffer, or -1.
 */
static int loop_target(struct scan_ctx *sc, const struct cursor *cur,
		       bool ppgtt, uint64_t gma)
{
	int bi = cur->buf;

	for (unsigned int seen = 0; bi >= 0 && seen < LOOP_LOOKBACK; seen++) {
		const struct gvt_cmd_buffer *b = buf_at(sc->s, bi);

		if (b->ppgtt == ppgtt && b->gma == gma)
			return bi;
		bi = sc->prev_in_group[bi];
	}
	return -1;
}

/*
 * MI_BATCH_BUFFER_START. A ring starts a first-level batch and resumes
 * after it; a first-level batch calls a second-level one (which returns)
 * or chains to another first-level batch (which does not). The address
 * space is chosen once, by the ring's start: what a batch starts stays in
 * it, so a PPGTT batch can never start a privileged (GGTT) one.
 * Returns 0 to go on after the command, BB_BUFFER_ENDS when the buffer
 * ends here, SCAN_REFUSE or -errno.
 */
#define BB_BUFFER_ENDS 2
static int follow_bb_start(struct scan_ctx *sc, struct cursor *c,
			   const struct gvt_cmd_desc *d)
{
	struct gvt_cmd_scan *s = sc->s;
	const uint32_t *cmd = &c->p[c->ip];
	const struct gvt_cmd_buffer *cur = buf_at(s, c->buf);
	uint32_t dw0 = cmd[0];
	bool second = dw0 & BB_SECOND_LEVEL;
	bool want_ppgtt = dw0 & BB_ASI_PPGTT;
	uint64_t raw = (uint64_t)cmd[1] | (uint64_t)cmd[2] << 32;
	uint64_t target = raw & 0x0000fffffffffffcull;
	uint64_t upper = raw >> 48;
	bool call, ppgtt;
	uint8_t level;
	struct gvt_cmd_buffer nb;
	int bi, ret;

	if (dw0 & BB_ADD_OFFSET)
		return refuse(sc, c, c->ip, d->name, "bb-offset",
			      "Add Offset Enable makes the target depend on a register at run time");
	if (dw0 & BB_RESOURCE_STREAMER)
		return refuse(sc, c, c->ip, d->name, "forbidden",
			      "the resource streamer fetches state libgvt never scans");
	/* 48-bit addresses: bits 63:48 repeat bit 47 (canonical form). */
	if (upper != ((target >> 47) ? 0xffffu : 0))
		return refuse(sc, c, c->ip, d->name, "bb-target",
			      "target 0x%016llx is not a canonical 48-bit address",
			      (unsigned long long)raw);

	if (cur->level == 0) {
		if (second && s->policy)
			return refuse(sc, c, c->ip, d->name, "bb-level",
				      "a ring may start only first-level batches");
		call = true;
		level = 1;
		/* A decoded ring's batches are looked for in the buffer. */
		ppgtt = s->policy ? want_ppgtt : cur->ppgtt;
	} else {
		if (second && cur->level == 2)
			return refuse(sc, c, c->ip, d->name, "bb-level",
				      "a second-level batch may not start another level: the GPU has two");
		/* Decoding only follows what lies in the caller's buffer. */
		if (want_ppgtt != cur->ppgtt && s->policy)
			return refuse(sc, c, c->ip, d->name, "bb-space",
				      want_ppgtt ? "a GGTT batch's starts stay in the GGTT" :
				      "a PPGTT batch may not start a privileged (GGTT) batch");
		call = second;
		level = second ? 2 : cur->level;
		ppgtt = cur->ppgtt;
	}
	if (!ppgtt && s->policy && !ggtt_in_vgpu(s->policy, target, 4))
		return refuse(sc, c, c->ip, d->name, "bb-target",
			      "batch at GGTT 0x%llx is outside the vGPU's graphics memory",
			      (unsigned long long)target);

	if (list_of(s)->num_bufs >= GVT_CMD_MAX_BUFFERS)
		return refuse(sc, c, c->ip, d->name, "bb-limit",
			      "a workload may run at most %u ring and batch buffers",
			      GVT_CMD_MAX_BUFFERS);

	nb = (struct gvt_cmd_buffer){
		.gma = target, .ppgtt = ppgtt, .level = level,
		.parent = c->buf, .start_at = c->ip,
	};
	/* Anywhere else in a buffer already scanned (the middle of one, say)
	 * is a new buffer: decoding from there may differ. */
	bi = call ? -1 : loop_target(sc, c, ppgtt, target);
	if (bi >= 0) {
		nb.loop = true;
		nb.shadow = buf_at(s, bi)->shadow;
		bi = add_buffer(sc, &nb);
		if (bi < 0)
			return bi;
		return (dw0 & BB_PREDICATED) ? 0 : BB_BUFFER_ENDS;
	}
	bi = add_buffer(sc, &nb);
	if (bi < 0)
		return bi;
	if (call)
		return scan_group(sc, bi);
	/* A chain is scanned after this buffer, iteratively: chains can be
	 * long, and the stack must not grow with them. */
	join_group(sc, bi, (int)c->group);
	ret = worklist_push(c->chain, bi);
	if (ret)
		return ret;
	/* A predicated chain may not be taken: what follows it must be safe. */
	return (dw0 & BB_PREDICATED) ? 0 : BB_BUFFER_ENDS;
}

/* A run of zero dwords (MI_NOOPs) from @ip: where it ends. */
static inline uint32_t skip_noops(const uint32_t *p, uint32_t ip, uint32_t n)
{
	while (ip + 8 <= n) {
		uint64_t a, b, c, d;

		memcpy(&a, &p[ip], 8);
		memcpy(&b, &p[ip + 2], 8);
		memcpy(&c, &p[ip + 4], 8);
		memcpy(&d, &p[ip + 6], 8);
		if (a | b | c | d)
			break;
		ip += 8;
	}
	while (ip < n && !p[ip])
		ip++;
	return ip;
}

/*
 * One command the tight loop left for us. Returns 0 to go on, BB_BUFFER_ENDS
 * when the buffer ends, SCAN_REFUSE, or -errno.
 */
static int slow_step(struct scan_ctx *sc, struct cursor *c)
{
	struct gvt_cmd_scan *s = sc->s;
	uint32_t hdr = c->p[c->ip];
	uint16_t idx = sc->et->desc[hdr >> 16];
	const struct gvt_cmd_desc *d;
	uint32_t len;
	int ret;

	if (!idx)
		return refuse(sc, c, c->ip, "UNKNOWN", "unknown-opcode",
			      "no %s command has header 0x%08x",
			      gvt_platform_find(GVT_PLATFORM_SKL)->engines[s->engine].name,
			      hdr);
	d = &built_table->descs[idx - 1];
	if (d->audit == CMD_AUDIT_NOOP && hdr == 0 && !s->visit) {
		uint32_t end = skip_noops(c->p, c->ip + 1, c->n);

		sc->commands += end - c->ip;
		c->ip = end;
		return 0;
	}
	len = d->len_bits ? (hdr & ((1u << d->len_bits) - 1)) + d->len_bias :
			    d->len_bias;
	if (len < d->min_len || len > d->max_len) {
		if (d->min_len == d->max_len)
			return refuse(sc, c, c->ip, d->name, "length",
				      "DWord Length gives %u dwords; %s is %u",
				      len, d->name, d->min_len);
		return refuse(sc, c, c->ip, d->name, "length",
			      "DWord Length gives %u dwords; %s is %u to %u",
			      len, d->name, d->min_len, d->max_len);
	}
	if (len > c->n - c->ip) {
		ret = fetch_more(sc, c, c->ip + len);
		if (ret == -ENODATA)
			return refuse(sc, c, c->ip, d->name, "past-end",
				      "%u dwords, but its buffer ends after %u",
				      len, c->n - c->ip);
		if (ret)
			return ret;
	}
	if (s->visit)
		s->visit(s->visit_opaque, buf_at(s, c->buf), c->ip, len, d);
	sc->commands++;
	if (d->audit == CMD_AUDIT_BB_START) {
		ret = follow_bb_start(sc, c, d);
		if (ret == BB_BUFFER_ENDS)
			c->ip += len;	/* the buffer's range ends after it */
		if (ret)
			return ret;
	} else if (d->audit == CMD_AUDIT_BB_END) {
		/* In a ring it is a no-op: scanning on is the safe reading. */
		if (buf_at(s, c->buf)->level > 0) {
			c->ip += len;
			return BB_BUFFER_ENDS;
		}
	} else if (s->policy && d->audit != CMD_AUDIT_NONE &&
		   d->audit != CMD_AUDIT_NOOP) {
		ret = audit_operands(sc, c, d, len);
		if (ret)
			return ret;
	}
	c->ip += len;
	return 0;
}

/* Audit classes the tight loop leaves to slow_step(). */
#define STOP(a) (1u << CMD_AUDIT_##a)
#define STOP_DECODE (STOP(UNKNOWN) | STOP(BB_START) | STOP(BB_END))
#define STOP_AUDIT (~(STOP(NONE) | STOP(NOOP) | STOP(LRI) | STOP(PIPE_CONTROL)))

/*
 * The tight loop. It decodes commands with a valid length whose dwords are
 * at hand, and audits inline the two that real streams are full of:
 * MI_LOAD_REGISTER_IMM and PIPE_CONTROL. Anything else, and any rule
 * broken, breaks out to slow_step(), which says why.
 */
static void fast_run(struct scan_ctx *sc, struct cursor *c)
{
	const struct gvt_cmd_policy *pol = sc->s->policy;
	const struct cmd_hot *hot = sc->et->hot;
	const uint64_t *reg_ok = pol ? pol->reg_ok : NULL;
	/* Blits in a PPGTT batch have nothing to audit. */
	const uint32_t stop = !pol ? STOP_DECODE :
			      buf_at(sc->s, c->buf)->ppgtt ?
			      STOP_AUDIT & ~STOP(BLT) : STOP_AUDIT;
	const uint32_t *p = c->p;
	uint32_t ip = c->ip, n = c->n;
	uint64_t count = 0;

	while (ip < n) {
		uint32_t hdr = p[ip];
		struct cmd_hot h;
		uint32_t len;

		uint64_t pair;

		/* Two MI_NOOPs in a row start a run worth skipping in bulk; a
		 * lone one goes through the table like any command, which keeps
		 * this branch rare in streams that mix them in. */
		if (ip + 2 <= n) {
			memcpy(&pair, &p[ip], sizeof(pair));
			if (unlikely(!pair)) {
				uint32_t end = skip_noops(p, ip + 2, n);

				count += end - ip;
				ip = end;
				continue;
			}
		}
		h = hot[hdr >> 16];
		len = (hdr & h.len_mask) + h.len_bias;
		if (unlikely(((uint32_t)(len - h.min_len) > h.span) |
			     (len > n - ip)))
			break;
		if (h.audit) {
			if ((stop >> h.audit) & 1)
				break;
			if (h.audit == CMD_AUDIT_LRI && reg_ok) {
				uint32_t bad = ~len & 1;	/* pairs only */

				for (uint32_t i = 1; i < len; i += 2)
					bad |= reg_denied(reg_ok, REG_OFFSET(p[ip + i]));
				if (bad)
					break;
			} else if (h.audit == CMD_AUDIT_PIPE_CONTROL && reg_ok) {
				uint32_t dw1 = p[ip + 1];

				if (dw1 & (PC_LRI_POST_SYNC | PC_STORE_DATA_INDEX))
					break;
				if (POST_SYNC_OP(dw1) && (dw1 & PC_GGTT) &&
				    !ggtt_in_vgpu(pol, addr64(&p[ip], 2, ~7ull), 8))
					break;
			}
		}
		ip += len;
		count++;
	}
	sc->commands += count;
	c->ip = ip;
}

static int scan_cursor(struct scan_ctx *sc, struct cursor *c)
{
	int ret;

	for (;;) {
		if (!sc->s->visit)
			fast_run(sc, c);
		if (c->ip >= c->n) {
			ret = fetch_more(sc, c, c->ip + 1);
			if (ret == -ENODATA)
				return 0;	/* the buffer ends with its memory */
			if (ret)
				return ret;
			continue;
		}
		ret = slow_step(sc, c);
		if (ret == BB_BUFFER_ENDS)
			return 0;
		if (ret)
			return ret;
	}
}

/* Scan buffer @bi (already listed) from its first dword. */
static int scan_one(struct scan_ctx *sc, int bi, struct worklist *chain)
{
	struct gvt_cmd_scan *s = sc->s;
	struct gvt_cmd_buffer *b = buf_at(s, bi);
	struct cursor c = {
		.buf = bi, .growable = true, .fetch_gma = b->gma,
		.chunk = 4096, .group = sc->group_of[bi], .chain = chain,
	};
	int ret;

	if (s->shadow) {
		struct gvt_cmd_arena *a = &s->shadow->arena[b->level];

		ret = arena_reserve(a);
		if (ret)
			return ret;
		c.shadow = a->base + a->used;
		c.p = c.shadow;
		c.limit = (uint32_t)(a->cap - a->used);
		b->shadow = c.shadow;
	} else {
		/* In place nothing bounds the levels: bound the whole scan. */
		if (s->direct_bytes >= 3ull * GVT_CMD_MAX_SHADOW_BYTES)
			return refuse(sc, &c, 0, "-", "bb-size",
				      "a stream may hold at most %u MiB of commands",
				      3 * (GVT_CMD_MAX_SHADOW_BYTES >> 20));
		c.limit = GVT_CMD_MAX_SHADOW_BYTES / 4;
		ret = fetch_more(sc, &c, 1);
		if (ret == -ENODATA) {
			/* Not at hand (gvtctl): checked as far as it can be. */
			s->verdict.unfollowed++;
			return 0;
		}
		if (ret)
			return ret;
	}
	ret = scan_cursor(sc, &c);
	b = buf_at(s, bi);	/* the list may have moved */
	b->length = c.ip;
	s->dwords += c.ip;
	if (s->shadow) {
		struct gvt_cmd_arena *a = &s->shadow->arena[b->level];
		uint32_t end = c.n;

		/*
		 * What was copied past the last command scanned must never
		 * run, even if predication skipped the start or end that
		 * stopped the scan: zero it and end the batch there.
		 */
		if (c.ip < c.limit) {
			memset(&c.shadow[c.ip], 0, (size_t)(c.n - c.ip) * 4);
			c.shadow[c.ip] = MI_BATCH_BUFFER_END_HDR;
			if (end < c.ip + 1)
				end = c.ip + 1;
		}
		/* The next batch starts 64-byte aligned. */
		a->used += ((size_t)end + 15) & ~(size_t)15;
		if (a->used > a->cap)
			a->used = a->cap;
	} else {
		s->direct_bytes += (uint64_t)c.ip * 4;
	}
	return ret;
}

/* A started batch and every batch its chain goes through. */
static int scan_group(struct scan_ctx *sc, int bi)
{
	struct worklist wl = { 0 };
	int ret;

	join_group(sc, bi, -1);
	ret = worklist_push(&wl, bi);
	for (unsigned int i = 0; !ret && i < wl.num; i++)
		ret = scan_one(sc, wl.bi[i], &wl);
	free(wl.bi);
	return ret;
}

static int scan_begin(struct scan_ctx *sc, struct gvt_cmd_scan *s)
{
	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->et = tables_get(s->engine);
	if (!sc->et)
		return (unsigned int)s->engine >= GVT_NUM_ENGINES ? -EINVAL : -ENOMEM;
	if (!s->shadow && !s->mem.map)
		return -EINVAL;
	if (s->shadow && !s->mem.read)
		return -EINVAL;
	if (s->policy && !s->policy->reg_ok)
		return -EINVAL;
	memset(&s->verdict, 0, sizeof(s->verdict));
	s->dwords = 0;
	s->direct_bytes = 0;
	gvt_cmd_shadow_reset(list_of(s));
	return 0;
}

static int scan_end(struct scan_ctx *sc, int ret)
{
	sc->s->verdict.commands = sc->commands;
	free(sc->group_of);
	free(sc->prev_in_group);
	free(sc->group_last);
	return ret;
}

/* A ring's contents, whole at @p: scan them as buffer @bi. */
static int scan_ring_contents(struct scan_ctx *sc, int bi, const uint32_t *p,
			      uint32_t *shadow, uint32_t dwords)
{
	struct cursor c = {
		.buf = bi, .shadow = shadow, .p = p, .n = dwords,
		.limit = dwords,
	};
	int ret;

	join_group(sc, bi, -1);
	c.group = sc->group_of[bi];
	ret = scan_cursor(sc, &c);
	buf_at(sc->s, bi)->length = c.ip;
	sc->s->dwords += c.ip;
	return ret;
}

/*
 * Copy level 0 (a ring's commands, or a privileged segment) into the
 * shadow's level-0 arena, which holds one: @bytes from @gma, of which
 * those past @first wrap to @wrap_gma. Return 0 with *@copy set,
 * SCAN_REFUSE when the memory is not the vGPU's, or -errno.
 */
static int copy_level0(struct gvt_cmd_scan *s, int bi, uint64_t gma,
		       uint32_t first, uint64_t wrap_gma, uint32_t bytes,
		       uint32_t **copy)
{
	struct gvt_cmd_arena *a = &s->shadow->arena[0];
	uint32_t *dst;
	int ret;

	if (a->used)
		return -EINVAL;
	ret = arena_reserve(a);
	if (ret)
		return ret;
	dst = a->base;
	ret = s->mem.read(s->mem.opaque, false, gma, dst, first);
	if (!ret && first < bytes)
		ret = s->mem.read(s->mem.opaque, false, wrap_gma,
				  dst + first / 4, bytes - first);
	if (ret)
		return refuse_early(s, gma, 0, "memory",
				    "the memory at GGTT 0x%llx is not the vGPU's",
				    (unsigned long long)gma);
	a->used = ((size_t)bytes / 4 + 15) & ~(size_t)15;
	s->shadow->bytes += bytes;
	buf_at(s, bi)->shadow = dst;
	*copy = dst;
	return 0;
}

/*
 * The ring: its commands between head and tail, copied (or mapped) as one
 * linear buffer even when they wrap, so a command across the wrap is
 * contiguous for the checks.
 */
int gvt_cmd_scan_ring(struct gvt_cmd_scan *s, uint64_t ring_gma,
		      uint32_t ring_bytes, uint32_t head, uint32_t tail)
{
	struct scan_ctx sc;
	struct gvt_cmd_buffer rb;
	const uint32_t *p;
	uint32_t *shadow = NULL;
	uint32_t bytes, first;
	int bi, ret;

	ret = scan_begin(&sc, s);
	if (ret)
		return ret;
	/* RING_CTL's length field: 1 to 512 pages. */
	if (!ring_bytes || ring_bytes % 4096 || ring_bytes > GVT_CMD_MAX_RING_BYTES ||
	    head >= ring_bytes || tail >= ring_bytes || (head | tail) & 7)
		return scan_end(&sc, refuse_early(s, ring_gma + head, 0, "ring",
			"ring of %u bytes with head 0x%x and tail 0x%x is malformed",
			ring_bytes, head, tail));
	if (s->policy && !ggtt_in_vgpu(s->policy, ring_gma, ring_bytes))
		return scan_end(&sc, refuse_early(s, ring_gma, 0, "ring",
			"ring at GGTT 0x%llx (%u bytes) is outside the vGPU's graphics memory",
			(unsigned long long)ring_gma, ring_bytes));
	bytes = (tail - head + ring_bytes) % ring_bytes;
	first = bytes < ring_bytes - head ? bytes : ring_bytes - head;

	rb = (struct gvt_cmd_buffer){
		.gma = ring_gma + head, .ppgtt = false, .level = 0,
		.parent = -1,
		.wrap_at = first < bytes ? first / 4 : 0,
		.wrap_gma = ring_gma,
	};
	bi = add_buffer(&sc, &rb);
	if (bi < 0)
		return scan_end(&sc, bi);
	if (s->shadow) {
		ret = copy_level0(s, bi, ring_gma + head, first, ring_gma,
				  bytes, &shadow);
		if (ret)
			return scan_end(&sc, ret);
		p = shadow;
	} else {
		size_t avail = 0;

		/* In place: gvtctl and the bench give unwrapped rings. */
		p = s->mem.map(s->mem.opaque, false, ring_gma + head, &avail);
		if (!p || avail < first || first < bytes)
			return scan_end(&sc, -EINVAL);
	}
	return scan_end(&sc, scan_ring_contents(&sc, bi, p, shadow, bytes / 4));
}

int gvt_cmd_scan_buffer(struct gvt_cmd_scan *s, bool ppgtt, uint64_t gma,
			uint64_t bytes, bool ring)
{
	struct scan_ctx sc;
	struct gvt_cmd_buffer nb = {
		.gma = gma, .ppgtt = ppgtt, .level = ring ? 0 : 1, .parent = -1,
	};
	int bi, ret;

	ret = scan_begin(&sc, s);
	if (ret)
		return ret;
	if (ring) {
		/* A ring segment: exactly @bytes, in the GGTT, privileged
		 * like a ring (a context's indirect workaround batch). */
		const uint32_t *p;
		uint32_t *copy = NULL;
		size_t avail = 0;

		if (ppgtt || bytes % 4 || bytes / 4 > UINT32_MAX ||
		    (s->shadow && bytes > GVT_CMD_MAX_RING_BYTES))
			return scan_end(&sc, -EINVAL);
		if (s->shadow && s->policy && !ggtt_in_vgpu(s->policy, gma, bytes))
			return scan_end(&sc, refuse_early(s, gma, 0, "ring",
				"commands at GGTT 0x%llx (%llu bytes) are outside the vGPU's graphics memory",
				(unsigned long long)gma, (unsigned long long)bytes));
		bi = add_buffer(&sc, &nb);
		if (bi < 0)
			return scan_end(&sc, bi);
		if (s->shadow) {
			ret = copy_level0(s, bi, gma, (uint32_t)bytes, gma,
					  (uint32_t)bytes, &copy);
			if (ret)
				return scan_end(&sc, ret);
			p = copy;
		} else {
			p = s->mem.map(s->mem.opaque, false, gma, &avail);
			if (!p || avail < bytes)
				return scan_end(&sc, -EINVAL);
		}
		return scan_end(&sc, scan_ring_contents(&sc, bi, p, copy,
							(uint32_t)(bytes / 4)));
	}
	if (!ppgtt && s->policy && !ggtt_in_vgpu(s->policy, gma, 4))
		return scan_end(&sc, refuse_early(s, gma, 1, "bb-target",
			"batch at GGTT 0x%llx is outside the vGPU's graphics memory",
			(unsigned long long)gma));
	bi = add_buffer(&sc, &nb);
	if (bi < 0)
		return scan_end(&sc, bi);
	ret = scan_group(&sc, bi);
	return scan_end(&sc, ret);
}

void gvt_cmd_scan_fini(struct gvt_cmd_scan *s)
{
	gvt_cmd_shadow_fini(&s->listed);
}
