// SPDX-License-Identifier: MIT
/*
 * Reading a fuzz input, for the targets that take their values from the
 * input's bytes in order: little-endian, zeros past the end, so that any
 * prefix of an input is an input too. fuzz_ppgtt, fuzz_submit and
 * fuzz_xen_ioreq each had their own reader, and the first two their own
 * copy of the page-table entry generator. What a saved corpus input does
 * depends on these byte for byte: one copy keeps the targets from
 * drifting apart.
 */
#ifndef GVT_FUZZ_INPUT_H
#define GVT_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guest_ppgtt.h"	/* the entry bits, GPT_* */

struct fuzz_input {
	const uint8_t *p;	/* the next byte */
	size_t left;		/* bytes from @p to the end */
};

/* The next @bytes (at most 8) as a little-endian value, zeros past the
 * end. */
static inline uint64_t fuzz_take(struct fuzz_input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* The next @len bytes into @buf, zeros past the end. */
static inline void fuzz_take_bytes(struct fuzz_input *in, void *buf,
				   size_t len)
{
	size_t n = len < in->left ? len : in->left;

	if (n)
		memcpy(buf, in->p, n);
	memset((uint8_t *)buf + n, 0, len - n);
	in->p += n;
	in->left -= n;
}

/* A frame number for fuzz_pte(), as the target's guest uses frames;
 * @opaque is fuzz_pte()'s. */
typedef uint64_t fuzz_frame_fn(void *opaque);

/*
 * A gen8 page-table entry. Kind byte k: k & 7 == 0 raw 8 bytes, 1 zero,
 * else a frame (@frame) with present (cleared by k & 0x40), RW (k & 0x08),
 * PS (0x10), IPS (0x20), and with k & 0x80 a byte of other bits (low
 * flags, bits above the address).
 */
static inline uint64_t fuzz_pte(struct fuzz_input *in, fuzz_frame_fn *frame,
				void *opaque)
{
	uint64_t k = fuzz_take(in, 1);
	uint64_t v, x;

	switch (k & 7) {
	case 0:
		return fuzz_take(in, 8);
	case 1:
		return 0;
	default:
		break;
	}
	v = frame(opaque) << 12 | GPT_PRESENT;
	if (k & 0x08)
		v |= GPT_RW;
	if (k & 0x10)
		v |= GPT_PS;
	if (k & 0x20)
		v |= GPT_IPS;
	if (k & 0x40)
		v &= ~GPT_PRESENT;
	if (k & 0x80) {
		x = fuzz_take(in, 1);
		v |= (x & 0x7c) | (x & 3) << 8;
		if (x & 0x80)
			v |= 1ull << 50 | 1ull << 63;
	}
	return v;
}

#endif /* GVT_FUZZ_INPUT_H */
