// SPDX-License-Identifier: MIT
/*
 * kvm.driver: a real vCPU on /dev/kvm drives a vGPU through the KVM shim.
 * The guest (guest.c) reads PVINFO, maps its pages through GGTT entries,
 * builds a ring and a context, submits through the ELSP and checks the
 * CSB events and the value the GPU stored in its RAM; then it submits in
 * a loop with nothing but ELSP writes between submissions, and this side
 * checks the shim's counters over that loop: four ELSP writes per
 * submission, and with the coalesced ring at most one exit per submission.
 * All of it twice: with the ring, and with coalesced_ring = NULL.
 *
 * Exit 77 (skip) when /dev/kvm is absent or unusable here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guest_abi.h"
#include "kvm_vgpu.h"
#include "vmm.h"

#define RAM_SIZE	(16ull << 20)
#define DRIVER_RUNS	8
#define SUBMITS		64
#define TIMEOUT_MS	30000
#define SKIP		77

struct run {
	const char *name;
	struct vmm *vmm;
	struct kvm_vgpu kv;
	struct gvt_kvm_stats at_begin, at_end;	/* around the ELSP loop */
	uint32_t result;			/* enum guest_result, 0 before */
	char err[512];
};

static const char *const steps[] = {
	[GUEST_STEP_START] = "start",
	[GUEST_STEP_PVINFO] = "PVINFO",
	[GUEST_STEP_SCRATCH] = "scratch register",
	[GUEST_STEP_GGTT] = "GGTT programming",
	[GUEST_STEP_ENGINE] = "engine setup",
	[GUEST_STEP_DRIVER] = "driver submissions",
	[GUEST_STEP_LOOPS] = "register loops",
	[GUEST_STEP_SUBMITS] = "ELSP loop",
};

static int on_exit_fn(void *opaque, const struct vmm_exit *e)
{
	struct run *r = opaque;
	uint32_t v = 0;
	int ret;

	if (e->kind == VMM_EXIT_HLT) {
		snprintf(r->err, sizeof(r->err), "the guest halted without reporting");
		return -EIO;
	}
	ret = kvm_vgpu_exit(&r->kv, e);
	if (ret == 1)
		return 0;
	if (ret < 0) {
		snprintf(r->err, sizeof(r->err), "the shim refused a %u-byte %s at 0x%llx: %s",
			 e->len, e->is_write ? "write" : "read",
			 (unsigned long long)e->addr, strerror(-ret));
		return ret;
	}
	if (e->kind == VMM_EXIT_PIO && e->is_write && e->len == 4)
		memcpy(&v, e->data, 4);
	if (e->kind == VMM_EXIT_PIO && e->addr == GUEST_PORT_MARK && e->len == 4) {
		if (v == GUEST_MARK_SUBMITS_BEGIN)
			gvt_kvm_get_stats(r->kv.kvm, &r->at_begin);
		else if (v == GUEST_MARK_SUBMITS_END)
			gvt_kvm_get_stats(r->kv.kvm, &r->at_end);
		return 0;
	}
	if (e->kind == VMM_EXIT_PIO && e->addr == GUEST_PORT_DONE && e->len == 4) {
		r->result = v;
		return 1;
	}
	snprintf(r->err, sizeof(r->err), "the guest %s %u bytes at %s 0x%llx, which is neither RAM nor the vGPU's",
		 e->is_write ? "wrote" : "read", e->len,
		 e->kind == VMM_EXIT_MMIO ? "address" : "port",
		 (unsigned long long)e->addr);
	return -EIO;
}

static int fail(struct run *r, const char *fmt, const char *what)
{
	fprintf(stderr, "kvm.driver: %s: ", r->name);
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	if (r->kv.last_err[0])
		fprintf(stderr, "kvm.driver: %s: last libgvt/shim error: %s\n",
			r->name, r->kv.last_err);
	return 1;
}

/* The counters over the ELSP loop, against what the guest did; every
 * mismatch is reported, not only the first. */
static int check_stats(struct run *r)
{
	uint64_t exits = r->at_end.exits - r->at_begin.exits;
	uint64_t elsp = r->at_end.elsp_writes - r->at_begin.elsp_writes;
	uint64_t coalesced = r->at_end.coalesced - r->at_begin.coalesced;
	char msg[256];
	int status = 0;

	if (r->kv.coalesced && exits > SUBMITS) {
		snprintf(msg, sizeof(msg), "%.2f exits per ELSP submission with the coalesced ring (%llu exits, %llu coalesced, %u submissions), expected at most 1",
			 (double)exits / SUBMITS, (unsigned long long)exits,
			 (unsigned long long)coalesced, SUBMITS);
		status = fail(r, "%s", msg);
	}
	if (!r->kv.coalesced && (exits != 4ull * SUBMITS || coalesced)) {
		snprintf(msg, sizeof(msg), "without the coalesced ring: %llu exits and %llu coalesced writes over %u submissions, expected %u and 0",
			 (unsigned long long)exits, (unsigned long long)coalesced,
			 SUBMITS, 4 * SUBMITS);
		status = fail(r, "%s", msg);
	}
	/* gvt_kvm.h: ELSP writes are counted with or without an exit. */
	if (elsp != 4ull * SUBMITS) {
		snprintf(msg, sizeof(msg), "gvt_kvm_stats.elsp_writes grew by %llu over %u submissions, expected %u (every ELSP write, exit or not)",
			 (unsigned long long)elsp, SUBMITS, 4 * SUBMITS);
		status = fail(r, "%s", msg);
	}
	if (!status)
		printf("kvm.driver: %s: %u submissions, %.2f exits each, %llu ELSP writes coalesced\n",
		       r->name, SUBMITS, (double)exits / SUBMITS,
		       (unsigned long long)coalesced);
	return status;
}

/* Return 0 passed, 1 failed, SKIP. */
static int run_one(struct run *r, bool coalesce)
{
	struct vmm_params vp = {
		.ram_size = RAM_SIZE,
		.elf = vmm_guest_elf,
		.elf_size = (size_t)(vmm_guest_elf_end - vmm_guest_elf),
	};
	volatile struct guest_mbox *mb;
	struct gvt_vgpu_info info;
	char why[256];
	int ret, status = 1;

	ret = vmm_create(&vp, &r->vmm, why, sizeof(why));
	if (ret == -ENODEV) {
		printf("kvm.driver: skipped: KVM unusable here: %s\n", why);
		return SKIP;
	}
	if (ret)
		return fail(r, "VMM: %s", why);
	if (coalesce && !vmm_coalesced_ring(r->vmm))
		printf("kvm.driver: %s: KVM has no coalesced MMIO: running without\n",
		       r->name);
	if (kvm_vgpu_open(&r->kv, r->vmm, coalesce, why, sizeof(why))) {
		status = fail(r, "vGPU: %s", why);
		goto out_vmm;
	}
	mb = vmm_ram(r->vmm, GUEST_MBOX_GPA);
	mb->magic = GUEST_MBOX_MAGIC;
	mb->todo = GUEST_DO_SETUP | GUEST_DO_DRIVER | GUEST_DO_SUBMITS;
	mb->bar0 = KVM_VGPU_BAR0;
	mb->driver_runs = DRIVER_RUNS;
	mb->submits = SUBMITS;

	ret = vmm_run(r->vmm, on_exit_fn, r, TIMEOUT_MS, why, sizeof(why));
	if (ret < 0) {
		char msg[1024];
		unsigned int step = mb->step;

		snprintf(msg, sizeof(msg), "%s (guest at step '%s', %u of %u submissions completed)",
			 r->err[0] ? r->err : why,
			 step < sizeof(steps) / sizeof(steps[0]) && steps[step] ?
				 steps[step] : "?",
			 mb->completed, mb->submitted);
		status = fail(r, "%s", msg);
		goto out_vgpu;
	}
	if (r->result != GUEST_OK) {
		char msg[1024];
		unsigned int step = mb->step;

		snprintf(msg, sizeof(msg), "guest failed at step '%s': %s: got 0x%llx, expected 0x%llx",
			 step < sizeof(steps) / sizeof(steps[0]) && steps[step] ?
				 steps[step] : "?",
			 (const char *)mb->why, (unsigned long long)mb->got,
			 (unsigned long long)mb->want);
		status = fail(r, "%s", msg);
		goto out_vgpu;
	}
	if (mb->completed != DRIVER_RUNS + SUBMITS) {
		snprintf(why, sizeof(why), "the guest completed %u submissions, expected %u",
			 mb->completed, DRIVER_RUNS + SUBMITS);
		status = fail(r, "%s", why);
		goto out_vgpu;
	}
	if (gvt_vgpu_get_info(r->kv.vgpu, &info) || info.failsafe) {
		status = fail(r, "the vGPU entered failsafe: %s", info.failsafe_reason);
		goto out_vgpu;
	}
	status = check_stats(r);
out_vgpu:
	kvm_vgpu_close(&r->kv);
out_vmm:
	vmm_destroy(r->vmm);
	return status;
}

int main(void)
{
	struct run runs[2] = {
		{ .name = "coalesced" },
		{ .name = "no-coalescing" },
	};
	int status = 0;

	for (unsigned int i = 0; i < 2; i++) {
		int ret = run_one(&runs[i], i == 0);

		if (ret == SKIP)
			return SKIP;
		status |= ret;
	}
	if (!status)
		printf("kvm.driver: passed\n");
	return status;
}
