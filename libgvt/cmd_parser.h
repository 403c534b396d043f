// SPDX-License-Identifier: MIT
/*
 * The command scanner: decodes, audits and shadows what a vGPU asks an
 * engine to run. It is libgvt's security boundary: a ring or batch buffer
 * reaches the GPU only as a shadow copy in which every command was decoded
 * at its real length and checked against the rules in cmd_parser.c.
 *
 * The command facts (opcodes, length fields, engines) live in one table per
 * generation (cmd_table_skl.c); cmd_parser.c turns them into a per-engine
 * array indexed by the header's top 16 bits, so decoding a command is one
 * indexed load, never a search.
 */
#ifndef GVT_CMD_PARSER_H
#define GVT_CMD_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gvt/gvt.h>

#include "platform.h"

struct gvt_ctx;
struct gvt_vgpu;
struct gvt_ppgtt_root;

/* How a command is audited beyond its length (cmd_parser.c). */
enum gvt_cmd_audit {
	CMD_AUDIT_NONE = 0,	/* operands use the (shadowed) PPGTT: safe */
	CMD_AUDIT_NOOP,		/* MI_NOOP: runs are skipped in bulk */
	CMD_AUDIT_REFUSE,	/* never runs for a vGPU: desc->why */
	CMD_AUDIT_NOOP_OUT,	/* emulated: the shadow holds MI_NOOPs */
	CMD_AUDIT_LRI,
	CMD_AUDIT_LRR,
	CMD_AUDIT_LRM,
	CMD_AUDIT_SRM,
	CMD_AUDIT_SDI,		/* MI_STORE_DATA_IMM */
	CMD_AUDIT_SDX,		/* MI_STORE_DATA_INDEX */
	CMD_AUDIT_FLUSH_DW,
	CMD_AUDIT_PIPE_CONTROL,
	CMD_AUDIT_SEMAPHORE_WAIT,
	CMD_AUDIT_ATOMIC,
	CMD_AUDIT_COPY_MEM_MEM,
	CMD_AUDIT_COND_BB_END,
	CMD_AUDIT_PERF_COUNT,
	CMD_AUDIT_CLFLUSH,
	CMD_AUDIT_BB_START,
	CMD_AUDIT_BB_END,
	CMD_AUDIT_BLT,		/* a blit the GPU draws: GGTT surfaces checked */
	CMD_AUDIT_UNKNOWN,	/* internal: no command has this opcode */
};

/* Engines a command runs on: bit (1 << enum gvt_engine_id). */
#define CMD_E_RCS (1u << GVT_RCS)
#define CMD_E_BCS (1u << GVT_BCS)
#define CMD_E_VCS (1u << GVT_VCS)
#define CMD_E_VECS (1u << GVT_VECS)
#define CMD_E_ALL (CMD_E_RCS | CMD_E_BCS | CMD_E_VCS | CMD_E_VECS)

/*
 * One command of a generation. The opcode bits are the header's bits that
 * identify it: 31:23 for MI (type 0), 31:22 for 2D (type 2) and 31:16 for
 * the GFXPIPE, media and video commands (type 3).
 */
struct gvt_cmd_desc {
	const char *name;	/* as genxml and the PRM spell it */
	const char *why;	/* REFUSE, NOOP_OUT: the reason, for logs */
	uint32_t opcode;	/* header bits under the type's opcode mask */
	uint8_t engines;	/* CMD_E_* */
	uint8_t len_bits;	/* width of the DWord Length field at bit 0; 0: none */
	uint8_t len_bias;	/* total length = field + bias (no field: the length) */
	uint8_t audit;		/* enum gvt_cmd_audit */
	uint32_t min_len;	/* dwords: the shortest valid form */
	uint32_t max_len;	/* dwords: the longest valid form */
};

struct gvt_cmd_table {
	const struct gvt_cmd_desc *descs;
	size_t count;
};

extern const struct gvt_cmd_table gvt_cmd_table_skl;

/* The header mask that identifies a command of the type in @header's bits
 * 31:29; 0 for types no gen9 engine decodes. */
uint32_t gvt_cmd_opcode_mask(uint32_t header);

/* Look up the command @header starts on @engine; NULL if none. */
const struct gvt_cmd_desc *gvt_cmd_find(enum gvt_engine_id engine,
					uint32_t header);

/* Check a table: opcode collisions on an engine, lengths that contradict
 * the length field. 0, or -EINVAL with @why filled. */
int gvt_cmd_table_check(const struct gvt_cmd_table *table, char *why,
			size_t why_len);

/*
 * Where the scanner reads the memory a ring or batch lives in.
 * A shadowing scan uses read(): copy @len bytes at graphics address @gma of
 * the GGTT (@ppgtt false) or the vGPU's PPGTT into @dst; 0, or -EFAULT if
 * the address is not the vGPU's (the workload is refused).
 * A scan in place uses map(): a pointer to the memory at @gma and, in
 * *@avail, how many bytes follow it; NULL when the memory is not at hand
 * (gvtctl's file: a batch there is checked as far as it can be).
 */
struct gvt_cmd_mem {
	int (*read)(void *opaque, bool ppgtt, uint64_t gma, void *dst,
		    size_t len);
	const void *(*map)(void *opaque, bool ppgtt, uint64_t gma,
			   size_t *avail);
	void *opaque;
};

/* What a scan checks against. NULL instead of a policy: decode only. */
struct gvt_cmd_policy {
	const uint64_t *reg_ok;		/* bit per dword of the 2 MiB register range */
	const struct gvt_mmio_attr *attr;	/* the register table, for reasons */
	struct gvt_gm_range {
		uint64_t start, end;	/* bytes, [start, end) */
	} gm[2];			/* the vGPU's GGTT slices */
	unsigned int num_gm;
};

/* A buffer the GPU will run: the ring's copy or a batch's. */
struct gvt_cmd_buffer {
	uint64_t gma;		/* where the guest put it */
	bool ppgtt;		/* address space of gma */
	uint8_t level;		/* 0 ring, 1 first-level batch, 2 second-level */
	uint32_t *shadow;	/* the copy the GPU runs (NULL when not shadowing) */
	uint32_t length;	/* dwords scanned, from the first */
	uint32_t wrap_at;	/* ring: dword at which it wraps; 0: no wrap */
	uint64_t wrap_gma;	/* ring: its first byte, where it wraps to */
	int32_t parent;		/* buffer holding the start command; -1: none */
	uint32_t start_at;	/* dword of that command in the parent */
	bool loop;		/* a chain back to an earlier buffer's start:
				 * @shadow is that buffer's copy, run again;
				 * nothing of its own is scanned (@length 0) */
};

/* Arena a level's shadows grow in; see shadow_reserve(). */
struct gvt_cmd_arena {
	uint32_t *base;		/* mmap'd reservation, NULL until first use */
	size_t used;		/* dwords */
	size_t cap;		/* dwords reserved */
};

/* Everything the GPU needs of one workload: the shadows of its ring and
 * batches and which start command points at which shadow. */
struct gvt_cmd_shadow {
	struct gvt_cmd_arena arena[3];	/* by level */
	struct gvt_cmd_buffer *bufs;
	unsigned int num_bufs;
	unsigned int cap_bufs;
	uint64_t bytes;			/* dwords copied, as bytes */
};

void gvt_cmd_shadow_init(struct gvt_cmd_shadow *sh);
void gvt_cmd_shadow_reset(struct gvt_cmd_shadow *sh);
void gvt_cmd_shadow_fini(struct gvt_cmd_shadow *sh);

/* Limits that bound what one workload can cost the host. */
#define GVT_CMD_MAX_BUFFERS 4096	/* ring + batches per workload */
#define GVT_CMD_MAX_SHADOW_BYTES (64u << 20)	/* per level */
#define GVT_CMD_MAX_RING_BYTES (2u << 20)	/* RING_CTL: 512 pages */

/* Called for each command decoded (gvtctl decode), in execution order. */
typedef void gvt_cmd_visit_internal_fn(void *opaque,
				       const struct gvt_cmd_buffer *buf,
				       uint32_t at, uint32_t len,
				       const struct gvt_cmd_desc *desc);

/* One scan's parameters and, afterwards, its verdict. */
struct gvt_cmd_scan {
	enum gvt_engine_id engine;
	struct gvt_cmd_mem mem;
	const struct gvt_cmd_policy *policy;
	struct gvt_cmd_shadow *shadow;	/* NULL: scan in place (mem.map) */
	gvt_cmd_visit_internal_fn *visit;	/* NULL: none */
	void *visit_opaque;

	/* results */
	struct gvt_cmd_verdict verdict;	/* with commands decoded, starts unfollowed */
	uint64_t dwords;		/* scanned */

	/* private to cmd_parser.c */
	struct gvt_cmd_shadow listed;	/* the buffer list when not shadowing;
					 * its arenas stay unused */
	uint64_t direct_bytes;		/* scanned in place, all levels */
};

/* Graphics address of dword @at of a buffer (a ring's wraps). */
uint64_t gvt_cmd_buffer_gma(const struct gvt_cmd_buffer *b, uint32_t at);

/*
 * Scan the ring's commands in [head, tail) of the ring at @ring_gma
 * (@ring_bytes long, in the GGTT) and every batch they start. Returns 0
 * when accepted, 1 when refused (s->verdict says where and why), or -errno
 * when the host ran out of memory.
 */
int gvt_cmd_scan_ring(struct gvt_cmd_scan *s, uint64_t ring_gma,
		      uint32_t ring_bytes, uint32_t head, uint32_t tail);

/* The same for a first-level batch at @gma, or a ring segment of @bytes
 * at @gma when @ring is set (gvtctl's files; shadowed: a context's
 * indirect workaround batch, into an empty level-0 arena). */
int gvt_cmd_scan_buffer(struct gvt_cmd_scan *s, bool ppgtt, uint64_t gma,
			uint64_t bytes, bool ring);

void gvt_cmd_scan_fini(struct gvt_cmd_scan *s);

/* A ring as an engine's context describes it. */
struct gvt_vgpu_ring {
	uint64_t start;		/* GGTT address */
	uint32_t size;		/* bytes, a multiple of 4 KiB */
	uint32_t head;		/* byte offsets into the ring */
	uint32_t tail;
	const struct gvt_ppgtt_root *ppgtt;	/* the context's; NULL: none */
};

/* cmd_scan_vgpu.c: the rules @vgpu's workloads are checked by. */
void gvt_vgpu_cmd_policy(const struct gvt_vgpu *vgpu,
			 struct gvt_cmd_policy *pol);

/*
 * Scan and shadow what @vgpu submitted on @engine. 0 when accepted, 1 when
 * refused (one log line, @verdict says why), -errno when the host ran
 * short.
 */
int gvt_vgpu_scan_ring(struct gvt_vgpu *vgpu, enum gvt_engine_id engine,
		       const struct gvt_vgpu_ring *ring,
		       struct gvt_cmd_shadow *shadow,
		       struct gvt_cmd_verdict *verdict);

/* A context's workaround batches, as its image (render engine) names them. */
struct gvt_vgpu_wa_ctx {
	uint64_t indirect_gma;		/* GGTT, cacheline aligned */
	uint32_t indirect_bytes;	/* 0: none */
	uint64_t per_ctx_gma;		/* GGTT, cacheline aligned */
	bool per_ctx_valid;
};

/*
 * Scan and shadow @wa's batches into @shadow (empty; kept apart from the
 * ring's): the indirect batch at level 0, the per-context batch as a
 * first-level batch. Returns as gvt_vgpu_scan_ring().
 */
int gvt_vgpu_scan_wa_ctx(struct gvt_vgpu *vgpu, enum gvt_engine_id engine,
			 const struct gvt_vgpu_wa_ctx *wa,
			 struct gvt_cmd_shadow *shadow,
			 struct gvt_cmd_verdict *verdict);

/* cmd_access.c: which registers commands may touch, as a bitmap over the
 * 2 MiB register range built from the context's attribute table. */
int gvt_cmd_access_init(struct gvt_ctx *ctx);
void gvt_cmd_access_fini(struct gvt_ctx *ctx);
/* RING_FORCE_TO_NONPRIV of any engine: whitelist entries for
 * non-privileged batches, which outlive the workload that writes them. */
bool gvt_cmd_reg_is_force_nonpriv(uint32_t offset);
/* Why a command may not touch the register at @offset: NULL if it may. */
const char *gvt_cmd_reg_refusal(const struct gvt_cmd_policy *policy,
				uint32_t offset);

#endif /* GVT_CMD_PARSER_H */
