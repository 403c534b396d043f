// SPDX-License-Identifier: MIT
/*
 * The guest ELF inside the library, so the test and gvt-bench need no
 * file beside them. GVT_KVM_GUEST_ELF is its path in the build tree.
 */
#include "vmm.h"

__asm__(".section .rodata\n"
	".balign 16\n"
	".globl vmm_guest_elf\n"
	"vmm_guest_elf:\n"
	".incbin \"" GVT_KVM_GUEST_ELF "\"\n"
	".globl vmm_guest_elf_end\n"
	"vmm_guest_elf_end:\n"
	".previous\n");
