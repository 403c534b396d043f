// SPDX-License-Identifier: MIT
/*
 * GGTT emulation and aperture access.
 *
 * A guest writes GGTT entries through the upper half of BAR0. Ballooning
 * makes guest and host GM addresses equal, so an entry the guest writes at
 * index i is the host's entry i, and only indices inside the vGPU's two
 * slices are the guest's to write. In-slice entries are kept as written
 * (reads return them) and translated: the guest frame is mapped with
 * hv->dma_map and the physical GGTT entry at the same index points at it.
 * Writes outside the slices are dropped and reads there return 0, as in
 * GVT-g, so no guest can see or redirect another's memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "private.h"

/* gen8 PTE: address bits 45:12 (a 46-bit physical address space). */
#define GEN8_PTE_ADDR_MASK 0x00003ffffffff000ull

static void slice_init(struct gvt_ggtt_slice *slice,
		       const struct gvt_gm_extent *gm)
{
	slice->first = (uint32_t)(gm->start / GVT_GTT_PAGE_SIZE);
	slice->count = (uint32_t)(gm->size / GVT_GTT_PAGE_SIZE);
}

/* Reset and destroy visit only the blocks of 64 entries a guest wrote:
 * a big slice has half a million entries, and most guests touch few. */
#define TOUCH_BLOCK 64u

static uint32_t touched_words(const struct gvt_ggtt_slice *slice)
{
	return (slice->count + TOUCH_BLOCK * 64 - 1) / (TOUCH_BLOCK * 64);
}

static void mark_touched(struct gvt_ggtt_slice *slice, uint32_t pos)
{
	uint32_t block = pos / TOUCH_BLOCK;

	slice->touched[block / 64] |= 1ull << (block % 64);
}

int gvt_ggtt_init(struct gvt_vgpu *vgpu)
{
	struct gvt_ggtt_state *g = &vgpu->ggtt;
	struct gvt_ggtt_slice *slices[] = { &g->low, &g->high };

	slice_init(&g->low, &vgpu->low_gm);
	slice_init(&g->high, &vgpu->high_gm);
	g->held_index = -1;
	g->held_halves = 0;
	g->mapped = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(slices); i++) {
		/* calloc: large arrays come zero-filled from mmap, so an idle
		 * vGPU's untouched entries cost no memory. */
		slices[i]->guest_pte = calloc(slices[i]->count, sizeof(uint64_t));
		slices[i]->mapped_gfn = calloc(slices[i]->count, sizeof(uint64_t));
		slices[i]->touched = calloc(touched_words(slices[i]), sizeof(uint64_t));
		if (!slices[i]->guest_pte || !slices[i]->mapped_gfn ||
		    !slices[i]->touched) {
			gvt_ggtt_fini(vgpu);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Point every entry of a slice back at the scratch page and drop the
 * guest's mappings. */
static void slice_clear(struct gvt_vgpu *vgpu, struct gvt_ggtt_slice *slice)
{
	struct gvt_ctx *ctx = vgpu->ctx;
	uint64_t scratch = ctx->scratch_addr | GVT_GTT_PTE_PRESENT;

	if (!slice->touched)
		return;
	for (uint32_t w = 0; w < touched_words(slice); w++) {
		while (slice->touched[w]) {
			uint32_t block = w * 64 + (uint32_t)__builtin_ctzll(slice->touched[w]);
			uint32_t end = (block + 1) * TOUCH_BLOCK;

			slice->touched[w] &= slice->touched[w] - 1;
			for (uint32_t i = block * TOUCH_BLOCK; i < end && i < slice->count; i++) {
				if (!slice->guest_pte[i] && !slice->mapped_gfn[i])
					continue;
				ctx->pgpu_ops->ggtt_write(ctx->pgpu, slice->first + i,
							  scratch);
				if (slice->mapped_gfn[i]) {
					gvt_dma_put(vgpu, slice->mapped_gfn[i] - 1,
						    GVT_DMA_4K);
					slice->mapped_gfn[i] = 0;
					vgpu->ggtt.mapped--;
				}
				slice->guest_pte[i] = 0;
			}
		}
	}
}

void gvt_ggtt_reset(struct gvt_vgpu *vgpu)
{
	slice_clear(vgpu, &vgpu->ggtt.low);
	slice_clear(vgpu, &vgpu->ggtt.high);
	vgpu->ggtt.held_index = -1;
	vgpu->ggtt.held_halves = 0;
}

void gvt_ggtt_fini(struct gvt_vgpu *vgpu)
{
	struct gvt_ggtt_state *g = &vgpu->ggtt;

	gvt_ggtt_reset(vgpu);
	free(g->low.guest_pte);
	free(g->low.mapped_gfn);
	free(g->high.guest_pte);
	free(g->high.mapped_gfn);
	free(g->low.touched);
	free(g->high.touched);
	memset(&g->low, 0, sizeof(g->low));
	memset(&g->high, 0, sizeof(g->high));
}

/* The slice holding GGTT entry @index, and the entry's position in it. */
static struct gvt_ggtt_slice *slice_of(struct gvt_vgpu *vgpu, uint32_t index,
				       uint32_t *pos)
{
	struct gvt_ggtt_slice *slices[] = { &vgpu->ggtt.low, &vgpu->ggtt.high };

	for (unsigned int i = 0; i < ARRAY_SIZE(slices); i++) {
		if (index - slices[i]->first < slices[i]->count) {
			*pos = index - slices[i]->first;
			return slices[i];
		}
	}
	return NULL;
}

/* Make the physical entry follow the guest's entry. */
static void commit_entry(struct gvt_vgpu *vgpu, struct gvt_ggtt_slice *slice,
			 uint32_t pos)
{
	struct gvt_ctx *ctx = vgpu->ctx;
	uint64_t pte = slice->guest_pte[pos];
	uint64_t old = slice->mapped_gfn[pos];
	uint64_t gfn = (pte & GEN8_PTE_ADDR_MASK) / GVT_GTT_PAGE_SIZE;
	uint64_t bus = 0;
	uint64_t host;

	if (pte & GVT_GTT_PTE_PRESENT) {
		int ret = gvt_dma_get(vgpu, gfn, GVT_DMA_4K, &bus);

		if (ret) {
			vgpu->stats.ggtt_map_failures++;
			gvt_vgpu_guest_err(vgpu,
					   "GGTT entry %u points at gfn 0x%llx, which cannot be mapped (%d); it maps the scratch page",
					   slice->first + pos,
					   (unsigned long long)gfn, ret);
			bus = 0;
		}
		/* A recording must tell replay how much guest memory it
		 * touched. */
		if (bus && vgpu->trace)
			gvt_trace_note_memory(vgpu, (gfn + 1) * GVT_GTT_PAGE_SIZE);
	}
	host = bus ? bus | (pte & GVT_GTT_PTE_FLAGS_MASK) :
		     ctx->scratch_addr | GVT_GTT_PTE_PRESENT;
	/* Install the new translation before dropping the old one, so the
	 * entry never points at a frame that is no longer mapped. */
	ctx->pgpu_ops->ggtt_write(ctx->pgpu, slice->first + pos, host);
	slice->mapped_gfn[pos] = bus ? gfn + 1 : 0;
	if (bus)
		vgpu->ggtt.mapped++;
	if (old) {
		gvt_dma_put(vgpu, old - 1, GVT_DMA_4K);
		vgpu->ggtt.mapped--;
	}
}

/*
 * An entry with only one half written is held: its translation stays what
 * it was until the other half arrives. Anything that says the guest is
 * done with that entry commits it as it stands: a write to another entry,
 * a GGTT flush (GFX_FLSH_CNTL), an aperture access.
 */
void gvt_ggtt_flush(struct gvt_vgpu *vgpu)
{
	struct gvt_ggtt_slice *slice;
	uint32_t pos;

	if (vgpu->ggtt.held_index < 0)
		return;
	slice = slice_of(vgpu, (uint32_t)vgpu->ggtt.held_index, &pos);
	vgpu->ggtt.held_index = -1;
	vgpu->ggtt.held_halves = 0;
	if (slice && !vgpu->failsafe)
		commit_entry(vgpu, slice, pos);
}

void gvt_ggtt_read(struct gvt_vgpu *vgpu, uint32_t offset, void *buf,
		   uint32_t len)
{
	uint8_t *dst = buf;

	for (uint32_t done = 0; done < len;) {
		uint32_t at = offset + done;
		uint32_t index = at / GVT_GGTT_ENTRY_SIZE;
		uint32_t byte = at % GVT_GGTT_ENTRY_SIZE;
		uint32_t n = GVT_GGTT_ENTRY_SIZE - byte;
		struct gvt_ggtt_slice *slice;
		uint64_t pte = 0;
		uint32_t pos;

		if (n > len - done)
			n = len - done;
		slice = slice_of(vgpu, index, &pos);
		if (slice)
			pte = slice->guest_pte[pos];
		pte >>= 8 * byte;
		memcpy(dst + done, &pte, n);
		done += n;
	}
}

#define HALF_LOW 1u
#define HALF_HIGH 2u

/*
 * Entries are 64 bits, but a guest may write them as two dwords, in either
 * order: a write to one half is held (see gvt_ggtt_flush()) until the
 * other half of the same entry completes it, so no half-formed address is
 * mapped.
 */
void gvt_ggtt_write(struct gvt_vgpu *vgpu, uint32_t offset, const void *buf,
		    uint32_t len)
{
	struct gvt_ggtt_state *g = &vgpu->ggtt;
	const uint8_t *src = buf;

	for (uint32_t done = 0; done < len;) {
		uint32_t at = offset + done;
		uint32_t index = at / GVT_GGTT_ENTRY_SIZE;
		uint32_t byte = at % GVT_GGTT_ENTRY_SIZE;
		uint32_t n = GVT_GGTT_ENTRY_SIZE - byte;
		unsigned int halves;
		struct gvt_ggtt_slice *slice;
		uint64_t bytes = 0;
		uint64_t keep;
		uint32_t pos;

		if (n > len - done)
			n = len - done;
		memcpy(&bytes, src + done, n);
		done += n;
		halves = (byte < 4 ? HALF_LOW : 0) | (byte + n > 4 ? HALF_HIGH : 0);
		if (g->held_index >= 0 && g->held_index != (int64_t)index)
			gvt_ggtt_flush(vgpu);

		slice = slice_of(vgpu, index, &pos);
		if (!slice) {
			vgpu->stats.ggtt_writes_dropped++;
			gvt_vgpu_guest_err(vgpu,
					   "GGTT write to entry %u (GM 0x%llx), outside its slices, dropped",
					   index,
					   (unsigned long long)index * GVT_GTT_PAGE_SIZE);
			continue;
		}
		vgpu->stats.ggtt_writes++;
		mark_touched(slice, pos);
		keep = n == 8 ? 0 : ~((((uint64_t)1 << (8 * n)) - 1) << (8 * byte));
		slice->guest_pte[pos] = (slice->guest_pte[pos] & keep) |
					(bytes << (8 * byte));
		if (vgpu->failsafe)
			continue; /* remembered, not translated */

		halves |= g->held_index == (int64_t)index ? g->held_halves : 0;
		if (halves != (HALF_LOW | HALF_HIGH)) {
			g->held_index = index;
			g->held_halves = halves;
			continue;
		}
		g->held_index = -1;
		g->held_halves = 0;
		commit_entry(vgpu, slice, pos);
	}
}

/* Split [offset, offset + len) of the aperture into the part inside the
 * vGPU's slice and the parts outside; call @fn on the inside part. */
static int aperture_access(struct gvt_vgpu *vgpu, const char *what,
			   uint64_t offset, void *buf, uint32_t len,
			   bool write)
{
	struct gvt_ctx *ctx;
	uint64_t lo, hi, start, end;

	if (!vgpu)
		return -EINVAL;
	ctx = vgpu->ctx;
	lo = vgpu->low_gm.start;
	hi = vgpu->low_gm.start + vgpu->low_gm.size;
	start = offset > lo ? offset : lo;
	end = offset + len < hi ? offset + len : hi;
	if (!buf) {
		gvt_vgpu_misuse(vgpu, "%s: NULL buffer", what);
		return -EINVAL;
	}
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		gvt_vgpu_misuse(vgpu, "%s: size %u is not 1, 2, 4 or 8", what,
				len);
		return -EINVAL;
	}
	if (offset >= ctx->aperture_size || len > ctx->aperture_size - offset) {
		gvt_vgpu_misuse(vgpu,
				"%s: offset 0x%llx size %u is outside the BAR (0x%llx bytes)",
				what, (unsigned long long)offset, len,
				(unsigned long long)ctx->aperture_size);
		return -EINVAL;
	}

	if (!write && vgpu->trace)
		gvt_trace_begin_read(vgpu);
	if (write)
		vgpu->stats.aperture_writes++;
	else
		vgpu->stats.aperture_reads++;
	gvt_ggtt_flush(vgpu);
	if (start >= end || start != offset || end != offset + len) {
		vgpu->stats.aperture_dropped++;
		gvt_vgpu_guest_err(vgpu,
				   "aperture %s at 0x%llx (%u bytes) reaches outside its slice [0x%llx, 0x%llx)",
				   write ? "write" : "read",
				   (unsigned long long)offset, len,
				   (unsigned long long)lo,
				   (unsigned long long)hi);
		if (!write)
			memset(buf, 0, len);
	}
	if (write && vgpu->trace)
		gvt_trace_io(vgpu, "aw", offset, len, buf);
	if (start < end)
		ctx->pgpu_ops->gm_access(ctx->pgpu, start,
					 (uint8_t *)buf + (start - offset),
					 (size_t)(end - start), write);
	if (!write && vgpu->trace)
		gvt_trace_io(vgpu, "ar", offset, len, buf);
	return 0;
}

int gvt_vgpu_aperture_read(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
			   uint32_t len)
{
	bool locked = vgpu && gvt_trace_lock(vgpu);
	int ret = aperture_access(vgpu, "aperture read", offset, buf, len, false);

	gvt_trace_unlock(vgpu, locked);
	return ret;
}

int gvt_vgpu_aperture_write(struct gvt_vgpu *vgpu, uint64_t offset,
			    const void *buf, uint32_t len)
{
	bool locked = vgpu && gvt_trace_lock(vgpu);
	int ret = aperture_access(vgpu, "aperture write", offset, (void *)buf,
				  len, true);

	gvt_trace_unlock(vgpu, locked);
	return ret;
}

int gvt_ggtt_gma_to_gpa(struct gvt_vgpu *vgpu, uint64_t gma, uint64_t *gpa)
{
	struct gvt_ggtt_slice *slice;
	uint32_t pos;
	uint64_t pte;

	if (gma >= (uint64_t)UINT32_MAX * GVT_GTT_PAGE_SIZE)
		return -EFAULT;
	slice = slice_of(vgpu, (uint32_t)(gma / GVT_GTT_PAGE_SIZE), &pos);
	if (!slice)
		return -EFAULT;
	pte = slice->guest_pte[pos];
	if (!(pte & GVT_GTT_PTE_PRESENT))
		return -EFAULT;
	*gpa = (pte & GEN8_PTE_ADDR_MASK) | (gma & (GVT_GTT_PAGE_SIZE - 1));
	return 0;
}

/* gen8 PPGTT entries: present, page size (PDPE: 1 GiB, PDE: 2 MiB) and,
 * in a PDE, "the page table maps 64 KiB pages". */
#define PPGTT_PRESENT	(1ull << 0)
#define PPGTT_PS	(1ull << 7)
#define PPGTT_IPS	(1ull << 11)

static int ppgtt_entry(struct gvt_vgpu *vgpu, uint64_t table, unsigned int i,
		       uint64_t *entry)
{
	if (gvt_hv_read_gpa(vgpu, (table & GEN8_PTE_ADDR_MASK) + i * 8ull,
			    entry, sizeof(*entry)))
		return -EFAULT;
	return (*entry & PPGTT_PRESENT) ? 0 : -EFAULT;
}

/*
 * Walk the guest's own PPGTT (not a shadow) from @root: what the scanner
 * reads a PPGTT batch through. Four levels from a PML4, or three from the
 * four PDPs of a legacy 32-bit PPGTT.
 */
int gvt_ppgtt_gma_to_gpa(struct gvt_vgpu *vgpu,
			 const struct gvt_ppgtt_root *root, uint64_t gma,
			 uint64_t *gpa)
{
	uint64_t e, pd;
	int ret;

	if (root->levels == 4) {
		if (gma >> 48)
			return -EFAULT;
		ret = ppgtt_entry(vgpu, root->pdp[0], (gma >> 39) & 511, &e);
		if (ret)
			return ret;
		ret = ppgtt_entry(vgpu, e, (gma >> 30) & 511, &e);
	} else if (root->levels == 3) {
		/* The four PDP registers hold page-directory addresses, not
		 * entries: no present bit. */
		if (gma >> 32)
			return -EFAULT;
		e = root->pdp[(gma >> 30) & 3] & GEN8_PTE_ADDR_MASK;
		ret = e ? 0 : -EFAULT;
	} else {
		return -EFAULT;
	}
	if (ret)
		return ret;
	if (e & PPGTT_PS) {
		*gpa = (e & GEN8_PTE_ADDR_MASK & ~((1ull << 30) - 1)) |
		       (gma & ((1ull << 30) - 1));
		return 0;
	}
	ret = ppgtt_entry(vgpu, e, (gma >> 21) & 511, &pd);
	if (ret)
		return ret;
	if (pd & PPGTT_PS) {
		*gpa = (pd & GEN8_PTE_ADDR_MASK & ~((1ull << 21) - 1)) |
		       (gma & ((1ull << 21) - 1));
		return 0;
	}
	if (pd & PPGTT_IPS) {
		/* 64 KiB pages: every 16th entry of the table maps one. */
		ret = ppgtt_entry(vgpu, pd, ((gma >> 12) & 511) & ~15u, &e);
		if (ret)
			return ret;
		*gpa = (e & GEN8_PTE_ADDR_MASK & ~0xffffull) | (gma & 0xffff);
		return 0;
	}
	ret = ppgtt_entry(vgpu, pd, (gma >> 12) & 511, &e);
	if (ret)
		return ret;
	*gpa = (e & GEN8_PTE_ADDR_MASK) | (gma & 4095);
	return 0;
}
