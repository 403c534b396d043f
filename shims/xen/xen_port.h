// SPDX-License-Identifier: MIT
/*
 * The Xen shim's lowest layer: every call that reaches Xen, behind one
 * ops table. xen_libxen.c implements it over libxendevicemodel,
 * libxenforeignmemory and libxenevtchn; tests/mock/mock_xen_port.c over
 * malloc'd ioreq pages and an in-process event queue, so the ioreq loop
 * (xen_shim.c) runs under test without a hypervisor. Private to the shim
 * and its tests.
 */
#ifndef GVT_XEN_PORT_H
#define GVT_XEN_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gvt/gvt_xen.h>

/*
 * struct gvt_xen_port_ops - what the shim asks of Xen. Every op takes the
 * port's handle first and returns 0 or -errno unless it says otherwise.
 * @open: open the handles for @p->domid.
 * @close: close them (only after a successful @open).
 * @nr_vcpus: how many vCPUs the domain has, or -errno.
 * @create_server: create an ioreq server (no buffered ring) into *@id.
 * @destroy_server: destroy it.
 * @map_ioreq_pages: map the server's synchronous ioreq page(s), which hold
 *	@nr_vcpus ioreq_t, into *@pages.
 * @unmap_ioreq_pages: undo it.
 * @bind: bind the guest's event channel @remote into *@local.
 * @unbind: undo it.
 * @map_range: route [@start, @end] (inclusive; MMIO, or port I/O when
 *	!@mmio) to the server; @map false undoes it.
 * @map_pcidev: route config cycles of the function to the server; @map
 *	false undoes it.
 * @claim_mem_type: route writes to HVMMEM_ioreq_server pages to the
 *	server; @claim false gives the type back.
 * @set_state: enable or disable the server.
 * @fd: the descriptor that becomes readable when @pending has a port.
 * @pending: the next local port with an event, -EAGAIN if none.
 * @unmask: unmask @local after its event was taken.
 * @notify: signal @local's other end.
 * @read_gpa: copy guest memory (any thread).
 * @write_gpa: copy to guest memory (any thread).
 * @dma_map: map guest frames for the GPU: *@bus_addr is a host address.
 * @dma_unmap: undo @dma_map.
 * @inject_msi: deliver an MSI.
 * @set_intx: set the function's INTA# level.
 * @track: give @gfn the HVMMEM_ioreq_server type (@on) or back ram_rw.
 */
struct gvt_xen_port_ops {
	int (*open)(void *port, const struct gvt_xen_params *p);
	void (*close)(void *port);
	int (*nr_vcpus)(void *port);
	int (*create_server)(void *port, uint16_t *id);
	int (*destroy_server)(void *port, uint16_t id);
	int (*map_ioreq_pages)(void *port, uint16_t id, unsigned int nr_vcpus,
			       void **pages);
	int (*unmap_ioreq_pages)(void *port);
	int (*bind)(void *port, uint32_t remote, uint32_t *local);
	int (*unbind)(void *port, uint32_t local);
	int (*map_range)(void *port, uint16_t id, bool mmio, uint64_t start,
			 uint64_t end, bool map);
	int (*map_pcidev)(void *port, uint16_t id, bool map);
	int (*claim_mem_type)(void *port, uint16_t id, bool claim);
	int (*set_state)(void *port, uint16_t id, bool enabled);
	int (*fd)(void *port);
	int (*pending)(void *port, uint32_t *local);
	int (*unmask)(void *port, uint32_t local);
	int (*notify)(void *port, uint32_t local);
	int (*read_gpa)(void *port, uint64_t gpa, void *buf, size_t len);
	int (*write_gpa)(void *port, uint64_t gpa, const void *buf, size_t len);
	int (*dma_map)(void *port, uint64_t gfn, uint64_t size,
		       uint64_t *bus_addr);
	int (*dma_unmap)(void *port, uint64_t bus_addr, uint64_t size);
	int (*inject_msi)(void *port, uint64_t addr, uint32_t data);
	int (*set_intx)(void *port, bool asserted);
	int (*track)(void *port, uint64_t gfn, bool on);
};

/* The libxen port (xen_libxen.c): a handle for gvt_xen_create_port(). */
extern const struct gvt_xen_port_ops gvt_xen_libxen_ops;
int gvt_xen_libxen_new(void **port);
void gvt_xen_libxen_free(void *port);

/*
 * gvt_xen_create_port() - gvt_xen_create() over another lowest layer. The
 * server does not own @port; it stays valid until gvt_xen_destroy().
 */
GVT_MUST_CHECK int gvt_xen_create_port(const struct gvt_xen_params *params,
				       const struct gvt_xen_port_ops *ops,
				       void *port, struct gvt_xen **out);

/*
 * gvt_xen_teardown() - undo every setup step done, in reverse; a second
 * call does nothing. gvt_xen_destroy() calls it, then frees.
 */
void gvt_xen_teardown(struct gvt_xen *xen);

#endif /* GVT_XEN_PORT_H */
