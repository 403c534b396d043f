// SPDX-License-Identifier: MIT
/*
 * Guest memory over vfio-user: the regions the client shares with
 * DMA_MAP, and the gvt_hv_ops that libgvt reaches guest memory through.
 *
 * A region that comes with a descriptor is mmapped, so libgvt and the GPU
 * behind it reach guest RAM directly (QEMU shares its RAM this way when it
 * is a memory-backend-memfd). A mapping of someone else's file is a risk
 * to the whole process: if the client shrank the file afterwards, touching
 * the lost pages would kill us with SIGBUS. So only a file sealed against
 * shrinking (F_SEAL_SHRINK, which QEMU's memfd backend sets by default) is
 * mapped; any other region is reached by DMA_READ/DMA_WRITE messages,
 * which are slow but safe, and which cannot give the GPU an address.
 *
 * libgvt's mappings (dma_map) pin a region: if the client unmaps it while
 * libgvt still points the GPU into it, the mmap is kept, retired, until
 * libgvt lets go, so the GPU never touches memory we unmapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

/* The region holding @gpa, or NULL. Regions are sorted and disjoint. */
static struct vfu_dma_region *find_region(struct gvt_vfu *vfu, uint64_t gpa)
{
	unsigned int lo = 0, hi = vfu->num_regions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct vfu_dma_region *r = &vfu->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Where a region starting at @gpa belongs in the sorted array. */
static unsigned int insert_index(const struct gvt_vfu *vfu, uint64_t gpa)
{
	unsigned int lo = 0, hi = vfu->num_regions;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (vfu->regions[mid].gpa < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define HUGETLBFS_MAGIC 0x958458f6

static void unmap_host(struct gvt_vfu *vfu, struct vfu_dma_region *r)
{
	if (r->host) {
		munmap(r->host, r->map_len);
		vfu->mapped_bytes -= r->map_len;
	}
	r->host = NULL;
}

/* Drop region @i: unmap it now, or retire it while libgvt holds it. */
static void remove_region(struct gvt_vfu *vfu, unsigned int i)
{
	struct vfu_dma_region r = vfu->regions[i];

	memmove(&vfu->regions[i], &vfu->regions[i + 1],
		(vfu->num_regions - i - 1) * sizeof(r));
	vfu->num_regions--;
	if (!r.refs || !r.host) {
		unmap_host(vfu, &r);
		return;
	}
	struct vfu_dma_region *retired =
		realloc(vfu->retired, (vfu->num_retired + 1) * sizeof(r));

	if (!retired) {
		/* Cannot track it: keep it mapped for good rather than let the
		 * GPU touch unmapped memory. */
		vfu_log(vfu, GVT_LOG_ERR,
			"out of memory retiring DMA region 0x%llx; it stays mapped",
			(unsigned long long)r.gpa);
		return;
	}
	vfu->retired = retired;
	vfu->retired[vfu->num_retired++] = r;
	vfu_log(vfu, GVT_LOG_DEBUG,
		"DMA region 0x%llx+0x%llx unmapped by the client while the vGPU maps %u of its pages; kept until they go",
		(unsigned long long)r.gpa, (unsigned long long)r.size, r.refs);
}

/*
 * mmap the region's descriptor if that is safe; otherwise leave it to be
 * reached by message. Safe means: a regular file as long as the region,
 * sealed against shrinking, not on hugetlbfs (a hole punched there is
 * refilled from the huge-page pool, and an empty pool is a SIGBUS), and
 * within VFU_MAX_MAPPED of address space (a sparse file costs the client
 * nothing and could exhaust ours). Return: 0, or -errno for a descriptor
 * that cannot back the region at all.
 */
static int map_fd(struct gvt_vfu *vfu, struct vfu_dma_region *r, int fd,
		  uint64_t offset)
{
	struct statfs fs;
	struct stat st;
	int seals;
	void *p;

	if (offset % VFU_PAGE_SIZE) {
		vfu_warn(vfu, "client: DMA_MAP file offset 0x%llx is not page aligned",
			 (unsigned long long)offset);
		return -EINVAL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    offset > (uint64_t)st.st_size || r->size > (uint64_t)st.st_size - offset) {
		vfu_warn(vfu, "client: DMA_MAP of 0x%llx+0x%llx: its descriptor is not a file that long",
			 (unsigned long long)r->gpa, (unsigned long long)r->size);
		return -EINVAL;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		vfu_note(vfu, "DMA region 0x%llx+0x%llx: its file is not sealed against shrinking, so it is reached by message (slow; the GPU cannot use it); give QEMU a memory-backend-memfd",
			 (unsigned long long)r->gpa, (unsigned long long)r->size);
		return 0;
	}
	if (!fstatfs(fd, &fs) && (uint32_t)fs.f_type == HUGETLBFS_MAGIC) {
		vfu_note(vfu, "DMA region 0x%llx+0x%llx: hugetlbfs memory is reached by message (slow; the GPU cannot use it)",
			 (unsigned long long)r->gpa, (unsigned long long)r->size);
		return 0;
	}
	if (r->size > VFU_MAX_MAPPED - vfu->mapped_bytes) {
		vfu_note(vfu, "DMA region 0x%llx+0x%llx: more than %llu GiB of guest memory would be mapped; it is reached by message",
			 (unsigned long long)r->gpa, (unsigned long long)r->size,
			 (unsigned long long)(VFU_MAX_MAPPED >> 30));
		return 0;
	}
	p = mmap(NULL, r->size, PROT_READ | (r->prot & VFU_DMA_WRITE ? PROT_WRITE : 0),
		 MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		vfu_note(vfu, "DMA region 0x%llx+0x%llx: mmap: %s; it is reached by message",
			 (unsigned long long)r->gpa, (unsigned long long)r->size,
			 strerror(errno));
		return 0;
	}
	r->host = p;
	r->map_len = r->size;
	vfu->mapped_bytes += r->size;
	return 0;
}

int vfu_dma_map_cmd(struct gvt_vfu *vfu, struct vfu_msg *msg,
		    struct vfu_reply *out)
{
	struct vfu_dma_map m;
	struct vfu_dma_region r = { 0 };
	unsigned int at;
	int ret;

	memcpy(&m, msg->payload, sizeof(m));
	if (m.argsz < sizeof(m) || (m.flags & ~(VFU_DMA_READ | VFU_DMA_WRITE)) ||
	    !(m.flags & VFU_DMA_READ) || !m.size || m.addr % VFU_PAGE_SIZE ||
	    m.size % VFU_PAGE_SIZE || m.addr + m.size < m.addr || msg->nfds > 1) {
		vfu_warn(vfu, "client: DMA_MAP argsz %u flags 0x%x of 0x%llx+0x%llx with %u descriptors",
			 m.argsz, m.flags, (unsigned long long)m.addr,
			 (unsigned long long)m.size, msg->nfds);
		return -EINVAL;
	}
	at = insert_index(vfu, m.addr);
	if ((at < vfu->num_regions && vfu->regions[at].gpa < m.addr + m.size) ||
	    (at > 0 && vfu->regions[at - 1].gpa + vfu->regions[at - 1].size > m.addr)) {
		vfu_warn(vfu, "client: DMA_MAP of 0x%llx+0x%llx overlaps a mapped region",
			 (unsigned long long)m.addr, (unsigned long long)m.size);
		return -EEXIST;
	}
	if (vfu->num_regions == VFU_MAX_DMA_REGIONS) {
		vfu_warn(vfu, "client: more than %u DMA regions", VFU_MAX_DMA_REGIONS);
		return -ENOSPC;
	}
	if (!vfu->regions) {
		vfu->regions = calloc(VFU_MAX_DMA_REGIONS, sizeof(*vfu->regions));
		if (!vfu->regions)
			return -ENOMEM;
	}
	r.gpa = m.addr;
	r.size = m.size;
	r.prot = m.flags;
	if (msg->nfds) {
		ret = map_fd(vfu, &r, msg->fds[0], m.offset);
		if (ret)
			return ret;
	}
	memmove(&vfu->regions[at + 1], &vfu->regions[at],
		(vfu->num_regions - at) * sizeof(r));
	vfu->regions[at] = r;
	vfu->num_regions++;
	vfu->stats.dma_maps++;
	vfu_log(vfu, GVT_LOG_DEBUG, "DMA region 0x%llx+0x%llx %s%s, %s",
		(unsigned long long)r.gpa, (unsigned long long)r.size,
		r.prot & VFU_DMA_READ ? "r" : "", r.prot & VFU_DMA_WRITE ? "w" : "",
		r.host ? "mapped" : "by message");
	out->len = 0;
	return 0;
}

int vfu_dma_unmap_cmd(struct gvt_vfu *vfu, struct vfu_msg *msg,
		      struct vfu_reply *out)
{
	struct vfu_dma_unmap u;

	memcpy(&u, msg->payload, sizeof(u));
	if (u.argsz < sizeof(u) || (u.flags & ~(VFU_UNMAP_ALL | VFU_UNMAP_GET_DIRTY_BITMAP)) ||
	    ((u.flags & VFU_UNMAP_ALL) && (u.addr || u.size))) {
		vfu_warn(vfu, "client: DMA_UNMAP argsz %u flags 0x%x of 0x%llx+0x%llx",
			 u.argsz, u.flags, (unsigned long long)u.addr,
			 (unsigned long long)u.size);
		return -EINVAL;
	}
	if (u.flags & VFU_UNMAP_GET_DIRTY_BITMAP)
		return -ENOTSUP; /* no dirty tracking: nothing was negotiated */
	if (u.flags & VFU_UNMAP_ALL) {
		while (vfu->num_regions)
			remove_region(vfu, vfu->num_regions - 1);
	} else {
		struct vfu_dma_region *r = find_region(vfu, u.addr);

		if (!r || r->gpa != u.addr || r->size != u.size) {
			vfu_warn(vfu, "client: DMA_UNMAP of 0x%llx+0x%llx, which was not mapped as such",
				 (unsigned long long)u.addr, (unsigned long long)u.size);
			return -ENOENT;
		}
		remove_region(vfu, (unsigned int)(r - vfu->regions));
	}
	u.argsz = sizeof(u);
	return vfu_reply_copy(vfu, out, &u, sizeof(u));
}

void vfu_dma_release_all(struct gvt_vfu *vfu)
{
	while (vfu->num_regions)
		remove_region(vfu, vfu->num_regions - 1);
}

void vfu_dma_destroy(struct gvt_vfu *vfu)
{
	vfu_dma_release_all(vfu);
	for (unsigned int i = 0; i < vfu->num_retired; i++)
		unmap_host(vfu, &vfu->retired[i]);
	free(vfu->regions);
	free(vfu->retired);
	vfu->regions = vfu->retired = NULL;
	vfu->num_retired = 0;
}

/* ---- guest memory by message ---- */

/* DMA_READ/DMA_WRITE of one chunk the client can take in one message. */
static int dma_message(struct gvt_vfu *vfu, uint64_t gpa, uint8_t *buf,
		       size_t len, bool write, uint64_t deadline)
{
	struct vfu_dma_access acc = { .addr = gpa, .count = len };
	struct vfu_msg reply;
	uint8_t *req;
	size_t req_len = sizeof(acc) + (write ? len : 0);
	int ret;

	req = malloc(req_len);
	if (!req)
		return -ENOMEM;
	memcpy(req, &acc, sizeof(acc));
	if (write)
		memcpy(req + sizeof(acc), buf, len);
	vfu->stats.dma_messages++;
	ret = vfu_request(vfu, write ? VFU_CMD_DMA_WRITE : VFU_CMD_DMA_READ, req,
			  req_len, &reply, deadline);
	free(req);
	if (ret)
		return ret;
	if (!write) {
		struct vfu_dma_access got;

		if (reply.len != sizeof(got) + len) {
			vfu_warn(vfu, "client: DMA_READ of %zu bytes answered with %u",
				 len, reply.len);
			ret = -EPROTO;
		} else {
			memcpy(&got, reply.payload, sizeof(got));
			if (got.addr != gpa || got.count != len) {
				vfu_warn(vfu, "client: DMA_READ of 0x%llx+%zu answered for 0x%llx+%llu",
					 (unsigned long long)gpa, len,
					 (unsigned long long)got.addr,
					 (unsigned long long)got.count);
				ret = -EPROTO;
			} else {
				memcpy(buf, reply.payload + sizeof(got), len);
			}
		}
	}
	vfu_msg_release(&reply);
	return ret;
}

/* Copy between @buf and guest memory, region by region. One access by
 * message, however many messages it takes, waits at most the DMA timeout. */
static int guest_rw(struct gvt_vfu *vfu, uint64_t gpa, uint8_t *buf,
		    size_t len, bool write)
{
	uint64_t deadline = vfu_now_ns() + (uint64_t)vfu->dma_timeout_ms * 1000000u;

	while (len) {
		struct vfu_dma_region *r = find_region(vfu, gpa);
		uint64_t at, n;
		int ret;

		if (!r || !(r->prot & (write ? VFU_DMA_WRITE : VFU_DMA_READ)))
			return -EFAULT;
		at = gpa - r->gpa;
		n = r->size - at < len ? r->size - at : len;
		if (r->host) {
			if (write)
				memcpy(r->host + at, buf, n);
			else
				memcpy(buf, r->host + at, n);
		} else {
			for (uint64_t done = 0; done < n;) {
				uint64_t chunk = n - done < vfu->client_max_xfer ?
						 n - done : vfu->client_max_xfer;

				ret = dma_message(vfu, gpa + done, buf + done, chunk,
						  write, deadline);
				if (ret)
					return ret;
				done += chunk;
			}
		}
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static int vfu_read_gpa(void *hv, uint64_t gpa, void *buf, size_t len)
{
	return guest_rw(hv, gpa, buf, len, false);
}

static int vfu_write_gpa(void *hv, uint64_t gpa, const void *buf, size_t len)
{
	/* guest_rw only reads from @buf when writing. */
	return guest_rw(hv, gpa, (uint8_t *)(uintptr_t)buf, len, true);
}

/* The GPU reaches guest memory through our mapping of it; a region we
 * reach only by message, or one the guest may not write, cannot be given
 * to it (the GPU writes without asking). */
static int vfu_dma_map(void *hv, uint64_t gfn, uint64_t size, uint64_t *bus_addr)
{
	struct gvt_vfu *vfu = hv;
	uint64_t gpa = gfn * VFU_PAGE_SIZE;
	struct vfu_dma_region *r;

	if (gfn > UINT64_MAX / VFU_PAGE_SIZE)
		return -EFAULT;
	r = find_region(vfu, gpa);
	if (!r || !r->host || r->prot != (VFU_DMA_READ | VFU_DMA_WRITE) ||
	    size > r->size - (gpa - r->gpa))
		return -EFAULT;
	r->refs++;
	*bus_addr = (uint64_t)(uintptr_t)(r->host + (gpa - r->gpa));
	return 0;
}

static bool holds(const struct vfu_dma_region *r, uint64_t bus_addr)
{
	uintptr_t host = (uintptr_t)r->host;

	return r->host && bus_addr >= host && bus_addr - host < r->map_len;
}

static int vfu_dma_unmap(void *hv, uint64_t bus_addr, uint64_t size)
{
	struct gvt_vfu *vfu = hv;

	for (unsigned int i = 0; i < vfu->num_regions; i++) {
		if (holds(&vfu->regions[i], bus_addr) && vfu->regions[i].refs) {
			vfu->regions[i].refs--;
			return 0;
		}
	}
	for (unsigned int i = 0; i < vfu->num_retired; i++) {
		struct vfu_dma_region *r = &vfu->retired[i];

		if (!holds(r, bus_addr) || !r->refs)
			continue;
		if (--r->refs == 0) {
			unmap_host(vfu, r);
			vfu->retired[i] = vfu->retired[--vfu->num_retired];
		}
		return 0;
	}
	vfu_log(vfu, GVT_LOG_ERR, "dma_unmap of 0x%llx, which no region holds",
		(unsigned long long)bus_addr);
	return -EINVAL;
}

const struct gvt_hv_ops gvt_vfu_hv_ops = {
	.version = GVT_HV_OPS_VERSION,
	.read_gpa = vfu_read_gpa,
	.write_gpa = vfu_write_gpa,
	.dma_map = vfu_dma_map,
	.dma_unmap = vfu_dma_unmap,
	.inject_msi = vfu_inject_msi,
	.set_intx = vfu_set_intx,
};
