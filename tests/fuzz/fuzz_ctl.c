// SPDX-License-Identifier: MIT
/*
 * Fuzz target: control-protocol requests, from any local client. Every
 * line must get exactly one well-formed JSON line back, and the process
 * must stay sound. (Requests that start a trace are skipped: they would let
 * the fuzzer write files anywhere; unit tests cover them.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "mock_hv.h"
#include "private.h"

#define MAX_FUZZ_VGPUS 7

static struct gvt_ctx *ctx;
static struct gvt_ctl *ctl;
static struct mock_hv *hvs[GVT_MAX_VGPUS + 1];

static void quiet(void *opaque, int level, const char *msg)
{
	(void)opaque;
	(void)level;
	(void)msg;
}

static int create_cb(void *opaque, const char *type, struct gvt_vgpu **out)
{
	struct mock_hv *hv;
	int ret = mock_hv_create(1u << 20, &hv);

	if (ret)
		return ret;
	ret = gvt_vgpu_create(ctx, type, &mock_hv_ops, hv, out);
	if (ret) {
		mock_hv_destroy(hv);
		return ret;
	}
	hvs[(*out)->id] = hv;
	return 0;
}

static int destroy_cb(void *opaque, struct gvt_vgpu *vgpu)
{
	unsigned int id = vgpu->id;

	gvt_vgpu_destroy(vgpu);
	mock_hv_destroy(hvs[id]);
	hvs[id] = NULL;
	return 0;
}

static const struct gvt_ctl_ops ops = {
	.vgpu_create = create_cb,
	.vgpu_destroy = destroy_cb,
};

static void setup(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.aperture_mib = 1024,
		.log_fn = quiet,
	};
	struct gvt_ctl_params cp = { .ops = &ops };
	struct gvt_vgpu *vgpu;

	if (gvt_ctx_create(&p, &ctx) || gvt_ctl_create_detached(ctx, &cp, &ctl) ||
	    create_cb(NULL, "GVTg_V5_4", &vgpu))
		abort();
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2 :
			     (s[i] & 0xf0) == 0xe0 ? 3 : (s[i] & 0xf8) == 0xf0 ? 4 : 0;

		if (!len || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* One line of well-formed UTF-8 JSON, an object with "ok". */
static void check_reply(const struct gvt_jbuf *b)
{
	struct json *j;
	char err[128];

	if (b->oom || b->len < 3 || b->p[b->len - 1] != '\n' ||
	    memchr(b->p, '\n', b->len - 1) ||
	    !valid_utf8((const unsigned char *)b->p, b->len))
		abort();
	/* Parsing a multi-megabyte listing would slow fuzzing to a crawl;
	 * its shape is the same as a small one's. */
	if (b->len > 65536)
		return;
	b->p[b->len - 1] = '\0';
	j = json_parse(b->p, err, sizeof(err));
	if (!j || j->type != JSON_OBJECT || !json_get(j, "ok"))
		abort();
	json_free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[GVT_CTL_LINE_MAX + 64];
	size_t pos = 0;

	if (!ctx)
		setup();
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - pos < sizeof(line) - 1 ? end - pos : sizeof(line) - 1;
		struct gvt_jbuf reply = { 0 };

		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos = end + 1;
		if (strstr(line, "start"))
			continue;
		gvt_ctl_handle_line(ctl, line, &reply);
		check_reply(&reply);
		gvt_jbuf_free(&reply);
	}
	return 0;
}
