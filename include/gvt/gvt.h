// SPDX-License-Identifier: MIT
/*
 * libgvt: mediated sharing of one Intel Gen9 GPU between virtual machines.
 *
 * This is the only header a device model includes. A struct gvt_ctx is one
 * physical GPU (the software GPU "sim" by default); a struct gvt_vgpu is one
 * virtual GPU on it, seen by one guest as a whole PCI device. The device
 * model forwards the guest's config-space and BAR accesses to the
 * gvt_vgpu_*() entry points below and supplies guest memory access and MSI
 * delivery through struct gvt_hv_ops (gvt_hv.h).
 *
 * Conventions:
 * - Functions that can fail return 0 or a negative errno. Misuse by the
 *   caller (a bad size, an offset outside a BAR, an unknown type) is -EINVAL
 *   with exactly one log line that says what was wrong.
 * - Misbehaviour by the *guest* is not an error of the call: the access is
 *   emulated as hardware would (or dropped), the call returns 0, and the
 *   vGPU logs why (rate-limited) and may enter failsafe mode.
 * - Data buffers hold little-endian bytes, as they travel on the PCI bus.
 * - libgvt never exits, aborts or writes to stderr; it logs to the sink
 *   installed with struct gvt_ctx_params or gvt_ctx_set_log().
 *
 * Threading: a struct gvt_ctx may be used from several threads; its own
 * operations (types, admission, vGPU create/destroy) lock internally,
 * except for replacing the log sink (see gvt_ctx_set_log()).
 * Calls on one struct gvt_vgpu must be serialised by the caller (one device
 * model thread per vGPU, as a vfio-user server or a Xen ioreq loop has);
 * different vGPUs may be driven concurrently. Each context also runs a
 * thread of its own, the GPU thread, which executes workloads and delivers
 * their completion: the log sink and the hv ops named in gvt_hv.h may be
 * called from it.
 */
#ifndef GVT_GVT_H
#define GVT_GVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gvt/gvt_hv.h>

#ifdef __cplusplus
extern "C" {
#endif

/** GVT_EXPORT - marks a symbol of the public ABI (all others are hidden). */
#if defined(GVT_BUILDING_LIBRARY)
#define GVT_EXPORT __attribute__((visibility("default")))
#else
#define GVT_EXPORT
#endif

/** GVT_MUST_CHECK - the result of this call must not be ignored. */
#define GVT_MUST_CHECK __attribute__((warn_unused_result))

/** struct gvt_ctx - one physical GPU instance (opaque). */
struct gvt_ctx;
/** struct gvt_vgpu - one virtual GPU (opaque). */
struct gvt_vgpu;

/**
 * enum gvt_platform - the physical GPU model libgvt emulates and mediates.
 * @GVT_PLATFORM_SKL: Skylake GT2, PCI 8086:1912 (HD Graphics 530).
 */
enum gvt_platform {
	GVT_PLATFORM_SKL = 1,
};

/**
 * enum gvt_backend - where the physical GPU comes from.
 * @GVT_BACKEND_SIM: pgpu/sim, a software Gen9 GPU inside the process.
 */
enum gvt_backend {
	GVT_BACKEND_SIM = 0,
};

/*
 * Log levels have syslog's values, so a sink may pass them to syslog(3).
 */
/** GVT_LOG_ERR - an operation failed. */
#define GVT_LOG_ERR 3
/** GVT_LOG_WARNING - a guest misbehaved, or something degraded. */
#define GVT_LOG_WARNING 4
/** GVT_LOG_NOTICE - a normal but significant event (failsafe entered). */
#define GVT_LOG_NOTICE 5
/** GVT_LOG_INFO - lifecycle: contexts and vGPUs created, destroyed, reset. */
#define GVT_LOG_INFO 6
/** GVT_LOG_DEBUG - per-access detail, filtered by gvt_ctx_set_debug(). */
#define GVT_LOG_DEBUG 7

/*
 * Debug categories for gvt_ctx_set_debug(); a debug message is delivered
 * only if its category bit is set and the level admits GVT_LOG_DEBUG.
 */
/** GVT_DBG_CORE - contexts, vGPU lifecycle, admission. */
#define GVT_DBG_CORE (1u << 0)
/** GVT_DBG_MMIO - register and config-space emulation. */
#define GVT_DBG_MMIO (1u << 1)
/** GVT_DBG_IRQ - virtual interrupts and MSI. */
#define GVT_DBG_IRQ (1u << 2)
/** GVT_DBG_MM - GGTT, aperture, page tracking. */
#define GVT_DBG_MM (1u << 3)
/** GVT_DBG_DPY - display. */
#define GVT_DBG_DPY (1u << 4)
/** GVT_DBG_SCHED - submission and scheduling. */
#define GVT_DBG_SCHED (1u << 5)
/** GVT_DBG_ALL - every category. */
#define GVT_DBG_ALL 0xffffffffu

/**
 * typedef gvt_log_fn - a log sink.
 * @opaque: the pointer given with the sink.
 * @level: one of GVT_LOG_*.
 * @msg: one line without a trailing newline; vGPU messages start "vgpuN: ".
 *
 * Called synchronously from whichever thread made the call that logs. errno
 * is preserved across the call on libgvt's side.
 */
typedef void gvt_log_fn(void *opaque, int level, const char *msg);

/**
 * struct gvt_ctx_params - how to create a physical GPU instance.
 * @platform: which GPU (GVT_PLATFORM_SKL).
 * @backend: where it comes from (GVT_BACKEND_SIM).
 * @aperture_mib: size of the CPU-visible aperture (low graphics memory):
 *	256, 512 or 1024. It bounds how many vGPUs fit (see docs/allocation.md).
 * @log_fn: log sink, or NULL for none; set here so creation itself can log.
 * @log_opaque: passed to @log_fn.
 * @log_level: most verbose level delivered (GVT_LOG_*); 0 means GVT_LOG_INFO.
 */
struct gvt_ctx_params {
	enum gvt_platform platform;
	enum gvt_backend backend;
	uint32_t aperture_mib;
	gvt_log_fn *log_fn;
	void *log_opaque;
	int log_level;
};

/**
 * gvt_ctx_create() - create a physical GPU instance.
 * @params: what to create; copied, not kept.
 * @out: receives the new context.
 *
 * Builds the platform's register tables (a duplicate register is refused
 * here, before anything can run) and starts the backend.
 *
 * Return: 0, -EINVAL for bad parameters (unknown platform or backend,
 * aperture not 256/512/1024), -EEXIST if the register tables overlap,
 * -ENOMEM.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_ctx_create(const struct gvt_ctx_params *params,
					     struct gvt_ctx **out);

/**
 * gvt_ctx_destroy() - destroy a physical GPU instance.
 * @ctx: the context, or NULL (ignored).
 *
 * Every vGPU must have been destroyed first; any left are destroyed here
 * with a warning.
 */
GVT_EXPORT void gvt_ctx_destroy(struct gvt_ctx *ctx);

/**
 * gvt_ctx_set_log() - install or replace the log sink.
 * @ctx: the context.
 * @fn: the sink, or NULL to silence the library.
 * @opaque: passed to @fn.
 * @level: most verbose level delivered; 0 means GVT_LOG_INFO.
 *
 * Unlike the context's other operations this one does not lock: call it
 * only while no other thread uses the context or its vGPUs (the sink
 * given to gvt_ctx_create() needs no replacing in most programs).
 */
GVT_EXPORT void gvt_ctx_set_log(struct gvt_ctx *ctx, gvt_log_fn *fn,
				void *opaque, int level);

/**
 * gvt_ctx_set_debug() - choose which debug categories are logged.
 * @ctx: the context.
 * @mask: GVT_DBG_* bits; effective only at level GVT_LOG_DEBUG.
 *
 * The same rule as gvt_ctx_set_log(): not while other threads use @ctx.
 */
GVT_EXPORT void gvt_ctx_set_debug(struct gvt_ctx *ctx, uint32_t mask);

/** GVT_TYPE_NAME_MAX - room for a vGPU type name and its terminator. */
#define GVT_TYPE_NAME_MAX 16

/**
 * struct gvt_type_info - one vGPU type and how many more of it fit.
 * @name: "GVTg_V5_1", "GVTg_V5_2", "GVTg_V5_4" or "GVTg_V5_8" on Gen9.
 * @low_gm_size: bytes of aperture (CPU-mappable graphics memory).
 * @high_gm_size: bytes of hidden (non-mappable) graphics memory.
 * @fences: fence registers.
 * @weight: scheduling weight (16 for _1 down to 2 for _8).
 * @resolution_x: horizontal pixels of the virtual monitor's preferred mode.
 * @resolution_y: vertical pixels of the virtual monitor's preferred mode.
 * @avail_instances: how many more vGPUs of exactly this type would be
 *	admitted now (exact: it accounts for fragmentation of free memory).
 */
struct gvt_type_info {
	char name[GVT_TYPE_NAME_MAX];
	uint64_t low_gm_size;
	uint64_t high_gm_size;
	uint32_t fences;
	uint32_t weight;
	uint32_t resolution_x;
	uint32_t resolution_y;
	uint32_t avail_instances;
};

/**
 * gvt_ctx_num_types() - how many vGPU types the platform offers.
 * @ctx: the context.
 *
 * Return: the number of types; indices 0 .. n-1 are valid for
 * gvt_ctx_get_type(), ordered from the largest type to the smallest.
 */
GVT_EXPORT unsigned int gvt_ctx_num_types(const struct gvt_ctx *ctx);

/**
 * gvt_ctx_get_type() - describe one vGPU type.
 * @ctx: the context.
 * @index: 0 .. gvt_ctx_num_types() - 1.
 * @out: receives the description, including current availability.
 *
 * Return: 0, or -EINVAL if @index is out of range.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_ctx_get_type(struct gvt_ctx *ctx,
					       unsigned int index,
					       struct gvt_type_info *out);

/**
 * gvt_ctx_admit() - would a vGPU of this type be admitted now?
 * @ctx: the context.
 * @type_name: a type name from gvt_ctx_get_type().
 * @why: if not NULL, receives a one-line reason on refusal, naming the
 *	resource that ran out and by how much; empty on success.
 * @why_len: size of @why in bytes.
 *
 * Return: 0 if it fits, -ENOSPC if a resource is short, -EINVAL for an
 * unknown type.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_ctx_admit(struct gvt_ctx *ctx,
					    const char *type_name, char *why,
					    size_t why_len);

/**
 * gvt_vgpu_create() - create a vGPU of a type.
 * @ctx: the physical GPU.
 * @type_name: a type name from gvt_ctx_get_type().
 * @ops: the shim's hypervisor operations (kept by reference: must outlive
 *	the vGPU).
 * @hv: the shim's handle, passed first to every op.
 * @out: receives the vGPU.
 *
 * Allocates the type's aperture and hidden graphics-memory slices and fence
 * registers (first fit; see docs/allocation.md), builds config space and
 * registers from the GPU's power-on state, and fills the PVINFO page.
 *
 * Return: 0; -EINVAL for an unknown type or a bad @ops table (wrong
 * version, a required op missing); -ENOSPC if the GPU is out of a resource
 * (the log line names it); -ENOMEM.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_create(struct gvt_ctx *ctx,
					      const char *type_name,
					      const struct gvt_hv_ops *ops,
					      void *hv, struct gvt_vgpu **out);

/** GVT_FENCES_PER_VGPU_MAX - the most fence registers one vGPU owns. */
#define GVT_FENCES_PER_VGPU_MAX 4

/** GVT_PLACE_ANY - in struct gvt_vgpu_placement: let first fit choose. */
#define GVT_PLACE_ANY UINT64_MAX

/**
 * struct gvt_vgpu_placement - where a vGPU must go (see docs/allocation.md).
 * @id: vGPU id 1 .. 7, or 0 for the lowest free one.
 * @aperture_base: GM address of the aperture slice, or GVT_PLACE_ANY.
 * @hidden_base: GM address of the hidden slice, or GVT_PLACE_ANY.
 * @fence_count: 0 for the lowest free fences; otherwise the type's fence
 *	count, with the physical fences in @fence_index.
 * @fence_index: physical fence behind guest fence i.
 *
 * A guest sees host GM addresses (ballooning), so recreating a vGPU for the
 * same guest state, as a trace replay or a migration target does, needs
 * the same slices.
 */
struct gvt_vgpu_placement {
	uint32_t id;
	uint64_t aperture_base;
	uint64_t hidden_base;
	uint32_t fence_count;
	uint32_t fence_index[GVT_FENCES_PER_VGPU_MAX];
};

/**
 * gvt_vgpu_create_placed() - create a vGPU of a type at a given placement.
 * @ctx: the physical GPU.
 * @type_name: a type name from gvt_ctx_get_type().
 * @at: the placement; NULL behaves as gvt_vgpu_create().
 * @ops: the shim's hypervisor operations (as for gvt_vgpu_create()).
 * @hv: the shim's handle.
 * @out: receives the vGPU.
 *
 * Return: as gvt_vgpu_create(), and -EBUSY if the requested id, slices or
 * fences are taken, or -EINVAL if they do not fit the GPU (the log line
 * says which).
 */
GVT_EXPORT GVT_MUST_CHECK int
gvt_vgpu_create_placed(struct gvt_ctx *ctx, const char *type_name,
		       const struct gvt_vgpu_placement *at,
		       const struct gvt_hv_ops *ops, void *hv,
		       struct gvt_vgpu **out);

/**
 * gvt_vgpu_destroy() - destroy a vGPU and return its resources.
 * @vgpu: the vGPU, or NULL (ignored).
 *
 * Unmaps every guest page it mapped, points its GGTT range back at the
 * scratch page and clears its fences.
 */
GVT_EXPORT void gvt_vgpu_destroy(struct gvt_vgpu *vgpu);

/**
 * gvt_vgpu_reset() - device-level reset, as on a PCI function reset.
 * @vgpu: the vGPU.
 *
 * Registers return to power-on values, the GGTT range to the scratch page,
 * config space to its initial state; failsafe mode is cleared.
 *
 * Return: 0 or -errno.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_reset(struct gvt_vgpu *vgpu);

/**
 * gvt_vgpu_cfg_read() - read the vGPU's PCI configuration space.
 * @vgpu: the vGPU.
 * @offset: byte offset, below GVT_CFG_SPACE_SIZE.
 * @buf: receives @len bytes.
 * @len: 1, 2 or 4, not crossing the end of config space.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_cfg_read(struct gvt_vgpu *vgpu,
						uint32_t offset, void *buf,
						uint32_t len);

/**
 * gvt_vgpu_cfg_write() - write the vGPU's PCI configuration space.
 * @vgpu: the vGPU.
 * @offset: byte offset, below GVT_CFG_SPACE_SIZE.
 * @buf: @len bytes to write.
 * @len: 1, 2 or 4, not crossing the end of config space.
 *
 * Read-only bits keep their value; BARs follow the sizing protocol.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_cfg_write(struct gvt_vgpu *vgpu,
						 uint32_t offset,
						 const void *buf, uint32_t len);

/** GVT_CFG_SPACE_SIZE - bytes of PCI configuration space a vGPU has. */
#define GVT_CFG_SPACE_SIZE 256u

/**
 * gvt_vgpu_mmio_read() - read BAR0 (registers and GGTT).
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR0: registers below 2 MiB, GGTT entries from
 *	8 MiB (8 bytes each); the rest reads as zero.
 * @buf: receives @len bytes.
 * @len: 1, 2, 4 or 8, inside BAR0.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_mmio_read(struct gvt_vgpu *vgpu,
						 uint64_t offset, void *buf,
						 uint32_t len);

/**
 * gvt_vgpu_mmio_write() - write BAR0 (registers and GGTT).
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR0.
 * @buf: @len bytes to write.
 * @len: 1, 2, 4 or 8, inside BAR0.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_mmio_write(struct gvt_vgpu *vgpu,
						  uint64_t offset,
						  const void *buf,
						  uint32_t len);

/**
 * gvt_vgpu_aperture_read() - read BAR2 (the aperture).
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR2, which equals the graphics-memory address.
 *	Only the vGPU's own aperture slice is backed (through the GGTT);
 *	elsewhere reads return zero.
 * @buf: receives @len bytes.
 * @len: 1, 2, 4 or 8, inside BAR2.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_aperture_read(struct gvt_vgpu *vgpu,
						     uint64_t offset,
						     void *buf, uint32_t len);

/**
 * gvt_vgpu_aperture_write() - write BAR2 (the aperture).
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR2; writes outside the vGPU's slice are
 *	dropped.
 * @buf: @len bytes to write.
 * @len: 1, 2, 4 or 8, inside BAR2.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_aperture_write(struct gvt_vgpu *vgpu,
						      uint64_t offset,
						      const void *buf,
						      uint32_t len);

/**
 * gvt_vgpu_io_read() - read BAR4 (I/O): MMIO_INDEX at 0, MMIO_DATA at 4.
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR4.
 * @buf: receives @len bytes.
 * @len: 1, 2 or 4, inside BAR4.
 *
 * MMIO_DATA reads the BAR0 dword that MMIO_INDEX selects.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_io_read(struct gvt_vgpu *vgpu,
					       uint32_t offset, void *buf,
					       uint32_t len);

/**
 * gvt_vgpu_io_write() - write BAR4 (I/O): MMIO_INDEX at 0, MMIO_DATA at 4.
 * @vgpu: the vGPU.
 * @offset: byte offset into BAR4.
 * @buf: @len bytes to write.
 * @len: 1, 2 or 4, inside BAR4.
 *
 * Return: 0 or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_io_write(struct gvt_vgpu *vgpu,
						uint32_t offset,
						const void *buf, uint32_t len);

/**
 * gvt_vgpu_submit_ports() - the registers whose writes a shim may post, and
 * how many may wait.
 * @vgpu: the vGPU.
 * @offsets: receives the BAR0 offset of each engine's execlist submit port
 *	(ELSP), at most @max of them.
 * @max: room in @offsets.
 * @writes_to_submit: receives the fewest further submit-port writes that
 *	can complete a submission on some engine, 1 .. 4 (a submission is
 *	four writes to one engine's port).
 *
 * A write to a submit port needs no reply, and before the fourth of a
 * submission nothing the guest can observe changes. A transport that can
 * let writes land in a buffer without a VM exit (KVM's coalesced MMIO,
 * Xen's buffered ioreqs) may therefore let up to @writes_to_submit - 1
 * writes wait, delivering them in order before the next access it
 * handles; the write that submits still arrives at once. Ask again after
 * every access: a reset or a partial submission changes the count.
 *
 * Return: how many ports were stored, or -EINVAL.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_submit_ports(struct gvt_vgpu *vgpu,
						    uint32_t *offsets,
						    unsigned int max,
						    unsigned int *writes_to_submit);

/**
 * gvt_vgpu_page_write() - the guest wrote a page libgvt write-protects.
 * @vgpu: the vGPU.
 * @gpa: guest-physical address of the write.
 * @buf: the bytes the guest wrote.
 * @len: 1 .. 4096, not crossing a page boundary.
 *
 * A shim calls this for each guest write to a frame libgvt protected with
 * gvt_hv_ops.page_track_enable. The shim must NOT have performed the write:
 * libgvt performs it (through write_gpa) and then updates whatever it
 * shadows from that page. A write to a frame that is no longer tracked (a
 * race with page_track_disable) is performed and otherwise ignored.
 *
 * Return: 0, -EINVAL for a bad length or a page-crossing write, or the
 * -errno of write_gpa.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_page_write(struct gvt_vgpu *vgpu,
						  uint64_t gpa, const void *buf,
						  uint32_t len);

/**
 * gvt_vgpu_trace_start() - record the vGPU's accesses as a gvt-trace.
 * @vgpu: the vGPU.
 * @path: file to write (created or truncated, mode 0600; a symlink is
 *	refused).
 *
 * From now on every access forwarded to this vGPU is written to @path in
 * the format of docs/trace-format.md, with read values, MSIs and resets,
 * until gvt_vgpu_trace_stop() or destroy. The trace replays faithfully
 * with `gvtctl replay` when recording starts before the guest first
 * touches the vGPU.
 *
 * Return: 0, -EBUSY if already recording, or the -errno of creating @path.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_trace_start(struct gvt_vgpu *vgpu,
						   const char *path);

/**
 * gvt_vgpu_trace_stop() - stop recording and close the trace file.
 * @vgpu: the vGPU.
 *
 * Return: 0, -ENOENT if not recording, or -errno if the file could not be
 * completed.
 */
GVT_EXPORT int gvt_vgpu_trace_stop(struct gvt_vgpu *vgpu);

/**
 * gvt_vgpu_tracing() - is the vGPU being recorded?
 * @vgpu: the vGPU.
 *
 * Return: true while a trace is being written.
 */
GVT_EXPORT bool gvt_vgpu_tracing(const struct gvt_vgpu *vgpu);

/**
 * gvt_vgpu_raise_event() - raise a virtual interrupt event, as the GPU
 * would.
 * @vgpu: the vGPU.
 * @event: the event's name, for example "rcs-user-interrupt",
 *	"bcs-context-switch", "pipe-a-vblank" or "pch-port-d-hotplug" (the
 *	list is docs/trace-format.md's).
 *
 * The event latches into its bank's IIR unless masked there, and an MSI
 * follows if the interrupt output rises. For device models that emulate a
 * part of the GPU outside libgvt, and for test traces (the trace format's
 * event line).
 *
 * Return: 0, or -EINVAL for an unknown event.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_raise_event(struct gvt_vgpu *vgpu,
						   const char *event);

/**
 * gvt_vgpu_wait_idle() - wait until every workload the guest submitted has
 * completed.
 * @vgpu: the vGPU.
 * @timeout_ms: how long to wait.
 *
 * A workload counts until its guest has been told it finished: one that
 * gvt_vgpu_limit_completions() holds keeps it from being idle.
 *
 * Return: 0 if idle, -ETIMEDOUT if work is still pending after @timeout_ms,
 * -EINVAL for a NULL @vgpu.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_wait_idle(struct gvt_vgpu *vgpu,
						 unsigned int timeout_ms);

/** GVT_COMPLETIONS_UNLIMITED - gvt_vgpu_limit_completions(): no limit. */
#define GVT_COMPLETIONS_UNLIMITED UINT64_MAX

/**
 * gvt_vgpu_limit_completions() - tell the guest of finished workloads on
 * an engine only up to a count (for replaying recordings).
 * @vgpu: the vGPU.
 * @engine: 0 .. GVT_ENGINES_MAX - 1, in the order rcs, bcs, vcs, vecs.
 * @limit: how many of the engine's workloads, counted since the vGPU was
 *	created, the guest may have been told finished (completed, hung or
 *	cancelled: a CSB entry, an interrupt, the context written back);
 *	GVT_COMPLETIONS_UNLIMITED, where every engine starts, lifts it.
 *
 * A workload that finishes beyond the limit is held: finished on the
 * GPU, but the guest sees nothing of it until a higher limit lets it
 * through, in the order the engine finished them. `gvtctl replay` sets
 * the limit from a recording's done lines, so that a GPU faster than the
 * recorded one cannot complete a workload before a read that came first
 * in the recording. Device models leave it unlimited; unlimited, it costs
 * nothing.
 *
 * Held workloads are dropped, never delivered, by what drops any
 * finished workload the guest was not yet told of: a reset of their
 * engine (GDRST), gvt_vgpu_reset() and gvt_vgpu_destroy(), which never
 * wait for a limit. The limit itself survives resets. They count as
 * pending for gvt_vgpu_wait_idle(), which times out rather than raise a
 * limit. A limit below gvt_vgpu_completions_delivered() takes nothing
 * back: it holds every further workload.
 *
 * Like gvt_vgpu_get_engine_stats() it may run concurrently with the
 * thread that drives the vGPU.
 *
 * Return: 0, or -EINVAL for a bad @engine.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_limit_completions(struct gvt_vgpu *vgpu,
							 unsigned int engine,
							 uint64_t limit);

/**
 * gvt_vgpu_completions_delivered() - how many finished workloads on an
 * engine the guest has been told of.
 * @vgpu: the vGPU.
 * @engine: 0 .. GVT_ENGINES_MAX - 1, in the order rcs, bcs, vcs, vecs.
 * @delivered: receives the count since the vGPU was created: workloads
 *	that completed, hung or were cancelled with their engine, counted
 *	once their CSB entry and interrupt are in place. Held workloads
 *	(gvt_vgpu_limit_completions()) and workloads a reset dropped are not
 *	counted. It is the count a recording's done lines add up to.
 *
 * Like gvt_vgpu_get_engine_stats() it may run concurrently with the
 * thread that drives the vGPU.
 *
 * Return: 0, or -EINVAL for a bad @engine or a NULL @delivered.
 */
GVT_EXPORT GVT_MUST_CHECK int
gvt_vgpu_completions_delivered(struct gvt_vgpu *vgpu, unsigned int engine,
			       uint64_t *delivered);

/** GVT_BAR_MEM64 - a 64-bit memory BAR. */
#define GVT_BAR_MEM64 (1u << 0)
/** GVT_BAR_PREFETCH - a prefetchable memory BAR. */
#define GVT_BAR_PREFETCH (1u << 1)
/** GVT_BAR_IO - an I/O-space BAR. */
#define GVT_BAR_IO (1u << 2)

/**
 * struct gvt_bar_info - one BAR as the guest sees it.
 * @size: bytes; 0 if the BAR is not implemented.
 * @flags: GVT_BAR_*.
 */
struct gvt_bar_info {
	uint64_t size;
	uint32_t flags;
};

/** GVT_FAILSAFE_REASON_MAX - room for a failsafe reason. */
#define GVT_FAILSAFE_REASON_MAX 160

/**
 * struct gvt_vgpu_info - what a vGPU is and what state it is in.
 * @id: 1 .. 7, unique on its physical GPU.
 * @type_name: its type.
 * @vendor_id: PCI vendor ID the guest sees.
 * @device_id: PCI device ID the guest sees.
 * @cfg_size: bytes of PCI configuration space.
 * @bar: BAR0 .. BAR5 (BAR0 registers+GGTT, BAR2 aperture, BAR4 I/O).
 * @aperture_base: first graphics-memory address of its aperture slice.
 * @aperture_size: bytes in that slice.
 * @hidden_base: first graphics-memory address of its hidden slice.
 * @hidden_size: bytes in that slice.
 * @fence_count: fence registers it owns.
 * @fence_index: the physical fence register behind guest fence i.
 * @msi_enabled: the guest enabled MSI in config space.
 * @msi_addr: the MSI address the guest programmed.
 * @msi_data: the MSI data the guest programmed.
 * @pv_notified: the guest read the PVINFO page (it is GVT-aware).
 * @display_ready: the guest reported its display ready through PVINFO.
 * @failsafe: the vGPU stopped mediating because its guest broke a rule.
 * @failsafe_reason: why, when @failsafe; empty otherwise.
 * @weight: its scheduling weight (gvt_vgpu_set_weight()).
 */
struct gvt_vgpu_info {
	uint32_t id;
	char type_name[GVT_TYPE_NAME_MAX];
	uint16_t vendor_id;
	uint16_t device_id;
	uint32_t cfg_size;
	struct gvt_bar_info bar[6];
	uint64_t aperture_base;
	uint64_t aperture_size;
	uint64_t hidden_base;
	uint64_t hidden_size;
	uint32_t fence_count;
	uint32_t fence_index[GVT_FENCES_PER_VGPU_MAX];
	bool msi_enabled;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool pv_notified;
	bool display_ready;
	bool failsafe;
	char failsafe_reason[GVT_FAILSAFE_REASON_MAX];
	uint32_t weight;
};

/**
 * gvt_vgpu_get_info() - describe a vGPU.
 * @vgpu: the vGPU.
 * @out: receives the description.
 *
 * Return: 0.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_get_info(struct gvt_vgpu *vgpu,
						struct gvt_vgpu_info *out);

/**
 * struct gvt_vgpu_stats - counters since the vGPU was created.
 * @cfg_reads: config-space reads.
 * @cfg_writes: config-space writes.
 * @mmio_reads: register reads (BAR0 below 2 MiB, and via BAR4).
 * @mmio_writes: register writes.
 * @ggtt_reads: GGTT entry reads.
 * @ggtt_writes: GGTT entry writes that reached the vGPU's own range.
 * @ggtt_writes_dropped: GGTT entry writes outside its range (dropped).
 * @ggtt_map_failures: present entries whose frame could not be mapped
 *	(pointed at the scratch page instead).
 * @ppgtt_tables_shadowed: guest page tables (and split 2 MiB pages)
 *	given a shadow table.
 * @ppgtt_entry_updates: shadow entries re-made after a guest change, found
 *	by write protection or by re-validation.
 * @ppgtt_revalidations: submission-time comparisons of a PPGTT with its
 *	shadow (only without write protection).
 * @ppgtt_map_failures: PPGTT entries that map scratch instead of what the
 *	guest asked: an unmappable frame, a table outside guest memory, a
 *	1 GiB page, the shadow-table limit.
 * @aperture_reads: BAR2 reads.
 * @aperture_writes: BAR2 writes.
 * @aperture_dropped: BAR2 accesses outside the vGPU's slice.
 * @page_writes: writes reported through gvt_vgpu_page_write().
 * @msi_injected: MSIs delivered.
 * @msi_failed: MSIs the shim failed to deliver.
 * @intx_asserted: times the INTx line rose (MSI off, INTx enabled).
 * @intx_failed: INTx level changes the shim failed to deliver.
 * @guest_errors: guest rule breaks seen (each logged, rate-limited).
 * @resets: device-level and GPU-requested resets.
 * @cmd_scans: workloads the command scanner checked.
 * @cmd_refusals: workloads it refused.
 * @cmd_dwords: command dwords it decoded.
 * @shadow_ns: time spent making workloads runnable: reading the context,
 *	copying and scanning its ring and batches, mapping the copies.
 * @workloads_shadowed: workloads that time was spent on, refused ones
 *	included.
 */
struct gvt_vgpu_stats {
	uint64_t cfg_reads;
	uint64_t cfg_writes;
	uint64_t mmio_reads;
	uint64_t mmio_writes;
	uint64_t ggtt_reads;
	uint64_t ggtt_writes;
	uint64_t ggtt_writes_dropped;
	uint64_t ggtt_map_failures;
	uint64_t ppgtt_tables_shadowed;
	uint64_t ppgtt_entry_updates;
	uint64_t ppgtt_revalidations;
	uint64_t ppgtt_map_failures;
	uint64_t aperture_reads;
	uint64_t aperture_writes;
	uint64_t aperture_dropped;
	uint64_t page_writes;
	uint64_t msi_injected;
	uint64_t msi_failed;
	uint64_t intx_asserted;
	uint64_t intx_failed;
	uint64_t guest_errors;
	uint64_t resets;
	uint64_t cmd_scans;
	uint64_t cmd_refusals;
	uint64_t cmd_dwords;
	uint64_t shadow_ns;
	uint64_t workloads_shadowed;
};

/**
 * gvt_vgpu_get_stats() - read a vGPU's counters.
 * @vgpu: the vGPU.
 * @out: receives the counters.
 *
 * Return: 0.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_get_stats(struct gvt_vgpu *vgpu,
						 struct gvt_vgpu_stats *out);

/** GVT_ENGINES_MAX - engines a vGPU has at most (gen9 GT2: rcs bcs vcs vecs). */
#define GVT_ENGINES_MAX 4
/** GVT_LATENCY_BUCKETS - log2 buckets of struct gvt_engine_stats.latency_hist. */
#define GVT_LATENCY_BUCKETS 24

/**
 * struct gvt_engine_stats - one engine of one vGPU, since it was created.
 * @name: the engine ("rcs", "bcs", "vcs", "vecs").
 * @submitted: workloads the guest submitted (valid ELSP elements).
 * @completed: workloads that ran to their tail.
 * @refused: workloads refused before running (scanner, context checks).
 * @hung: workloads that hung or made no progress through their ring for
 *	the timeout: the engine was reset and the guest saw a hang.
 * @preempted: times a workload was stopped to let another vGPU run, then
 *	resumed.
 * @queued: workloads waiting or running now.
 * @busy_ns: engine time the vGPU's workloads used.
 * @switches_in: times the engine was switched to this vGPU.
 * @wait_max_ns: longest time the vGPU had work but not the engine.
 * @latency_sum_ns: submission to completion, summed over @completed.
 * @latency_max_ns: the longest.
 * @latency_hist: completed workloads by latency: bucket i counts those
 *	taking [2^i, 2^(i+1)) microseconds (bucket 0 also counts < 1 us).
 */
struct gvt_engine_stats {
	char name[8];
	uint64_t submitted;
	uint64_t completed;
	uint64_t refused;
	uint64_t hung;
	uint64_t preempted;
	uint64_t queued;
	uint64_t busy_ns;
	uint64_t switches_in;
	uint64_t wait_max_ns;
	uint64_t latency_sum_ns;
	uint64_t latency_max_ns;
	uint64_t latency_hist[GVT_LATENCY_BUCKETS];
};

/**
 * gvt_vgpu_get_engine_stats() - read one engine's scheduling counters.
 * @vgpu: the vGPU.
 * @engine: 0 .. GVT_ENGINES_MAX - 1, in the order rcs, bcs, vcs, vecs.
 * @out: receives the counters.
 *
 * Unlike the vGPU's other calls this one may run concurrently with the
 * thread that drives the vGPU: the counters belong to the GPU thread and
 * are copied under its lock, so a monitor may sample them at any time.
 *
 * Return: 0, or -EINVAL for a bad @engine or a NULL @out.
 */
GVT_EXPORT GVT_MUST_CHECK int
gvt_vgpu_get_engine_stats(struct gvt_vgpu *vgpu, unsigned int engine,
			  struct gvt_engine_stats *out);

/**
 * gvt_vgpu_set_weight() - change a vGPU's share of contended engines.
 * @vgpu: the vGPU.
 * @weight: 1 .. 1000; its type's weight (GVTg_V5_8: 2 ... GVTg_V5_1: 16)
 *	is where it starts. Under contention each vGPU gets engine time in
 *	proportion to its weight.
 *
 * Return: 0, or -EINVAL for a weight out of range.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_set_weight(struct gvt_vgpu *vgpu,
						  unsigned int weight);

/**
 * struct gvt_cmd_verdict - what the command scanner made of a stream.
 * @refused: 0 accepted, 1 refused.
 * @ppgtt: @gma is a PPGTT address (else GGTT).
 * @level: buffer holding the command: 0 ring, 1 batch, 2 second-level batch.
 * @gma: graphics address of the command refused.
 * @header: its first dword.
 * @command: its name as genxml and the PRM spell it, or "UNKNOWN".
 * @rule: the rule it breaks; docs/cmd-scanner.md lists them.
 * @detail: one sentence saying how.
 * @commands: commands decoded.
 * @unfollowed: batch starts whose memory was not at hand (checked as far
 *	as they can be without it).
 */
struct gvt_cmd_verdict {
	int refused;
	int ppgtt;
	unsigned int level;
	uint64_t gma;
	uint32_t header;
	char command[48];
	char rule[24];
	char detail[200];
	uint64_t commands;
	unsigned int unfollowed;
};

/**
 * struct gvt_cmd_info - one decoded command.
 * @gma: its graphics address.
 * @length: its length in dwords.
 * @level: 0 ring, 1 batch, 2 second-level batch.
 * @name: its name as genxml and the PRM spell it.
 */
struct gvt_cmd_info {
	uint64_t gma;
	uint32_t length;
	unsigned int level;
	const char *name;
};

/** typedef gvt_cmd_visit_fn - called for each command, in execution order. */
typedef void gvt_cmd_visit_fn(void *opaque, const struct gvt_cmd_info *cmd);

/** GVT_CMD_RING - the buffer is a ring's contents (starts return to it). */
#define GVT_CMD_RING (1u << 0)
/** GVT_CMD_PPGTT - the buffer is a batch in the vGPU's PPGTT. */
#define GVT_CMD_PPGTT (1u << 1)

/**
 * gvt_cmd_decode() - decode a little-endian command stream.
 * @platform: the GPU whose commands these are.
 * @engine: "rcs", "bcs", "vcs" or "vecs".
 * @buf: the stream; it lies at graphics address @base.
 * @len: bytes in @buf, a multiple of 4.
 * @base: graphics address of @buf.
 * @flags: GVT_CMD_RING, GVT_CMD_PPGTT.
 * @visit: called per command (may be NULL).
 * @opaque: passed to @visit.
 * @verdict: receives the outcome: refused when a command cannot be decoded
 *	(unknown opcode, invalid or overlong length, a start that loops).
 *
 * Batch starts are followed when their target lies inside @buf. Nothing
 * is audited: forbidden commands decode like any other.
 *
 * Return: 0 (see @verdict), or -EINVAL for a bad argument, -ENOMEM.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_cmd_decode(enum gvt_platform platform,
					     const char *engine,
					     const void *buf, size_t len,
					     uint64_t base, unsigned int flags,
					     gvt_cmd_visit_fn *visit,
					     void *opaque,
					     struct gvt_cmd_verdict *verdict);

/**
 * gvt_vgpu_cmd_audit() - decode and audit a stream as @vgpu would submit it.
 * @vgpu: the vGPU whose graphics memory and rules apply.
 * @engine: "rcs", "bcs", "vcs" or "vecs".
 * @buf: the stream; a ring or batch at graphics address @base.
 * @len: bytes in @buf, a multiple of 4.
 * @base: graphics address of @buf (GGTT, or PPGTT with GVT_CMD_PPGTT).
 * @flags: GVT_CMD_RING, GVT_CMD_PPGTT.
 * @visit: called per command (may be NULL).
 * @opaque: passed to @visit.
 * @verdict: receives the outcome.
 *
 * The same rules as a submitted workload, but on memory the caller holds:
 * batches outside @buf are checked as far as they can be without it.
 * Nothing is logged and the vGPU's counters do not change.
 *
 * Return: 0 (see @verdict), or -EINVAL for a bad argument, -ENOMEM.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_vgpu_cmd_audit(struct gvt_vgpu *vgpu,
						 const char *engine,
						 const void *buf, size_t len,
						 uint64_t base,
						 unsigned int flags,
						 gvt_cmd_visit_fn *visit,
						 void *opaque,
						 struct gvt_cmd_verdict *verdict);

/** struct gvt_ctl - a control server for gvtctl (opaque). */
struct gvt_ctl;

/**
 * struct gvt_ctl_ops - what the embedding program lets gvtctl do beyond
 * inspecting. Both are optional; without them those requests are refused.
 * @vgpu_create: create a vGPU of @type the way the program creates its
 *	vGPUs (with its own hypervisor ops) and store it in *@out.
 *	Return: 0 or -errno.
 * @vgpu_destroy: destroy @vgpu and drop the program's references to it.
 *	Return: 0 or -errno.
 */
struct gvt_ctl_ops {
	int (*vgpu_create)(void *opaque, const char *type,
			   struct gvt_vgpu **out);
	int (*vgpu_destroy)(void *opaque, struct gvt_vgpu *vgpu);
};

/**
 * struct gvt_ctl_params - options of gvt_ctl_serve(); all may be zero.
 * @mode: permissions of the socket file; 0 means 0600.
 * @ops: create/destroy on request, or NULL.
 * @opaque: passed to @ops.
 */
struct gvt_ctl_params {
	uint32_t mode;
	const struct gvt_ctl_ops *ops;
	void *opaque;
};

/**
 * gvt_ctl_serve() - serve the control protocol on a UNIX socket.
 * @ctx: the physical GPU whose vGPUs gvtctl may inspect and manage.
 * @path: the socket to create, or NULL for gvt_ctl_default_path(). Its
 *	directory is created (mode 0700) if missing; a stale socket left by a
 *	dead process is replaced, a live one is not.
 * @params: options, or NULL for the defaults.
 * @out: receives the server.
 *
 * The server does nothing on its own: the program polls gvt_ctl_fd() and
 * calls gvt_ctl_dispatch(), from the thread that drives the context's
 * vGPUs or from another one: a request about a vGPU holds the vGPU's lock,
 * as its register handlers do, so it sees consistent state (its counters
 * may be a moment old). @ops run on the dispatching thread; serialising
 * them with the program's own use of its vGPUs is the program's business.
 * The protocol is docs/control-protocol.md.
 *
 * Return: 0, -EADDRINUSE if another process serves @path, -ENAMETOOLONG,
 * or the -errno of creating the socket.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_ctl_serve(struct gvt_ctx *ctx,
					    const char *path,
					    const struct gvt_ctl_params *params,
					    struct gvt_ctl **out);

/**
 * gvt_ctl_fd() - the descriptor to poll for readability.
 * @ctl: the server.
 *
 * Return: a file descriptor that becomes readable when gvt_ctl_dispatch()
 * has work.
 */
GVT_EXPORT int gvt_ctl_fd(const struct gvt_ctl *ctl);

/**
 * gvt_ctl_dispatch() - serve what is pending, without blocking.
 * @ctl: the server.
 *
 * Accepts clients, answers complete requests and writes what the socket
 * takes. A client that sends garbage gets an error reply; one that goes
 * away mid-request is forgotten.
 *
 * Return: the number of requests answered, or -errno if the server itself
 * failed.
 */
GVT_EXPORT int gvt_ctl_dispatch(struct gvt_ctl *ctl);

/**
 * gvt_ctl_close() - stop serving: close every client and remove the socket.
 * @ctl: the server, or NULL.
 */
GVT_EXPORT void gvt_ctl_close(struct gvt_ctl *ctl);

/**
 * gvt_ctl_default_path() - where servers listen and gvtctl connects by
 * default: $XDG_RUNTIME_DIR/gvt/gvt.sock, or /run/gvt/gvt.sock.
 * @buf: receives the path.
 * @len: size of @buf.
 *
 * Return: 0, or -ENAMETOOLONG.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_ctl_default_path(char *buf, size_t len);

/**
 * struct gvt_host_gpu - an Intel display device found on the host's PCI bus.
 * @domain: PCI domain.
 * @bus: PCI bus.
 * @dev: PCI device.
 * @func: PCI function.
 * @device_id: PCI device ID (the vendor is always 0x8086).
 * @revision: PCI revision ID.
 * @platform: the libgvt platform that describes it, or 0 if none does.
 * @aperture_size: bytes of BAR2 (the aperture), 0 if unknown.
 */
struct gvt_host_gpu {
	uint16_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t func;
	uint16_t device_id;
	uint8_t revision;
	enum gvt_platform platform;
	uint64_t aperture_size;
};

/**
 * gvt_host_gpu_scan() - list Intel display devices on the host's PCI bus.
 * @out: receives up to @max entries.
 * @max: room in @out.
 * @count: receives how many devices exist (may exceed @max).
 *
 * Tells an operator whether a real GPU backend could be used; the sim
 * backend needs none.
 *
 * Return: 0, -EOPNOTSUPP if libgvt was built without libpci
 * (GVT_WITH_LIBPCI=OFF), -EIO if the PCI bus cannot be read.
 */
GVT_EXPORT GVT_MUST_CHECK int gvt_host_gpu_scan(struct gvt_host_gpu *out,
						size_t max, size_t *count);

/**
 * gvt_version() - the library's version.
 *
 * Return: a static string such as "0.1.0".
 */
GVT_EXPORT const char *gvt_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GVT_GVT_H */
