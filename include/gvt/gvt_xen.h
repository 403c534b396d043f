// SPDX-License-Identifier: MIT
/*
 * The Xen shim: libgvt as an ioreq server for a Xen HVM guest, from an
 * ordinary dom0 (or driver domain) process, beside or instead of QEMU.
 *
 * The shim registers an ioreq server for the guest, claims the vGPU's PCI
 * function and its BARs, maps the ioreq pages and binds one event channel
 * per vCPU. The device model then polls gvt_xen_fd() and calls
 * gvt_xen_dispatch(), which answers every request Xen has posted: config
 * cycles, BAR0/BAR2 MMIO, BAR4 port I/O, string (rep) forms of all of
 * them, and guest writes to the pages libgvt write-protects.
 *
 * Guest memory comes through libxenforeignmemory, MSIs and INTx through
 * libxendevicemodel, page tracking through the HVMMEM_ioreq_server memory
 * type (docs/xen.md).
 *
 * Threading: gvt_xen_dispatch() and gvt_xen_attach() are called from the
 * device model's one ioreq thread. The hypervisor ops are called by libgvt
 * (see gvt_hv.h), some of them from its GPU thread.
 */
#ifndef GVT_GVT_XEN_H
#define GVT_GVT_XEN_H

#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>
#include <gvt/gvt_hv.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct gvt_xen - one vGPU served to one Xen domain (opaque). */
struct gvt_xen;

/** GVT_XEN_VCPUS_MAX - the most vCPUs a served domain may have. */
#define GVT_XEN_VCPUS_MAX 128

/**
 * struct gvt_xen_params - whom to serve, and where the vGPU sits.
 * @domid: the HVM guest's domain id.
 * @segment: PCI segment of the vGPU's function in the guest.
 * @bus: its bus.
 * @dev: its device (0 .. 31).
 * @func: its function (0 .. 7).
 * @nr_vcpus: the guest's vCPUs (1 .. GVT_XEN_VCPUS_MAX), or 0 to ask Xen.
 * @page_track: claim the HVMMEM_ioreq_server memory type so that libgvt
 *	can write-protect the guest's GPU page tables (one ioreq server per
 *	domain may hold it). Without it libgvt re-validates them at each
 *	submission.
 * @log_fn: where the shim's own messages go (the library's sink type);
 *	NULL for none.
 * @log_opaque: passed to @log_fn.
 */
struct gvt_xen_params {
	uint16_t domid;
	uint16_t segment;
	uint8_t bus;
	uint8_t dev;
	uint8_t func;
	unsigned int nr_vcpus;
	bool page_track;
	gvt_log_fn *log_fn;
	void *log_opaque;
};

/**
 * gvt_xen_create() - open Xen's libraries and set up the ioreq server, up
 * to but not including the BARs and enabling it.
 * @params: whom to serve.
 * @out: receives the server.
 *
 * In order: open the device-model, foreign-memory and event-channel
 * handles; create the ioreq server; map its ioreq pages; bind one event
 * channel per vCPU; claim the PCI function; with @params->page_track,
 * claim the HVMMEM_ioreq_server type. A failure undoes exactly the steps
 * that were done, logs the step and Xen's reason once, and returns.
 *
 * Then create the vGPU with gvt_xen_hv_ops(server) and the server as its
 * handle, and gvt_xen_attach() it.
 *
 * Return: 0; -EINVAL for bad parameters; -ENOENT when /dev/xen (or
 * privcmd) is missing: not running in a Xen domain; otherwise the -errno
 * of the step that failed (-EPERM: not privileged over @domid, -ESRCH: no
 * such domain), -ENOMEM.
 */
GVT_MUST_CHECK int gvt_xen_create(const struct gvt_xen_params *params,
				  struct gvt_xen **out);

/**
 * gvt_xen_hv_ops() - the hypervisor operations to create @xen's vGPU with;
 * the handle is @xen. They include page tracking when @xen does it.
 * @xen: the server.
 *
 * Return: static operations, or NULL for a NULL @xen.
 */
const struct gvt_hv_ops *gvt_xen_hv_ops(const struct gvt_xen *xen);

/**
 * gvt_xen_attach() - give the server its vGPU, route the vGPU's BARs to
 * it, and enable it: from now on Xen posts the guest's accesses.
 * @xen: the server.
 * @vgpu: created with gvt_xen_hv_ops(@xen) and @xen as its handle.
 *
 * Return: 0, -EINVAL if @vgpu is NULL, -EBUSY if one is attached already,
 * or the -errno of enabling the server (it then stays attached but
 * disabled; gvt_xen_destroy() still undoes everything).
 */
GVT_MUST_CHECK int gvt_xen_attach(struct gvt_xen *xen, struct gvt_vgpu *vgpu);

/**
 * gvt_xen_fd() - the descriptor to poll for readability.
 * @xen: the server.
 *
 * Return: a file descriptor that becomes readable when a vCPU has posted
 * a request, or -EINVAL.
 */
int gvt_xen_fd(struct gvt_xen *xen);

/**
 * gvt_xen_dispatch() - answer every request that is pending, without
 * blocking.
 * @xen: the server.
 *
 * Each request goes READY -> INPROCESS -> IORESP_READY and its vCPU's
 * event channel is notified. A request that is not the vGPU's reads all
 * ones and its writes are dropped; an unknown or malformed one is
 * answered without effect (logged once per kind).
 *
 * Return: the number of requests answered, or -errno if waiting on the
 * event channels failed.
 */
int gvt_xen_dispatch(struct gvt_xen *xen);

/**
 * gvt_xen_check_domain() - does the served domain still exist?
 * @xen: the server.
 *
 * Xen tells no device model that its domain died: the event channels just
 * fall silent. A device model calls this now and then (gvt-xen-dm: every
 * second) and stops when it says the domain is gone. Once it has, the
 * errors gvt_xen_destroy() meets undoing the server are expected and are
 * not logged as errors.
 *
 * Return: 0 while the domain exists; -ESRCH once it is gone; another
 * -errno if Xen could not be asked; -EINVAL for a NULL @xen.
 */
GVT_MUST_CHECK int gvt_xen_check_domain(struct gvt_xen *xen);

/**
 * gvt_xen_destroy() - disable and destroy the ioreq server, unmap and
 * unbind everything, close the handles and free the server.
 * @xen: the server, or NULL. Destroy its vGPU first.
 */
void gvt_xen_destroy(struct gvt_xen *xen);

/**
 * struct gvt_xen_stats - what the server counted since it was created.
 * @requests: synchronous requests answered.
 * @pio: of which port I/O (type PIO).
 * @copy: of which memory (type COPY).
 * @pci_config: of which config cycles (type PCI_CONFIG).
 * @other: of which TIMEOFFSET, INVALIDATE and unknown types.
 * @reps: elements of string (data_is_ptr or count > 1) requests.
 * @outside: elements that were not the vGPU's (all ones, or dropped).
 * @malformed: requests answered without effect: a bad size or count, or
 *	guest memory that could not be reached.
 * @tracked_writes: guest writes to write-protected pages handed to libgvt.
 * @spurious: events with no request READY behind them.
 * @range_updates: BAR ranges mapped to or unmapped from the server.
 * @msi: MSIs injected; @msi_errors of them Xen refused.
 * @libgvt_ns: nanoseconds inside libgvt.
 */
struct gvt_xen_stats {
	uint64_t requests;
	uint64_t pio;
	uint64_t copy;
	uint64_t pci_config;
	uint64_t other;
	uint64_t reps;
	uint64_t outside;
	uint64_t malformed;
	uint64_t tracked_writes;
	uint64_t spurious;
	uint64_t range_updates;
	uint64_t msi;
	uint64_t msi_errors;
	uint64_t libgvt_ns;
};

/**
 * gvt_xen_get_stats() - copy the server's counters.
 * @xen: the server.
 * @out: receives them.
 */
void gvt_xen_get_stats(struct gvt_xen *xen, struct gvt_xen_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* GVT_GVT_XEN_H */
