// SPDX-License-Identifier: MIT
/*
 * guestdrv: an in-process guest GPU driver for a vGPU. It does what i915
 * does in a VM on GVT-g, through the public entry points of gvt.h only:
 * enables the PCI function and MSI, reads PVINFO, maps its pages in its
 * ballooned GGTT range, enables execlists, builds a 4-level PPGTT and
 * announces it, builds a logical ring context per engine, submits work
 * through the ELSP and retires it from the context-status buffer on MSI.
 *
 * Its workloads check themselves: seqno streams on the render engine
 * (every seqno must land exactly once, in order) and fills and copies on
 * the blitter into linear and X-tiled surfaces, compared with what the CPU
 * computes.
 *
 * One struct guestdrv belongs to one thread (the guest's vCPU); only the
 * MSI hook runs elsewhere. guestdrv_get_stats() may be called from any
 * thread.
 */
#ifndef GVT_GUESTDRV_H
#define GVT_GUESTDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock_hv.h"

struct gvt_vgpu;
struct guestdrv;

/* The engines guestdrv drives, in gvt_vgpu_get_engine_stats() order. */
enum guestdrv_engine {
	GUESTDRV_RCS = 0,
	GUESTDRV_BCS = 1,
	GUESTDRV_NUM_ENGINES
};

/* The blitter's surfaces: 32-bit pixels, GUESTDRV_SURF_W x GUESTDRV_SURF_H
 * unless struct guestdrv_params asks for more. */
enum guestdrv_surface {
	GUESTDRV_SURF_LINEAR_A,
	GUESTDRV_SURF_LINEAR_B,
	GUESTDRV_SURF_XTILED_A,
	GUESTDRV_SURF_XTILED_B,
	GUESTDRV_NUM_SURFACES
};
#define GUESTDRV_SURF_W 256u
#define GUESTDRV_SURF_H 64u
#define GUESTDRV_SURF_MAX 4096u	/* pixels, either side */
#define GUESTDRV_MAX_BANDS 64u	/* bands per blit, at most */
#define GUESTDRV_MAX_PASSES 8u	/* draws of each band, at most */

/**
 * struct guestdrv_params - how to open; all may be zero.
 * @ring_pages: ring size per engine in pages, 1 .. 32; 0 means 4.
 * @batch: workloads gathered into one ELSP submission at most (as i915
 *	coalesces requests of one context); 0 means 8.
 * @surf_w: surface width in pixels, a multiple of 128 (an X tile) up to
 *	GUESTDRV_SURF_MAX; 0 means GUESTDRV_SURF_W.
 * @surf_h: surface height in rows, a multiple of 8 up to
 *	GUESTDRV_SURF_MAX; 0 means GUESTDRV_SURF_H. The four surfaces and
 *	the batches must fit in guest RAM less 16 MiB.
 * @ahead: submit ahead, as i915 does: while the engine runs the context,
 *	write the ELSP again with a later tail (a lite restore), so the
 *	engine never waits for the guest. Workloads then retire when their
 *	breadcrumb lands, one ELSP submission (at most @batch workloads) at a
 *	time, each with its own interrupt. A surface has at most one blit
 *	writing it that is not yet checked: a second one gets -EBUSY (the
 *	check reads the surface while the engine runs later blits).
 * @band: rows per blit command. A taller blit is one workload of several
 *	commands with an arbitration point (MI_ARB_CHECK) between them, as
 *	drivers split large copies and clears, so that the engine can be
 *	preempted inside it. 0 means one command per blit; otherwise at least
 *	@surf_h / GUESTDRV_MAX_BANDS.
 * @passes: times each band is drawn, 1 .. GUESTDRV_MAX_PASSES (0 means 1),
 *	an arbitration point between each two. Drawing a band again leaves
 *	the same pixels (a copy's source is never its destination), so the
 *	check is unchanged while the engine works @passes times as long: a
 *	guest's CPU checks a surface about as fast as the sim copies it, and
 *	a demo that wants the engine, not the guests, to be the bottleneck
 *	needs the engine's share of the work larger.
 */
struct guestdrv_params {
	unsigned int ring_pages;
	unsigned int batch;
	unsigned int surf_w;
	unsigned int surf_h;
	bool ahead;
	unsigned int band;
	unsigned int passes;
};

/* Latency histogram buckets: bucket i counts [2^i, 2^(i+1)) us. */
#define GUESTDRV_LAT_BUCKETS 24

/**
 * struct guestdrv_stats - one engine, as the guest saw it.
 * @submitted: workloads written to the ring.
 * @completed: workloads retired and verified.
 * @failed: workloads whose result was wrong, or that never completed.
 * @elsp_writes: ELSP submissions (each covers one or more workloads).
 * @csb_events: context-status events read.
 * @msis: MSIs received (whole vGPU; the same in each engine's stats).
 * @lat_sum_ns: submission to retirement, summed over @completed.
 * @lat_max_ns: the longest.
 * @lat_hist: completed workloads by latency.
 */
struct guestdrv_stats {
	uint64_t submitted;
	uint64_t completed;
	uint64_t failed;
	uint64_t elsp_writes;
	uint64_t csb_events;
	uint64_t msis;
	uint64_t lat_sum_ns;
	uint64_t lat_max_ns;
	uint64_t lat_hist[GUESTDRV_LAT_BUCKETS];
};

/*
 * Open the device: everything i915 does between probe and the first
 * request. @hv is the vGPU's guest memory (at least 32 MiB; guestdrv uses
 * 1 .. 32 MiB of it) and its MSI hook becomes guestdrv's.
 * Return: 0, or -errno with guestdrv_error() unavailable: the reason is
 * written to @err (if not NULL, @err_len bytes).
 */
int guestdrv_open(struct gvt_vgpu *vgpu, struct mock_hv *hv,
		  const struct guestdrv_params *params, struct guestdrv **out,
		  char *err, size_t err_len);
/* Stop the engines' interrupts and free the driver (NULL: ignored). */
void guestdrv_close(struct guestdrv *gd);

/*
 * Queue one workload. Each returns 0, -EAGAIN if the ring is full (wait,
 * then retry), -EBUSY (blits, with @ahead only) if the destination has a
 * blit not yet checked, -EINVAL for bad arguments, or -EIO once the
 * driver failed.
 */
/* RCS: a batch stores the next seqno into the guest's seqno page. */
int guestdrv_submit_seqno(struct guestdrv *gd);
/* BCS: XY_COLOR_BLT of @color into [@x, @x + @w) x [@y, @y + @h). */
int guestdrv_submit_fill(struct guestdrv *gd, enum guestdrv_surface dst,
			 uint32_t x, uint32_t y, uint32_t w, uint32_t h,
			 uint32_t color);
/* BCS: XY_SRC_COPY_BLT of a @w x @h rectangle; @src and @dst differ. */
int guestdrv_submit_copy(struct guestdrv *gd, enum guestdrv_surface src,
			 uint32_t sx, uint32_t sy, enum guestdrv_surface dst,
			 uint32_t dx, uint32_t dy, uint32_t w, uint32_t h);

/*
 * Submit what is queued, handle interrupts and retire what completed,
 * without blocking. Return: workloads retired (verified or failed), or
 * -EIO once the driver failed (guestdrv_error() says why).
 */
int guestdrv_poll(struct guestdrv *gd);
/*
 * As guestdrv_poll(), but first wait up to @timeout_ms for an MSI when
 * work is in flight. Return: workloads retired, 0 if none in time, -EIO.
 */
int guestdrv_wait(struct guestdrv *gd, unsigned int timeout_ms);
/*
 * Wait until nothing is queued or in flight. Return: 0, -ETIMEDOUT
 * (the outstanding workloads are counted failed and the driver fails),
 * or -EIO.
 */
int guestdrv_idle(struct guestdrv *gd, unsigned int timeout_ms);

/* With @ahead: whether a blit into @s is queued or in flight, so that
 * another one would get -EBUSY. Without: false. */
bool guestdrv_surface_busy(const struct guestdrv *gd, enum guestdrv_surface s);

/* Workloads queued or in flight on @engine. */
unsigned int guestdrv_pending(const struct guestdrv *gd,
			      enum guestdrv_engine engine);
/* Snapshot of @engine's counters; safe from any thread. */
void guestdrv_get_stats(const struct guestdrv *gd, enum guestdrv_engine engine,
			struct guestdrv_stats *out);
/* Why the driver failed, else the first workload that failed its check,
 * else "". */
const char *guestdrv_error(const struct guestdrv *gd);
/*
 * Where the vGPU behaved unlike the hardware guestdrv was written for
 * (i915's view of gen9), one distinct finding per line; "" if none.
 */
const char *guestdrv_quirks(struct guestdrv *gd);

#endif /* GVT_GUESTDRV_H */
