// SPDX-License-Identifier: MIT
/*
 * The register hot path, inlined into every entry point that reaches a
 * register: one attribute load, then plain storage or the handler.
 *
 * Handlers run under the vGPU's lock, because the GPU thread changes the
 * state they act on (the execlist, interrupts). Plain registers need no
 * lock: the GPU thread writes only registers that have a handler or that
 * the guest cannot write, and a dword is read or written whole.
 */
#ifndef GVT_MMIO_H
#define GVT_MMIO_H

#include "private.h"

uint32_t gvt_mmio_read_locked(struct gvt_vgpu *vgpu, uint32_t offset,
			      struct gvt_mmio_attr a);
void gvt_mmio_write_locked(struct gvt_vgpu *vgpu, uint32_t offset,
			   struct gvt_mmio_attr a, uint32_t value);

static inline __attribute__((always_inline)) uint32_t
mmio_read_dword(struct gvt_vgpu *vgpu, uint32_t offset)
{
	struct gvt_mmio_attr a = vgpu->attr[offset >> 2];

	/* In failsafe the registers are plain storage: no handler runs. */
	if (likely(!(a.flags & F_RH)) || unlikely(vgpu->failsafe))
		return vgpu->vreg[offset >> 2];
	return gvt_mmio_read_locked(vgpu, offset, a);
}

/* Store @value under the register's rules: read-only bits keep their
 * value; in a mode-mask register bits 31:16 say which of bits 15:0 change,
 * and the mask half itself is not stored (it reads back as zero). */
static inline __attribute__((always_inline)) void
mmio_store(struct gvt_vgpu *vgpu, uint32_t offset, struct gvt_mmio_attr a,
	   uint32_t value)
{
	uint32_t *reg = &vgpu->vreg[offset >> 2];
	uint32_t ro = (a.flags & F_RO) ? vgpu->mmio_info[a.info].ro_mask : 0;

	if (a.flags & F_MODE_MASK) {
		uint32_t enable = (value >> 16) & 0xffffu & ~ro;

		*reg = (*reg & ~enable) | (value & enable);
		return;
	}
	*reg = (*reg & ro) | (value & ~ro);
}

/* The default semantics of a register write; handlers call it to store
 * before (or instead of) acting. */
static inline void gvt_mmio_write_default(struct gvt_vgpu *vgpu,
					  uint32_t offset, uint32_t value)
{
	mmio_store(vgpu, offset, vgpu->attr[offset >> 2], value);
}

static inline __attribute__((always_inline)) void
mmio_write_dword(struct gvt_vgpu *vgpu, uint32_t offset, uint32_t value)
{
	struct gvt_mmio_attr a = vgpu->attr[offset >> 2];

	if (likely(!(a.flags & (F_WH | F_RO | F_MODE_MASK)))) {
		vgpu->vreg[offset >> 2] = value;
		return;
	}
	if ((a.flags & F_WH) && likely(!vgpu->failsafe)) {
		gvt_mmio_write_locked(vgpu, offset, a, value);
		return;
	}
	mmio_store(vgpu, offset, a, value);
}

#endif /* GVT_MMIO_H */
