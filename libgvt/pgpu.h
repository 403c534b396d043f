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
 * @host_bus: the bus address of @page, a 4 KiB page of libgvt's own memory
 *	(shadow rings and batches), for a GGTT entry. The sim reads host memory
 *	directly; a hardware backend would map the page through its IOMMU.
 * @engine_submit: start running on @engine the logical ring context whose
 *	image is at GGTT address @lrca (4 KiB aligned; page 0 is the per-process
 *	status page, page 1 the register state in the gen8-11 layout of
 *	GVT_CTX_*). The engine loads ring start/head/tail/control, the batch
 *	state and the PDPs from the image. Return: 0, -EBUSY if the engine
 *	already has a context, -EINVAL for a bad engine or address.
 * @engine_poll: let @engine run for up to @budget_ns of its own time and
 *	report in *@out what happened since the last poll. A software GPU
 *	executes commands during the call; a hardware backend only looks.
 *	When *@out says DONE, PREEMPTED or HUNG the engine is idle again and
 *	the context image holds the state it stopped in (RING_HEAD, the batch
 *	state, CTX_TIMESTAMP).
 * @engine_preempt: ask @engine to stop its context at the next arbitration
 *	point (between ring commands, or at MI_ARB_CHECK in a batch); a later
 *	poll reports PREEMPTED, or DONE if it finished first. Resubmitting the
 *	same image resumes it where it stopped.
 * @engine_reset: abandon whatever @engine runs, without saving it; the
 *	engine is idle afterwards.
 * @engine_reg_read: read a register of @engine's context (an offset in the
 *	2 MiB register range) as the engine sees it now.
 * @engine_reg_write: write one, for the MMIO context switch: the state a
 *	vGPU's engine needs that its context image does not carry.
 */
/* What an engine did (struct gvt_pgpu_poll.state). */
enum gvt_pgpu_engine_state {
	GVT_PGPU_IDLE,		/* no context */
	GVT_PGPU_RUNNING,	/* still running (or waiting on a semaphore) */
	GVT_PGPU_DONE,		/* reached the ring's tail */
	GVT_PGPU_PREEMPTED,	/* stopped at an arbitration point, saved */
	GVT_PGPU_HUNG,		/* stopped on an error: @why says which */
};

/* Events a context raised (struct gvt_pgpu_poll.events). */
#define GVT_PGPU_EV_USER_INTERRUPT	(1u << 0)	/* MI_USER_INTERRUPT */
#define GVT_PGPU_EV_PIPE_CONTROL_NOTIFY	(1u << 1)	/* PIPE_CONTROL Notify */
#define GVT_PGPU_EV_FLUSH_DW_NOTIFY	(1u << 2)	/* MI_FLUSH_DW Notify */

/**
 * struct gvt_pgpu_poll - what an engine reports (see @engine_poll).
 * @state: enum gvt_pgpu_engine_state.
 * @events: GVT_PGPU_EV_* raised since the last poll, in any order.
 * @busy_ns: engine time used since the last poll.
 * @commands: commands executed since the last poll.
 * @why: for HUNG, one sentence: what the engine hit and where.
 */
struct gvt_pgpu_poll {
	int state;
	uint32_t events;
	uint64_t busy_ns;
	uint64_t commands;
	char why[160];
};

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
	uint64_t (*host_bus)(void *pgpu, const void *page);
	int (*engine_submit)(void *pgpu, unsigned int engine, uint64_t lrca);
	void (*engine_poll)(void *pgpu, unsigned int engine, uint64_t budget_ns,
			    struct gvt_pgpu_poll *out);
	void (*engine_preempt)(void *pgpu, unsigned int engine);
	void (*engine_reset)(void *pgpu, unsigned int engine);
	uint32_t (*engine_reg_read)(void *pgpu, unsigned int engine,
				    uint32_t offset);
	void (*engine_reg_write)(void *pgpu, unsigned int engine,
				 uint32_t offset, uint32_t value);
};

/*
 * The logical ring context image (gen8 to gen11): dword indices into the
 * register-state page (page 1 of the image). Each names the slot of a
 * register's offset; its value is the next dword.
 */
#define GVT_CTX_LRI_HEADER_0		0x01
#define GVT_CTX_CONTEXT_CONTROL		0x02
#define GVT_CTX_RING_HEAD		0x04
#define GVT_CTX_RING_TAIL		0x06
#define GVT_CTX_RING_BUFFER_START	0x08
#define GVT_CTX_RING_BUFFER_CONTROL	0x0a
#define GVT_CTX_BB_HEAD_U		0x0c
#define GVT_CTX_BB_HEAD_L		0x0e
#define GVT_CTX_BB_STATE		0x10
#define GVT_CTX_SECOND_BB_HEAD_U	0x12
#define GVT_CTX_SECOND_BB_HEAD_L	0x14
#define GVT_CTX_SECOND_BB_STATE		0x16
#define GVT_CTX_BB_PER_CTX_PTR		0x18
#define GVT_CTX_RCS_INDIRECT_CTX	0x1a
#define GVT_CTX_RCS_INDIRECT_CTX_OFFSET	0x1c
#define GVT_CTX_LRI_HEADER_1		0x21
#define GVT_CTX_CTX_TIMESTAMP		0x22
#define GVT_CTX_PDP3_UDW		0x24	/* PDPn: UDW at 0x24 + 4 * (3 - n) */
#define GVT_CTX_PDP0_LDW		0x32
#define GVT_CTX_LRI_HEADER_2		0x41
#define GVT_CTX_R_PWR_CLK_STATE		0x42
#define GVT_CTX_END			0x44
/* Pages of a context image: page 0 the per-process status page, page 1
 * the register state; gen9's render engine keeps 20 more of its state. */
#define GVT_CTX_STATE_PAGE		1
#define GVT_CTX_PAGES_RCS_GEN9		22
#define GVT_CTX_PAGES_OTHER		2

/* CONTEXT_CONTROL bits the mediator and the GPU act on (masked register). */
#define GVT_CTX_CTRL_INHIBIT_SYN_CTX_SWITCH	(1u << 3)
#define GVT_CTX_CTRL_ENGINE_CTX_RESTORE_INHIBIT	(1u << 0)

extern const struct gvt_pgpu_ops gvt_sim_pgpu_ops;

#endif /* GVT_PGPU_H */
