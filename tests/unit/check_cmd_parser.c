// SPDX-License-Identifier: MIT
/*
 * The Gen9 command scanner: every command category decodes at its real
 * length on its own engines and on no other; every audit rule refuses a
 * stream that breaks it and accepts its near miss; and a submitted
 * workload reaches the GPU only as a shadow copy of what was checked.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_parser.h"
#include "harness.h"
#include "private.h"

#define PAGE 4096u
#define PRESENT 1ull

/* Headers in their usual form (DWord Length included). */
#define MI_NOOP			0x00000000u
#define MI_WAIT_FOR_EVENT	0x01800000u
#define MI_BATCH_BUFFER_END	0x05000000u
#define MI_SEMAPHORE_WAIT	0x0e000002u
#define MI_SDI			0x10000002u	/* one dword of data */
#define MI_SDI_QWORD		0x10200003u	/* bit 21: a qword */
#define MI_SDX			0x10800001u	/* one dword at an index */
#define MI_SDX_QWORD		0x10800002u
#define MI_LRI(pairs)		(0x11000000u | (2u * (pairs) - 1))
#define MI_UPDATE_GTT		0x11800001u
#define MI_SRM			0x12000002u
#define MI_FLUSH_DW		0x13000002u	/* dword data */
#define MI_FLUSH_DW_QWORD	0x13000003u
#define MI_CLFLUSH		0x13800001u
#define MI_REPORT_PERF_COUNT	0x14000002u
#define MI_LRM			0x14800002u
#define MI_LRR			0x15000001u
#define MI_COPY_MEM_MEM		0x17000003u
#define MI_ATOMIC		0x17800001u
#define MI_BB_START		0x18800001u	/* first level, GGTT */
#define MI_COND_BB_END		0x1b000002u
#define PIPE_CONTROL		0x7a000004u
#define PIPELINE_SELECT		0x69040300u
#define STATE_BASE_ADDRESS	0x61010011u
#define VERTEX_BUFFERS(n)	(0x78080000u | (4u * (n) - 1))
#define PRIMITIVE		0x7b000005u

/* "Use Global GTT", dword 0 of the MI commands that have it. */
#define USE_GGTT		(1u << 22)
#define COPY_DST_GGTT		(1u << 21)
/* MI_BATCH_BUFFER_START, dword 0 */
#define BB_PPGTT		(1u << 8)
#define BB_RESOURCE_STREAMER	(1u << 10)
#define BB_ADD_OFFSET		(1u << 16)
#define BB_SECOND_LEVEL		(1u << 22)
/* Post-sync "write immediate data": PIPE_CONTROL dword 1, MI_FLUSH_DW dword 0 */
#define POST_SYNC_IMM		(1u << 14)
/* PIPE_CONTROL, dword 1 */
#define PC_LRI_POST_SYNC	(1u << 23)
#define PC_GGTT			(1u << 24)
/* MI_FLUSH_DW dword 1, MI_REPORT_PERF_COUNT dword 1 */
#define FLUSH_DW_GGTT		(1u << 2)
#define PERF_GGTT		(1u << 0)

#define LO(a) ((uint32_t)(a))
#define HI(a) ((uint32_t)((uint64_t)(a) >> 32))

/* ---- a tiny stream builder ---- */

struct stream {
	uint32_t dw[4096];
	uint32_t n;
};

/* Append dwords; returns the dword index of the first. */
static uint32_t emit(struct stream *s, const uint32_t *dw, uint32_t n)
{
	uint32_t at = s->n;

	ck_assert_uint_le(s->n + n, ARRAY_SIZE(s->dw));
	memcpy(&s->dw[s->n], dw, n * 4);
	s->n += n;
	return at;
}

#define DWORDS(...) (const uint32_t[]){ __VA_ARGS__ }
#define NUM_DWORDS(...) (uint32_t)(sizeof(DWORDS(__VA_ARGS__)) / 4)
#define EMIT(s, ...) emit((s), DWORDS(__VA_ARGS__), NUM_DWORDS(__VA_ARGS__))

/* ---- decoding ---- */

/* The commands a decode visited, in execution order. */
struct seen {
	unsigned int n;
	struct gvt_cmd_info cmd[64];
};

static void record(void *opaque, const struct gvt_cmd_info *cmd)
{
	struct seen *seen = opaque;

	if (seen->n < ARRAY_SIZE(seen->cmd))
		seen->cmd[seen->n] = *cmd;
	seen->n++;
}

static struct gvt_cmd_verdict decode(const char *engine,
				     const struct stream *s, uint64_t base,
				     unsigned int flags, struct seen *seen)
{
	struct gvt_cmd_verdict v;

	if (seen)
		memset(seen, 0, sizeof(*seen));
	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, engine, s->dw,
					s->n * 4, base, flags,
					seen ? record : NULL, seen, &v), 0);
	return v;
}

static void ck_cmd(const struct seen *seen, unsigned int i,
		   const char *name, uint64_t gma, uint32_t len,
		   unsigned int level)
{
	const struct gvt_cmd_info *c;

	ck_assert_msg(i < seen->n && i < ARRAY_SIZE(seen->cmd),
		      "only %u commands decoded, wanted %s as #%u",
		      seen->n, name, i);
	c = &seen->cmd[i];
	ck_assert_msg(!strcmp(c->name, name), "command #%u is %s, not %s",
		      i, c->name, name);
	ck_assert_msg(c->gma == gma, "%s #%u at 0x%llx, not 0x%llx", name, i,
		      (unsigned long long)c->gma, (unsigned long long)gma);
	ck_assert_msg(c->length == len, "%s #%u is %u dwords, not %u", name,
		      i, c->length, len);
	ck_assert_msg(c->level == level, "%s #%u at level %u, not %u", name,
		      i, c->level, level);
}

#define ck_accepted(verdict)						\
	do {								\
		struct gvt_cmd_verdict v_ = (verdict);			\
									\
		ck_assert_msg(!v_.refused, "refused: %s: %s: %s",	\
			      v_.command, v_.rule, v_.detail);		\
	} while (0)
#define ck_refused(verdict, r)						\
	do {								\
		struct gvt_cmd_verdict v_ = (verdict);			\
									\
		ck_assert_msg(v_.refused, "accepted; wanted a refusal by \"%s\"", (r)); \
		ck_assert_msg(!strcmp(v_.rule, (r)), "refused by \"%s\" (%s: %s), not \"%s\"", \
			      v_.rule, v_.command, v_.detail, (r));	\
	} while (0)

static const char *engine_name(enum gvt_engine_id e)
{
	return gvt_platform_find(GVT_PLATFORM_SKL)->engines[e].name;
}

/* Decode @header alone (followed by MI_NOOPs) as a batch on @engine. */
static const struct gvt_cmd_info *decode_first(enum gvt_engine_id e,
					       uint32_t header,
					       struct seen *seen)
{
	static struct stream s;
	struct gvt_cmd_verdict v;

	memset(&s, 0, sizeof(s));
	s.dw[0] = header;
	s.n = 1024;
	v = decode(engine_name(e), &s, 0x100000, 0, seen);
	ck_assert_msg(!v.refused, "0x%08x on %s: %s: %s", header,
		      engine_name(e), v.rule, v.detail);
	ck_assert_uint_ge(seen->n, 1);
	return &seen->cmd[0];
}

/* ---- the vGPU's graphics memory ---- */

static uint64_t ap_base(void)
{
	return t_info(t_vgpu).aperture_base;
}

static uint64_t ap_end(void)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);

	return info.aperture_base + info.aperture_size;
}

static uint64_t hidden_end(void)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);

	return info.hidden_base + info.hidden_size;
}

/* Audit @s as @t_vgpu would submit it: a batch at the start of its
 * aperture slice (@flags 0), or a ring there (GVT_CMD_RING), or a batch in
 * its PPGTT at 1 MiB (GVT_CMD_PPGTT). */
static struct gvt_cmd_verdict audit(const char *engine,
				    const struct stream *s,
				    unsigned int flags)
{
	struct gvt_cmd_verdict v;
	uint64_t base = (flags & GVT_CMD_PPGTT) ? 0x100000 : ap_base();

	ck_assert_int_eq(gvt_vgpu_cmd_audit(t_vgpu, engine, s->dw, s->n * 4,
					    base, flags, NULL, NULL, &v), 0);
	return v;
}

static struct gvt_cmd_verdict audit_dw(const char *engine,
				       const uint32_t *dw, uint32_t n)
{
	static struct stream s;

	s.n = 0;
	emit(&s, dw, n);
	return audit(engine, &s, 0);
}

/* One command, audited as a batch on @engine. */
#define AUDIT(engine, ...) audit_dw((engine), DWORDS(__VA_ARGS__), \
				    NUM_DWORDS(__VA_ARGS__))

/* ==== the table ==== */

START_TEST(test_cmd_parser_skl_table_is_consistent)
{
	char why[160] = "";

	ck_assert_msg(gvt_cmd_table_check(&gvt_cmd_table_skl, why,
					  sizeof(why)) == 0, "%s", why);
	ck_assert_uint_gt(gvt_cmd_table_skl.count, 224);
}
END_TEST

/* Real Gen9 commands: where they run and how long they are. */
static const struct {
	const char *name;
	uint32_t header;
	unsigned int engines;	/* CMD_E_*: decodes as @name there only */
	uint32_t len;		/* dwords */
} gen9_cmds[] = {
	/* MI: every engine */
	{ "MI_NOOP", MI_NOOP, CMD_E_ALL, 1 },
	{ "MI_LOAD_REGISTER_IMM", MI_LRI(1), CMD_E_ALL, 3 },
	{ "MI_LOAD_REGISTER_IMM", MI_LRI(3), CMD_E_ALL, 7 },
	{ "MI_LOAD_REGISTER_IMM", MI_LRI(128), CMD_E_ALL, 257 },
	{ "MI_BATCH_BUFFER_START", MI_BB_START | BB_PPGTT, CMD_E_ALL, 3 },
	{ "MI_STORE_DATA_IMM", MI_SDI, CMD_E_ALL, 4 },
	{ "MI_STORE_DATA_IMM", MI_SDI_QWORD, CMD_E_ALL, 5 },
	{ "MI_FLUSH_DW", MI_FLUSH_DW, CMD_E_BCS | CMD_E_VCS | CMD_E_VECS, 4 },
	{ "MI_FLUSH_DW", MI_FLUSH_DW_QWORD, CMD_E_BCS | CMD_E_VCS | CMD_E_VECS, 5 },
	/* 2D: the blitter */
	{ "XY_SRC_COPY_BLT", 0x54f00008, CMD_E_BCS, 10 },
	{ "XY_COLOR_BLT", 0x54300005, CMD_E_BCS, 7 },
	{ "XY_FAST_COPY_BLT", 0x50800008, CMD_E_BCS, 10 },
	/* 3D: render */
	{ "3DSTATE_VERTEX_BUFFERS", VERTEX_BUFFERS(1), CMD_E_RCS, 5 },
	{ "3DSTATE_VERTEX_BUFFERS", VERTEX_BUFFERS(3), CMD_E_RCS, 13 },
	{ "PIPE_CONTROL", PIPE_CONTROL, CMD_E_RCS, 6 },
	{ "3DPRIMITIVE", PRIMITIVE, CMD_E_RCS, 7 },
	{ "STATE_BASE_ADDRESS", STATE_BASE_ADDRESS, CMD_E_RCS, 19 },
	/* GPGPU and media: render */
	{ "GPGPU_WALKER", 0x7105000d, CMD_E_RCS, 15 },
	{ "MEDIA_VFE_STATE", 0x70000007, CMD_E_RCS, 9 },
	{ "MEDIA_OBJECT", 0x71000004, CMD_E_RCS, 6 },
	{ "MEDIA_OBJECT", 0x71000200, CMD_E_RCS, 514 },	/* 16-bit field */
	/* video: vcs */
	{ "MFX_PIPE_MODE_SELECT", 0x70000003, CMD_E_VCS, 5 },
	{ "HCP_PIPE_MODE_SELECT", 0x73800002, CMD_E_VCS, 4 },
	{ "HUC_PIPE_MODE_SELECT", 0x75800001, CMD_E_VCS, 3 },
	{ "VDENC_PIPE_MODE_SELECT", 0x70800000, CMD_E_VCS, 2 },
	{ "MFX_WAIT", 0x68000000, CMD_E_VCS, 1 },
	/* scaling and format conversion: vcs and vecs */
	{ "SFC_LOCK", 0x75000000, CMD_E_VCS | CMD_E_VECS, 2 },
	{ "SFC_STATE", 0x75010010, CMD_E_VCS | CMD_E_VECS, 18 },
	/* VEBOX: vecs */
	{ "VEBOX_STATE", 0x7402000c, CMD_E_VECS, 14 },
	{ "VEB_DI_IECP", 0x74030014, CMD_E_VECS, 22 },
};

START_TEST(test_cmd_parser_every_category_decodes_on_its_engines_only)
{
	for (size_t i = 0; i < ARRAY_SIZE(gen9_cmds); i++) {
		for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++) {
			const struct gvt_cmd_desc *d =
				gvt_cmd_find(e, gen9_cmds[i].header);
			struct seen seen;

			if (!(gen9_cmds[i].engines & (1u << e))) {
				ck_assert_msg(!d || strcmp(d->name, gen9_cmds[i].name),
					      "%s decodes on %s", gen9_cmds[i].name,
					      engine_name(e));
				continue;
			}
			ck_assert_msg(d && !strcmp(d->name, gen9_cmds[i].name),
				      "0x%08x on %s is %s, not %s",
				      gen9_cmds[i].header, engine_name(e),
				      d ? d->name : "unknown", gen9_cmds[i].name);
			ck_assert_msg(decode_first(e, gen9_cmds[i].header, &seen)->length ==
				      gen9_cmds[i].len, "%s on %s: %u dwords, not %u",
				      gen9_cmds[i].name, engine_name(e),
				      seen.cmd[0].length, gen9_cmds[i].len);
		}
	}
}
END_TEST

START_TEST(test_cmd_parser_mi_flush_dw_is_unknown_on_render)
{
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;

	ck_assert_ptr_null(gvt_cmd_find(GVT_RCS, MI_FLUSH_DW));
	EMIT(&s, MI_FLUSH_DW, 0, 0, 0);
	v = decode("rcs", &s, 0x100000, 0, NULL);
	ck_refused(v, "unknown-opcode");
	ck_assert_uint_eq(v.header, MI_FLUSH_DW);
	ck_assert_ptr_nonnull(gvt_cmd_find(GVT_BCS, MI_FLUSH_DW));
}
END_TEST

START_TEST(test_cmd_parser_0x7000_is_mfx_on_vcs_and_media_on_rcs)
{
	ck_assert_str_eq(gvt_cmd_find(GVT_VCS, 0x70000003)->name, "MFX_PIPE_MODE_SELECT");
	ck_assert_str_eq(gvt_cmd_find(GVT_RCS, 0x70000007)->name, "MEDIA_VFE_STATE");
	ck_assert_ptr_null(gvt_cmd_find(GVT_BCS, 0x70000007));
	ck_assert_ptr_null(gvt_cmd_find(GVT_VECS, 0x70000003));
	/* The same top 16 bits, each engine's own length field. */
	ck_assert_uint_eq(gvt_cmd_find(GVT_VCS, 0x70000000)->len_bits, 12);
	ck_assert_uint_eq(gvt_cmd_find(GVT_RCS, 0x70000000)->len_bits, 16);
	/* VEBOX_STATE's opcode is nothing on the video engine. */
	ck_assert_ptr_null(gvt_cmd_find(GVT_VCS, 0x7402000c));
}
END_TEST

START_TEST(test_cmd_parser_decodes_a_render_stream)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct seen seen;
	uint32_t sel, sba, vb, prim, pc, end;

	sel = EMIT(&s, PIPELINE_SELECT);
	sba = EMIT(&s, STATE_BASE_ADDRESS);
	s.n += 18;			/* its addresses: zero */
	vb = EMIT(&s, VERTEX_BUFFERS(1), 0, 0, 0, 0);
	prim = EMIT(&s, PRIMITIVE, 0, 3, 0, 1, 0, 0);
	pc = EMIT(&s, PIPE_CONTROL, 0, 0, 0, 0, 0);
	end = EMIT(&s, MI_BATCH_BUFFER_END);
	ck_accepted(decode("rcs", &s, base, 0, &seen));
	ck_assert_uint_eq(seen.n, 6);
	ck_cmd(&seen, 0, "PIPELINE_SELECT", base + sel * 4, 1, 1);
	ck_cmd(&seen, 1, "STATE_BASE_ADDRESS", base + sba * 4, 19, 1);
	ck_cmd(&seen, 2, "3DSTATE_VERTEX_BUFFERS", base + vb * 4, 5, 1);
	ck_cmd(&seen, 3, "3DPRIMITIVE", base + prim * 4, 7, 1);
	ck_cmd(&seen, 4, "PIPE_CONTROL", base + pc * 4, 6, 1);
	ck_cmd(&seen, 5, "MI_BATCH_BUFFER_END", base + end * 4, 1, 1);
}
END_TEST

/* The command headers of i915's gen9 render state (the batch that records
 * its golden context at probe), in its order, each with its length in
 * dwords: every one must decode. 3DSTATE_DX9_CONSTANT_BUFFER_POOL_ALLOC
 * was missing, and i915 declared the GPU wedged. */
START_TEST(test_cmd_parser_i915_gen9_render_state_decodes)
{
	static const uint32_t cmds[][2] = {
		{ 0x7a000004, 6 }, { 0x69040300, 1 }, { 0x78140000, 2 }, { 0x7820000a, 12 },
		{ 0x78130002, 4 }, { 0x781f0004, 6 }, { 0x78510009, 11 }, { 0x78100007, 9 },
		{ 0x781b0007, 9 }, { 0x78110008, 10 }, { 0x781e0003, 5 }, { 0x781d0009, 11 },
		{ 0x78120002, 4 }, { 0x78500003, 5 }, { 0x781c0002, 4 }, { 0x780c0000, 2 },
		{ 0x78520003, 5 }, { 0x78300000, 2 }, { 0x78310000, 2 }, { 0x78320000, 2 },
		{ 0x78330000, 2 }, { 0x79190002, 4 }, { 0x791a0002, 4 }, { 0x791b0002, 4 },
		{ 0x79120000, 2 }, { 0x79130000, 2 }, { 0x79140000, 2 }, { 0x79150000, 2 },
		{ 0x79160000, 2 }, { 0x78150009, 11 }, { 0x78190009, 11 }, { 0x781a0009, 11 },
		{ 0x78160009, 11 }, { 0x78170009, 11 }, { 0x78490001, 3 }, { 0x784a0000, 2 },
		{ 0x784b0000, 2 }, { 0x79170101, 259 }, { 0x79180006, 8 }, { 0x61010011, 19 },
		{ 0x61020001, 3 }, { 0x79000002, 4 }, { 0x78050006, 8 }, { 0x79040002, 4 },
		{ 0x79080001, 3 }, { 0x790a0001, 3 }, { 0x78060003, 5 }, { 0x78070003, 5 },
		{ 0x78040001, 3 }, { 0x79110000, 2 }, { 0x780d0000, 2 }, { 0x79060000, 2 },
		{ 0x7907001f, 33 }, { 0x7902000f, 17 }, { 0x790c000f, 17 }, { 0x780a0003, 5 },
		{ 0x78080083, 133 }, { 0x78090043, 69 }, { 0x78550003, 5 }, { 0x680b0001, 1 },
		{ 0x780e0000, 2 }, { 0x78240000, 2 }, { 0x784f0000, 2 }, { 0x784d0000, 2 },
		{ 0x782b0000, 2 }, { 0x782c0000, 2 }, { 0x782d0000, 2 }, { 0x782e0000, 2 },
		{ 0x782f0000, 2 }, { 0x780f0000, 2 }, { 0x78230000, 2 }, { 0x78210000, 2 },
		{ 0x78260000, 2 }, { 0x78270000, 2 }, { 0x78280000, 2 }, { 0x78290000, 2 },
		{ 0x782a0000, 2 }, { 0x7b000005, 7 },
	};
	struct stream s = { 0 };
	struct seen seen;

	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
		EMIT(&s, cmds[i][0]);
		s.n += cmds[i][1] - 1;	/* operands: zero */
	}
	EMIT(&s, MI_BATCH_BUFFER_END);
	ck_accepted(decode("rcs", &s, 0x100000, 0, &seen));
	ck_assert_uint_eq(seen.n, ARRAY_SIZE(cmds) + 1);
}
END_TEST

START_TEST(test_cmd_parser_decodes_a_blitter_stream)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct seen seen;
	uint32_t copy, fill, fast, flush, end;

	copy = EMIT(&s, 0x54f00008, 0x03cc0100, 0, 0x00100010, 0, 0, 0, 0x100, 0, 0);
	fill = EMIT(&s, 0x54300005, 0x03f00100, 0, 0x00100010, 0, 0, 0xff00ff00);
	fast = EMIT(&s, 0x50800008, 0, 0, 0x00100010, 0, 0, 0, 0x100, 0, 0);
	flush = EMIT(&s, MI_FLUSH_DW, 0, 0, 0);
	end = EMIT(&s, MI_BATCH_BUFFER_END);
	ck_accepted(decode("bcs", &s, base, 0, &seen));
	ck_assert_uint_eq(seen.n, 5);
	ck_cmd(&seen, 0, "XY_SRC_COPY_BLT", base + copy * 4, 10, 1);
	ck_cmd(&seen, 1, "XY_COLOR_BLT", base + fill * 4, 7, 1);
	ck_cmd(&seen, 2, "XY_FAST_COPY_BLT", base + fast * 4, 10, 1);
	ck_cmd(&seen, 3, "MI_FLUSH_DW", base + flush * 4, 4, 1);
	ck_cmd(&seen, 4, "MI_BATCH_BUFFER_END", base + end * 4, 1, 1);
	/* The render engine has no blitter commands. */
	ck_refused(decode("rcs", &s, base, 0, NULL), "unknown-opcode");
}
END_TEST

START_TEST(test_cmd_parser_decodes_a_video_stream)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct seen seen;
	uint32_t mfx, hcp, huc, vdenc, sfc, wait, flush;

	mfx = EMIT(&s, 0x70000003, 0, 0, 0, 0);
	hcp = EMIT(&s, 0x73800002, 0, 0, 0);
	huc = EMIT(&s, 0x75800001, 0, 0);
	vdenc = EMIT(&s, 0x70800000, 0);
	sfc = EMIT(&s, 0x75000000, 0);
	wait = EMIT(&s, 0x68000000);
	flush = EMIT(&s, MI_FLUSH_DW_QWORD, 0, 0, 0, 0);
	EMIT(&s, MI_BATCH_BUFFER_END);
	ck_accepted(decode("vcs", &s, base, 0, &seen));
	ck_assert_uint_eq(seen.n, 8);
	ck_cmd(&seen, 0, "MFX_PIPE_MODE_SELECT", base + mfx * 4, 5, 1);
	ck_cmd(&seen, 1, "HCP_PIPE_MODE_SELECT", base + hcp * 4, 4, 1);
	ck_cmd(&seen, 2, "HUC_PIPE_MODE_SELECT", base + huc * 4, 3, 1);
	ck_cmd(&seen, 3, "VDENC_PIPE_MODE_SELECT", base + vdenc * 4, 2, 1);
	ck_cmd(&seen, 4, "SFC_LOCK", base + sfc * 4, 2, 1);
	ck_cmd(&seen, 5, "MFX_WAIT", base + wait * 4, 1, 1);
	ck_cmd(&seen, 6, "MI_FLUSH_DW", base + flush * 4, 5, 1);
}
END_TEST

START_TEST(test_cmd_parser_decodes_a_vebox_stream)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct seen seen;
	uint32_t state, iecp, sfc, flush;

	state = EMIT(&s, 0x7402000c);
	s.n += 13;			/* operands: zero */
	iecp = EMIT(&s, 0x74030014);
	s.n += 21;
	sfc = EMIT(&s, 0x75010010);
	s.n += 17;
	flush = EMIT(&s, MI_FLUSH_DW, 0, 0, 0);
	EMIT(&s, MI_BATCH_BUFFER_END);
	ck_accepted(decode("vecs", &s, base, 0, &seen));
	ck_assert_uint_eq(seen.n, 5);
	ck_cmd(&seen, 0, "VEBOX_STATE", base + state * 4, 14, 1);
	ck_cmd(&seen, 1, "VEB_DI_IECP", base + iecp * 4, 22, 1);
	ck_cmd(&seen, 2, "SFC_STATE", base + sfc * 4, 18, 1);
	ck_cmd(&seen, 3, "MI_FLUSH_DW", base + flush * 4, 4, 1);
	/* VEBOX commands are the video enhancement engine's alone. */
	ck_refused(decode("vcs", &s, base, 0, NULL), "unknown-opcode");
}
END_TEST

/* ==== decoding ==== */

START_TEST(test_cmd_parser_unknown_opcode_is_refused)
{
	static const uint32_t unknown[] = {
		0x20000000,	/* type 1: no Gen9 engine has it */
		0xe0000000,	/* type 7 */
		0x7f000000,	/* GFXPIPE opcode nobody defines */
		0x1f800000,	/* MI opcode 0x3f */
	};

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		struct stream s = { 0 };
		struct gvt_cmd_verdict v;

		EMIT(&s, MI_NOOP, unknown[i], MI_BATCH_BUFFER_END);
		v = decode("rcs", &s, 0x100000, 0, NULL);
		ck_refused(v, "unknown-opcode");
		ck_assert_uint_eq(v.header, unknown[i]);
		ck_assert_uint_eq(v.gma, 0x100004);
		ck_assert_str_eq(v.command, "UNKNOWN");
	}
}
END_TEST

START_TEST(test_cmd_parser_fixed_length_command_with_wrong_length_is_refused)
{
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;

	/* PIPE_CONTROL is 6 dwords on Gen9; 5 is Gen7's. */
	EMIT(&s, PIPE_CONTROL - 1, 0, 0, 0, 0, MI_BATCH_BUFFER_END);
	v = decode("rcs", &s, 0x100000, 0, NULL);
	ck_refused(v, "length");
	ck_assert_str_eq(v.command, "PIPE_CONTROL");
	ck_assert_uint_eq(v.header, PIPE_CONTROL - 1);

	/* XY_SRC_COPY_BLT is 10 dwords with 48-bit addresses; 8 is too short. */
	s.n = 0;
	EMIT(&s, 0x54f00006, 0, 0, 0, 0, 0, 0, 0);
	ck_refused(decode("bcs", &s, 0x100000, 0, NULL), "length");

	/* MI_STORE_DATA_IMM carries at least one dword of data. */
	s.n = 0;
	EMIT(&s, 0x10000001, 0, 0);
	ck_refused(decode("rcs", &s, 0x100000, 0, NULL), "length");
}
END_TEST

START_TEST(test_cmd_parser_command_past_the_end_is_refused)
{
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;

	EMIT(&s, MI_NOOP, PIPE_CONTROL, 0, 0);
	v = decode("rcs", &s, 0x100000, 0, NULL);
	ck_refused(v, "past-end");
	ck_assert_str_eq(v.command, "PIPE_CONTROL");
	ck_assert_uint_eq(v.gma, 0x100004);
	/* The same in a ring segment. */
	ck_refused(decode("rcs", &s, 0x100000, GVT_CMD_RING, NULL), "past-end");
	/* Near miss: the command's last dword is the buffer's last. */
	EMIT(&s, 0, 0, 0);
	ck_accepted(decode("rcs", &s, 0x100000, 0, NULL));
}
END_TEST

START_TEST(test_cmd_parser_decoding_stops_at_batch_buffer_end)
{
	struct stream s = { 0 };
	struct seen seen;

	/* What follows the end never runs: it is not decoded. */
	EMIT(&s, MI_NOOP, MI_BATCH_BUFFER_END, 0xffffffff, 0xe0000000);
	ck_accepted(decode("rcs", &s, 0x100000, 0, &seen));
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_uint_eq(decode("rcs", &s, 0x100000, 0, NULL).commands, 2);
	/* In a ring MI_BATCH_BUFFER_END is a no-op: the ring goes on. */
	ck_refused(decode("rcs", &s, 0x100000, GVT_CMD_RING, NULL),
		   "unknown-opcode");
}
END_TEST

START_TEST(test_cmd_parser_chain_inside_the_buffer_is_followed)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;
	struct seen seen;

	EMIT(&s, MI_NOOP);
	EMIT(&s, MI_BB_START, LO(base + 32), HI(base + 32));	/* to dword 8 */
	EMIT(&s, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff);	/* skipped */
	EMIT(&s, 0x02800000, MI_BATCH_BUFFER_END);		/* MI_ARB_CHECK */
	v = decode("rcs", &s, base, 0, &seen);
	ck_accepted(v);
	ck_assert_uint_eq(v.unfollowed, 0);
	ck_assert_uint_eq(seen.n, 4);
	ck_cmd(&seen, 0, "MI_NOOP", base, 1, 1);
	ck_cmd(&seen, 1, "MI_BATCH_BUFFER_START", base + 4, 3, 1);
	ck_cmd(&seen, 2, "MI_ARB_CHECK", base + 32, 1, 1);
	ck_cmd(&seen, 3, "MI_BATCH_BUFFER_END", base + 36, 1, 1);
}
END_TEST

START_TEST(test_cmd_parser_second_level_call_returns_after_the_start)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;
	struct seen seen;

	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL, LO(base + 32), HI(base + 32));
	EMIT(&s, MI_NOOP, MI_BATCH_BUFFER_END, 0, 0, 0);
	EMIT(&s, 0x02800000, MI_BATCH_BUFFER_END);		/* dword 8 */
	v = decode("rcs", &s, base, 0, &seen);
	ck_accepted(v);
	ck_assert_uint_eq(seen.n, 5);
	ck_cmd(&seen, 0, "MI_BATCH_BUFFER_START", base, 3, 1);
	ck_cmd(&seen, 1, "MI_ARB_CHECK", base + 32, 1, 2);
	ck_cmd(&seen, 2, "MI_BATCH_BUFFER_END", base + 36, 1, 2);
	ck_cmd(&seen, 3, "MI_NOOP", base + 12, 1, 1);
	ck_cmd(&seen, 4, "MI_BATCH_BUFFER_END", base + 16, 1, 1);
}
END_TEST

START_TEST(test_cmd_parser_start_outside_the_buffer_is_not_followed)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;
	struct seen seen;

	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL, LO(base + 0x10000), 0);
	EMIT(&s, MI_BB_START, LO(base - 0x1000), 0);
	v = decode("rcs", &s, base, 0, &seen);
	ck_accepted(v);
	ck_assert_uint_eq(v.unfollowed, 2);
	ck_assert_uint_eq(seen.n, 2);
	/* From a ring too. */
	s.n = 0;
	EMIT(&s, MI_BB_START, LO(0x200000), 0, MI_NOOP);
	v = decode("rcs", &s, base, GVT_CMD_RING, &seen);
	ck_accepted(v);
	ck_assert_uint_eq(v.unfollowed, 1);
	ck_assert_uint_eq(seen.n, 2);
}
END_TEST

/* IGT's spinners: a batch chaining back to its own start, until a
 * conditional end reads what the CPU wrote. The loop is decoded once. */
START_TEST(test_cmd_parser_chain_back_to_its_own_start_is_a_loop)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;
	struct seen seen;

	EMIT(&s, MI_NOOP);
	EMIT(&s, MI_COND_BB_END, MI_BATCH_BUFFER_END, LO(base + 64), 0);
	EMIT(&s, MI_BB_START, LO(base), HI(base));
	v = decode("rcs", &s, base, 0, &seen);
	ck_accepted(v);
	ck_assert_uint_eq(seen.n, 3);
	ck_cmd(&seen, 2, "MI_BATCH_BUFFER_START", base + 20, 3, 1);
}
END_TEST

/* A chains to B, B chains back to A: each is decoded once. */
START_TEST(test_cmd_parser_loop_through_two_batches_is_decoded_once)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };
	struct seen seen;

	EMIT(&s, MI_BB_START, LO(base + 16), HI(base + 16));	/* A */
	EMIT(&s, MI_NOOP);
	EMIT(&s, MI_BB_START, LO(base), HI(base));		/* B */
	ck_accepted(decode("rcs", &s, base, 0, &seen));
	ck_assert_uint_eq(seen.n, 2);
	ck_cmd(&seen, 0, "MI_BATCH_BUFFER_START", base, 3, 1);
	ck_cmd(&seen, 1, "MI_BATCH_BUFFER_START", base + 16, 3, 1);
}
END_TEST

/* A loop longer than the look-back is scanned round after round, as new
 * buffers, until the buffer limit ends it. */
START_TEST(test_cmd_parser_loop_longer_than_the_look_back_ends_at_the_limit)
{
	const uint64_t base = 0x100000;
	struct stream s = { 0 };

	for (uint32_t i = 0; i < 100; i++) {
		uint64_t next = base + 12ull * ((i + 1) % 100);

		EMIT(&s, MI_BB_START, LO(next), HI(next));
	}
	ck_refused(decode("rcs", &s, base, 0, NULL), "bb-limit");
	/* Near miss: 64 buffers close the loop. */
	s.dw[63 * 3 + 1] = LO(base);
	ck_accepted(decode("rcs", &s, base, 0, NULL));
}
END_TEST

/*
 * A loop may only come back to where a buffer's decoding began. A chain
 * into the middle of a command is decoded from there, as the GPU would,
 * so what the first decoding hid in an operand is audited.
 */
START_TEST(test_cmd_parser_chain_into_a_command_is_decoded_from_there)
{
	uint64_t base = ap_base();
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;

	/* An LRI whose value is an MI_UPDATE_GTT header, then a chain to
	 * that value. */
	EMIT(&s, MI_LRI(1), 0x2600, MI_UPDATE_GTT, 0, 0);
	EMIT(&s, MI_BB_START, LO(base + 8), HI(base + 8));
	v = audit("rcs", &s, 0);
	ck_refused(v, "forbidden");
	ck_assert_str_eq(v.command, "MI_UPDATE_GTT");
	ck_assert_uint_eq(v.gma, base + 8);
	/* Near miss: the same chain to the LRI itself is a loop. */
	s.dw[5 + 1] = LO(base);
	ck_accepted(audit("rcs", &s, 0));
}
END_TEST

START_TEST(test_cmd_parser_decode_does_not_audit)
{
	struct stream s = { 0 };

	EMIT(&s, MI_UPDATE_GTT, 0, 0);
	EMIT(&s, MI_LRI(1), 0x2030, 0);
	EMIT(&s, MI_SDI | USE_GGTT, 0xfffff000, 0, 0);
	ck_accepted(decode("rcs", &s, 0x100000, 0, NULL));
}
END_TEST

START_TEST(test_cmd_parser_decode_rejects_bad_arguments)
{
	uint32_t dw[2] = { 0 };
	struct gvt_cmd_verdict v;

	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, "gpu", dw, 8, 0, 0,
					NULL, NULL, &v), -EINVAL);
	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, "rcs", dw, 6, 0, 0,
					NULL, NULL, &v), -EINVAL);
	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, "rcs", dw, 8, 2, 0,
					NULL, NULL, &v), -EINVAL);
	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, "rcs", dw, 8, 0,
					GVT_CMD_RING | GVT_CMD_PPGTT, NULL,
					NULL, &v), -EINVAL);
	ck_assert_int_eq(gvt_cmd_decode(GVT_PLATFORM_SKL, "rcs", dw, 8, 0, 0,
					NULL, NULL, NULL), -EINVAL);
}
END_TEST

/* ==== audit: forbidden commands ==== */

START_TEST(test_cmd_parser_forbidden_commands_are_refused)
{
	static const struct {
		const char *name;
		uint32_t dw[3];
		uint32_t len;
	} forbidden[] = {
		{ "MI_UPDATE_GTT", { MI_UPDATE_GTT }, 3 },
		{ "MI_SEMAPHORE_SIGNAL", { 0x0d800000 }, 2 },
		{ "MI_RS_CONTROL", { 0x03000000 }, 1 },
		{ "MI_DISPLAY_FLIP", { 0x0a000001 }, 3 },
		{ "MI_LOAD_SCAN_LINES_INCL", { 0x09000000 }, 2 },
		{ "MI_SET_CONTEXT", { 0x0c000000 }, 2 },
		{ "MI_FORCE_WAKEUP", { 0x0e800000 }, 2 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++) {
		struct stream s = { 0 };
		struct gvt_cmd_verdict v;

		EMIT(&s, MI_NOOP);
		emit(&s, forbidden[i].dw, forbidden[i].len);
		v = audit("rcs", &s, 0);
		ck_refused(v, "forbidden");
		ck_assert_str_eq(v.command, forbidden[i].name);
		ck_assert_uint_eq(v.header, forbidden[i].dw[0]);
		ck_assert_uint_eq(v.gma, ap_base() + 4);
		ck_assert_uint_eq(v.level, 1);
		/* From a ring just the same. */
		ck_refused(audit("rcs", &s, GVT_CMD_RING), "forbidden");
	}
}
END_TEST

START_TEST(test_cmd_parser_wait_for_event_is_accepted)
{
	ck_accepted(AUDIT("rcs", MI_WAIT_FOR_EVENT));
	ck_accepted(AUDIT("bcs", MI_WAIT_FOR_EVENT));
	/* The semaphore MI_SEMAPHORE_SIGNAL would signal may be waited on. */
	ck_accepted(AUDIT("rcs", MI_SEMAPHORE_WAIT, 1, 0x1000, 0));
}
END_TEST

START_TEST(test_cmd_parser_audit_neither_logs_nor_counts)
{
	t_log_clear();
	ck_refused(AUDIT("rcs", MI_UPDATE_GTT, 0, 0), "forbidden");
	ck_assert_uint_eq(t_log_count(), 0);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_scans, 0);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_refusals, 0);
	ck_assert_uint_eq(t_stats(t_vgpu).guest_errors, 0);
}
END_TEST

/* ==== audit: registers ==== */

static struct gvt_cmd_verdict lri(uint32_t reg)
{
	return AUDIT("rcs", MI_LRI(1), reg, 0x12345678);
}

START_TEST(test_cmd_parser_lri_to_ring_registers_is_refused)
{
	ck_refused(lri(0x2030), "register");	/* RING_TAIL */
	ck_refused(lri(0x2034), "register");	/* RING_HEAD */
	ck_refused(lri(0x2230), "register");	/* ELSP */
	ck_refused(lri(0x22030), "register");	/* the blitter's RING_TAIL */
	ck_refused(lri(0x12030), "register");	/* the video engine's */
}
END_TEST

START_TEST(test_cmd_parser_lri_to_host_registers_is_refused)
{
	struct gvt_cmd_verdict v = lri(0x44300);

	ck_refused(v, "register");
	ck_assert_str_eq(v.command, "MI_LOAD_REGISTER_IMM");
	ck_assert_ptr_nonnull(strstr(v.detail, "0x44300"));
	ck_refused(lri(0x78000), "register");	/* PVINFO */
	ck_refused(lri(0xa278), "register");	/* forcewake */
	ck_refused(lri(0x100000), "register");	/* fence 0 */
	ck_refused(lri(0x200000), "register");	/* past the 2 MiB range */
	ck_refused(lri(0x7ffffc), "register");
}
END_TEST

START_TEST(test_cmd_parser_lri_to_context_registers_is_accepted)
{
	ck_accepted(lri(0x2420));	/* 3DPRIM_END_OFFSET */
	ck_accepted(lri(0x2600));	/* CS_GPR0 */
	ck_accepted(lri(0x267c));	/* CS_GPR15, upper half */
	ck_accepted(lri(0x7034));	/* L3CNTLREG */
	ck_accepted(lri(0xe194));	/* HALF_SLICE_CHICKEN7 */
}
END_TEST

START_TEST(test_cmd_parser_lri_to_registers_holding_graphics_addresses_is_refused)
{
	char accepted[256] = "";
	size_t used = 0;

	/* An engine would fetch or write memory at whatever address the
	 * guest loads into these: none may be a command's to set. */
	for (uint32_t dw = 0; dw < GVT_MMIO_SIZE / 4; dw++) {
		if (!(t_ctx->mmio.attr[dw].flags & F_GMADR) || lri(dw * 4).refused)
			continue;
		if (used < sizeof(accepted))
			used += (size_t)snprintf(accepted + used, sizeof(accepted) - used,
						 " 0x%x", dw * 4);
	}
	ck_assert_msg(!used, "LRI may load a graphics address into:%s", accepted);
}
END_TEST

START_TEST(test_cmd_parser_lri_checks_every_pair)
{
	ck_refused(AUDIT("rcs", MI_LRI(3), 0x2600, 0, 0x2604, 0, 0x2030, 0),
		   "register");
	ck_accepted(AUDIT("rcs", MI_LRI(3), 0x2600, 0, 0x2604, 0, 0x2608, 0));
}
END_TEST

START_TEST(test_cmd_parser_lri_with_half_a_pair_is_refused)
{
	ck_refused(AUDIT("rcs", MI_LRI(1) + 1, 0x2600, 0, 0x2604), "length");
	ck_accepted(AUDIT("rcs", MI_LRI(2), 0x2600, 0, 0x2604, 0));
}
END_TEST

START_TEST(test_cmd_parser_lrr_checks_both_registers)
{
	ck_refused(AUDIT("rcs", MI_LRR, 0x2030, 0x2600), "register");
	ck_refused(AUDIT("rcs", MI_LRR, 0x2600, 0x2230), "register");
	ck_accepted(AUDIT("rcs", MI_LRR, 0x2600, 0x2608));
}
END_TEST

START_TEST(test_cmd_parser_srm_and_lrm_check_the_register)
{
	ck_refused(AUDIT("rcs", MI_SRM, 0x100000, 0x1000, 0), "register");
	ck_refused(AUDIT("rcs", MI_LRM, 0x2030, 0x1000, 0), "register");
	ck_accepted(AUDIT("rcs", MI_SRM, 0x2600, 0x1000, 0));
	ck_accepted(AUDIT("rcs", MI_LRM, 0x2600, 0x1000, 0));
}
END_TEST

START_TEST(test_cmd_parser_pipe_control_lri_post_sync_checks_the_register)
{
	ck_refused(AUDIT("rcs", PIPE_CONTROL, PC_LRI_POST_SYNC, 0x2030, 0, 0, 0),
		   "register");
	ck_accepted(AUDIT("rcs", PIPE_CONTROL, PC_LRI_POST_SYNC, 0x2600, 0, 0, 0));
}
END_TEST

START_TEST(test_cmd_parser_pipe_control_lri_post_sync_with_a_ggtt_write_is_refused)
{
	/*
	 * The PRM wants Post-Sync Operation clear when LRI Post Sync is set;
	 * with both, dwords 2-3 are a register and a GGTT address at once
	 * (here 0x2600: the host's page 2). Either reading must be checked.
	 */
	struct gvt_cmd_verdict v = AUDIT("rcs", PIPE_CONTROL,
					 PC_LRI_POST_SYNC | POST_SYNC_IMM | PC_GGTT,
					 0x2600, 0, 0xdead, 0xbeef);

	ck_assert_msg(v.refused, "a post-sync write to GGTT 0x2600 was accepted");
	ck_accepted(AUDIT("rcs", PIPE_CONTROL, PC_LRI_POST_SYNC, 0x2600, 0, 0xdead, 0));
}
END_TEST

/* ==== audit: GGTT operands ==== */

START_TEST(test_cmd_parser_sdi_ggtt_write_stays_in_vgpu_memory)
{
	uint64_t end = ap_end(), base = ap_base();
	struct gvt_cmd_verdict v;

	v = AUDIT("rcs", MI_SDI | USE_GGTT, LO(end), HI(end), 0);
	ck_refused(v, "ggtt-range");
	ck_assert_str_eq(v.command, "MI_STORE_DATA_IMM");
	ck_refused(AUDIT("rcs", MI_SDI | USE_GGTT, LO(base - 4), HI(base - 4), 0),
		   "ggtt-range");
	/* The last dword inside, yes; a qword there straddles the end. */
	ck_accepted(AUDIT("rcs", MI_SDI | USE_GGTT, LO(end - 4), HI(end - 4), 0));
	ck_refused(AUDIT("rcs", MI_SDI_QWORD | USE_GGTT, LO(end - 4), HI(end - 4), 0, 0),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_SDI_QWORD | USE_GGTT, LO(end - 8), HI(end - 8), 0, 0));
	/* The hidden slice is the vGPU's too. */
	ck_accepted(AUDIT("rcs", MI_SDI | USE_GGTT, LO(hidden_end() - 4),
			  HI(hidden_end() - 4), 0));
	ck_refused(AUDIT("rcs", MI_SDI | USE_GGTT, LO(hidden_end()),
			 HI(hidden_end()), 0), "ggtt-range");
	/* Without Use Global GTT the address is the PPGTT's: any will do. */
	ck_accepted(AUDIT("rcs", MI_SDI, LO(end), HI(end), 0));
	ck_accepted(AUDIT("rcs", MI_SDI, 0, 0, 0));
}
END_TEST

START_TEST(test_cmd_parser_pipe_control_post_sync_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();
	const uint32_t ggtt_write = POST_SYNC_IMM | PC_GGTT;

	ck_refused(AUDIT("rcs", PIPE_CONTROL, ggtt_write, LO(end), HI(end), 0, 0),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", PIPE_CONTROL, ggtt_write, LO(end - 8), HI(end - 8), 0, 0));
	/* PPGTT post-sync, and GGTT without a post-sync write. */
	ck_accepted(AUDIT("rcs", PIPE_CONTROL, POST_SYNC_IMM, LO(end), HI(end), 0, 0));
	ck_accepted(AUDIT("rcs", PIPE_CONTROL, PC_GGTT, LO(end), HI(end), 0, 0));
}
END_TEST

START_TEST(test_cmd_parser_flush_dw_post_sync_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();
	const uint32_t flush = MI_FLUSH_DW_QWORD | POST_SYNC_IMM;

	ck_refused(AUDIT("bcs", flush, LO(end) | FLUSH_DW_GGTT, HI(end), 0, 0),
		   "ggtt-range");
	ck_accepted(AUDIT("bcs", flush, LO(end - 8) | FLUSH_DW_GGTT, HI(end - 8), 0, 0));
	ck_accepted(AUDIT("bcs", flush, LO(end), HI(end), 0, 0));
	/* The video engines' MI_FLUSH_DW is the same command. */
	ck_refused(AUDIT("vcs", flush, LO(end) | FLUSH_DW_GGTT, HI(end), 0, 0),
		   "ggtt-range");
	ck_refused(AUDIT("vecs", flush, LO(end) | FLUSH_DW_GGTT, HI(end), 0, 0),
		   "ggtt-range");
}
END_TEST

START_TEST(test_cmd_parser_register_memory_ggtt_operand_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	ck_refused(AUDIT("rcs", MI_SRM | USE_GGTT, 0x2600, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_SRM | USE_GGTT, 0x2600, LO(end - 4), HI(end - 4)));
	ck_accepted(AUDIT("rcs", MI_SRM, 0x2600, LO(end), HI(end)));
	ck_refused(AUDIT("rcs", MI_LRM | USE_GGTT, 0x2600, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_LRM | USE_GGTT, 0x2600, LO(end - 4), HI(end - 4)));
	ck_accepted(AUDIT("rcs", MI_LRM, 0x2600, LO(end), HI(end)));
}
END_TEST

START_TEST(test_cmd_parser_semaphore_wait_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	ck_refused(AUDIT("rcs", MI_SEMAPHORE_WAIT | USE_GGTT, 1, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_SEMAPHORE_WAIT | USE_GGTT, 1, LO(end - 4), HI(end - 4)));
	ck_accepted(AUDIT("rcs", MI_SEMAPHORE_WAIT, 1, LO(end), HI(end)));
}
END_TEST

START_TEST(test_cmd_parser_atomic_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	ck_refused(AUDIT("rcs", MI_ATOMIC | USE_GGTT, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_ATOMIC | USE_GGTT, LO(end - 4), HI(end - 4)));
	/* A qword atomic (size field 1) on the last dword straddles. */
	ck_refused(AUDIT("rcs", MI_ATOMIC | USE_GGTT | 1u << 19, LO(end - 4), HI(end - 4)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_ATOMIC, LO(end), HI(end)));
}
END_TEST

START_TEST(test_cmd_parser_copy_mem_mem_stays_in_vgpu_memory)
{
	uint64_t end = ap_end(), in = ap_end() - 4;

	/* Destination (dwords 1-2) in the GGTT with bit 21, source with bit 22. */
	ck_refused(AUDIT("rcs", MI_COPY_MEM_MEM | COPY_DST_GGTT, LO(end), HI(end), LO(in), HI(in)),
		   "ggtt-range");
	ck_refused(AUDIT("rcs", MI_COPY_MEM_MEM | USE_GGTT, LO(in), HI(in), LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_COPY_MEM_MEM | USE_GGTT | COPY_DST_GGTT,
			  LO(in), HI(in), LO(in), HI(in)));
	ck_accepted(AUDIT("rcs", MI_COPY_MEM_MEM, LO(end), HI(end), LO(end), HI(end)));
	/* A PPGTT side may be anywhere. */
	ck_accepted(AUDIT("rcs", MI_COPY_MEM_MEM | COPY_DST_GGTT, LO(in), HI(in), LO(end), HI(end)));
}
END_TEST

START_TEST(test_cmd_parser_conditional_batch_end_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	ck_refused(AUDIT("rcs", MI_COND_BB_END | USE_GGTT, 0, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_COND_BB_END | USE_GGTT, 0, LO(end - 8), HI(end - 8)));
	ck_accepted(AUDIT("rcs", MI_COND_BB_END, 0, LO(end), HI(end)));
}
END_TEST

START_TEST(test_cmd_parser_report_perf_count_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	/* An OA report is up to 256 bytes: it must fit before the end. */
	ck_refused(AUDIT("rcs", MI_REPORT_PERF_COUNT, LO(end - 64) | PERF_GGTT, HI(end - 64), 0),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_REPORT_PERF_COUNT, LO(end - 256) | PERF_GGTT,
			  HI(end - 256), 0));
	ck_accepted(AUDIT("rcs", MI_REPORT_PERF_COUNT, LO(end), HI(end), 0));
}
END_TEST

START_TEST(test_cmd_parser_clflush_stays_in_vgpu_memory)
{
	uint64_t end = ap_end();

	ck_refused(AUDIT("rcs", MI_CLFLUSH | USE_GGTT, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("rcs", MI_CLFLUSH | USE_GGTT, LO(end - PAGE), HI(end - PAGE)));
	ck_accepted(AUDIT("rcs", MI_CLFLUSH, LO(end), HI(end)));
}
END_TEST

/*
 * Blits in the ring and in GGTT batches draw through the GGTT: every byte
 * the surfaces span, for any tiling BCS_SWCTRL may choose, must be the
 * vGPU's. In a PPGTT batch the surfaces are PPGTT addresses: any will do.
 */
#define XY_COLOR_BLT_32	(0x54000005u | 3u << 20)	/* 32 bpp, all bytes */
#define XY_SRC_COPY_32	(0x54c00008u | 3u << 20)
#define XY_FAST_COPY	0x50800008u
#define XY_DST_TILED	(1u << 11)
#define BR13_32(pitch)	(3u << 24 | 0xccu << 16 | ((pitch) & 0xffff))
#define XY(x, y)	((uint32_t)(y) << 16 | (x))

START_TEST(test_cmd_parser_blits_in_ggtt_buffers_stay_in_vgpu_memory)
{
	static struct stream s;
	uint64_t base = ap_base(), end = ap_end();
	/* 16 x 4 pixels at 32 bpp, 1 KiB apart: the last byte is at
	 * 3 KiB + 63. */
	uint64_t fits = end - 3 * 1024 - 64;

	ck_accepted(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(1024), XY(0, 0),
			  XY(16, 4), LO(fits), HI(fits), 0));
	ck_refused(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(1024), XY(0, 0),
			 XY(16, 4), LO(fits + 4), HI(fits + 4), 0), "ggtt-range");
	ck_refused(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(1024), XY(0, 0),
			 XY(16, 4), LO(base - 4), HI(base - 4), 0), "ggtt-range");
	/* The rectangle's corner counts, not just the base. */
	ck_refused(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(1024), XY(8, 2),
			 XY(16, 4), LO(fits + 64), HI(fits + 64), 0), "ggtt-range");
	/* A negative pitch draws below the base. */
	ck_refused(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(-1024), XY(0, 0),
			 XY(16, 4), LO(base), HI(base), 0), "ggtt-range");
	ck_accepted(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(-1024), XY(0, 0),
			  XY(16, 4), LO(base + 3072), HI(base + 3072), 0));
	/* Tiled, 512 bytes a row, 9 rows: X tiles make it two 4 KiB tiles
	 * whatever the columns. */
	ck_accepted(AUDIT("bcs", XY_COLOR_BLT_32 | XY_DST_TILED, BR13_32(128),
			  XY(0, 0), XY(16, 9), LO(end - 8192), HI(end - 8192), 0));
	ck_refused(AUDIT("bcs", XY_COLOR_BLT_32 | XY_DST_TILED, BR13_32(128),
			 XY(0, 0), XY(16, 9), LO(end - 4096), HI(end - 4096), 0),
		   "ggtt-range");
	/* An empty rectangle draws nothing. */
	ck_accepted(AUDIT("bcs", XY_COLOR_BLT_32, BR13_32(1024), XY(4, 0),
			  XY(4, 4), LO(end), HI(end), 0));
	/* A copy's source is checked as its destination is. */
	ck_refused(AUDIT("bcs", XY_SRC_COPY_32, BR13_32(1024), XY(0, 0), XY(16, 4),
			 LO(base), HI(base), XY(0, 0), 1024, LO(end), HI(end)),
		   "ggtt-range");
	ck_accepted(AUDIT("bcs", XY_SRC_COPY_32, BR13_32(1024), XY(0, 0), XY(16, 4),
			  LO(base), HI(base), XY(0, 0), 1024, LO(base + 4096),
			  HI(base + 4096)));
	ck_refused(AUDIT("bcs", XY_FAST_COPY, 3u << 24 | 1024, XY(0, 0), XY(16, 4),
			 LO(base), HI(base), XY(0, 0), 1024, LO(end), HI(end)),
		   "ggtt-range");
	ck_refused(AUDIT("bcs", XY_FAST_COPY, 3u << 24 | 1024, XY(0, 0), XY(16, 4),
			 LO(end), HI(end), XY(0, 0), 1024, LO(base), HI(base)),
		   "ggtt-range");
	/* The ring is privileged too; a PPGTT batch is not. */
	s.n = 0;
	EMIT(&s, XY_COLOR_BLT_32, BR13_32(1024), XY(0, 0), XY(16, 4), LO(end),
	     HI(end), 0, 0);
	ck_refused(audit("bcs", &s, GVT_CMD_RING), "ggtt-range");
	ck_accepted(audit("bcs", &s, GVT_CMD_PPGTT));
}
END_TEST

START_TEST(test_cmd_parser_store_data_index_stays_in_the_status_page)
{
	ck_refused(AUDIT("rcs", MI_SDX_QWORD, 0xffc, 0, 0), "hwsp-index");
	ck_accepted(AUDIT("rcs", MI_SDX_QWORD, 0xff8, 0, 0));
	ck_accepted(AUDIT("rcs", MI_SDX, 0xffc, 0));
}
END_TEST

/* ==== audit: batch buffer starts ==== */

static struct gvt_cmd_verdict ring_start(uint32_t dw0, uint64_t target)
{
	struct stream s = { 0 };

	EMIT(&s, dw0, LO(target), HI(target), MI_NOOP);
	return audit("rcs", &s, GVT_CMD_RING);
}

START_TEST(test_cmd_parser_start_with_add_offset_is_refused)
{
	uint64_t batch = ap_base() + 0x10000;

	ck_refused(ring_start(MI_BB_START | BB_ADD_OFFSET, batch), "bb-offset");
	ck_accepted(ring_start(MI_BB_START, batch));
}
END_TEST

START_TEST(test_cmd_parser_start_on_the_resource_streamer_is_refused)
{
	uint64_t batch = ap_base() + 0x10000;
	struct gvt_cmd_verdict v = ring_start(MI_BB_START | BB_RESOURCE_STREAMER, batch);

	ck_assert_int_eq(v.refused, 1);
	ck_assert_str_eq(v.command, "MI_BATCH_BUFFER_START");
	ck_assert_str_eq(v.rule, "forbidden");
}
END_TEST

START_TEST(test_cmd_parser_start_to_a_non_canonical_address_is_refused)
{
	const uint32_t ppgtt = MI_BB_START | BB_PPGTT;
	struct gvt_cmd_verdict v;

	ck_refused(ring_start(ppgtt, 0x0000800000001000ull), "bb-target");
	ck_refused(ring_start(ppgtt, 0x0001000000001000ull), "bb-target");
	ck_refused(ring_start(ppgtt, 0xfffe800000001000ull), "bb-target");
	/* Near misses: canonical high and low addresses. */
	v = ring_start(ppgtt, 0xffff800000001000ull);
	ck_accepted(v);
	ck_assert_uint_eq(v.unfollowed, 1);
	ck_accepted(ring_start(ppgtt, 0x00007ffffffff000ull));
}
END_TEST

START_TEST(test_cmd_parser_ggtt_start_outside_vgpu_memory_is_refused)
{
	struct gvt_cmd_verdict v = ring_start(MI_BB_START, ap_end());

	ck_refused(v, "bb-target");
	ck_assert_uint_eq(v.level, 0);
	ck_refused(ring_start(MI_BB_START, ap_base() - PAGE), "bb-target");
	ck_accepted(ring_start(MI_BB_START, ap_end() - PAGE));
	ck_accepted(ring_start(MI_BB_START, hidden_end() - PAGE));
	/* The same address in the PPGTT is the guest's own business. */
	ck_accepted(ring_start(MI_BB_START | BB_PPGTT, ap_end()));
}
END_TEST

START_TEST(test_cmd_parser_ppgtt_batch_may_not_start_a_ggtt_batch)
{
	struct stream s = { 0 };

	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL, LO(ap_base()), HI(ap_base()));
	ck_refused(audit("rcs", &s, GVT_CMD_PPGTT), "bb-space");
	s.n = 0;
	EMIT(&s, MI_BB_START, LO(ap_base()), HI(ap_base()));
	ck_refused(audit("rcs", &s, GVT_CMD_PPGTT), "bb-space");
	/* Near miss: the same starts in the PPGTT. */
	s.n = 0;
	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL | BB_PPGTT, LO(ap_base()), HI(ap_base()));
	ck_accepted(audit("rcs", &s, GVT_CMD_PPGTT));
}
END_TEST

START_TEST(test_cmd_parser_ring_may_start_only_first_level_batches)
{
	uint64_t batch = ap_base() + 0x10000;
	struct gvt_cmd_verdict v = ring_start(MI_BB_START | BB_SECOND_LEVEL, batch);

	ck_refused(v, "bb-level");
	ck_assert_uint_eq(v.level, 0);
	ck_assert_uint_eq(v.gma, ap_base());
	ck_accepted(ring_start(MI_BB_START, batch));
}
END_TEST

START_TEST(test_cmd_parser_second_level_batch_may_not_call_another)
{
	uint64_t base = ap_base();
	struct stream s = { 0 };
	struct gvt_cmd_verdict v;

	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL, LO(base + 16), HI(base + 16));
	EMIT(&s, MI_BATCH_BUFFER_END);
	/* dword 4: the second-level batch */
	EMIT(&s, MI_BB_START | BB_SECOND_LEVEL, LO(base + 32), HI(base + 32));
	EMIT(&s, MI_BATCH_BUFFER_END);
	EMIT(&s, MI_BATCH_BUFFER_END);		/* dword 8 */
	v = audit("rcs", &s, 0);
	ck_refused(v, "bb-level");
	ck_assert_uint_eq(v.level, 2);
	ck_assert_uint_eq(v.gma, base + 16);
	/* Near miss: the second-level batch chains (stays at its level). */
	s.dw[4] = MI_BB_START;
	ck_accepted(audit("rcs", &s, 0));
}
END_TEST

START_TEST(test_cmd_parser_loop_is_accepted_in_an_audit)
{
	uint64_t base = ap_base();
	struct stream s = { 0 };

	EMIT(&s, MI_NOOP, MI_BB_START, LO(base), HI(base));
	ck_accepted(audit("rcs", &s, 0));
	s.n = 0;
	EMIT(&s, MI_NOOP, MI_BB_START | BB_PPGTT, 0x100000, 0);
	ck_accepted(audit("rcs", &s, GVT_CMD_PPGTT));
	/* What the loop runs is audited all the same. */
	s.n = 0;
	EMIT(&s, MI_LRI(1), 0x2030, 0, MI_BB_START, LO(base), HI(base));
	ck_refused(audit("rcs", &s, 0), "register");
}
END_TEST

/* A batch of @calls second-level calls to a one-dword batch after them. */
static struct gvt_cmd_verdict calls_to_a_tiny_batch(unsigned int calls)
{
	static uint32_t dw[3 * (GVT_CMD_MAX_BUFFERS + 1) + 2];
	uint64_t tiny = ap_base() + (3ull * calls + 1) * 4;
	struct gvt_cmd_verdict v;
	uint32_t n = 0;

	ck_assert_uint_le(3 * calls + 2, ARRAY_SIZE(dw));
	for (unsigned int i = 0; i < calls; i++) {
		dw[n++] = MI_BB_START | BB_SECOND_LEVEL;
		dw[n++] = LO(tiny);
		dw[n++] = HI(tiny);
	}
	dw[n++] = MI_BATCH_BUFFER_END;
	dw[n++] = MI_BATCH_BUFFER_END;		/* the tiny batch */
	ck_assert_int_eq(gvt_vgpu_cmd_audit(t_vgpu, "rcs", dw, n * 4, ap_base(),
					    0, NULL, NULL, &v), 0);
	return v;
}

START_TEST(test_cmd_parser_too_many_batches_are_refused)
{
	struct gvt_cmd_verdict v;

	/* The batch itself and GVT_CMD_MAX_BUFFERS - 1 calls: the limit. */
	v = calls_to_a_tiny_batch(GVT_CMD_MAX_BUFFERS - 1);
	ck_accepted(v);
	v = calls_to_a_tiny_batch(GVT_CMD_MAX_BUFFERS);
	ck_refused(v, "bb-limit");
	ck_assert_uint_eq(v.gma, ap_base() + (GVT_CMD_MAX_BUFFERS - 1) * 12ull);
}
END_TEST

/* ==== the shadow path ==== */

static struct gvt_cmd_shadow sh;

static void shadow_setup(void)
{
	t_setup_vgpu();
	gvt_cmd_shadow_init(&sh);
}

static void shadow_teardown(void)
{
	gvt_cmd_shadow_fini(&sh);
	t_teardown();
}

/* Guest frames: the ring's, batches', and page tables'. */
#define RING_GFN	0x100
#define BATCH_GFN	0x200
#define PT_GFN		0x300

/* Map GGTT page @gma of the vGPU to guest frame @gfn. */
static void map_ggtt(uint64_t gma, uint64_t gfn)
{
	ggtt_w64(t_vgpu, (uint32_t)(gma / PAGE), gfn * PAGE | PRESENT);
}

static void put_guest(uint64_t gpa, const uint32_t *dw, uint32_t n)
{
	ck_assert_uint_le(gpa + n * 4ull, TEST_RAM_SIZE);
	memcpy(t_hv->ram + gpa, dw, n * 4);
}

#define PUT_GUEST(gpa, ...) put_guest((gpa), DWORDS(__VA_ARGS__), \
				      NUM_DWORDS(__VA_ARGS__))

static uint32_t *guest_dw(uint64_t gpa)
{
	return (uint32_t *)(t_hv->ram + gpa);
}

static uint64_t ring_gma(void)
{
	return ap_base();
}

static uint64_t batch_gma(void)
{
	return ap_base() + 0x10000;
}

/* A 4 KiB ring at the aperture's start and a batch page 64 KiB on. */
static void map_ring_and_batch(void)
{
	map_ggtt(ring_gma(), RING_GFN);
	map_ggtt(batch_gma(), BATCH_GFN);
}

static struct gvt_vgpu_ring ring_of(uint32_t head, uint32_t tail)
{
	return (struct gvt_vgpu_ring){
		.start = ring_gma(), .size = PAGE, .head = head, .tail = tail,
	};
}

static struct gvt_cmd_verdict scan(enum gvt_engine_id engine,
				   const struct gvt_vgpu_ring *ring)
{
	struct gvt_cmd_verdict v;
	int ret = gvt_vgpu_scan_ring(t_vgpu, engine, ring, &sh, &v);

	ck_assert_int_ge(ret, 0);
	ck_assert_int_eq(ret, v.refused);
	return v;
}

/* The ring: an LRI, a start of the batch, two MI_NOOPs (32 bytes). */
static void put_ring_starting(uint64_t batch, uint32_t bb_flags)
{
	PUT_GUEST(RING_GFN * PAGE, MI_LRI(1), 0x2600, 0x1234,
		  MI_BB_START | bb_flags, LO(batch), HI(batch), MI_NOOP, MI_NOOP);
}

static void put_render_batch(uint64_t gpa)
{
	PUT_GUEST(gpa, PIPE_CONTROL, 0, 0, 0, 0, 0,
		  PRIMITIVE, 0, 3, 0, 1, 0, 0, MI_BATCH_BUFFER_END);
}

START_TEST(test_cmd_parser_shadow_holds_the_guest_commands)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	struct gvt_cmd_verdict v;

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	put_render_batch(BATCH_GFN * PAGE);
	v = scan(GVT_RCS, &ring);
	ck_accepted(v);
	ck_assert_uint_eq(v.commands, 7);
	ck_assert_uint_eq(sh.num_bufs, 2);

	ck_assert_uint_eq(sh.bufs[0].level, 0);
	ck_assert_uint_eq(sh.bufs[0].gma, ring_gma());
	ck_assert_uint_eq(sh.bufs[0].length, 8);
	ck_assert_ptr_nonnull(sh.bufs[0].shadow);
	ck_assert_ptr_ne(sh.bufs[0].shadow, guest_dw(RING_GFN * PAGE));
	ck_assert_mem_eq(sh.bufs[0].shadow, guest_dw(RING_GFN * PAGE), 32);

	ck_assert_uint_eq(sh.bufs[1].level, 1);
	ck_assert_uint_eq(sh.bufs[1].gma, batch_gma());
	ck_assert(!sh.bufs[1].ppgtt);
	ck_assert_int_eq(sh.bufs[1].parent, 0);
	ck_assert_uint_eq(sh.bufs[1].start_at, 3);
	ck_assert_uint_eq(sh.bufs[1].length, 14);
	ck_assert_mem_eq(sh.bufs[1].shadow, guest_dw(BATCH_GFN * PAGE), 14 * 4);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_dwords, 8 + 14);
}
END_TEST

START_TEST(test_cmd_parser_guest_writes_after_the_scan_do_not_reach_the_shadow)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	uint32_t ring_copy[8], batch_copy[14];

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	put_render_batch(BATCH_GFN * PAGE);
	ck_accepted(scan(GVT_RCS, &ring));
	memcpy(ring_copy, guest_dw(RING_GFN * PAGE), sizeof(ring_copy));
	memcpy(batch_copy, guest_dw(BATCH_GFN * PAGE), sizeof(batch_copy));

	/* The guest rewrites both with what would have been refused. */
	PUT_GUEST(RING_GFN * PAGE, MI_LRI(1), 0x2030, 0);
	PUT_GUEST(BATCH_GFN * PAGE, MI_UPDATE_GTT, 0, 0);
	ck_assert_mem_eq(sh.bufs[0].shadow, ring_copy, sizeof(ring_copy));
	ck_assert_mem_eq(sh.bufs[1].shadow, batch_copy, sizeof(batch_copy));
}
END_TEST

START_TEST(test_cmd_parser_wait_for_event_is_a_noop_in_the_shadow)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	guest_dw(RING_GFN * PAGE)[6] = MI_WAIT_FOR_EVENT;
	PUT_GUEST(BATCH_GFN * PAGE, MI_NOOP, MI_WAIT_FOR_EVENT, MI_BATCH_BUFFER_END);
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(sh.bufs[0].shadow[6], MI_NOOP);
	ck_assert_uint_eq(sh.bufs[1].shadow[1], MI_NOOP);
	ck_assert_uint_eq(sh.bufs[1].shadow[2], MI_BATCH_BUFFER_END);
	/* The guest's own copies are left as they were. */
	ck_assert_uint_eq(guest_dw(RING_GFN * PAGE)[6], MI_WAIT_FOR_EVENT);
	ck_assert_uint_eq(guest_dw(BATCH_GFN * PAGE)[1], MI_WAIT_FOR_EVENT);
}
END_TEST

START_TEST(test_cmd_parser_refused_workload_logs_one_line_and_counts)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	struct gvt_cmd_verdict v;
	const char *line;

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	PUT_GUEST(BATCH_GFN * PAGE, MI_NOOP, MI_UPDATE_GTT, 0, 0, MI_BATCH_BUFFER_END);
	t_log_clear();
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "forbidden");
	ck_assert_str_eq(v.command, "MI_UPDATE_GTT");
	ck_assert_uint_eq(v.level, 1);
	ck_assert_uint_eq(v.gma, batch_gma() + 4);
	ck_assert_uint_eq(v.header, MI_UPDATE_GTT);

	ck_assert_uint_eq(t_log_count(), 1);
	line = t_log_line(0);
	ck_assert_msg(strstr(line, "rcs") && strstr(line, "MI_UPDATE_GTT") &&
		      strstr(line, "forbidden"), "log line: %s", line);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_scans, 1);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_refusals, 1);

	/* An accepted workload is counted, not logged. */
	guest_dw(BATCH_GFN * PAGE)[1] = MI_NOOP;
	guest_dw(BATCH_GFN * PAGE)[2] = MI_NOOP;
	guest_dw(BATCH_GFN * PAGE)[3] = MI_NOOP;
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(t_log_count(), 1);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_scans, 2);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_refusals, 1);
}
END_TEST

START_TEST(test_cmd_parser_command_split_by_the_ring_wrap_is_decoded_whole)
{
	struct gvt_vgpu_ring ring = ring_of(PAGE - 8, 16);
	const uint64_t ring_gpa = RING_GFN * PAGE;
	const uint32_t whole[] = {
		MI_LRI(2), 0x2600, 0x1111, 0x2608, 0x2222, MI_NOOP,
	};
	struct gvt_cmd_verdict v;

	/* A two-pair LRI: header and first register before the wrap. */
	map_ggtt(ring_gma(), RING_GFN);
	PUT_GUEST(ring_gpa + PAGE - 8, MI_LRI(2), 0x2600);
	PUT_GUEST(ring_gpa, 0x1111, 0x2608, 0x2222, MI_NOOP);
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(sh.bufs[0].length, 6);
	ck_assert_uint_eq(sh.bufs[0].wrap_at, 2);
	ck_assert_mem_eq(sh.bufs[0].shadow, whole, sizeof(whole));

	/* Its second register, after the wrap, is checked too. */
	guest_dw(ring_gpa)[1] = 0x2030;
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "register");
	ck_assert_uint_eq(v.gma, ring_gma() + PAGE - 8);
	ck_assert_uint_eq(v.level, 0);
}
END_TEST

START_TEST(test_cmd_parser_batch_across_scattered_pages_is_shadowed_in_order)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	uint64_t batch = batch_gma() + PAGE - 8;
	const uint32_t want[] = {
		PIPE_CONTROL, 0, 0, 0, 0, 0,
		PRIMITIVE, 0, 3, 0, 1, 0, 0, MI_BATCH_BUFFER_END,
	};

	/* The batch's two pages are not adjacent in guest memory. */
	map_ggtt(ring_gma(), RING_GFN);
	map_ggtt(batch_gma(), BATCH_GFN + 5);
	map_ggtt(batch_gma() + PAGE, BATCH_GFN);
	put_ring_starting(batch, 0);
	PUT_GUEST((BATCH_GFN + 5) * PAGE + PAGE - 8, PIPE_CONTROL, 0);
	PUT_GUEST(BATCH_GFN * PAGE, 0, 0, 0, 0,
		  PRIMITIVE, 0, 3, 0, 1, 0, 0, MI_BATCH_BUFFER_END);
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(sh.num_bufs, 2);
	ck_assert_uint_eq(sh.bufs[1].length, 14);
	ck_assert_mem_eq(sh.bufs[1].shadow, want, sizeof(want));
}
END_TEST

/* Regression: a ring larger than RING_CTL allows overflowed the shadow. */
START_TEST(test_cmd_parser_ring_larger_than_two_mib_is_refused)
{
	struct gvt_vgpu_ring ring = ring_of(8, 0);
	struct gvt_cmd_verdict v;

	map_ring_and_batch();
	ring.start = ap_base();
	ring.size = 128u << 20;
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "ring");
	/* Near miss: the largest ring the hardware has. */
	ring.size = 2u << 20;
	ring.head = 0;
	ring.tail = 0;
	ck_accepted(scan(GVT_RCS, &ring));
}
END_TEST

/* What was copied past a batch's last command never reaches the GPU. */
START_TEST(test_cmd_parser_shadow_ends_where_the_scan_ended)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	const uint32_t *b;

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	put_render_batch(BATCH_GFN * PAGE);
	/* Unscanned guest dwords after the batch's end. */
	PUT_GUEST(BATCH_GFN * PAGE + 14 * 4, MI_LRI(1), 0x2030, 0, 0x11800001);
	ck_accepted(scan(GVT_RCS, &ring));
	b = sh.bufs[1].shadow;
	ck_assert_uint_eq(sh.bufs[1].length, 14);
	ck_assert_uint_eq(b[14], MI_BATCH_BUFFER_END);
	for (uint32_t i = 15; i < 1024; i++)
		ck_assert_uint_eq(b[i], 0);
}
END_TEST

/* Regression: a whitelist entry outlives the workload. */
START_TEST(test_cmd_parser_force_nonpriv_names_only_allowed_registers)
{
	ck_refused(AUDIT("rcs", MI_LRI(1), 0x24d0, 0x2038, MI_BATCH_BUFFER_END),
		   "register");
	ck_accepted(AUDIT("rcs", MI_LRI(1), 0x24d0, 0x2600, MI_BATCH_BUFFER_END));
	/* A value loaded from memory is not seen: never. */
	ck_refused(AUDIT("rcs", 0x14800002, 0x24d0, 0x1000, 0, MI_BATCH_BUFFER_END),
		   "register");
}
END_TEST

START_TEST(test_cmd_parser_ring_outside_vgpu_memory_is_refused)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	struct gvt_cmd_verdict v;

	map_ring_and_batch();
	put_ring_starting(batch_gma(), 0);
	put_render_batch(BATCH_GFN * PAGE);
	ring.start = ap_end();
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "ring");
	ck_assert_uint_eq(v.gma, ap_end());
	/* Head and tail are qword offsets inside the ring. */
	ring = ring_of(4, 32);
	ck_refused(scan(GVT_RCS, &ring), "ring");
	ring = ring_of(0, PAGE);
	ck_refused(scan(GVT_RCS, &ring), "ring");
	/* Near miss: the same ring where it belongs. */
	ring = ring_of(0, 32);
	ck_accepted(scan(GVT_RCS, &ring));
}
END_TEST

START_TEST(test_cmd_parser_endless_batch_is_refused)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	uint64_t pages = GVT_CMD_MAX_SHADOW_BYTES / PAGE + 1;

	/* A batch of nothing but MI_NOOPs, one page mapped over and over,
	 * longer than a level's shadow may grow. */
	ck_assert_uint_le(batch_gma() + pages * PAGE, ap_end());
	map_ggtt(ring_gma(), RING_GFN);
	for (uint64_t i = 0; i < pages; i++)
		map_ggtt(batch_gma() + i * PAGE, BATCH_GFN);
	put_ring_starting(batch_gma(), 0);
	ck_refused(scan(GVT_RCS, &ring), "bb-size");

	/* Near miss: an MI_BATCH_BUFFER_END a page before the limit. */
	guest_dw((BATCH_GFN + 1) * PAGE)[0] = MI_BATCH_BUFFER_END;
	map_ggtt(batch_gma() + (pages - 2) * PAGE, BATCH_GFN + 1);
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(sh.bufs[1].length, (pages - 2) * (PAGE / 4) + 1);
}
END_TEST

/*
 * A privileged batch's loop runs the copy it comes back to: the chain is a
 * buffer of its own (so that the start command is relocated) whose copy is
 * the target's, and nothing is copied or scanned twice. gem_wsim's batches
 * set a timestamp, then loop back to the command after it.
 */
START_TEST(test_cmd_parser_loop_runs_the_copy_it_comes_back_to)
{
	struct gvt_cmd_verdict v;
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	const uint64_t b = batch_gma();

	map_ring_and_batch();
	put_ring_starting(b, 0);
	PUT_GUEST(BATCH_GFN * PAGE, MI_NOOP, MI_NOOP,
		  MI_COND_BB_END, MI_BATCH_BUFFER_END, LO(b + 64), 0,
		  MI_BB_START, LO(b), HI(b));
	v = scan(GVT_RCS, &ring);
	ck_accepted(v);
	ck_assert_uint_eq(sh.num_bufs, 3);
	ck_assert_uint_eq(sh.bufs[1].length, 9);
	ck_assert(!sh.bufs[1].loop);
	ck_assert(sh.bufs[2].loop);
	ck_assert_uint_eq(sh.bufs[2].gma, b);
	ck_assert_uint_eq(sh.bufs[2].level, 1);
	ck_assert_ptr_eq(sh.bufs[2].shadow, sh.bufs[1].shadow);
	ck_assert_int_eq(sh.bufs[2].parent, 1);
	ck_assert_uint_eq(sh.bufs[2].start_at, 6);
	ck_assert_uint_eq(sh.bufs[2].length, 0);
	ck_assert_uint_eq(t_stats(t_vgpu).cmd_dwords, 8 + 9);

	/* Back to the command after a prologue: scanned once more from
	 * there, as a buffer of its own, which the loop then runs. */
	guest_dw(BATCH_GFN * PAGE)[7] = LO(b + 8);
	ck_accepted(scan(GVT_RCS, &ring));
	ck_assert_uint_eq(sh.num_bufs, 4);
	ck_assert_uint_eq(sh.bufs[2].gma, b + 8);
	ck_assert(!sh.bufs[2].loop);
	ck_assert_uint_eq(sh.bufs[2].length, 7);
	ck_assert_int_eq(sh.bufs[2].parent, 1);
	ck_assert(sh.bufs[3].loop);
	ck_assert_ptr_eq(sh.bufs[3].shadow, sh.bufs[2].shadow);
	ck_assert_int_eq(sh.bufs[3].parent, 2);
	ck_assert_uint_eq(sh.bufs[3].start_at, 4);
}
END_TEST

/* Map PPGTT address @gma to guest frame @gfn through four levels of guest
 * page tables at PT_GFN.. PT_GFN + 3; returns the PML4's address. */
static uint64_t build_ppgtt(uint64_t gma, uint64_t gfn)
{
	const uint64_t table[4] = {
		PT_GFN * PAGE, (PT_GFN + 1) * PAGE, (PT_GFN + 2) * PAGE,
		(PT_GFN + 3) * PAGE,
	};
	const unsigned int index[4] = {
		(gma >> 39) & 511, (gma >> 30) & 511, (gma >> 21) & 511,
		(gma >> 12) & 511,
	};

	for (unsigned int l = 0; l < 4; l++) {
		uint64_t entry = (l < 3 ? table[l + 1] : gfn * PAGE) | PRESENT | 2;

		memcpy(t_hv->ram + table[l] + index[l] * 8, &entry, 8);
	}
	return table[0];
}

START_TEST(test_cmd_parser_ppgtt_batch_is_followed_through_guest_page_tables)
{
	const uint64_t batch = 0x0000008080604000ull;	/* PML4 1, PDP 2, PD 3, PT 4 */
	struct gvt_ppgtt_root root = { .levels = 4 };
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	struct gvt_cmd_verdict v;

	root.pdp[0] = build_ppgtt(batch, BATCH_GFN);
	ring.ppgtt = &root;
	map_ggtt(ring_gma(), RING_GFN);
	put_ring_starting(batch, BB_PPGTT);
	put_render_batch(BATCH_GFN * PAGE);
	v = scan(GVT_RCS, &ring);
	ck_accepted(v);
	ck_assert_uint_eq(sh.num_bufs, 2);
	ck_assert(sh.bufs[1].ppgtt);
	ck_assert_uint_eq(sh.bufs[1].gma, batch);
	ck_assert_uint_eq(sh.bufs[1].length, 14);
	ck_assert_mem_eq(sh.bufs[1].shadow, guest_dw(BATCH_GFN * PAGE), 14 * 4);

	/* What the PPGTT batch holds is audited like any batch. */
	guest_dw(BATCH_GFN * PAGE)[0] = MI_UPDATE_GTT;
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "forbidden");
	ck_assert(v.ppgtt);
	ck_assert_uint_eq(v.gma, batch);
}
END_TEST

START_TEST(test_cmd_parser_batch_in_unmapped_memory_is_refused)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	struct gvt_cmd_verdict v;

	map_ggtt(ring_gma(), RING_GFN);		/* the batch's page is not */
	put_ring_starting(batch_gma(), 0);
	v = scan(GVT_RCS, &ring);
	ck_refused(v, "memory");
	ck_assert_uint_eq(v.level, 1);

	/* A PPGTT batch without page tables to reach it. */
	put_ring_starting(batch_gma(), BB_PPGTT);
	ck_refused(scan(GVT_RCS, &ring), "memory");

	/* Near miss: mapped. */
	map_ggtt(batch_gma(), BATCH_GFN);
	put_ring_starting(batch_gma(), 0);
	put_render_batch(BATCH_GFN * PAGE);
	ck_accepted(scan(GVT_RCS, &ring));
}
END_TEST

START_TEST(test_cmd_parser_batch_running_into_an_unmapped_page_is_refused)
{
	struct gvt_vgpu_ring ring = ring_of(0, 32);
	uint64_t batch = batch_gma() + PAGE - 8;

	/* A PIPE_CONTROL whose last four dwords would be on the next page. */
	map_ring_and_batch();
	put_ring_starting(batch, 0);
	PUT_GUEST(BATCH_GFN * PAGE + PAGE - 8, PIPE_CONTROL, 0);
	ck_refused(scan(GVT_RCS, &ring), "memory");
}
END_TEST

Suite *cmd_parser_suite(void)
{
	Suite *s = suite_create("cmd_parser");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, t_setup_ctx, t_teardown);
	tcase_add_test(tc, test_cmd_parser_skl_table_is_consistent);
	tcase_add_test(tc, test_cmd_parser_every_category_decodes_on_its_engines_only);
	tcase_add_test(tc, test_cmd_parser_mi_flush_dw_is_unknown_on_render);
	tcase_add_test(tc, test_cmd_parser_0x7000_is_mfx_on_vcs_and_media_on_rcs);
	tcase_add_test(tc, test_cmd_parser_decodes_a_render_stream);
	tcase_add_test(tc, test_cmd_parser_i915_gen9_render_state_decodes);
	tcase_add_test(tc, test_cmd_parser_decodes_a_blitter_stream);
	tcase_add_test(tc, test_cmd_parser_decodes_a_video_stream);
	tcase_add_test(tc, test_cmd_parser_decodes_a_vebox_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, t_setup_ctx, t_teardown);
	tcase_add_test(tc, test_cmd_parser_unknown_opcode_is_refused);
	tcase_add_test(tc, test_cmd_parser_fixed_length_command_with_wrong_length_is_refused);
	tcase_add_test(tc, test_cmd_parser_command_past_the_end_is_refused);
	tcase_add_test(tc, test_cmd_parser_decoding_stops_at_batch_buffer_end);
	tcase_add_test(tc, test_cmd_parser_chain_inside_the_buffer_is_followed);
	tcase_add_test(tc, test_cmd_parser_second_level_call_returns_after_the_start);
	tcase_add_test(tc, test_cmd_parser_start_outside_the_buffer_is_not_followed);
	tcase_add_test(tc, test_cmd_parser_chain_back_to_its_own_start_is_a_loop);
	tcase_add_test(tc, test_cmd_parser_loop_through_two_batches_is_decoded_once);
	tcase_add_test(tc, test_cmd_parser_loop_longer_than_the_look_back_ends_at_the_limit);
	tcase_add_test(tc, test_cmd_parser_decode_does_not_audit);
	tcase_add_test(tc, test_cmd_parser_decode_rejects_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, t_setup_vgpu, t_teardown);
	tcase_add_test(tc, test_cmd_parser_forbidden_commands_are_refused);
	tcase_add_test(tc, test_cmd_parser_wait_for_event_is_accepted);
	tcase_add_test(tc, test_cmd_parser_audit_neither_logs_nor_counts);
	tcase_add_test(tc, test_cmd_parser_lri_to_ring_registers_is_refused);
	tcase_add_test(tc, test_cmd_parser_lri_to_host_registers_is_refused);
	tcase_add_test(tc, test_cmd_parser_lri_to_context_registers_is_accepted);
	tcase_add_test(tc, test_cmd_parser_lri_to_registers_holding_graphics_addresses_is_refused);
	tcase_add_test(tc, test_cmd_parser_lri_checks_every_pair);
	tcase_add_test(tc, test_cmd_parser_lri_with_half_a_pair_is_refused);
	tcase_add_test(tc, test_cmd_parser_lrr_checks_both_registers);
	tcase_add_test(tc, test_cmd_parser_srm_and_lrm_check_the_register);
	tcase_add_test(tc, test_cmd_parser_pipe_control_lri_post_sync_checks_the_register);
	tcase_add_test(tc, test_cmd_parser_pipe_control_lri_post_sync_with_a_ggtt_write_is_refused);
	tcase_add_test(tc, test_cmd_parser_sdi_ggtt_write_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_pipe_control_post_sync_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_flush_dw_post_sync_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_register_memory_ggtt_operand_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_semaphore_wait_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_atomic_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_copy_mem_mem_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_conditional_batch_end_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_report_perf_count_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_clflush_stays_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_store_data_index_stays_in_the_status_page);
	tcase_add_test(tc, test_cmd_parser_blits_in_ggtt_buffers_stay_in_vgpu_memory);
	tcase_add_test(tc, test_cmd_parser_start_with_add_offset_is_refused);
	tcase_add_test(tc, test_cmd_parser_start_on_the_resource_streamer_is_refused);
	tcase_add_test(tc, test_cmd_parser_start_to_a_non_canonical_address_is_refused);
	tcase_add_test(tc, test_cmd_parser_ggtt_start_outside_vgpu_memory_is_refused);
	tcase_add_test(tc, test_cmd_parser_ppgtt_batch_may_not_start_a_ggtt_batch);
	tcase_add_test(tc, test_cmd_parser_ring_may_start_only_first_level_batches);
	tcase_add_test(tc, test_cmd_parser_second_level_batch_may_not_call_another);
	tcase_add_test(tc, test_cmd_parser_loop_is_accepted_in_an_audit);
	tcase_add_test(tc, test_cmd_parser_chain_into_a_command_is_decoded_from_there);
	tcase_add_test(tc, test_cmd_parser_too_many_batches_are_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("shadow");
	tcase_add_checked_fixture(tc, shadow_setup, shadow_teardown);
	tcase_add_test(tc, test_cmd_parser_shadow_holds_the_guest_commands);
	tcase_add_test(tc, test_cmd_parser_guest_writes_after_the_scan_do_not_reach_the_shadow);
	tcase_add_test(tc, test_cmd_parser_wait_for_event_is_a_noop_in_the_shadow);
	tcase_add_test(tc, test_cmd_parser_refused_workload_logs_one_line_and_counts);
	tcase_add_test(tc, test_cmd_parser_command_split_by_the_ring_wrap_is_decoded_whole);
	tcase_add_test(tc, test_cmd_parser_batch_across_scattered_pages_is_shadowed_in_order);
	tcase_add_test(tc, test_cmd_parser_ppgtt_batch_is_followed_through_guest_page_tables);
	tcase_add_test(tc, test_cmd_parser_batch_in_unmapped_memory_is_refused);
	tcase_add_test(tc, test_cmd_parser_batch_running_into_an_unmapped_page_is_refused);
	tcase_add_test(tc, test_cmd_parser_ring_outside_vgpu_memory_is_refused);
	tcase_add_test(tc, test_cmd_parser_ring_larger_than_two_mib_is_refused);
	tcase_add_test(tc, test_cmd_parser_shadow_ends_where_the_scan_ended);
	tcase_add_test(tc, test_cmd_parser_force_nonpriv_names_only_allowed_registers);
	tcase_add_test(tc, test_cmd_parser_endless_batch_is_refused);
	tcase_add_test(tc, test_cmd_parser_loop_runs_the_copy_it_comes_back_to);
	suite_add_tcase(s, tc);
	return s;
}
