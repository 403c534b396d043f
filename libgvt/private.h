// SPDX-License-Identifier: MIT
/*
 * The real shape of the opaque objects in gvt.h, shared by the subsystems of
 * libgvt. Nothing here is visible to device models.
 */
#ifndef GVT_PRIVATE_H
#define GVT_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gvt/gvt.h>

#include "dma_cache.h"
#include "gvt_limits.h"
#include "execlist.h"
#include "log.h"
#include "page_track.h"
#include "pgpu.h"
#include "ppgtt.h"
#include "platform.h"
#include "regs.h"
#include "sched_policy.h"
#include "scheduler.h"
#include "shadow_gm.h"

struct gvt_cmd_shadow;
struct gvt_workload;

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1ull << 20)

/* BAR0: registers, a hole, then the GGTT's entries. */
#define GVT_BAR0_SIZE		(16u << 20)
#define GVT_GGTT_MMIO_OFFSET	(8u << 20)
#define GVT_GGTT_ENTRY_SIZE	8u
#define GVT_BAR4_SIZE		64u


/* One allocated extent of a graphics-memory region. */
struct gvt_gm_extent {
	uint64_t start;		/* bytes, GM address */
	uint64_t size;		/* bytes */
};

/* A region of graphics memory (low = aperture, high = hidden), with its
 * extents kept sorted by start: the host's first, then vGPUs'. */
struct gvt_gm_region {
	const char *name;	/* "aperture", "hidden" */
	uint64_t base;		/* first GM address */
	uint64_t size;		/* bytes */
	struct gvt_gm_extent used[GVT_MAX_VGPUS + 1];
	unsigned int num_used;
};

struct gvt_ctx {
	const struct gvt_platform_desc *platform;
	struct gvt_log log;

	const struct gvt_pgpu_ops *pgpu_ops;
	void *pgpu;			/* the backend's handle */
	const uint32_t *golden;		/* pgpu power-on registers, GVT_MMIO_SIZE bytes */
	uint64_t scratch_addr;		/* pgpu bus address of the scratch page */

	struct gvt_mmio_table mmio;	/* read-only after create */
	uint64_t *cmd_reg_ok;		/* registers commands may touch: bit per dword */
	uint64_t aperture_size;		/* bytes; also BAR2's size */

	pthread_mutex_t lock;		/* guards everything below */
	struct gvt_gm_region low_gm;
	struct gvt_gm_region high_gm;
	uint32_t fence_used;		/* bit i: physical fence i is taken */
	struct gvt_vgpu *vgpus[GVT_MAX_VGPUS + 1];	/* by id; [0] unused */
	unsigned int num_vgpus;

	struct gvt_shadow_gm shadow_gm;	/* host GM for shadows (own lock) */
	struct gvt_scheduler sched;	/* the GPU thread (own lock) */
};

/* Virtual PCI configuration space with per-byte write rules. */
struct gvt_cfg_space {
	uint8_t data[GVT_CFG_SPACE_SIZE];	/* what the guest reads */
	uint8_t wmask[GVT_CFG_SPACE_SIZE];	/* bits the guest may write */
	uint8_t w1cmask[GVT_CFG_SPACE_SIZE];	/* bits a 1 clears */
};

/* The guest's view of its GGTT range: its own entries, and what each is
 * mapped to. Indexed by entry - first entry of the slice. */
struct gvt_ggtt_slice {
	uint32_t first;		/* first GGTT index of the slice */
	uint32_t count;		/* entries */
	uint64_t *guest_pte;	/* what the guest wrote */
	uint64_t *mapped_gfn;	/* frame mapped for the entry, plus 1; 0: none */
	uint64_t *touched;	/* bit b: entries [64b, 64b + 64) were written */
};

struct gvt_ggtt_state {
	struct gvt_ggtt_slice low;	/* aperture slice */
	struct gvt_ggtt_slice high;	/* hidden slice */
	int64_t held_index;		/* an entry with one half written; -1: none */
	unsigned int held_halves;	/* which: bit 0 low, bit 1 high */
	uint64_t mapped;		/* entries with a live dma mapping */
};

struct gvt_irq_state {
	bool line;		/* MSI output asserted (an MSI is sent on 0->1) */
	bool intx;		/* INTA# asserted (the shim is told each change) */
};

/* A vGPU's context image for one engine, in host GM (workload.c). */
struct gvt_shadow_ctx {
	uint8_t *image;		/* pages, host memory */
	uint64_t gm;		/* where the GGTT maps them */
	uint32_t pages;
};

/* Per-engine state of a vGPU. */
struct gvt_engine_state {
	/* Submission registers and the execlist: vGPU lock. */
	uint32_t elsp_dwords[4];	/* ELSP writes, in the order written */
	unsigned int elsp_count;	/* 0..3 dwords latched */
	uint64_t elsp_desc[2];		/* last complete submission: element 0, 1 */
	uint64_t elsp_submissions;	/* complete 4-dword ELSP writes */
	struct gvt_execlist el;
	struct gvt_cmd_shadow *spare[4];	/* arenas to reuse: rings' and
						 * workaround batches' */
	unsigned int num_spare;

	/* Scheduling: the scheduler's lock. */
	struct gvt_vgpu *vgpu;		/* back pointer for the run queue */
	struct gvt_workload *queue;	/* head: running or next to run */
	struct gvt_workload *queue_tail;
	uint32_t queued;
	struct gvt_sched_client client;
	struct gvt_engine_stats stats;
	uint64_t delivered;		/* workloads whose guest was told they
					 * finished (completed, hung, cancelled) */
	uint64_t deliver_limit;		/* deliver no more than this many in
					 * all; UINT64_MAX: no limit (replay
					 * sets one, scheduler.c) */

	/* The GPU thread's. */
	struct gvt_shadow_ctx shadow_ctx;
};

struct gvt_pvinfo_state {
	bool pv_notified;	/* guest read PVINFO: it is GVT-aware */
	bool display_ready;
	uint64_t ctx_notifications;	/* execlist context create/destroy */
};

struct gvt_vgpu {
	/* The MMIO hot path's fields, together in the first cache lines. */
	uint32_t *vreg;				/* GVT_MMIO_SIZE bytes of registers */
	const struct gvt_mmio_attr *attr;	/* ctx->mmio.attr */
	const struct gvt_mmio_info *mmio_info;	/* ctx->mmio.info */
	struct gvt_trace_rec *trace;		/* NULL: not recording */
	bool failsafe;
	struct gvt_vgpu_stats stats;

	struct gvt_ctx *ctx;
	pthread_mutex_t lock;			/* emulated state vs the GPU thread */
	unsigned int gpu_busy;			/* workloads on an engine (atomic) */
	struct gvt_workload *done_head;		/* finished, not delivered: */
	struct gvt_workload *done_tail;		/*   the scheduler's lock */
	uint32_t done_count;
	bool deliveries_limited;		/* an engine has a deliver_limit
						 * (scheduler's lock) */
	const struct gvt_type_desc *type;
	unsigned int id;			/* 1..GVT_MAX_VGPUS */
	const struct gvt_hv_ops *hv_ops;
	void *hv;				/* shim's handle */

	struct gvt_cfg_space cfg;
	struct gvt_gm_extent low_gm;		/* aperture slice */
	struct gvt_gm_extent high_gm;		/* hidden slice */
	uint32_t fence_count;
	uint32_t fence_index[GVT_FENCES_PER_VGPU_MAX];	/* physical fences */

	struct gvt_ggtt_state ggtt;
	struct gvt_dma_cache dma;		/* guest frames mapped for the GPU */
	struct gvt_ppgtt_state ppgtt;
	struct gvt_irq_state irq;
	struct gvt_engine_state engine[GVT_NUM_ENGINES];
	struct gvt_pvinfo_state pv;
	struct gvt_u64map page_track;		/* write-protected gfns (page_track.h) */
	uint32_t io_index;			/* BAR4 MMIO_INDEX */

	char failsafe_reason[GVT_FAILSAFE_REASON_MAX];	/* why, when failsafe */
	unsigned int guest_errs_logged;		/* since reset; see gvt_vgpu_guest_err() */
};

static inline uint32_t *vgpu_vreg32(struct gvt_vgpu *vgpu, uint32_t offset)
{
	return &vgpu->vreg[offset >> 2];
}

/* CLOCK_MONOTONIC in nanoseconds: the GPU thread's and the workloads'
 * clock. */
static inline uint64_t gvt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Misuse of the API by the caller: one log line, -EINVAL. */
__attribute__((format(printf, 2, 3)))
int gvt_vgpu_misuse(const struct gvt_vgpu *vgpu, const char *fmt, ...);

/* Stop mediating: the guest broke a rule we cannot emulate around. */
__attribute__((format(printf, 2, 3)))
void gvt_vgpu_enter_failsafe(struct gvt_vgpu *vgpu, const char *fmt, ...);

/* mem.c: large arrays on the MMIO hot path; release with free() */
void *gvt_alloc_hot(size_t size);

/* gvt.c */
const struct gvt_type_desc *gvt_type_find(const struct gvt_ctx *ctx,
					  const char *name);

/* aperture_gm.c */
void gvt_gm_init(struct gvt_ctx *ctx);
int gvt_gm_admit_locked(struct gvt_ctx *ctx, const struct gvt_type_desc *type,
			char *why, size_t why_len);
int gvt_gm_alloc_locked(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu,
			const struct gvt_vgpu_placement *at, char *why,
			size_t why_len);
void gvt_gm_free_locked(struct gvt_ctx *ctx, struct gvt_vgpu *vgpu);
uint32_t gvt_gm_avail_instances_locked(const struct gvt_ctx *ctx,
				       const struct gvt_type_desc *type);
bool gvt_gm_in_vgpu(const struct gvt_vgpu *vgpu, uint64_t gm, uint64_t len);
bool gvt_gm_in_aperture_slice(const struct gvt_vgpu *vgpu, uint64_t gm,
			      uint64_t len);

/* cfg_space.c */
void gvt_cfg_init(struct gvt_vgpu *vgpu);
void gvt_cfg_msi_message(const struct gvt_vgpu *vgpu, uint64_t *addr,
			 uint32_t *data);

/* mmio.c (and mmio.h) */
uint32_t gvt_mmio_read_dword(struct gvt_vgpu *vgpu, uint32_t offset);
void gvt_mmio_write_dword(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value);
void gvt_mmio_reset(struct gvt_vgpu *vgpu, uint32_t end);

/* gtt.c */
int gvt_ggtt_init(struct gvt_vgpu *vgpu);
void gvt_ggtt_fini(struct gvt_vgpu *vgpu);
void gvt_ggtt_reset(struct gvt_vgpu *vgpu);
void gvt_ggtt_read(struct gvt_vgpu *vgpu, uint32_t offset, void *buf,
		   uint32_t len);
void gvt_ggtt_write(struct gvt_vgpu *vgpu, uint32_t offset, const void *buf,
		    uint32_t len);
void gvt_ggtt_flush(struct gvt_vgpu *vgpu);
/* The guest frame behind a graphics address: 0, or -EFAULT when the address
 * is not the vGPU's or not mapped. */
int gvt_ggtt_gma_to_gpa(struct gvt_vgpu *vgpu, uint64_t gma, uint64_t *gpa);
int gvt_ppgtt_gma_to_gpa(struct gvt_vgpu *vgpu,
			 const struct gvt_ppgtt_root *root, uint64_t gma,
			 uint64_t *gpa);

/* pvinfo.c */
void gvt_pvinfo_populate(struct gvt_vgpu *vgpu);
void gvt_pvinfo_reset(struct gvt_vgpu *vgpu);

/*
 * While recording, an access holds the vGPU's (recursive) lock from its
 * first trace line to its last. The GPU thread only tries that lock, so no
 * completion is delivered in between: each done line falls exactly where
 * the guest saw its completion, as replay, which holds completions until
 * their done line, needs. Returns whether it locked, for
 * gvt_trace_unlock().
 */
static inline bool gvt_trace_lock(struct gvt_vgpu *vgpu)
{
	if (likely(!vgpu->trace))
		return false;
	pthread_mutex_lock(&vgpu->lock);
	return true;
}

static inline void gvt_trace_unlock(struct gvt_vgpu *vgpu, bool locked)
{
	if (locked)
		pthread_mutex_unlock(&vgpu->lock);
}

/* trace.c: recording, called only while vgpu->trace is set */
void gvt_trace_io(struct gvt_vgpu *vgpu, const char *op, uint64_t offset,
		  uint32_t size, const void *data);
void gvt_trace_memory_write(struct gvt_vgpu *vgpu, uint64_t gpa,
			    const void *data, uint32_t len);
void gvt_trace_msi(struct gvt_vgpu *vgpu);
/* The guest was told a workload on @engine finished (GPU thread). */
void gvt_trace_finished(struct gvt_vgpu *vgpu, unsigned int engine);
void gvt_trace_intx(struct gvt_vgpu *vgpu, bool asserted);
void gvt_trace_begin_read(struct gvt_vgpu *vgpu);
void gvt_trace_note_memory(struct gvt_vgpu *vgpu, uint64_t end);
void gvt_trace_event(struct gvt_vgpu *vgpu, const char *name);
void gvt_trace_reset(struct gvt_vgpu *vgpu);
void gvt_trace_fini(struct gvt_vgpu *vgpu);
/* A register write's line goes out at its end, after the guest memory its
 * handler read (gvt_trace_reader is the vGPU meanwhile). */
void gvt_trace_write_begin(struct gvt_vgpu *vgpu, uint64_t offset);
void gvt_trace_write_end(struct gvt_vgpu *vgpu, const char *op,
			 uint64_t offset, uint32_t size, const void *data);
extern _Thread_local struct gvt_vgpu *gvt_trace_reader;
void gvt_trace_guest_read(struct gvt_vgpu *vgpu, uint64_t gpa, size_t len);
void gvt_trace_frames_mapped(struct gvt_vgpu *vgpu, uint64_t gfn,
			     uint64_t size);

/* handlers.c */
void gvt_engines_reset(struct gvt_vgpu *vgpu, uint32_t engine_mask);
void gvt_fences_reset(struct gvt_vgpu *vgpu);

#endif /* GVT_PRIVATE_H */
