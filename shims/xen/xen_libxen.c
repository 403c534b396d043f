// SPDX-License-Identifier: MIT
/*
 * The Xen shim's lowest layer over Xen's stable tool libraries:
 * libxendevicemodel (the ioreq server, MSI, INTx, memory types),
 * libxenforeignmemory (the ioreq pages, guest RAM) and libxenevtchn.
 * Their own messages go to the shim's log sink through a xentoollog
 * logger: nothing reaches stderr.
 *
 * Guest memory is mapped per access and unmapped at once. That costs a
 * hypercall pair per read_gpa, but needs no cache to invalidate when Xen
 * sends IOREQ_TYPE_INVALIDATE (ballooning); the hot paths of libgvt map
 * what they keep with dma_map instead.
 */
#define _GNU_SOURCE
/* The tool-side parts of Xen's public headers (HVM_IOREQSRV_BUFIOREQ_*). */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <stdint.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/memory.h>

#include "xen_port.h"

#define PAGE_BYTES 4096u

struct libxen {
	struct xentoollog_logger logger;	/* first: Xen's libs call back with it */
	gvt_log_fn *log_fn;
	void *log_opaque;
	domid_t domid;
	uint16_t segment;
	uint8_t bus, dev, func;
	xendevicemodel_handle *dmod;
	xenforeignmemory_handle *fmem;
	xenevtchn_handle *xce;
	xenforeignmemory_resource_handle *pages_res;
};

/* Xen's libraries log through this: their errors at our levels. */
static void sink_vmessage(struct xentoollog_logger *logger,
			 xentoollog_level level, int errnoval,
			 const char *context, const char *format, va_list al)
	__attribute__((format(printf, 5, 0)));

static void sink_vmessage(struct xentoollog_logger *logger,
			 xentoollog_level level, int errnoval,
			 const char *context, const char *format, va_list al)
{
	struct libxen *l = (struct libxen *)logger;
	int saved = errno;
	char msg[256];
	int n, lvl;

	if (!l->log_fn || level < XTL_INFO)
		return;
	lvl = level >= XTL_ERROR ? GVT_LOG_ERR :
	      level == XTL_WARN ? GVT_LOG_WARNING :
	      level == XTL_NOTICE ? GVT_LOG_NOTICE : GVT_LOG_INFO;
	n = snprintf(msg, sizeof(msg), "xen: %s: ", context ? context : "libxen");
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, format, al);
	if (errnoval >= 0) {
		size_t len = strlen(msg);

		snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(errnoval));
	}
	l->log_fn(l->log_opaque, lvl, msg);
	errno = saved;
}

static void sink_destroy(struct xentoollog_logger *logger)
{
}

int gvt_xen_libxen_new(void **port)
{
	struct libxen *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->logger.vmessage = sink_vmessage;
	l->logger.destroy = sink_destroy;
	*port = l;
	return 0;
}

void gvt_xen_libxen_free(void *port)
{
	free(port);
}

static void lx_close(void *port)
{
	struct libxen *l = port;

	if (l->xce)
		xenevtchn_close(l->xce);
	if (l->fmem)
		xenforeignmemory_close(l->fmem);
	if (l->dmod)
		xendevicemodel_close(l->dmod);
	l->xce = NULL;
	l->fmem = NULL;
	l->dmod = NULL;
}

static int lx_open(void *port, const struct gvt_xen_params *p)
{
	struct libxen *l = port;
	int err, fl;

	l->log_fn = p->log_fn;
	l->log_opaque = p->log_opaque;
	l->domid = p->domid;
	l->segment = p->segment;
	l->bus = p->bus;
	l->dev = p->dev;
	l->func = p->func;
	l->dmod = xendevicemodel_open(&l->logger, 0);
	if (!l->dmod)
		goto out_err;
	l->fmem = xenforeignmemory_open(&l->logger, 0);
	if (!l->fmem)
		goto out_err;
	l->xce = xenevtchn_open(&l->logger, 0);
	if (!l->xce)
		goto out_err;
	/* gvt_xen_dispatch() must not block: take events until EAGAIN. */
	fl = fcntl(xenevtchn_fd(l->xce), F_GETFL);
	if (fl < 0 || fcntl(xenevtchn_fd(l->xce), F_SETFL, fl | O_NONBLOCK) < 0)
		goto out_err;
	return 0;
out_err:
	err = errno ? errno : ENODEV;
	lx_close(l);
	return -err;
}

static int lx_nr_vcpus(void *port)
{
	struct libxen *l = port;
	unsigned int n;

	if (xendevicemodel_nr_vcpus(l->dmod, l->domid, &n) < 0)
		return -errno;
	return n > INT32_MAX ? -E2BIG : (int)n;
}

static int lx_create_server(void *port, uint16_t *id)
{
	struct libxen *l = port;
	ioservid_t sid;

	/* No buffered ring: Xen posts to it only for its own VGA emulation
	 * (20-bit addresses), never for a BAR (docs/xen.md). */
	if (xendevicemodel_create_ioreq_server(l->dmod, l->domid,
					       HVM_IOREQSRV_BUFIOREQ_OFF, &sid) < 0)
		return -errno;
	*id = sid;
	return 0;
}

static int lx_destroy_server(void *port, uint16_t id)
{
	struct libxen *l = port;

	return xendevicemodel_destroy_ioreq_server(l->dmod, l->domid, id) < 0 ? -errno : 0;
}

static int lx_map_ioreq_pages(void *port, uint16_t id, unsigned int nr_vcpus,
			      void **pages)
{
	struct libxen *l = port;
	unsigned long frames = (nr_vcpus * sizeof(ioreq_t) + PAGE_BYTES - 1) / PAGE_BYTES;
	void *addr = NULL;

	l->pages_res = xenforeignmemory_map_resource(l->fmem, l->domid,
						     XENMEM_resource_ioreq_server, id,
						     XENMEM_resource_ioreq_server_frame_ioreq(0),
						     frames, &addr,
						     PROT_READ | PROT_WRITE, 0);
	if (!l->pages_res)
		return -errno;
	*pages = addr;
	return 0;
}

static int lx_unmap_ioreq_pages(void *port)
{
	struct libxen *l = port;
	int ret = 0;

	if (l->pages_res && xenforeignmemory_unmap_resource(l->fmem, l->pages_res) < 0)
		ret = -errno;
	l->pages_res = NULL;
	return ret;
}

static int lx_bind(void *port, uint32_t remote, uint32_t *local)
{
	struct libxen *l = port;
	xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(l->xce, l->domid, remote);

	if (p < 0)
		return -errno;
	*local = (uint32_t)p;
	return 0;
}

static int lx_unbind(void *port, uint32_t local)
{
	struct libxen *l = port;

	return xenevtchn_unbind(l->xce, local) < 0 ? -errno : 0;
}

static int lx_map_range(void *port, uint16_t id, bool mmio, uint64_t start,
			uint64_t end, bool map)
{
	struct libxen *l = port;
	int ret = map ?
		xendevicemodel_map_io_range_to_ioreq_server(l->dmod, l->domid, id, mmio, start, end) :
		xendevicemodel_unmap_io_range_from_ioreq_server(l->dmod, l->domid, id, mmio, start, end);

	return ret < 0 ? -errno : 0;
}

static int lx_map_pcidev(void *port, uint16_t id, bool map)
{
	struct libxen *l = port;
	int ret = map ?
		xendevicemodel_map_pcidev_to_ioreq_server(l->dmod, l->domid, id, l->segment,
							  l->bus, l->dev, l->func) :
		xendevicemodel_unmap_pcidev_from_ioreq_server(l->dmod, l->domid, id, l->segment,
							      l->bus, l->dev, l->func);

	return ret < 0 ? -errno : 0;
}

static int lx_claim_mem_type(void *port, uint16_t id, bool claim)
{
	struct libxen *l = port;

	/* Writes only: Xen performs reads of such pages itself. */
	return xendevicemodel_map_mem_type_to_ioreq_server(l->dmod, l->domid, id,
							   HVMMEM_ioreq_server,
							   claim ? XEN_DMOP_IOREQ_MEM_ACCESS_WRITE : 0) < 0 ?
	       -errno : 0;
}

static int lx_set_state(void *port, uint16_t id, bool enabled)
{
	struct libxen *l = port;

	return xendevicemodel_set_ioreq_server_state(l->dmod, l->domid, id, enabled) < 0 ?
	       -errno : 0;
}

static int lx_fd(void *port)
{
	struct libxen *l = port;

	return xenevtchn_fd(l->xce);
}

static int lx_pending(void *port, uint32_t *local)
{
	struct libxen *l = port;
	xenevtchn_port_or_error_t p = xenevtchn_pending(l->xce);

	if (p < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	*local = (uint32_t)p;
	return 0;
}

static int lx_unmask(void *port, uint32_t local)
{
	struct libxen *l = port;

	return xenevtchn_unmask(l->xce, local) < 0 ? -errno : 0;
}

static int lx_notify(void *port, uint32_t local)
{
	struct libxen *l = port;

	return xenevtchn_notify(l->xce, local) < 0 ? -errno : 0;
}

/* Copy to or from guest memory one mapped page at a time. */
static int copy_gpa(struct libxen *l, uint64_t gpa, uint8_t *buf, size_t len,
		    bool to_guest)
{
	while (len) {
		size_t chunk = PAGE_BYTES - gpa % PAGE_BYTES;
		xen_pfn_t gfn = gpa / PAGE_BYTES;
		uint8_t *page;
		int err = 0;

		if (chunk > len)
			chunk = len;
		page = xenforeignmemory_map(l->fmem, l->domid,
					    to_guest ? PROT_READ | PROT_WRITE : PROT_READ,
					    1, &gfn, &err);
		if (!page || err)
			return -EFAULT;
		if (to_guest)
			memcpy(page + gpa % PAGE_BYTES, buf, chunk);
		else
			memcpy(buf, page + gpa % PAGE_BYTES, chunk);
		xenforeignmemory_unmap(l->fmem, page, 1);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

static int lx_read_gpa(void *port, uint64_t gpa, void *buf, size_t len)
{
	return copy_gpa(port, gpa, buf, len, false);
}

static int lx_write_gpa(void *port, uint64_t gpa, const void *buf, size_t len)
{
	return copy_gpa(port, gpa, (void *)buf, len, true);
}

/*
 * For the sim GPU a bus address is where this process sees the frames:
 * a foreign mapping that lives until dma_unmap. A real GPU backend needs
 * the frames in its IOMMU domain instead (docs/xen.md).
 */
static int lx_dma_map(void *port, uint64_t gfn, uint64_t size,
		      uint64_t *bus_addr)
{
	struct libxen *l = port;
	size_t pages = size / PAGE_BYTES;
	xen_pfn_t *gfns;
	int *err;
	void *addr;
	int ret = 0;

	if (!pages || size % PAGE_BYTES)
		return -EINVAL;
	gfns = calloc(pages, sizeof(*gfns));
	err = calloc(pages, sizeof(*err));
	if (!gfns || !err) {
		free(gfns);
		free(err);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pages; i++)
		gfns[i] = gfn + i;
	addr = xenforeignmemory_map(l->fmem, l->domid, PROT_READ | PROT_WRITE,
				    pages, gfns, err);
	if (!addr) {
		ret = -EFAULT;
	} else {
		for (size_t i = 0; i < pages; i++)
			if (err[i])
				ret = -EFAULT;
		if (ret)
			xenforeignmemory_unmap(l->fmem, addr, pages);
		else
			*bus_addr = (uint64_t)(uintptr_t)addr;
	}
	free(gfns);
	free(err);
	return ret;
}

static int lx_dma_unmap(void *port, uint64_t bus_addr, uint64_t size)
{
	struct libxen *l = port;

	return xenforeignmemory_unmap(l->fmem, (void *)(uintptr_t)bus_addr,
				      size / PAGE_BYTES) < 0 ? -errno : 0;
}

static int lx_inject_msi(void *port, uint64_t addr, uint32_t data)
{
	struct libxen *l = port;

	return xendevicemodel_inject_msi(l->dmod, l->domid, addr, data) < 0 ? -errno : 0;
}

static int lx_set_intx(void *port, bool asserted)
{
	struct libxen *l = port;

	/* INTA#; Xen routes it through the guest's PCI link. */
	return xendevicemodel_set_pci_intx_level(l->dmod, l->domid, l->segment, l->bus,
						 l->dev, 0, asserted) < 0 ? -errno : 0;
}

static int lx_track(void *port, uint64_t gfn, bool on)
{
	struct libxen *l = port;

	return xendevicemodel_set_mem_type(l->dmod, l->domid,
					   on ? HVMMEM_ioreq_server : HVMMEM_ram_rw,
					   gfn, 1) < 0 ? -errno : 0;
}

const struct gvt_xen_port_ops gvt_xen_libxen_ops = {
	.open = lx_open,
	.close = lx_close,
	.nr_vcpus = lx_nr_vcpus,
	.create_server = lx_create_server,
	.destroy_server = lx_destroy_server,
	.map_ioreq_pages = lx_map_ioreq_pages,
	.unmap_ioreq_pages = lx_unmap_ioreq_pages,
	.bind = lx_bind,
	.unbind = lx_unbind,
	.map_range = lx_map_range,
	.map_pcidev = lx_map_pcidev,
	.claim_mem_type = lx_claim_mem_type,
	.set_state = lx_set_state,
	.fd = lx_fd,
	.pending = lx_pending,
	.unmask = lx_unmask,
	.notify = lx_notify,
	.read_gpa = lx_read_gpa,
	.write_gpa = lx_write_gpa,
	.dma_map = lx_dma_map,
	.dma_unmap = lx_dma_unmap,
	.inject_msi = lx_inject_msi,
	.set_intx = lx_set_intx,
	.track = lx_track,
};
