// SPDX-License-Identifier: MIT
/*
 * The Xen shim (include/gvt/gvt_xen.h; docs/xen.md): the ioreq server's
 * staged setup and teardown, the ioreq loop, and struct gvt_hv_ops. Every
 * call that reaches Xen goes through struct gvt_xen_port_ops (xen_port.h),
 * so this file runs unchanged over synthetic ioreq pages in the tests.
 *
 * The protocol, from Xen's public/hvm/ioreq.h: each vCPU owns one ioreq_t
 * in the shared page. Xen fills it, sets state READY and signals the
 * vCPU's event channel; we take it (INPROCESS), perform it, store the
 * result and set IORESP_READY, then signal back. Xen's writes to the slot
 * are ordered before READY and ours before IORESP_READY, so the fields are
 * read after the state with an acquire fence and the state written after
 * the fields with a release fence.
 *
 * A string instruction (rep ins/outs/movs/stos) is one request with
 * @count elements of @size bytes; with data_is_ptr, @data is the guest
 * address of the other side, and both addresses step by @size, downwards
 * when @df is set. A guest controls every field, so each element is
 * checked on its own: sizes other than 1/2/4/8, counts beyond a page's
 * worth and unreachable guest memory are answered without effect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "shim_bars.h"
#include "xen_port.h"

#define PAGE_BYTES 4096u
/* Xen splits a string access so that its memory side stays within one
 * page: at most 4096 one-byte elements. More is a malformed request. */
#define REPS_MAX 4096u

/* Setup steps, in order; teardown undoes those done, in reverse. */
enum xen_stage {
	STAGE_NONE,
	STAGE_OPEN,		/* the port's handles */
	STAGE_SERVER,		/* the ioreq server exists */
	STAGE_PAGES,		/* its ioreq pages are mapped */
	STAGE_PORTS,		/* every vCPU's event channel is bound */
	STAGE_PCIDEV,		/* config cycles of the function come to us */
	STAGE_MEM_TYPE,		/* HVMMEM_ioreq_server writes come to us */
	STAGE_ENABLED,		/* Xen sends requests */
};

/* Kinds of guest misbehaviour, each logged once per server. */
enum {
	ONCE_SIZE = 1u << 0,
	ONCE_COUNT = 1u << 1,
	ONCE_GUEST_MEM = 1u << 2,
	ONCE_TYPE = 1u << 3,
};

enum access_kind { KIND_PIO, KIND_MEM, KIND_CFG };

struct range {
	bool mapped;
	bool mmio;
	uint64_t start, end;	/* inclusive, as Xen takes it */
};

struct gvt_xen {
	const struct gvt_xen_port_ops *po;
	void *port;
	bool own_port;		/* the libxen port: freed with the server */
	struct gvt_xen_params p;
	struct gvt_hv_ops ops;	/* gvt_xen_hv_ops(): with tracking or not */
	uint64_t sbdf;		/* the top half of a PCI_CONFIG addr */
	enum xen_stage stage;
	bool domain_gone;	/* gvt_xen_check_domain() saw -ESRCH */
	uint16_t id;		/* the ioreq server */
	unsigned int nr_vcpus;
	unsigned int nr_bound;	/* event channels bound, 0 .. nr_vcpus */
	ioreq_t *req;		/* nr_vcpus slots in the shared page(s) */
	uint32_t local[GVT_XEN_VCPUS_MAX];	/* vCPU i's local port */

	/* The ioreq thread's own state. */
	struct gvt_vgpu *vgpu;
	struct shim_bars bars;	/* as the guest placed them */
	struct range range[SHIM_BARS];	/* what Xen routes to us now */
	unsigned int once;	/* ONCE_* already logged */
	struct gvt_xen_stats st;

	/* Tracked frames, sorted; page_track ops may come from any thread
	 * holding the vGPU's lock. Never call libgvt holding track_lock. */
	pthread_mutex_t track_lock;
	uint64_t *tracked;
	unsigned int nr_tracked, cap_tracked;

	atomic_uint_fast64_t msi, msi_errors;	/* also from the GPU thread */
};

static void shim_log(struct gvt_xen *x, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void shim_log(struct gvt_xen *x, int level, const char *fmt, ...)
{
	int saved = errno;
	char msg[256];
	va_list ap;

	if (!x->p.log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->p.log_fn(x->p.log_opaque, level, msg);
	errno = saved;
}

/* A guest misbehaved: counted always, logged once per kind. */
static void guest_bad(struct gvt_xen *x, unsigned int kind, const ioreq_t *r,
		      const char *why)
{
	x->st.malformed++;
	if (x->once & kind)
		return;
	x->once |= kind;
	shim_log(x, GVT_LOG_WARNING,
		 "xen: dom%u: %s (type %u addr 0x%llx size %u count %u%s); answered without effect, not logged again",
		 x->p.domid, why, r->type, (unsigned long long)r->addr, r->size,
		 r->count, r->data_is_ptr ? " data_is_ptr" : "");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- page tracking ---- */

/* Index of the first tracked frame >= @gfn; track_lock held. */
static unsigned int tracked_pos(const struct gvt_xen *x, uint64_t gfn)
{
	unsigned int lo = 0, hi = x->nr_tracked;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (x->tracked[mid] < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_tracked(struct gvt_xen *x, uint64_t gfn)
{
	bool ret;

	pthread_mutex_lock(&x->track_lock);
	{
		unsigned int i = tracked_pos(x, gfn);

		ret = i < x->nr_tracked && x->tracked[i] == gfn;
	}
	pthread_mutex_unlock(&x->track_lock);
	return ret;
}

static int xen_track_enable(void *hv, uint64_t gfn)
{
	struct gvt_xen *x = hv;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&x->track_lock);
	i = tracked_pos(x, gfn);
	if (i < x->nr_tracked && x->tracked[i] == gfn) {
		pthread_mutex_unlock(&x->track_lock);
		return 0;
	}
	if (x->nr_tracked == x->cap_tracked) {
		unsigned int cap = x->cap_tracked * 2 + 16;
		uint64_t *grown = realloc(x->tracked, cap * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&x->track_lock);
			return -ENOMEM;
		}
		x->tracked = grown;
		x->cap_tracked = cap;
	}
	/* Known before Xen starts sending its writes. */
	memmove(&x->tracked[i + 1], &x->tracked[i],
		(x->nr_tracked - i) * sizeof(*x->tracked));
	x->tracked[i] = gfn;
	x->nr_tracked++;
	ret = x->po->track(x->port, gfn, true);
	if (ret) {
		memmove(&x->tracked[i], &x->tracked[i + 1],
			(x->nr_tracked - i - 1) * sizeof(*x->tracked));
		x->nr_tracked--;
	}
	pthread_mutex_unlock(&x->track_lock);
	return ret;
}

static int xen_track_disable(void *hv, uint64_t gfn)
{
	struct gvt_xen *x = hv;
	unsigned int i;
	int ret;

	pthread_mutex_lock(&x->track_lock);
	i = tracked_pos(x, gfn);
	if (i >= x->nr_tracked || x->tracked[i] != gfn) {
		pthread_mutex_unlock(&x->track_lock);
		return 0;
	}
	ret = x->po->track(x->port, gfn, false);
	if (!ret) {
		memmove(&x->tracked[i], &x->tracked[i + 1],
			(x->nr_tracked - i - 1) * sizeof(*x->tracked));
		x->nr_tracked--;
	}
	pthread_mutex_unlock(&x->track_lock);
	return ret;
}

/* ---- the other hypervisor ops ---- */

static int xen_read_gpa(void *hv, uint64_t gpa, void *buf, size_t len)
{
	struct gvt_xen *x = hv;

	return x->po->read_gpa(x->port, gpa, buf, len);
}

static int xen_write_gpa(void *hv, uint64_t gpa, const void *buf, size_t len)
{
	struct gvt_xen *x = hv;

	return x->po->write_gpa(x->port, gpa, buf, len);
}

static int xen_dma_map(void *hv, uint64_t gfn, uint64_t size,
		       uint64_t *bus_addr)
{
	struct gvt_xen *x = hv;

	return x->po->dma_map(x->port, gfn, size, bus_addr);
}

static int xen_dma_unmap(void *hv, uint64_t bus_addr, uint64_t size)
{
	struct gvt_xen *x = hv;

	return x->po->dma_unmap(x->port, bus_addr, size);
}

static int xen_inject_msi(void *hv, uint64_t addr, uint32_t data)
{
	struct gvt_xen *x = hv;
	int ret = x->po->inject_msi(x->port, addr, data);

	atomic_fetch_add(&x->msi, 1);
	if (ret)
		atomic_fetch_add(&x->msi_errors, 1);
	return ret;
}

static int xen_set_intx(void *hv, bool asserted)
{
	struct gvt_xen *x = hv;

	return x->po->set_intx(x->port, asserted);
}

/* What every server's ops start from; page tracking adds its two. */
static const struct gvt_hv_ops ops_base = {
	.version = GVT_HV_OPS_VERSION,
	.read_gpa = xen_read_gpa,
	.write_gpa = xen_write_gpa,
	.dma_map = xen_dma_map,
	.dma_unmap = xen_dma_unmap,
	.inject_msi = xen_inject_msi,
	.set_intx = xen_set_intx,
};

const struct gvt_hv_ops *gvt_xen_hv_ops(const struct gvt_xen *xen)
{
	return xen ? &xen->ops : NULL;
}

/* ---- BARs ---- */

/*
 * Re-read the BARs and the command register, and make Xen route to us
 * exactly the BARs that decode: unmap what moved or stopped decoding
 * first (Xen refuses overlapping ranges in one server), then map.
 */
static void bars_update(struct gvt_xen *x)
{
	struct range want[SHIM_BARS];

	if (shim_bars_read(x->vgpu, &x->bars))
		return;
	for (int b = 0; b < SHIM_BARS; b++) {
		bool io = b == SHIM_BAR_IO;
		uint64_t base = x->bars.base[b], size = x->bars.size[b];

		want[b] = (struct range){
			.mapped = size && base &&
				  (io ? x->bars.io_decode : x->bars.mem_decode) &&
				  base + size - 1 >= base,
			.mmio = !io,
			.start = base,
			.end = base + size - 1,
		};
	}
	for (int b = 0; b < SHIM_BARS; b++) {
		struct range *r = &x->range[b];
		int ret;

		if (!r->mapped || (want[b].mapped && want[b].start == r->start &&
				   want[b].end == r->end && want[b].mmio == r->mmio))
			continue;
		ret = x->po->map_range(x->port, x->id, r->mmio, r->start, r->end, false);
		if (ret)
			shim_log(x, GVT_LOG_ERR, "xen: dom%u: cannot unmap BAR%u 0x%llx-0x%llx from the ioreq server: %s",
				 x->p.domid, shim_bar_index[b], (unsigned long long)r->start,
				 (unsigned long long)r->end, strerror(-ret));
		r->mapped = false;
		x->st.range_updates++;
	}
	for (int b = 0; b < SHIM_BARS; b++) {
		struct range *r = &x->range[b];
		int ret;

		if (r->mapped || !want[b].mapped)
			continue;
		ret = x->po->map_range(x->port, x->id, want[b].mmio, want[b].start,
				       want[b].end, true);
		x->st.range_updates++;
		if (ret) {
			shim_log(x, GVT_LOG_ERR, "xen: dom%u: cannot route BAR%u 0x%llx-0x%llx to the ioreq server: %s",
				 x->p.domid, shim_bar_index[b], (unsigned long long)want[b].start,
				 (unsigned long long)want[b].end, strerror(-ret));
			continue;
		}
		*r = want[b];
	}
}

/* ---- one element of a request ---- */

/*
 * Guest memory the vGPU does not own: a write is split at page
 * boundaries, and what falls in a tracked page goes to libgvt unapplied
 * (gvt_vgpu_page_write() applies it), the rest straight to memory.
 */
static int guest_store(struct gvt_xen *x, uint64_t gpa, const uint8_t *buf,
		       uint32_t len)
{
	while (len) {
		uint32_t chunk = PAGE_BYTES - (uint32_t)(gpa % PAGE_BYTES);
		int ret;

		if (chunk > len)
			chunk = len;
		if (x->p.page_track && x->vgpu && is_tracked(x, gpa / PAGE_BYTES)) {
			uint64_t t0 = now_ns();

			x->st.tracked_writes++;
			ret = gvt_vgpu_page_write(x->vgpu, gpa, buf, chunk);
			x->st.libgvt_ns += now_ns() - t0;
		} else {
			ret = x->po->write_gpa(x->port, gpa, buf, chunk);
		}
		if (ret)
			return ret;
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Does [@gpa, @gpa + @len) touch a tracked page? */
static bool touches_tracked(struct gvt_xen *x, uint64_t gpa, uint32_t len)
{
	if (!x->p.page_track || gpa + len - 1 < gpa)
		return false;
	return is_tracked(x, gpa / PAGE_BYTES) ||
	       is_tracked(x, (gpa + len - 1) / PAGE_BYTES);
}

/* Perform one element on the device side: @buf holds the bytes written,
 * or receives those read (all ones where nothing answers). */
static void element(struct gvt_xen *x, enum access_kind kind, uint64_t addr,
		    uint8_t *buf, uint32_t size, bool write)
{
	uint64_t off = 0, t0 = now_ns();
	int bar, ret = -ENODEV;

	switch (kind) {
	case KIND_CFG:
		/* addr: the request's SBDF above, the offset below. */
		if ((addr >> 32) != x->sbdf || (uint32_t)addr >= GVT_CFG_SPACE_SIZE ||
		    size > GVT_CFG_SPACE_SIZE - (uint32_t)addr)
			break;
		ret = write ? gvt_vgpu_cfg_write(x->vgpu, (uint32_t)addr, buf, size) :
			      gvt_vgpu_cfg_read(x->vgpu, (uint32_t)addr, buf, size);
		if (!ret && write)
			bars_update(x);
		break;
	case KIND_PIO:
		if (shim_bar_of(&x->bars, true, addr, size, &off) < 0)
			break;
		ret = write ? gvt_vgpu_io_write(x->vgpu, (uint32_t)off, buf, size) :
			      gvt_vgpu_io_read(x->vgpu, (uint32_t)off, buf, size);
		break;
	case KIND_MEM:
		bar = shim_bar_of(&x->bars, false, addr, size, &off);
		if (bar == SHIM_BAR_MMIO)
			ret = write ? gvt_vgpu_mmio_write(x->vgpu, off, buf, size) :
				      gvt_vgpu_mmio_read(x->vgpu, off, buf, size);
		else if (bar == SHIM_BAR_APERTURE)
			ret = write ? gvt_vgpu_aperture_write(x->vgpu, off, buf, size) :
				      gvt_vgpu_aperture_read(x->vgpu, off, buf, size);
		else if (touches_tracked(x, addr, size))
			/* Xen sends only the writes to a tracked page; a read
			 * is served from memory all the same. */
			ret = write ? guest_store(x, addr, buf, size) :
				      x->po->read_gpa(x->port, addr, buf, size);
		break;
	}
	x->st.libgvt_ns += now_ns() - t0;
	if (ret) {
		if (ret == -ENODEV)
			x->st.outside++;
		if (!write)
			memset(buf, 0xff, size);
	}
}

/* ---- requests ---- */

static bool size_ok(enum access_kind kind, uint32_t size)
{
	switch (size) {
	case 1: case 2: case 4:
		return true;
	case 8:
		return kind == KIND_MEM;
	default:
		return false;
	}
}

/* PIO, COPY and PCI_CONFIG: @count elements, from or to @data. */
static void do_access(struct gvt_xen *x, enum access_kind kind, ioreq_t *r)
{
	bool write = r->dir == IOREQ_WRITE, ptr = r->data_is_ptr;
	uint32_t size = r->size, count = r->count;
	uint64_t value = r->data;
	uint8_t buf[8];

	if (!size_ok(kind, size)) {
		guest_bad(x, ONCE_SIZE, r, "bad access size");
		if (!write && !ptr)
			r->data = ~0ull;
		return;
	}
	/* A plain access is one element even if count says otherwise: Xen
	 * sends count 1, and 0 means nothing only with a pointer. */
	if (!ptr && count == 0)
		count = 1;
	if (count > REPS_MAX) {
		guest_bad(x, ONCE_COUNT, r, "repeat count beyond a page");
		if (!write && !ptr)
			r->data = ~0ull;
		return;
	}
	if (count > 1)
		x->st.reps += count;
	for (uint32_t i = 0; i < count; i++) {
		/* At most 4096 * 8: no overflow; the sums wrap as the
		 * guest's address would, and the checks see the result. */
		uint64_t step = (uint64_t)i * size;
		uint64_t addr = r->df ? r->addr - step : r->addr + step;
		uint64_t gpa = r->df ? r->data - step : r->data + step;

		if (kind == KIND_PIO) {
			/* rep ins/outs: one port, memory steps. */
			addr = r->addr;
		} else if (kind == KIND_CFG) {
			/* Only the offset steps; the function stays. */
			uint32_t reg = (uint32_t)r->addr;

			reg = r->df ? reg - (uint32_t)step : reg + (uint32_t)step;
			addr = (r->addr & ~0xffffffffull) | reg;
		}
		if (write) {
			if (ptr) {
				if (x->po->read_gpa(x->port, gpa, buf, size)) {
					guest_bad(x, ONCE_GUEST_MEM, r, "string source outside guest memory");
					return;
				}
			} else {
				memcpy(buf, &value, size);
			}
			element(x, kind, addr, buf, size, true);
		} else {
			element(x, kind, addr, buf, size, false);
			if (ptr) {
				if (guest_store(x, gpa, buf, size)) {
					guest_bad(x, ONCE_GUEST_MEM, r, "string destination outside guest memory");
					return;
				}
			} else {
				value = 0;
				memcpy(&value, buf, size);
				r->data = value;
			}
		}
	}
}

static void handle(struct gvt_xen *x, ioreq_t *r)
{
	switch (r->type) {
	case IOREQ_TYPE_PIO:
		x->st.pio++;
		do_access(x, KIND_PIO, r);
		break;
	case IOREQ_TYPE_COPY:
		x->st.copy++;
		do_access(x, KIND_MEM, r);
		break;
	case IOREQ_TYPE_PCI_CONFIG:
		x->st.pci_config++;
		do_access(x, KIND_CFG, r);
		break;
	case IOREQ_TYPE_TIMEOFFSET:
		/* The guest moved its RTC: nothing of ours. */
	case IOREQ_TYPE_INVALIDATE:
		/* Drop cached guest mappings: the shim keeps none (each
		 * access maps and unmaps; dma_map's live until libgvt
		 * releases them). */
		x->st.other++;
		break;
	default:
		x->st.other++;
		guest_bad(x, ONCE_TYPE, r, "unknown request type");
		break;
	}
}

/* Answer vCPU @v's request if one is READY. */
static int serve(struct gvt_xen *x, unsigned int v)
{
	volatile ioreq_t *slot = &x->req[v];
	ioreq_t r;

	if (slot->state != STATE_IOREQ_READY) {
		x->st.spurious++;
		return 0;
	}
	/* Xen wrote the fields before READY: read them after it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(&r, (const void *)slot, sizeof(r));
	slot->state = STATE_IOREQ_INPROCESS;
	if (x->vgpu) {
		handle(x, &r);
	} else if (r.dir == IOREQ_READ && !r.data_is_ptr) {
		/* Enabled before a vGPU: nothing answers yet. */
		r.data = ~0ull;
	}
	slot->data = r.data;
	/* The result before IORESP_READY. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	slot->state = STATE_IORESP_READY;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	x->po->notify(x->port, x->local[v]);
	x->st.requests++;
	return 1;
}

int gvt_xen_dispatch(struct gvt_xen *xen)
{
	int n = 0;

	if (!xen || xen->stage < STAGE_PORTS)
		return -EINVAL;
	for (;;) {
		uint32_t local;
		unsigned int v;
		int ret = xen->po->pending(xen->port, &local);

		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			shim_log(xen, GVT_LOG_ERR, "xen: dom%u: waiting for event channels failed: %s",
				 xen->p.domid, strerror(-ret));
			return ret;
		}
		xen->po->unmask(xen->port, local);
		for (v = 0; v < xen->nr_vcpus; v++)
			if (xen->local[v] == local)
				break;
		if (v == xen->nr_vcpus) {
			xen->st.spurious++;
			continue;
		}
		n += serve(xen, v);
	}
	return n;
}

int gvt_xen_fd(struct gvt_xen *xen)
{
	if (!xen || xen->stage < STAGE_OPEN)
		return -EINVAL;
	return xen->po->fd(xen->port);
}

/* ---- lifecycle ---- */

static const char *const stage_what[] = {
	[STAGE_OPEN] = "open Xen's device-model, foreign-memory and event-channel interfaces",
	[STAGE_SERVER] = "create an ioreq server",
	[STAGE_PAGES] = "map the ioreq pages",
	[STAGE_PORTS] = "bind the vCPUs' event channels",
	[STAGE_PCIDEV] = "claim the PCI function",
	[STAGE_MEM_TYPE] = "claim the HVMMEM_ioreq_server memory type",
	[STAGE_ENABLED] = "enable the ioreq server",
};

static int stage_step(struct gvt_xen *x, enum xen_stage next)
{
	int ret = 0;

	switch (next) {
	case STAGE_OPEN:
		ret = x->po->open(x->port, &x->p);
		if (!ret && !x->nr_vcpus) {
			ret = x->po->nr_vcpus(x->port);
			if (ret > 0 && ret <= GVT_XEN_VCPUS_MAX) {
				x->nr_vcpus = (unsigned int)ret;
				ret = 0;
			} else {
				if (ret >= 0)
					shim_log(x, GVT_LOG_ERR, "xen: dom%u has %d vCPUs; the shim serves 1 .. %u",
						 x->p.domid, ret, GVT_XEN_VCPUS_MAX);
				x->po->close(x->port);
				ret = ret < 0 ? ret : -E2BIG;
			}
		}
		break;
	case STAGE_SERVER:
		ret = x->po->create_server(x->port, &x->id);
		break;
	case STAGE_PAGES: {
		void *pages = NULL;

		ret = x->po->map_ioreq_pages(x->port, x->id, x->nr_vcpus, &pages);
		x->req = pages;
		break;
	}
	case STAGE_PORTS:
		/* Xen put each vCPU's event channel in its slot. */
		while (x->nr_bound < x->nr_vcpus) {
			uint32_t remote = x->req[x->nr_bound].vp_eport;

			ret = x->po->bind(x->port, remote, &x->local[x->nr_bound]);
			if (ret)
				break;
			x->nr_bound++;
		}
		break;
	case STAGE_PCIDEV:
		ret = x->po->map_pcidev(x->port, x->id, true);
		break;
	case STAGE_MEM_TYPE:
		if (x->p.page_track)
			ret = x->po->claim_mem_type(x->port, x->id, true);
		break;
	case STAGE_ENABLED:
		ret = x->po->set_state(x->port, x->id, true);
		break;
	case STAGE_NONE:
		break;
	}
	if (ret) {
		shim_log(x, GVT_LOG_ERR, "xen: dom%u: cannot %s: %s%s", x->p.domid,
			 stage_what[next], strerror(-ret),
			 next == STAGE_OPEN && ret == -ENOENT ?
			 " (no /dev/xen: not running in a Xen domain with privcmd and evtchn)" : "");
		return ret;
	}
	x->stage = next;
	return 0;
}

void gvt_xen_teardown(struct gvt_xen *x)
{
	/* After the domain died every call about it fails (-ESRCH), and
	 * Xen has already dropped what they would undo: not worth an error. */
	int lvl;

	if (!x)
		return;
	lvl = x->domain_gone ? GVT_LOG_DEBUG : GVT_LOG_ERR;
	if (x->stage >= STAGE_ENABLED && x->po->set_state(x->port, x->id, false))
		shim_log(x, lvl, "xen: dom%u: cannot disable the ioreq server", x->p.domid);
	for (int b = 0; b < SHIM_BARS; b++) {
		struct range *r = &x->range[b];

		if (r->mapped && x->po->map_range(x->port, x->id, r->mmio, r->start, r->end, false))
			shim_log(x, lvl, "xen: dom%u: cannot unmap BAR%u from the ioreq server",
				 x->p.domid, shim_bar_index[b]);
		r->mapped = false;
	}
	if (x->stage >= STAGE_MEM_TYPE && x->p.page_track &&
	    x->po->claim_mem_type(x->port, x->id, false))
		shim_log(x, lvl, "xen: dom%u: cannot give back the HVMMEM_ioreq_server type", x->p.domid);
	if (x->stage >= STAGE_PCIDEV && x->po->map_pcidev(x->port, x->id, false))
		shim_log(x, lvl, "xen: dom%u: cannot release the PCI function", x->p.domid);
	/* Bound channels, also after a partial STAGE_PORTS. */
	while (x->nr_bound)
		x->po->unbind(x->port, x->local[--x->nr_bound]);
	if (x->stage >= STAGE_PAGES && x->po->unmap_ioreq_pages(x->port))
		shim_log(x, lvl, "xen: dom%u: cannot unmap the ioreq pages", x->p.domid);
	x->req = NULL;
	if (x->stage >= STAGE_SERVER && x->po->destroy_server(x->port, x->id))
		shim_log(x, lvl, "xen: dom%u: cannot destroy ioreq server %u",
			 x->p.domid, x->id);
	if (x->stage >= STAGE_OPEN)
		x->po->close(x->port);
	x->stage = STAGE_NONE;
}

int gvt_xen_create_port(const struct gvt_xen_params *params,
			const struct gvt_xen_port_ops *ops, void *port,
			struct gvt_xen **out)
{
	struct gvt_xen *x;
	int ret;

	if (!params || !ops || !out || params->dev > 31 || params->func > 7 ||
	    params->nr_vcpus > GVT_XEN_VCPUS_MAX)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->po = ops;
	x->port = port;
	x->p = *params;
	x->ops = ops_base;
	if (params->page_track) {
		x->ops.page_track_enable = xen_track_enable;
		x->ops.page_track_disable = xen_track_disable;
	}
	x->nr_vcpus = params->nr_vcpus;
	x->sbdf = (uint64_t)params->segment << 16 | (uint64_t)params->bus << 8 |
		  (uint64_t)params->dev << 3 | params->func;
	pthread_mutex_init(&x->track_lock, NULL);
	for (enum xen_stage s = STAGE_OPEN; s < STAGE_ENABLED; s++) {
		ret = stage_step(x, s);
		if (ret) {
			gvt_xen_teardown(x);
			pthread_mutex_destroy(&x->track_lock);
			free(x);
			return ret;
		}
	}
	shim_log(x, GVT_LOG_INFO, "xen: dom%u: ioreq server %u for %04x:%02x:%02x.%u, %u vCPUs%s",
		 x->p.domid, x->id, x->p.segment, x->p.bus, x->p.dev, x->p.func,
		 x->nr_vcpus, x->p.page_track ? ", page tracking" : "");
	*out = x;
	return 0;
}

int gvt_xen_create(const struct gvt_xen_params *params, struct gvt_xen **out)
{
	void *port;
	int ret;

	if (!params || !out)
		return -EINVAL;
	ret = gvt_xen_libxen_new(&port);
	if (ret)
		return ret;
	ret = gvt_xen_create_port(params, &gvt_xen_libxen_ops, port, out);
	if (ret) {
		gvt_xen_libxen_free(port);
		return ret;
	}
	(*out)->own_port = true;
	return 0;
}

int gvt_xen_attach(struct gvt_xen *xen, struct gvt_vgpu *vgpu)
{
	if (!xen || !vgpu)
		return -EINVAL;
	if (xen->vgpu)
		return -EBUSY;
	xen->vgpu = vgpu;
	bars_update(xen);
	return stage_step(xen, STAGE_ENABLED);
}

int gvt_xen_check_domain(struct gvt_xen *xen)
{
	int ret;

	if (!xen || xen->stage < STAGE_OPEN)
		return -EINVAL;
	/* The cheapest question Xen answers about a domain, and only while
	 * it exists. */
	ret = xen->po->nr_vcpus(xen->port);
	if (ret >= 0)
		return 0;
	if (ret == -ESRCH && !xen->domain_gone) {
		xen->domain_gone = true;
		shim_log(xen, GVT_LOG_NOTICE, "xen: dom%u is gone, and ioreq server %u with it",
			 xen->p.domid, xen->id);
	}
	return ret;
}

void gvt_xen_destroy(struct gvt_xen *xen)
{
	if (!xen)
		return;
	gvt_xen_teardown(xen);
	if (xen->own_port)
		gvt_xen_libxen_free(xen->port);
	free(xen->tracked);
	pthread_mutex_destroy(&xen->track_lock);
	free(xen);
}

void gvt_xen_get_stats(struct gvt_xen *xen, struct gvt_xen_stats *out)
{
	if (!xen || !out)
		return;
	*out = xen->st;
	out->msi = atomic_load(&xen->msi);
	out->msi_errors = atomic_load(&xen->msi_errors);
}
