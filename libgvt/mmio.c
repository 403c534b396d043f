// SPDX-License-Identifier: MIT
/*
 * BAR0 and BAR4 emulation: dispatch of register accesses and the default
 * register semantics.
 *
 * The hot path is an aligned dword: one load of the per-dword attribute,
 * and a plain vreg access unless the register has read-only bits, is a
 * mode-mask register or has a handler. Everything else (sub-dword, 8-byte,
 * unaligned, the GGTT half of BAR0) takes the slow path, which reduces to
 * the same dword operations.
 */
#include <errno.h>
#include <string.h>

#include "mmio.h"
#include "private.h"
#include "reg.h"

uint32_t gvt_mmio_read_locked(struct gvt_vgpu *vgpu, uint32_t offset,
			      struct gvt_mmio_attr a)
{
	uint32_t v;

	pthread_mutex_lock(&vgpu->lock);
	v = vgpu->mmio_info[a.info].read(vgpu, offset);
	pthread_mutex_unlock(&vgpu->lock);
	return v;
}

void gvt_mmio_write_locked(struct gvt_vgpu *vgpu, uint32_t offset,
			   struct gvt_mmio_attr a, uint32_t value)
{
	pthread_mutex_lock(&vgpu->lock);
	vgpu->mmio_info[a.info].write(vgpu, offset, value);
	pthread_mutex_unlock(&vgpu->lock);
}

uint32_t gvt_mmio_read_dword(struct gvt_vgpu *vgpu, uint32_t offset)
{
	return mmio_read_dword(vgpu, offset);
}

void gvt_mmio_write_dword(struct gvt_vgpu *vgpu, uint32_t offset,
			  uint32_t value)
{
	mmio_write_dword(vgpu, offset, value);
}

void gvt_mmio_reset(struct gvt_vgpu *vgpu, uint32_t end)
{
	memcpy(vgpu->vreg, vgpu->ctx->golden, end);
}

static bool bar_access_ok(struct gvt_vgpu *vgpu, const char *what,
			  uint64_t offset, const void *buf, uint32_t len,
			  uint64_t bar_size, bool allow8)
{
	if (!vgpu)
		return false; /* nowhere to log to */
	if (!buf) {
		gvt_vgpu_misuse(vgpu, "%s: NULL buffer", what);
		return false;
	}
	if (len != 1 && len != 2 && len != 4 && !(allow8 && len == 8)) {
		gvt_vgpu_misuse(vgpu, "%s: size %u is not 1, 2, 4%s", what,
				len, allow8 ? " or 8" : "");
		return false;
	}
	if (offset >= bar_size || len > bar_size - offset) {
		gvt_vgpu_misuse(vgpu,
				"%s: offset 0x%llx size %u is outside the BAR (0x%llx bytes)",
				what, (unsigned long long)offset, len,
				(unsigned long long)bar_size);
		return false;
	}
	return true;
}

/* The hot case in one test: an aligned dword below 2 MiB. */
static inline bool is_register_dword(uint64_t offset, uint32_t len)
{
	return ((offset & ~(uint64_t)(GVT_MMIO_SIZE - 4)) | (len ^ 4)) == 0;
}

/*
 * What the bytes a partial write leaves alone contribute to the dword the
 * register sees: their stored value, except in write-1-to-clear registers,
 * where an untouched byte must clear nothing.
 */
static uint32_t partial_base(struct gvt_vgpu *vgpu, uint32_t dword)
{
	return (vgpu->attr[dword >> 2].flags & F_W1C) ? 0 : vgpu->vreg[dword >> 2];
}

/*
 * Any byte range of BAR0, already validated: registers dword by dword (a
 * partial write keeps the dword's other bytes), the hole between registers
 * and GGTT as zeros that ignore writes, and GGTT entries through gtt.c.
 */
static void bar0_access(struct gvt_vgpu *vgpu, uint32_t offset, uint8_t *buf,
			uint32_t len, bool write)
{
	if (offset < GVT_GGTT_MMIO_OFFSET) {
		vgpu->stats.mmio_reads += !write;
		vgpu->stats.mmio_writes += write;
	}
	for (uint32_t done = 0; done < len;) {
		uint32_t at = offset + done;
		uint32_t dword = at & ~3u;
		uint32_t shift = at & 3;
		uint32_t n = 4 - shift < len - done ? 4 - shift : len - done;
		uint32_t bytes = 0;
		uint32_t keep;

		if (at >= GVT_GGTT_MMIO_OFFSET) {
			/* The GGTT starts on a dword: hand it the rest. The
			 * GPU thread translates through it (status pages). */
			pthread_mutex_lock(&vgpu->lock);
			if (write) {
				gvt_ggtt_write(vgpu, at - GVT_GGTT_MMIO_OFFSET,
					       buf + done, len - done);
			} else {
				gvt_ggtt_read(vgpu, at - GVT_GGTT_MMIO_OFFSET,
					      buf + done, len - done);
				vgpu->stats.ggtt_reads++;
			}
			pthread_mutex_unlock(&vgpu->lock);
			return;
		}
		if (dword >= GVT_MMIO_SIZE) {
			if (!write)
				memset(buf + done, 0, n);
			done += n;
			continue;
		}
		if (!write) {
			bytes = mmio_read_dword(vgpu, dword) >> (8 * shift);
			memcpy(buf + done, &bytes, n);
			done += n;
			continue;
		}
		memcpy(&bytes, buf + done, n);
		keep = n == 4 ? 0 : ~(((1u << (8 * n)) - 1) << (8 * shift));
		mmio_write_dword(vgpu, dword,
				 (partial_base(vgpu, dword) & keep) |
					 (bytes << (8 * shift)));
		done += n;
	}
}

/*
 * Everything but an untraced register dword: other sizes and offsets, the
 * GGTT, and any access while recording (which holds the vGPU's lock from
 * its first trace line to its last, gvt_trace_lock()). Out of line, so the
 * register hot path saves no registers for it.
 */
static __attribute__((noinline)) int
mmio_read_slow(struct gvt_vgpu *vgpu, uint64_t offset, void *buf, uint32_t len)
{
	bool locked;

	if (!bar_access_ok(vgpu, "mmio read", offset, buf, len, GVT_BAR0_SIZE,
			   true))
		return -EINVAL;
	locked = gvt_trace_lock(vgpu);
	if (vgpu->trace)
		gvt_trace_begin_read(vgpu);
	if (is_register_dword(offset, len)) {
		uint32_t v = mmio_read_dword(vgpu, (uint32_t)offset);

		memcpy(buf, &v, 4);
		vgpu->stats.mmio_reads++;
	} else {
		bar0_access(vgpu, (uint32_t)offset, buf, len, false);
	}
	if (vgpu->trace)
		gvt_trace_io(vgpu, "r", offset, len, buf);
	gvt_trace_unlock(vgpu, locked);
	return 0;
}

int gvt_vgpu_mmio_read(struct gvt_vgpu *vgpu, uint64_t offset, void *buf,
		       uint32_t len)
{
	if (likely(is_register_dword(offset, len) && vgpu && buf &&
		   !vgpu->trace)) {
		uint32_t v = mmio_read_dword(vgpu, (uint32_t)offset);

		memcpy(buf, &v, 4);
		vgpu->stats.mmio_reads++;
		return 0;
	}
	return mmio_read_slow(vgpu, offset, buf, len);
}

static __attribute__((noinline)) int
mmio_write_slow(struct gvt_vgpu *vgpu, uint64_t offset, const void *buf,
		uint32_t len)
{
	bool locked;

	if (!bar_access_ok(vgpu, "mmio write", offset, buf, len,
			   GVT_BAR0_SIZE, true))
		return -EINVAL;
	locked = gvt_trace_lock(vgpu);
	if (vgpu->trace)
		gvt_trace_write_begin(vgpu, offset);
	if (is_register_dword(offset, len)) {
		uint32_t v;

		memcpy(&v, buf, 4);
		mmio_write_dword(vgpu, (uint32_t)offset, v);
		vgpu->stats.mmio_writes++;
	} else {
		/* Only read through: gtt.c and the register path take const
		 * data. */
		bar0_access(vgpu, (uint32_t)offset, (uint8_t *)buf, len, true);
	}
	if (vgpu->trace)
		gvt_trace_write_end(vgpu, "w", offset, len, buf);
	gvt_trace_unlock(vgpu, locked);
	return 0;
}

int gvt_vgpu_mmio_write(struct gvt_vgpu *vgpu, uint64_t offset,
			const void *buf, uint32_t len)
{
	if (likely(is_register_dword(offset, len) && vgpu && buf &&
		   !vgpu->trace)) {
		uint32_t v;

		memcpy(&v, buf, 4);
		mmio_write_dword(vgpu, (uint32_t)offset, v);
		vgpu->stats.mmio_writes++;
		return 0;
	}
	return mmio_write_slow(vgpu, offset, buf, len);
}

/*
 * BAR4: the legacy I/O window into BAR0. MMIO_INDEX (offset 0) selects a
 * BAR0 dword, MMIO_DATA (offset 4) reads or writes it. Other offsets read
 * as zero.
 */
#define IO_MMIO_INDEX 0x0
#define IO_MMIO_DATA 0x4

static uint32_t io_read_dword(struct gvt_vgpu *vgpu, uint32_t dword)
{
	uint32_t v = 0;

	if (dword == IO_MMIO_INDEX)
		return vgpu->io_index;
	if (dword == IO_MMIO_DATA &&
	    gvt_vgpu_mmio_read(vgpu, vgpu->io_index & (GVT_BAR0_SIZE - 4), &v,
			       4) == 0)
		return v;
	return 0;
}

int gvt_vgpu_io_read(struct gvt_vgpu *vgpu, uint32_t offset, void *buf,
		     uint32_t len)
{
	uint32_t v;

	if (!bar_access_ok(vgpu, "io read", offset, buf, len, GVT_BAR4_SIZE,
			   false))
		return -EINVAL;
	if ((offset & 3) + len > 4) {
		gvt_vgpu_misuse(vgpu, "io read: offset 0x%x size %u crosses a dword",
				offset, len);
		return -EINVAL;
	}
	v = io_read_dword(vgpu, offset & ~3u) >> (8 * (offset & 3));
	memcpy(buf, &v, len);
	return 0;
}

int gvt_vgpu_io_write(struct gvt_vgpu *vgpu, uint32_t offset,
		      const void *buf, uint32_t len)
{
	uint32_t dword = offset & ~3u;
	uint32_t shift = offset & 3;
	uint32_t bytes = 0;
	uint32_t keep;

	if (!bar_access_ok(vgpu, "io write", offset, buf, len, GVT_BAR4_SIZE,
			   false))
		return -EINVAL;
	if (shift + len > 4) {
		gvt_vgpu_misuse(vgpu, "io write: offset 0x%x size %u crosses a dword",
				offset, len);
		return -EINVAL;
	}
	memcpy(&bytes, buf, len);
	if (dword == IO_MMIO_INDEX) {
		keep = len == 4 ? 0 : ~(((1u << (8 * len)) - 1) << (8 * shift));
		vgpu->io_index = (vgpu->io_index & keep) | (bytes << (8 * shift));
	} else if (dword == IO_MMIO_DATA) {
		/* A write through the window is a BAR0 write of the same
		 * bytes: no read (and none of a read's side effects) first. */
		return gvt_vgpu_mmio_write(vgpu,
					   (vgpu->io_index & (GVT_BAR0_SIZE - 4)) + shift,
					   &bytes, len);
	}
	return 0;
}
