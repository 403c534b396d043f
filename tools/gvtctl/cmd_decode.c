// SPDX-License-Identifier: MIT
/*
 * gvtctl decode and gvtctl audit: the command scanner on a file.
 *
 * decode prints one line per command, "OFFSET NAME LENGTH" (offset from the
 * start of FILE and length, both in dwords), following batch starts whose
 * target lies inside FILE. audit checks FILE as the first vGPU of a type on
 * an empty GPU would have it checked, and prints the verdict. Without
 * --base, a GGTT stream sits at the start of that vGPU's aperture slice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "gvtctl.h"
#include "mock_hv.h"

struct stream_args {
	const char *engine;
	const char *type;
	const char *file;
	uint64_t base;
	bool base_given;
	unsigned int flags;
};

static int parse_args(struct gvtctl *g, int argc, char **argv, bool audit,
		      const char *usage, struct stream_args *a)
{
	a->engine = "rcs";
	a->type = "GVTg_V5_8";
	a->file = NULL;
	a->base = 0;
	a->base_given = false;
	a->flags = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool has_value = i + 1 < argc;

		if (!strcmp(arg, "--platform") && has_value) {
			if (strcmp(argv[++i], "skl"))
				return gvtctl_input_error(g, "platform '%s' is not supported (skl is)",
						    argv[i]);
		} else if (!strcmp(arg, "--engine") && has_value) {
			a->engine = argv[++i];
			if (strcmp(a->engine, "rcs") && strcmp(a->engine, "bcs") &&
			    strcmp(a->engine, "vcs") && strcmp(a->engine, "vecs"))
				return gvtctl_usage(g, usage);
		} else if (!strcmp(arg, "--base") && has_value) {
			char *end;

			errno = 0;
			a->base = strtoull(argv[++i], &end, 0);
			if (errno || *end || a->base % 4)
				return gvtctl_input_error(g, "--base %s: a dword-aligned address is needed",
						    argv[i]);
			a->base_given = true;
		} else if (!strcmp(arg, "--ring")) {
			a->flags |= GVT_CMD_RING;
		} else if (audit && !strcmp(arg, "--ppgtt")) {
			a->flags |= GVT_CMD_PPGTT;
		} else if (audit && !strcmp(arg, "--type") && has_value) {
			a->type = argv[++i];
		} else if (arg[0] == '-' || a->file) {
			return gvtctl_usage(g, usage);
		} else {
			a->file = arg;
		}
	}
	if (!a->file)
		return gvtctl_usage(g, usage);
	if ((a->flags & GVT_CMD_RING) && (a->flags & GVT_CMD_PPGTT))
		return gvtctl_input_error(g, "a ring lives in the GGTT: --ring and --ppgtt exclude each other");
	return 0;
}

/* Read all of @path; a stream is a whole number of dwords. */
static int read_stream(struct gvtctl *g, const char *path, uint8_t **buf,
		       size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *b;

	if (!f)
		return gvtctl_input_error(g, "%s: %s", path, strerror(errno));
	b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		cap *= 2;
		uint8_t *nb = realloc(b, cap);

		if (!nb) {
			free(b);
			b = NULL;
		} else {
			b = nb;
		}
	}
	if (!b || ferror(f)) {
		fclose(f);
		free(b);
		return gvtctl_input_error(g, "%s: cannot read it", path);
	}
	fclose(f);
	if (n % 4) {
		free(b);
		return gvtctl_input_error(g, "%s: %zu bytes is not a whole number of dwords",
				    path, n);
	}
	*buf = b;
	*len = n;
	return 0;
}

struct print_ctx {
	uint64_t base;
};

static void print_command(void *opaque, const struct gvt_cmd_info *cmd)
{
	const struct print_ctx *pc = opaque;

	printf("%" PRIu64 " %s %u\n", (cmd->gma - pc->base) / 4, cmd->name,
	       cmd->length);
}

static const char *level_name(unsigned int level)
{
	return level == 0 ? "ring" : level == 1 ? "batch" : "second-level batch";
}

/* The verdict, for people (stdout) or for programs (--json). */
static int print_verdict(struct gvtctl *g, const struct stream_args *a,
			 const struct gvt_cmd_verdict *v)
{
	int64_t offset = (int64_t)(v->gma - a->base) / 4;

	if (g->json) {
		printf("{\"refused\":%s,\"commands\":%" PRIu64 ",\"unfollowed\":%u",
		       v->refused ? "true" : "false", v->commands, v->unfollowed);
		if (v->refused) {
			printf(",\"offset\":%" PRId64 ",\"gma\":%" PRIu64
			       ",\"ppgtt\":%s,\"level\":%u,\"header\":%u,\"command\":",
			       offset, v->gma, v->ppgtt ? "true" : "false",
			       v->level, v->header);
			gvtctl_json_str(stdout, v->command);
			printf(",\"rule\":");
			gvtctl_json_str(stdout, v->rule);
			printf(",\"detail\":");
			gvtctl_json_str(stdout, v->detail);
		}
		printf("}\n");
		return v->refused ? EXIT_FAIL : EXIT_OK;
	}
	if (v->refused) {
		printf("refused: offset %" PRId64 " (%s 0x%" PRIx64 ", %s) %s header 0x%08x: rule %s: %s\n",
		       offset, v->ppgtt ? "PPGTT" : "GGTT", v->gma,
		       level_name(v->level), v->command, v->header, v->rule,
		       v->detail);
		return EXIT_FAIL;
	}
	printf("accepted: %" PRIu64 " commands", v->commands);
	if (v->unfollowed)
		printf("; %u batch start%s outside the file checked without their memory",
		       v->unfollowed, v->unfollowed == 1 ? "" : "s");
	printf("\n");
	return EXIT_OK;
}

int cmd_decode(struct gvtctl *g, int argc, char **argv)
{
	static const char usage[] =
		"decode [--platform skl] [--engine rcs|bcs|vcs|vecs] [--base ADDR] [--ring] FILE";
	struct stream_args a;
	struct print_ctx pc;
	struct gvt_cmd_verdict v;
	uint8_t *buf;
	size_t len;
	int ret;

	ret = parse_args(g, argc, argv, false, usage, &a);
	if (!ret)
		ret = read_stream(g, a.file, &buf, &len);
	if (ret)
		return ret;
	pc.base = a.base;
	ret = gvt_cmd_decode(GVT_PLATFORM_SKL, a.engine, buf, len, a.base,
			     a.flags, g->json ? NULL : print_command, &pc, &v);
	free(buf);
	if (ret)
		return gvtctl_input_error(g, "decode: %s", strerror(-ret));
	if (g->json)
		return print_verdict(g, &a, &v);
	if (v.refused) {
		printf("stopped: offset %" PRId64 " %s header 0x%08x: %s: %s\n",
		       (int64_t)(v.gma - a.base) / 4, v.command, v.header,
		       v.rule, v.detail);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_audit(struct gvtctl *g, int argc, char **argv)
{
	static const char usage[] =
		"audit [--platform skl] [--engine rcs|bcs|vcs|vecs] [--type TYPE] [--base ADDR] [--ring | --ppgtt] FILE";
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = gvtctl_log_errors,
		.log_level = GVT_LOG_ERR,
	};
	struct stream_args a;
	struct gvt_cmd_verdict v;
	struct gvt_ctx *ctx = NULL;
	struct gvt_vgpu *vgpu = NULL;
	struct mock_hv *hv = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int ret;

	ret = parse_args(g, argc, argv, true, usage, &a);
	if (!ret)
		ret = read_stream(g, a.file, &buf, &len);
	if (ret)
		return ret;
	if (gvt_ctx_create(&p, &ctx)) {
		ret = gvtctl_input_error(g, "cannot create a GPU");
		goto out;
	}
	/* The vGPU's guest memory is never read: the stream is FILE. */
	if (mock_hv_create(1 << 20, &hv)) {
		ret = gvtctl_input_error(g, "out of memory");
		goto out;
	}
	ret = gvt_vgpu_create(ctx, a.type, &mock_hv_ops, hv, &vgpu);
	if (ret) {
		ret = gvtctl_input_error(g, "no vGPU of type '%s' (gvtctl types lists them)",
					 a.type);
		goto out;
	}
	/* A GGTT stream sits, unless told otherwise, at the start of the
	 * vGPU's aperture: address 0 is the host's. */
	if (!a.base_given && !(a.flags & GVT_CMD_PPGTT)) {
		struct gvt_vgpu_info info;

		if (!gvt_vgpu_get_info(vgpu, &info))
			a.base = info.aperture_base;
	}
	ret = gvt_vgpu_cmd_audit(vgpu, a.engine, buf, len, a.base, a.flags,
				 NULL, NULL, &v);
	if (ret)
		ret = gvtctl_input_error(g, "audit: %s", strerror(-ret));
	else
		ret = print_verdict(g, &a, &v);
out:
	if (vgpu)
		gvt_vgpu_destroy(vgpu);
	if (hv)
		mock_hv_destroy(hv);
	gvt_ctx_destroy(ctx);
	free(buf);
	return ret;
}
