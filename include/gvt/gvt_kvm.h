// SPDX-License-Identifier: MIT
/*
 * The KVM shim: libgvt inside a device model that owns a KVM VM (QEMU, a
 * custom VMM). The device model keeps running its vCPUs; on each exit that
 * lands in the vGPU (an MMIO exit in one of its BARs, a port access to
 * BAR4, a PCI config cycle it decodes) it calls the shim, which calls
 * libgvt. Guest memory is the device model's own mapping of guest RAM,
 * which it describes once. MSIs go straight into KVM (KVM_SIGNAL_MSI),
 * INTx through KVM_IRQ_LINE.
 *
 * Page tracking: given the memslots behind guest RAM and some free slot
 * ids, the shim write-protects the guest's GPU page tables with read-only
 * memslots. A guest write to one exits as KVM_EXIT_MMIO at a RAM address;
 * gvt_kvm_mmio() performs it through libgvt, which updates its shadow
 * there and then, instead of comparing every table at each submission.
 *
 * Fewer exits: given the VM's coalesced MMIO ring, the shim lets the
 * first three of the four ELSP writes of a submission land in the ring
 * without an exit, and only the fourth, the one that submits, exits
 * (docs/kvm.md says how, and which registers and why).
 *
 * Threading: gvt_kvm_mmio(), gvt_kvm_pio(), gvt_kvm_cfg() and
 * gvt_kvm_flush() may be called from any vCPU thread; the shim serialises
 * them. The hypervisor ops are called by libgvt (see gvt_hv.h).
 */
#ifndef GVT_GVT_KVM_H
#define GVT_GVT_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>
#include <gvt/gvt_hv.h>

#ifdef __cplusplus
extern "C" {
#endif

/** struct gvt_kvm - one vGPU's attachment to one KVM VM (opaque). */
struct gvt_kvm;

/**
 * gvt_kvm_hv_ops() - the hypervisor operations to create @kvm's vGPU with;
 * the handle is @kvm. They include page tracking when @kvm does it.
 * @kvm: the attachment.
 *
 * Return: static operations (never NULL for a valid @kvm), or NULL for a
 * NULL @kvm.
 */
const struct gvt_hv_ops *gvt_kvm_hv_ops(const struct gvt_kvm *kvm);

/**
 * struct gvt_kvm_mem - one range of guest RAM as the device model maps it.
 * @gpa: first guest-physical address, page aligned.
 * @size: bytes, a whole number of pages.
 * @host: where the device model maps it (the userspace_addr of its
 *	memslot); the shim reads and writes guest memory here, and the sim
 *	GPU's DMA goes here. Page aligned when the shim tracks pages.
 * @slot: with page tracking, the id of the KVM memslot that holds exactly
 *	this range (KVM_SET_USER_MEMORY_REGION's slot, address space 0).
 *	Unused otherwise.
 * @slot_flags: with page tracking, that memslot's flags: 0 or
 *	KVM_MEM_LOG_DIRTY_PAGES, which the pieces keep. Unused otherwise.
 */
struct gvt_kvm_mem {
	uint64_t gpa;
	uint64_t size;
	void *host;
	uint32_t slot;
	uint32_t slot_flags;
};

/** GVT_KVM_MEM_MAX - the most RAM ranges one attachment takes. */
#define GVT_KVM_MEM_MAX 16

/**
 * struct gvt_kvm_params - how to attach.
 * @vm_fd: the VM (KVM_CREATE_VM); the shim uses it for KVM_SIGNAL_MSI,
 *	KVM_IRQ_LINE and coalesced MMIO zones, never closes it.
 * @mem: guest RAM, @nr_mem ranges (at most GVT_KVM_MEM_MAX), disjoint.
 * @nr_mem: how many.
 * @coalesced_ring: the VM's coalesced MMIO ring (the page at
 *	KVM_COALESCED_MMIO_PAGE_OFFSET of a vCPU's kvm_run mapping), or NULL
 *	for no coalescing (every ELSP write exits). The shim then owns the
 *	ring: the device model must register no coalesced zones of its own.
 * @intx_gsi: the GSI of the vGPU's INTA# for KVM_IRQ_LINE (the VM needs an
 *	in-kernel irqchip), or -1 for no INTx.
 * @log_fn: where the shim's own messages go (the library's sink type);
 *	NULL for none.
 * @log_opaque: passed to @log_fn.
 * @track_slot_first: with @track_slots, the first of the memslot ids the
 *	shim may create; the device model uses none of
 *	[@track_slot_first, @track_slot_first + @track_slots).
 * @track_slots: 0 for no page tracking (libgvt then re-validates its
 *	shadow page tables at each submission). Otherwise the shim owns the
 *	memslots of @mem from gvt_kvm_attach() to gvt_kvm_destroy(), which
 *	gives them back as they were: the device model must not change them
 *	meanwhile. Tracking a page splits its range's memslot into up to
 *	three (before it, the read-only page or run of pages, after it), so
 *	every tracked page may cost up to two ids; when they run out, libgvt
 *	falls back to re-validating. Needs KVM_CAP_READONLY_MEM; without it
 *	the shim logs why and tracks nothing.
 * @pause_vcpus: optional, with page tracking. Changing a memslot is a
 *	delete and a create, and between the two a vCPU that touches the
 *	range exits as for MMIO. The shim performs data accesses in such a
 *	hole itself (gvt_kvm_mmio()), but KVM cannot fetch instructions
 *	there. A device model with more than one vCPU should therefore give
 *	this: called with true before a change (return once no other vCPU
 *	is inside KVM_RUN; the caller may itself be a vCPU thread inside a
 *	gvt_kvm_*() call, and another vCPU thread may be waiting inside one:
 *	do not wait for those to return) and with false after it.
 * @pause_opaque: passed to @pause_vcpus.
 */
struct gvt_kvm_params {
	int vm_fd;
	const struct gvt_kvm_mem *mem;
	unsigned int nr_mem;
	void *coalesced_ring;
	int intx_gsi;
	gvt_log_fn *log_fn;
	void *log_opaque;
	uint32_t track_slot_first;
	uint32_t track_slots;
	void (*pause_vcpus)(void *opaque, bool pause);
	void *pause_opaque;
};

/**
 * gvt_kvm_create() - an attachment, before its vGPU exists.
 * @params: how.
 * @out: receives it.
 *
 * Then create the vGPU with gvt_kvm_hv_ops(attachment) and the attachment
 * as its handle, and gvt_kvm_attach() it.
 *
 * Return: 0, -EINVAL for bad parameters (no VM, no RAM, ranges unaligned
 * or overlapping; with page tracking, slot ids repeated, in the free
 * range, or beyond what KVM has, or flags other than
 * KVM_MEM_LOG_DIRTY_PAGES), -ENOMEM.
 */
GVT_MUST_CHECK int gvt_kvm_create(const struct gvt_kvm_params *params,
				  struct gvt_kvm **out);

/**
 * gvt_kvm_attach() - give the attachment its vGPU.
 * @kvm: the attachment.
 * @vgpu: created with gvt_kvm_hv_ops(@kvm) and @kvm as its handle.
 *
 * Return: 0, -EINVAL if @vgpu is NULL, -EBUSY if one is attached already.
 */
GVT_MUST_CHECK int gvt_kvm_attach(struct gvt_kvm *kvm,
				  struct gvt_vgpu *vgpu);

/**
 * gvt_kvm_destroy() - remove the coalesced zones, give the RAM memslots
 * back as the device model made them, and free the attachment.
 * @kvm: the attachment, or NULL. Destroy its vGPU first.
 */
void gvt_kvm_destroy(struct gvt_kvm *kvm);

/**
 * gvt_kvm_mmio() - a KVM_EXIT_MMIO: the vGPU's if it falls in BAR0 or BAR2,
 * or, with page tracking, in guest RAM.
 * @kvm: the attachment.
 * @gpa: run->mmio.phys_addr.
 * @data: run->mmio.data: the bytes written, or where the bytes read go.
 * @len: run->mmio.len (1, 2, 4 or 8).
 * @is_write: run->mmio.is_write.
 *
 * Writes the guest left in the coalesced ring are applied first, in order.
 * BARs decode only while the guest has memory decoding on (PCI_COMMAND).
 * With page tracking, an access in guest RAM is a write to a tracked page
 * (handed to gvt_vgpu_page_write(), which performs it) or an access that
 * fell into a memslot being changed (performed on the host mapping).
 *
 * Return: 1 if the access was the vGPU's and is done (for a read, @data
 * holds the value), 0 if it is not the vGPU's (the device model handles
 * it), or -errno (-EINVAL for a bad length; the access is then dropped, a
 * read returns all ones).
 */
GVT_MUST_CHECK int gvt_kvm_mmio(struct gvt_kvm *kvm, uint64_t gpa,
				void *data, uint32_t len,
				bool is_write);

/**
 * gvt_kvm_pio() - a KVM_EXIT_IO: the vGPU's if it falls in BAR4.
 * @kvm: the attachment.
 * @port: run->io.port.
 * @data: the bytes (run + run->io.data_offset), one access of @len.
 * @len: run->io.size (1, 2 or 4).
 * @is_write: run->io.direction == KVM_EXIT_IO_OUT.
 *
 * Return: as gvt_kvm_mmio(). A string instruction (run->io.count > 1) is
 * one call per element.
 */
GVT_MUST_CHECK int gvt_kvm_pio(struct gvt_kvm *kvm, uint16_t port,
			       void *data, uint32_t len,
			       bool is_write);

/**
 * gvt_kvm_cfg() - a PCI configuration access the device model decoded for
 * the vGPU's function.
 * @kvm: the attachment.
 * @offset: byte offset in config space.
 * @data: the bytes.
 * @len: 1, 2 or 4.
 * @is_write: true for a write.
 *
 * After a write the shim re-reads the BARs and the command register, and
 * moves its coalesced zone when BAR0 moved or decoding changed.
 *
 * Return: 0 or -errno (-EINVAL for a bad offset or length).
 */
GVT_MUST_CHECK int gvt_kvm_cfg(struct gvt_kvm *kvm, uint32_t offset,
			       void *data, uint32_t len,
			       bool is_write);

/**
 * gvt_kvm_flush() - apply the writes waiting in the coalesced ring.
 * @kvm: the attachment.
 *
 * gvt_kvm_mmio() does this itself before each access; a device model calls
 * it where it wants the vGPU up to date without an access of its own (a
 * vCPU stopping, migration).
 *
 * Return: how many writes were applied, or -errno.
 */
int gvt_kvm_flush(struct gvt_kvm *kvm);

/**
 * struct gvt_kvm_stats - what the attachment counted since it was created.
 * @exits: accesses that reached the shim as exits (gvt_kvm_mmio(),
 *	gvt_kvm_pio() and gvt_kvm_cfg() calls that were the vGPU's).
 * @mmio_exits: of which MMIO (BAR0, BAR2).
 * @coalesced: writes taken from the coalesced ring: accesses with no exit.
 * @elsp_writes: ELSP writes, with or without an exit.
 * @libgvt_ns: nanoseconds inside libgvt for all of these.
 * @msi: MSIs signalled; @msi_errors of them KVM refused.
 * @intx: INTx level changes; @intx_errors of them KVM refused.
 * @tracked_writes: guest writes to tracked pages handed to libgvt.
 * @ram_exits: other accesses to guest RAM that exited (a memslot was
 *	being changed).
 * @pages_tracked: pages write-protected now.
 * @slot_updates: KVM_SET_USER_MEMORY_REGION calls for page tracking.
 * @track_errors: track or untrack requests refused (no RAM there, no
 *	free slot id, KVM refused).
 */
struct gvt_kvm_stats {
	uint64_t exits;
	uint64_t mmio_exits;
	uint64_t coalesced;
	uint64_t elsp_writes;
	uint64_t libgvt_ns;
	uint64_t msi;
	uint64_t msi_errors;
	uint64_t intx;
	uint64_t intx_errors;
	uint64_t tracked_writes;
	uint64_t ram_exits;
	uint64_t pages_tracked;
	uint64_t slot_updates;
	uint64_t track_errors;
};

/**
 * gvt_kvm_get_stats() - copy the attachment's counters.
 * @kvm: the attachment.
 * @out: receives them.
 */
void gvt_kvm_get_stats(struct gvt_kvm *kvm,
		       struct gvt_kvm_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* GVT_GVT_KVM_H */
