// SPDX-License-Identifier: MIT
/*
 * The sim GPU's blitter: XY_COLOR_BLT, XY_SRC_COPY_BLT and
 * XY_FAST_COPY_BLT on linear, X-tiled and legacy Y-tiled surfaces.
 *
 * Every page a pixel touches goes through the engine's translation (a
 * one-page cache per surface keeps that cheap), so a blit reaches exactly
 * the pages the GGTT or PPGTT maps and hangs the engine at the first one it
 * does not. Rows are drawn in spans contiguous in both surfaces, a memcpy
 * for a plain copy; the result is what pixel-by-pixel drawing gives. The
 * address space is that of the buffer the command sits in: a PPGTT batch
 * blits through the PPGTT, the ring and GGTT batches through the GGTT.
 */
#include <errno.h>
#include <string.h>

#include "sim.h"

enum blt_tiling { BLT_LINEAR, BLT_TILE_X, BLT_TILE_Y };

struct blt_surface {
	const char *what;	/* "source", "destination": for hang reports */
	uint64_t base;		/* GPU address */
	int64_t pitch;		/* bytes; negative for bottom-up linear */
	enum blt_tiling tiling;
	bool ppgtt;
	bool write;
	/* one-page translation cache */
	bool cached;
	uint64_t page;
	uint8_t *host;		/* NULL: the scratch page */
};

/* The byte at (@xb bytes, @y rows) of @s, as an offset from its base.
 * X tiles are 512 B x 8 rows; legacy Y tiles 128 B x 32 rows stored as
 * 16-byte columns of 32 rows. Both are 4 KiB, laid out row-major. */
static uint64_t surface_offset(const struct blt_surface *s, uint32_t xb,
			       uint32_t y)
{
	uint64_t tiles_per_row, tile;

	switch (s->tiling) {
	case BLT_TILE_X:
		tiles_per_row = (uint64_t)s->pitch / 512;
		tile = (y / 8) * tiles_per_row + xb / 512;
		return tile * 4096 + (y % 8) * 512 + xb % 512;
	case BLT_TILE_Y:
		tiles_per_row = (uint64_t)s->pitch / 128;
		tile = (y / 32) * tiles_per_row + xb / 128;
		return tile * 4096 + (xb % 128) / 16 * 512 + (y % 32) * 16 +
		       xb % 16;
	default:
		return (uint64_t)((int64_t)y * s->pitch + xb);
	}
}

/* The GPU address of byte (@xb, @y) of @s. */
static uint64_t surface_addr(const struct blt_surface *s, uint32_t xb, uint32_t y)
{
	return (s->base + surface_offset(s, xb, y)) & ((1ull << 48) - 1);
}

/* The host byte behind GPU address @addr of @s; NULL in *@p for the
 * scratch page. */
static int host_at(struct sim_engine *e, struct blt_surface *s, uint64_t addr,
		   uint8_t **p)
{
	uint64_t page = addr & ~(uint64_t)(GVT_GTT_PAGE_SIZE - 1);

	if (!s->cached || s->page != page) {
		uint8_t *host;

		s->cached = false;
		if (sim_engine_xlate(e, s->ppgtt, addr, s->write, &host))
			return -EFAULT;
		s->host = host ? host - addr % GVT_GTT_PAGE_SIZE : NULL;
		s->cached = true;
		s->page = page;
	}
	*p = s->host ? s->host + addr % GVT_GTT_PAGE_SIZE : NULL;
	return 0;
}

static int surface_byte(struct sim_engine *e, struct blt_surface *s,
			uint32_t xb, uint32_t y, uint8_t **p)
{
	return host_at(e, s, surface_addr(s, xb, y), p);
}

/* Pixel @x, row @y of @s, @cpp bytes, little-endian: the slow way, for a
 * pixel that straddles a page or a tile's contiguous run. */
static int pixel_read(struct sim_engine *e, struct blt_surface *s, uint32_t x,
		      uint32_t y, unsigned int cpp, uint64_t *v)
{
	*v = 0;
	for (unsigned int i = 0; i < cpp; i++) {
		uint8_t *p;

		if (surface_byte(e, s, x * cpp + i, y, &p))
			return -EFAULT;
		*v |= (uint64_t)(p ? *p : 0) << (8 * i);
	}
	return 0;
}

static int pixel_write(struct sim_engine *e, struct blt_surface *s, uint32_t x,
		       uint32_t y, unsigned int cpp, uint64_t v)
{
	for (unsigned int i = 0; i < cpp; i++) {
		uint8_t *p;

		if (surface_byte(e, s, x * cpp + i, y, &p))
			return -EFAULT;
		if (p)
			*p = (uint8_t)(v >> (8 * i));
	}
	return 0;
}

/* The bytes of @s from (@xb, @y) on that are contiguous in both the
 * surface's layout and one page: where they are (*@p, NULL for the
 * scratch page) and how many (*@run). A row of an X tile is 512 bytes, of
 * a legacy Y tile 16 (one column's row); a linear row runs to its page's
 * end. */
static int surface_span(struct sim_engine *e, struct blt_surface *s,
			uint32_t xb, uint32_t y, uint8_t **p, uint32_t *run)
{
	uint64_t addr = surface_addr(s, xb, y);
	uint32_t in_page = GVT_GTT_PAGE_SIZE - (uint32_t)(addr % GVT_GTT_PAGE_SIZE);

	*run = s->tiling == BLT_TILE_X ? 512 - xb % 512 :
	       s->tiling == BLT_TILE_Y ? 16 - xb % 16 : in_page;
	if (*run > in_page)
		*run = in_page;
	return host_at(e, s, addr, p);
}

static uint64_t load_le(const uint8_t *p, unsigned int cpp)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < cpp; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void store_le(uint8_t *p, unsigned int cpp, uint64_t v)
{
	for (unsigned int i = 0; i < cpp; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A raster operation on pattern, source and destination: bit (P<<2 |
 * S<<1 | D) of @rop is the result for those inputs. */
static uint64_t rop3(uint8_t rop, uint64_t p, uint64_t s, uint64_t d)
{
	uint64_t r = 0;

	if (rop == 0xcc)
		return s;
	if (rop == 0xf0)
		return p;
	for (unsigned int i = 0; i < 8; i++)
		if (rop & (1u << i))
			r |= (i & 4 ? p : ~p) & (i & 2 ? s : ~s) & (i & 1 ? d : ~d);
	return r;
}

static int tiled_pitch_ok(struct sim_engine *e, const struct blt_surface *s)
{
	int64_t w = s->tiling == BLT_TILE_X ? 512 : 128;

	if (s->tiling == BLT_LINEAR || (s->pitch > 0 && s->pitch % w == 0))
		return 0;
	return sim_engine_hang(e, "%s pitch %lld bytes is not a multiple of its %lld-byte tile width",
			       s->what, (long long)s->pitch, (long long)w);
}

struct blt_op {
	const char *name;
	unsigned int cpp;	/* bytes per pixel */
	uint8_t rop;
	uint64_t color;		/* the pattern for XY_COLOR_BLT */
	uint64_t mask;		/* bits of a pixel the blit writes */
	bool has_src;
	uint32_t dx1, dy1, dx2, dy2;	/* destination rectangle, x2/y2 excluded */
	uint32_t sx, sy;	/* source's top-left */
};

/* Draw @px pixels of one row, contiguous in both surfaces: @d the
 * destination's (NULL: the scratch page, whose writes vanish), @sp the
 * source's (NULL: the scratch page, which reads zero). Pixel by pixel, left
 * to right, as the slow path would: a source overlapping the destination
 * reads what the row has already drawn. A plain copy between disjoint
 * spans is a memcpy, with the same result. */
static void draw_span(const struct blt_op *op, uint8_t *d, const uint8_t *sp,
		      uint32_t px)
{
	unsigned int cpp = op->cpp;
	uint64_t all = cpp == 8 ? ~0ull : (1ull << (8 * cpp)) - 1;
	size_t bytes = (size_t)px * cpp;

	if (!d)
		return;
	if (op->rop == 0xcc && (op->mask & all) == all) {
		if (!sp) {
			memset(d, 0, bytes);
			return;
		}
		if (sp + bytes <= d || d + bytes <= sp) {
			memcpy(d, sp, bytes);
			return;
		}
	}
	for (uint32_t i = 0; i < px; i++, d += cpp) {
		uint64_t s = op->has_src && sp ? load_le(sp + (size_t)i * cpp, cpp) : 0;
		uint64_t old = load_le(d, cpp);
		uint64_t v = rop3(op->rop, op->color, s, old);

		store_le(d, cpp, (v & op->mask) | (old & ~op->mask));
	}
}

/* One pixel the slow way: it straddles a page or a tile's run. */
static int draw_pixel(struct sim_engine *e, const struct blt_op *op,
		      struct blt_surface *dst, struct blt_surface *src,
		      uint32_t x, uint32_t y)
{
	uint64_t s = 0, d, v;

	if (op->has_src &&
	    pixel_read(e, src, op->sx + (x - op->dx1), op->sy + (y - op->dy1),
		       op->cpp, &s))
		return -EFAULT;
	if (pixel_read(e, dst, x, y, op->cpp, &d))
		return -EFAULT;
	v = rop3(op->rop, op->color, s, d);
	return pixel_write(e, dst, x, y, op->cpp, (v & op->mask) | (d & ~op->mask));
}

/* Draw from where the blit stopped (or its first pixel), at most
 * SIM_BLT_PIXELS_PER_STEP pixels: 0 when done, 2 when it stopped again. No
 * pixel is drawn twice: a rop may read what it writes. */
static int blt_run(struct sim_engine *e, const struct blt_op *op,
		   struct blt_surface *dst, struct blt_surface *src)
{
	uint32_t x = e->blt_partial ? e->blt_x : op->dx1;
	uint32_t y = e->blt_partial ? e->blt_y : op->dy1;
	uint32_t n = 0;

	/* A PPGTT batch runs in place: its guest may have rewritten it. */
	if (x < op->dx1 || x >= op->dx2 || y < op->dy1 || y >= op->dy2) {
		x = op->dx1;
		y = op->dy1;
	}
	e->blt_partial = false;
	if (tiled_pitch_ok(e, dst) || (op->has_src && tiled_pitch_ok(e, src)))
		return -EFAULT;
	/* The rectangle given is the clip: an empty one draws nothing. A row
	 * is drawn in spans that are contiguous in both surfaces; the source
	 * is translated before the destination, as each pixel reads it
	 * first, so a blit hangs at the same pixel either way. */
	for (; y < op->dy2; y++, x = op->dx1) {
		while (x < op->dx2) {
			uint32_t px = op->dx2 - x, run;
			uint8_t *sp = NULL, *dp;

			if (n == SIM_BLT_PIXELS_PER_STEP) {
				e->blt_partial = true;
				e->blt_x = x;
				e->blt_y = y;
				return 2;
			}
			if (px > SIM_BLT_PIXELS_PER_STEP - n)
				px = SIM_BLT_PIXELS_PER_STEP - n;
			if (op->has_src) {
				if (surface_span(e, src, (op->sx + (x - op->dx1)) * op->cpp,
						 op->sy + (y - op->dy1), &sp, &run))
					return -EFAULT;
				if (px > run / op->cpp)
					px = run / op->cpp;
			}
			if (surface_span(e, dst, x * op->cpp, y, &dp, &run))
				return -EFAULT;
			if (px > run / op->cpp)
				px = run / op->cpp;
			if (!px) {
				if (draw_pixel(e, op, dst, src, x, y))
					return -EFAULT;
				px = 1;
			} else {
				draw_span(op, dp, sp, px);
			}
			x += px;
			n += px;
		}
	}
	return 0;
}

static void rect(uint32_t tl, uint32_t br, struct blt_op *op)
{
	op->dx1 = tl & 0xffff;
	op->dy1 = tl >> 16;
	op->dx2 = br & 0xffff;
	op->dy2 = br >> 16;
}

/* XY_* colour depth (DW1 bits 25:24) and, for 32 bpp, the byte mask of
 * DW0 bits 21 (alpha) and 20 (RGB). */
static void xy_depth(const uint32_t *dw, struct blt_op *op)
{
	static const unsigned int cpp[4] = { 1, 2, 2, 4 };

	op->cpp = cpp[(dw[1] >> 24) & 3];
	op->mask = (1ull << (8 * op->cpp)) - 1;
	if (op->cpp == 4)
		op->mask = (dw[0] & (1u << 21) ? 0xff000000ull : 0) |
			   (dw[0] & (1u << 20) ? 0x00ffffffull : 0);
}

/* XY_* surfaces: pitch DW bits 15:0, signed bytes when linear, dwords when
 * tiled; X or Y tiling as BCS_SWCTRL selects. */
static void xy_surface(struct sim_engine *e, struct blt_surface *s,
		       bool tiled, uint32_t y_bit, uint32_t pitch_dw,
		       uint64_t base)
{
	uint32_t swctrl = e->sim->regs[SIM_BCS_SWCTRL >> 2];

	s->base = base;
	s->tiling = !tiled ? BLT_LINEAR :
		    swctrl & y_bit ? BLT_TILE_Y : BLT_TILE_X;
	s->pitch = tiled ? (int64_t)(pitch_dw & 0xffff) * 4 :
			   (int16_t)(pitch_dw & 0xffff);
}

static uint64_t blt_addr(uint32_t lo, uint32_t hi)
{
	return lo | (uint64_t)(hi & 0xffff) << 32;
}

/* XY_FAST_COPY_BLT tiling fields: 0 linear, 1 X, 2 Y (legacy unless the
 * Yf bit says Tile-Yf), 3 Tile-Ys. */
static int fast_tiling(struct sim_engine *e, struct blt_surface *s,
		       uint32_t field, bool yf)
{
	if (field == 0) {
		s->tiling = BLT_LINEAR;
	} else if (field == 1) {
		s->tiling = BLT_TILE_X;
	} else if (field == 2 && !yf) {
		s->tiling = BLT_TILE_Y;
	} else {
		return sim_engine_hang(e, "%s tiling %s is not modelled", s->what,
				       field == 2 ? "Tile-Yf" : "Tile-Ys");
	}
	return 0;
}

int sim_blt_exec(struct sim_engine *e, const uint32_t *dw, uint32_t len)
{
	struct blt_surface dst = { .what = "destination", .write = true,
				   .ppgtt = e->cmd_ppgtt };
	struct blt_surface src = { .what = "source", .ppgtt = e->cmd_ppgtt };
	struct blt_op op = { 0 };
	uint32_t depth;

	(void)len;	/* the table fixes each blit's length */
	switch (dw[0] & 0xffc00000u) {
	case 0x54000000u:	/* XY_COLOR_BLT */
		xy_depth(dw, &op);
		op.rop = (dw[1] >> 16) & 0xff;
		op.color = dw[6];
		rect(dw[2], dw[3], &op);
		xy_surface(e, &dst, dw[0] & (1u << 11), SIM_BCS_SWCTRL_DST_Y,
			   dw[1], blt_addr(dw[4], dw[5]));
		return blt_run(e, &op, &dst, NULL);
	case 0x54c00000u:	/* XY_SRC_COPY_BLT */
		xy_depth(dw, &op);
		op.rop = (dw[1] >> 16) & 0xff;
		op.has_src = true;
		rect(dw[2], dw[3], &op);
		op.sx = dw[6] & 0xffff;
		op.sy = dw[6] >> 16;
		xy_surface(e, &dst, dw[0] & (1u << 11), SIM_BCS_SWCTRL_DST_Y,
			   dw[1], blt_addr(dw[4], dw[5]));
		xy_surface(e, &src, dw[0] & (1u << 15), SIM_BCS_SWCTRL_SRC_Y,
			   dw[7], blt_addr(dw[8], dw[9]));
		return blt_run(e, &op, &dst, &src);
	case 0x50800000u:	/* XY_FAST_COPY_BLT: a plain copy */
		depth = (dw[1] >> 24) & 7;
		if (depth != 0 && depth != 1 && depth != 3 && depth != 4)
			return sim_engine_hang(e, "colour depth %u is not modelled",
					       depth);
		op.cpp = depth == 0 ? 1 : depth == 1 ? 2 : depth == 3 ? 4 : 8;
		op.mask = ~0ull;
		op.rop = 0xcc;
		op.has_src = true;
		rect(dw[2], dw[3], &op);
		op.sx = dw[6] & 0xffff;
		op.sy = dw[6] >> 16;
		if (fast_tiling(e, &dst, (dw[0] >> 13) & 3, dw[1] & (1u << 30)) ||
		    fast_tiling(e, &src, (dw[0] >> 20) & 3, dw[1] & (1u << 31)))
			return -EFAULT;
		dst.base = blt_addr(dw[4], dw[5]);
		src.base = blt_addr(dw[8], dw[9]);
		dst.pitch = dst.tiling ? (int64_t)(dw[1] & 0xffff) * 4 :
					 (int16_t)(dw[1] & 0xffff);
		src.pitch = src.tiling ? (int64_t)(dw[7] & 0xffff) * 4 :
					 (int16_t)(dw[7] & 0xffff);
		return blt_run(e, &op, &dst, &src);
	default:
		return 1;	/* XY_SETUP_BLT, XY_PIXEL_BLT...: decoded only */
	}
}
