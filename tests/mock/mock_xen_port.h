// SPDX-License-Identifier: MIT
/*
 * The Xen shim's lowest layer without Xen (shims/xen/xen_port.h): the
 * synchronous ioreq page is malloc'd, event channels are an in-process
 * queue behind an eventfd (readable while events are queued, as
 * xenevtchn's descriptor is), guest RAM is a plain buffer at guest-physical 0. It records what
 * the shim set up, so tests can check that teardown undoes it exactly,
 * and fails any setup step on demand.
 */
#ifndef GVT_MOCK_XEN_PORT_H
#define GVT_MOCK_XEN_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "xen_port.h"

/* Setup steps that can be made to fail. */
enum mock_xen_step {
	MXS_OPEN,
	MXS_NR_VCPUS,
	MXS_CREATE,
	MXS_PAGES,
	MXS_BIND,
	MXS_PCIDEV,
	MXS_MEM_TYPE,
	MXS_ENABLE,
	MXS_NUM
};

#define MOCK_XEN_RANGES 8
#define MOCK_XEN_QUEUE 1024
#define MOCK_XEN_MSIS 64
/* Remote port of vCPU i: MOCK_XEN_EPORT0 + i; local: that + 1000. */
#define MOCK_XEN_EPORT0 40u

struct mock_xen_range {
	bool mmio;
	uint64_t start, end;
};

struct mock_xen_port {
	unsigned int nr_vcpus;		/* what the "domain" has */
	bool domain_gone;		/* set: Xen answers -ESRCH about it */
	ioreq_t *page;			/* the synchronous ioreq page */
	uint8_t *ram;			/* guest-physical 0 .. ram_size */
	uint64_t ram_size;

	/* What is set up now. */
	bool open, server, pages, pcidev, mem_type, enabled;
	unsigned int bound;
	struct mock_xen_range range[MOCK_XEN_RANGES];
	unsigned int nr_ranges;
	unsigned int tracked;		/* pages of type ioreq_server */

	/* Failure injection: step @fail_step fails with @fail_err once it
	 * was reached @fail_after times (bind counts each channel). */
	int fail_step;			/* -1: none */
	int fail_err;
	unsigned int fail_after;
	unsigned int reached[MXS_NUM];

	/* Events: the guest side queues local ports, the shim pops them;
	 * @event_fd is what the port's fd op gives to poll. */
	int event_fd;
	uint32_t queue[MOCK_XEN_QUEUE];
	unsigned int q_head, q_tail;
	unsigned int notified[GVT_XEN_VCPUS_MAX];
	unsigned int unmasked;

	struct { uint64_t addr; uint32_t data; } msi[MOCK_XEN_MSIS];
	unsigned int nr_msi;
	bool intx;
	unsigned int range_calls;	/* map/unmap_range calls */
};

extern const struct gvt_xen_port_ops mock_xen_port_ops;

int mock_xen_port_create(unsigned int nr_vcpus, uint64_t ram_size,
			 struct mock_xen_port **out);
void mock_xen_port_destroy(struct mock_xen_port *m);

/* A request of one element, as Xen fills it for a plain access. */
ioreq_t mock_xen_ioreq(uint8_t type, uint8_t dir, uint64_t addr, uint32_t size,
		       uint64_t data);

/* Place @req in vCPU @vcpu's slot, mark it READY and signal its channel,
 * as Xen does for a trapped access. */
void mock_xen_port_post(struct mock_xen_port *m, unsigned int vcpu,
			const ioreq_t *req);
/* Signal vCPU @vcpu's channel without a request behind it. */
void mock_xen_port_kick(struct mock_xen_port *m, unsigned int vcpu);
/* Is anything set up? (true after an exact teardown) */
bool mock_xen_port_clean(const struct mock_xen_port *m);

#endif /* GVT_MOCK_XEN_PORT_H */
