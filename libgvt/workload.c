// SPDX-License-Identifier: MIT
/*
 * Workload shadowing. What the GPU runs for a vGPU is never the guest's
 * memory: the ring and every batch are copies the scanner checked, held in
 * host memory the guest cannot reach, and the context image the engine
 * loads is libgvt's, with only the guest values it may choose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv.h"
#include "private.h"
#include "reg.h"
#include "shadow_gm.h"
#include "workload.h"

#define PAGE 4096u

/* Descriptor fields (gen8+ execlist context descriptor, low dword). */
#define DESC_LRCA_MASK		0xfffff000ull
#define DESC_ADDRESSING_SHIFT	3
#define DESC_ADDRESSING_MASK	3u
#define DESC_LEGACY_32B		1u	/* 3-level: four PDPs */
#define DESC_LEGACY_64B		3u	/* 4-level: a PML4 */

/* RING_HEAD: offset in bits 20:2, a wrap count above; RING_TAIL: 20:3. */
#define RING_HEAD_OFFSET_MASK	0x001ffffcu
#define RING_HEAD_WRAP_SHIFT	21
#define RING_TAIL_OFFSET_MASK	0x001ffff8u
#define RING_CTL_PAGES(ctl)	((((ctl) >> 12) & 0x1ffu) + 1)

/* The render context's workaround batch registers (GGTT addresses). */
#define WA_ADDR_MASK		0xffffffc0u	/* cacheline aligned */
#define INDIRECT_CTX_LINES	0x3fu		/* size, in cachelines */
#define PER_CTX_VALID		(1u << 0)
#define INDIRECT_OFFSET_MASK	0x0000ffc0u	/* INDIRECT_CTX_OFFSET 15:6 */
#define CACHELINE		64u

#define MI_LOAD_REGISTER_IMM(n)	((0x22u << 23) | (2 * (n) - 1))
#define MI_LRI_FORCE_POSTED	(1u << 12)
#define MI_BATCH_BUFFER_END	(0x0au << 23)
#define BB_ASI_PPGTT		(1u << 8)

static uint32_t ctx_pages(unsigned int engine)
{
	return engine == GVT_RCS ? GVT_CTX_PAGES_RCS_GEN9 : GVT_CTX_PAGES_OTHER;
}

/* ---- the vGPU's shadow context images ---- */

int gvt_shadow_ctx_init(struct gvt_vgpu *vgpu)
{
	struct gvt_ctx *ctx = vgpu->ctx;

	for (unsigned int e = 0; e < ctx->platform->num_engines; e++) {
		struct gvt_shadow_ctx *sc = &vgpu->engine[e].shadow_ctx;
		uint32_t pages = ctx_pages(e);
		int ret;

		/* One allocation, page aligned, mapped once for the vGPU's
		 * life: only its state page changes per workload. */
		sc->image = aligned_alloc(PAGE, (size_t)pages * PAGE);
		if (!sc->image)
			return -ENOMEM;
		memset(sc->image, 0, (size_t)pages * PAGE);
		ret = gvt_shadow_gm_alloc(ctx, pages, &sc->gm);
		if (ret) {
			gvt_vgpu_err(vgpu, "no host graphics memory left for a %s context image",
				     ctx->platform->engines[e].name);
			free(sc->image);
			sc->image = NULL;
			return ret;
		}
		sc->pages = pages;
		gvt_shadow_gm_map(ctx, sc->gm, sc->image, pages);
	}
	return 0;
}

void gvt_shadow_ctx_fini(struct gvt_vgpu *vgpu)
{
	for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++) {
		struct gvt_shadow_ctx *sc = &vgpu->engine[e].shadow_ctx;

		if (sc->pages)
			gvt_shadow_gm_free(vgpu->ctx, sc->gm, sc->pages);
		free(sc->image);
		memset(sc, 0, sizeof(*sc));
	}
}

uint64_t gvt_workload_shadow_lrca(const struct gvt_vgpu *vgpu,
				  unsigned int engine)
{
	return vgpu->engine[engine].shadow_ctx.gm;
}

/* ---- creation, in the vGPU's thread ---- */

static struct gvt_cmd_shadow *shadow_get(struct gvt_vgpu *vgpu,
					 unsigned int engine)
{
	struct gvt_engine_state *es = &vgpu->engine[engine];
	struct gvt_cmd_shadow *sh;

	if (es->num_spare) {
		sh = es->spare[--es->num_spare];
		gvt_cmd_shadow_reset(sh);
		return sh;
	}
	sh = malloc(sizeof(*sh));
	if (sh)
		gvt_cmd_shadow_init(sh);
	return sh;
}

/* Keep a couple of arenas per engine: a workload's copies then land in
 * pages the last one warmed, and no mmap is paid per workload. */
static void shadow_put(struct gvt_vgpu *vgpu, unsigned int engine,
		       struct gvt_cmd_shadow *sh)
{
	struct gvt_engine_state *es = &vgpu->engine[engine];

	if (!sh)
		return;
	if (es->num_spare < ARRAY_SIZE(es->spare) && sh->bytes < (1u << 20)) {
		es->spare[es->num_spare++] = sh;
		return;
	}
	gvt_cmd_shadow_fini(sh);
	free(sh);
}

static void read_root(const uint32_t *state, unsigned int levels,
		      struct gvt_ppgtt_root *root)
{
	memset(root, 0, sizeof(*root));
	root->levels = (uint8_t)levels;
	for (unsigned int n = 0; n < 4; n++) {
		unsigned int udw = GVT_CTX_PDP3_UDW + 4 * (3 - n);

		root->pdp[n] = (uint64_t)state[udw + 1] << 32 | state[udw + 3];
	}
}

/*
 * The render context's workaround batches: the engine runs them privileged
 * on every restore of the context, so they are copied and scanned like the
 * ring, and the engine runs the copies. Return 0, 1 when refused (logged),
 * -errno when the host ran short (logged).
 */
static int shadow_wa_ctx(struct gvt_workload *w)
{
	struct gvt_vgpu *vgpu = w->vgpu;
	const uint32_t *state = w->guest_state;
	uint32_t indirect = state[GVT_CTX_RCS_INDIRECT_CTX + 1];
	uint32_t per_ctx = state[GVT_CTX_BB_PER_CTX_PTR + 1];
	struct gvt_vgpu_wa_ctx wa = {
		.indirect_gma = indirect & WA_ADDR_MASK,
		.indirect_bytes = (indirect & INDIRECT_CTX_LINES) * CACHELINE,
		.per_ctx_gma = per_ctx & WA_ADDR_MASK,
		.per_ctx_valid = per_ctx & PER_CTX_VALID,
	};
	struct gvt_cmd_verdict verdict;
	int ret;

	if (!wa.indirect_bytes && !wa.per_ctx_valid)
		return 0;
	w->wa = shadow_get(vgpu, w->engine);
	if (!w->wa) {
		gvt_vgpu_err(vgpu, "rcs: out of memory for a workaround batch's copies");
		return -ENOMEM;
	}
	ret = gvt_vgpu_scan_wa_ctx(vgpu, (enum gvt_engine_id)w->engine, &wa,
				   w->wa, &verdict);
	if (ret < 0)
		gvt_vgpu_err(vgpu, "rcs: out of memory scanning a workaround batch");
	if (ret)
		return ret;
	w->indirect_lines = indirect & INDIRECT_CTX_LINES;
	w->indirect_offset = state[GVT_CTX_RCS_INDIRECT_CTX_OFFSET + 1] &
			     INDIRECT_OFFSET_MASK;
	w->per_ctx = wa.per_ctx_valid;
	return 0;
}

struct gvt_workload *gvt_workload_create(struct gvt_vgpu *vgpu,
					 unsigned int engine, uint64_t desc,
					 const uint32_t *prev_tail,
					 bool *refused)
{
	const char *name = vgpu->ctx->platform->engines[engine].name;
	struct gvt_workload *w;
	struct gvt_cmd_verdict verdict;
	unsigned int mode = (desc >> DESC_ADDRESSING_SHIFT) & DESC_ADDRESSING_MASK;
	uint32_t *state;
	uint32_t ctl, head;
	int ret;

	*refused = false;
	w = calloc(1, sizeof(*w));
	if (!w) {
		gvt_vgpu_err(vgpu, "%s: out of memory for a workload", name);
		return NULL;
	}
	w->vgpu = vgpu;
	w->engine = engine;
	w->desc = desc;
	w->lrca = desc & DESC_LRCA_MASK;
	w->submit_ns = gvt_now_ns();
	state = w->guest_state;

	if (mode != DESC_LEGACY_32B && mode != DESC_LEGACY_64B) {
		gvt_vgpu_guest_err(vgpu, "%s: context 0x%llx uses addressing mode %u; a vGPU runs legacy 32- or 64-bit PPGTT contexts only",
				   name, (unsigned long long)desc, mode);
		goto out_refused;
	}
	if (!gvt_gm_in_vgpu(vgpu, w->lrca, 2 * PAGE) ||
	    gvt_ggtt_gma_to_gpa(vgpu, w->lrca + PAGE, &w->state_gpa) ||
	    gvt_hv_read_gpa(vgpu, w->state_gpa, state, PAGE)) {
		gvt_vgpu_guest_err(vgpu, "%s: context image at GGTT 0x%llx is not in the vGPU's mapped graphics memory",
				   name, (unsigned long long)w->lrca);
		goto out_refused;
	}

	ctl = state[GVT_CTX_RING_BUFFER_CONTROL + 1];
	head = state[GVT_CTX_RING_HEAD + 1];
	w->ring_start = state[GVT_CTX_RING_BUFFER_START + 1] & ~(PAGE - 1);
	w->ring_bytes = RING_CTL_PAGES(ctl) * PAGE;
	w->head_wraps = head >> RING_HEAD_WRAP_SHIFT;
	w->head = prev_tail ? *prev_tail : head & RING_HEAD_OFFSET_MASK;
	w->tail = state[GVT_CTX_RING_TAIL + 1] & RING_TAIL_OFFSET_MASK;
	w->ctx_control = state[GVT_CTX_CONTEXT_CONTROL + 1];
	if (!(ctl & RING_CTL_VALID)) {
		gvt_vgpu_guest_err(vgpu, "%s: context 0x%llx has no valid ring (RING_CTL 0x%x)",
				   name, (unsigned long long)desc, ctl);
		goto out_refused;
	}

	read_root(state, mode == DESC_LEGACY_64B ? 4 : 3, &w->root);
	ret = gvt_ppgtt_pin(vgpu, &w->root, &w->mm, w->shadow_pdp);
	if (ret) {
		/* -EFAULT and -ENOSPC were logged as the guest's. */
		if (ret == -ENOMEM)
			goto out_free;
		goto out_refused;
	}

	w->shadow = shadow_get(vgpu, engine);
	if (!w->shadow) {
		gvt_vgpu_err(vgpu, "%s: out of memory for a workload's copies", name);
		goto out_free;
	}
	ret = gvt_vgpu_scan_ring(vgpu, (enum gvt_engine_id)engine,
				 &(struct gvt_vgpu_ring){
					 .start = w->ring_start,
					 .size = w->ring_bytes,
					 .head = w->head, .tail = w->tail,
					 .ppgtt = &w->root,
				 },
				 w->shadow, &verdict);
	if (ret < 0) {
		gvt_vgpu_err(vgpu, "%s: out of memory scanning a workload", name);
		goto out_free;
	}
	if (ret > 0)
		goto out_refused;	/* the scanner logged why */
	if (engine == GVT_RCS) {
		ret = shadow_wa_ctx(w);
		if (ret < 0)
			goto out_free;
		if (ret > 0)
			goto out_refused;
	}
	w->status = GVT_WL_QUEUED;
	w->shadow_ns = gvt_now_ns() - w->submit_ns;
	return w;

out_refused:
	*refused = true;
out_free:
	w->shadow_ns = gvt_now_ns() - w->submit_ns;
	gvt_workload_free(w);
	return NULL;
}

/* ---- making it runnable, on the GPU thread ---- */

/* The register-state page the engine loads: the layout and the register
 * offsets are libgvt's, so a guest cannot slip a register of its choice
 * into the list the GPU restores; values come from the guest only where it
 * may choose them. */
static void build_state_page(const struct gvt_workload *w, uint32_t *page,
			     uint64_t ring_gm, uint32_t ring_pages,
			     uint32_t ring_tail)
{
	uint32_t base = w->vgpu->ctx->platform->engines[w->engine].mmio_base;
	const uint32_t *g = w->guest_state;
	bool rcs = w->engine == GVT_RCS;
	static const struct {
		uint32_t slot, reg;
	} slots[] = {
		{ GVT_CTX_CONTEXT_CONTROL, 0x244 },
		{ GVT_CTX_RING_HEAD, RING_HEAD },
		{ GVT_CTX_RING_TAIL, RING_TAIL },
		{ GVT_CTX_RING_BUFFER_START, RING_START },
		{ GVT_CTX_RING_BUFFER_CONTROL, RING_CTL },
		{ GVT_CTX_BB_HEAD_U, 0x168 },
		{ GVT_CTX_BB_HEAD_L, 0x140 },
		{ GVT_CTX_BB_STATE, 0x110 },
		{ GVT_CTX_SECOND_BB_HEAD_U, 0x11c },
		{ GVT_CTX_SECOND_BB_HEAD_L, 0x114 },
		{ GVT_CTX_SECOND_BB_STATE, 0x118 },
		{ GVT_CTX_BB_PER_CTX_PTR, 0x1c0 },
		{ GVT_CTX_RCS_INDIRECT_CTX, 0x1c4 },
		{ GVT_CTX_RCS_INDIRECT_CTX_OFFSET, 0x1c8 },
		{ GVT_CTX_CTX_TIMESTAMP, 0x3a8 },
	};

	memset(page, 0, PAGE);
	page[GVT_CTX_LRI_HEADER_0] = MI_LOAD_REGISTER_IMM(rcs ? 14 : 11) |
				     MI_LRI_FORCE_POSTED;
	for (unsigned int i = 0; i < ARRAY_SIZE(slots); i++) {
		if (!rcs && slots[i].slot >= GVT_CTX_BB_PER_CTX_PTR &&
		    slots[i].slot <= GVT_CTX_RCS_INDIRECT_CTX_OFFSET)
			continue;
		page[slots[i].slot] = base + slots[i].reg;
	}
	page[GVT_CTX_LRI_HEADER_1] = MI_LOAD_REGISTER_IMM(9) | MI_LRI_FORCE_POSTED;
	for (unsigned int n = 0; n < 4; n++) {
		unsigned int udw = GVT_CTX_PDP3_UDW + 4 * (3 - n);

		page[udw] = base + RING_PDP_BASE + 8 * n + 4;
		page[udw + 2] = base + RING_PDP_BASE + 8 * n;
		page[udw + 1] = (uint32_t)(w->shadow_pdp[n] >> 32);
		page[udw + 3] = (uint32_t)w->shadow_pdp[n];
	}
	if (rcs) {
		page[GVT_CTX_LRI_HEADER_2] = MI_LOAD_REGISTER_IMM(1) |
					     MI_LRI_FORCE_POSTED;
		page[GVT_CTX_R_PWR_CLK_STATE] = 0x20c8;
		page[GVT_CTX_R_PWR_CLK_STATE + 1] = g[GVT_CTX_R_PWR_CLK_STATE + 1];
	}
	page[GVT_CTX_END] = MI_BATCH_BUFFER_END;
	if (rcs) {
		const struct gvt_cmd_shadow *wa = w->wa;

		/* The workaround batches' copies, where the guest's were. */
		if (w->indirect_lines)
			page[GVT_CTX_RCS_INDIRECT_CTX + 1] =
				(uint32_t)w->wa_gm[0] | w->indirect_lines;
		page[GVT_CTX_RCS_INDIRECT_CTX_OFFSET + 1] = w->indirect_offset;
		for (unsigned int i = 0; w->per_ctx && i < wa->num_bufs; i++) {
			const struct gvt_cmd_buffer *b = &wa->bufs[i];

			if (b->parent < 0 && b->level == 1)
				page[GVT_CTX_BB_PER_CTX_PTR + 1] = PER_CTX_VALID |
					(uint32_t)(w->wa_gm[1] +
					(uint64_t)(b->shadow - wa->arena[1].base) * 4);
		}
	}

	/* The guest's: context control (the engine's restore behaviour) and
	 * the timestamp it accumulates. Rings, batches and PDPs: ours. */
	page[GVT_CTX_CONTEXT_CONTROL + 1] = g[GVT_CTX_CONTEXT_CONTROL + 1];
	page[GVT_CTX_CTX_TIMESTAMP + 1] = g[GVT_CTX_CTX_TIMESTAMP + 1];
	page[GVT_CTX_RING_HEAD + 1] = 0;
	page[GVT_CTX_RING_TAIL + 1] = ring_tail;
	page[GVT_CTX_RING_BUFFER_START + 1] = (uint32_t)ring_gm;
	page[GVT_CTX_RING_BUFFER_CONTROL + 1] = ((ring_pages - 1) << 12) |
						RING_CTL_VALID;
}

/* Map @sh's copies into host graphics memory, a range per level; level 0
 * is @level0_bytes long (and, for a ring, one page more). */
static int map_copies(struct gvt_ctx *ctx, const struct gvt_cmd_shadow *sh,
		      size_t level0_bytes, bool ring, uint64_t gm[3],
		      uint32_t gm_pages[3])
{
	for (unsigned int l = 0; l < 3; l++) {
		size_t bytes = l ? sh->arena[l].used * 4 : level0_bytes;
		uint32_t pages = (uint32_t)((bytes + PAGE - 1) / PAGE) +
				 (!l && ring);
		int ret;

		if (!sh->arena[l].base || !pages)
			continue;
		ret = gvt_shadow_gm_alloc(ctx, pages, &gm[l]);
		if (ret)
			return ret;
		gm_pages[l] = pages;
		gvt_shadow_gm_map(ctx, gm[l], sh->arena[l].base, pages);
	}
	return 0;
}

static void unmap_copies(struct gvt_ctx *ctx, uint64_t gm[3],
			 uint32_t gm_pages[3])
{
	for (unsigned int l = 0; l < 3; l++) {
		if (gm_pages[l])
			gvt_shadow_gm_free(ctx, gm[l], gm_pages[l]);
		gm_pages[l] = 0;
	}
}

/*
 * Privileged (GGTT) batches run from their copies: the copies are what the
 * scanner checked, and the guest cannot write them. PPGTT batches run in
 * place, as GVT-g runs them: they are non-privileged, so the GPU confines
 * them to the context's PPGTT (the vGPU's own memory, through its shadow)
 * and drops their privileged register writes; and their commands address
 * memory through the PPGTT, which a copy in the GGTT would not.
 */
static void relocate_batches(const struct gvt_cmd_shadow *sh,
			     const uint64_t gm[3])
{
	for (unsigned int i = 0; i < sh->num_bufs; i++) {
		const struct gvt_cmd_buffer *b = &sh->bufs[i];
		const struct gvt_cmd_buffer *p;
		uint64_t at;
		uint32_t *cmd;

		if (b->parent < 0 || b->ppgtt)
			continue;
		p = &sh->bufs[b->parent];
		at = gm[b->level] +
		     (uint64_t)(b->shadow - sh->arena[b->level].base) * 4;
		cmd = p->shadow + b->start_at;
		cmd[0] &= ~BB_ASI_PPGTT;
		cmd[1] = (uint32_t)at;
		cmd[2] = (uint32_t)(at >> 32);
	}
}

int gvt_workload_prepare(struct gvt_workload *w)
{
	struct gvt_vgpu *vgpu = w->vgpu;
	struct gvt_ctx *ctx = vgpu->ctx;
	struct gvt_shadow_ctx *sc = &vgpu->engine[w->engine].shadow_ctx;
	uint32_t ring_len = (w->tail - w->head + w->ring_bytes) % w->ring_bytes;
	uint64_t start = gvt_now_ns();
	int ret;

	/* The ring's copy is linear, from head: one page more than it holds,
	 * so its tail never meets its head. */
	ret = map_copies(ctx, w->shadow, ring_len, true, w->gm, w->gm_pages);
	if (!ret && w->wa)
		ret = map_copies(ctx, w->wa, w->indirect_lines * CACHELINE,
				 false, w->wa_gm, w->wa_gm_pages);
	if (ret) {
		unmap_copies(ctx, w->gm, w->gm_pages);
		unmap_copies(ctx, w->wa_gm, w->wa_gm_pages);
		return ret;
	}
	relocate_batches(w->shadow, w->gm);
	if (w->wa)
		relocate_batches(w->wa, w->wa_gm);

	build_state_page(w, (uint32_t *)(sc->image + GVT_CTX_STATE_PAGE * PAGE),
			 w->gm[0], w->gm_pages[0], ring_len);
	memset(sc->image, 0, PAGE);	/* a fresh per-process status page */
	w->shadow_ns += gvt_now_ns() - start;
	return 0;
}

/* ---- after it ran ---- */

void gvt_workload_ran(struct gvt_workload *w)
{
	const uint32_t *shadow_state = (const uint32_t *)(
		w->vgpu->engine[w->engine].shadow_ctx.image + GVT_CTX_STATE_PAGE * PAGE);

	/* Delivery may come after the next workload was prepared in the
	 * same image: the guest is late to take its lock, or a replay holds
	 * the completion back. */
	w->ctx_timestamp = shadow_state[GVT_CTX_CTX_TIMESTAMP + 1];
}

void gvt_workload_write_back(struct gvt_workload *w)
{
	struct gvt_vgpu *vgpu = w->vgpu;
	uint32_t base = vgpu->ctx->platform->engines[w->engine].mmio_base;
	uint32_t wraps = w->head_wraps + (w->tail < w->head);
	uint32_t head = wraps << RING_HEAD_WRAP_SHIFT | w->tail;
	uint32_t ts = w->ctx_timestamp;

	/* What the guest reads after a context switch: where the engine
	 * stopped in its ring, and the context's run time. */
	if (gvt_hv_write_gpa(vgpu, w->state_gpa + 4 * (GVT_CTX_RING_HEAD + 1),
			     &head, 4) ||
	    gvt_hv_write_gpa(vgpu, w->state_gpa + 4 * (GVT_CTX_CTX_TIMESTAMP + 1),
			     &ts, 4))
		gvt_vgpu_guest_err(vgpu, "%s: could not write back the context image at 0x%llx",
				   vgpu->ctx->platform->engines[w->engine].name,
				   (unsigned long long)w->state_gpa);
	*vgpu_vreg32(vgpu, base + RING_HEAD) = head;
	*vgpu_vreg32(vgpu, base + RING_TAIL) = w->tail;
}

void gvt_workload_free(struct gvt_workload *w)
{
	struct gvt_vgpu *vgpu;

	if (!w)
		return;
	vgpu = w->vgpu;
	vgpu->stats.shadow_ns += w->shadow_ns;
	vgpu->stats.workloads_shadowed++;
	unmap_copies(vgpu->ctx, w->gm, w->gm_pages);
	unmap_copies(vgpu->ctx, w->wa_gm, w->wa_gm_pages);
	if (w->mm)
		gvt_ppgtt_unpin(vgpu, w->mm);
	shadow_put(vgpu, w->engine, w->shadow);
	shadow_put(vgpu, w->engine, w->wa);
	free(w);
}
