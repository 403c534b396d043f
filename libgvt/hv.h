// SPDX-License-Identifier: MIT
/*
 * The only way core code calls the hypervisor: one wrapper per op, which
 * also handles the optional ops a transport may lack.
 */
#ifndef GVT_HV_H
#define GVT_HV_H

#include <errno.h>

#include "private.h"

static inline int gvt_hv_read_gpa(struct gvt_vgpu *vgpu, uint64_t gpa,
				  void *buf, size_t len)
{
	int ret = vgpu->hv_ops->read_gpa(vgpu->hv, gpa, buf, len);

	/* A register write being recorded: what it read goes in the trace.
	 * vgpu->trace first, so the scanner's reads pay no TLS look-up
	 * (a call, in a shared library) when nothing records. */
	if (unlikely(vgpu->trace) && gvt_trace_reader == vgpu && !ret)
		gvt_trace_guest_read(vgpu, gpa, len);
	return ret;
}

static inline int gvt_hv_write_gpa(struct gvt_vgpu *vgpu, uint64_t gpa,
				   const void *buf, size_t len)
{
	return vgpu->hv_ops->write_gpa(vgpu->hv, gpa, buf, len);
}

static inline int gvt_hv_dma_map(struct gvt_vgpu *vgpu, uint64_t gfn,
				 uint64_t size, uint64_t *bus_addr)
{
	return vgpu->hv_ops->dma_map(vgpu->hv, gfn, size, bus_addr);
}

static inline int gvt_hv_dma_unmap(struct gvt_vgpu *vgpu, uint64_t bus_addr,
				   uint64_t size)
{
	return vgpu->hv_ops->dma_unmap(vgpu->hv, bus_addr, size);
}

static inline int gvt_hv_inject_msi(struct gvt_vgpu *vgpu, uint64_t addr,
				    uint32_t data)
{
	return vgpu->hv_ops->inject_msi(vgpu->hv, addr, data);
}

static inline bool gvt_hv_has_page_track(const struct gvt_vgpu *vgpu)
{
	return vgpu->hv_ops->page_track_enable != NULL;
}

static inline int gvt_hv_page_track_enable(struct gvt_vgpu *vgpu,
					   uint64_t gfn)
{
	if (!vgpu->hv_ops->page_track_enable)
		return -EOPNOTSUPP;
	return vgpu->hv_ops->page_track_enable(vgpu->hv, gfn);
}

static inline int gvt_hv_page_track_disable(struct gvt_vgpu *vgpu,
					    uint64_t gfn)
{
	if (!vgpu->hv_ops->page_track_disable)
		return -EOPNOTSUPP;
	return vgpu->hv_ops->page_track_disable(vgpu->hv, gfn);
}

static inline bool gvt_hv_has_intx(const struct gvt_vgpu *vgpu)
{
	return vgpu->hv_ops->set_intx != NULL;
}

static inline int gvt_hv_set_intx(struct gvt_vgpu *vgpu, bool asserted)
{
	if (!vgpu->hv_ops->set_intx)
		return -EOPNOTSUPP;
	return vgpu->hv_ops->set_intx(vgpu->hv, asserted);
}

#endif /* GVT_HV_H */
