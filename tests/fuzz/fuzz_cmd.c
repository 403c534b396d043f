// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a hostile guest's command stream. The input's first byte
 * picks the engine and how the stream is submitted (ring or batch, GGTT or
 * PPGTT); the rest is the stream, placed at the start of the vGPU's
 * aperture (GGTT) or at a PPGTT address. Each input is:
 *   - decoded, audited in place, and scanned with a shadow copy;
 *   - checked: nothing crashes, every call returns 0/1 or a verdict, and a
 *     stream decoding refuses (it cannot be parsed) is refused by the
 *     audit as well, unless the audit could not follow a batch start the
 *     decoder did: the audit is never laxer than the decoder;
 *   - an accepted shadowed batch holds exactly the dwords it was copied
 *     from, except MI_NOOPs standing in for emulated commands.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_parser.h"
#include "mock_hv.h"
#include "private.h"

#define PPGTT_BASE 0x7fff00000000ull

static struct gvt_ctx *ctx;
static struct gvt_vgpu *vgpu;
static struct mock_hv *hv;
static struct gvt_cmd_shadow shadow;
static const char *const engines[] = { "rcs", "bcs", "vcs", "vecs" };

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_cmd: invariant broken: %s\n", what);
	abort();
}

static void setup(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = quiet,
	};

	if (gvt_ctx_create(&p, &ctx) || mock_hv_create(1 << 20, &hv) ||
	    gvt_vgpu_create(ctx, "GVTg_V5_4", &mock_hv_ops, hv, &vgpu))
		fail("setup");
	gvt_cmd_shadow_init(&shadow);
}

struct held {
	const uint8_t *buf;
	size_t len;
	uint64_t base;
	bool ppgtt;
};

/* The stream, then 64 KiB of zeros (MI_NOOPs), then memory that is not
 * the vGPU's: the scan must refuse there, not read it. */
#define ZEROS_AFTER (64u << 10)

static uint32_t held_dword(const struct held *h, uint64_t off)
{
	uint32_t v = 0;

	if (off + 4 <= h->len)
		memcpy(&v, h->buf + off, 4);
	return v;
}

static int held_read(void *opaque, bool ppgtt, uint64_t gma, void *dst,
		     size_t len)
{
	const struct held *h = opaque;
	uint64_t off = gma - h->base;

	if (ppgtt != h->ppgtt || gma < h->base ||
	    off + len > h->len + ZEROS_AFTER || (off | len) & 3)
		return -EFAULT;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = held_dword(h, off + i);

		memcpy((uint8_t *)dst + i, &v, 4);
	}
	return 0;
}

static bool emulated(uint32_t header)
{
	return header >> 23 == 0x03;	/* MI_WAIT_FOR_EVENT */
}

/* Every shadow holds what it was copied from. */
static void check_shadows(const struct held *h)
{
	for (unsigned int i = 0; i < shadow.num_bufs; i++) {
		const struct gvt_cmd_buffer *b = &shadow.bufs[i];

		if (!b->length)
			continue;
		if (b->gma < h->base ||
		    b->gma - h->base + b->length * 4ull > h->len + ZEROS_AFTER)
			fail("a shadow was copied from outside the stream");
		for (uint32_t d = 0; d < b->length; d++) {
			uint32_t want = held_dword(h, b->gma - h->base + d * 4ull);

			if (b->shadow[d] != want &&
			    !(b->shadow[d] == 0 && emulated(want)))
				fail("a shadow differs from its source");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvt_cmd_verdict decoded, audited;
	struct gvt_vgpu_info info;
	struct gvt_cmd_policy pol;
	struct held h;
	struct gvt_cmd_scan s;
	unsigned int flags;
	const char *engine;
	int ret;

	if (!ctx)
		setup();
	if (size < 1)
		return 0;
	engine = engines[data[0] & 3];
	flags = (data[0] >> 2) & 1 ? GVT_CMD_RING : ((data[0] >> 3) & 1 ? GVT_CMD_PPGTT : 0);
	data++;
	size = (size - 1) & ~(size_t)3;
	if (gvt_vgpu_get_info(vgpu, &info))
		fail("info");
	h.buf = data;
	h.len = size;
	h.ppgtt = flags & GVT_CMD_PPGTT;
	h.base = h.ppgtt ? PPGTT_BASE : info.aperture_base;

	if (gvt_cmd_decode(GVT_PLATFORM_SKL, engine, data, size, h.base, flags,
			   NULL, NULL, &decoded))
		fail("decode returned an error");
	if (gvt_vgpu_cmd_audit(vgpu, engine, data, size, h.base, flags, NULL,
			       NULL, &audited))
		fail("audit returned an error");
	/* The decoder follows starts into the buffer whatever their address
	 * space; the audit only into the space they name. Only a start the
	 * audit could not follow excuses it for accepting more. */
	if (decoded.refused && !audited.refused && !audited.unfollowed)
		fail("the audit accepted what the decoder cannot parse");

	/* The shadowing scan of a batch, as a workload's batches are. */
	if (flags & GVT_CMD_RING)
		return 0;
	gvt_vgpu_cmd_policy(vgpu, &pol);
	memset(&s, 0, sizeof(s));
	s.engine = (enum gvt_engine_id)(data[-1] & 3);	/* as engines[] */
	s.mem.read = held_read;
	s.mem.opaque = &h;
	s.policy = &pol;
	s.shadow = &shadow;
	ret = gvt_cmd_scan_buffer(&s, h.ppgtt, h.base, size, false);
	gvt_cmd_scan_fini(&s);
	if (ret < 0 || ret > 1)
		fail("shadow scan returned an error");
	if (ret == 0)
		check_shadows(&h);
	return 0;
}
