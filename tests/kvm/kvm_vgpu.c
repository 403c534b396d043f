// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_vgpu.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_BAR0		0x10
#define PCI_BAR2		0x18

/* Keep the last error line for the test's message; print everything when
 * GVT_KVM_LOG is set. */
static void on_log(void *opaque, int level, const char *msg)
{
	struct kvm_vgpu *kv = opaque;

	if (getenv("GVT_KVM_LOG"))
		fprintf(stderr, "log[%d]: %s\n", level, msg);
	if (level <= GVT_LOG_WARNING)
		snprintf(kv->last_err, sizeof(kv->last_err), "%s", msg);
}

static void on_pause(void *opaque, bool pause)
{
	struct kvm_vgpu *kv = opaque;

	kv->pause_depth += pause ? 1 : -1;
	if (kv->pause_depth != (pause ? 1 : 0))
		kv->pause_errors++;
	kv->pauses += pause;
}

static int cfg_write32(struct kvm_vgpu *kv, uint32_t off, uint32_t v)
{
	return gvt_kvm_cfg(kv->kvm, off, &v, 4, true);
}

/* What firmware does before the OS: BARs placed, decoding on. */
static int firmware(struct kvm_vgpu *kv)
{
	uint16_t cmd = 0;
	int ret;

	ret = cfg_write32(kv, PCI_BAR0, (uint32_t)KVM_VGPU_BAR0);
	ret = ret ? ret : cfg_write32(kv, PCI_BAR0 + 4, (uint32_t)(KVM_VGPU_BAR0 >> 32));
	ret = ret ? ret : cfg_write32(kv, PCI_BAR2, (uint32_t)KVM_VGPU_BAR2);
	ret = ret ? ret : cfg_write32(kv, PCI_BAR2 + 4, (uint32_t)(KVM_VGPU_BAR2 >> 32));
	ret = ret ? ret : gvt_kvm_cfg(kv->kvm, PCI_COMMAND, &cmd, 2, false);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	return ret ? ret : gvt_kvm_cfg(kv->kvm, PCI_COMMAND, &cmd, 2, true);
}

int kvm_vgpu_open(struct kvm_vgpu *kv, struct vmm *vmm, bool coalesce,
		  bool track, char *why, size_t why_len)
{
	struct gvt_ctx_params cp = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = on_log,
		.log_opaque = kv,
	};
	struct gvt_kvm_mem mem = {
		.gpa = 0,
		.size = vmm_ram_size(vmm),
		.host = vmm_ram(vmm, 0),
		.slot = VMM_RAM_SLOT,
	};
	struct gvt_kvm_params kp = {
		.vm_fd = vmm_vm_fd(vmm),
		.mem = &mem,
		.nr_mem = 1,
		.coalesced_ring = coalesce ? vmm_coalesced_ring(vmm) : NULL,
		.intx_gsi = -1,
		.log_fn = on_log,
		.log_opaque = kv,
		.track_slot_first = KVM_VGPU_TRACK_SLOT0,
		.track_slots = track ? KVM_VGPU_TRACK_SLOTS : 0,
		.pause_vcpus = on_pause,
		.pause_opaque = kv,
	};
	const char *what;
	int ret;

	memset(kv, 0, sizeof(*kv));
	kv->coalesced = kp.coalesced_ring != NULL;
	kv->tracking = track;
	what = "gvt_ctx_create";
	ret = gvt_ctx_create(&cp, &kv->ctx);
	if (!ret) {
		what = "gvt_kvm_create";
		ret = gvt_kvm_create(&kp, &kv->kvm);
	}
	if (!ret) {
		what = "gvt_vgpu_create";
		ret = gvt_vgpu_create(kv->ctx, "GVTg_V5_4", gvt_kvm_hv_ops(kv->kvm),
				      kv->kvm, &kv->vgpu);
	}
	if (!ret) {
		what = "gvt_kvm_attach";
		ret = gvt_kvm_attach(kv->kvm, kv->vgpu);
	}
	if (!ret) {
		what = "firmware's config writes";
		ret = firmware(kv);
	}
	if (ret) {
		snprintf(why, why_len, "%s: %s%s%s", what, strerror(-ret),
			 kv->last_err[0] ? "; last log: " : "", kv->last_err);
		kvm_vgpu_close(kv);
	}
	return ret;
}

void kvm_vgpu_close(struct kvm_vgpu *kv)
{
	gvt_vgpu_destroy(kv->vgpu);
	gvt_kvm_destroy(kv->kvm);
	gvt_ctx_destroy(kv->ctx);
	kv->vgpu = NULL;
	kv->kvm = NULL;
	kv->ctx = NULL;
}

int kvm_vgpu_exit(struct kvm_vgpu *kv, const struct vmm_exit *e)
{
	switch (e->kind) {
	case VMM_EXIT_MMIO:
		return gvt_kvm_mmio(kv->kvm, e->addr, e->data, e->len,
				    e->is_write);
	case VMM_EXIT_PIO:
		return gvt_kvm_pio(kv->kvm, (uint16_t)e->addr, e->data, e->len,
				   e->is_write);
	default:
		return 0;
	}
}
