// SPDX-License-Identifier: MIT
/*
 * Logging to the embedding program's sink. Each macro names the object it
 * speaks for, so a message always says which GPU or vGPU it is about.
 */
#ifndef GVT_LOG_H
#define GVT_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>

struct gvt_ctx;
struct gvt_vgpu;

/* The sink as installed on a context; copied by value, guarded by nothing:
 * replacing it while another thread logs is the caller's race to avoid. */
struct gvt_log {
	gvt_log_fn *fn;		/* NULL: silent */
	void *opaque;		/* passed to fn */
	int level;		/* most verbose level delivered */
	uint32_t debug_mask;	/* GVT_DBG_* categories delivered at DEBUG */
};

void gvt_log_init(struct gvt_log *log, gvt_log_fn *fn, void *opaque,
		  int level);

__attribute__((format(printf, 3, 4)))
void gvt_ctx_log(const struct gvt_ctx *ctx, int level, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void gvt_vgpu_log(const struct gvt_vgpu *vgpu, int level, const char *fmt,
		  ...);
__attribute__((format(printf, 3, 4)))
void gvt_ctx_dbg(const struct gvt_ctx *ctx, uint32_t category,
		 const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void gvt_vgpu_dbg(const struct gvt_vgpu *vgpu, uint32_t category,
		  const char *fmt, ...);

/*
 * A rule broken by the guest: counted, then logged at WARNING, but only the
 * first GVT_GUEST_ERR_LOG_BUDGET times between resets, so a hostile guest
 * cannot flood the host's log. The access itself is still emulated.
 */
#define GVT_GUEST_ERR_LOG_BUDGET 64
__attribute__((format(printf, 2, 3)))
void gvt_vgpu_guest_err(struct gvt_vgpu *vgpu, const char *fmt, ...);

bool gvt_log_wants(const struct gvt_log *log, int level, uint32_t category);

#define gvt_err(ctx, ...) gvt_ctx_log(ctx, GVT_LOG_ERR, __VA_ARGS__)
#define gvt_warn(ctx, ...) gvt_ctx_log(ctx, GVT_LOG_WARNING, __VA_ARGS__)
#define gvt_info(ctx, ...) gvt_ctx_log(ctx, GVT_LOG_INFO, __VA_ARGS__)
#define gvt_vgpu_err(vgpu, ...) gvt_vgpu_log(vgpu, GVT_LOG_ERR, __VA_ARGS__)
#define gvt_vgpu_warn(vgpu, ...) gvt_vgpu_log(vgpu, GVT_LOG_WARNING, __VA_ARGS__)
#define gvt_vgpu_info(vgpu, ...) gvt_vgpu_log(vgpu, GVT_LOG_INFO, __VA_ARGS__)

#endif /* GVT_LOG_H */
