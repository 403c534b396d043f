// SPDX-License-Identifier: MIT
/*
 * Allocation of the 2 MiB arrays MMIO dispatch indexes on every access
 * (the attribute array, each vGPU's registers). Backed by one huge page
 * where the kernel allows, so an access pattern spread over the register
 * range costs no TLB misses.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "private.h"

#define HUGE_PAGE (2u << 20)

void *gvt_alloc_hot(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, HUGE_PAGE, size))
		return NULL;
	/* Advice only: without transparent huge pages this is a no-op. */
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}
