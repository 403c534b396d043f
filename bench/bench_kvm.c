// SPDX-License-Identifier: MIT
/*
 * gvt-bench kvm: what a guest register access costs through the KVM shim
 * and libgvt, against the exit alone. Two VMs on /dev/kvm run the same
 * guest loop (tests/kvm/guest.c): N reads, then N writes, of a plain
 * register in BAR0. In one the VMM completes each MMIO exit and nothing
 * more (a read returns 0); in the other it hands the exit to the shim,
 * which hands it to libgvt. The rounds alternate between the two VMs, so
 * a noisy host weighs on both alike; each time is the median round, each
 * ratio the median of the rounds' ratios (the two VMs' loops of a round
 * run back to back, so a slow spell of the host mostly cancels out).
 *
 * Then, in the shim's VM only, the guest submits workloads with nothing
 * between them but its ring, its context image, four ELSP writes and its
 * status page: exits per submission come from the shim's counters
 * (gvt_kvm_get_stats()), which with the coalesced ring should be one.
 *
 * Page tracking, in the shim's VM: the guest stores to an entry of its
 * PPGTT root, which the shim keeps in a read-only memslot, so each store
 * exits and goes through libgvt's shadow update (against the empty
 * handler's register write); and, with the guest stopped, what making a
 * page read-only and writable again costs in memslot changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "guest_abi.h"
#include "kvm_vgpu.h"
#include "vmm.h"

#define RAM_SIZE	(16ull << 20)
#define ROUNDS		24
#define TIMEOUT_MS	120000

enum { EMPTY, SHIM, SIDES };

/* vmm_run() returns these from the exit handler. */
#define YIELD		1	/* a loop ended: let the other VM run */
#define DONE		2	/* the guest reported */

struct side {
	const char *name;
	struct vmm *vmm;
	struct kvm_vgpu kv;		/* SHIM only */
	bool shim;
	uint32_t ops;			/* accesses per round */
	uint64_t t_begin;		/* of the current loop */
	double read_ns[ROUNDS];		/* per access, per round */
	double write_ns[ROUNDS];
	unsigned int reads_done, writes_done;
	struct gvt_kvm_stats sub_begin, sub_end;
	uint64_t sub_t0, sub_t1;
	struct gvt_kvm_stats tw_begin, tw_end;	/* around the table writes */
	uint64_t tw_t0, tw_t1;
	uint32_t result;
	char err[256];
};

static void loop_end(struct side *s, double *ns, unsigned int *done)
{
	uint64_t t = vmm_now_ns();

	if (*done < ROUNDS)
		ns[(*done)++] = (double)(t - s->t_begin) / s->ops;
}

static int on_mark(struct side *s, uint32_t mark)
{
	switch (mark) {
	case GUEST_MARK_READY:
		return YIELD;
	case GUEST_MARK_READS_BEGIN:
	case GUEST_MARK_WRITES_BEGIN:
		s->t_begin = vmm_now_ns();
		return 0;
	case GUEST_MARK_READS_END:
		loop_end(s, s->read_ns, &s->reads_done);
		return YIELD;
	case GUEST_MARK_WRITES_END:
		loop_end(s, s->write_ns, &s->writes_done);
		return YIELD;
	case GUEST_MARK_SUBMITS_BEGIN:
		gvt_kvm_get_stats(s->kv.kvm, &s->sub_begin);
		s->sub_t0 = vmm_now_ns();
		return 0;
	case GUEST_MARK_SUBMITS_END:
		s->sub_t1 = vmm_now_ns();
		gvt_kvm_get_stats(s->kv.kvm, &s->sub_end);
		return 0;
	case GUEST_MARK_TABLE_WRITES_BEGIN:
		gvt_kvm_get_stats(s->kv.kvm, &s->tw_begin);
		s->tw_t0 = vmm_now_ns();
		return 0;
	case GUEST_MARK_TABLE_WRITES_END:
		s->tw_t1 = vmm_now_ns();
		gvt_kvm_get_stats(s->kv.kvm, &s->tw_end);
		return 0;
	default:
		return 0;
	}
}

/* Ports first for both VMs alike; then the exit proper. */
static int on_exit_fn(void *opaque, const struct vmm_exit *e)
{
	struct side *s = opaque;
	int ret;

	if (e->kind == VMM_EXIT_MMIO) {
		if (!s->shim) {
			/* The empty handler: the access is done, reads see 0. */
			if (!e->is_write)
				memset(e->data, 0, e->len);
			return 0;
		}
		ret = kvm_vgpu_exit(&s->kv, e);
		if (ret == 1)
			return 0;
		snprintf(s->err, sizeof(s->err), "MMIO %s of %u bytes at 0x%llx %s",
			 e->is_write ? "write" : "read", e->len,
			 (unsigned long long)e->addr,
			 ret ? "refused by the shim" : "outside the vGPU");
		return ret ? ret : -EIO;
	}
	if (e->kind == VMM_EXIT_PIO && e->is_write && e->len == 4) {
		uint32_t v;

		memcpy(&v, e->data, 4);
		if (e->addr == GUEST_PORT_MARK)
			return on_mark(s, v);
		if (e->addr == GUEST_PORT_DONE) {
			s->result = v;
			return DONE;
		}
	}
	snprintf(s->err, sizeof(s->err), "unexpected %s exit at 0x%llx",
		 e->kind == VMM_EXIT_HLT ? "halt" : "port",
		 (unsigned long long)e->addr);
	return -EIO;
}

/* Run @s until its handler says @want; report why not. */
static int run_until(struct side *s, int want)
{
	char why[256];
	int ret = vmm_run(s->vmm, on_exit_fn, s, TIMEOUT_MS, why, sizeof(why));

	if (ret == want)
		return 0;
	if (ret == DONE && s->result != GUEST_OK) {
		volatile struct guest_mbox *mb = vmm_ram(s->vmm, GUEST_MBOX_GPA);

		fprintf(stderr, "gvt-bench kvm: %s VM: guest failed at step %u: %s (got 0x%llx, expected 0x%llx)\n",
			s->name, mb->step, (const char *)mb->why,
			(unsigned long long)mb->got, (unsigned long long)mb->want);
	} else {
		fprintf(stderr, "gvt-bench kvm: %s VM: %s%s%s\n", s->name,
			ret < 0 ? (s->err[0] ? s->err : why) : "the guest stopped early",
			s->kv.last_err[0] ? "; last libgvt/shim error: " : "",
			s->kv.last_err);
	}
	return -EIO;
}

static double median(double *v, size_t n)
{
	return bench_quantile(v, n, 0.5);
}

static int side_open(struct side *s, uint32_t todo, uint32_t ops,
		     uint32_t submits)
{
	struct vmm_params vp = {
		.ram_size = RAM_SIZE,
		.elf = vmm_guest_elf,
		.elf_size = (size_t)(vmm_guest_elf_end - vmm_guest_elf),
	};
	volatile struct guest_mbox *mb;
	char why[256];
	int ret;

	ret = vmm_create(&vp, &s->vmm, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "gvt-bench kvm: %s%s\n",
			ret == -ENODEV ? "skipped: KVM unusable here: " : "VMM: ", why);
		return ret;
	}
	if (s->shim && kvm_vgpu_open(&s->kv, s->vmm, true, true, why, sizeof(why))) {
		fprintf(stderr, "gvt-bench kvm: vGPU: %s\n", why);
		return -EIO;
	}
	s->ops = ops;
	mb = vmm_ram(s->vmm, GUEST_MBOX_GPA);
	mb->magic = GUEST_MBOX_MAGIC;
	mb->todo = todo;
	mb->bar0 = KVM_VGPU_BAR0;
	mb->rounds = ROUNDS;
	mb->reads = ops;
	mb->writes = ops;
	mb->submits = submits;
	mb->table_loop = ops;
	return 0;
}

/* The median over the rounds of @a[r] / @b[r]. */
static double median_ratio(const double *a, const double *b)
{
	double r[ROUNDS];

	for (unsigned int i = 0; i < ROUNDS; i++)
		r[i] = a[i] / b[i];
	return median(r, ROUNDS);
}

/* Microseconds to track and untrack one page, the guest stopped: a
 * page in the middle of RAM, so each request splits or merges. */
static double track_cost_us(struct side *s, unsigned int pairs)
{
	const struct gvt_hv_ops *ops = gvt_kvm_hv_ops(s->kv.kvm);
	uint64_t gfn = RAM_SIZE / 4096 / 2 + 7, t0;

	if (!ops->page_track_enable)
		return -1;
	t0 = vmm_now_ns();
	for (unsigned int i = 0; i < pairs; i++)
		if (ops->page_track_enable(s->kv.kvm, gfn) ||
		    ops->page_track_disable(s->kv.kvm, gfn))
			return -1;
	return (double)(vmm_now_ns() - t0) / 1000.0 / pairs;
}

static void report(struct side *sd, uint32_t submits)
{
	struct side *e = &sd[EMPTY], *s = &sd[SHIM];
	/* Before the medians below sort the arrays in place. */
	double rr = median_ratio(s->read_ns, e->read_ns);
	double wr = median_ratio(s->write_ns, e->write_ns);
	double er = median(e->read_ns, ROUNDS), ew = median(e->write_ns, ROUNDS);
	double sr = median(s->read_ns, ROUNDS), sw = median(s->write_ns, ROUNDS);
	uint64_t exits = s->sub_end.exits - s->sub_begin.exits;
	uint64_t coalesced = s->sub_end.coalesced - s->sub_begin.coalesced;
	volatile struct guest_mbox *mb = vmm_ram(s->vmm, GUEST_MBOX_GPA);
	char note[160];

	bench_report("kvm", "empty_exit_read_ns", er, "ns", "none", 0,
		     "guest register read, the VMM completes the exit with 0");
	bench_report("kvm", "empty_exit_write_ns", ew, "ns", "none", 0,
		     "guest register write, the VMM completes the exit");
	bench_report("kvm", "shim_read_ns", sr, "ns", "empty_exit_read_ns", er,
		     "guest register read through gvt_kvm_mmio() and libgvt");
	bench_report("kvm", "shim_write_ns", sw, "ns", "empty_exit_write_ns", ew,
		     "guest register write through gvt_kvm_mmio() and libgvt");
	bench_report("kvm", "read_ratio_shim_over_empty", rr, "ratio",
		     "target", 1.02, "target <= 1.02; median of the rounds' ratios");
	bench_report("kvm", "write_ratio_shim_over_empty", wr, "ratio",
		     "target", 1.02, "target <= 1.02; median of the rounds' ratios");
	snprintf(note, sizeof(note), "%s; %llu ELSP writes coalesced, %.1f us per submission",
		 s->kv.coalesced ? "coalesced ring given" : "KVM has no coalesced ring",
		 (unsigned long long)coalesced,
		 (double)(s->sub_t1 - s->sub_t0) / 1000.0 / submits);
	bench_report("kvm", "exits_per_elsp_submission", (double)exits / submits,
		     "exits", "target", 1, note);
	bench_report("kvm", "submissions_completed", mb->completed, "count",
		     "submissions_made", mb->submitted,
		     "each waited for by polling the status page, its stored value checked");
	if (s->tw_end.tracked_writes > s->tw_begin.tracked_writes) {
		uint64_t n = s->tw_end.tracked_writes - s->tw_begin.tracked_writes;
		double tw = (double)(s->tw_t1 - s->tw_t0) / (double)n;
		double us;

		snprintf(note, sizeof(note), "guest store to its tracked PPGTT root: a read-only memslot exit, gvt_vgpu_page_write(), the shadow entry; %llu stores",
			 (unsigned long long)n);
		bench_report("kvm", "tracked_table_write_ns", tw, "ns",
			     "empty_exit_write_ns", ew, note);
		us = track_cost_us(s, 200);
		if (us >= 0)
			bench_report("kvm", "track_untrack_us", us, "us", "none", 0,
				     "one page made read-only and writable again: 2 memslot changes of 4 ioctls each");
	}
	if (s->sub_end.exits)
		bench_report("kvm", "libgvt_ns_per_exit",
			     (double)s->sub_end.libgvt_ns / (double)s->sub_end.exits,
			     "ns", "empty_exit_read_ns", er,
			     "time inside libgvt per exit, as the shim counts it, whole run");
}

int bench_kvm(const struct bench_opts *opts)
{
	struct side sd[SIDES] = {
		[EMPTY] = { .name = "empty" },
		[SHIM] = { .name = "shim", .shim = true },
	};
	/* An exit costs microseconds, not nanoseconds: fewer than mmio's. */
	uint64_t total = opts->ops / 100;
	uint64_t submits = opts->ops / 20000;
	uint32_t ops;
	int ret;

	total = total < 4000 ? 4000 : total > 4000000 ? 4000000 : total;
	ops = (uint32_t)(total / ROUNDS);
	submits = submits < 50 ? 50 : submits > 20000 ? 20000 : submits;
	ret = side_open(&sd[EMPTY], GUEST_DO_READS | GUEST_DO_WRITES, ops, 0);
	if (ret == -ENODEV) {
		vmm_destroy(sd[EMPTY].vmm);
		return 0;	/* nothing to measure here: not a failure */
	}
	if (!ret)
		ret = side_open(&sd[SHIM], GUEST_DO_SETUP | GUEST_DO_READS |
				GUEST_DO_WRITES | GUEST_DO_SUBMITS |
				GUEST_DO_TABLE_WRITES, ops,
				(uint32_t)submits);
	/* Both to the start line: the shim's guest sets its GPU up first. */
	for (int i = 0; i < SIDES && !ret; i++)
		ret = run_until(&sd[i], YIELD);
	/* Alternate which VM goes first, round by round. */
	for (unsigned int r = 0; r < ROUNDS && !ret; r++) {
		for (int k = 0; k < SIDES && !ret; k++) {
			struct side *s = &sd[(k + (int)r) % SIDES];

			ret = run_until(s, YIELD);		/* reads */
			ret = ret ? ret : run_until(s, YIELD);	/* writes */
		}
	}
	for (int i = 0; i < SIDES && !ret; i++)
		ret = run_until(&sd[i], DONE);
	if (!ret)
		report(sd, (uint32_t)submits);
	for (int i = 0; i < SIDES; i++) {
		if (sd[i].shim)
			kvm_vgpu_close(&sd[i].kv);
		vmm_destroy(sd[i].vmm);
	}
	return ret ? 1 : 0;
}
