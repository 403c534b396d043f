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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_xen_port.h"

#define RAM (4u << 20)
#define VCPUS 2
#define BAR0 0xf0000000ull
#define BAR2 0x80000000ull
#define BAR4 0xc000u
#define SBDF (2ull << 3)

static struct gvt_ctx *ctx;

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

static void post(struct mock_xen_port *m, struct gvt_xen *x, unsigned int v,
		 const ioreq_t *r, bool ready)
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

static void cfg(struct mock_xen_port *m, struct gvt_xen *x, uint32_t off,
		uint32_t val)
{
	ioreq_t r;

	memset(&r, 0, sizeof(r));
	r.type = IOREQ_TYPE_PCI_CONFIG;
	r.dir = IOREQ_WRITE;
	r.addr = SBDF << 32 | off;
	r.size = 4;
	r.count = 1;
	r.data = val;
	post(m, x, 0, &r, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvt_xen_params p = { .domid = 1, .dev = 2, .nr_vcpus = VCPUS,
				    .page_track = true };
	struct mock_xen_port *m;
	struct gvt_vgpu *vgpu;
	struct gvt_xen *x;

	if (!ctx) {
		struct gvt_ctx_params cp = { .platform = GVT_PLATFORM_SKL,
					     .backend = GVT_BACKEND_SIM,
					     .aperture_mib = 256, .log_fn = quiet };

		if (gvt_ctx_create(&cp, &ctx))
			fail("setup");
	}
	if (mock_xen_port_create(VCPUS, RAM, &m) ||
	    gvt_xen_create_port(&p, &mock_xen_port_ops, m, &x) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_8", gvt_xen_hv_ops(x), x, &vgpu) ||
	    gvt_xen_attach(x, vgpu))
		fail("setup");
	cfg(m, x, 0x10, (uint32_t)BAR0);
	cfg(m, x, 0x18, (uint32_t)BAR2);
	cfg(m, x, 0x20, BAR4);
	cfg(m, x, 0x04, 0x7);
	/* Something worth writing to: a tracked page. */
	if (gvt_xen_hv_ops(x)->page_track_enable(x, 0x10))
		fail("track");
	while (size >= 1 + sizeof(ioreq_t)) {
		ioreq_t r;

		memcpy(&r, data + 1, sizeof(r));
		/* Keep addresses near the vGPU often enough to matter. */
		if (data[0] & 0x40) {
			static const uint64_t base[] = { BAR0, BAR2, BAR4, 0x10000 };

			r.addr = base[(data[0] >> 4) & 3] + (r.addr & 0xffffff);
		}
		if (data[0] & 0x20)
			r.data &= RAM - 1;
		post(m, x, data[0] % VCPUS, &r, !(data[0] & 0x80));
		data += 1 + sizeof(ioreq_t);
		size -= 1 + sizeof(ioreq_t);
	}
	gvt_vgpu_destroy(vgpu);
	gvt_xen_destroy(x);
	if (!mock_xen_port_clean(m))
		fail("teardown left something set up");
	mock_xen_port_destroy(m);
	return 0;
}
