// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "private.h"

void gvt_log_init(struct gvt_log *log, gvt_log_fn *fn, void *opaque,
		  int level)
{
	log->fn = fn;
	log->opaque = opaque;
	log->level = level > 0 ? level : GVT_LOG_INFO;
}

bool gvt_log_wants(const struct gvt_log *log, int level, uint32_t category)
{
	if (!log->fn || level > log->level)
		return false;
	return level < GVT_LOG_DEBUG || (log->debug_mask & category);
}

/* One formatted line to the sink; errno survives, as callers often log on
 * the way out of a failed system call and still need its value. */
static void emit(const struct gvt_log *log, int level, const char *prefix,
		 const char *fmt, va_list ap)
{
	char line[512];
	int saved_errno = errno;
	size_t used = 0;
	size_t len;

	if (prefix)
		used = (size_t)snprintf(line, sizeof(line), "%s", prefix);
	vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	log->fn(log->opaque, level, line);
	errno = saved_errno;
}

void gvt_ctx_log(const struct gvt_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	if (!gvt_log_wants(&ctx->log, level, GVT_DBG_ALL))
		return;
	va_start(ap, fmt);
	emit(&ctx->log, level, NULL, fmt, ap);
	va_end(ap);
}

void gvt_ctx_dbg(const struct gvt_ctx *ctx, uint32_t category,
		 const char *fmt, ...)
{
	va_list ap;

	if (!gvt_log_wants(&ctx->log, GVT_LOG_DEBUG, category))
		return;
	va_start(ap, fmt);
	emit(&ctx->log, GVT_LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

static void vgpu_emit(const struct gvt_vgpu *vgpu, int level,
		      uint32_t category, const char *fmt, va_list ap)
{
	char prefix[16];

	if (!gvt_log_wants(&vgpu->ctx->log, level, category))
		return;
	snprintf(prefix, sizeof(prefix), "vgpu%u: ", vgpu->id);
	emit(&vgpu->ctx->log, level, prefix, fmt, ap);
}

void gvt_vgpu_log(const struct gvt_vgpu *vgpu, int level, const char *fmt,
		  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vgpu_emit(vgpu, level, GVT_DBG_ALL, fmt, ap);
	va_end(ap);
}

void gvt_vgpu_dbg(const struct gvt_vgpu *vgpu, uint32_t category,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vgpu_emit(vgpu, GVT_LOG_DEBUG, category, fmt, ap);
	va_end(ap);
}

void gvt_vgpu_guest_err(struct gvt_vgpu *vgpu, const char *fmt, ...)
{
	va_list ap;

	vgpu->stats.guest_errors++;
	if (vgpu->guest_errs_logged > GVT_GUEST_ERR_LOG_BUDGET)
		return;
	if (vgpu->guest_errs_logged++ == GVT_GUEST_ERR_LOG_BUDGET) {
		gvt_vgpu_warn(vgpu, "guest: further rule breaks are counted but not logged until the next reset");
		return;
	}
	va_start(ap, fmt);
	vgpu_emit(vgpu, GVT_LOG_WARNING, GVT_DBG_ALL, fmt, ap);
	va_end(ap);
}

void gvt_ctx_set_log(struct gvt_ctx *ctx, gvt_log_fn *fn, void *opaque,
		     int level)
{
	uint32_t mask;

	if (!ctx)
		return;
	mask = ctx->log.debug_mask;
	gvt_log_init(&ctx->log, fn, opaque, level);
	ctx->log.debug_mask = mask;
}

void gvt_ctx_set_debug(struct gvt_ctx *ctx, uint32_t mask)
{
	if (ctx)
		ctx->log.debug_mask = mask;
}
