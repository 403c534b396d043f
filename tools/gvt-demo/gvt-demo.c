// SPDX-License-Identifier: MIT
/*
 * gvt-demo: the main job on the sim GPU. By default it lists the vGPU
 * types, then starts vGPUs of mixed types and runs verified work on each
 * from a guest driver of its own (run.c). --admission shows instead, for
 * each aperture size, how many vGPUs of every type fit and what each got
 * and what its guest sees; --serve keeps a GPU for gvtctl.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "demo.h"
#include "guest_ppgtt.h"
#include "mock_hv.h"

#define MiB (1ull << 20)
#define GUEST_RAM (64u << 20)
#define MAX_VGPUS 8

int demo_verbosity = GVT_LOG_WARNING;

void demo_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "libgvt[%d]: %s\n", level, msg);
}

static void print_types(struct gvt_ctx *ctx)
{
	printf("  %-10s %9s %9s %7s %7s %11s %10s\n", "type", "aperture",
	       "hidden", "fences", "weight", "resolution", "available");
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctx); i++) {
		struct gvt_type_info t;

		if (gvt_ctx_get_type(ctx, i, &t))
			continue;
		printf("  %-10s %5llu MiB %5llu MiB %7u %7u %5ux%-5u %10u\n",
		       t.name, (unsigned long long)(t.low_gm_size / MiB),
		       (unsigned long long)(t.high_gm_size / MiB), t.fences,
		       t.weight, t.resolution_x, t.resolution_y,
		       t.avail_instances);
	}
}

/* What a guest driver would see first: PCI identity and the PVINFO page. */
static int describe_guest_view(struct gvt_vgpu *vgpu, char *out, size_t len)
{
	uint32_t ids = 0, ap_base = 0, ap_size = 0, fences = 0;
	uint64_t magic = 0;

	if (gvt_vgpu_cfg_read(vgpu, 0, &ids, 4) ||
	    gvt_vgpu_mmio_read(vgpu, 0x78000, &magic, 8) ||
	    gvt_vgpu_mmio_read(vgpu, 0x78040, &ap_base, 4) ||
	    gvt_vgpu_mmio_read(vgpu, 0x78044, &ap_size, 4) ||
	    gvt_vgpu_mmio_read(vgpu, 0x78050, &fences, 4))
		return -EIO;
	snprintf(out, len, "guest sees %04x:%04x, PVINFO %s, balloon [%u, %u) MiB, %u fences",
		 ids & 0xffff, ids >> 16,
		 magic == 0x4776544776544776ull ? "vGTvGTvG" : "MISSING",
		 ap_base >> 20, (ap_base + ap_size) >> 20, fences);
	return magic == 0x4776544776544776ull ? 0 : -EIO;
}

static int create_one(struct gvt_ctx *ctx, const char *type,
		      struct mock_hv **hv, struct gvt_vgpu **vgpu)
{
	struct gvt_vgpu_info info;
	char view[160];
	int ret;

	ret = mock_hv_create(GUEST_RAM, hv);
	if (ret)
		return ret;
	ret = gvt_vgpu_create(ctx, type, &mock_hv_ops, *hv, vgpu);
	if (ret) {
		mock_hv_destroy(*hv);
		*hv = NULL;
		return ret;
	}
	if (gvt_vgpu_get_info(*vgpu, &info) ||
	    describe_guest_view(*vgpu, view, sizeof(view)))
		return -EIO;
	printf("    vgpu%u %s: aperture [%llu, %llu) MiB, hidden [%llu, %llu) MiB, fences %u-%u; %s\n",
	       info.id, info.type_name,
	       (unsigned long long)(info.aperture_base / MiB),
	       (unsigned long long)((info.aperture_base + info.aperture_size) / MiB),
	       (unsigned long long)(info.hidden_base / MiB),
	       (unsigned long long)((info.hidden_base + info.hidden_size) / MiB),
	       info.fence_index[0], info.fence_index[info.fence_count - 1], view);
	return 0;
}

/* Create vGPUs of @type until the GPU refuses; returns how many fit. */
static int fill_with(struct gvt_ctx *ctx, const char *type)
{
	struct gvt_vgpu *vgpus[MAX_VGPUS] = { 0 };
	struct mock_hv *hvs[MAX_VGPUS] = { 0 };
	char why[256];
	int n = 0, ret = 0;

	printf("  %s:\n", type);
	while (n < MAX_VGPUS && gvt_ctx_admit(ctx, type, why, sizeof(why)) == 0) {
		ret = create_one(ctx, type, &hvs[n], &vgpus[n]);
		if (ret)
			break;
		n++;
	}
	if (!ret)
		printf("    refused after %d: %s\n", n, why);
	for (int i = 0; i < n; i++) {
		gvt_vgpu_destroy(vgpus[i]);
		mock_hv_destroy(hvs[i]);
	}
	return ret ? ret : n;
}

/* The short first section of the default run: what a 1024 MiB GPU offers. */
static int print_types_1024(void)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = demo_log,
		.log_level = demo_verbosity,
	};
	struct gvt_ctx *ctx;
	int ret = gvt_ctx_create(&params, &ctx);

	if (ret) {
		fprintf(stderr, "gvt-demo: cannot create the GPU: %s\n", strerror(-ret));
		return ret;
	}
	printf("\nvGPU types of a Skylake GT2 with a 1024 MiB aperture (--admission: what fits):\n");
	print_types(ctx);
	gvt_ctx_destroy(ctx);
	return 0;
}

static int demo_aperture(uint32_t aperture_mib)
{
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = aperture_mib,
		.log_fn = demo_log,
		.log_level = demo_verbosity,
	};
	struct gvt_ctx *ctx;
	int ret = gvt_ctx_create(&params, &ctx);

	if (ret) {
		fprintf(stderr, "gvt-demo: cannot create the GPU: %s\n", strerror(-ret));
		return ret;
	}
	printf("\nSkylake GT2 on pgpu/sim, %u MiB aperture\n", aperture_mib);
	print_types(ctx);
	printf("  creating vGPUs of each type until admission refuses:\n");
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctx) && ret >= 0; i++) {
		struct gvt_type_info t;

		ret = gvt_ctx_get_type(ctx, i, &t);
		if (!ret)
			ret = fill_with(ctx, t.name);
	}
	gvt_ctx_destroy(ctx);
	return ret < 0 ? ret : 0;
}

/*
 * --serve: keep a GPU alive and serve the control socket, so gvtctl can
 * list, create, inspect, trace and destroy vGPUs. Each vGPU created on
 * request gets its own mock guest, which does what a driver does first:
 * reads PVINFO, enables MSI and interrupts, maps pages in the GGTT,
 * programs a fence, and builds and announces a PPGTT mapping those pages.
 */
struct served {
	struct gvt_vgpu *vgpu;
	struct mock_hv *hv;
};

static struct served served[MAX_VGPUS];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int w32(struct gvt_vgpu *vgpu, uint64_t off, uint32_t v)
{
	return gvt_vgpu_mmio_write(vgpu, off, &v, 4);
}

/* A 4-level PPGTT of 16 pages at GPU address 1 MiB, its tables in the top
 * half of guest RAM, announced through PVINFO as i915 does. */
static int guest_announce_ppgtt(struct gvt_vgpu *vgpu, struct mock_hv *hv)
{
	struct guest_ppgtt g;
	int ret = guest_ppgtt_init(&g, hv, GUEST_RAM / 2, GUEST_RAM / 4);

	for (uint32_t i = 0; i < 16 && !ret; i++)
		ret = guest_ppgtt_map(&g, (1u << 20) + i * 4096ull,
				      (uint64_t)(0x100 + i) << 12, 4096,
				      GPT_PRESENT | GPT_RW);
	ret = ret ? ret : w32(vgpu, 0x78838, (uint32_t)g.pml4);
	ret = ret ? ret : w32(vgpu, 0x7883c, (uint32_t)(g.pml4 >> 32));
	return ret ? ret : w32(vgpu, 0x78818, 4);	/* L4 PPGTT created */
}

static int guest_first_steps(struct gvt_vgpu *vgpu, struct mock_hv *hv)
{
	struct gvt_vgpu_info info;
	uint64_t magic, pte;
	uint32_t v = 0;
	int ret;

	ret = gvt_vgpu_get_info(vgpu, &info);
	ret = ret ? ret : gvt_vgpu_mmio_read(vgpu, 0x78000, &magic, 8);
	v = 0xfee00000;
	ret = ret ? ret : gvt_vgpu_cfg_write(vgpu, 0xb0, &v, 4);
	v = 0x4041;
	ret = ret ? ret : gvt_vgpu_cfg_write(vgpu, 0xb4, &v, 2);
	v = 1;
	ret = ret ? ret : gvt_vgpu_cfg_write(vgpu, 0xae, &v, 2);
	v = 0x0006;
	ret = ret ? ret : gvt_vgpu_cfg_write(vgpu, 0x04, &v, 2);
	ret = ret ? ret : w32(vgpu, 0x44304, ~0x101u);	/* GT0 IMR */
	ret = ret ? ret : w32(vgpu, 0x4430c, 0x101);	/* GT0 IER */
	ret = ret ? ret : w32(vgpu, 0x44200, 0x80000000);	/* master on */
	for (uint32_t i = 0; i < 16 && !ret; i++) {
		pte = (uint64_t)(0x100 + i) << 12 | 1;
		ret = gvt_vgpu_mmio_write(vgpu, (8u << 20) + (info.aperture_base >> 12) * 8 + i * 8,
					  &pte, 8);
	}
	ret = ret ? ret : w32(vgpu, 0x100004, (uint32_t)info.aperture_base + 0xf000);
	ret = ret ? ret : w32(vgpu, 0x100000, (uint32_t)info.aperture_base | 1);
	return ret ? ret : guest_announce_ppgtt(vgpu, hv);
}

static int serve_create(void *opaque, const char *type, struct gvt_vgpu **out)
{
	struct gvt_ctx *ctx = opaque;
	struct served *s = NULL;
	int ret;

	for (unsigned int i = 0; i < MAX_VGPUS && !s; i++)
		if (!served[i].vgpu)
			s = &served[i];
	if (!s)
		return -ENOSPC;
	ret = mock_hv_create(GUEST_RAM, &s->hv);
	ret = ret ? ret : gvt_vgpu_create(ctx, type, &mock_hv_ops, s->hv, &s->vgpu);
	ret = ret ? ret : guest_first_steps(s->vgpu, s->hv);
	if (ret) {
		gvt_vgpu_destroy(s->vgpu);
		mock_hv_destroy(s->hv);
		memset(s, 0, sizeof(*s));
		return ret;
	}
	*out = s->vgpu;
	return 0;
}

static int serve_destroy(void *opaque, struct gvt_vgpu *vgpu)
{
	for (unsigned int i = 0; i < MAX_VGPUS; i++) {
		if (served[i].vgpu != vgpu)
			continue;
		gvt_vgpu_destroy(vgpu);
		mock_hv_destroy(served[i].hv);
		memset(&served[i], 0, sizeof(served[i]));
		return 0;
	}
	return -ENOENT;
}

static int serve(const char *path)
{
	static const struct gvt_ctl_ops ops = {
		.vgpu_create = serve_create,
		.vgpu_destroy = serve_destroy,
	};
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = demo_log,
		.log_level = demo_verbosity,
	};
	struct gvt_ctl_params cp = { .ops = &ops };
	struct sigaction sa = { .sa_handler = on_signal };
	struct gvt_ctx *ctx;
	struct gvt_ctl *ctl;
	char def[256];
	int ret;

	ret = gvt_ctx_create(&params, &ctx);
	if (ret)
		return ret;
	cp.opaque = ctx;
	ret = gvt_ctl_serve(ctx, path, &cp, &ctl);
	if (ret) {
		gvt_ctx_destroy(ctx);
		return ret;
	}
	if (!path && !gvt_ctl_default_path(def, sizeof(def)))
		path = def;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("gvt-demo: serving %s (Skylake GT2 on pgpu/sim, 1024 MiB aperture); Ctrl-C stops\n",
	       path);
	fflush(stdout);
	while (!stop) {
		struct pollfd p = { .fd = gvt_ctl_fd(ctl), .events = POLLIN };

		if (poll(&p, 1, 500) > 0 && gvt_ctl_dispatch(ctl) < 0)
			break;
	}
	gvt_ctl_close(ctl);
	for (unsigned int i = 0; i < MAX_VGPUS; i++)
		if (served[i].vgpu)
			serve_destroy(ctx, served[i].vgpu);
	gvt_ctx_destroy(ctx);
	printf("gvt-demo: stopped\n");
	return 0;
}

static void print_host_gpus(void)
{
	struct gvt_host_gpu gpus[4];
	size_t n = 0;
	int ret = gvt_host_gpu_scan(gpus, 4, &n);

	if (ret == -EOPNOTSUPP) {
		printf("host: not scanned (built without libpci)\n");
		return;
	}
	if (ret) {
		printf("host: PCI scan failed: %s\n", strerror(-ret));
		return;
	}
	if (!n)
		printf("host: no Intel GPU on the PCI bus; pgpu/sim stands in for one\n");
	for (size_t i = 0; i < n && i < 4; i++)
		printf("host: Intel GPU %04x:%02x:%02x.%u (8086:%04x)%s\n",
		       gpus[i].domain, gpus[i].bus, gpus[i].dev, gpus[i].func,
		       gpus[i].device_id,
		       gpus[i].platform ? ", a platform libgvt knows" : "");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gvt-demo [--seconds N] [--vgpus N|TYPE,TYPE...] [--control PATH] [-v]\n"
		   "       gvt-demo --admission [-a 256|512|1024] [-v]\n"
		   "       gvt-demo --serve [SOCKET] [-v]\n"
		   "  --seconds N     run the guests' workloads this long (default 3)\n"
		   "  --vgpus N       start N vGPUs of mixed types (default: one of each\n"
		   "                  type that fits); or name the types, comma-separated\n"
		   "  --control PATH  serve gvtctl on PATH during the run (gvtctl top)\n"
		   "  --admission     show how many vGPUs of each type fit, per aperture\n"
		   "  -a MiB          with --admission: only this aperture size\n"
		   "  --serve [PATH]  keep a GPU running and serve gvtctl on PATH\n"
		   "                  (default $XDG_RUNTIME_DIR/gvt/gvt.sock or /run/gvt/gvt.sock)\n"
		   "  -v              show libgvt's info messages (twice: debug)\n");
}

/* --vgpus: a count, or a list of type names. */
static int parse_vgpus(char *arg, struct demo_run_opts *o)
{
	char *end, *save = NULL;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg && !*end) {
		if (!n || n > DEMO_MAX_VGPUS)
			return -EINVAL;
		o->count = (unsigned int)n;
		return 0;
	}
	for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->ntypes == DEMO_MAX_VGPUS)
			return -EINVAL;
		o->types[o->ntypes++] = t;
	}
	return o->ntypes ? 0 : -EINVAL;
}

static int admission(uint32_t only)
{
	static const uint32_t apertures[] = { 256, 512, 1024 };
	int ret = 0;

	for (unsigned int i = 0; i < 3 && !ret; i++)
		if (!only || only == apertures[i])
			ret = demo_aperture(apertures[i]);
	if (only && only != 256 && only != 512 && only != 1024)
		ret = demo_aperture(only); /* let libgvt explain the refusal */
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "serve", optional_argument, NULL, 's' },
		{ "admission", no_argument, NULL, 'A' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "vgpus", required_argument, NULL, 'n' },
		{ "control", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_run_opts run = { .seconds = 3 };
	const char *socket_path = NULL;
	bool serving = false, overview = false;
	uint32_t only = 0;
	char *end;
	int opt, ret = 0;

	while ((opt = getopt_long(argc, argv, "a:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			serving = true;
			socket_path = optarg;
			if (!socket_path && optind < argc && argv[optind][0] != '-')
				socket_path = argv[optind++];
			break;
		case 'A':
			overview = true;
			break;
		case 'a':
			overview = true;
			only = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'S':
			run.seconds = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !run.seconds || run.seconds > 86400) {
				fprintf(stderr, "gvt-demo: --seconds wants 1 .. 86400\n");
				return 2;
			}
			break;
		case 'n':
			if (parse_vgpus(optarg, &run)) {
				fprintf(stderr, "gvt-demo: --vgpus wants 1 .. %d or up to %d type names\n",
					DEMO_MAX_VGPUS, DEMO_MAX_VGPUS);
				return 2;
			}
			break;
		case 'c':
			run.control = optarg;
			break;
		case 'v':
			demo_verbosity = demo_verbosity == GVT_LOG_WARNING ?
					 GVT_LOG_INFO : GVT_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (serving) {
		ret = serve(socket_path);
		if (ret)
			fprintf(stderr, "gvt-demo: cannot serve: %s\n", strerror(-ret));
		return ret ? 1 : 0;
	}
	printf("libgvt %s: vGPUs sharing a software Skylake GT2\n", gvt_version());
	print_host_gpus();
	if (overview)
		return admission(only);
	ret = print_types_1024();
	return ret ? 1 : demo_run(&run);
}
