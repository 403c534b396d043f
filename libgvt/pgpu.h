// SPDX-License-Identifier: MIT
/*
 * The physical-GPU seam: what libgvt needs from the GPU it mediates. The sim
 * backend (pgpu/sim) implements it in software; a real Intel GPU backend
 * would implement it with the device's BARs and an IOMMU.
 */
#ifndef GVT_PGPU_H
#define GVT_PGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gvt_ctx;
struct gvt_platform_desc;

/* gen8 GGTT entry bits libgvt composes host entries from. */
#define GVT_GTT_PTE_PRESENT	(1ull << 0)
#define GVT_GTT_PTE_FLAGS_MASK	0xfffull
#define GVT_GTT_PAGE_SIZE	4096u
/* The address bits of a host entry: bus addresses may use 48 bits (the
 * sim's are host virtual addresses), more than a guest frame's 46. */
#define GVT_BUS_ADDR_MASK	0x0000fffffffff000ull

/**
 * struct gvt_pgpu_ops - a physical GPU backend.
 * @name: short name for logs ("sim").
 * @create: start a GPU of @platform; store the backend's handle in *@out.
 *	Return: 0 or -errno.
 * @destroy: stop it and free everything.
 * @golden_mmio: the power-on register image, GVT_MMIO_SIZE bytes, from which
 *	every vGPU's registers start. Valid until @destroy.
 * @mmio_read: read a physical register (aligned dword).
 * @mmio_write: write a physical register (aligned dword).
 * @ggtt_write: set GGTT entry @index to @pte (a bus address from
 *	gvt_hv_ops.dma_map, or the scratch page, plus gen8 flag bits).
 * @ggtt_read: read GGTT entry @index.
 * @scratch_addr: bus address of the page unmapped entries point at.
 * @page_alloc: one zeroed, page-aligned 4 KiB page of host memory the GPU
 *	can read (shadow page tables, scratch); store its bus address in
 *	*@bus. Return: the page's CPU address, or NULL when out of memory.
 * @page_free: give back a page from @page_alloc.
 * @gm_access: CPU access to graphics memory through the aperture, that is,
 *	translated by the GGTT: @len bytes at GM address @gm. Pages whose entry
 *	is not present read as zero and drop writes. Return: 0 or -EINVAL if
 *	the range is outside the GGTT.
 */
struct gvt_pgpu_ops {
	const char *name;
	int (*create)(struct gvt_ctx *ctx, const struct gvt_platform_desc *platform,
		      void **out);
	void (*destroy)(void *pgpu);
	const uint32_t *(*golden_mmio)(void *pgpu);
	uint32_t (*mmio_read)(void *pgpu, uint32_t offset);
	void (*mmio_write)(void *pgpu, uint32_t offset, uint32_t value);
	void (*ggtt_write)(void *pgpu, uint32_t index, uint64_t pte);
	uint64_t (*ggtt_read)(void *pgpu, uint32_t index);
	uint64_t (*scratch_addr)(void *pgpu);
	void *(*page_alloc)(void *pgpu, uint64_t *bus);
	void (*page_free)(void *pgpu, void *page);
	int (*gm_access)(void *pgpu, uint64_t gm, void *buf, size_t len,
			 bool write);
};

extern const struct gvt_pgpu_ops gvt_sim_pgpu_ops;

#endif /* GVT_PGPU_H */
