// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a hostile guest's ioreqs. The input is a sequence of
 * 33-byte records: a vCPU selector and a raw ioreq_t, posted as Xen would
 * (state forced READY unless the selector's top bit asks for whatever
 * state the bytes hold) and answered by gvt_xen_dispatch() over the mock
 * port. A few fixed requests first give the vGPU decoding BARs, so COPY
 * and PIO reach libgvt. After every record:
 *   - nothing crashed, nothing touched memory out of bounds (ASan);
 *   - a READY request was answered IORESP_READY and its vCPU notified
 *     exactly once; a request in another state was left alone.
 * After the input, a device reset leaves no page tracked, and the BARs it
 * stops decoding are no longer routed to the server.
 *
 * The context, the mock port, the server and the vGPU outlive inputs:
 * creating the port and the vGPU for each input (4 MiB of guest RAM and
 * 2 MiB of registers to fault in and clear, more than half of the time)
 * held the target to about 100 inputs a second. What an input can change
 * is put back after it (finish()), so that an input replays alone as it
 * ran in a fuzzing session:
 *   - the vGPU's registers, GGTT, PPGTT shadows, engines, interrupts and
 *     config space (BARs moved, decoding switched) by gvt_vgpu_reset(),
 *     which also untracks the pages libgvt tracked;
 *   - the BARs the server routes, which it re-reads from config space on
 *     a config write; and the page the harness tracks;
 *   - guest RAM, which string requests read and write: the pages written
 *     (dirty[]) are zeroed.
 * Left as they are, because nothing an input does depends on them: the
 * server's and the mock's counters (requests, notifications, MSIs, range
 * calls; notifications are checked as a difference), the server's
 * log-once flags (the log goes nowhere), the vCPUs' ioreq slots (every
 * record overwrites its slot whole) and the event queue (every dispatch
 * empties it). The vGPU's statistics and cached command shadows survive a
 * reset; the GPU thread's timing was never repeatable anyway. What is no
 * longer fuzzed: gvt_vgpu_destroy() and gvt_xen_destroy() after a hostile
 * input (tests/unit/check_xen.c checks the server's teardown).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "mock_xen_port.h"

#define PAGE 4096u
#define RAM (4u << 20)
#define RAM_PAGES (RAM / PAGE)
#define VCPUS 2
#define BAR0 0xf0000000ull
#define BAR2 0x80000000ull
#define BAR4 0xc000u
#define SBDF (2ull << 3)

static struct gvt_ctx *ctx;
static struct mock_xen_port *m;
static struct gvt_xen *x;
static struct gvt_vgpu *vgpu;

/*
 * Guest pages written since the last input: zeroing those instead of all
 * 4 MiB took a quarter of the time of an input off. Everything that
 * writes guest RAM goes through the port: the shim and libgvt through
 * write_gpa, the GPU thread through what dma_map gave it.
 */
static atomic_bool dirty[RAM_PAGES];
static struct gvt_xen_port_ops port_ops;

/* [@gpa, @gpa + @len) lies in RAM: the mock refused what does not. */
static void mark_dirty(uint64_t gpa, uint64_t len)
{
	for (uint64_t pg = gpa / PAGE; pg * PAGE < gpa + len; pg++)
		atomic_store_explicit(&dirty[pg], true, memory_order_relaxed);
}

static int dirty_write_gpa(void *port, uint64_t gpa, const void *buf,
			   size_t len)
{
	int ret = mock_xen_port_ops.write_gpa(port, gpa, buf, len);

	if (!ret)
		mark_dirty(gpa, len);
	return ret;
}

static int dirty_dma_map(void *port, uint64_t gfn, uint64_t size,
			 uint64_t *bus_addr)
{
	int ret = mock_xen_port_ops.dma_map(port, gfn, size, bus_addr);

	if (!ret)
		mark_dirty(gfn * PAGE, size);
	return ret;
}

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_xen_ioreq: invariant broken: %s\n", what);
	abort();
}

static void post(unsigned int v, const ioreq_t *r, bool ready)
{
	unsigned int before = m->notified[v];
	uint8_t state;

	if (ready) {
		mock_xen_port_post(m, v, r);
	} else {
		uint32_t eport = m->page[v].vp_eport;

		m->page[v] = *r;
		m->page[v].vp_eport = eport;
		mock_xen_port_kick(m, v);
	}
	state = m->page[v].state;
	if (gvt_xen_dispatch(x) < 0)
		fail("dispatch failed");
	if (state == STATE_IOREQ_READY) {
		if (m->page[v].state != STATE_IORESP_READY || m->notified[v] != before + 1)
			fail("a READY request was not answered once");
	} else if (m->notified[v] != before || m->page[v].state != state) {
		fail("a request not READY was touched");
	}
}

static void cfg(uint32_t off, uint32_t val)
{
	ioreq_t r;

	memset(&r, 0, sizeof(r));
	r.type = IOREQ_TYPE_PCI_CONFIG;
	r.dir = IOREQ_WRITE;
	r.addr = SBDF << 32 | off;
	r.size = 4;
	r.count = 1;
	r.data = val;
	post(0, &r, true);
}

static void setup(void)
{
	struct gvt_ctx_params cp = { .platform = GVT_PLATFORM_SKL,
				     .backend = GVT_BACKEND_SIM,
				     .aperture_mib = 256, .log_fn = quiet };
	struct gvt_xen_params p = { .domid = 1, .dev = 2, .nr_vcpus = VCPUS,
				    .page_track = true };

	port_ops = mock_xen_port_ops;
	port_ops.write_gpa = dirty_write_gpa;
	port_ops.dma_map = dirty_dma_map;
	if (gvt_ctx_create(&cp, &ctx) ||
	    mock_xen_port_create(VCPUS, RAM, &m) ||
	    gvt_xen_create_port(&p, &port_ops, m, &x) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_8", gvt_xen_hv_ops(x), x, &vgpu) ||
	    gvt_xen_attach(x, vgpu))
		fail("setup");
}

/* What every input starts from: decoding BARs and a tracked page. */
static void start(void)
{
	cfg(0x10, (uint32_t)BAR0);
	cfg(0x18, (uint32_t)BAR2);
	cfg(0x20, BAR4);
	cfg(0x04, 0x7);
	/* Something worth writing to: a tracked page. */
	if (gvt_xen_hv_ops(x)->page_track_enable(x, 0x10))
		fail("track");
}

/*
 * Back to the state setup() left, as checked here: the input may have
 * moved the BARs anywhere, switched decoding, had libgvt track pages
 * (page tables, contexts) and had its requests write guest RAM.
 */
static void finish(void)
{
	if (gvt_vgpu_reset(vgpu))
		fail("reset");
	/* Decoding is off after the reset; the server notices at the next
	 * config write and takes its BARs back from Xen. */
	cfg(0x04, 0);
	/* libgvt may have tracked and untracked this page too, and the
	 * server does not count: disabling it may find it gone. */
	if (gvt_xen_hv_ops(x)->page_track_disable(x, 0x10))
		fail("untrack");
	if (m->nr_ranges)
		fail("a BAR stayed routed after the reset stopped decoding");
	if (m->tracked)
		fail("a page stayed tracked after the reset");
	/* After the reset: the GPU thread no longer runs the vGPU's work. */
	for (unsigned int pg = 0; pg < RAM_PAGES; pg++)
		if (atomic_exchange_explicit(&dirty[pg], false,
					     memory_order_relaxed))
			memset(m->ram + pg * PAGE, 0, PAGE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };

	if (!ctx)
		setup();
	start();
	/* Whole records only: a partial one is dropped. */
	while (in.left >= 1 + sizeof(ioreq_t)) {
		unsigned int sel = (unsigned int)fuzz_take(&in, 1);
		ioreq_t r;

		fuzz_take_bytes(&in, &r, sizeof(r));
		/* Keep addresses near the vGPU often enough to matter. */
		if (sel & 0x40) {
			static const uint64_t base[] = { BAR0, BAR2, BAR4,
							 0x10000 };

			r.addr = base[(sel >> 4) & 3] + (r.addr & 0xffffff);
		}
		if (sel & 0x20)
			r.data &= RAM - 1;
		post(sel % VCPUS, &r, !(sel & 0x80));
	}
	finish();
	return 0;
}
