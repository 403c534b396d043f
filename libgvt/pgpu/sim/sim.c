// SPDX-License-Identifier: MIT
/*
 * The sim GPU's device: register file, GGTT and memory behind it.
 *
 * Its bus addresses are host virtual addresses handed out by
 * gvt_hv_ops.dma_map(), so a GGTT entry points straight at guest RAM the
 * shim mapped for us.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../private.h"
#include "../../reg.h"
#include "sim.h"

static void sim_destroy(void *pgpu)
{
	struct sim_gpu *sim = pgpu;

	if (!sim)
		return;
	free(sim->golden);
	free(sim->regs);
	free(sim->ggtt);
	free(sim->scratch);
	free(sim);
}

static int sim_create(struct gvt_ctx *ctx, const struct gvt_platform_desc *platform,
		      void **out)
{
	struct sim_gpu *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return -ENOMEM;
	sim->platform = platform;
	sim->nonpriv_reg_ok = ctx->cmd_reg_ok;
	sim->ggtt_entries = (uint32_t)(platform->ggtt_size / GVT_GTT_PAGE_SIZE);
	sim->golden = calloc(GVT_MMIO_SIZE / 4, sizeof(uint32_t));
	sim->regs = malloc(GVT_MMIO_SIZE);
	sim->ggtt = malloc(sim->ggtt_entries * sizeof(uint64_t));
	sim->scratch = aligned_alloc(GVT_GTT_PAGE_SIZE, GVT_GTT_PAGE_SIZE);
	if (!sim->golden || !sim->regs || !sim->ggtt || !sim->scratch) {
		gvt_err(ctx, "sim: out of memory creating the GPU");
		sim_destroy(sim);
		return -ENOMEM;
	}
	sim_power_on_state(platform, sim->golden);
	memcpy(sim->regs, sim->golden, GVT_MMIO_SIZE);
	memset(sim->scratch, 0, GVT_GTT_PAGE_SIZE);
	for (uint32_t i = 0; i < sim->ggtt_entries; i++)
		sim->ggtt[i] = (uintptr_t)sim->scratch | GVT_GTT_PTE_PRESENT;
	clock_gettime(CLOCK_MONOTONIC, &sim->born);
	sim_engines_init(sim);
	*out = sim;
	return 0;
}

static const uint32_t *sim_golden_mmio(void *pgpu)
{
	return ((struct sim_gpu *)pgpu)->golden;
}

uint64_t sim_timestamp(struct sim_gpu *sim)
{
	struct timespec now;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)(now.tv_sec - sim->born.tv_sec) * 1000000000ull +
	     (uint64_t)now.tv_nsec - (uint64_t)sim->born.tv_nsec;
	return ns * (SIM_TIMESTAMP_HZ / 1000000) / 1000;
}

static uint32_t sim_mmio_read(void *pgpu, uint32_t offset)
{
	struct sim_gpu *sim = pgpu;
	uint32_t rel = offset & 0xfffu;

	/* Engine timestamps tick; everything else holds what was written. */
	if (rel == 0x358 || rel == 0x35c) {
		for (unsigned int i = 0; i < sim->platform->num_engines; i++) {
			if ((offset & ~0xfffu) != sim->platform->engines[i].mmio_base)
				continue;
			uint64_t ts = sim_timestamp(sim);

			return rel == 0x358 ? (uint32_t)ts : (uint32_t)(ts >> 32);
		}
	}
	return sim->regs[(offset & (GVT_MMIO_SIZE - 1)) >> 2];
}

static void sim_mmio_write(void *pgpu, uint32_t offset, uint32_t value)
{
	struct sim_gpu *sim = pgpu;

	sim->regs[(offset & (GVT_MMIO_SIZE - 1)) >> 2] = value;
}

static void sim_ggtt_write(void *pgpu, uint32_t index, uint64_t pte)
{
	struct sim_gpu *sim = pgpu;

	if (index < sim->ggtt_entries)
		sim->ggtt[index] = pte;
}

static uint64_t sim_ggtt_read(void *pgpu, uint32_t index)
{
	struct sim_gpu *sim = pgpu;

	return index < sim->ggtt_entries ? sim->ggtt[index] : 0;
}

static uint64_t sim_scratch_addr(void *pgpu)
{
	return (uintptr_t)((struct sim_gpu *)pgpu)->scratch;
}

/* The sim GPU reads host memory directly: a page's bus address is its
 * address. */
static void *sim_page_alloc(void *pgpu, uint64_t *bus)
{
	void *page = aligned_alloc(GVT_GTT_PAGE_SIZE, GVT_GTT_PAGE_SIZE);

	(void)pgpu;
	if (!page)
		return NULL;
	memset(page, 0, GVT_GTT_PAGE_SIZE);
	*bus = (uintptr_t)page;
	return page;
}

static uint64_t sim_host_bus(void *pgpu, const void *page)
{
	(void)pgpu;
	return (uintptr_t)page;
}

static void sim_page_free(void *pgpu, void *page)
{
	(void)pgpu;
	free(page);
}

/*
 * CPU access through the aperture. The scratch page is shared by every
 * unmapped entry of every vGPU, so it reads as zero and ignores writes:
 * otherwise it would be a channel from one vGPU to another.
 */
static int sim_gm_access(void *pgpu, uint64_t gm, void *buf, size_t len,
			 bool write)
{
	struct sim_gpu *sim = pgpu;
	uint8_t *p = buf;

	if (gm >= sim->platform->ggtt_size ||
	    len > sim->platform->ggtt_size - gm)
		return -EINVAL;
	while (len) {
		uint64_t pte = sim->ggtt[gm / GVT_GTT_PAGE_SIZE];
		size_t in_page = GVT_GTT_PAGE_SIZE - (gm % GVT_GTT_PAGE_SIZE);
		size_t n = len < in_page ? len : in_page;
		uint8_t *page = (uint8_t *)(uintptr_t)(pte & SIM_PTE_ADDR_MASK);

		if (!(pte & GVT_GTT_PTE_PRESENT) || page == sim->scratch) {
			if (!write)
				memset(p, 0, n);
		} else if (write) {
			memcpy(page + gm % GVT_GTT_PAGE_SIZE, p, n);
		} else {
			memcpy(p, page + gm % GVT_GTT_PAGE_SIZE, n);
		}
		gm += n;
		p += n;
		len -= n;
	}
	return 0;
}

const struct gvt_pgpu_ops gvt_sim_pgpu_ops = {
	.name = "sim",
	.create = sim_create,
	.destroy = sim_destroy,
	.golden_mmio = sim_golden_mmio,
	.mmio_read = sim_mmio_read,
	.mmio_write = sim_mmio_write,
	.ggtt_write = sim_ggtt_write,
	.ggtt_read = sim_ggtt_read,
	.scratch_addr = sim_scratch_addr,
	.page_alloc = sim_page_alloc,
	.page_free = sim_page_free,
	.host_bus = sim_host_bus,
	.gm_access = sim_gm_access,
	.engine_submit = sim_engine_submit,
	.engine_poll = sim_engine_poll,
	.engine_preempt = sim_engine_preempt,
	.engine_reset = sim_engine_reset,
	.engine_reg_read = sim_engine_reg_read,
	.engine_reg_write = sim_engine_reg_write,
};
