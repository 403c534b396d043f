// SPDX-License-Identifier: MIT
/*
 * A minimal VMM for tests and benchmarks: one VM on /dev/kvm with RAM at
 * guest-physical 0, one vCPU started in 64-bit mode on an identity map of
 * the first 4 GiB, a guest ELF loaded from memory, and a run loop that
 * hands every exit to a callback. No firmware, no devices, no interrupts:
 * whatever the guest touches outside RAM is the callback's.
 */
#ifndef GVT_KVM_VMM_H
#define GVT_KVM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** struct vmm - one VM with one vCPU (opaque). */
struct vmm;

/**
 * struct vmm_params - what to build.
 * @ram_size: bytes of RAM at guest-physical 0, a multiple of 2 MiB, at
 *	least 16 MiB, at most 3 GiB (the BARs go above).
 * @elf: the guest, an x86-64 ELF executable linked to run where it loads.
 * @elf_size: its bytes.
 */
struct vmm_params {
	uint64_t ram_size;
	const void *elf;
	size_t elf_size;
};

/** enum vmm_exit_kind - what stopped the vCPU. */
enum vmm_exit_kind {
	VMM_EXIT_MMIO,		/* a load or store outside RAM */
	VMM_EXIT_PIO,		/* IN or OUT, one element of a string */
	VMM_EXIT_HLT,		/* the guest halted */
};

/**
 * struct vmm_exit - one exit, as the callback sees it.
 * @kind: what.
 * @addr: guest-physical address (MMIO) or port (PIO).
 * @data: the bytes written, or where the bytes read go (KVM's own buffer:
 *	fill it before returning for a read).
 * @len: bytes (1, 2, 4 or 8).
 * @is_write: a store or an OUT.
 */
struct vmm_exit {
	enum vmm_exit_kind kind;
	uint64_t addr;
	void *data;
	uint32_t len;
	bool is_write;
};

/**
 * typedef vmm_exit_fn - handle one exit.
 * @opaque: from vmm_run().
 * @exit: the exit; for a read the handler fills @exit->data.
 *
 * Return: 0 to go on running, a positive value to leave vmm_run() with it
 * (the vCPU resumes after the access on the next vmm_run()), or -errno to
 * leave it with an error the handler has described.
 */
typedef int vmm_exit_fn(void *opaque, const struct vmm_exit *exit);

/**
 * vmm_create() - open /dev/kvm, build the VM and load the guest.
 * @params: what to build.
 * @out: receives the VMM.
 * @why: receives a one-line reason on failure.
 * @why_len: its size.
 *
 * Return: 0; -ENODEV when KVM is absent or unusable here (no /dev/kvm, no
 * permission, an API or capability missing: a reason to skip, not a
 * failure); -EINVAL for a bad guest or parameters; another -errno.
 */
int vmm_create(const struct vmm_params *params, struct vmm **out, char *why,
	       size_t why_len);

/** vmm_destroy() - close the vCPU and the VM and free the RAM. @vmm may be NULL. */
void vmm_destroy(struct vmm *vmm);

/**
 * vmm_run() - run the vCPU, handing each exit to @fn.
 * @vmm: the VMM.
 * @fn: the exit handler.
 * @opaque: passed to @fn.
 * @timeout_ms: wall-clock limit of this call; 0 for none.
 * @why: receives a reason when the return value is negative.
 * @why_len: its size.
 *
 * Return: what @fn returned when positive; -ETIMEDOUT when @timeout_ms
 * passed; -EIO when KVM failed or the guest crashed (the reason names the
 * exit and the guest's rip); or @fn's -errno.
 */
int vmm_run(struct vmm *vmm, vmm_exit_fn *fn, void *opaque,
	    unsigned int timeout_ms, char *why, size_t why_len);

/** vmm_ram() - the host's mapping of guest-physical @gpa, or NULL outside RAM. */
void *vmm_ram(struct vmm *vmm, uint64_t gpa);

/** vmm_ram_size() - bytes of RAM, from guest-physical 0. */
uint64_t vmm_ram_size(const struct vmm *vmm);

/* RAM is one memslot, this id, no flags; the VMM creates no other. */
#define VMM_RAM_SLOT		0u

/** vmm_vm_fd() - the VM's file descriptor (KVM_CREATE_VM), owned by @vmm. */
int vmm_vm_fd(const struct vmm *vmm);

/**
 * vmm_coalesced_ring() - the VM's coalesced MMIO ring, as mapped from the
 * vCPU, or NULL when KVM has none. The VMM itself registers no zones.
 */
void *vmm_coalesced_ring(const struct vmm *vmm);

/** vmm_exits() - exits handed to callbacks since the VMM was created. */
uint64_t vmm_exits(const struct vmm *vmm);

/** vmm_now_ns() - CLOCK_MONOTONIC in nanoseconds. */
uint64_t vmm_now_ns(void);

/* The guest built beside this library (guest.c), an ELF in memory. */
extern const unsigned char vmm_guest_elf[];
extern const unsigned char vmm_guest_elf_end[];

#endif /* GVT_KVM_VMM_H */
