// SPDX-License-Identifier: MIT
/*
 * The mini VMM (vmm.h). The vCPU starts where a 64-bit kernel's entry
 * would, not at the reset vector: flat segments set straight into the
 * segment caches, paging on with the identity map built here, so the guest
 * needs no real-mode or protected-mode trampoline of its own.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "guest_abi.h"
#include "vmm.h"

#define PAGE		4096ull
#define MiB		(1ull << 20)
#define LARGE_PAGE	(2 * MiB)

/* Page-table entry bits; CR0, CR4 and EFER bits for long mode. */
#define PTE_P		(1ull << 0)
#define PTE_W		(1ull << 1)
#define PTE_PS		(1ull << 7)
#define CR0_PE		(1ull << 0)
#define CR0_ET		(1ull << 4)
#define CR0_NE		(1ull << 5)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define SEL_CODE	0x08
#define SEL_DATA	0x10

struct vmm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *ram;			/* ram_size bytes, guest-physical 0 */
	uint64_t ram_size;
	struct kvm_run *run;		/* the vCPU's shared page(s) */
	size_t run_size;		/* bytes mapped at @run */
	void *coalesced;		/* inside @run's mapping, or NULL */
	uint64_t exits;
};

/* The watchdog: SIGALRM asks the vCPU in KVM_RUN to come out. */
static struct kvm_run *volatile alarm_run;
static volatile sig_atomic_t alarm_fired;

__attribute__((format(printf, 3, 4)))
static int say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return 0;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return 0;
}

uint64_t vmm_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void on_alarm(int sig)
{
	struct kvm_run *run = alarm_run;

	(void)sig;
	alarm_fired = 1;
	if (run)
		run->immediate_exit = 1;
}

void *vmm_ram(struct vmm *vmm, uint64_t gpa)
{
	return gpa < vmm->ram_size ? vmm->ram + gpa : NULL;
}

uint64_t vmm_ram_size(const struct vmm *vmm)
{
	return vmm->ram_size;
}

int vmm_vm_fd(const struct vmm *vmm)
{
	return vmm->vm_fd;
}

void *vmm_coalesced_ring(const struct vmm *vmm)
{
	return vmm->coalesced;
}

uint64_t vmm_exits(const struct vmm *vmm)
{
	return vmm->exits;
}

/* Copy the PT_LOAD segments into RAM; set *@entry. */
static int load_elf(struct vmm *vmm, const uint8_t *elf, size_t size,
		    uint64_t *entry, char *why, size_t why_len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
		say(why, why_len, "guest: not an x86-64 ELF executable");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset ||
		    ph->p_paddr < GUEST_LOAD_GPA ||
		    ph->p_paddr > GUEST_GPU_GPA ||
		    ph->p_memsz > GUEST_GPU_GPA - ph->p_paddr) {
			say(why, why_len,
			    "guest: segment %u (0x%llx, %llu bytes) lies outside [0x%llx, 0x%llx)",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz, GUEST_LOAD_GPA,
			    GUEST_GPU_GPA);
			return -EINVAL;
		}
		memcpy(vmm->ram + ph->p_paddr, elf + ph->p_offset, ph->p_filesz);
		memset(vmm->ram + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
	}
	*entry = eh->e_entry;
	return 0;
}

/* Identity-map [0, GUEST_MAPPED_TOP) in 2 MiB pages: RAM and the BARs
 * alike (accesses outside RAM exit as MMIO). */
static void build_page_tables(struct vmm *vmm)
{
	uint64_t *pml4 = (uint64_t *)(vmm->ram + GUEST_PT_GPA);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;
	unsigned int npd = (unsigned int)(GUEST_MAPPED_TOP >> 30);

	memset(pml4, 0, (2 + npd) * PAGE);
	pml4[0] = (GUEST_PT_GPA + PAGE) | PTE_P | PTE_W;
	for (unsigned int i = 0; i < npd; i++)
		pdpt[i] = (GUEST_PT_GPA + (2 + i) * PAGE) | PTE_P | PTE_W;
	for (uint64_t i = 0; i < npd * 512ull; i++)
		pd[i] = i * LARGE_PAGE | PTE_P | PTE_W | PTE_PS;
}

static int vcpu_init(struct vmm *vmm, uint64_t entry, char *why,
		     size_t why_len)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = SEL_CODE,
		.type = 11, .present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_regs regs = {
		.rip = entry, .rsp = GUEST_STACK_TOP, .rflags = 2,
	};
	struct kvm_sregs sregs;

	if (ioctl(vmm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		say(why, why_len, "KVM_GET_SREGS: %s", strerror(errno));
		return -ENODEV;
	}
	data.type = 3;
	data.selector = SEL_DATA;
	data.l = 0;
	data.db = 1;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr3 = GUEST_PT_GPA;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vmm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vmm->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		say(why, why_len, "KVM cannot start a vCPU in 64-bit mode: %s",
		    strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* /dev/kvm, the VM, its RAM, one vCPU: anything missing here means this
 * host cannot run the guest at all (-ENODEV). */
static int vm_open(struct vmm *vmm, char *why, size_t why_len)
{
	struct kvm_userspace_memory_region slot = {
		.slot = VMM_RAM_SLOT, .guest_phys_addr = 0,
		.memory_size = vmm->ram_size,
	};
	int ret, coalesced_page;

	vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm->kvm_fd < 0) {
		say(why, why_len, "/dev/kvm: %s", strerror(errno));
		return -ENODEV;
	}
	ret = ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret < 0) {
		say(why, why_len, "/dev/kvm is not KVM: KVM_GET_API_VERSION: %s",
		    strerror(errno));
		return -ENODEV;
	}
	if (ret != KVM_API_VERSION) {
		say(why, why_len, "/dev/kvm speaks API %d, not %d", ret,
		    KVM_API_VERSION);
		return -ENODEV;
	}
	vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
	if (vmm->vm_fd < 0) {
		say(why, why_len, "KVM_CREATE_VM: %s", strerror(errno));
		return -ENODEV;
	}
	vmm->ram = mmap(NULL, vmm->ram_size, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm->ram == MAP_FAILED) {
		vmm->ram = NULL;
		ret = -errno;
		say(why, why_len, "%llu MiB of guest RAM: %s",
		    (unsigned long long)(vmm->ram_size / MiB), strerror(errno));
		return ret;
	}
	slot.userspace_addr = (uintptr_t)vmm->ram;
	if (ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
		say(why, why_len, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -ENODEV;
	}
	vmm->vcpu_fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vmm->vcpu_fd < 0) {
		say(why, why_len, "KVM_CREATE_VCPU: %s", strerror(errno));
		return -ENODEV;
	}
	ret = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run)) {
		say(why, why_len, "KVM_GET_VCPU_MMAP_SIZE: %d", ret);
		return -ENODEV;
	}
	vmm->run_size = (size_t)ret;
	vmm->run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			vmm->vcpu_fd, 0);
	if (vmm->run == MAP_FAILED) {
		vmm->run = NULL;
		say(why, why_len, "mmap of the vCPU: %s", strerror(errno));
		return -ENODEV;
	}
	/* The ring is a page of the vCPU's mapping when KVM has one. */
	coalesced_page = ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_COALESCED_MMIO);
	if (coalesced_page > 0 &&
	    (size_t)coalesced_page * PAGE + PAGE <= vmm->run_size)
		vmm->coalesced = (uint8_t *)vmm->run + coalesced_page * PAGE;
	return 0;
}

int vmm_create(const struct vmm_params *params, struct vmm **out, char *why,
	       size_t why_len)
{
	struct vmm *vmm;
	uint64_t entry = 0;
	int ret;

	say(why, why_len, "%s", "");
	if (!params || !out || !params->elf ||
	    params->ram_size < GUEST_RAM_MIN || params->ram_size % LARGE_PAGE ||
	    params->ram_size > 3ull << 30) {
		say(why, why_len, "VMM: bad parameters (RAM from 16 MiB to 3 GiB in 2 MiB steps, and a guest)");
		return -EINVAL;
	}
	vmm = calloc(1, sizeof(*vmm));
	if (!vmm)
		return -ENOMEM;
	vmm->kvm_fd = vmm->vm_fd = vmm->vcpu_fd = -1;
	vmm->ram_size = params->ram_size;
	ret = vm_open(vmm, why, why_len);
	if (!ret)
		ret = load_elf(vmm, params->elf, params->elf_size, &entry, why,
			       why_len);
	if (!ret) {
		build_page_tables(vmm);
		ret = vcpu_init(vmm, entry, why, why_len);
	}
	if (ret) {
		vmm_destroy(vmm);
		return ret;
	}
	*out = vmm;
	return 0;
}

void vmm_destroy(struct vmm *vmm)
{
	if (!vmm)
		return;
	if (vmm->run)
		munmap(vmm->run, vmm->run_size);
	if (vmm->vcpu_fd >= 0)
		close(vmm->vcpu_fd);
	if (vmm->vm_fd >= 0)
		close(vmm->vm_fd);
	if (vmm->ram)
		munmap(vmm->ram, vmm->ram_size);
	if (vmm->kvm_fd >= 0)
		close(vmm->kvm_fd);
	free(vmm);
}

static uint64_t guest_rip(struct vmm *vmm)
{
	struct kvm_regs regs;

	return ioctl(vmm->vcpu_fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
}

/* A port access: one call per element of a string instruction. */
static int handle_io(struct vmm *vmm, vmm_exit_fn *fn, void *opaque)
{
	struct kvm_run *run = vmm->run;
	struct vmm_exit e = {
		.kind = VMM_EXIT_PIO,
		.addr = run->io.port,
		.len = run->io.size,
		.is_write = run->io.direction == KVM_EXIT_IO_OUT,
	};
	int ret = 0;

	for (uint32_t i = 0; i < run->io.count && !ret; i++) {
		e.data = (uint8_t *)run + run->io.data_offset + i * run->io.size;
		vmm->exits++;
		ret = fn(opaque, &e);
	}
	return ret;
}

static void arm_watchdog(struct vmm *vmm, unsigned int timeout_ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = {
		.it_value = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 },
	};

	alarm_fired = 0;
	alarm_run = vmm->run;
	if (!timeout_ms)
		return;
	/* No SA_RESTART: KVM_RUN returns EINTR to the loop. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_watchdog(struct vmm *vmm)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &off, NULL);
	alarm_run = NULL;
	vmm->run->immediate_exit = 0;
}

int vmm_run(struct vmm *vmm, vmm_exit_fn *fn, void *opaque,
	    unsigned int timeout_ms, char *why, size_t why_len)
{
	struct kvm_run *run = vmm->run;
	int ret = 0;

	arm_watchdog(vmm, timeout_ms);
	while (!ret) {
		if (ioctl(vmm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (!alarm_fired)
					continue;
				say(why, why_len, "guest still running after %u ms (rip 0x%llx)",
				    timeout_ms,
				    (unsigned long long)guest_rip(vmm));
				ret = -ETIMEDOUT;
				break;
			}
			say(why, why_len, "KVM_RUN: %s", strerror(errno));
			ret = -EIO;
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO: {
			struct vmm_exit e = {
				.kind = VMM_EXIT_MMIO,
				.addr = run->mmio.phys_addr,
				.data = run->mmio.data,
				.len = run->mmio.len,
				.is_write = run->mmio.is_write,
			};

			vmm->exits++;
			ret = fn(opaque, &e);
			break;
		}
		case KVM_EXIT_IO:
			ret = handle_io(vmm, fn, opaque);
			break;
		case KVM_EXIT_HLT: {
			struct vmm_exit e = { .kind = VMM_EXIT_HLT };

			vmm->exits++;
			ret = fn(opaque, &e);
			break;
		}
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_FAIL_ENTRY:
			say(why, why_len, "KVM could not enter the guest (reason 0x%llx, rip 0x%llx)",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			    (unsigned long long)guest_rip(vmm));
			ret = -EIO;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			say(why, why_len, "KVM internal error %u at rip 0x%llx",
			    run->internal.suberror,
			    (unsigned long long)guest_rip(vmm));
			ret = -EIO;
			break;
		case KVM_EXIT_SHUTDOWN:
			say(why, why_len, "the guest crashed (triple fault) at rip 0x%llx",
			    (unsigned long long)guest_rip(vmm));
			ret = -EIO;
			break;
		default:
			say(why, why_len, "unexpected KVM exit %u at rip 0x%llx",
			    run->exit_reason, (unsigned long long)guest_rip(vmm));
			ret = -EIO;
			break;
		}
	}
	disarm_watchdog(vmm);
	return ret;
}
