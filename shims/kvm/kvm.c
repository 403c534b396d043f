// SPDX-License-Identifier: MIT
/*
 * The KVM shim (include/gvt/gvt_kvm.h; docs/kvm.md).
 *
 * The device model owns the VM and its vCPUs and hands us the exits that
 * land in the vGPU. We decode the BARs from the vGPU's own config space,
 * forward accesses to libgvt, implement struct gvt_hv_ops over the device
 * model's mapping of guest RAM, and signal interrupts straight into KVM.
 *
 * Posted ELSP writes. A submission is four writes to an engine's ELSP and
 * only the fourth starts anything, so the first three need no exit. KVM's
 * coalesced MMIO appends writes to a zone into a ring instead of exiting,
 * but only while the ring has room, and userspace owns the ring's consumer
 * index (first). We put a zone on every ELSP and, after each drain, set
 * first so that the ring holds exactly as many writes as may wait
 * (gvt_vgpu_submit_ports(): one fewer than the writes that can complete a
 * submission): the write that submits finds the ring full and exits as a
 * normal MMIO write. Its handler first applies the waiting writes, in
 * order, then itself. One exit per submission.
 *
 * Kernels before Linux 6.11 (and its backports) computed the ring's room
 * with an unsigned modulo that goes wrong where the ring wraps: a write
 * into the last slot with first at 0 is taken, not refused. Which rule
 * the running kernel follows is probed once, in a scratch VM, and the
 * ring is armed to suit.
 *
 * Page tracking. KVM gives userspace no per-page write protection, but a
 * read-only memslot turns every guest write into an MMIO exit. Each RAM
 * range is kept as a sorted list of pieces, alternately writable and
 * read-only, each its own memslot; tracking or untracking a page replaces
 * at most three pieces by at most three (its piece is split, or merged
 * with its neighbours). KVM cannot resize a memslot, so each change is a
 * delete then a create, and the device model may pause its vCPUs around it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <gvt/gvt_kvm.h>

#include "shim_bars.h"

#define PAGE_BYTES 4096u
/* The ring's slots: the page less its two indices (uapi kvm.h says so in
 * terms of the kernel's PAGE_SIZE, which userspace has no macro for). */
#define RING_SLOTS ((PAGE_BYTES - sizeof(struct kvm_coalesced_mmio_ring)) / \
		    sizeof(struct kvm_coalesced_mmio))
#define MAX_PORTS 8

/* How the running kernel decides that the coalesced ring is full. */
enum ring_rule {
	RING_RULE_UNKNOWN,
	RING_RULE_EXACT,	/* full when the next slot is first (6.11+) */
	RING_RULE_WRAPPY,	/* the older unsigned modulo (see the top) */
	RING_RULE_NONE,		/* coalesced MMIO unusable: every write exits */
};

/* One memslot's worth of a RAM range: pages [first, first + pages). */
struct piece {
	uint64_t first;
	uint64_t pages;
	uint32_t slot;
	bool ro;	/* write-protected: tracked pages */
};

/* A RAM range's pieces, sorted, covering it without gaps. */
struct layout {
	struct piece *piece;
	unsigned int nr, cap;
	bool own_slot_used;	/* the device model's slot id holds a piece */
};

struct gvt_kvm {
	int vm_fd;
	struct gvt_kvm_mem mem[GVT_KVM_MEM_MAX];
	unsigned int nr_mem;
	bool tracking;		/* page tracking through read-only memslots */
	struct gvt_hv_ops ops;	/* gvt_kvm_hv_ops(): with tracking or not */
	void (*pause_vcpus)(void *opaque, bool pause);
	void *pause_opaque;
	/* Taken inside the vGPU's lock (libgvt calls page_track_* holding
	 * it): never call into libgvt while holding it. */
	pthread_mutex_t slot_lock;
	struct layout layout[GVT_KVM_MEM_MAX];
	uint32_t *free_slot;	/* ids no piece uses, a stack */
	unsigned int nr_free;
	uint64_t pages_tracked, slot_updates, track_errors;
	struct kvm_coalesced_mmio_ring *ring;	/* NULL: no posted writes */
	int intx_gsi;
	gvt_log_fn *log_fn;
	void *log_opaque;

	pthread_mutex_t lock;	/* everything below */
	struct gvt_vgpu *vgpu;
	struct shim_bars bars;	/* as the guest placed them */
	/* Coalesced zones: one per submit port, at zone_base + port[i]. */
	uint32_t port[MAX_PORTS];
	unsigned int nr_ports;
	bool zones;
	uint64_t zone_base;
	uint32_t ring_next;	/* the next slot to read: the kernel's last */
	enum ring_rule rule;
	struct gvt_kvm_stats st;	/* the counters kept under lock */
	/* Signalled from libgvt's GPU thread too. */
	atomic_uint_fast64_t msi, msi_errors, intx, intx_errors;
};

static void shim_log(struct gvt_kvm *k, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void shim_log(struct gvt_kvm *k, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!k->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->log_fn(k->log_opaque, level, msg);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- guest memory ---- */

/* The host address of [@gpa, @gpa + @len) if one RAM range holds it all. */
static uint8_t *host_of(struct gvt_kvm *k, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < k->nr_mem; i++) {
		const struct gvt_kvm_mem *m = &k->mem[i];

		if (gpa >= m->gpa && gpa - m->gpa < m->size &&
		    len <= m->size - (gpa - m->gpa))
			return (uint8_t *)m->host + (gpa - m->gpa);
	}
	return NULL;
}

/* Copy between guest RAM and @buf, page by page: a copy may span two
 * adjacent ranges. */
static int copy_gpa(struct gvt_kvm *k, uint64_t gpa, void *buf, size_t len,
		    bool to_guest)
{
	uint8_t *b = buf;

	while (len) {
		size_t chunk = PAGE_BYTES - gpa % PAGE_BYTES;
		uint8_t *host;

		if (chunk > len)
			chunk = len;
		if (gpa + chunk < gpa)
			return -EFAULT;
		host = host_of(k, gpa, chunk);
		if (!host)
			return -EFAULT;
		if (to_guest)
			memcpy(host, b, chunk);
		else
			memcpy(b, host, chunk);
		gpa += chunk;
		b += chunk;
		len -= chunk;
	}
	return 0;
}

static int kvm_read_gpa(void *hv, uint64_t gpa, void *buf, size_t len)
{
	return copy_gpa(hv, gpa, buf, len, false);
}

static int kvm_write_gpa(void *hv, uint64_t gpa, const void *buf, size_t len)
{
	return copy_gpa(hv, gpa, (void *)buf, len, true);
}

/* The sim GPU reaches guest RAM through the device model's mapping, which
 * lives as long as the VM: nothing to pin. */
static int kvm_dma_map(void *hv, uint64_t gfn, uint64_t size,
		       uint64_t *bus_addr)
{
	uint8_t *host;

	if (gfn > UINT64_MAX / PAGE_BYTES)
		return -EFAULT;
	host = host_of(hv, gfn * PAGE_BYTES, size);
	if (!host)
		return -EFAULT;
	*bus_addr = (uint64_t)(uintptr_t)host;
	return 0;
}

static int kvm_dma_unmap(void *hv, uint64_t bus_addr, uint64_t size)
{
	(void)hv;
	(void)bus_addr;
	(void)size;
	return 0;
}

/* ---- interrupts ---- */

static int kvm_inject_msi(void *hv, uint64_t addr, uint32_t data)
{
	struct gvt_kvm *k = hv;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	atomic_fetch_add(&k->msi, 1);
	/* > 0 delivered, 0 blocked by the guest (as a masked MSI is). */
	if (ioctl(k->vm_fd, KVM_SIGNAL_MSI, &msi) < 0) {
		int err = errno;

		atomic_fetch_add(&k->msi_errors, 1);
		return -err;
	}
	return 0;
}

static int kvm_set_intx(void *hv, bool asserted)
{
	struct gvt_kvm *k = hv;
	struct kvm_irq_level line = { .irq = (uint32_t)k->intx_gsi,
				      .level = asserted };

	atomic_fetch_add(&k->intx, 1);
	if (k->intx_gsi < 0 || ioctl(k->vm_fd, KVM_IRQ_LINE, &line) < 0) {
		int err = k->intx_gsi < 0 ? ENODEV : errno;

		atomic_fetch_add(&k->intx_errors, 1);
		return -err;
	}
	return 0;
}

/* ---- page tracking ---- */

/* The RAM range holding @gpa, or -1. */
static int range_of(const struct gvt_kvm *k, uint64_t gpa)
{
	for (unsigned int i = 0; i < k->nr_mem; i++)
		if (gpa >= k->mem[i].gpa && gpa - k->mem[i].gpa < k->mem[i].size)
			return (int)i;
	return -1;
}

/* The piece holding page @page of @l (there is one: pieces cover it). */
static unsigned int piece_of(const struct layout *l, uint64_t page)
{
	unsigned int lo = 0, hi = l->nr;

	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (l->piece[mid].first <= page)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int slot_set(struct gvt_kvm *k, unsigned int r, uint32_t slot,
		    const struct piece *p)
{
	const struct gvt_kvm_mem *m = &k->mem[r];
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = p ? m->slot_flags | (p->ro ? KVM_MEM_READONLY : 0) : 0,
		.guest_phys_addr = p ? m->gpa + p->first * PAGE_BYTES : 0,
		.memory_size = p ? p->pages * PAGE_BYTES : 0,
		.userspace_addr = p ? (uintptr_t)m->host + p->first * PAGE_BYTES : 0,
	};

	k->slot_updates++;
	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno : 0;
}

static void slot_free(struct gvt_kvm *k, unsigned int r, uint32_t slot)
{
	if (slot == k->mem[r].slot)
		k->layout[r].own_slot_used = false;
	else
		k->free_slot[k->nr_free++] = slot;
}

/* An id for a new piece of range @r: its own while free (the whole range
 * always gets it back), else one from the pool. */
static uint32_t slot_take(struct gvt_kvm *k, unsigned int r)
{
	if (!k->layout[r].own_slot_used) {
		k->layout[r].own_slot_used = true;
		return k->mem[r].slot;
	}
	return k->free_slot[--k->nr_free];
}

/* Take id @slot out of the free ones again (it is there). */
static void slot_reclaim(struct gvt_kvm *k, unsigned int r, uint32_t slot)
{
	if (slot == k->mem[r].slot) {
		k->layout[r].own_slot_used = true;
		return;
	}
	for (unsigned int j = 0; j < k->nr_free; j++)
		if (k->free_slot[j] == slot) {
			k->free_slot[j] = k->free_slot[--k->nr_free];
			return;
		}
}

/*
 * Replace pieces [@at, @at + @n_old) of range @r by the @n_new pieces in
 * @new (the same span; their ids are chosen here): delete, then create.
 * When KVM refuses a step, put the old pieces back under their old ids.
 */
static int pieces_replace(struct gvt_kvm *k, unsigned int r, unsigned int at,
			  unsigned int n_old, struct piece *new,
			  unsigned int n_new)
{
	struct layout *l = &k->layout[r];
	unsigned int made = 0, deleted = 0;
	struct piece *old;
	int ret = 0;

	if (k->nr_free + n_old + !l->own_slot_used < n_new)
		return -ENOSPC;
	if (l->nr - n_old + n_new > l->cap) {
		unsigned int cap = l->cap * 2 + 4;
		struct piece *grown = realloc(l->piece, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		l->piece = grown;
		l->cap = cap;
	}
	old = malloc(n_old * sizeof(*old));
	if (!old)
		return -ENOMEM;
	memcpy(old, &l->piece[at], n_old * sizeof(*old));
	if (k->pause_vcpus)
		k->pause_vcpus(k->pause_opaque, true);
	for (; deleted < n_old; deleted++) {
		ret = slot_set(k, r, old[deleted].slot, NULL);
		if (ret)
			break;
	}
	if (ret) {
		/* Only the ones before it are gone: create them again. */
		while (deleted--)
			slot_set(k, r, old[deleted].slot, &old[deleted]);
		goto out;
	}
	for (unsigned int i = 0; i < n_old; i++)
		slot_free(k, r, old[i].slot);
	for (; made < n_new; made++) {
		new[made].slot = slot_take(k, r);
		ret = slot_set(k, r, new[made].slot, &new[made]);
		if (ret) {
			slot_free(k, r, new[made].slot);
			break;
		}
	}
	if (ret) {
		while (made--) {
			slot_set(k, r, new[made].slot, NULL);
			slot_free(k, r, new[made].slot);
		}
		for (unsigned int i = 0; i < n_old; i++) {
			slot_reclaim(k, r, old[i].slot);
			if (slot_set(k, r, old[i].slot, &old[i]))
				shim_log(k, GVT_LOG_ERR,
					 "kvm: guest RAM 0x%llx+0x%llx has no memslot now: KVM refused it back (%s); data accesses there exit",
					 (unsigned long long)(k->mem[r].gpa + old[i].first * PAGE_BYTES),
					 (unsigned long long)(old[i].pages * PAGE_BYTES),
					 strerror(errno));
		}
	}
out:
	if (k->pause_vcpus)
		k->pause_vcpus(k->pause_opaque, false);
	free(old);
	if (ret)
		return ret;
	memmove(&l->piece[at + n_new], &l->piece[at + n_old],
		(l->nr - at - n_old) * sizeof(*l->piece));
	memcpy(&l->piece[at], new, n_new * sizeof(*new));
	l->nr = l->nr - n_old + n_new;
	return 0;
}

/*
 * Make page @gfn read-only (@ro) or writable again. Its piece is split
 * around it, and merged with a neighbour that already has the wanted
 * state, so a run of tracked pages is one memslot.
 */
static int track_set(struct gvt_kvm *k, uint64_t gfn, bool ro)
{
	struct piece new[3], cur, mid;
	unsigned int at, n_old, n_new = 0, s;
	struct layout *l;
	uint64_t page;
	int r, ret;

	if (gfn > UINT64_MAX / PAGE_BYTES)
		return -EFAULT;
	r = range_of(k, gfn * PAGE_BYTES);
	if (r < 0) {
		pthread_mutex_lock(&k->slot_lock);
		k->track_errors++;
		pthread_mutex_unlock(&k->slot_lock);
		return -EFAULT;
	}
	pthread_mutex_lock(&k->slot_lock);
	l = &k->layout[r];
	page = gfn - k->mem[r].gpa / PAGE_BYTES;
	s = piece_of(l, page);
	cur = l->piece[s];
	if (cur.ro == ro) {
		pthread_mutex_unlock(&k->slot_lock);
		return 0;
	}
	at = s;
	n_old = 1;
	/* The page itself, grown into a neighbour of its new state: pieces
	 * alternate, so the neighbours of @cur have state @ro. */
	mid = (struct piece){ .first = page, .pages = 1, .ro = ro };
	if (page == cur.first && s > 0) {
		at = s - 1;
		n_old++;
		mid.first = l->piece[s - 1].first;
		mid.pages += l->piece[s - 1].pages;
	} else if (page > cur.first) {
		new[n_new++] = (struct piece){ .first = cur.first,
					       .pages = page - cur.first,
					       .ro = cur.ro };
	}
	if (page == cur.first + cur.pages - 1 && s + 1 < l->nr) {
		n_old++;
		mid.pages += l->piece[s + 1].pages;
	}
	new[n_new++] = mid;
	if (page < cur.first + cur.pages - 1) {
		new[n_new++] = (struct piece){ .first = page + 1,
					       .pages = cur.first + cur.pages - page - 1,
					       .ro = cur.ro };
	}
	ret = pieces_replace(k, (unsigned int)r, at, n_old, new, n_new);
	if (ret)
		k->track_errors++;
	else if (ro)
		k->pages_tracked++;
	else
		k->pages_tracked--;
	pthread_mutex_unlock(&k->slot_lock);
	return ret;
}

static int kvm_track_enable(void *hv, uint64_t gfn)
{
	return track_set(hv, gfn, true);
}

static int kvm_track_disable(void *hv, uint64_t gfn)
{
	return track_set(hv, gfn, false);
}

/* Each range back in one memslot under the device model's id. */
static void layouts_restore(struct gvt_kvm *k)
{
	pthread_mutex_lock(&k->slot_lock);
	for (unsigned int r = 0; r < k->nr_mem; r++) {
		struct layout *l = &k->layout[r];
		struct piece whole = { .first = 0,
				       .pages = k->mem[r].size / PAGE_BYTES };

		if (l->nr > 1 && pieces_replace(k, r, 0, l->nr, &whole, 1))
			shim_log(k, GVT_LOG_ERR, "kvm: cannot give guest RAM 0x%llx its one memslot back",
				 (unsigned long long)k->mem[r].gpa);
	}
	pthread_mutex_unlock(&k->slot_lock);
}

/* What every attachment's ops start from; track_init() adds tracking. */
static const struct gvt_hv_ops ops_base = {
	.version = GVT_HV_OPS_VERSION,
	.read_gpa = kvm_read_gpa,
	.write_gpa = kvm_write_gpa,
	.dma_map = kvm_dma_map,
	.dma_unmap = kvm_dma_unmap,
	.inject_msi = kvm_inject_msi,
	.set_intx = kvm_set_intx,
};

const struct gvt_hv_ops *gvt_kvm_hv_ops(const struct gvt_kvm *kvm)
{
	return kvm ? &kvm->ops : NULL;
}

/* ---- the coalesced ring ---- */

/*
 * Which rule the kernel uses to refuse a coalesced write: a scratch VM
 * whose one vCPU (real mode) writes once into a zone with the ring's last
 * slot free and first at 0. The exact rule refuses (an MMIO exit); the
 * wrapping one takes the write (the vCPU goes on to hlt).
 */
static enum ring_rule probe_ring_rule(struct gvt_kvm *k)
{
	static const uint8_t code[] = {
		0xa2, 0x00, 0x10,	/* mov [0x1000], al */
		0xf4,			/* hlt */
	};
	struct kvm_coalesced_mmio_zone zone = { .addr = 0x1000, .size = 4 };
	enum ring_rule rule = RING_RULE_NONE;
	int kvm = -1, vm = -1, vcpu = -1, run_size;
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_userspace_memory_region slot;
	struct kvm_run *run = MAP_FAILED;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	uint8_t *ram;

	ram = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return RING_RULE_NONE;
	memcpy(ram, code, sizeof(code));
	slot = (struct kvm_userspace_memory_region){
		.memory_size = PAGE_BYTES, .userspace_addr = (uintptr_t)ram };
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		goto out;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm < 0 || run_size < (int)(KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * (int)PAGE_BYTES ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) ||
	    ioctl(vm, KVM_REGISTER_COALESCED_MMIO, &zone))
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		goto out;
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		goto out;
	ring = (void *)((uint8_t *)run + KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_BYTES);
	/* No vCPU runs yet: the indices are ours to place. */
	ring->first = 0;
	ring->last = RING_SLOTS - 1;
	if (ioctl(vcpu, KVM_RUN, 0))
		goto out;
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
	    run->mmio.phys_addr == 0x1000)
		rule = RING_RULE_EXACT;
	else if (run->exit_reason == KVM_EXIT_HLT && ring->last == 0)
		rule = RING_RULE_WRAPPY;
out:
	if (rule == RING_RULE_NONE)
		shim_log(k, GVT_LOG_WARNING,
			 "kvm: coalesced MMIO did not behave as expected in a scratch VM (%s): every ELSP write will exit",
			 errno ? strerror(errno) : "an unexpected exit");
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	munmap(ram, PAGE_BYTES);
	return rule;
}

/*
 * Let the ring take @budget more writes and refuse the one after, which
 * would land in slot @ring_next + @budget. The exact rule refuses a write
 * into the slot before first; the wrapping rule refuses slot p when first
 * is p + 1 as an integer, so for the last slot first must be RING_SLOTS,
 * not 0.
 */
static void ring_arm(struct gvt_kvm *k, unsigned int budget)
{
	uint32_t refuse = (uint32_t)((k->ring_next + budget) % RING_SLOTS);
	uint32_t first = refuse + 1;

	if (first == RING_SLOTS && k->rule == RING_RULE_EXACT)
		first = 0;
	__atomic_store_n(&k->ring->first, first, __ATOMIC_RELEASE);
}

/* Arm the ring for what may wait now: one write fewer than can complete a
 * submission (none if libgvt cannot say). */
static void ring_rearm(struct gvt_kvm *k)
{
	unsigned int to_submit;

	if (gvt_vgpu_submit_ports(k->vgpu, NULL, 0, &to_submit) < 0)
		to_submit = 1;
	ring_arm(k, to_submit - 1);
}

static bool posting(const struct gvt_kvm *k)
{
	return k->ring && k->zones && k->rule != RING_RULE_NONE;
}

static int bar_access(struct gvt_kvm *k, int bar, uint64_t off, void *data,
		      uint32_t len, bool is_write);

/* Apply the writes waiting in the ring, in order, and arm it again. */
static int drain(struct gvt_kvm *k)
{
	uint32_t last;
	int n = 0, ret;

	if (!posting(k))
		return 0;
	last = __atomic_load_n(&k->ring->last, __ATOMIC_ACQUIRE);
	if (last >= RING_SLOTS) {
		shim_log(k, GVT_LOG_ERR, "kvm: coalesced ring index %u out of range", last);
		return -EIO;
	}
	if (k->ring_next == last)
		return 0;	/* armed already, for the count as it is */
	while (k->ring_next != last) {
		struct kvm_coalesced_mmio *w = &k->ring->coalesced_mmio[k->ring_next];
		uint8_t data[8];
		uint32_t len = w->len;

		memcpy(data, w->data, sizeof(data));
		k->ring_next = (uint32_t)((k->ring_next + 1) % RING_SLOTS);
		n++;
		k->st.coalesced++;
		k->st.elsp_writes++;
		/* A zone sits at zone_base + port: always BAR0. */
		if (len > sizeof(data) || w->phys_addr < k->zone_base)
			continue;
		ret = bar_access(k, SHIM_BAR_MMIO, w->phys_addr - k->zone_base,
				 data, len, true);
		if (ret < 0)
			shim_log(k, GVT_LOG_WARNING, "kvm: posted write at 0x%llx: %s",
				 (unsigned long long)w->phys_addr, strerror(-ret));
	}
	ring_rearm(k);
	return n;
}

static void zones_remove(struct gvt_kvm *k)
{
	if (!k->zones)
		return;
	drain(k);
	for (unsigned int i = 0; i < k->nr_ports; i++) {
		struct kvm_coalesced_mmio_zone z = { .addr = k->zone_base + k->port[i],
						     .size = 4 };

		if (ioctl(k->vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &z))
			shim_log(k, GVT_LOG_WARNING, "kvm: cannot remove the coalesced zone at 0x%llx: %s",
				 (unsigned long long)z.addr, strerror(errno));
	}
	k->zones = false;
}

/* Zones on every submit port where BAR0 decodes now. */
static void zones_place(struct gvt_kvm *k)
{
	if (!k->ring || !k->vgpu || k->rule == RING_RULE_NONE)
		return;
	if (k->zones && k->bars.mem_decode && k->zone_base == k->bars.base[SHIM_BAR_MMIO])
		return;
	zones_remove(k);
	if (!k->bars.mem_decode || !k->bars.base[SHIM_BAR_MMIO])
		return;
	if (!k->nr_ports)
		return;
	k->zone_base = k->bars.base[SHIM_BAR_MMIO];
	/* No zone of ours exists, so nothing of ours is in the ring: start
	 * reading where the kernel will write next, and take no write until
	 * every zone is in place (a vCPU that writes one meanwhile exits,
	 * and waits for our lock). */
	k->ring_next = __atomic_load_n(&k->ring->last, __ATOMIC_ACQUIRE) % RING_SLOTS;
	ring_arm(k, 0);
	for (unsigned int i = 0; i < k->nr_ports; i++) {
		struct kvm_coalesced_mmio_zone z = { .addr = k->zone_base + k->port[i],
						     .size = 4 };

		if (ioctl(k->vm_fd, KVM_REGISTER_COALESCED_MMIO, &z)) {
			shim_log(k, GVT_LOG_WARNING, "kvm: cannot place a coalesced zone at 0x%llx: %s; ELSP writes will exit",
				 (unsigned long long)z.addr, strerror(errno));
			/* Take back the ones placed so far. */
			for (unsigned int j = 0; j < i; j++) {
				z.addr = k->zone_base + k->port[j];
				ioctl(k->vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &z);
			}
			return;
		}
	}
	k->zones = true;
	ring_rearm(k);
}

/* ---- BARs and accesses ---- */

/* Re-read the BARs and the command register from config space. */
static void bars_decode(struct gvt_kvm *k)
{
	/* The submit ports: counted in the stats, and posted when a ring
	 * was given. */
	if (!k->nr_ports) {
		unsigned int to_submit;
		int n = gvt_vgpu_submit_ports(k->vgpu, k->port, MAX_PORTS, &to_submit);

		k->nr_ports = n > 0 ? (unsigned int)n : 0;
	}
	if (shim_bars_read(k->vgpu, &k->bars))
		return;
	zones_place(k);
}

static int bar_access(struct gvt_kvm *k, int bar, uint64_t off, void *data,
		      uint32_t len, bool is_write)
{
	uint64_t t0 = now_ns();
	int ret;

	switch (bar) {
	case SHIM_BAR_MMIO:
		ret = is_write ? gvt_vgpu_mmio_write(k->vgpu, off, data, len) :
				 gvt_vgpu_mmio_read(k->vgpu, off, data, len);
		break;
	case SHIM_BAR_APERTURE:
		ret = is_write ? gvt_vgpu_aperture_write(k->vgpu, off, data, len) :
				 gvt_vgpu_aperture_read(k->vgpu, off, data, len);
		break;
	default:
		ret = is_write ? gvt_vgpu_io_write(k->vgpu, (uint32_t)off, data, len) :
				 gvt_vgpu_io_read(k->vgpu, (uint32_t)off, data, len);
		break;
	}
	k->st.libgvt_ns += now_ns() - t0;
	return ret;
}

static bool is_submit_port(const struct gvt_kvm *k, uint64_t off)
{
	for (unsigned int i = 0; i < k->nr_ports; i++)
		if (off == k->port[i])
			return true;
	return false;
}

/*
 * An access to guest RAM that exited: a write to a tracked page, handed
 * to libgvt, which performs it; or an access that fell into a memslot
 * being replaced, performed here. A write is checked against tracking
 * and performed under slot_lock, so it cannot slip past a page being
 * tracked (libgvt reads a table after tracking it).
 */
static int ram_access(struct gvt_kvm *k, uint64_t gpa, uint8_t *data,
		      uint32_t len, bool is_write)
{
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	while (len) {
		uint32_t chunk = PAGE_BYTES - (uint32_t)(gpa % PAGE_BYTES);
		int r = range_of(k, gpa);
		struct layout *l;
		uint8_t *host;
		bool ro;

		if (chunk > len)
			chunk = len;
		host = host_of(k, gpa, chunk);
		if (r < 0 || !host)
			return -EFAULT;
		pthread_mutex_lock(&k->slot_lock);
		l = &k->layout[r];
		ro = l->piece[piece_of(l, (gpa - k->mem[r].gpa) / PAGE_BYTES)].ro;
		if (!is_write || !ro) {
			if (is_write)
				memcpy(host, data, chunk);
			else
				memcpy(data, host, chunk);
			k->st.ram_exits++;
			pthread_mutex_unlock(&k->slot_lock);
		} else {
			uint64_t t0 = now_ns();
			int ret;

			pthread_mutex_unlock(&k->slot_lock);
			k->st.tracked_writes++;
			ret = gvt_vgpu_page_write(k->vgpu, gpa, data, chunk);
			k->st.libgvt_ns += now_ns() - t0;
			if (ret)
				return ret;
		}
		gpa += chunk;
		data += chunk;
		len -= chunk;
	}
	return 0;
}

static int vgpu_access(struct gvt_kvm *k, bool io, uint64_t addr, void *data,
		       uint32_t len, bool is_write)
{
	uint64_t off = 0;
	int bar, ret;

	if (!k || !data)
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	if (!k->vgpu) {
		pthread_mutex_unlock(&k->lock);
		return 0;
	}
	bar = shim_bar_of(&k->bars, io, addr, len, &off);
	if (bar < 0 && !io && k->tracking && host_of(k, addr, 1)) {
		drain(k);
		k->st.exits++;
		k->st.mmio_exits++;
		ret = ram_access(k, addr, data, len, is_write);
		pthread_mutex_unlock(&k->lock);
		return ret < 0 ? ret : 1;
	}
	if (bar < 0) {
		pthread_mutex_unlock(&k->lock);
		return 0;
	}
	/* The guest wrote these before this access. */
	drain(k);
	k->st.exits++;
	if (!io)
		k->st.mmio_exits++;
	if (bar == SHIM_BAR_MMIO && is_write && is_submit_port(k, off))
		k->st.elsp_writes++;
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		ret = -EINVAL;
	} else {
		ret = bar_access(k, bar, off, data, len, is_write);
	}
	if (ret < 0 && !is_write)
		memset(data, 0xff, len);
	/* A write may have latched or completed a submission, or reset an
	 * engine: the count changed. A read changes nothing. */
	if (is_write && posting(k))
		ring_rearm(k);
	pthread_mutex_unlock(&k->lock);
	return ret < 0 ? ret : 1;
}

int gvt_kvm_mmio(struct gvt_kvm *kvm, uint64_t gpa, void *data, uint32_t len,
		 bool is_write)
{
	return vgpu_access(kvm, false, gpa, data, len, is_write);
}

int gvt_kvm_pio(struct gvt_kvm *kvm, uint16_t port, void *data, uint32_t len,
		bool is_write)
{
	if (len == 8)
		return -EINVAL;
	return vgpu_access(kvm, true, port, data, len, is_write);
}

int gvt_kvm_cfg(struct gvt_kvm *kvm, uint32_t offset, void *data, uint32_t len,
		bool is_write)
{
	uint64_t t0;
	int ret;

	if (!kvm || !data)
		return -EINVAL;
	pthread_mutex_lock(&kvm->lock);
	if (!kvm->vgpu) {
		pthread_mutex_unlock(&kvm->lock);
		return -ENODEV;
	}
	drain(kvm);
	kvm->st.exits++;
	t0 = now_ns();
	ret = is_write ? gvt_vgpu_cfg_write(kvm->vgpu, offset, data, len) :
			 gvt_vgpu_cfg_read(kvm->vgpu, offset, data, len);
	kvm->st.libgvt_ns += now_ns() - t0;
	if (!ret && is_write)
		bars_decode(kvm);
	pthread_mutex_unlock(&kvm->lock);
	return ret;
}

int gvt_kvm_flush(struct gvt_kvm *kvm)
{
	int n;

	if (!kvm)
		return -EINVAL;
	pthread_mutex_lock(&kvm->lock);
	n = kvm->vgpu ? drain(kvm) : 0;
	pthread_mutex_unlock(&kvm->lock);
	return n;
}

/* ---- lifecycle ---- */

/* Page tracking's parameters: ids distinct, none in the free range, all
 * within what KVM has; flags KVM keeps on a split; host pages aligned. */
static int track_params_check(const struct gvt_kvm_params *p)
{
	uint64_t end = (uint64_t)p->track_slot_first + p->track_slots;
	int nr_slots = ioctl(p->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	if (nr_slots <= 0)
		nr_slots = 32;	/* KVM's floor since it has had the capability */
	if (end > (uint64_t)nr_slots)
		return -EINVAL;
	for (unsigned int i = 0; i < p->nr_mem; i++) {
		const struct gvt_kvm_mem *m = &p->mem[i];

		if (m->slot >= (uint32_t)nr_slots ||
		    (m->slot >= p->track_slot_first && m->slot < end) ||
		    (m->slot_flags & ~(uint32_t)KVM_MEM_LOG_DIRTY_PAGES) ||
		    (uintptr_t)m->host % PAGE_BYTES)
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++)
			if (p->mem[j].slot == m->slot)
				return -EINVAL;
	}
	return 0;
}

/* Each range one writable piece under the device model's id; the free
 * ids in the pool. Tracking stays off when KVM has no read-only slots. */
static int track_init(struct gvt_kvm *k, const struct gvt_kvm_params *p)
{
	if (ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		shim_log(k, GVT_LOG_WARNING,
			 "kvm: no read-only memslots (KVM_CAP_READONLY_MEM): no page tracking; libgvt re-validates page tables at each submission");
		return 0;
	}
	k->free_slot = calloc(p->track_slots, sizeof(*k->free_slot));
	if (!k->free_slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->track_slots; i++)
		k->free_slot[k->nr_free++] = p->track_slot_first + p->track_slots - 1 - i;
	for (unsigned int r = 0; r < k->nr_mem; r++) {
		struct layout *l = &k->layout[r];

		l->piece = calloc(4, sizeof(*l->piece));
		if (!l->piece)
			return -ENOMEM;
		l->cap = 4;
		l->nr = 1;
		l->piece[0] = (struct piece){ .first = 0,
					      .pages = k->mem[r].size / PAGE_BYTES,
					      .slot = k->mem[r].slot };
		l->own_slot_used = true;
	}
	k->pause_vcpus = p->pause_vcpus;
	k->pause_opaque = p->pause_opaque;
	k->tracking = true;
	k->ops.page_track_enable = kvm_track_enable;
	k->ops.page_track_disable = kvm_track_disable;
	return 0;
}

int gvt_kvm_create(const struct gvt_kvm_params *params, struct gvt_kvm **out)
{
	struct gvt_kvm *k;

	if (!params || !out || params->vm_fd < 0 || !params->mem ||
	    !params->nr_mem || params->nr_mem > GVT_KVM_MEM_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < params->nr_mem; i++) {
		const struct gvt_kvm_mem *m = &params->mem[i];

		if (!m->host || !m->size || m->gpa % PAGE_BYTES || m->size % PAGE_BYTES ||
		    m->gpa + m->size < m->gpa)
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++) {
			const struct gvt_kvm_mem *o = &params->mem[j];

			if (m->gpa < o->gpa + o->size && o->gpa < m->gpa + m->size)
				return -EINVAL;
		}
	}
	if (params->track_slots && track_params_check(params))
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->vm_fd = params->vm_fd;
	k->ops = ops_base;
	memcpy(k->mem, params->mem, params->nr_mem * sizeof(*k->mem));
	k->nr_mem = params->nr_mem;
	k->ring = params->coalesced_ring;
	k->intx_gsi = params->intx_gsi;
	k->log_fn = params->log_fn;
	k->log_opaque = params->log_opaque;
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->slot_lock, NULL);
	if (params->track_slots && track_init(k, params)) {
		gvt_kvm_destroy(k);
		return -ENOMEM;
	}
	if (k->ring) {
		static enum ring_rule probed = RING_RULE_UNKNOWN;
		static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

		/* The kernel's rule cannot change while we run: probe once. */
		pthread_mutex_lock(&probe_lock);
		if (probed == RING_RULE_UNKNOWN)
			probed = probe_ring_rule(k);
		k->rule = probed;
		pthread_mutex_unlock(&probe_lock);
		shim_log(k, GVT_LOG_INFO, "kvm: coalesced MMIO ring of %zu slots, %s",
			 (size_t)RING_SLOTS,
			 k->rule == RING_RULE_EXACT ? "full when the next slot is first" :
			 k->rule == RING_RULE_WRAPPY ? "full by the pre-6.11 modulo" :
			 "unusable: every ELSP write exits");
	}
	*out = k;
	return 0;
}

int gvt_kvm_attach(struct gvt_kvm *kvm, struct gvt_vgpu *vgpu)
{
	if (!kvm || !vgpu)
		return -EINVAL;
	pthread_mutex_lock(&kvm->lock);
	if (kvm->vgpu) {
		pthread_mutex_unlock(&kvm->lock);
		return -EBUSY;
	}
	kvm->vgpu = vgpu;
	bars_decode(kvm);
	pthread_mutex_unlock(&kvm->lock);
	return 0;
}

void gvt_kvm_destroy(struct gvt_kvm *kvm)
{
	if (!kvm)
		return;
	pthread_mutex_lock(&kvm->lock);
	if (kvm->zones) {
		/* Its vGPU is gone: drop what waits instead of applying it. */
		kvm->ring_next = __atomic_load_n(&kvm->ring->last, __ATOMIC_ACQUIRE) % RING_SLOTS;
		for (unsigned int i = 0; i < kvm->nr_ports; i++) {
			struct kvm_coalesced_mmio_zone z = {
				.addr = kvm->zone_base + kvm->port[i], .size = 4 };

			ioctl(kvm->vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &z);
		}
		/* Leave the ring as a drained one looks. */
		__atomic_store_n(&kvm->ring->first, kvm->ring_next, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&kvm->lock);
	if (kvm->tracking)
		layouts_restore(kvm);
	for (unsigned int r = 0; r < kvm->nr_mem; r++)
		free(kvm->layout[r].piece);
	free(kvm->free_slot);
	pthread_mutex_destroy(&kvm->slot_lock);
	pthread_mutex_destroy(&kvm->lock);
	free(kvm);
}

void gvt_kvm_get_stats(struct gvt_kvm *kvm, struct gvt_kvm_stats *out)
{
	if (!kvm || !out)
		return;
	pthread_mutex_lock(&kvm->lock);
	*out = kvm->st;
	pthread_mutex_unlock(&kvm->lock);
	out->msi = atomic_load(&kvm->msi);
	out->msi_errors = atomic_load(&kvm->msi_errors);
	out->intx = atomic_load(&kvm->intx);
	out->intx_errors = atomic_load(&kvm->intx_errors);
	pthread_mutex_lock(&kvm->slot_lock);
	out->pages_tracked = kvm->pages_tracked;
	out->slot_updates = kvm->slot_updates;
	out->track_errors = kvm->track_errors;
	pthread_mutex_unlock(&kvm->slot_lock);
}
