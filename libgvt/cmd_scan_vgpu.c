// SPDX-License-Identifier: MIT
/*
 * The command scanner as a vGPU uses it: its graphics memory and register
 * rules as the policy, its guest memory (through its GGTT or its PPGTT) as
 * the source. Also the two public entry points gvtctl builds on: decoding a
 * stream, and auditing one held in the caller's memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_parser.h"
#include "hv.h"
#include "private.h"

static int engine_by_name(const struct gvt_platform_desc *platform,
			  const char *name, enum gvt_engine_id *out)
{
	if (!name)
		return -EINVAL;
	for (unsigned int e = 0; e < platform->num_engines; e++) {
		if (!strcmp(platform->engines[e].name, name)) {
			*out = (enum gvt_engine_id)e;
			return 0;
		}
	}
	return -EINVAL;
}

void gvt_vgpu_cmd_policy(const struct gvt_vgpu *vgpu,
			 struct gvt_cmd_policy *pol)
{
	const struct gvt_gm_extent *gm[] = { &vgpu->low_gm, &vgpu->high_gm };

	memset(pol, 0, sizeof(*pol));
	pol->reg_ok = vgpu->ctx->cmd_reg_ok;
	pol->attr = vgpu->ctx->mmio.attr;
	for (unsigned int i = 0; i < ARRAY_SIZE(gm); i++) {
		if (!gm[i]->size)
			continue;
		pol->gm[pol->num_gm].start = gm[i]->start;
		pol->gm[pol->num_gm].end = gm[i]->start + gm[i]->size;
		pol->num_gm++;
	}
}

/* Guest memory behind graphics addresses. */
struct guest_mem {
	struct gvt_vgpu *vgpu;
	const struct gvt_ppgtt_root *root;	/* NULL: no PPGTT */
};

/* Copy [gma, gma + len) page by page, one read_gpa per run of pages that
 * are contiguous in guest memory (batches usually are). */
static int guest_read(void *opaque, bool ppgtt, uint64_t gma, void *dst,
		      size_t len)
{
	struct guest_mem *gm = opaque;
	uint8_t *out = dst;
	uint64_t run_gpa = 0;
	size_t run_len = 0;

	while (len) {
		size_t chunk = GVT_GTT_PAGE_SIZE - (gma & (GVT_GTT_PAGE_SIZE - 1));
		uint64_t gpa;
		int ret;

		if (chunk > len)
			chunk = len;
		if (ppgtt)
			ret = gm->root ? gvt_ppgtt_gma_to_gpa(gm->vgpu, gm->root,
							      gma, &gpa) : -EFAULT;
		else
			ret = gvt_ggtt_gma_to_gpa(gm->vgpu, gma, &gpa);
		if (ret)
			return -EFAULT;
		if (run_len && gpa != run_gpa + run_len) {
			if (gvt_hv_read_gpa(gm->vgpu, run_gpa, out, run_len))
				return -EFAULT;
			out += run_len;
			run_len = 0;
		}
		if (!run_len)
			run_gpa = gpa;
		run_len += chunk;
		gma += chunk;
		len -= chunk;
	}
	if (run_len && gvt_hv_read_gpa(gm->vgpu, run_gpa, out, run_len))
		return -EFAULT;
	return 0;
}

/* Count a finished scan and log its refusal. Level 0 is the ring (@ring)
 * or a workaround batch. A workload counts as one scan, its ring's: its
 * workaround batches add only their dwords. */
static int scan_result(struct gvt_vgpu *vgpu, enum gvt_engine_id engine,
		       const struct gvt_cmd_scan *s, int ret, bool ring,
		       struct gvt_cmd_verdict *verdict)
{
	const char *level0 = ring ? "ring" : "indirect context batch";

	if (ret < 0)
		return ret;
	*verdict = s->verdict;
	if (ring)
		vgpu->stats.cmd_scans++;
	vgpu->stats.cmd_dwords += s->dwords;
	if (!ret)
		return 0;
	vgpu->stats.cmd_refusals++;
	gvt_vgpu_guest_err(vgpu,
			   "%s: refused workload: %s at %s 0x%llx (%s, header 0x%08x): %s: %s",
			   vgpu->ctx->platform->engines[engine].name,
			   verdict->command, verdict->ppgtt ? "PPGTT" : "GGTT",
			   (unsigned long long)verdict->gma,
			   verdict->level == 0 ? level0 :
			   verdict->level == 1 ? "batch" : "second-level batch",
			   verdict->header, verdict->rule, verdict->detail);
	return 1;
}

int gvt_vgpu_scan_ring(struct gvt_vgpu *vgpu, enum gvt_engine_id engine,
		       const struct gvt_vgpu_ring *ring,
		       struct gvt_cmd_shadow *shadow,
		       struct gvt_cmd_verdict *verdict)
{
	struct gvt_cmd_policy pol;
	struct guest_mem gm = { .vgpu = vgpu, .root = ring->ppgtt };
	struct gvt_cmd_scan s = {
		.engine = engine,
		.mem = { .read = guest_read, .opaque = &gm },
		.policy = &pol,
		.shadow = shadow,
	};
	int ret;

	gvt_vgpu_cmd_policy(vgpu, &pol);
	ret = gvt_cmd_scan_ring(&s, ring->start, ring->size, ring->head,
				ring->tail);
	gvt_cmd_scan_fini(&s);
	return scan_result(vgpu, engine, &s, ret, true, verdict);
}

int gvt_vgpu_scan_wa_ctx(struct gvt_vgpu *vgpu, enum gvt_engine_id engine,
			 const struct gvt_vgpu_wa_ctx *wa,
			 struct gvt_cmd_shadow *shadow,
			 struct gvt_cmd_verdict *verdict)
{
	struct gvt_cmd_policy pol;
	struct guest_mem gm = { .vgpu = vgpu };
	struct gvt_cmd_scan s = {
		.engine = engine,
		.mem = { .read = guest_read, .opaque = &gm },
		.policy = &pol,
		.shadow = shadow,
	};
	int ret = 0;

	gvt_vgpu_cmd_policy(vgpu, &pol);
	/* The indirect batch is a privileged segment (no end command: the
	 * engine runs exactly its length); the per-context batch a
	 * privileged first-level batch. */
	if (wa->indirect_bytes) {
		ret = gvt_cmd_scan_buffer(&s, false, wa->indirect_gma,
					  wa->indirect_bytes, true);
		gvt_cmd_scan_fini(&s);
		ret = scan_result(vgpu, engine, &s, ret, false, verdict);
	}
	if (!ret && wa->per_ctx_valid) {
		ret = gvt_cmd_scan_buffer(&s, false, wa->per_ctx_gma, 0, false);
		gvt_cmd_scan_fini(&s);
		ret = scan_result(vgpu, engine, &s, ret, false, verdict);
	}
	return ret;
}

/* ---- streams held by the caller (gvtctl decode and audit) ---- */

struct held_stream {
	const uint8_t *buf;
	size_t len;
	uint64_t base;
	bool ppgtt;
	gvt_cmd_visit_fn *visit;
	void *opaque;
};

static const void *held_map(void *opaque, bool ppgtt, uint64_t gma,
			    size_t *avail)
{
	const struct held_stream *hs = opaque;

	if (ppgtt != hs->ppgtt || gma < hs->base || gma - hs->base >= hs->len)
		return NULL;
	*avail = hs->len - (gma - hs->base);
	return hs->buf + (gma - hs->base);
}

static void held_visit(void *opaque, const struct gvt_cmd_buffer *buf,
		       uint32_t at, uint32_t len, const struct gvt_cmd_desc *d)
{
	const struct held_stream *hs = opaque;
	struct gvt_cmd_info info = {
		.gma = gvt_cmd_buffer_gma(buf, at),
		.length = len,
		.level = buf->level,
		.name = d->name,
	};

	hs->visit(hs->opaque, &info);
}

static int scan_held(enum gvt_engine_id engine,
		     const struct gvt_cmd_policy *pol, const void *buf,
		     size_t len, uint64_t base, unsigned int flags,
		     gvt_cmd_visit_fn *visit, void *opaque,
		     struct gvt_cmd_verdict *verdict)
{
	struct held_stream hs = {
		.buf = buf, .len = len, .base = base,
		.ppgtt = flags & GVT_CMD_PPGTT, .visit = visit,
		.opaque = opaque,
	};
	struct gvt_cmd_scan s = {
		.engine = engine,
		.mem = { .map = held_map, .opaque = &hs },
		.policy = pol,
		.visit = visit ? held_visit : NULL,
		.visit_opaque = &hs,
	};
	void *aligned = NULL;
	int ret;

	if ((!buf && len) || len % 4 || !verdict ||
	    (flags & ~(GVT_CMD_RING | GVT_CMD_PPGTT)) ||
	    ((flags & GVT_CMD_RING) && (flags & GVT_CMD_PPGTT)) ||
	    base % 4 || base + len < base)
		return -EINVAL;
	memset(verdict, 0, sizeof(*verdict));
	if (!len)
		return 0;
	/* Commands are decoded as dwords: give the scanner aligned ones. */
	if ((uintptr_t)buf % sizeof(uint32_t)) {
		aligned = malloc(len);
		if (!aligned)
			return -ENOMEM;
		memcpy(aligned, buf, len);
		hs.buf = aligned;
	}
	ret = gvt_cmd_scan_buffer(&s, hs.ppgtt, base, len,
				  flags & GVT_CMD_RING);
	gvt_cmd_scan_fini(&s);
	free(aligned);
	if (ret < 0)
		return ret;
	*verdict = s.verdict;
	return 0;
}

int gvt_cmd_decode(enum gvt_platform platform, const char *engine,
		   const void *buf, size_t len, uint64_t base,
		   unsigned int flags, gvt_cmd_visit_fn *visit, void *opaque,
		   struct gvt_cmd_verdict *verdict)
{
	const struct gvt_platform_desc *pd = gvt_platform_find(platform);
	enum gvt_engine_id e;

	if (!pd || engine_by_name(pd, engine, &e))
		return -EINVAL;
	return scan_held(e, NULL, buf, len, base, flags, visit, opaque,
			 verdict);
}

int gvt_vgpu_cmd_audit(struct gvt_vgpu *vgpu, const char *engine,
		       const void *buf, size_t len, uint64_t base,
		       unsigned int flags, gvt_cmd_visit_fn *visit,
		       void *opaque, struct gvt_cmd_verdict *verdict)
{
	struct gvt_cmd_policy pol;
	enum gvt_engine_id e;
	int ret;

	if (!vgpu)
		return -EINVAL;
	if (engine_by_name(vgpu->ctx->platform, engine, &e))
		return gvt_vgpu_misuse(vgpu, "cmd audit: no engine \"%s\"",
				       engine ? engine : "(null)");
	gvt_vgpu_cmd_policy(vgpu, &pol);
	ret = scan_held(e, &pol, buf, len, base, flags, visit, opaque,
			verdict);
	if (ret == -EINVAL)
		return gvt_vgpu_misuse(vgpu, "cmd audit: bad buffer, length, base or flags");
	return ret;
}
