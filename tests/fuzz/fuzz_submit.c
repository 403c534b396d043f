// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a hostile guest's submissions. A vGPU's guest (guest A,
 * booting in 2 MiB of fresh RAM for every input, on a vGPU that a device
 * reset returned to its state as created) builds what a driver
 * builds (a GGTT mapping, a 4-level PPGTT, a context image, a ring and a
 * status page per engine, batches in the GGTT and the PPGTT), then the
 * input rewrites any of it and submits: context-image fields (ring
 * registers, batch state, PDPs, CONTEXT_CONTROL, the indirect-context and
 * per-context batch slots, any dword), ring and batch commands, page-table
 * and GGTT entries, ELSP descriptors (one or two elements, any addressing
 * mode, LRCAs inside and outside its graphics memory, half-written ELSP
 * latches) on all four engines, engine resets, full GPU resets and device
 * resets. A second vGPU, the victim, lives as long as the process and runs
 * its own small workloads alongside when the input says so.
 *
 * After every submission (unless the input holds the engines back to
 * queue a second one behind it) and every reset, the harness waits,
 * bounded, until neither vGPU has work queued, running or undelivered. A
 * 10 ms hang timeout keeps runaway workloads short (the victim's and the
 * known-good workloads finish in the GPU thread's first look at them, so
 * a loaded machine cannot make them time out). Checked, abort() on
 * failure (sanitizers catch the crashes):
 *   - neither vGPU is stuck: the wait ends within 5 s;
 *   - each of A's engines is idle (no execlist running or pending) or hung
 *     with a reason: a hang or a refusal counted since its last reset, and
 *     every hang logged says what the engine hit;
 *   - the victim's workloads all complete, with their stores landed and
 *     RING_HEAD written back, and nothing else in its RAM changes but what
 *     the GPU legitimately writes back (its status pages, RING_HEAD and
 *     CTX_TIMESTAMP); its GGTT entries stay as it wrote them;
 *   - libgvt logs no host-side error (it must not be the guest's to cause);
 *   - after a full GDRST, A runs a known-good NOOP workload to completion
 *     on every engine, with the CSB events a driver expects;
 *   - A's device reset, which ends every input, releases every mapping
 *     and tracked page, and its GGTT slice points at the scratch page
 *     again.
 *
 * The vGPUs outlive inputs (creating one faults in 2 MiB of registers,
 * which under ASan took half the time of an input), so an input that
 * breaks an invariant only after others ran may not break it alone; the
 * device reset between inputs is meant to make that rare.
 *
 * The input: a flags byte (bit 0: A's hypervisor write-protects, so every
 * guest write goes through gvt_vgpu_page_write(); bit 1: A announces its
 * PPGTT through PVINFO), then operations, each an opcode byte (mod OP_NUM)
 * and its arguments, little-endian, zeros past the end (fuzz_input.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_input.h"
#include "guest_gen9.h"
#include "guest_ppgtt.h"
#include "mock_hv.h"
#include "private.h"
#include "scheduler.h"
#include "workload.h"

#define PAGE		4096u
#define RAM_SIZE	(2ull << 20)
#define RAM_FRAMES	(RAM_SIZE / PAGE)

/* Guest frames: GGTT-mapped pages, PPGTT-mapped pages, the page-table
 * pool, and frames nothing maps until the input says so. */
#define F_GGTT		16	/* GGTT page i is frame F_GGTT + i */
#define F_PPGTT		64
#define F_PT		128
#define PT_FRAMES	64
#define F_FREE		256

/* GGTT pages, from the vGPU's aperture base. */
#define NUM_CTX		GUEST_ENGINES	/* context k is engine k's at first */
#define RING_PAGES	4
#define RING_BYTES	(RING_PAGES * PAGE)
#define G_HWSP(e)	(e)
#define G_CTX(k)	(4 + 6 * (k))	/* image: 2 pages, then its ring */
#define G_RING(k)	(G_CTX(k) + 2)
#define G_BATCH		28		/* the GGTT batch: 2 pages */
#define G_DATA		30
#define G_GOOD		32		/* known-good images (2 each), ring, status pages */
#define G_GOOD_RING	(G_GOOD + 2 * GUEST_ENGINES)
#define G_GOOD_HWSP	(G_GOOD_RING + 1)
#define G_PAGES		48

/* PPGTT: two batches, data (under another page table), a page above
 * 4 GiB that only a 4-level context reaches, and a hole. */
#define PP_BATCH0	0x00100000ull	/* frames F_PPGTT + 0, 1 */
#define PP_BATCH2	0x00102000ull	/* frames F_PPGTT + 2, 3 */
#define PP_DATA		0x00200000ull	/* frames F_PPGTT + 4, 5 */
#define PP_HIGH		0x100000000ull	/* frame F_PPGTT + 6 */
#define PP_HOLE		0x00300000ull

/* Batches: 0 a PPGTT first-level batch, 1 a GGTT one, 2 a PPGTT batch
 * to call as a second level. */
#define NUM_BATCH	3
#define BATCH_BYTES	(2 * PAGE)

#define HANG_TIMEOUT_NS	(10ull * 1000 * 1000)
#define SETTLE_MS	5000
#define MAX_HELD_OPS	8
#define GOOD_ID		0x600d

enum op {
	OP_CTX,		/* slot, field, value: a context-image dword */
	OP_ROOT,	/* slot, kind, more: the image's four PDPs */
	OP_RING,	/* slot and flags, a command: into the ring, tail moved */
	OP_BATCH,	/* batch, a command: appended, MI_BATCH_BUFFER_END after */
	OP_PT,		/* table, index, width, value: a page-table entry */
	OP_GGTT,	/* index, value: a GGTT entry */
	OP_RAM,		/* frame, offset, value: any dword of RAM */
	OP_ELSP,	/* engine and flags, one or two descriptors */
	OP_RESET,	/* which */
	OP_MMIO,	/* which, value: other engine registers, PVINFO */
	OP_VICTIM,	/* engine: the victim submits a store alongside */
	OP_WAIT,	/* let everything run */
	OP_NUM,
};

struct guest {
	const char *name;
	struct mock_hv *hv;
	struct gvt_vgpu *vgpu;
	bool tracked;		/* writes go through gvt_vgpu_page_write() */
	uint32_t ap_base;	/* GM address of GGTT page 0 */
	struct guest_ppgtt pt;
	uint64_t l3, pd0, pt0, pt1, pd_high, pt_high;	/* gpa of tables */
	uint32_t ring_pos[NUM_CTX];	/* bytes: where the next command goes */
	uint32_t batch_pos[NUM_BATCH];
	uint64_t fails_at_reset[GUEST_ENGINES];	/* hung + refused then */
};

struct run {
	struct fuzz_input in;
	struct guest *a;
	bool announce;		/* A announces its PPGTT (after resets too) */
	bool held;		/* A's work is held back (gate_closed) */
	unsigned int held_ops;
};

static struct gvt_ctx *ctx;
static const char *const engine_name[GUEST_ENGINES] = { "rcs", "bcs", "vcs", "vecs" };

/* ---- failing ---- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_submit: invariant broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- the log: host errors and hang reasons are checked ---- */

static bool verbose;		/* FUZZ_SUBMIT_LOG set: the log and a summary */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_error[512];	/* the first host-side error of this input */
static char log_bad_hang[512];	/* the first hang logged without a reason */

static void log_sink(void *opaque, int level, const char *msg)
{
	const char *hung = strstr(msg, " hung: ");

	(void)opaque;
	pthread_mutex_lock(&log_lock);
	if (level <= GVT_LOG_ERR && !log_error[0])
		snprintf(log_error, sizeof(log_error), "%s", msg);
	if (hung && (!hung[7] || !strncmp(hung + 7, "; the engine", 12)) &&
	    !log_bad_hang[0])
		snprintf(log_bad_hang, sizeof(log_bad_hang), "%s", msg);
	pthread_mutex_unlock(&log_lock);
	if (verbose)
		fprintf(stderr, "log %d: %s\n", level, msg);
}

static void check_log(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_error[0])
		fail("libgvt logged a host-side error: %s", log_error);
	if (log_bad_hang[0])
		fail("a hang was logged without what the engine hit: %s",
		     log_bad_hang);
	pthread_mutex_unlock(&log_lock);
}

/* ---- the gate: engines held back while the input queues behind ---- */

static struct gvt_pgpu_ops gated_ops;
static void (*sim_poll)(void *pgpu, unsigned int engine, uint64_t budget_ns,
			struct gvt_pgpu_poll *out);
static atomic_bool gate_closed;
static struct guest victim;

/* A held engine makes no progress on A's work: what A submits next lands
 * on an execlist still running, as it would behind a long workload,
 * whatever the GPU thread's speed. The victim's work is never held: held
 * long enough, it would time out. (The GPU thread alone sets active[].) */
static void gated_poll(void *pgpu, unsigned int engine, uint64_t budget_ns,
		       struct gvt_pgpu_poll *out)
{
	const struct gvt_workload *w = ctx->sched.active[engine];

	if (atomic_load(&gate_closed) && w && w->vgpu != victim.vgpu) {
		memset(out, 0, sizeof(*out));
		out->state = GVT_PGPU_RUNNING;
		return;
	}
	sim_poll(pgpu, engine, budget_ns, out);
}

/* ---- a guest's memory and registers ---- */

static uint8_t *ram(struct guest *g, uint64_t gpa)
{
	return g->hv->ram + gpa;
}

static uint32_t ram_ld(struct guest *g, uint64_t gpa)
{
	return __atomic_load_n((uint32_t *)ram(g, gpa), __ATOMIC_ACQUIRE);
}

/* The guest's CPU writes @len bytes at @gpa (in RAM): a write-protecting
 * hypervisor hands each to libgvt, as it traps writes to tracked pages
 * (libgvt performs the others and ignores them). */
static void guest_write(struct guest *g, uint64_t gpa, const void *buf,
			uint32_t len)
{
	const uint8_t *p = buf;

	while (len) {
		uint32_t n = PAGE - (uint32_t)(gpa % PAGE);

		if (n > len)
			n = len;
		if (gpa + n > RAM_SIZE)
			fail("%s: the harness wrote outside RAM", g->name);
		if (g->tracked) {
			if (gvt_vgpu_page_write(g->vgpu, gpa, p, n))
				fail("%s: a page write in RAM failed", g->name);
		} else {
			memcpy(ram(g, gpa), p, n);
		}
		gpa += n;
		p += n;
		len -= n;
	}
}

static void guest_w32(struct guest *g, uint64_t gpa, uint32_t v)
{
	guest_write(g, gpa, &v, 4);
}

static void wr(struct guest *g, uint32_t off, uint32_t v)
{
	if (gvt_vgpu_mmio_write(g->vgpu, off, &v, 4))
		fail("%s: MMIO write 0x%x refused", g->name, off);
}

static uint32_t rd(struct guest *g, uint32_t off)
{
	uint32_t v = 0;

	if (gvt_vgpu_mmio_read(g->vgpu, off, &v, 4))
		fail("%s: MMIO read 0x%x refused", g->name, off);
	return v;
}

static uint32_t gm(const struct guest *g, unsigned int page)
{
	return g->ap_base + page * PAGE;
}

static uint64_t ggtt_gpa(unsigned int page)
{
	return (uint64_t)(F_GGTT + page) * PAGE;
}

static uint64_t state_gpa(unsigned int k)
{
	return ggtt_gpa(G_CTX(k) + 1);
}

static void ggtt_set(struct guest *g, uint64_t index, uint64_t pte)
{
	if (gvt_vgpu_mmio_write(g->vgpu, GGTT_BAR + 8 * index, &pte, 8))
		fail("%s: GGTT entry write refused", g->name);
}

static const uint64_t batch_gma[NUM_BATCH] = { PP_BATCH0, 0, PP_BATCH2 };

static uint64_t batch_addr(const struct guest *g, unsigned int b)
{
	return b == 1 ? gm(g, G_BATCH) : batch_gma[b];
}

static uint64_t batch_gpa(unsigned int b)
{
	return b == 1 ? ggtt_gpa(G_BATCH) : (uint64_t)(F_PPGTT + b) * PAGE;
}

static struct gvt_engine_stats engine_stats(struct guest *g, unsigned int e)
{
	struct gvt_engine_stats st;

	if (gvt_vgpu_get_engine_stats(g->vgpu, e, &st))
		fail("%s: no stats for engine %u", g->name, e);
	return st;
}

static uint64_t engine_fails(struct guest *g, unsigned int e)
{
	struct gvt_engine_stats st = engine_stats(g, e);

	return st.hung + st.refused;
}

/* What i915 programs per engine after probe and after a GPU reset. */
static void guest_engines_init(struct guest *g, unsigned int hws_page)
{
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		wr(g, guest_eng_base[e] + R_MODE,
		   RUN_LIST_ENABLE << 16 | RUN_LIST_ENABLE);
		wr(g, guest_eng_base[e] + R_HWS_PGA, gm(g, hws_page + e));
		g->fails_at_reset[e] = engine_fails(g, e);
	}
}

/* From probe to the first request: PCI, PVINFO, the GGTT, the engines,
 * the PPGTT's announcement, interrupts. Also after a device reset. */
static void guest_boot(struct guest *g, bool announce)
{
	uint64_t magic = 0;
	uint32_t v;

	v = 0xfee00000;
	if (gvt_vgpu_cfg_write(g->vgpu, 0xb0, &v, 4))
		fail("%s: MSI address", g->name);
	v = 0x4041;
	if (gvt_vgpu_cfg_write(g->vgpu, 0xb4, &v, 2))
		fail("%s: MSI data", g->name);
	v = 1;
	if (gvt_vgpu_cfg_write(g->vgpu, 0xae, &v, 2))
		fail("%s: MSI enable", g->name);
	v = 6;
	if (gvt_vgpu_cfg_write(g->vgpu, 0x04, &v, 2))
		fail("%s: PCI command", g->name);
	if (gvt_vgpu_mmio_read(g->vgpu, PV_MAGIC, &magic, 8) || magic != VGT_MAGIC)
		fail("%s: no PVINFO", g->name);
	g->ap_base = rd(g, PV_AP_BASE);
	for (unsigned int i = 0; i < G_PAGES; i++)
		ggtt_set(g, (g->ap_base / PAGE) + i, ggtt_gpa(i) | 1);
	guest_engines_init(g, G_HWSP(0));
	if (announce) {
		wr(g, PV_PDP0_LO, (uint32_t)g->pt.pml4);
		wr(g, PV_PDP0_HI, (uint32_t)(g->pt.pml4 >> 32));
		wr(g, PV_G2V_NOTIFY, G2V_PPGTT_L4_CREATE);
	}
	wr(g, GT_IER0, GT_CTX_SWITCH(0) | GT_CTX_SWITCH(1));
	wr(g, GT_IMR0, ~(GT_CTX_SWITCH(0) | GT_CTX_SWITCH(1)));
	wr(g, MASTER_IRQ, MASTER_IRQ_ENABLE);
}

/* Fresh RAM: page tables, context images, empty rings and batches. The
 * GGTT offsets the images hold need the aperture base: read PVINFO's. */
static void guest_build(struct guest *g)
{
	static const uint64_t pp_page[7] = {
		PP_BATCH0, PP_BATCH0 + PAGE, PP_BATCH2, PP_BATCH2 + PAGE,
		PP_DATA, PP_DATA + PAGE, PP_HIGH,
	};
	uint32_t ap_base = 0;
	uint64_t pdp[4] = { 0 };

	if (gvt_vgpu_mmio_read(g->vgpu, PV_AP_BASE, &ap_base, 4))
		fail("%s: PVINFO", g->name);
	g->ap_base = ap_base;

	if (guest_ppgtt_init(&g->pt, g->hv, (uint64_t)F_PT * PAGE,
			     (uint64_t)PT_FRAMES * PAGE))
		fail("%s: page tables", g->name);
	for (unsigned int i = 0; i < 7; i++)
		if (guest_ppgtt_map(&g->pt, pp_page[i],
				    (uint64_t)(F_PPGTT + i) * PAGE, PAGE,
				    GPT_PRESENT | GPT_RW))
			fail("%s: page tables", g->name);
	g->l3 = guest_ppgtt_table(&g->pt, 0, 3);
	g->pd0 = guest_ppgtt_table(&g->pt, 0, 2);
	g->pt0 = guest_ppgtt_table(&g->pt, PP_BATCH0, 1);
	g->pt1 = guest_ppgtt_table(&g->pt, PP_DATA, 1);
	g->pd_high = guest_ppgtt_table(&g->pt, PP_HIGH, 2);
	g->pt_high = guest_ppgtt_table(&g->pt, PP_HIGH, 1);
	pdp[0] = g->pt.pml4;
	for (unsigned int k = 0; k < NUM_CTX; k++) {
		guest_ctx_fill((uint32_t *)ram(g, state_gpa(k)), guest_eng_base[k],
			       gm(g, G_RING(k)), RING_PAGES, pdp);
		g->ring_pos[k] = 0;
	}
	for (unsigned int b = 0; b < NUM_BATCH; b++) {
		*(uint32_t *)ram(g, batch_gpa(b)) = MI_BB_END;
		g->batch_pos[b] = 0;
	}
}

static void guest_create(struct guest *g, const char *name, bool tracked)
{
	memset(g, 0, sizeof(*g));
	g->name = name;
	g->tracked = tracked;
	if (mock_hv_create(RAM_SIZE, &g->hv) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_4",
			    tracked ? &mock_hv_ops : &mock_hv_ops_no_track,
			    g->hv, &g->vgpu))
		fail("%s: create", name);
}

/* A vGPU as created (or reset), and a guest that boots in fresh RAM. */
static void guest_start(struct guest *g, bool announce)
{
	memset(g->hv->ram, 0, RAM_SIZE);
	guest_build(g);
	guest_boot(g, announce);
}

/* Write @n dwords into context @k's ring at its position; with @tail, pad
 * to a qword and move the image's RING_TAIL after them. */
static void ring_put(struct guest *g, unsigned int k, const uint32_t *dw,
		     unsigned int n, bool tail)
{
	uint64_t ring = ggtt_gpa(G_RING(k));

	for (unsigned int i = 0; i < n || (tail && g->ring_pos[k] % 8); i++) {
		guest_w32(g, ring + g->ring_pos[k], i < n ? dw[i] : MI_NOOP);
		g->ring_pos[k] = (g->ring_pos[k] + 4) % RING_BYTES;
	}
	if (tail)
		guest_w32(g, state_gpa(k) + 4 * (CTX_TAIL + 1), g->ring_pos[k]);
}

/* ELSP: element 1 high, element 1 low, element 0 high, element 0 low;
 * the first @dwords of them. */
static void elsp_write(struct guest *g, unsigned int e, const uint32_t d[4],
		       unsigned int dwords)
{
	for (unsigned int i = 0; i < dwords; i++)
		wr(g, guest_eng_base[e] + R_ELSP, d[i]);
}

/* ---- the victim ---- */

static uint8_t *victim_expect;		/* what its RAM must hold */
static uint64_t victim_runs[GUEST_ENGINES];	/* workloads it submitted */
static uint64_t victim_ggtt[G_PAGES];	/* its host GGTT entries */
static uint32_t victim_seqno;
static uint32_t victim_used;		/* engines run since the last check */

/* A store of the next seqno into the victim's data page, from engine @e's
 * own context, as any well-behaved guest submits alongside. */
static void victim_submit(unsigned int e)
{
	struct guest *v = &victim;
	uint64_t at = PP_DATA + 4 * e;
	uint64_t data_gpa = (uint64_t)(F_PPGTT + 4) * PAGE + 4 * e;
	uint32_t dw[4] = { MI_SDI, (uint32_t)at, (uint32_t)(at >> 32),
			   ++victim_seqno };
	uint32_t d[4] = { 0, 0, 0x7000 + e,
			  gm(v, G_CTX(e)) | D_VALID | D_4LEVEL | D_PRIV };
	uint64_t ring = ggtt_gpa(G_RING(e));
	uint32_t pos = v->ring_pos[e];

	ring_put(v, e, dw, 4, true);
	/* What the harness wrote, the expectation holds too. */
	for (unsigned int i = 0; i < 4; i++)
		memcpy(victim_expect + ring + (pos + 4 * i) % RING_BYTES, &dw[i], 4);
	memcpy(victim_expect + state_gpa(e) + 4 * (CTX_TAIL + 1),
	       &v->ring_pos[e], 4);
	memcpy(victim_expect + data_gpa, &victim_seqno, 4);
	elsp_write(v, e, d, 4);
	victim_runs[e]++;
	victim_used |= 1u << e;
}

static struct gvt_execlist execlist_of(struct guest *g, unsigned int e)
{
	struct gvt_execlist el;

	pthread_mutex_lock(&g->vgpu->lock);
	el = g->vgpu->engine[e].el;
	pthread_mutex_unlock(&g->vgpu->lock);
	return el;
}

/* The victim's engines: every workload it submitted completed, none hung
 * or was refused, and its execlists are idle. */
static void check_victim_engines(void)
{
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		struct gvt_engine_stats st = engine_stats(&victim, e);
		struct gvt_execlist el = execlist_of(&victim, e);

		if (st.completed != victim_runs[e] || st.hung || st.refused)
			fail("victim's %s: %llu of %llu workloads completed, %llu hung, %llu refused",
			     st.name, (unsigned long long)st.completed,
			     (unsigned long long)victim_runs[e],
			     (unsigned long long)st.hung,
			     (unsigned long long)st.refused);
		if (el.hung || el.running >= 0 || el.pending >= 0)
			fail("victim's %s: execlist not idle after its work completed",
			     st.name);
	}
}

/* The victim's RAM is what it wrote, plus what its own workloads made
 * the GPU write back: CSB entries in its status pages, RING_HEAD (which
 * must have reached RING_TAIL) and CTX_TIMESTAMP in its images. */
static void check_victim_memory(void)
{
	struct guest *v = &victim;

	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		uint64_t head = state_gpa(e) + 4 * (CTX_HEAD + 1);
		uint64_t ts = state_gpa(e) + 4 * (CTX_TIMESTAMP + 1);

		if (!(victim_used & (1u << e)))
			continue;
		if ((ram_ld(v, head) & HEAD_ADDR) != v->ring_pos[e])
			fail("victim's context %u: RING_HEAD 0x%x, its tail 0x%x",
			     e, ram_ld(v, head), v->ring_pos[e]);
		memcpy(victim_expect + head, ram(v, head), 4);
		memcpy(victim_expect + ts, ram(v, ts), 4);
		memcpy(victim_expect + ggtt_gpa(G_HWSP(e)),
		       ram(v, ggtt_gpa(G_HWSP(e))), PAGE);
	}
	victim_used = 0;
	if (memcmp(victim_expect, v->hv->ram, RAM_SIZE)) {
		for (uint64_t o = 0; o < RAM_SIZE; o += 4)
			if (memcmp(victim_expect + o, v->hv->ram + o, 4))
				fail("victim's RAM changed at gpa 0x%llx: 0x%08x, expected 0x%08x",
				     (unsigned long long)o, ram_ld(v, o),
				     *(uint32_t *)(victim_expect + o));
	}
	for (unsigned int i = 0; i < G_PAGES; i++)
		if (ctx->pgpu_ops->ggtt_read(ctx->pgpu, v->ap_base / PAGE + i) !=
		    victim_ggtt[i])
			fail("victim's GGTT entry %u changed", i);
}

/* ---- waiting ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Let the engines go and wait until neither vGPU has work queued,
 * running or undelivered; then until a delivery under way is over (the
 * GPU thread delivers holding the vGPU's lock). */
static void settle(struct run *r)
{
	uint64_t end = now_ms() + SETTLE_MS;
	struct gvt_vgpu *v[2] = { r->a ? r->a->vgpu : NULL, victim.vgpu };

	atomic_store(&gate_closed, false);
	r->held = false;
	r->held_ops = 0;
	for (unsigned int spins = 0;; spins++) {
		uint64_t n = gvt_sched_pending(v[1]) + (v[0] ? gvt_sched_pending(v[0]) : 0);

		if (!n)
			break;
		if (now_ms() > end)
			fail("stuck: %llu of A's and %llu of the victim's workloads still queued, running or undelivered after %u ms",
			     (unsigned long long)(v[0] ? gvt_sched_pending(v[0]) : 0),
			     (unsigned long long)gvt_sched_pending(v[1]), SETTLE_MS);
		if (spins < 200) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 20 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	for (unsigned int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		pthread_mutex_lock(&v[i]->lock);
		pthread_mutex_unlock(&v[i]->lock);
	}
}

/* Each of A's engines is idle, or hung for a reason the counters show. */
static void check_engines(struct guest *g)
{
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		uint64_t fails = engine_fails(g, e);
		struct gvt_execlist el = execlist_of(g, e);
		if (el.hung && fails <= g->fails_at_reset[e])
			fail("%s: %s hung with no hang or refusal counted",
			     g->name, engine_name[e]);
		if (!el.hung && (el.running >= 0 || el.pending >= 0))
			fail("%s: %s has nothing queued but its execlist is still %s: the guest waits for an event that never comes",
			     g->name, engine_name[e],
			     el.pending >= 0 ? "running with one pending" : "running");
	}
	if (g->vgpu->failsafe)
		fail("%s: failsafe (%s), which no submission should cause",
		     g->name, g->vgpu->failsafe_reason);
}

static void settle_and_check(struct run *r)
{
	settle(r);
	check_engines(r->a);
	check_victim_engines();
}

/* ---- picking values ---- */

/* A frame: a table, a page the guest uses, any frame of RAM, a free one,
 * or an odd one (past RAM, the top of the address space). */
static uint64_t pick_frame(struct run *r)
{
	const struct guest *g = r->a;
	uint64_t v = fuzz_take(&r->in, 2), x = v & 0x3fff;

	switch (v >> 14) {
	case 0: {
		const uint64_t known[16] = {
			g->pt.pml4 / PAGE, g->l3 / PAGE, g->pd0 / PAGE,
			g->pt0 / PAGE, g->pt1 / PAGE, g->pd_high / PAGE,
			g->pt_high / PAGE, F_PPGTT, F_PPGTT + 2, F_PPGTT + 4,
			F_PPGTT + 6, F_GGTT + G_CTX(0) + 1, F_GGTT + G_RING(0),
			F_GGTT + G_BATCH, F_GGTT + G_DATA, F_FREE,
		};

		return known[x % 16];
	}
	case 1:
		return x % RAM_FRAMES;
	case 2:
		return F_FREE + x % 64;
	default: {
		const uint64_t odd[8] = {
			RAM_FRAMES, RAM_FRAMES - 1, 0, 0x3ffffffffull,
			RAM_FRAMES + (x >> 3), 1ull << 27, (x << 9) % RAM_FRAMES,
			F_GGTT + (x >> 3) % G_PAGES,
		};

		return odd[x & 7];
	}
	}
}

/* A GGTT address: the guest's own objects, the victim's, the host's, the
 * ends of its slices, or anything. */
static uint64_t pick_gm(struct run *r)
{
	const struct guest *g = r->a;
	uint64_t k = fuzz_take(&r->in, 1), off = fuzz_take(&r->in, 2) & 0x1ffc;
	unsigned int i = (unsigned int)(k >> 3) & 3;

	switch (k & 7) {
	case 0:
		return gm(g, G_DATA) + (off & 0xffc);
	case 1:
		return gm(g, G_BATCH) + off;
	case 2:
		return gm(g, G_RING(i)) + off;
	case 3:
		return gm(g, G_CTX(i)) + off;
	case 4:
		return gm(g, G_HWSP(i)) + (off & 0xffc);
	case 5:
		return gm(&victim, (unsigned int)(k >> 3) % G_PAGES) + (off & 0xffc);
	case 6: {
		const struct gvt_vgpu *v = g->vgpu;
		const uint64_t other[8] = {
			0, v->low_gm.start + v->low_gm.size - 4,
			v->low_gm.start + v->low_gm.size, v->high_gm.start,
			v->high_gm.start - PAGE, ctx->high_gm.base,
			(4ull << 30) - PAGE, 4ull << 30,
		};

		return other[k >> 3 & 7] + (off & 0xffc & (k >> 6 ? ~0ull : 0));
	}
	default:
		return (fuzz_take(&r->in, 4) & ~3ull) |
		       (k & 0x80 ? fuzz_take(&r->in, 2) << 32 : 0);
	}
}

/* A PPGTT address: mapped batches and data, the page above 4 GiB, a hole,
 * a GGTT address misread, non-canonical ones, or anything. */
static uint64_t pick_ppgma(struct run *r)
{
	uint64_t k = fuzz_take(&r->in, 1), off = fuzz_take(&r->in, 2) & 0x1ffc;

	switch (k & 7) {
	case 0:
		return PP_DATA + off;
	case 1:
		return PP_BATCH0 + off;
	case 2:
		return PP_BATCH2 + (off & 0xffc);
	case 3:
		return PP_HIGH + (off & 0xffc);
	case 4:
		return PP_HOLE + off;
	case 5:
		return pick_gm(r);
	case 6: {
		const uint64_t odd[4] = {
			0x0000800000000000ull - 4, 0xffff800000000000ull,
			0x0000fffffffff000ull, 0x00000000fffff000ull,
		};

		return odd[k >> 3 & 3];
	}
	default:
		return fuzz_take(&r->in, 6) & ~3ull;
	}
}

/* An address for a command, and whether it says "use the GGTT" (either
 * kind of address with either bit). */
static uint64_t pick_addr(struct run *r, bool *ggtt)
{
	uint64_t k = fuzz_take(&r->in, 1);

	*ggtt = k & 1;
	return k & 2 ? pick_gm(r) : pick_ppgma(r);
}

static uint32_t pick_u32(struct run *r)
{
	uint64_t k = fuzz_take(&r->in, 1);

	switch (k & 7) {
	case 0:
		return (uint32_t)fuzz_take(&r->in, 4);
	case 1:
		return 0;
	case 2:
		return (uint32_t)fuzz_take(&r->in, 1);
	case 3:
		return ~0u;
	case 4:
		return (uint32_t)pick_gm(r);
	case 5:
		return (uint32_t)pick_ppgma(r);
	case 6:
		return 1u << (k >> 3);
	default:
		return (uint32_t)(pick_frame(r) << 12);
	}
}

/* A register offset for LRI, LRM, SRM, LRR: the engine's own (general
 * purpose, ring, submission, whitelist), another engine's, GPU-wide ones
 * commands may and may not touch, or anything. */
static uint32_t pick_reg(struct run *r, unsigned int e)
{
	static const uint32_t eng_regs[] = {
		R_TAIL, R_HEAD, R_START, R_CTL, R_HWS_PGA, R_BB_STATE,
		R_BB_HEAD_L, R_BB_HEAD_U, R_ELSP, R_CONTEXT_CONTROL,
		R_PDP_LDW(0), R_PDP_UDW(3), R_MODE, R_CSB_PTR, R_CTX_TIMESTAMP,
		R_FORCE_NONPRIV(0), R_FORCE_NONPRIV(11), 0x0d0, 0x0a8, 0x09c,
		0x358, R_CSB,
	};
	static const uint32_t gt_regs[] = {
		MASTER_IRQ, GT_IMR0, GT_IIR0, GT_IER0, GDRST, 0x101008,
		0x22200, 0x2214, 0x2400, 0x2408, 0x2420, 0x2430, 0x2500,
		0x7034, R_PWR_CLK_STATE, 0xa188,
	};
	uint64_t k = fuzz_take(&r->in, 1), x = fuzz_take(&r->in, 1);
	uint32_t base = guest_eng_base[k & 0x10 ? x & 3 : e];

	switch (k & 15) {
	case 0:
	case 1:
		return base + R_GPR(0) + 4 * (uint32_t)(x % 32);
	case 2:
	case 3:
		return base + eng_regs[x % (sizeof(eng_regs) / sizeof(eng_regs[0]))];
	case 4:
	case 5:
		return gt_regs[x % (sizeof(gt_regs) / sizeof(gt_regs[0]))];
	case 6: {
		const uint32_t mocs[4] = { 0xc800, 0xcc00, 0xc900, 0xb020 };

		return mocs[x & 3] + 4 * (uint32_t)(x >> 2);
	}
	case 7:
		return 0x100000 + 4 * (uint32_t)(x % 64);	/* fences */
	case 8:
		return 0x78000 + 4 * (uint32_t)x;		/* PVINFO */
	case 9:
		return 0x200000 + 4 * (uint32_t)x;		/* past the registers */
	default:
		return (uint32_t)fuzz_take(&r->in, 4);
	}
}

/* A page-table entry's frame (fuzz_pte()). */
static uint64_t pte_frame(void *r)
{
	return pick_frame(r);
}

static uint32_t pick_alu(struct run *r)
{
	uint64_t k = fuzz_take(&r->in, 1);
	uint32_t x = (uint32_t)fuzz_take(&r->in, 1);

	switch (k & 7) {
	case 0:
		return ALU(ALU_LOAD, ALU_SRCA, x & 15);
	case 1:
		return ALU(ALU_LOAD, ALU_SRCB, x & 31);
	case 2:
		return ALU(0x100 + x % 5, 0, 0);	/* ADD SUB AND OR XOR */
	case 3:
		return ALU(ALU_STORE, x & 15, x & 16 ? 0x32 : ALU_ACCU);
	case 4:
		return ALU(x & 1 ? 0x481 : 0x081, ALU_SRCA + (x >> 1 & 1), 0);
	case 5:
		return ALU(0x580, x & 31, ALU_ACCU);	/* STOREINV */
	case 6:
		return 0;
	default:
		return (uint32_t)fuzz_take(&r->in, 4);
	}
}

static void put_addr(uint32_t *dw, uint64_t a)
{
	dw[0] = (uint32_t)a;
	dw[1] = (uint32_t)(a >> 32);
}

#define CMD_MAX 16

static unsigned int pick_bb_start(struct run *r, uint32_t *dw)
{
	uint64_t t = fuzz_take(&r->in, 1), f = fuzz_take(&r->in, 1), a;
	uint32_t hdr = MI_BB_START;
	bool ggtt;

	switch (t & 3) {
	case 0:
		a = PP_BATCH0;
		break;
	case 1:
		a = gm(r->a, G_BATCH);
		hdr &= ~(1u << 8);
		break;
	case 2:
		a = PP_BATCH2;
		hdr |= BB_SECOND_LEVEL;
		break;
	default:
		a = pick_addr(r, &ggtt);
		if (ggtt)
			hdr &= ~(1u << 8);
		break;
	}
	a += (t >> 2) * 16;
	if (f & 1)
		hdr ^= 1u << 8;
	if (f & 2)
		hdr ^= BB_SECOND_LEVEL;
	if (f & 4)
		hdr |= 1u << 16;	/* add offset */
	if (f & 8)
		hdr |= 1u << 15;	/* predicated */
	if (f & 16)
		hdr |= 1u << 10;	/* resource streamer */
	dw[0] = hdr;
	put_addr(dw + 1, a);
	if (f & 32)
		dw[2] |= 0xffff0000u;	/* not canonical */
	return 3;
}

/* One command for engine @e into @dw (CMD_MAX dwords at most); its length. */
static unsigned int pick_cmd(struct run *r, unsigned int e, uint32_t *dw)
{
	/* Commands the scanner refuses or leaves to their length field. */
	static const uint32_t other[][2] = {
		{ 0x0c000000, 2 },	/* MI_SET_CONTEXT */
		{ 0x11800001, 3 },	/* MI_UPDATE_GTT */
		{ 0x14000002, 4 },	/* MI_REPORT_PERF_COUNT */
		{ 0x13800001, 3 },	/* MI_CLFLUSH */
		{ 0x09000000, 2 },	/* MI_LOAD_SCAN_LINES_INCL */
		{ 0x0d800000, 2 },	/* MI_SEMAPHORE_SIGNAL */
		{ 0x03000000, 1 },	/* MI_RS_CONTROL */
		{ 0x01800000, 1 },	/* MI_WAIT_FOR_EVENT */
		{ 0x03800000, 1 },	/* MI_REPORT_HEAD */
		{ 0x06000000, 1 },	/* MI_PREDICATE */
		{ 0x78080002, 4 },	/* 3DSTATE_VERTEX_BUFFERS, short */
		{ 0x79000002, 4 },	/* a 3DSTATE_* with a length */
		{ 0x61010008, 10 },	/* STATE_BASE_ADDRESS */
		{ 0x70000007, 9 },	/* MEDIA_VFE_STATE */
		{ 0x54400006, 8 },	/* XY_PAT_BLT */
		{ 0x50800008, 10 },	/* XY_FAST_COPY_BLT */
	};
	unsigned int what = (unsigned int)(fuzz_take(&r->in, 1) % 24), n;
	uint32_t f;
	uint64_t a, b;
	bool ggtt, ggtt2;

	switch (what) {
	case 0:
		n = 1 + (unsigned int)(fuzz_take(&r->in, 1) % 4);
		memset(dw, 0, 4 * n);
		return n;
	case 1:
		return pick_bb_start(r, dw);
	case 2:
		dw[0] = MI_BB_END;
		return 1;
	case 3:
	case 4:
		a = pick_addr(r, &ggtt);
		dw[0] = (what == 3 ? 0x10000002u : 0x10000003u | 1u << 21) |
			(ggtt ? MI_USE_GGTT : 0);
		put_addr(dw + 1, a);
		dw[3] = pick_u32(r);
		if (what == 3)
			return 4;
		dw[4] = pick_u32(r);
		return 5;
	case 5:
		f = (uint32_t)fuzz_take(&r->in, 1);
		dw[0] = MI_SDX + (f & 1);
		dw[1] = (uint32_t)fuzz_take(&r->in, 2);
		dw[2] = pick_u32(r);
		if (f & 1)
			dw[3] = pick_u32(r);
		return 3 + (f & 1);
	case 6:
		n = 1 + (unsigned int)(fuzz_take(&r->in, 1) % 3);
		f = (uint32_t)fuzz_take(&r->in, 1);
		dw[0] = MI_LRI(n) | (f & 0x10 ? (f & 0xf) << 8 : 0);
		for (unsigned int i = 0; i < n; i++) {
			dw[1 + 2 * i] = pick_reg(r, e);
			dw[2 + 2 * i] = pick_u32(r);
		}
		return 1 + 2 * n;
	case 7:
	case 8:
		a = pick_addr(r, &ggtt);
		dw[0] = (what == 7 ? MI_SRM : MI_LRM) | (ggtt ? MI_USE_GGTT : 0);
		dw[1] = pick_reg(r, e);
		put_addr(dw + 2, a);
		return 4;
	case 9:
		dw[0] = MI_LRR;
		dw[1] = pick_reg(r, e);
		dw[2] = pick_reg(r, e);
		return 3;
	case 10:
		n = 1 + (unsigned int)(fuzz_take(&r->in, 1) % 6);
		dw[0] = MI_MATH(n);
		for (unsigned int i = 0; i < n; i++)
			dw[1 + i] = pick_alu(r);
		return 1 + n;
	case 11:
		/* Compare mode f ^ 4: zero flags wait for zero, which the
		 * pages mapped at first hold; waits that never end cost a
		 * hang timeout each. */
		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = 0x0e000002u | ((f ^ 4) & 7) << 12 | (f & 8 ? 0 : 1u << 15) |
			(f & 16 ? 1u << 16 : 0) | (ggtt ? MI_USE_GGTT : 0);
		dw[1] = f & 32 ? pick_u32(r) : 0;
		put_addr(dw + 2, a);
		return 4;
	case 12:
		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = (0x13000002u + (f & 1)) | (f >> 1 & 3) << 14 |
			(f & 8 ? 1u << 21 : 0) | (f & 16 ? 1u << 8 : 0);
		put_addr(dw + 1, (a & ~7ull) | (ggtt ? 4 : 0));
		dw[3] = pick_u32(r);
		if (f & 1)
			dw[4] = pick_u32(r);
		return 4 + (f & 1);
	case 13:
		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = PIPE_CONTROL;
		dw[1] = (f & 3) << 14 | (ggtt ? 1u << 24 : 0) |
			(f & 4 ? 1u << 21 : 0) | (f & 8 ? 1u << 23 : 0) |
			(f & 16 ? 1u << 8 : 0) |
			(f & 32 ? (uint32_t)fuzz_take(&r->in, 4) : 0);
		put_addr(dw + 2, f & 8 ? pick_reg(r, e) : a);
		dw[4] = pick_u32(r);
		dw[5] = pick_u32(r);
		return 6;
	case 14:
		a = pick_addr(r, &ggtt);
		b = pick_addr(r, &ggtt2);
		dw[0] = MI_COPY_MEM_MEM | (ggtt2 ? 1u << 22 : 0) |
			(ggtt ? 1u << 21 : 0);
		put_addr(dw + 1, a);
		put_addr(dw + 3, b);
		return 5;
	case 15:
		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = MI_COND_BB_END | (ggtt ? MI_USE_GGTT : 0) |
			(f & 1 ? 1u << 19 : 0);
		dw[1] = pick_u32(r);
		put_addr(dw + 2, a & ~7ull);
		return 4;
	case 16:
		f = (uint32_t)(fuzz_take(&r->in, 1) % 3);
		dw[0] = f ? MI_ARB_ON_OFF | (f - 1) : MI_ARB_CHECK;
		return 1;
	case 17:
		dw[0] = MI_USER_INTERRUPT;
		return 1;
	case 18:
	case 19: {
		uint32_t x1 = (uint32_t)fuzz_take(&r->in, 1),
			 y1 = (uint32_t)fuzz_take(&r->in, 1) % 8;
		uint32_t w = 1 + (uint32_t)fuzz_take(&r->in, 1) % 64,
			 h = 1 + (uint32_t)fuzz_take(&r->in, 1) % 16;

		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = (what == 18 ? XY_COLOR_BLT : XY_SRC_COPY_BLT) |
			(f & 3) << 20 | (f & 4 ? 1u << 11 : 0) |
			(f & 8 ? 1u << 15 : 0);
		dw[1] = 3u << 24 | (what == 18 ? 0xf0u : 0xccu) << 16 |
			(f & 16 ? (uint32_t)fuzz_take(&r->in, 2) : 1024);
		dw[2] = y1 << 16 | x1;
		dw[3] = (y1 + h) << 16 | (x1 + w);
		put_addr(dw + 4, a);
		if (what == 18) {
			dw[6] = pick_u32(r);
			return 7;
		}
		dw[6] = 0;
		dw[7] = 1024;
		put_addr(dw + 8, pick_addr(r, &ggtt));
		return 10;
	}
	case 20:
		f = (uint32_t)fuzz_take(&r->in, 1);
		a = pick_addr(r, &ggtt);
		dw[0] = MI_ATOMIC | (ggtt ? MI_USE_GGTT : 0) | (f & 3) << 19 |
			(f >> 2 & 0xf) << 8;
		put_addr(dw + 1, a);
		if (!(f & 0x80))
			return 3;
		dw[0] += 8;
		dw[0] |= 1u << 18;	/* inline data */
		for (unsigned int i = 3; i < 11; i++)
			dw[i] = pick_u32(r);
		return 11;
	case 21:
		n = 1 + (unsigned int)(fuzz_take(&r->in, 1) % 4);
		for (unsigned int i = 0; i < n; i++)
			dw[i] = (uint32_t)fuzz_take(&r->in, 4);
		return n;
	case 22:
		f = (uint32_t)(fuzz_take(&r->in, 1) %
			       (sizeof(other) / sizeof(other[0])));
		n = other[f][1];
		dw[0] = other[f][0];
		for (unsigned int i = 1; i < n; i++)
			dw[i] = pick_u32(r);
		return n;
	default:
		/* A whitelist entry naming a register. */
		f = (uint32_t)fuzz_take(&r->in, 1);
		dw[0] = MI_LRI(1);
		dw[1] = guest_eng_base[f & 3] + R_FORCE_NONPRIV(f >> 2 & 7);
		dw[2] = pick_reg(r, e);
		return 3;
	}
}

/* ---- operations ---- */

/* A plausible value for context-image slot @field of context @k. */
static uint32_t sane_value(struct run *r, unsigned int k, unsigned int field)
{
	struct guest *g = r->a;
	uint32_t x = (uint32_t)fuzz_take(&r->in, 2);

	switch (field) {
	case CTX_CONTROL:
		return x & 1 ? 0x00090009 : x << 16 | x >> 8;
	case CTX_HEAD:
		return (x % RING_BYTES & ~3u) | (x >> 14) << 21;
	case CTX_TAIL:
		return x & 1 ? g->ring_pos[k] : x % RING_BYTES & ~7u;
	case CTX_START:
		return gm(g, x % G_PAGES) | (x >> 12 & 0xffc);
	case CTX_CTL:
		return (x & 0x100 ? x & 0x1ff : x & 7) << 12 | (x & 0x8000 ? 0 : 1);
	case CTX_BB_HEAD_U:
	case CTX_SBB_HEAD_U:
		return x & 1 ? (uint32_t)(PP_HIGH >> 32) : 0;
	case CTX_BB_HEAD_L:
	case CTX_SBB_HEAD_L:
		return (uint32_t)batch_addr(g, x % NUM_BATCH) + (x >> 2 & 0x3f) * 4;
	case CTX_BB_STATE:
	case CTX_SBB_STATE:
		return (x & 1) | (x & 2 ? BB_STATE_PPGTT : 0);
	case CTX_BB_PER_CTX_PTR:
	case CTX_INDIRECT_CTX:
		return gm(g, G_BATCH) | (x & 0x3f);
	case CTX_INDIRECT_CTX_OFF:
		return (x & 0x3ff) << 6;
	default:
		return x | x << 16;
	}
}

static void op_ctx(struct run *r)
{
	static const unsigned int fields[16] = {
		CTX_CONTROL, CTX_HEAD, CTX_TAIL, CTX_START, CTX_CTL,
		CTX_BB_HEAD_U, CTX_BB_HEAD_L, CTX_BB_STATE, CTX_SBB_HEAD_U,
		CTX_SBB_HEAD_L, CTX_SBB_STATE, CTX_BB_PER_CTX_PTR,
		CTX_INDIRECT_CTX, CTX_INDIRECT_CTX_OFF, CTX_TIMESTAMP,
		CTX_PWR_CLK_STATE,
	};
	unsigned int k = (unsigned int)(fuzz_take(&r->in, 1) % NUM_CTX);
	unsigned int f = (unsigned int)fuzz_take(&r->in, 1), slot;
	uint32_t v;

	if (f & 0x80) {
		/* Any dword: register offsets, LRI headers, the rest. */
		slot = (unsigned int)(fuzz_take(&r->in, 2) % 1024);
		v = pick_u32(r);
	} else {
		slot = fields[f & 15] + 1;
		v = f & 0x10 ? pick_u32(r) : sane_value(r, k, fields[f & 15]);
	}
	guest_w32(r->a, state_gpa(k) + 4 * slot, v);
}

static void op_root(struct run *r)
{
	struct guest *g = r->a;
	unsigned int k = (unsigned int)(fuzz_take(&r->in, 1) % NUM_CTX);
	unsigned int kind = (unsigned int)fuzz_take(&r->in, 1);
	uint64_t pdp[4] = { 0 };

	switch (kind & 7) {
	case 0:
		pdp[0] = g->pt.pml4;
		break;
	case 1:
		pdp[0] = g->pd0;
		break;
	case 2:
		for (unsigned int n = 0; n < 4; n++)
			if (kind & (8u << n))
				pdp[n] = n & 1 ? g->pd_high : g->pd0;
		break;
	case 3:
		for (unsigned int n = 0; n < 4; n++)
			if (kind & (8u << n))
				pdp[n] = pick_frame(r) << 12;
		break;
	case 4: {
		/* One read per statement: C leaves the order of two in one
		 * expression open, and an input must mean the same to every
		 * compiler (clang fuzzes, gcc replays the corpus). */
		uint64_t frame = pick_frame(r);

		pdp[0] = frame << 12 | fuzz_take(&r->in, 1);
		break;
	}
	case 5:
		break;
	case 6:
		pdp[kind >> 3 & 3] = fuzz_take(&r->in, 8);
		break;
	default:
		pdp[0] = g->pt.pml4;
		pdp[1] = g->pt.pml4;
		pdp[2] = g->pd0;
		break;
	}
	for (unsigned int n = 0; n < 4; n++) {
		uint64_t at = state_gpa(k) + 4 * (CTX_PDP3_UDW + 4 * (3 - n));

		guest_w32(g, at + 4, (uint32_t)(pdp[n] >> 32));
		guest_w32(g, at + 12, (uint32_t)pdp[n]);
	}
}

static void op_ring(struct run *r)
{
	struct guest *g = r->a;
	unsigned int f = (unsigned int)fuzz_take(&r->in, 1), k = f & 3;
	uint32_t dw[CMD_MAX];
	unsigned int n = pick_cmd(r, k, dw);

	/* As a driver does after a reset: only what comes now runs. */
	if (f & 8)
		guest_w32(g, state_gpa(k) + 4 * (CTX_HEAD + 1), g->ring_pos[k]);
	ring_put(g, k, dw, n, !(f & 4));
}

static void op_batch(struct run *r)
{
	struct guest *g = r->a;
	unsigned int b = (unsigned int)(fuzz_take(&r->in, 1) % NUM_BATCH);
	uint32_t dw[CMD_MAX + 1];
	unsigned int n = pick_cmd(r, (unsigned int)fuzz_take(&r->in, 1) & 3,
				  dw);

	if (g->batch_pos[b] + 4 * (n + 1) > BATCH_BYTES)
		g->batch_pos[b] = 0;
	dw[n] = MI_BB_END;
	guest_write(g, batch_gpa(b) + g->batch_pos[b], dw, 4 * (n + 1));
	g->batch_pos[b] += 4 * n;
}

static unsigned int index_at(uint64_t gma, unsigned int level)
{
	return (unsigned int)(gma >> (12 + 9 * (level - 1))) & 511;
}

static void op_pt(struct run *r)
{
	struct guest *g = r->a;
	static const uint64_t gmas[4] = { PP_BATCH0, PP_BATCH2, PP_DATA, PP_HIGH };
	unsigned int k = (unsigned int)fuzz_take(&r->in, 1);
	unsigned int i = (unsigned int)fuzz_take(&r->in, 2), level, idx;
	const uint64_t tables[7] = {
		g->pt.pml4, g->l3, g->pd0, g->pt0, g->pt1, g->pd_high, g->pt_high,
	};
	static const unsigned int levels[7] = { 4, 3, 2, 1, 1, 2, 1 };
	uint64_t table, v;
	uint32_t half;

	if ((k & 7) < 7) {
		table = tables[k & 7];
		level = levels[k & 7];
	} else {
		table = pick_frame(r) % RAM_FRAMES * PAGE;
		level = 1 + (i >> 2 & 3);
	}
	idx = i & 0x8000 ? i & 511 : index_at(gmas[i & 3], level) + (i >> 4 & 1);
	v = fuzz_pte(&r->in, pte_frame, r);
	switch (k >> 3 & 3) {
	case 2:
		half = (uint32_t)v;
		guest_write(g, table + 8 * idx, &half, 4);
		break;
	case 3:
		half = (uint32_t)(v >> 32);
		guest_write(g, table + 8 * idx + 4, &half, 4);
		break;
	default:
		guest_write(g, table + 8 * idx, &v, 8);
		break;
	}
}

static void op_ggtt(struct run *r)
{
	struct guest *g = r->a;
	unsigned int k = (unsigned int)fuzz_take(&r->in, 1);
	uint64_t x = fuzz_take(&r->in, 2), idx, pte;
	uint32_t half[2];
	int ret;

	switch (k & 3) {
	case 0:
		idx = g->ap_base / PAGE + x % G_PAGES;
		break;
	case 1:
		idx = g->vgpu->low_gm.start / PAGE + x;
		break;
	case 2:
		idx = g->vgpu->high_gm.start / PAGE + x;
		break;
	default:
		idx = x | fuzz_take(&r->in, 1) << 16;
		break;
	}
	idx %= 1u << 20;	/* 4 GiB of GGTT */
	pte = pick_frame(r) << 12 | (k & 4 ? 0 : 1);	/* frame first, then bits */
	pte |= k & 8 ? fuzz_take(&r->in, 1) & 0xffe : 0;
	if (k & 16) {
		half[0] = (uint32_t)pte;
		half[1] = (uint32_t)(pte >> 32);
		ret = gvt_vgpu_mmio_write(g->vgpu, GGTT_BAR + 8 * idx, &half[0], 4);
		if (!ret)
			ret = gvt_vgpu_mmio_write(g->vgpu, GGTT_BAR + 8 * idx + 4, &half[1], 4);
	} else {
		ret = gvt_vgpu_mmio_write(g->vgpu, GGTT_BAR + 8 * idx, &pte, 8);
	}
	if (ret)
		fail("A: a GGTT entry write returned %d", ret);
}

static void op_ram(struct run *r)
{
	static const uint8_t zero[PAGE];
	unsigned int k = (unsigned int)fuzz_take(&r->in, 1);
	uint64_t gpa = pick_frame(r) % RAM_FRAMES * PAGE;	/* one read each */
	uint64_t v;

	gpa += fuzz_take(&r->in, 2) & 0xff8;
	v = pick_u32(r);
	v |= (uint64_t)pick_u32(r) << 32;

	switch (k & 3) {
	case 0:
	case 1:
		guest_write(r->a, gpa, &v, 4);
		break;
	case 2:
		guest_write(r->a, gpa, &v, 8);
		break;
	default:
		guest_write(r->a, gpa & ~(uint64_t)(PAGE - 1), zero, PAGE);
		break;
	}
}

/* A descriptor: one of A's contexts, a page inside one, the victim's, any
 * GGTT address; flags flipped from a good descriptor's (valid, 4-level,
 * privileged) by the input. */
static void pick_desc(struct run *r, uint32_t *lo, uint32_t *hi)
{
	struct guest *g = r->a;
	uint32_t l = (uint32_t)fuzz_take(&r->in, 1);
	uint32_t f = (uint32_t)fuzz_take(&r->in, 1);
	uint32_t lrca, flags;

	switch (l & 7) {
	case 0:
	case 1:
	case 2:
	case 3:
		lrca = gm(g, G_CTX(l & 3));
		break;
	case 4:
		lrca = gm(g, G_CTX(l >> 3 & 3) + 1 + (l >> 5 & 3));
		break;
	case 5:
		lrca = gm(&victim, G_CTX(l >> 3 & 3));
		break;
	case 6:
		lrca = (uint32_t)pick_gm(r) & ~0xfffu;
		break;
	default:
		lrca = (uint32_t)fuzz_take(&r->in, 4) & ~0xfffu;
		break;
	}
	flags = (D_VALID | D_4LEVEL | D_PRIV) ^
		((f & 0x1f) | (f & 0x20 ? D_PRIV : 0) | (f & 0x40 ? 0xe0 : 0) |
		 (f & 0x80 ? 0xe00 : 0));
	*lo = lrca | flags;
	*hi = (l & 7) << 8 | (uint32_t)fuzz_take(&r->in, 1);
}

static void op_elsp(struct run *r)
{
	unsigned int f = (unsigned int)fuzz_take(&r->in, 1), e = f & 3;
	unsigned int dwords = f >> 4 & 3 ? f >> 4 & 3 : 4;
	uint32_t d[4] = { 0 };

	pick_desc(r, &d[3], &d[2]);
	if (f & 8)
		pick_desc(r, &d[1], &d[0]);
	if (f & 4) {
		atomic_store(&gate_closed, true);
		r->held = true;
	}
	if (verbose)
		fprintf(stderr, "ELSP %s: 0x%x:0x%x 0x%x:0x%x, %u dwords%s\n",
			engine_name[e], d[2], d[3], d[0], d[1], dwords,
			r->held ? ", held" : "");
	elsp_write(r->a, e, d, dwords);
	if (!r->held)
		settle_and_check(r);
}

static void op_reset(struct run *r)
{
	struct guest *g = r->a;
	unsigned int k = (unsigned int)(fuzz_take(&r->in, 1) % 8);
	uint32_t v;

	switch (k) {
	case 0:
	case 1:
	case 2:
	case 3:
		v = GDRST_ENGINE(k);
		break;
	case 4:
		v = (uint32_t)fuzz_take(&r->in, 1) & 0x1e;
		break;
	case 5:
		v = GDRST_FULL;
		break;
	case 6:
		if (gvt_vgpu_reset(g->vgpu))
			fail("A: device reset failed");
		guest_boot(g, r->announce);
		settle_and_check(r);
		return;
	default:
		v = (uint32_t)fuzz_take(&r->in, 4);
		break;
	}
	wr(g, GDRST, v);
	if (rd(g, GDRST))
		fail("A: GDRST reads 0x%x after a reset", rd(g, GDRST));
	if (v & GDRST_FULL) {
		guest_engines_init(g, G_HWSP(0));
	} else {
		for (unsigned int e = 0; e < GUEST_ENGINES; e++)
			if (v & GDRST_ENGINE(e))
				g->fails_at_reset[e] = engine_fails(g, e);
	}
	settle_and_check(r);
}

static void op_mmio(struct run *r)
{
	struct guest *g = r->a;
	unsigned int k = (unsigned int)fuzz_take(&r->in, 1);
	uint32_t base = guest_eng_base[k & 3];

	switch ((k >> 2) % 6) {
	case 0:
		/* Run lists off (the ELSP is ignored then) or on again. */
		wr(g, base + R_MODE, RUN_LIST_ENABLE << 16 |
		   (k & 0x20 ? 0 : RUN_LIST_ENABLE));
		break;
	case 1:
		wr(g, base + R_HWS_PGA, (uint32_t)pick_gm(r));
		break;
	case 2:
		wr(g, base + R_CSB_PTR, pick_u32(r));
		break;
	case 3:
		/* One ELSP dword: the latch is left part-filled. */
		wr(g, base + R_ELSP, pick_u32(r));
		break;
	case 4:
		(void)rd(g, base + R_EL_STATUS_LO);
		(void)rd(g, base + R_EL_STATUS_HI);
		(void)rd(g, base + R_CSB_PTR);
		(void)rd(g, base + R_CSB +
			 4 * (uint32_t)(fuzz_take(&r->in, 1) % 12));
		(void)rd(g, base + R_HEAD);
		break;
	default:
		/* The PPGTT announced, or withdrawn, at a frame of the input's. */
		wr(g, PV_PDP0_LO, (uint32_t)(pick_frame(r) << 12));
		wr(g, PV_PDP0_HI, 0);
		wr(g, PV_G2V_NOTIFY, k & 0x40 ? G2V_PPGTT_L4_CREATE + 1 :
					   G2V_PPGTT_L4_CREATE);
		break;
	}
}

/* ---- the end of every input ---- */

/*
 * After a full GPU reset, whatever came before, A runs a NOOP workload on
 * every engine at once, each from a fresh context image (3-level, no page
 * tables) in pages whose GGTT entries it sets again: the CSB says
 * idle-to-active, then active-to-idle and complete, and RING_HEAD reaches
 * the tail.
 */
static void run_known_good(struct run *r)
{
	static const uint8_t zero[PAGE];
	static const uint64_t none[4];
	struct guest *g = r->a;
	uint64_t done[GUEST_ENGINES];
	uint32_t regs[PAGE / 4];

	wr(g, GDRST, GDRST_FULL);
	if (rd(g, GDRST))
		fail("A: GDRST reads 0x%x after a full reset", rd(g, GDRST));
	for (unsigned int i = G_GOOD; i < G_GOOD_HWSP + GUEST_ENGINES; i++)
		ggtt_set(g, g->ap_base / PAGE + i, ggtt_gpa(i) | 1);
	guest_write(g, ggtt_gpa(G_GOOD_RING), zero, PAGE);
	guest_engines_init(g, G_GOOD_HWSP);
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		uint64_t img = ggtt_gpa(G_GOOD + 2 * e);
		uint32_t d[4] = { 0, 0, GOOD_ID + e,
				  gm(g, G_GOOD + 2 * e) | D_VALID | D_3LEVEL | D_PRIV };

		memset(regs, 0, sizeof(regs));
		guest_ctx_fill(regs, guest_eng_base[e], gm(g, G_GOOD_RING), 1, none);
		regs[CTX_TAIL + 1] = 16;
		guest_write(g, img, zero, PAGE);
		guest_write(g, img + PAGE, regs, PAGE);
		done[e] = engine_stats(g, e).completed;
		elsp_write(g, e, d, 4);
	}
	settle(r);
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		uint32_t base = guest_eng_base[e];
		uint64_t head = ggtt_gpa(G_GOOD + 2 * e) + PAGE + 4 * (CTX_HEAD + 1);
		struct gvt_execlist el = execlist_of(g, e);
		uint32_t csb[4];

		if (el.hung || el.running >= 0 || el.pending >= 0 ||
		    engine_stats(g, e).completed != done[e] + 1)
			fail("A: after a full reset, a NOOP workload on %s did not complete (%s)",
			     engine_name[e], el.hung ? "hung" : "still running");
		if ((ram_ld(g, head) & HEAD_ADDR) != 16)
			fail("A: after a full reset, RING_HEAD on %s is 0x%x, not the tail",
			     engine_name[e], ram_ld(g, head));
		for (unsigned int i = 0; i < 4; i++)
			csb[i] = rd(g, base + R_CSB + 4 * i);
		if ((rd(g, base + R_CSB_PTR) & 7) != 1 || csb[0] != CSB_I2A ||
		    csb[2] != (CSB_A2I | CSB_COMPLETE) || csb[3] != GOOD_ID + e)
			fail("A: after a full reset, %s's CSB holds 0x%x:0x%x 0x%x:0x%x (write pointer %u)",
			     engine_name[e], csb[1], csb[0], csb[3], csb[2],
			     rd(g, base + R_CSB_PTR) & 7);
	}
}

/*
 * A device reset ends every input: it leaves the vGPU as created, without
 * the cost of creating one (2 MiB of registers to fault in, under ASan,
 * each time), and must release all it held: no mapping of guest memory,
 * no tracked page, no GGTT entry but the scratch page.
 */
static void guest_release(struct guest *g)
{
	uint32_t first = g->ap_base / PAGE;

	if (gvt_vgpu_reset(g->vgpu))
		fail("%s: device reset failed", g->name);
	if (g->hv->maps_live || g->hv->bad_unmaps || g->hv->tracked_live)
		fail("%s: reset with %llu mappings and %llu tracked pages left, %llu bad unmaps",
		     g->name, (unsigned long long)g->hv->maps_live,
		     (unsigned long long)g->hv->tracked_live,
		     (unsigned long long)g->hv->bad_unmaps);
	for (unsigned int i = 0; i < G_PAGES; i++)
		if (ctx->pgpu_ops->ggtt_read(ctx->pgpu, first + i) !=
		    (ctx->scratch_addr | 1))
			fail("%s: its GGTT entry %u outlived a reset", g->name, i);
}

/* What A's engines did since its vGPU was created, and its data pages. */
static void summary(struct guest *g)
{
	for (unsigned int e = 0; e < GUEST_ENGINES; e++) {
		struct gvt_engine_stats st = engine_stats(g, e);

		fprintf(stderr, "A %s, since created: submitted %llu completed %llu hung %llu refused %llu\n",
			st.name, (unsigned long long)st.submitted,
			(unsigned long long)st.completed,
			(unsigned long long)st.hung,
			(unsigned long long)st.refused);
	}
	fprintf(stderr, "A data: PPGTT 0x%x 0x%x, GGTT 0x%x 0x%x\n",
		ram_ld(g, (uint64_t)(F_PPGTT + 4) * PAGE),
		ram_ld(g, (uint64_t)(F_PPGTT + 4) * PAGE + 4),
		ram_ld(g, ggtt_gpa(G_DATA)), ram_ld(g, ggtt_gpa(G_DATA) + 4));
}

/* Guest A without and with write protection: made once, reset after
 * every input. */
static struct guest attacker[2];

static void setup(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 512,
		.log_fn = log_sink,
		.log_level = GVT_LOG_WARNING,
	};
	struct run r = { 0 };

	verbose = getenv("FUZZ_SUBMIT_LOG");
	if (verbose)
		p.log_level = GVT_LOG_DEBUG;
	if (gvt_ctx_create(&p, &ctx))
		fail("setup");
	if (verbose)
		gvt_ctx_set_debug(ctx, GVT_DBG_SCHED | GVT_DBG_CORE);
	gated_ops = *ctx->pgpu_ops;
	sim_poll = gated_ops.engine_poll;
	gated_ops.engine_poll = gated_poll;
	ctx->pgpu_ops = &gated_ops;
	gvt_sched_set_timeout(ctx, HANG_TIMEOUT_NS);

	guest_create(&attacker[0], "A", false);
	guest_create(&attacker[1], "A", true);
	guest_create(&victim, "victim", true);
	guest_start(&victim, true);
	victim_expect = malloc(RAM_SIZE);
	if (!victim_expect)
		fail("setup memory");
	memcpy(victim_expect, victim.hv->ram, RAM_SIZE);
	for (unsigned int e = 0; e < GUEST_ENGINES; e++)
		victim_submit(e);
	for (unsigned int i = 0; i < G_PAGES; i++)
		victim_ggtt[i] = ctx->pgpu_ops->ggtt_read(ctx->pgpu,
							  victim.ap_base / PAGE + i);
	settle(&r);
	check_victim_engines();
	check_victim_memory();
	check_log();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .in = { data, size } };
	unsigned int flags;

	if (!ctx)
		setup();
	flags = (unsigned int)fuzz_take(&r.in, 1);
	r.a = &attacker[flags & 1];
	r.announce = flags & 2;
	guest_start(r.a, r.announce);
	while (r.in.left) {
		if (r.held && ++r.held_ops > MAX_HELD_OPS)
			settle_and_check(&r);
		unsigned int op = (unsigned int)(fuzz_take(&r.in, 1) % OP_NUM);

		if (verbose)
			fprintf(stderr, "op %u at %zu\n", op, size - r.in.left - 1);
		switch (op) {
		case OP_CTX:
			op_ctx(&r);
			break;
		case OP_ROOT:
			op_root(&r);
			break;
		case OP_RING:
			op_ring(&r);
			break;
		case OP_BATCH:
			op_batch(&r);
			break;
		case OP_PT:
			op_pt(&r);
			break;
		case OP_GGTT:
			op_ggtt(&r);
			break;
		case OP_RAM:
			op_ram(&r);
			break;
		case OP_ELSP:
			op_elsp(&r);
			break;
		case OP_RESET:
			op_reset(&r);
			break;
		case OP_MMIO:
			op_mmio(&r);
			break;
		case OP_VICTIM:
			victim_submit((unsigned int)(fuzz_take(&r.in, 1) %
						     GUEST_ENGINES));
			break;
		default:
			settle_and_check(&r);
			break;
		}
	}
	settle_and_check(&r);
	check_log();
	if (verbose)
		summary(r.a);
	run_known_good(&r);
	check_victim_memory();
	guest_release(r.a);
	check_log();
	return 0;
}
