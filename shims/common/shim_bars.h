// SPDX-License-Identifier: MIT
/*
 * Where a vGPU's BARs are, as a shim that decodes guest accesses itself
 * (KVM, Xen) must know: read back from the vGPU's own config space after
 * each config write, so the guest's firmware and OS place them as on real
 * PCI. vfio-user has no use for it: QEMU decodes.
 */
#ifndef GVT_SHIM_BARS_H
#define GVT_SHIM_BARS_H

#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>

/* The BARs a shim decodes: BAR0 registers+GGTT, BAR2 aperture, BAR4 I/O. */
enum { SHIM_BAR_MMIO, SHIM_BAR_APERTURE, SHIM_BAR_IO, SHIM_BARS };

/* Their PCI BAR numbers. */
extern const unsigned int shim_bar_index[SHIM_BARS];

/**
 * struct shim_bars - the BARs as the guest placed them.
 * @base: address (0: not placed), @size: bytes, per SHIM_BAR_*.
 * @mem_decode: PCI_COMMAND memory space enable.
 * @io_decode: PCI_COMMAND I/O space enable.
 */
struct shim_bars {
	uint64_t base[SHIM_BARS];
	uint64_t size[SHIM_BARS];
	bool mem_decode, io_decode;
};

/**
 * shim_bars_read() - read @vgpu's BARs and command register.
 * @vgpu: the vGPU.
 * @out: filled; a BAR whose config dwords cannot be read gets base 0.
 *
 * Return: 0, or the -errno of reading the vGPU's info or command register
 * (@out is then untouched).
 */
int shim_bars_read(struct gvt_vgpu *vgpu, struct shim_bars *out);

/**
 * shim_bar_of() - which BAR holds [@addr, @addr + @len) while it decodes.
 * @bars: the BARs.
 * @io: a port access (BAR4) rather than memory (BAR0, BAR2).
 * @addr: guest-physical address or port.
 * @len: bytes.
 * @off: receives the offset in the BAR.
 *
 * Return: SHIM_BAR_*, or -1 when no decoding BAR holds it all.
 */
int shim_bar_of(const struct shim_bars *bars, bool io, uint64_t addr,
		uint32_t len, uint64_t *off);

#endif /* GVT_SHIM_BARS_H */
