// SPDX-License-Identifier: MIT
/*
 * pgpu/sim: a software Gen9 GPU: the register file and its power-on state,
 * the GGTT and memory access through it, the scratch page, and engines that
 * run contexts (sim_engine.c, with the blitter in sim_blt.c).
 */
#ifndef GVT_SIM_H
#define GVT_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../../pgpu.h"
#include "../../platform.h"

struct gvt_platform_desc;

/* The sim's physical address width: host virtual addresses are its bus
 * addresses, and x86-64 user addresses need 47 bits, beyond gen9's 39. */
#define SIM_PTE_ADDR_MASK 0x0000fffffffff000ull

/* A register that is not zero at power-on. */
struct sim_reg_value {
	uint32_t offset;
	uint32_t value;
};

/* Fill @regs (GVT_MMIO_SIZE bytes, zeroed) with @platform's power-on state. */
void sim_power_on_state(const struct gvt_platform_desc *platform, uint32_t *regs);

/*
 * Translate PPGTT address @gma as the GPU does, from the PDP registers'
 * values (@levels 4: pdp[0] is the PML4's bus address; 3: four PDs).
 * Return: 0 with *@bus the byte's bus address, -EFAULT where an entry on
 * the way is not present, -EINVAL for a bad @levels.
 */
int sim_ppgtt_translate(const uint64_t pdp[4], unsigned int levels,
			uint64_t gma, uint64_t *bus);

/* The engine timestamp frequency: gen9's 24 MHz crystal divided by 2. */
#define SIM_TIMESTAMP_HZ 12000000ull

struct sim_gpu;

/* A batch buffer level in progress: where its next command is. */
struct sim_bb {
	uint64_t addr;		/* GPU address of the next command */
	bool ppgtt;		/* address space of @addr */
	bool active;
};

/*
 * One engine's command streamer. The register file it reads and writes is
 * the GPU's (sim_gpu.regs): its own registers sit at its MMIO base there,
 * as on hardware, and the GPU-wide ones are shared by every engine.
 */
struct sim_engine {
	struct sim_gpu *sim;
	enum gvt_engine_id id;
	uint32_t base;		/* MMIO base */
	bool loaded;		/* a context is on the engine */
	bool preempt;		/* stop at the next arbitration point */
	bool arb_on;		/* MI_ARB_ON_OFF: arbitration allowed */
	uint64_t lrca;		/* GGTT address of the context image */

	/* The ring, as loaded from the image */
	uint64_t ring_start;	/* GGTT address */
	uint32_t ring_size;	/* bytes */
	uint32_t head;		/* byte offset of the next ring command */
	uint32_t wraps;		/* RING_HEAD bits 31:21: times head wrapped */
	uint32_t tail;		/* byte offset */
	uint32_t ring_ctl;

	uint64_t pdp[4];	/* PDP0..3, as in the image */
	unsigned int levels;	/* 4: pdp[0] is a PML4; 3: four PDs */

	unsigned int level;	/* 0 ring, 1 first-level batch, 2 second */
	struct sim_bb bb[2];	/* bb[level - 1] */

	/*
	 * The render context's workaround batches, run on every restore
	 * before the ring: the indirect batch (a privileged segment of
	 * wa_end - wa_addr bytes, at level 0 in place of the ring) and then
	 * the per-context batch. The batch state the image restored waits
	 * in resume_* meanwhile; no arbitration happens until they finish.
	 */
	enum { SIM_WA_NONE, SIM_WA_INDIRECT, SIM_WA_PER_CTX } wa_phase;
	uint64_t wa_addr;	/* GGTT: next command of the indirect batch */
	uint64_t wa_end;
	uint64_t per_ctx_addr;	/* GGTT; valid when per_ctx_pending */
	bool per_ctx_pending;
	unsigned int resume_level;
	struct sim_bb resume_bb[2];

	/* The command being executed, for HUNG reports */
	uint64_t cmd_addr;	/* its GPU address */
	bool cmd_ppgtt;		/* the address space of the buffer it is in */
	const char *cmd_name;

	/* MI_MATH's ALU (CS_GPRs are registers at base + 0x600) */
	uint64_t srca, srcb, accu;
	bool zf, cf;

	uint64_t ctx_ts;	/* CTX_TIMESTAMP in ticks, as loaded + run */
	char hang[160];		/* non-empty: a hang is pending or reported */
	unsigned int sem_waits;	/* semaphore re-checks in this poll */

	/* A blit stopped part-way (sim_blt.c): the destination pixel it goes
	 * on from when its command runs again */
	bool blt_partial;
	uint32_t blt_x, blt_y;

	/* Since the last poll */
	uint32_t events;
};

struct sim_gpu {
	const struct gvt_platform_desc *platform;
	uint32_t *golden;	/* power-on registers, GVT_MMIO_SIZE bytes */
	uint32_t *regs;		/* live registers */
	uint64_t *ggtt;		/* one entry per 4 KiB of GM */
	uint32_t ggtt_entries;
	uint8_t *scratch;	/* the page unmapped entries point at */
	struct timespec born;	/* timestamp counters count from here */
	struct sim_engine engines[GVT_NUM_ENGINES];
	/* Registers a non-privileged batch may write: bit per dword. */
	const uint64_t *nonpriv_reg_ok;
};

/* Engine timestamp ticks since the GPU was created. */
uint64_t sim_timestamp(struct sim_gpu *sim);

/* sim_engine.c: the command streamer and the engine ops. */
void sim_engines_init(struct sim_gpu *sim);
int sim_engine_submit(void *pgpu, unsigned int engine, uint64_t lrca);
void sim_engine_poll(void *pgpu, unsigned int engine, uint64_t budget_ns,
		     struct gvt_pgpu_poll *out);
void sim_engine_preempt(void *pgpu, unsigned int engine);
void sim_engine_reset(void *pgpu, unsigned int engine);
uint32_t sim_engine_reg_read(void *pgpu, unsigned int engine, uint32_t offset);
void sim_engine_reg_write(void *pgpu, unsigned int engine, uint32_t offset,
			  uint32_t value);

/*
 * Where the engine's access to @addr lands: the host byte in *@host, or
 * NULL in *@host when it is the scratch page (reads are zero, writes are
 * dropped). Return: 0, or -EFAULT when nothing maps @addr (the engine
 * hangs; e->hang says so).
 */
int sim_engine_xlate(struct sim_engine *e, bool ppgtt, uint64_t addr,
		     bool write, uint8_t **host);
/* Record why the engine hangs; always returns -EFAULT for tail calls. */
int sim_engine_hang(struct sim_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The most pixels one execution of a blit draws: a larger blit stops
 * part-way and goes on when its command runs again, so a poll's budget
 * holds whatever the rectangle. */
#define SIM_BLT_PIXELS_PER_STEP 4096u

/* sim_blt.c: execute blitter command @dw (@len dwords) on @e. Return: 0,
 * 1 when the command is not one the blitter draws (skip it), 2 when the
 * blit stopped part-way (run the command again to go on; e->blt_* say
 * where), or -EFAULT when the engine hangs on it. */
int sim_blt_exec(struct sim_engine *e, const uint32_t *dw, uint32_t len);

/* BCS_SWCTRL: Y-tiling selects for XY_* blits (masked register). */
#define SIM_BCS_SWCTRL		0x22200
#define SIM_BCS_SWCTRL_SRC_Y	(1u << 0)
#define SIM_BCS_SWCTRL_DST_Y	(1u << 1)

#endif /* GVT_SIM_H */
