// SPDX-License-Identifier: MIT
/*
 * The physical GPU instance: platform, backend, register tables and the
 * partitioning of its resources between vGPUs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_parser.h"
#include "private.h"

#ifndef GVT_VERSION_STRING
#define GVT_VERSION_STRING "unknown"
#endif

const char *gvt_version(void)
{
	return GVT_VERSION_STRING;
}

/* Log through a sink that may not be attached to a context yet. */
__attribute__((format(printf, 2, 3)))
static int params_invalid(const struct gvt_ctx_params *params,
			  const char *fmt, ...)
{
	struct gvt_ctx tmp;
	char msg[256];
	va_list ap;

	if (!params || !params->log_fn)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	gvt_log_init(&tmp.log, params->log_fn, params->log_opaque,
		     params->log_level);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gvt_err(&tmp, "%s", msg);
	return -EINVAL;
}

int gvt_ctx_create(const struct gvt_ctx_params *params, struct gvt_ctx **out)
{
	const struct gvt_platform_desc *platform;
	struct gvt_ctx *ctx;
	int ret;

	if (!params || !out)
		return params_invalid(params, "gvt_ctx_create: NULL %s",
				      params ? "out" : "params");
	platform = gvt_platform_find(params->platform);
	if (!platform)
		return params_invalid(params, "gvt_ctx_create: unknown platform %d",
				      (int)params->platform);
	if (params->backend != GVT_BACKEND_SIM)
		return params_invalid(params, "gvt_ctx_create: unknown backend %d",
				      (int)params->backend);
	if (params->aperture_mib != 256 && params->aperture_mib != 512 &&
	    params->aperture_mib != 1024)
		return params_invalid(params,
				      "gvt_ctx_create: aperture of %u MiB; it must be 256, 512 or 1024",
				      params->aperture_mib);

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->platform = platform;
	ctx->aperture_size = params->aperture_mib * MiB;
	gvt_log_init(&ctx->log, params->log_fn, params->log_opaque,
		     params->log_level);
	ret = pthread_mutex_init(&ctx->lock, NULL);
	if (ret) {
		free(ctx);
		return -ret;
	}

	ret = gvt_mmio_table_build(ctx, &ctx->mmio, platform,
				   platform->reg_tables,
				   platform->num_reg_tables);
	if (ret)
		goto out_free_ctx;
	ret = gvt_cmd_access_init(ctx);
	if (ret)
		goto out_free_mmio;

	ctx->pgpu_ops = &gvt_sim_pgpu_ops;
	ret = ctx->pgpu_ops->create(ctx, platform, &ctx->pgpu);
	if (ret)
		goto out_free_cmd_access;
	ctx->golden = ctx->pgpu_ops->golden_mmio(ctx->pgpu);
	ctx->scratch_addr = ctx->pgpu_ops->scratch_addr(ctx->pgpu);

	gvt_gm_init(ctx);
	ret = gvt_shadow_gm_init(ctx);
	if (ret)
		goto out_destroy_pgpu;
	ret = gvt_sched_init(ctx);
	if (ret)
		goto out_shadow_gm_fini;
	gvt_info(ctx, "%s on pgpu/%s: %u MiB aperture, %u registers tracked",
		 platform->name, ctx->pgpu_ops->name, params->aperture_mib,
		 ctx->mmio.tracked_dwords);
	*out = ctx;
	return 0;

out_shadow_gm_fini:
	gvt_shadow_gm_fini(ctx);
out_destroy_pgpu:
	ctx->pgpu_ops->destroy(ctx->pgpu);
out_free_cmd_access:
	gvt_cmd_access_fini(ctx);
out_free_mmio:
	gvt_mmio_table_free(&ctx->mmio);
out_free_ctx:
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return ret;
}

void gvt_ctx_destroy(struct gvt_ctx *ctx)
{
	if (!ctx)
		return;
	for (unsigned int id = 1; id <= GVT_MAX_VGPUS; id++) {
		if (!ctx->vgpus[id])
			continue;
		gvt_warn(ctx, "vgpu%u still exists; destroying it with its GPU", id);
		gvt_vgpu_destroy(ctx->vgpus[id]);
	}
	gvt_sched_fini(ctx);
	gvt_shadow_gm_fini(ctx);
	ctx->pgpu_ops->destroy(ctx->pgpu);
	gvt_cmd_access_fini(ctx);
	gvt_mmio_table_free(&ctx->mmio);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

unsigned int gvt_ctx_num_types(const struct gvt_ctx *ctx)
{
	return ctx ? ctx->platform->num_types : 0;
}

const struct gvt_type_desc *gvt_type_find(const struct gvt_ctx *ctx,
					  const char *name)
{
	for (unsigned int i = 0; name && i < ctx->platform->num_types; i++)
		if (!strcmp(ctx->platform->types[i].name, name))
			return &ctx->platform->types[i];
	return NULL;
}

int gvt_ctx_get_type(struct gvt_ctx *ctx, unsigned int index,
		     struct gvt_type_info *out)
{
	const struct gvt_type_desc *t;

	if (!ctx)
		return -EINVAL;
	if (!out) {
		gvt_err(ctx, "gvt_ctx_get_type: NULL out");
		return -EINVAL;
	}
	if (index >= ctx->platform->num_types) {
		gvt_err(ctx, "gvt_ctx_get_type: index %u out of range (%u types)",
			index, ctx->platform->num_types);
		return -EINVAL;
	}
	t = &ctx->platform->types[index];
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	out->low_gm_size = t->low_gm_mib * MiB;
	out->high_gm_size = t->high_gm_mib * MiB;
	out->fences = t->fences;
	out->weight = t->weight;
	out->resolution_x = t->resolution_x;
	out->resolution_y = t->resolution_y;
	pthread_mutex_lock(&ctx->lock);
	out->avail_instances = gvt_gm_avail_instances_locked(ctx, t);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

int gvt_ctx_admit(struct gvt_ctx *ctx, const char *type_name, char *why,
		  size_t why_len)
{
	const struct gvt_type_desc *t;
	int ret;

	if (!ctx)
		return -EINVAL;
	t = gvt_type_find(ctx, type_name);
	if (!t) {
		gvt_err(ctx, "gvt_ctx_admit: unknown vGPU type '%s'",
			type_name ? type_name : "(null)");
		return -EINVAL;
	}
	pthread_mutex_lock(&ctx->lock);
	ret = gvt_gm_admit_locked(ctx, t, why, why_len);
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}
