// SPDX-License-Identifier: MIT
/*
 * Side effects of register writes (and the few reads that are computed):
 * forcewake, engine control, execlist ports, GPU reset, fences, the PCU
 * mailbox and display power. Everything else is plain register storage in
 * mmio.c.
 */
#include <errno.h>
#include <string.h>

#include "handlers.h"
#include "mmio.h"
#include "private.h"
#include "reg.h"

/* A masked write that sets bit(s) @bits: both the mask and the value. */
static bool masked_enables(uint32_t value, uint32_t bits)
{
	return (value & (bits << 16)) && (value & bits);
}

/* The engine a per-engine register belongs to (the table knows). */
static const struct gvt_engine_desc *engine_of(const struct gvt_vgpu *vgpu,
					       uint32_t offset,
					       unsigned int *index)
{
	int e = vgpu->mmio_info[vgpu->attr[offset >> 2].info].engine;

	if (e < 0)
		return NULL;
	*index = (unsigned int)e;
	return &vgpu->ctx->platform->engines[e];
}

static uint32_t engine_reg(struct gvt_vgpu *vgpu, unsigned int engine,
			   uint32_t reg)
{
	return *vgpu_vreg32(vgpu,
			    vgpu->ctx->platform->engines[engine].mmio_base + reg);
}

/*
 * Forcewake: the GPU acknowledges a wake request by mirroring the request
 * bits into the domain's ack register. Nothing physical is woken: the host
 * owns the real GPU's power.
 */
void forcewake_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value)
{
	uint32_t ack;

	switch (offset) {
	case FORCEWAKE_RENDER_GEN9:
		ack = FORCEWAKE_ACK_RENDER_GEN9;
		break;
	case FORCEWAKE_MEDIA_GEN9:
		ack = FORCEWAKE_ACK_MEDIA_GEN9;
		break;
	default:
		ack = FORCEWAKE_ACK_BLITTER_GEN9;
		break;
	}
	gvt_mmio_write_default(vgpu, offset, value);
	*vgpu_vreg32(vgpu, ack) = *vgpu_vreg32(vgpu, offset) & 0xffff;
}

static bool execlists_enabled(struct gvt_vgpu *vgpu, unsigned int engine)
{
	return engine_reg(vgpu, engine, RING_MODE_GEN7) & GFX_RUN_LIST_ENABLE;
}

/*
 * A tail move on a valid ring with execlists off is legacy ring-buffer
 * submission, which gen9 vGPUs do not support (GVT-g neither): say so
 * rather than let the guest wait for a GPU that never runs.
 */
void ring_tail_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value)
{
	const struct gvt_engine_desc *e;
	unsigned int i;

	gvt_mmio_write_default(vgpu, offset, value);
	/* RING_CTL sits beside RING_TAIL: no engine lookup on the hot path. */
	if (!(*vgpu_vreg32(vgpu, offset - RING_TAIL + RING_CTL) & RING_CTL_VALID))
		return;
	e = engine_of(vgpu, offset, &i);
	if (e && !execlists_enabled(vgpu, i))
		gvt_vgpu_enter_failsafe(vgpu,
					"%s: legacy ring-buffer submission (RING_TAIL 0x%x with execlists off) is not supported",
					e->name, value);
}

/* The hardware status page must be the guest's own graphics memory. */
void hws_pga_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	if (value && !gvt_gm_in_vgpu(vgpu, value, GVT_GTT_PAGE_SIZE)) {
		gvt_vgpu_guest_err(vgpu, "RING_HWS_PGA 0x%x at 0x%x is outside its graphics memory; ignored",
				   value, offset);
		return;
	}
	gvt_mmio_write_default(vgpu, offset, value);
}

/*
 * Many control registers report completion in a status bit that follows a
 * request bit: a virtual device completes at once. The table makes the
 * status bit read-only; the write is stored under the register's rules,
 * then the status follows.
 */
static void store_then_follow(struct gvt_vgpu *vgpu, uint32_t offset,
			      uint32_t value, uint32_t request,
			      uint32_t status)
{
	uint32_t *reg = vgpu_vreg32(vgpu, offset);

	gvt_mmio_write_default(vgpu, offset, value);
	if (*reg & request)
		*reg |= status;
	else
		*reg &= ~status;
}

/* Stopping the ring: with nothing executing, the engine is idle at once. */
void mi_mode_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	store_then_follow(vgpu, offset, value, MI_MODE_STOP_RING, MI_MODE_IDLE);
}

/* Engine reset handshake. */
void reset_ctl_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value)
{
	store_then_follow(vgpu, offset, value, RESET_CTL_REQUEST_RESET,
			  RESET_CTL_READY_TO_RESET);
}

#define EXECLIST_DESC_VALID	BIT(0)
#define EXECLIST_DESC_PPGTT	BIT(8)

/*
 * The execlist submit port takes four dwords: element 1 high, element 1
 * low, element 0 high, element 0 low. The fourth completes a submission,
 * which is decoded and checked here; running it is the execlist
 * emulation's job.
 */
void elsp_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	struct gvt_engine_state *es;
	const struct gvt_engine_desc *e;
	unsigned int i;
	uint64_t desc[2];

	e = engine_of(vgpu, offset, &i);
	if (!e)
		return;
	es = &vgpu->engine[i];
	es->elsp_dwords[es->elsp_count++] = value;
	if (es->elsp_count < 4)
		return;
	es->elsp_count = 0;
	desc[1] = (uint64_t)es->elsp_dwords[0] << 32 | es->elsp_dwords[1];
	desc[0] = (uint64_t)es->elsp_dwords[2] << 32 | es->elsp_dwords[3];

	if (!execlists_enabled(vgpu, i)) {
		gvt_vgpu_guest_err(vgpu, "%s: ELSP submission with execlists disabled ignored",
				   e->name);
		return;
	}
	if (!(desc[0] & EXECLIST_DESC_VALID)) {
		gvt_vgpu_guest_err(vgpu, "%s: ELSP submission without a valid element 0 ignored",
				   e->name);
		return;
	}
	for (unsigned int n = 0; n < 2; n++) {
		if ((desc[n] & EXECLIST_DESC_VALID) &&
		    !(desc[n] & EXECLIST_DESC_PPGTT)) {
			gvt_vgpu_guest_err(vgpu, "%s: ELSP element %u (0x%llx) uses the GGTT; only PPGTT contexts may run on a vGPU",
					   e->name, n,
					   (unsigned long long)desc[n]);
			gvt_execlist_refuse(vgpu, i, desc, true);
			return;
		}
	}
	es->elsp_desc[0] = desc[0];
	es->elsp_desc[1] = desc[1];
	es->elsp_submissions++;
	gvt_vgpu_dbg(vgpu, GVT_DBG_SCHED, "%s: ELSP 0x%llx 0x%llx", e->name,
		     (unsigned long long)desc[0], (unsigned long long)desc[1]);
	gvt_execlist_submit(vgpu, i, desc);
}

#define GFX_MODE_HOST_OWNED BIT(0)

void ring_mode_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value)
{
	const struct gvt_engine_desc *e;
	unsigned int i;

	e = engine_of(vgpu, offset, &i);
	if (masked_enables(value, GFX_MODE_HOST_OWNED)) {
		value &= ~(GFX_MODE_HOST_OWNED | GFX_MODE_HOST_OWNED << 16);
		gvt_vgpu_enter_failsafe(vgpu, "%s: guest set GFX_MODE bit 0, which the host owns",
					e ? e->name : "?");
	}
	if ((masked_enables(value, GFX_RUN_LIST_ENABLE) ||
	     masked_enables(value, GFX_PPGTT_ENABLE)) &&
	    !vgpu->pv.pv_notified)
		gvt_vgpu_enter_failsafe(vgpu,
					"%s: guest enabled execlists or PPGTT without reading PVINFO: it is not GVT-aware",
					e ? e->name : "?");
	gvt_mmio_write_default(vgpu, offset, value);
}

/* TLB invalidation requests: the vGPU's translations change only through
 * emulated GTT writes, so a request completes at once. */
void tlb_inv_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	*vgpu_vreg32(vgpu, offset) = 0;
}

/*
 * An engine reset: what the engine was running and had queued is gone (the
 * GPU thread lets go of it first), its ELSP latch and execlists start
 * over, and its status registers read as after power-on.
 */
int gvt_vgpu_submit_ports(struct gvt_vgpu *vgpu, uint32_t *offsets,
			  unsigned int max, unsigned int *writes_to_submit)
{
	const struct gvt_platform_desc *p;
	unsigned int fewest = 4, n = 0;

	if (!vgpu)
		return -EINVAL;
	if ((!offsets && max) || !writes_to_submit)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_submit_ports: NULL argument");
	p = vgpu->ctx->platform;
	for (unsigned int i = 0; i < p->num_engines; i++) {
		unsigned int left = 4 - vgpu->engine[i].elsp_count;

		if (left < fewest)
			fewest = left;
		if (n < max)
			offsets[n++] = p->engines[i].mmio_base + RING_ELSP;
	}
	*writes_to_submit = fewest;
	return (int)n;
}

void gvt_engines_reset(struct gvt_vgpu *vgpu, uint32_t engine_mask)
{
	const struct gvt_platform_desc *p = vgpu->ctx->platform;

	gvt_sched_stop(vgpu, engine_mask);
	for (unsigned int i = 0; i < p->num_engines; i++) {
		struct gvt_engine_state *es = &vgpu->engine[i];

		if (!(engine_mask & (1u << i)))
			continue;
		memset(es->elsp_dwords, 0, sizeof(es->elsp_dwords));
		es->elsp_count = 0;
		gvt_execlist_reset(vgpu, i);
	}
}

/* The guest acknowledges CSB entries by moving the read pointer; the GPU
 * thread moves the write pointer in the same register. */
void csb_ptr_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			uint32_t value)
{
	gvt_mmio_write_default(vgpu, offset, value);
}

/* Registers below this offset belong to the GT and return to power-on
 * values on a full GT reset; interrupt, display and PVINFO state above it
 * survive, as on hardware (and in GVT-g). */
#define GT_RESET_MMIO_END 0x44200

/* Reset requests complete at once and the register reads back zero,
 * which is what the guest polls for. */
void gdrst_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	const struct gvt_platform_desc *p = vgpu->ctx->platform;
	uint32_t engines = 0;

	if (value & GEN6_GRDOM_FULL) {
		engines = (1u << p->num_engines) - 1;
		gvt_vgpu_dbg(vgpu, GVT_DBG_CORE, "GPU reset requested (full)");
	} else {
		for (unsigned int i = 0; i < p->num_engines; i++)
			if (value & p->engines[i].gdrst_bit)
				engines |= 1u << i;
		gvt_vgpu_dbg(vgpu, GVT_DBG_CORE, "engine reset 0x%x", engines);
	}
	if (engines) {
		gvt_engines_reset(vgpu, engines);
		vgpu->stats.resets++;
	}
	/* After the engines let go: the GPU thread reads registers a GT
	 * reset rewrites. Their execlist registers come back as the engine
	 * reset left them, at power-on values. */
	if (value & GEN6_GRDOM_FULL)
		gvt_mmio_reset(vgpu, GT_RESET_MMIO_END);
	*vgpu_vreg32(vgpu, offset) = 0;
}

/*
 * Fences: guest fence i is the vGPU's i-th physical fence. A fence may
 * only cover the vGPU's own graphics memory; otherwise it would retile
 * another vGPU's aperture accesses, so it is programmed disabled.
 */
static int fence_of(struct gvt_vgpu *vgpu, uint32_t offset, bool write)
{
	uint32_t i = (offset - FENCE_REG_GEN6_LO(0)) / 8;

	if (i < vgpu->fence_count)
		return (int)i;
	gvt_vgpu_guest_err(vgpu, "fence %u %s, but it owns %u fences", i,
			   write ? "written" : "read", vgpu->fence_count);
	if (!vgpu->pv.pv_notified)
		gvt_vgpu_enter_failsafe(vgpu, "fence %u accessed before reading PVINFO: the guest is not GVT-aware",
					i);
	return -1;
}

uint32_t fence_mmio_read(struct gvt_vgpu *vgpu, uint32_t offset)
{
	if (fence_of(vgpu, offset, false) < 0)
		return 0;
	return *vgpu_vreg32(vgpu, offset);
}

/* The physical value of guest fence @i's low half: the guest's, with the
 * valid bit cleared if the fence reaches outside the vGPU's memory. */
static uint32_t fence_phys_lo(struct gvt_vgpu *vgpu, uint32_t i, bool log)
{
	uint32_t lo = *vgpu_vreg32(vgpu, FENCE_REG_GEN6_LO(i));
	uint32_t hi = *vgpu_vreg32(vgpu, FENCE_REG_GEN6_HI(i));
	uint64_t start = lo & GEN6_FENCE_ADDR_MASK;
	uint64_t end = (uint64_t)(hi & GEN6_FENCE_ADDR_MASK) + GVT_GTT_PAGE_SIZE;

	if (!(lo & GEN6_FENCE_VALID) ||
	    (end > start && gvt_gm_in_vgpu(vgpu, start, end - start)))
		return lo;
	if (log)
		gvt_vgpu_guest_err(vgpu, "fence %u covers [0x%llx, 0x%llx), outside its graphics memory; disabled",
				   i, (unsigned long long)start,
				   (unsigned long long)end);
	return lo & ~GEN6_FENCE_VALID;
}

void fence_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	struct gvt_ctx *ctx = vgpu->ctx;
	int i = fence_of(vgpu, offset, true);
	uint32_t phys, old_lo;

	if (i < 0)
		return;
	phys = vgpu->fence_index[i];
	/* Never a valid fence with half-old bounds: an enabled fence is
	 * disabled before its upper half changes, then enabled again. */
	if (offset & 4) {
		old_lo = fence_phys_lo(vgpu, (uint32_t)i, false);
		*vgpu_vreg32(vgpu, offset) = value;
		if (old_lo & GEN6_FENCE_VALID)
			ctx->pgpu_ops->mmio_write(ctx->pgpu, FENCE_REG_GEN6_LO(phys),
						  old_lo & ~GEN6_FENCE_VALID);
		ctx->pgpu_ops->mmio_write(ctx->pgpu, FENCE_REG_GEN6_HI(phys), value);
	} else {
		*vgpu_vreg32(vgpu, offset) = value;
	}
	ctx->pgpu_ops->mmio_write(ctx->pgpu, FENCE_REG_GEN6_LO(phys),
				  fence_phys_lo(vgpu, (uint32_t)i, true));
}

void gvt_fences_reset(struct gvt_vgpu *vgpu)
{
	struct gvt_ctx *ctx = vgpu->ctx;

	for (uint32_t i = 0; i < vgpu->fence_count; i++) {
		uint32_t phys = vgpu->fence_index[i];

		*vgpu_vreg32(vgpu, FENCE_REG_GEN6_LO(i)) = 0;
		*vgpu_vreg32(vgpu, FENCE_REG_GEN6_HI(i)) = 0;
		ctx->pgpu_ops->mmio_write(ctx->pgpu, FENCE_REG_GEN6_LO(phys), 0);
		ctx->pgpu_ops->mmio_write(ctx->pgpu, FENCE_REG_GEN6_HI(phys), 0);
	}
}

/* PCU mailbox commands i915 sends on gen9 (i915_reg.h). */
#define GEN6_PCODE_READ_RC6VIDS		0x05	/* also SKL_PCODE_LOAD_HDCP_KEYS */
#define GEN9_PCODE_READ_MEM_LATENCY	0x06
#define SKL_PCODE_CDCLK_CONTROL		0x07
#define SKL_CDCLK_READY_FOR_CHANGE	0x1
#define GEN9_PCODE_SAGV_CONTROL		0x21
#define GEN9_SAGV_DISABLE		0x0
#define GEN9_SAGV_IS_DISABLED		0x1

/*
 * The PCU answers at once and always succeeds: a vGPU has no power
 * management of its own. Memory latencies are the values GVT-g reports
 * (levels 0-3 and 4-7, one byte each, in microseconds).
 */
void pcode_mailbox_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			      uint32_t value)
{
	uint32_t *data = vgpu_vreg32(vgpu, GEN6_PCODE_DATA);

	if (!(value & GEN6_PCODE_READY)) {
		*vgpu_vreg32(vgpu, offset) = value;
		return;
	}
	switch (value & 0xff) {
	case GEN9_PCODE_READ_MEM_LATENCY:
		*data = *data == 0 ? 0x1e1a1100 : 0x61514b3d;
		break;
	case SKL_PCODE_CDCLK_CONTROL:
		*data = SKL_CDCLK_READY_FOR_CHANGE;
		break;
	case GEN6_PCODE_READ_RC6VIDS:
		*data |= 1;
		break;
	case GEN9_PCODE_SAGV_CONTROL:
		/* Confirm a disable request, so the guest need not time out. */
		if (*data == GEN9_SAGV_DISABLE)
			*data = GEN9_SAGV_IS_DISABLED;
		break;
	default:
		break;
	}
	/* Ready clear, error code (bits 7:0) zero: done, success. */
	*vgpu_vreg32(vgpu, offset) = value & ~(GEN6_PCODE_READY | 0xffu);
}

/* Display power wells (SKL): well i is requested by bit 2i+1 and reports
 * its state in bit 2i. Virtual wells power up the moment they are asked. */
#define SKL_PWR_WELL_REQUESTS 0xa00002aau	/* PW2, PW1, DDI D/C/B/A-E, MISC IO */

void pwr_well_ctl_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			     uint32_t value)
{
	uint32_t req = value & SKL_PWR_WELL_REQUESTS;

	*vgpu_vreg32(vgpu, offset) = req | req >> 1;
}

void dbuf_ctl_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			 uint32_t value)
{
	store_then_follow(vgpu, offset, value, DBUF_POWER_REQUEST,
			  DBUF_POWER_STATE);
}

/* Display PLLs lock as soon as they are enabled. */
void lcpll_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	store_then_follow(vgpu, offset, value, LCPLL_PLL_ENABLE,
			  LCPLL_PLL_LOCK);
}

#define WRPLL_CTL1	0x46040
#define WRPLL_CTL2	0x46060

/* DPLL n's lock bit (8n) follows its control register's enable. */
uint32_t dpll_status_mmio_read(struct gvt_vgpu *vgpu, uint32_t offset)
{
	static const uint32_t ctl[] = { LCPLL1_CTL, LCPLL2_CTL, WRPLL_CTL1,
					WRPLL_CTL2 };
	uint32_t v = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(ctl); i++)
		if (*vgpu_vreg32(vgpu, ctl[i]) & LCPLL_PLL_ENABLE)
			v |= 1u << (8 * i);
	return v;
}

/* The guest's "GGTT updates done": commit an entry it left half-written. */
void ggtt_flush_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			   uint32_t value)
{
	*vgpu_vreg32(vgpu, offset) = value;
	gvt_ggtt_flush(vgpu);
}

/*
 * DP AUX channels. No virtual monitor is attached to any port yet, so a
 * transaction ends as it does on hardware with nothing plugged in: done,
 * with a timeout error, at once. The done and error bits are sticky until
 * the driver writes 1 to them, which it does when it starts the next one.
 */
void dp_aux_ch_ctl_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset,
			      uint32_t value)
{
	static const enum gvt_irq_event aux_events[] = {
		GVT_EV_AUX_A, GVT_EV_AUX_B, GVT_EV_AUX_C, GVT_EV_AUX_D,
	};
	const uint32_t sticky = DP_AUX_CH_CTL_DONE | DP_AUX_CH_CTL_TIME_OUT_ERROR |
				DP_AUX_CH_CTL_RECEIVE_ERROR;
	uint32_t *reg = vgpu_vreg32(vgpu, offset);
	uint32_t channel = (offset - DP_AUX_CH_CTL_A) / DP_AUX_CH_STRIDE;

	if ((offset - DP_AUX_CH_CTL_A) % DP_AUX_CH_STRIDE) {
		*reg = value; /* a data register */
		return;
	}
	*reg = (value & ~(DP_AUX_CH_CTL_SEND_BUSY | sticky)) |
	       (*reg & sticky & ~value);
	if (!(value & DP_AUX_CH_CTL_SEND_BUSY))
		return;
	*reg |= DP_AUX_CH_CTL_DONE | DP_AUX_CH_CTL_TIME_OUT_ERROR;
	gvt_vgpu_dbg(vgpu, GVT_DBG_DPY, "AUX %c: no sink, timed out", 'A' + channel);
	if ((value & DP_AUX_CH_CTL_INTERRUPT) && channel < ARRAY_SIZE(aux_events))
		gvt_irq_raise(vgpu, aux_events[channel]);
}

/* Status bits a 1 clears, like FPGA_DBG's unclaimed-access flag. */
void w1c_mmio_write(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	*vgpu_vreg32(vgpu, offset) &= ~value;
}

/* The engine timestamps count the GPU's clock, shared by all vGPUs: they
 * reveal nothing about another vGPU's work. */
uint32_t timestamp_mmio_read(struct gvt_vgpu *vgpu, uint32_t offset)
{
	struct gvt_ctx *ctx = vgpu->ctx;

	return ctx->pgpu_ops->mmio_read(ctx->pgpu, offset);
}
