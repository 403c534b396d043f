// SPDX-License-Identifier: MIT
/* gvtctl types: the vGPU types of a GPU and how many of each fit. */
#include <stdlib.h>
#include <string.h>

#include <gvt/gvt.h>

#include "gvtctl.h"

#define MiB (1ull << 20)

int cmd_types(struct gvtctl *g, int argc, char **argv)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 1024,
		.log_fn = gvtctl_log_errors,
		.log_level = GVT_LOG_ERR,
	};
	static const char usage[] = "types [--platform skl] [--aperture 256|512|1024]";
	struct gvt_ctx *ctx;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--platform") && i + 1 < argc) {
			if (strcmp(argv[++i], "skl"))
				return gvtctl_error(g, "platform '%s' is not supported (skl is)",
						    argv[i]);
		} else if (!strcmp(argv[i], "--aperture") && i + 1 < argc) {
			p.aperture_mib = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else {
			return gvtctl_usage(g, usage);
		}
	}
	if (gvt_ctx_create(&p, &ctx))
		return gvtctl_error(g, "no GPU with a %u MiB aperture (256, 512 or 1024)",
				    p.aperture_mib);

	if (g->json)
		printf("{\"platform\":\"skl\",\"aperture_mib\":%u,\"types\":[", p.aperture_mib);
	else
		printf("%-10s %8s %9s %6s %6s %10s %9s\n", "TYPE", "LOW_GM", "HIGH_GM",
		       "FENCES", "WEIGHT", "RESOLUTION", "AVAILABLE");
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctx); i++) {
		struct gvt_type_info t;

		if (gvt_ctx_get_type(ctx, i, &t))
			continue;
		if (g->json)
			printf("%s{\"name\":\"%s\",\"low_gm_mib\":%llu,\"high_gm_mib\":%llu,"
			       "\"fences\":%u,\"weight\":%u,\"resolution_x\":%u,"
			       "\"resolution_y\":%u,\"available\":%u}",
			       i ? "," : "", t.name,
			       (unsigned long long)(t.low_gm_size / MiB),
			       (unsigned long long)(t.high_gm_size / MiB), t.fences,
			       t.weight, t.resolution_x, t.resolution_y,
			       t.avail_instances);
		else
			printf("%-10s %4llu MiB %5llu MiB %6u %6u %4ux%-5u %9u\n",
			       t.name, (unsigned long long)(t.low_gm_size / MiB),
			       (unsigned long long)(t.high_gm_size / MiB), t.fences,
			       t.weight, t.resolution_x, t.resolution_y,
			       t.avail_instances);
	}
	if (g->json)
		printf("]}\n");
	gvt_ctx_destroy(ctx);
	return EXIT_OK;
}
