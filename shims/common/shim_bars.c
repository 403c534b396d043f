// SPDX-License-Identifier: MIT
/* The BARs a decoding shim reads back from config space (shim_bars.h). */
#include "shim_bars.h"

#define CFG_COMMAND		0x04
#define CFG_COMMAND_IO		0x1u
#define CFG_COMMAND_MEM		0x2u
#define CFG_BAR0		0x10

const unsigned int shim_bar_index[SHIM_BARS] = { 0, 2, 4 };

int shim_bars_read(struct gvt_vgpu *vgpu, struct shim_bars *out)
{
	struct gvt_vgpu_info info;
	uint16_t cmd = 0;
	int ret;

	ret = gvt_vgpu_get_info(vgpu, &info);
	if (!ret)
		ret = gvt_vgpu_cfg_read(vgpu, CFG_COMMAND, &cmd, 2);
	if (ret)
		return ret;
	out->mem_decode = cmd & CFG_COMMAND_MEM;
	out->io_decode = cmd & CFG_COMMAND_IO;
	for (int b = 0; b < SHIM_BARS; b++) {
		unsigned int i = shim_bar_index[b];
		uint32_t lo = 0, hi = 0;

		out->size[b] = info.bar[i].size;
		if (gvt_vgpu_cfg_read(vgpu, CFG_BAR0 + 4 * i, &lo, 4) ||
		    (info.bar[i].flags & GVT_BAR_MEM64 &&
		     gvt_vgpu_cfg_read(vgpu, CFG_BAR0 + 4 * (i + 1), &hi, 4)))
			lo = hi = 0;
		out->base[b] = (info.bar[i].flags & GVT_BAR_IO) ? (lo & ~3u) :
			       ((uint64_t)hi << 32 | (lo & ~0xfu));
	}
	return 0;
}

int shim_bar_of(const struct shim_bars *bars, bool io, uint64_t addr,
		uint32_t len, uint64_t *off)
{
	int first = io ? SHIM_BAR_IO : SHIM_BAR_MMIO;
	int end = io ? SHIM_BAR_IO + 1 : SHIM_BAR_IO;

	if (io ? !bars->io_decode : !bars->mem_decode)
		return -1;
	for (int b = first; b < end; b++) {
		uint64_t base = bars->base[b], size = bars->size[b];

		if (size && base && addr >= base && addr - base < size &&
		    len <= size - (addr - base)) {
			*off = addr - base;
			return b;
		}
	}
	return -1;
}
