// SPDX-License-Identifier: MIT
/*
 * gvt-blit-check: blitter copies through i915's uAPI, each one checked.
 *
 * intel-gpu-tools' gem_blt times XY_SRC_COPY_BLTs between two 1 MiB
 * objects but never looks at what they hold. This program, run in the
 * guest after gem_blt, does what gem_blt does and then reads the result
 * back: a guest that sees the right bytes knows the copy went through
 * libgvt's scanner, its GGTT shadow and the sim's blitter, and came back.
 *
 * Rounds, each on the blitter ring (I915_EXEC_BLT) with relocations, as
 * gem_blt submits:
 *   - whole 1 MiB copies (1024 x 256 pixels at 32 bpp, pitch 4 KiB), a new
 *     pattern in the source each time;
 *   - a copy of a rectangle from an offset to another offset: everything
 *     outside the destination rectangle must keep its old bytes;
 *   - an XY_COLOR_BLT fill of a rectangle;
 *   - many copies in one batch, each from the previous one's destination.
 * After each: GEM_WAIT (a hang is a timeout, not a wait forever), then
 * PREAD of the whole destination, compared with what the CPU computed.
 *
 * Prints "GVT-BLIT: ..." lines; exit status 0 only when every byte of
 * every round matched. Built static (the guest has no libc of its own
 * unless intel-gpu-tools brought one) against the uAPI header of
 * Debian's libdrm-dev.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <i915_drm.h>

/* Gen9 blitter commands (PRM vol 2a, "XY_SRC_COPY_BLT", "XY_COLOR_BLT"):
 * client 2, opcode in bits 28:22, both 32 bpp channels written (bits 21
 * and 20), dword length less 2. */
#define XY_SRC_COPY_BLT (2u << 29 | 0x53u << 22 | 3u << 20 | (10 - 2))
#define XY_COLOR_BLT (2u << 29 | 0x50u << 22 | 3u << 20 | (7 - 2))
#define BR13_32BPP (3u << 24)
#define ROP_SRCCOPY (0xccu << 16)
#define ROP_PATCOPY (0xf0u << 16)
#define MI_BATCH_BUFFER_END (0xau << 23)
#define MI_NOOP 0u

#define WIDTH 1024u	/* pixels */
#define HEIGHT 256u
#define PITCH (WIDTH * 4)
#define SIZE (PITCH * HEIGHT)	/* 1 MiB, as gem_blt */
#define WHOLE_ROUNDS 8
#define CHAIN 16	/* copies in the chained batch */

static int fd;
static unsigned long long bytes_checked, blits;

static int xioctl(unsigned long req, void *arg, const char *what)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r && (errno == EINTR || errno == EAGAIN));
	if (r)
		printf("GVT-BLIT: %s failed: %s\n", what, strerror(errno));
	return r;
}

static uint32_t gem_create(uint64_t size)
{
	struct drm_i915_gem_create c = { .size = size };

	return xioctl(DRM_IOCTL_I915_GEM_CREATE, &c, "GEM_CREATE") ? 0 : c.handle;
}

static int gem_write(uint32_t h, const void *p, uint64_t size)
{
	struct drm_i915_gem_pwrite w = { .handle = h, .size = size,
					 .data_ptr = (uintptr_t)p };

	return xioctl(DRM_IOCTL_I915_GEM_PWRITE, &w, "GEM_PWRITE");
}

static int gem_read(uint32_t h, void *p, uint64_t size)
{
	struct drm_i915_gem_pread r = { .handle = h, .size = size,
					.data_ptr = (uintptr_t)p };

	return xioctl(DRM_IOCTL_I915_GEM_PREAD, &r, "GEM_PREAD");
}

/* The GPU is done with @h within 10 s, or the round fails. */
static int gem_wait(uint32_t h)
{
	struct drm_i915_gem_wait w = { .bo_handle = h,
				       .timeout_ns = 10ll * 1000000000 };

	return xioctl(DRM_IOCTL_I915_GEM_WAIT, &w, "GEM_WAIT (10 s)");
}

struct batch {
	uint32_t dw[1024];
	unsigned int n;
	struct drm_i915_gem_relocation_entry reloc[2 * CHAIN + 2];
	unsigned int nreloc;
};

/* A 64-bit address at the batch's next two dwords: object @target plus
 * @delta, relocated by the kernel. */
static void emit_addr(struct batch *b, uint32_t target, bool write)
{
	b->reloc[b->nreloc++] = (struct drm_i915_gem_relocation_entry){
		.target_handle = target,
		.offset = b->n * 4,
		.read_domains = I915_GEM_DOMAIN_RENDER,
		.write_domain = write ? I915_GEM_DOMAIN_RENDER : 0,
	};
	b->dw[b->n++] = 0;
	b->dw[b->n++] = 0;
}

/* Copy the rectangle at (@sx,@sy) of @src to (@dx,@dy) of @dst. */
static void emit_copy(struct batch *b, uint32_t dst, uint32_t dx, uint32_t dy,
		      uint32_t src, uint32_t sx, uint32_t sy, uint32_t w,
		      uint32_t h)
{
	b->dw[b->n++] = XY_SRC_COPY_BLT;
	b->dw[b->n++] = BR13_32BPP | ROP_SRCCOPY | PITCH;
	b->dw[b->n++] = dy << 16 | dx;
	b->dw[b->n++] = (dy + h) << 16 | (dx + w);
	emit_addr(b, dst, true);
	b->dw[b->n++] = sy << 16 | sx;
	b->dw[b->n++] = PITCH;
	emit_addr(b, src, false);
}

static void emit_fill(struct batch *b, uint32_t dst, uint32_t dx, uint32_t dy,
		      uint32_t w, uint32_t h, uint32_t color)
{
	b->dw[b->n++] = XY_COLOR_BLT;
	b->dw[b->n++] = BR13_32BPP | ROP_PATCOPY | PITCH;
	b->dw[b->n++] = dy << 16 | dx;
	b->dw[b->n++] = (dy + h) << 16 | (dx + w);
	emit_addr(b, dst, true);
	b->dw[b->n++] = color;
}

/* Run @b on the blitter with @objs (the batch object last), wait for it. */
static int run(struct batch *b, uint32_t batch_obj, const uint32_t *objs,
	       unsigned int nobjs)
{
	struct drm_i915_gem_exec_object2 eo[8] = { 0 };
	struct drm_i915_gem_execbuffer2 eb = { 0 };

	b->dw[b->n++] = MI_BATCH_BUFFER_END;
	if (b->n & 1)
		b->dw[b->n++] = MI_NOOP;
	if (gem_write(batch_obj, b->dw, b->n * 4))
		return -1;
	for (unsigned int i = 0; i < nobjs; i++)
		eo[i].handle = objs[i];
	eo[nobjs].handle = batch_obj;
	eo[nobjs].relocation_count = b->nreloc;
	eo[nobjs].relocs_ptr = (uintptr_t)b->reloc;
	eb.buffers_ptr = (uintptr_t)eo;
	eb.buffer_count = nobjs + 1;
	eb.batch_len = b->n * 4;
	eb.flags = I915_EXEC_BLT;
	if (xioctl(DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb, "EXECBUFFER2 on the blitter"))
		return -1;
	return gem_wait(batch_obj);
}

/* Read @h back and compare it with @want; name the first wrong pixel. */
static int check(const char *round, uint32_t h, const uint32_t *want)
{
	static uint32_t got[SIZE / 4];

	if (gem_read(h, got, SIZE))
		return -1;
	for (uint32_t i = 0; i < SIZE / 4; i++) {
		if (got[i] != want[i]) {
			printf("GVT-BLIT: %s: pixel (%u,%u) is 0x%08x, expected 0x%08x\n",
			       round, i % WIDTH, i / WIDTH, got[i], want[i]);
			return -1;
		}
	}
	bytes_checked += SIZE;
	return 0;
}

static void pattern(uint32_t *p, uint32_t seed)
{
	for (uint32_t i = 0; i < SIZE / 4; i++)
		p[i] = (i + seed) * 2654435761u ^ seed;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint32_t a[SIZE / 4], want[SIZE / 4];
	const char *path = argc > 1 ? argv[1] : "/dev/dri/card0";
	uint32_t src, dst, bo;
	struct batch b;
	char name[64];
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("GVT-BLIT: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	src = gem_create(SIZE);
	dst = gem_create(SIZE);
	bo = gem_create(4096 * 2);
	if (!src || !dst || !bo)
		return 1;
	t0 = now_s();

	/* Whole copies, a fresh source each round; the destination starts
	 * as something else each time too. */
	for (uint32_t r = 0; r < WHOLE_ROUNDS; r++) {
		pattern(a, 0x1000 + r);
		pattern(want, 0x2000 + r);
		if (gem_write(src, a, SIZE) || gem_write(dst, want, SIZE))
			return 1;
		memset(&b, 0, sizeof(b));
		emit_copy(&b, dst, 0, 0, src, 0, 0, WIDTH, HEIGHT);
		snprintf(name, sizeof(name), "whole copy %u", r);
		if (run(&b, bo, (uint32_t[]){ src, dst }, 2) || check(name, dst, a))
			return 1;
		blits++;
	}

	/* A rectangle from one offset to another: the rest stays. */
	pattern(a, 0x3000);
	pattern(want, 0x4000);
	if (gem_write(src, a, SIZE) || gem_write(dst, want, SIZE))
		return 1;
	memset(&b, 0, sizeof(b));
	emit_copy(&b, dst, 100, 30, src, 7, 11, 333, 200);
	for (uint32_t y = 0; y < 200; y++)
		memcpy(&want[(30 + y) * WIDTH + 100], &a[(11 + y) * WIDTH + 7], 333 * 4);
	if (run(&b, bo, (uint32_t[]){ src, dst }, 2) || check("rectangle copy", dst, want))
		return 1;
	blits++;

	/* A fill of a rectangle, over what the last round left. */
	memset(&b, 0, sizeof(b));
	emit_fill(&b, dst, 513, 1, 500, 254, 0xc0ffee11u);
	for (uint32_t y = 1; y < 255; y++)
		for (uint32_t x = 513; x < 1013; x++)
			want[y * WIDTH + x] = 0xc0ffee11u;
	if (run(&b, bo, (uint32_t[]){ dst }, 1) || check("rectangle fill", dst, want))
		return 1;
	blits++;

	/* One batch of CHAIN copies back and forth, each reading what the
	 * one before wrote, a row further down each time: the blitter must
	 * run them in order and each must see the last one's result. The
	 * CPU does the same on its own copies of both objects. */
	pattern(a, 0x5000);
	memcpy(want, a, SIZE);
	if (gem_write(src, a, SIZE) || gem_write(dst, a, SIZE))
		return 1;
	memset(&b, 0, sizeof(b));
	for (uint32_t i = 0; i < CHAIN; i++) {
		uint32_t from = i & 1 ? dst : src, to = i & 1 ? src : dst;
		uint32_t *cpu_from = i & 1 ? want : a, *cpu_to = i & 1 ? a : want;

		emit_copy(&b, to, 0, i + 1, from, 0, i, WIDTH, 64);
		memcpy(&cpu_to[(i + 1) * WIDTH], &cpu_from[i * WIDTH], 64 * PITCH);
	}
	if (run(&b, bo, (uint32_t[]){ src, dst }, 2) ||
	    check("chained copies (source object)", src, a) ||
	    check("chained copies (destination object)", dst, want))
		return 1;
	blits += CHAIN;

	printf("GVT-BLIT: %llu blits, %llu bytes read back and verified in %.2f s\n",
	       blits, bytes_checked, now_s() - t0);
	return 0;
}
