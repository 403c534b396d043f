// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mock_hv.h"

#define PAGE 4096u
#define MOCK_RAM_ALIGN (2u << 20)

/* Decide whether this call of @op is one the test asked to fail. */
static int injected(struct mock_hv *m, enum mock_op op)
{
	struct mock_fault *f = &m->fault[op];

	m->calls[op]++;
	if (!f->count)
		return 0;
	if (f->after) {
		f->after--;
		return 0;
	}
	if (f->count != UINT_MAX)
		f->count--;
	return f->err;
}

static bool in_ram(const struct mock_hv *m, uint64_t gpa, uint64_t len)
{
	return gpa < m->ram_size && len <= m->ram_size - gpa;
}

static int mock_read_gpa(void *hv, uint64_t gpa, void *buf, size_t len)
{
	struct mock_hv *m = hv;
	int err = injected(m, MOCK_READ_GPA);

	if (err)
		return err;
	if (!in_ram(m, gpa, len))
		return -EFAULT;
	memcpy(buf, m->ram + gpa, len);
	return 0;
}

static int mock_write_gpa(void *hv, uint64_t gpa, const void *buf, size_t len)
{
	struct mock_hv *m = hv;
	int err = injected(m, MOCK_WRITE_GPA);

	if (err)
		return err;
	if (!in_ram(m, gpa, len))
		return -EFAULT;
	memcpy(m->ram + gpa, buf, len);
	return 0;
}

static int mock_dma_map(void *hv, uint64_t gfn, uint64_t size,
			uint64_t *bus_addr)
{
	struct mock_hv *m = hv;
	int err = injected(m, MOCK_DMA_MAP);

	if (err)
		return err;
	if (!size || size % PAGE || gfn > m->ram_size / PAGE ||
	    !in_ram(m, gfn * PAGE, size))
		return -EFAULT;
	for (uint64_t i = 0; i < size / PAGE; i++)
		m->map_refs[gfn + i]++;
	m->maps_live++;
	/* Some IOMMUs do hand out address 0; the mock can too. */
	*bus_addr = gfn == m->zero_bus_gfn ? 0 : mock_hv_bus_addr(m, gfn);
	return 0;
}

static int mock_dma_unmap(void *hv, uint64_t bus_addr, uint64_t size)
{
	struct mock_hv *m = hv;
	uint64_t off = bus_addr ? bus_addr - (uintptr_t)m->ram :
				  m->zero_bus_gfn * PAGE;
	int err = injected(m, MOCK_DMA_UNMAP);

	if (err)
		return err;
	if ((bus_addr && bus_addr < (uintptr_t)m->ram) || off % PAGE || !size ||
	    !in_ram(m, off, size)) {
		m->bad_unmaps++;
		return -EINVAL;
	}
	for (uint64_t i = 0; i < size / PAGE; i++) {
		if (!m->map_refs[off / PAGE + i]) {
			m->bad_unmaps++;
			return -EINVAL;
		}
	}
	for (uint64_t i = 0; i < size / PAGE; i++)
		m->map_refs[off / PAGE + i]--;
	m->maps_live--;
	return 0;
}

static int mock_inject_msi(void *hv, uint64_t addr, uint32_t data)
{
	struct mock_hv *m = hv;
	int err = injected(m, MOCK_INJECT_MSI);
	unsigned int n;

	if (err)
		return err;
	/* MSIs come from libgvt's GPU thread while the guest's thread reads
	 * the counter: take a slot atomically. */
	n = atomic_fetch_add(&m->num_msi, 1);
	if (n < MOCK_MSI_LOG)
		m->msi[n] = (struct mock_msi){ addr, data };
	if (m->msi_fn)
		m->msi_fn(m->msi_opaque, addr, data);
	return 0;
}

static int track(struct mock_hv *m, enum mock_op op, uint64_t gfn,
		 bool enable)
{
	int err = injected(m, op);

	if (err)
		return err;
	if (m->num_track < MOCK_TRACK_LOG)
		m->track[m->num_track] = (struct mock_track_call){ gfn, enable };
	m->num_track++;
	if (enable)
		m->tracked_live++;
	else
		m->tracked_live--;
	return 0;
}

static int mock_page_track_enable(void *hv, uint64_t gfn)
{
	return track(hv, MOCK_PAGE_TRACK_ENABLE, gfn, true);
}

static int mock_page_track_disable(void *hv, uint64_t gfn)
{
	return track(hv, MOCK_PAGE_TRACK_DISABLE, gfn, false);
}

static int mock_set_intx(void *hv, bool asserted)
{
	struct mock_hv *m = hv;
	int err = injected(m, MOCK_SET_INTX);

	if (err)
		return err;
	m->intx_changes += m->intx != asserted;
	__atomic_store_n(&m->intx, asserted, __ATOMIC_RELEASE);
	return 0;
}

const struct gvt_hv_ops mock_hv_ops = {
	.version = GVT_HV_OPS_VERSION,
	.read_gpa = mock_read_gpa,
	.write_gpa = mock_write_gpa,
	.dma_map = mock_dma_map,
	.dma_unmap = mock_dma_unmap,
	.inject_msi = mock_inject_msi,
	.page_track_enable = mock_page_track_enable,
	.page_track_disable = mock_page_track_disable,
	.set_intx = mock_set_intx,
};

const struct gvt_hv_ops mock_hv_ops_no_track = {
	.version = GVT_HV_OPS_VERSION,
	.read_gpa = mock_read_gpa,
	.write_gpa = mock_write_gpa,
	.dma_map = mock_dma_map,
	.dma_unmap = mock_dma_unmap,
	.inject_msi = mock_inject_msi,
	.set_intx = mock_set_intx,
};

int mock_hv_create(uint64_t ram_size, struct mock_hv **out)
{
	struct mock_hv *m;
	int err;

	if (!ram_size || ram_size % PAGE)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ram_size = ram_size;
	m->zero_bus_gfn = UINT64_MAX;
	m->memfd = memfd_create("mock-guest-ram", MFD_CLOEXEC);
	if (m->memfd < 0 || ftruncate(m->memfd, (off_t)ram_size) < 0)
		goto out_errno;
	/* RAM starts on a 2 MiB boundary, as a hypervisor backs it with huge
	 * pages: guest 2 MiB pages then map in one piece, and tests can tell
	 * a kept 2 MiB page from a split one. */
	m->reserved = mmap(NULL, ram_size + MOCK_RAM_ALIGN, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->reserved == MAP_FAILED) {
		m->reserved = NULL;
		goto out_errno;
	}
	m->ram = mmap((void *)(((uintptr_t)m->reserved + MOCK_RAM_ALIGN - 1) &
			       ~(uintptr_t)(MOCK_RAM_ALIGN - 1)),
		      ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		      m->memfd, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		goto out_errno;
	}
	m->map_refs = calloc(ram_size / PAGE, sizeof(*m->map_refs));
	if (!m->map_refs) {
		errno = ENOMEM;
		goto out_errno;
	}
	*out = m;
	return 0;

out_errno:
	err = -errno;
	mock_hv_destroy(m);
	return err;
}

void mock_hv_destroy(struct mock_hv *m)
{
	if (!m)
		return;
	if (m->reserved)
		munmap(m->reserved, m->ram_size + MOCK_RAM_ALIGN);
	if (m->memfd >= 0)
		close(m->memfd);
	free(m->map_refs);
	free(m);
}

void mock_hv_fail(struct mock_hv *m, enum mock_op op, unsigned int after,
		  unsigned int count, int err)
{
	m->fault[op] = (struct mock_fault){ after, count, err };
}

void mock_hv_set_msi_hook(struct mock_hv *m, mock_msi_fn *fn, void *opaque)
{
	m->msi_fn = fn;
	m->msi_opaque = opaque;
}

uint64_t mock_hv_bus_addr(const struct mock_hv *m, uint64_t gfn)
{
	return (uintptr_t)m->ram + gfn * PAGE;
}
