// SPDX-License-Identifier: MIT
/*
 * The Xen shim's lowest layer over plain memory (mock_xen_port.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mock_xen_port.h"

#define PAGE_BYTES 4096u

/* Reach step @s: 0, or the injected failure. */
static int step(struct mock_xen_port *m, enum mock_xen_step s)
{
	if (m->fail_step == (int)s && m->reached[s]++ >= m->fail_after)
		return m->fail_err;
	if (m->fail_step != (int)s)
		m->reached[s]++;
	return 0;
}

/* A domain that died took its ioreq server with it, and everything routed
 * to the server; Xen then answers -ESRCH about it. Our own mappings and
 * event channels stay ours to undo. */
static bool dead(struct mock_xen_port *m)
{
	if (!m->domain_gone)
		return false;
	m->server = m->pcidev = m->mem_type = m->enabled = false;
	m->nr_ranges = 0;
	return true;
}

static int mx_open(void *port, const struct gvt_xen_params *p)
{
	struct mock_xen_port *m = port;
	int ret = step(m, MXS_OPEN);

	if (ret)
		return ret;
	m->open = true;
	return 0;
}

static void mx_close(void *port)
{
	struct mock_xen_port *m = port;

	m->open = false;
}

static int mx_nr_vcpus(void *port)
{
	struct mock_xen_port *m = port;
	int ret = step(m, MXS_NR_VCPUS);

	if (m->domain_gone)
		return -ESRCH;
	return ret ? ret : (int)m->nr_vcpus;
}

static int mx_create_server(void *port, uint16_t *id)
{
	struct mock_xen_port *m = port;
	int ret = step(m, MXS_CREATE);

	if (ret)
		return ret;
	if (m->server)
		return -EEXIST;
	m->server = true;
	*id = 3;
	return 0;
}

static int mx_destroy_server(void *port, uint16_t id)
{
	struct mock_xen_port *m = port;

	if (dead(m))
		return -ESRCH;
	if (!m->server || id != 3)
		return -ENOENT;
	m->server = false;
	return 0;
}

static int mx_map_ioreq_pages(void *port, uint16_t id, unsigned int nr_vcpus,
			      void **pages)
{
	struct mock_xen_port *m = port;
	int ret = step(m, MXS_PAGES);

	if (ret)
		return ret;
	if (!m->server || nr_vcpus != m->nr_vcpus)
		return -EINVAL;
	m->pages = true;
	*pages = m->page;
	return 0;
}

static int mx_unmap_ioreq_pages(void *port)
{
	struct mock_xen_port *m = port;

	if (!m->pages)
		return -ENOENT;
	m->pages = false;
	return 0;
}

static int mx_bind(void *port, uint32_t remote, uint32_t *local)
{
	struct mock_xen_port *m = port;
	int ret = step(m, MXS_BIND);

	if (ret)
		return ret;
	if (remote < MOCK_XEN_EPORT0 || remote >= MOCK_XEN_EPORT0 + m->nr_vcpus)
		return -EINVAL;
	m->bound++;
	*local = remote + 1000;
	return 0;
}

static int mx_unbind(void *port, uint32_t local)
{
	struct mock_xen_port *m = port;

	if (!m->bound)
		return -ENOENT;
	m->bound--;
	return 0;
}

/* Xen's rules: overlapping ranges in one server are refused, and an unmap
 * must name a mapped range exactly. */
static int mx_map_range(void *port, uint16_t id, bool mmio, uint64_t start,
			uint64_t end, bool map)
{
	struct mock_xen_port *m = port;

	if (dead(m))
		return -ESRCH;
	m->range_calls++;
	if (!m->server || start > end)
		return -EINVAL;
	for (unsigned int i = 0; i < m->nr_ranges; i++) {
		struct mock_xen_range *r = &m->range[i];

		if (r->mmio != mmio)
			continue;
		if (!map && r->start == start && r->end == end) {
			*r = m->range[--m->nr_ranges];
			return 0;
		}
		if (map && start <= r->end && r->start <= end)
			return -EEXIST;
	}
	if (!map)
		return -ENOENT;
	if (m->nr_ranges == MOCK_XEN_RANGES)
		return -ENOSPC;
	m->range[m->nr_ranges++] = (struct mock_xen_range){ mmio, start, end };
	return 0;
}

static int mx_map_pcidev(void *port, uint16_t id, bool map)
{
	struct mock_xen_port *m = port;
	int ret;

	if (dead(m))
		return -ESRCH;
	ret = map ? step(m, MXS_PCIDEV) : 0;
	if (ret)
		return ret;
	if (m->pcidev == map)
		return -EINVAL;
	m->pcidev = map;
	return 0;
}

static int mx_claim_mem_type(void *port, uint16_t id, bool claim)
{
	struct mock_xen_port *m = port;
	int ret;

	if (dead(m))
		return -ESRCH;
	ret = claim ? step(m, MXS_MEM_TYPE) : 0;
	if (ret)
		return ret;
	if (m->mem_type == claim)
		return -EINVAL;
	m->mem_type = claim;
	return 0;
}

static int mx_set_state(void *port, uint16_t id, bool enabled)
{
	struct mock_xen_port *m = port;
	int ret;

	if (dead(m))
		return -ESRCH;
	ret = enabled ? step(m, MXS_ENABLE) : 0;
	if (ret)
		return ret;
	m->enabled = enabled;
	return 0;
}

static int mx_fd(void *port)
{
	struct mock_xen_port *m = port;

	return m->event_fd;
}

static int mx_pending(void *port, uint32_t *local)
{
	struct mock_xen_port *m = port;

	if (m->q_head == m->q_tail) {
		uint64_t count;

		/* Level-triggered like xenevtchn's fd: readable while an
		 * event is queued, quiet once all are taken. */
		if (read(m->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return -errno;
		return -EAGAIN;
	}
	*local = m->queue[m->q_head++ % MOCK_XEN_QUEUE];
	return 0;
}

static int mx_unmask(void *port, uint32_t local)
{
	struct mock_xen_port *m = port;

	m->unmasked++;
	return 0;
}

static int mx_notify(void *port, uint32_t local)
{
	struct mock_xen_port *m = port;
	uint32_t v = local - 1000 - MOCK_XEN_EPORT0;

	if (v < m->nr_vcpus)
		m->notified[v]++;
	return 0;
}

static bool in_ram(const struct mock_xen_port *m, uint64_t gpa, size_t len)
{
	return gpa < m->ram_size && len <= m->ram_size - gpa;
}

static int mx_read_gpa(void *port, uint64_t gpa, void *buf, size_t len)
{
	struct mock_xen_port *m = port;

	if (!in_ram(m, gpa, len))
		return -EFAULT;
	memcpy(buf, m->ram + gpa, len);
	return 0;
}

static int mx_write_gpa(void *port, uint64_t gpa, const void *buf, size_t len)
{
	struct mock_xen_port *m = port;

	if (!in_ram(m, gpa, len))
		return -EFAULT;
	memcpy(m->ram + gpa, buf, len);
	return 0;
}

static int mx_dma_map(void *port, uint64_t gfn, uint64_t size,
		      uint64_t *bus_addr)
{
	struct mock_xen_port *m = port;

	if (gfn > UINT64_MAX / PAGE_BYTES || !in_ram(m, gfn * PAGE_BYTES, size))
		return -EFAULT;
	*bus_addr = (uint64_t)(uintptr_t)(m->ram + gfn * PAGE_BYTES);
	return 0;
}

static int mx_dma_unmap(void *port, uint64_t bus_addr, uint64_t size)
{
	return 0;
}

static int mx_inject_msi(void *port, uint64_t addr, uint32_t data)
{
	struct mock_xen_port *m = port;

	if (m->nr_msi < MOCK_XEN_MSIS) {
		m->msi[m->nr_msi].addr = addr;
		m->msi[m->nr_msi].data = data;
	}
	m->nr_msi++;
	return 0;
}

static int mx_set_intx(void *port, bool asserted)
{
	struct mock_xen_port *m = port;

	m->intx = asserted;
	return 0;
}

static int mx_track(void *port, uint64_t gfn, bool on)
{
	struct mock_xen_port *m = port;

	if (!m->mem_type || gfn >= m->ram_size / PAGE_BYTES)
		return -EINVAL;
	m->tracked += on ? 1 : -1;
	return 0;
}

const struct gvt_xen_port_ops mock_xen_port_ops = {
	.open = mx_open,
	.close = mx_close,
	.nr_vcpus = mx_nr_vcpus,
	.create_server = mx_create_server,
	.destroy_server = mx_destroy_server,
	.map_ioreq_pages = mx_map_ioreq_pages,
	.unmap_ioreq_pages = mx_unmap_ioreq_pages,
	.bind = mx_bind,
	.unbind = mx_unbind,
	.map_range = mx_map_range,
	.map_pcidev = mx_map_pcidev,
	.claim_mem_type = mx_claim_mem_type,
	.set_state = mx_set_state,
	.fd = mx_fd,
	.pending = mx_pending,
	.unmask = mx_unmask,
	.notify = mx_notify,
	.read_gpa = mx_read_gpa,
	.write_gpa = mx_write_gpa,
	.dma_map = mx_dma_map,
	.dma_unmap = mx_dma_unmap,
	.inject_msi = mx_inject_msi,
	.set_intx = mx_set_intx,
	.track = mx_track,
};

int mock_xen_port_create(unsigned int nr_vcpus, uint64_t ram_size,
			 struct mock_xen_port **out)
{
	struct mock_xen_port *m = calloc(1, sizeof(*m));
	size_t page_bytes = (nr_vcpus * sizeof(ioreq_t) + PAGE_BYTES - 1) /
			    PAGE_BYTES * PAGE_BYTES;

	if (m)
		m->event_fd = -1;
	if (!m || !nr_vcpus || nr_vcpus > GVT_XEN_VCPUS_MAX)
		goto out_free;
	m->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->event_fd < 0)
		goto out_free;
	m->page = aligned_alloc(PAGE_BYTES, page_bytes);
	/* Page aligned, as guest frames are: the sim GPU's PTEs hold them. */
	m->ram = aligned_alloc(PAGE_BYTES, (ram_size + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES);
	if (!m->page || !m->ram)
		goto out_free;
	memset(m->ram, 0, ram_size);
	memset(m->page, 0, page_bytes);
	for (unsigned int i = 0; i < nr_vcpus; i++)
		m->page[i].vp_eport = MOCK_XEN_EPORT0 + i;
	m->nr_vcpus = nr_vcpus;
	m->ram_size = ram_size;
	m->fail_step = -1;
	*out = m;
	return 0;
out_free:
	if (m) {
		if (m->event_fd >= 0)
			close(m->event_fd);
		free(m->page);
		free(m->ram);
	}
	free(m);
	return -ENOMEM;
}

void mock_xen_port_destroy(struct mock_xen_port *m)
{
	if (!m)
		return;
	close(m->event_fd);
	free(m->page);
	free(m->ram);
	free(m);
}

void mock_xen_port_kick(struct mock_xen_port *m, unsigned int vcpu)
{
	uint64_t one = 1;

	if (m->q_tail - m->q_head < MOCK_XEN_QUEUE)
		m->queue[m->q_tail++ % MOCK_XEN_QUEUE] = MOCK_XEN_EPORT0 + vcpu + 1000;
	if (write(m->event_fd, &one, sizeof(one)) < 0) {
		/* Only a counter at its maximum refuses, and it is then
		 * readable anyway. */
	}
}

ioreq_t mock_xen_ioreq(uint8_t type, uint8_t dir, uint64_t addr, uint32_t size,
		       uint64_t data)
{
	ioreq_t r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.dir = dir;
	r.addr = addr;
	r.size = size;
	r.count = 1;
	r.data = data;
	return r;
}

void mock_xen_port_post(struct mock_xen_port *m, unsigned int vcpu,
			const ioreq_t *req)
{
	ioreq_t *slot = &m->page[vcpu];
	uint32_t eport = slot->vp_eport;

	*slot = *req;
	slot->vp_eport = eport;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	slot->state = STATE_IOREQ_READY;
	mock_xen_port_kick(m, vcpu);
}

bool mock_xen_port_clean(const struct mock_xen_port *m)
{
	return !m->open && !m->server && !m->pages && !m->pcidev && !m->mem_type &&
	       !m->enabled && !m->bound && !m->nr_ranges;
}
