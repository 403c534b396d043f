// SPDX-License-Identifier: MIT
/*
 * A vGPU in the mini VMM's VM through the KVM shim: the sim GPU, one
 * GVTg_V5_4 vGPU, the shim attached to the VM's RAM, and the VMM acting
 * as firmware (BARs placed, decoding and bus mastering on). Shared by
 * tests/kvm/test_kvm.c and gvt-bench kvm.
 */
#ifndef GVT_KVM_VGPU_H
#define GVT_KVM_VGPU_H

#include <stdbool.h>
#include <stddef.h>

#include <gvt/gvt.h>
#include <gvt/gvt_kvm.h>

#include "vmm.h"

/* Where the firmware puts the BARs: below 4 GiB, above 3 GiB of RAM. */
#define KVM_VGPU_BAR0		0xe0000000ull
#define KVM_VGPU_BAR2		0xc0000000ull
/* Memslot ids the shim may use for page tracking: after the VMM's RAM. */
#define KVM_VGPU_TRACK_SLOT0	(VMM_RAM_SLOT + 1)
#define KVM_VGPU_TRACK_SLOTS	64u

/**
 * struct kvm_vgpu - the pieces, in creation order.
 */
struct kvm_vgpu {
	struct gvt_ctx *ctx;
	struct gvt_kvm *kvm;
	struct gvt_vgpu *vgpu;
	bool coalesced;			/* the shim was given the ring */
	bool tracking;			/* and memslots to track pages with */
	/* The shim's pause_vcpus calls: nothing to pause (one vCPU, the
	 * caller), but the test checks they come in pairs. */
	unsigned long pauses;
	int pause_depth;
	unsigned long pause_errors;	/* a pause inside a pause, or a
					 * resume without one */
	char last_err[256];		/* libgvt's or the shim's last error line */
};

/**
 * kvm_vgpu_open() - create the vGPU for @vmm's VM and play firmware.
 * @kv: filled.
 * @vmm: the VM.
 * @coalesce: hand the shim the VM's coalesced MMIO ring (when KVM has one).
 * @track: hand the shim the RAM's memslot and KVM_VGPU_TRACK_SLOTS free
 *	ids for page tracking. Its pause_vcpus only counts: the VM's one
 *	vCPU is the thread that calls the shim, so it is never inside
 *	KVM_RUN while a memslot changes.
 * @why: receives a reason on failure.
 * @why_len: its size.
 *
 * Return: 0 or -errno.
 */
int kvm_vgpu_open(struct kvm_vgpu *kv, struct vmm *vmm, bool coalesce,
		  bool track, char *why, size_t why_len);

/** kvm_vgpu_close() - destroy what kvm_vgpu_open() made. */
void kvm_vgpu_close(struct kvm_vgpu *kv);

/**
 * kvm_vgpu_exit() - give one exit to the shim.
 * @kv: the vGPU.
 * @e: the exit.
 *
 * Return: 1 if it was the vGPU's and is done, 0 if not, -errno if the shim
 * refused it.
 */
int kvm_vgpu_exit(struct kvm_vgpu *kv, const struct vmm_exit *e);

#endif /* GVT_KVM_VGPU_H */
