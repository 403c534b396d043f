// SPDX-License-Identifier: MIT
/*
 * What a hypervisor provides to libgvt: one const table per transport
 * (vfio-user, KVM, Xen, and the mock in tests/). It holds only what differs
 * between hypervisors; everything else lives in the hypervisor-neutral core.
 *
 * Every op takes the shim's opaque handle first, the one passed to
 * gvt_vgpu_create(). Ops return 0 or a negative errno. libgvt calls most of
 * them from the vGPU's caller-serialised context (see gvt.h, "Threading").
 * Three are also called from libgvt's own GPU thread, when a workload
 * completes: @read_gpa, @write_gpa (the guest's context image and status
 * page) and @inject_msi. A shim must allow those from any thread; the
 * GPU thread calls them for one vGPU at a time, under that vGPU's lock.
 */
#ifndef GVT_GVT_HV_H
#define GVT_GVT_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * GVT_HV_OPS_VERSION - the layout of struct gvt_hv_ops this header describes.
 *
 * gvt_vgpu_create() refuses a table whose version differs, so a shim built
 * against another layout fails loudly instead of calling the wrong slot.
 */
#define GVT_HV_OPS_VERSION 2u

/** GVT_HV_PAGE_SIZE - the guest frame size every gfn below refers to. */
#define GVT_HV_PAGE_SIZE 4096u

/**
 * struct gvt_hv_ops - the hypervisor seam.
 * @version: must be GVT_HV_OPS_VERSION.
 * @read_gpa: copy @len bytes of guest-physical memory at @gpa into @buf.
 *	Return: 0, or -EFAULT if any byte lies outside guest RAM.
 * @write_gpa: copy @len bytes from @buf to guest-physical memory at @gpa.
 *	Return: 0, or -EFAULT if any byte lies outside guest RAM.
 * @dma_map: make the guest frame range [@gfn, @gfn + @size / 4096) usable by
 *	the physical GPU and store its bus address in *@bus_addr. The range must
 *	stay valid until the matching @dma_unmap. For the sim GPU the bus
 *	address is the host virtual address of the frame (vfio-user: inside a
 *	DMA_MAP'd region; KVM: inside a memslot; Xen: a foreign mapping); a real
 *	GPU backend would receive an IOMMU address. @size is 4096, or 2 MiB
 *	for a guest 2 MiB PPGTT page: libgvt keeps such a page whole when the
 *	range maps in one piece at a 2 MiB-aligned bus address, and splits it
 *	into 4 KiB mappings when this op fails. libgvt maps a frame once
 *	however many GTT entries use it; mapping the same frame twice must
 *	still yield two independent mappings (each is unmapped once).
 *	Return: 0, or -EFAULT if the range is not guest RAM, or another -errno.
 * @dma_unmap: release a mapping made by @dma_map; @bus_addr and @size are
 *	exactly what @dma_map returned and was given. Return: 0 or -errno.
 * @inject_msi: deliver one MSI with the address and data the guest
 *	programmed into the vGPU's MSI capability. libgvt calls it once per
 *	interrupt edge, only while the guest has MSI and bus mastering enabled.
 *	Return: 0 or -errno (counted in the vGPU's statistics, then forgotten:
 *	hardware cannot retry a lost MSI either).
 * @page_track_enable: optional. Write-protect guest frame @gfn: from now on
 *	the guest's writes to it must not reach memory; the shim reports each
 *	one through gvt_vgpu_page_write(), which performs it. KVM implements
 *	this with a read-only memslot, Xen with HVMMEM_ioreq_server; vfio-user
 *	has no such facility and leaves both page_track ops NULL (libgvt then
 *	re-validates at submission time). Return: 0 or -errno.
 * @page_track_disable: optional, present if and only if @page_track_enable
 *	is. Undo @page_track_enable for @gfn. Return: 0 or -errno.
 * @set_intx: optional. The vGPU's legacy interrupt line (INTA#) changed
 *	level: @asserted is true when it rose, false when it fell. libgvt
 *	drives the line only while the guest has MSI off and INTx enabled
 *	(PCI_COMMAND bit 10 clear); with MSI on, interrupts go through
 *	@inject_msi. Called once per change. A transport without INTx leaves
 *	it NULL and its guests must use MSI. Return: 0 or -errno (counted in
 *	the vGPU's statistics; the next change is delivered regardless).
 */
struct gvt_hv_ops {
	uint32_t version;
	int (*read_gpa)(void *hv, uint64_t gpa, void *buf, size_t len);
	int (*write_gpa)(void *hv, uint64_t gpa, const void *buf, size_t len);
	int (*dma_map)(void *hv, uint64_t gfn, uint64_t size,
		       uint64_t *bus_addr);
	int (*dma_unmap)(void *hv, uint64_t bus_addr, uint64_t size);
	int (*inject_msi)(void *hv, uint64_t addr, uint32_t data);
	int (*page_track_enable)(void *hv, uint64_t gfn);
	int (*page_track_disable)(void *hv, uint64_t gfn);
	int (*set_intx)(void *hv, bool asserted);
};

#ifdef __cplusplus
}
#endif

#endif /* GVT_GVT_HV_H */
