// SPDX-License-Identifier: MIT
/*
 * kvm.driver: a real vCPU on /dev/kvm drives a vGPU through the KVM shim.
 * The guest (guest.c) reads PVINFO, maps its pages through GGTT entries,
 * builds a ring and a context, submits through the ELSP and checks the
 * CSB events and the value the GPU stored in its RAM; then it submits in
 * a loop with nothing but ELSP writes between submissions, and this side
 * checks the shim's counters over that loop: four ELSP writes per
 * submission, and with the coalesced ring at most one exit per submission.
 * Between the two, it edits a PPGTT the way i915 moves an object (a PTE
 * pointed at another page) and checks the GPU's stores follow.
 * All of it twice: with the ring and page tracking through read-only
 * memslots (page-table writes exit and reach libgvt), and with neither
 * (libgvt compares its shadows at each submission). With tracking, it
 * also hands the shim RAM accesses as a memslot change would, and checks
 * that no page stays tracked once the vGPU is gone.
 *
 * Exit 77 (skip) when /dev/kvm is absent or unusable here.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "guest_abi.h"
#include "kvm_vgpu.h"
#include "vmm.h"

#define RAM_SIZE	(16ull << 20)
#define DRIVER_RUNS	8
#define PPGTT_RUNS	2	/* submissions of ppgtt_moves() in guest.c */
#define SUBMITS		64
#define TIMEOUT_MS	30000
#define SKIP		77

struct run {
	const char *name;
	bool coalesce, track;
	struct vmm *vmm;
	struct kvm_vgpu kv;
	struct gvt_kvm_stats at_begin, at_end;	/* around the ELSP loop */
	struct gvt_kvm_stats pt_begin, pt_end;	/* around the PPGTT edits */
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
	[GUEST_STEP_PPGTT] = "PPGTT edits",
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
		else if (v == GUEST_MARK_PPGTT_BEGIN)
			gvt_kvm_get_stats(r->kv.kvm, &r->pt_begin);
		else if (v == GUEST_MARK_PPGTT_END)
			gvt_kvm_get_stats(r->kv.kvm, &r->pt_end);
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

/*
 * The PPGTT edits: with tracking, every write to a table the vGPU shadows
 * exits and reaches libgvt (the root, and the PTE once the PT is
 * shadowed), and each one libgvt counts came from the shim; without,
 * none exits and no memslot changes.
 */
static int check_tracking(struct run *r)
{
	uint64_t tracked = r->pt_end.tracked_writes - r->pt_begin.tracked_writes;
	struct gvt_vgpu_stats vs;
	char msg[256];
	int status = 0;

	if (gvt_vgpu_get_stats(r->kv.vgpu, &vs))
		return fail(r, "%s", "gvt_vgpu_get_stats failed");
	if (vs.page_writes != r->pt_end.tracked_writes) {
		snprintf(msg, sizeof(msg), "libgvt counted %llu page writes, the shim handed it %llu",
			 (unsigned long long)vs.page_writes,
			 (unsigned long long)r->pt_end.tracked_writes);
		status = fail(r, "%s", msg);
	}
	if (r->pt_end.track_errors) {
		snprintf(msg, sizeof(msg), "%llu track requests refused",
			 (unsigned long long)r->pt_end.track_errors);
		status = fail(r, "%s", msg);
	}
	if (r->kv.tracking && (tracked < 2 || r->pt_end.pages_tracked < 4)) {
		snprintf(msg, sizeof(msg), "with page tracking: %llu page-table writes reached libgvt (expected the root's and the moved PTE's at least), %llu pages tracked (expected the 4 tables at least)",
			 (unsigned long long)tracked,
			 (unsigned long long)r->pt_end.pages_tracked);
		status = fail(r, "%s", msg);
	}
	if (!r->kv.tracking && (r->pt_end.tracked_writes || r->pt_end.slot_updates ||
				r->pt_end.pages_tracked)) {
		snprintf(msg, sizeof(msg), "without page tracking: %llu tracked writes, %llu memslot updates, %llu pages tracked, expected none",
			 (unsigned long long)r->pt_end.tracked_writes,
			 (unsigned long long)r->pt_end.slot_updates,
			 (unsigned long long)r->pt_end.pages_tracked);
		status = fail(r, "%s", msg);
	}
	if (!status)
		printf("kvm.driver: %s: PPGTT edits: %llu page-table writes reached libgvt, %llu pages tracked, %llu memslot updates\n",
		       r->name, (unsigned long long)tracked,
		       (unsigned long long)r->pt_end.pages_tracked,
		       (unsigned long long)r->pt_end.slot_updates);
	return status;
}

/*
 * Accesses to RAM handed to the shim as KVM would while a memslot is
 * replaced (a vCPU touching the range in between exits as for MMIO): a
 * read and a write go to memory; a write to the tracked root goes to
 * libgvt, which performs it.
 */
static int check_ram_exits(struct run *r, uint64_t pml4)
{
	struct gvt_kvm_stats before, after;
	uint64_t got = 0, put = 0x1122334455667788ull, entry, *ram;
	struct gvt_vgpu_stats vs0, vs1;
	int status = 0;

	gvt_kvm_get_stats(r->kv.kvm, &before);
	if (gvt_vgpu_get_stats(r->kv.vgpu, &vs0))
		return fail(r, "%s", "gvt_vgpu_get_stats failed");
	if (gvt_kvm_mmio(r->kv.kvm, GUEST_MBOX_GPA, &got, 4, false) != 1 ||
	    (uint32_t)got != GUEST_MBOX_MAGIC)
		status = fail(r, "%s", "a RAM read the shim performed did not return the mailbox's magic");
	ram = vmm_ram(r->vmm, GUEST_STACK_TOP);	/* below: the stack, unused now */
	if (gvt_kvm_mmio(r->kv.kvm, GUEST_STACK_TOP - 8, &put, 8, true) != 1 ||
	    ram[-1] != put)
		status = fail(r, "%s", "a RAM write the shim performed did not reach memory");
	entry = *(uint64_t *)vmm_ram(r->vmm, pml4);
	if (gvt_kvm_mmio(r->kv.kvm, pml4, &entry, 8, true) != 1)
		status = fail(r, "%s", "a write to the tracked root was refused");
	gvt_kvm_get_stats(r->kv.kvm, &after);
	if (gvt_vgpu_get_stats(r->kv.vgpu, &vs1))
		return fail(r, "%s", "gvt_vgpu_get_stats failed");
	if (after.ram_exits - before.ram_exits != 2 ||
	    after.tracked_writes - before.tracked_writes != 1 ||
	    vs1.page_writes - vs0.page_writes != 1) {
		char msg[256];

		snprintf(msg, sizeof(msg), "RAM accesses through the shim: %llu performed there, %llu handed to libgvt (libgvt counted %llu); expected 2, 1, 1",
			 (unsigned long long)(after.ram_exits - before.ram_exits),
			 (unsigned long long)(after.tracked_writes - before.tracked_writes),
			 (unsigned long long)(vs1.page_writes - vs0.page_writes));
		status = fail(r, "%s", msg);
	}
	return status;
}

/* Is guest page @gfn in some memslot? Creating a one-page slot there
 * under an id nobody uses is refused with EEXIST exactly then. */
static bool page_has_slot(struct run *r, uint64_t gfn)
{
	struct kvm_userspace_memory_region probe = {
		.slot = KVM_VGPU_TRACK_SLOT0 + KVM_VGPU_TRACK_SLOTS,
		.guest_phys_addr = gfn * 4096,
		.memory_size = 4096,
		.userspace_addr = (uintptr_t)vmm_ram(r->vmm, 0),
	};

	if (!ioctl(vmm_vm_fd(r->vmm), KVM_SET_USER_MEMORY_REGION, &probe)) {
		probe.memory_size = 0;
		ioctl(vmm_vm_fd(r->vmm), KVM_SET_USER_MEMORY_REGION, &probe);
		return false;
	}
	return errno == EEXIST;
}

/* Every page of RAM in a memslot: no hole left by splits and merges. */
static int check_no_hole(struct run *r, const char *when)
{
	for (uint64_t gfn = 0; gfn < RAM_SIZE / 4096; gfn++)
		if (!page_has_slot(r, gfn)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "guest page 0x%llx has no memslot %s",
				 (unsigned long long)gfn, when);
			return fail(r, "%s", msg);
		}
	return 0;
}

/*
 * The shim's memslot pieces under many track and untrack requests, with
 * the vGPU gone and the vCPU stopped: pages at both ends of RAM and a
 * run in the middle toggled in a fixed pseudo-random order, the count
 * against a model, RAM whole in memslots half way and at the end.
 */
static int check_layout(struct run *r)
{
	enum { MIDDLE = 36, ROUNDS = 3000 };
	const uint64_t last = RAM_SIZE / 4096 - 1;
	const struct gvt_hv_ops *ops = gvt_kvm_hv_ops(r->kv.kvm);
	uint64_t gfn[MIDDLE + 4] = { 0, 1, last - 1, last };
	bool tracked[MIDDLE + 4] = { false };
	unsigned int n = 0, state = 12345;
	struct gvt_kvm_stats st;
	char msg[256];

	for (unsigned int i = 0; i < MIDDLE; i++)
		gfn[4 + i] = GUEST_GPU_GPA / 4096 + 512 + i;
	for (unsigned int round = 0; round < ROUNDS; round++) {
		unsigned int i;
		int ret;

		state = state * 1103515245u + 12345u;
		i = (state >> 16) % (MIDDLE + 4);
		ret = tracked[i] ? ops->page_track_disable(r->kv.kvm, gfn[i]) :
				   ops->page_track_enable(r->kv.kvm, gfn[i]);
		if (ret) {
			snprintf(msg, sizeof(msg), "round %u: %s gfn 0x%llx: %s", round,
				 tracked[i] ? "untracking" : "tracking",
				 (unsigned long long)gfn[i], strerror(-ret));
			return fail(r, "%s", msg);
		}
		tracked[i] = !tracked[i];
		n += tracked[i] ? 1 : -1u;
		gvt_kvm_get_stats(r->kv.kvm, &st);
		if (st.pages_tracked != n) {
			snprintf(msg, sizeof(msg), "round %u: the shim says %llu pages tracked, %u are",
				 round, (unsigned long long)st.pages_tracked, n);
			return fail(r, "%s", msg);
		}
		if (round == ROUNDS / 2 && check_no_hole(r, "half way"))
			return 1;
	}
	for (unsigned int i = 0; i < MIDDLE + 4; i++)
		if (tracked[i] && ops->page_track_disable(r->kv.kvm, gfn[i]))
			return fail(r, "%s", "untracking the last pages failed");
	gvt_kvm_get_stats(r->kv.kvm, &st);
	if (st.pages_tracked || st.track_errors)
		return fail(r, "%s", "pages left tracked or requests refused at the end");
	if (check_no_hole(r, "at the end"))
		return 1;
	/* Each request changed memslots once, paused around it. */
	if (r->kv.pauses < ROUNDS || r->kv.pause_depth || r->kv.pause_errors) {
		snprintf(msg, sizeof(msg), "pause_vcpus: %lu pauses for %u changes, %lu out of pairs, depth %d at the end",
			 r->kv.pauses, ROUNDS, r->kv.pause_errors, r->kv.pause_depth);
		return fail(r, "%s", msg);
	}
	/* A page outside RAM has no memslot to make read-only. */
	if (ops->page_track_enable(r->kv.kvm, RAM_SIZE / 4096) != -EFAULT)
		return fail(r, "%s", "tracking a page beyond RAM was not refused with -EFAULT");
	printf("kvm.driver: %s: %u track/untrack requests, %llu memslot updates, no hole\n",
	       r->name, ROUNDS, (unsigned long long)st.slot_updates);
	return 0;
}

/* Return 0 passed, 1 failed, SKIP. */
static int run_one(struct run *r)
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
	if (r->coalesce && !vmm_coalesced_ring(r->vmm))
		printf("kvm.driver: %s: KVM has no coalesced MMIO: running without\n",
		       r->name);
	if (kvm_vgpu_open(&r->kv, r->vmm, r->coalesce, r->track, why, sizeof(why))) {
		status = fail(r, "vGPU: %s", why);
		goto out_vmm;
	}
	mb = vmm_ram(r->vmm, GUEST_MBOX_GPA);
	mb->magic = GUEST_MBOX_MAGIC;
	mb->todo = GUEST_DO_SETUP | GUEST_DO_DRIVER | GUEST_DO_PPGTT |
		   GUEST_DO_SUBMITS;
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
	if (mb->completed != DRIVER_RUNS + PPGTT_RUNS + SUBMITS) {
		snprintf(why, sizeof(why), "the guest completed %u submissions, expected %u",
			 mb->completed, DRIVER_RUNS + PPGTT_RUNS + SUBMITS);
		status = fail(r, "%s", why);
		goto out_vgpu;
	}
	if (gvt_vgpu_get_info(r->kv.vgpu, &info) || info.failsafe) {
		status = fail(r, "the vGPU entered failsafe: %s", info.failsafe_reason);
		goto out_vgpu;
	}
	status = check_stats(r);
	status |= check_tracking(r);
	if (r->kv.tracking)
		status |= check_ram_exits(r, mb->pml4);
	gvt_vgpu_destroy(r->kv.vgpu);
	r->kv.vgpu = NULL;
	gvt_kvm_get_stats(r->kv.kvm, &r->at_end);
	if (r->at_end.pages_tracked) {
		snprintf(why, sizeof(why), "%llu pages still tracked after the vGPU was destroyed",
			 (unsigned long long)r->at_end.pages_tracked);
		status = fail(r, "%s", why);
	}
	if (r->kv.tracking)
		status |= check_layout(r);
out_vgpu:
	kvm_vgpu_close(&r->kv);
out_vmm:
	vmm_destroy(r->vmm);
	return status;
}

int main(void)
{
	struct run runs[2] = {
		{ .name = "coalesced+tracking", .coalesce = true, .track = true },
		{ .name = "plain", .coalesce = false, .track = false },
	};
	int status = 0;

	for (unsigned int i = 0; i < 2; i++) {
		int ret = run_one(&runs[i]);

		if (ret == SKIP)
			return SKIP;
		status |= ret;
	}
	if (!status)
		printf("kvm.driver: passed\n");
	return status;
}
