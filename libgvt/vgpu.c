// SPDX-License-Identifier: MIT
/*
 * vGPU lifecycle: create, destroy, device-level reset, and what a device
 * model may ask of a vGPU (info, statistics).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg_space.h"
#include "hv.h"
#include "interrupt.h"
#include "private.h"
#include "workload.h"

/* Recursive: a handler may reach a public entry point of its own vGPU. */
static int init_lock(struct gvt_vgpu *vgpu)
{
	pthread_mutexattr_t attr;
	int ret;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	ret = pthread_mutex_init(&vgpu->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return -ret;
}

int gvt_vgpu_misuse(const struct gvt_vgpu *vgpu, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gvt_vgpu_err(vgpu, "%s", msg);
	return -EINVAL;
}

void gvt_vgpu_enter_failsafe(struct gvt_vgpu *vgpu, const char *fmt, ...)
{
	va_list ap;

	/* The first reason is the one that explains the stop. */
	if (vgpu->failsafe)
		return;
	va_start(ap, fmt);
	vsnprintf(vgpu->failsafe_reason, sizeof(vgpu->failsafe_reason), fmt,
		  ap);
	va_end(ap);
	vgpu->failsafe = true;
	vgpu->stats.guest_errors++;
	gvt_vgpu_log(vgpu, GVT_LOG_NOTICE, "failsafe: %s; registers are plain storage until reset",
		     vgpu->failsafe_reason);
	gvt_irq_update(vgpu); /* lets an asserted INTx line fall */
}

static int check_hv_ops(struct gvt_ctx *ctx, const struct gvt_hv_ops *ops)
{
	if (!ops) {
		gvt_err(ctx, "gvt_vgpu_create: NULL hv ops");
		return -EINVAL;
	}
	if (ops->version != GVT_HV_OPS_VERSION) {
		gvt_err(ctx, "gvt_vgpu_create: hv ops version %u, libgvt speaks %u",
			ops->version, GVT_HV_OPS_VERSION);
		return -EINVAL;
	}
	if (!ops->read_gpa || !ops->write_gpa || !ops->dma_map ||
	    !ops->dma_unmap || !ops->inject_msi) {
		gvt_err(ctx, "gvt_vgpu_create: hv ops lack a required op (read_gpa, write_gpa, dma_map, dma_unmap and inject_msi are required)");
		return -EINVAL;
	}
	if (!ops->page_track_enable != !ops->page_track_disable) {
		gvt_err(ctx, "gvt_vgpu_create: hv ops have only one of page_track_enable/page_track_disable");
		return -EINVAL;
	}
	return 0;
}

/* Reserve an id and resources for @vgpu, or say which resource is short
 * or which requested place is taken. */
static int claim_resources(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu,
			   const struct gvt_vgpu_placement *at)
{
	char why[256] = "";
	int ret;

	pthread_mutex_lock(&ctx->lock);
	ret = gvt_gm_admit_locked(ctx, vgpu->type, why, sizeof(why));
	if (!ret && at && at->id) {
		if (at->id > ctx->platform->max_vgpus || ctx->vgpus[at->id]) {
			snprintf(why, sizeof(why), "vGPU id %u is %s", at->id,
				 at->id > ctx->platform->max_vgpus ? "out of range" : "in use");
			ret = at->id > ctx->platform->max_vgpus ? -EINVAL : -EBUSY;
		}
		vgpu->id = at->id;
	} else if (!ret) {
		for (vgpu->id = 1; ctx->vgpus[vgpu->id]; vgpu->id++)
			;
	}
	if (!ret)
		ret = gvt_gm_alloc_locked(ctx, vgpu, at, why, sizeof(why));
	if (!ret) {
		ctx->vgpus[vgpu->id] = vgpu;
		ctx->num_vgpus++;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (ret)
		gvt_err(ctx, "cannot create a %s vGPU: %s", vgpu->type->name,
			why);
	return ret;
}

static void release_resources(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu)
{
	pthread_mutex_lock(&ctx->lock);
	gvt_gm_free_locked(ctx, vgpu);
	ctx->vgpus[vgpu->id] = NULL;
	ctx->num_vgpus--;
	pthread_mutex_unlock(&ctx->lock);
}

/* Everything a device-level reset returns to its initial state; also the
 * last step of creation. */
static void reset_state(struct gvt_vgpu *vgpu)
{
	/* Engines first: their workloads pin PPGTT shadows the reset frees.
	 * The register reset below leaves their execlist registers at the
	 * power-on values the engine reset gave them. */
	gvt_engines_reset(vgpu, (1u << vgpu->ctx->platform->num_engines) - 1);
	gvt_ppgtt_reset(vgpu);
	gvt_page_track_remove_all(vgpu);
	gvt_ggtt_reset(vgpu);
	gvt_mmio_reset(vgpu, GVT_MMIO_SIZE);
	gvt_pvinfo_reset(vgpu);
	gvt_cfg_init(vgpu);
	gvt_fences_reset(vgpu);
	gvt_irq_reset(vgpu);
	vgpu->io_index = 0;
	vgpu->failsafe = false;
	vgpu->failsafe_reason[0] = '\0';
	vgpu->guest_errs_logged = 0;
}

int gvt_vgpu_create(struct gvt_ctx *ctx, const char *type_name,
		    const struct gvt_hv_ops *ops, void *hv,
		    struct gvt_vgpu **out)
{
	return gvt_vgpu_create_placed(ctx, type_name, NULL, ops, hv, out);
}

int gvt_vgpu_create_placed(struct gvt_ctx *ctx, const char *type_name,
			   const struct gvt_vgpu_placement *at,
			   const struct gvt_hv_ops *ops, void *hv,
			   struct gvt_vgpu **out)
{
	const struct gvt_type_desc *type;
	struct gvt_vgpu *vgpu;
	int ret;

	if (!ctx)
		return -EINVAL;
	type = gvt_type_find(ctx, type_name);
	if (!type) {
		gvt_err(ctx, "gvt_vgpu_create: unknown vGPU type '%s'",
			type_name ? type_name : "(null)");
		return -EINVAL;
	}
	if (!out) {
		gvt_err(ctx, "gvt_vgpu_create: NULL out");
		return -EINVAL;
	}
	ret = check_hv_ops(ctx, ops);
	if (ret)
		return ret;

	vgpu = calloc(1, sizeof(*vgpu));
	if (!vgpu)
		return -ENOMEM;
	vgpu->ctx = ctx;
	vgpu->type = type;
	vgpu->hv_ops = ops;
	vgpu->hv = hv;
	vgpu->attr = ctx->mmio.attr;
	vgpu->mmio_info = ctx->mmio.info;
	vgpu->vreg = gvt_alloc_hot(GVT_MMIO_SIZE);
	if (!vgpu->vreg) {
		ret = -ENOMEM;
		goto out_free_vgpu;
	}
	ret = init_lock(vgpu);
	if (ret)
		goto out_free_vreg;

	ret = claim_resources(ctx, vgpu, at);
	if (ret)
		goto out_free_vreg;
	ret = gvt_ggtt_init(vgpu);
	if (ret)
		goto out_release;
	ret = gvt_ppgtt_init(vgpu);
	if (ret)
		goto out_ggtt_fini;
	ret = gvt_shadow_ctx_init(vgpu);
	if (ret)
		goto out_ppgtt_fini;
	ret = gvt_sched_vgpu_add(vgpu);
	if (ret)
		goto out_ppgtt_fini;
	reset_state(vgpu);

	gvt_vgpu_info(vgpu, "created %s: aperture [0x%llx, 0x%llx), hidden [0x%llx, 0x%llx), fences %u-%u",
		      type->name, (unsigned long long)vgpu->low_gm.start,
		      (unsigned long long)(vgpu->low_gm.start + vgpu->low_gm.size),
		      (unsigned long long)vgpu->high_gm.start,
		      (unsigned long long)(vgpu->high_gm.start + vgpu->high_gm.size),
		      vgpu->fence_index[0],
		      vgpu->fence_index[vgpu->fence_count - 1]);
	*out = vgpu;
	return 0;

out_ppgtt_fini:
	gvt_shadow_ctx_fini(vgpu);
	gvt_ppgtt_fini(vgpu);
out_ggtt_fini:
	gvt_ggtt_fini(vgpu);
	gvt_dma_cache_fini(vgpu);
out_release:
	release_resources(ctx, vgpu);
	pthread_mutex_destroy(&vgpu->lock);
out_free_vreg:
	free(vgpu->vreg);
out_free_vgpu:
	free(vgpu);
	return ret;
}

void gvt_vgpu_destroy(struct gvt_vgpu *vgpu)
{
	struct gvt_ctx *ctx;

	if (!vgpu)
		return;
	ctx = vgpu->ctx;
	pthread_mutex_lock(&vgpu->lock);
	gvt_sched_stop(vgpu, (1u << ctx->platform->num_engines) - 1);
	pthread_mutex_unlock(&vgpu->lock);
	gvt_sched_vgpu_remove(vgpu);
	gvt_shadow_ctx_fini(vgpu);
	for (unsigned int e = 0; e < GVT_NUM_ENGINES; e++) {
		struct gvt_engine_state *es = &vgpu->engine[e];

		while (es->num_spare) {
			gvt_cmd_shadow_fini(es->spare[--es->num_spare]);
			free(es->spare[es->num_spare]);
		}
	}
	gvt_trace_fini(vgpu);
	gvt_ppgtt_fini(vgpu);
	gvt_page_track_remove_all(vgpu);
	gvt_ggtt_fini(vgpu);
	gvt_dma_cache_fini(vgpu);
	gvt_fences_reset(vgpu);
	gvt_vgpu_info(vgpu, "destroyed");
	release_resources(ctx, vgpu);
	pthread_mutex_destroy(&vgpu->lock);
	free(vgpu->vreg);
	free(vgpu);
}

int gvt_vgpu_reset(struct gvt_vgpu *vgpu)
{
	if (!vgpu)
		return -EINVAL;
	pthread_mutex_lock(&vgpu->lock);
	if (vgpu->trace)
		gvt_trace_reset(vgpu);
	reset_state(vgpu);
	vgpu->stats.resets++;
	pthread_mutex_unlock(&vgpu->lock);
	gvt_vgpu_info(vgpu, "reset");
	return 0;
}

/* Workloads submitted and not yet completed (queued, running or not yet
 * delivered). */
static uint64_t pending_workloads(struct gvt_vgpu *vgpu)
{
	return gvt_sched_pending(vgpu);
}

int gvt_vgpu_wait_idle(struct gvt_vgpu *vgpu, unsigned int timeout_ms)
{
	struct timespec start, now, pause = { 0, 1000000 };

	if (!vgpu)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (pending_workloads(vgpu)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    (long)timeout_ms) {
			gvt_vgpu_err(vgpu, "%llu workload(s) still pending after %u ms",
				     (unsigned long long)pending_workloads(vgpu),
				     timeout_ms);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

int gvt_vgpu_limit_completions(struct gvt_vgpu *vgpu, unsigned int engine,
			       uint64_t limit)
{
	if (!vgpu)
		return -EINVAL;
	if (engine >= vgpu->ctx->platform->num_engines)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_limit_completions: no engine %u",
				       engine);
	gvt_sched_limit_deliveries(vgpu, engine, limit);
	return 0;
}

int gvt_vgpu_completions_delivered(struct gvt_vgpu *vgpu, unsigned int engine,
				   uint64_t *delivered)
{
	if (!vgpu)
		return -EINVAL;
	if (!delivered || engine >= vgpu->ctx->platform->num_engines)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_completions_delivered: %s",
				       delivered ? "no such engine" : "NULL delivered");
	*delivered = gvt_sched_delivered(vgpu, engine);
	return 0;
}

int gvt_vgpu_get_info(struct gvt_vgpu *vgpu, struct gvt_vgpu_info *out)
{
	const struct gvt_platform_desc *p;
	uint64_t msi_addr;
	uint32_t msi_data;

	if (!vgpu)
		return -EINVAL;
	if (!out)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_get_info: NULL out");
	p = vgpu->ctx->platform;
	memset(out, 0, sizeof(*out));
	out->id = vgpu->id;
	snprintf(out->type_name, sizeof(out->type_name), "%s",
		 vgpu->type->name);
	out->vendor_id = p->vendor_id;
	out->device_id = p->device_id;
	out->cfg_size = GVT_CFG_SPACE_SIZE;
	out->bar[0] = (struct gvt_bar_info){ GVT_BAR0_SIZE, GVT_BAR_MEM64 };
	out->bar[2] = (struct gvt_bar_info){ vgpu->ctx->aperture_size,
					     GVT_BAR_MEM64 | GVT_BAR_PREFETCH };
	out->bar[4] = (struct gvt_bar_info){ GVT_BAR4_SIZE, GVT_BAR_IO };
	out->aperture_base = vgpu->low_gm.start;
	out->aperture_size = vgpu->low_gm.size;
	out->hidden_base = vgpu->high_gm.start;
	out->hidden_size = vgpu->high_gm.size;
	out->fence_count = vgpu->fence_count;
	memcpy(out->fence_index, vgpu->fence_index, sizeof(out->fence_index));
	gvt_cfg_msi_message(vgpu, &msi_addr, &msi_data);
	out->msi_enabled = gvt_cfg_msi_enabled(vgpu);
	out->msi_addr = msi_addr;
	out->msi_data = msi_data;
	out->pv_notified = vgpu->pv.pv_notified;
	out->display_ready = vgpu->pv.display_ready;
	out->failsafe = vgpu->failsafe;
	snprintf(out->failsafe_reason, sizeof(out->failsafe_reason), "%s",
		 vgpu->failsafe_reason);
	out->weight = vgpu->engine[0].client.weight;
	return 0;
}

int gvt_vgpu_get_stats(struct gvt_vgpu *vgpu, struct gvt_vgpu_stats *out)
{
	if (!vgpu)
		return -EINVAL;
	if (!out)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_get_stats: NULL out");
	*out = vgpu->stats;
	return 0;
}

int gvt_vgpu_get_engine_stats(struct gvt_vgpu *vgpu, unsigned int engine,
			      struct gvt_engine_stats *out)
{
	if (!vgpu)
		return -EINVAL;
	if (!out || engine >= vgpu->ctx->platform->num_engines)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_get_engine_stats: %s",
				       out ? "no such engine" : "NULL out");
	gvt_sched_engine_stats(vgpu, engine, out);
	return 0;
}

int gvt_vgpu_set_weight(struct gvt_vgpu *vgpu, unsigned int weight)
{
	if (!vgpu)
		return -EINVAL;
	if (weight < 1 || weight > 1000)
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_set_weight: weight %u is not 1..1000",
				       weight);
	if (gvt_sched_vgpu_set_weight(vgpu, weight))
		return gvt_vgpu_misuse(vgpu, "gvt_vgpu_set_weight: weight %u refused",
				       weight);
	gvt_vgpu_info(vgpu, "weight %u", weight);
	return 0;
}
