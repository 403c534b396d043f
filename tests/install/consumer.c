// SPDX-License-Identifier: MIT
/* A device model as a stranger would write it: only the installed header. */
#include <stdio.h>

#include <gvt/gvt.h>

int main(void)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = 512,
	};
	struct gvt_ctx *ctx;
	struct gvt_type_info t;

	if (gvt_ctx_create(&p, &ctx) || gvt_ctx_get_type(ctx, 3, &t))
		return 1;
	printf("libgvt %s: %s x%u\n", gvt_version(), t.name, t.avail_instances);
	gvt_ctx_destroy(ctx);
	return t.avail_instances == 6 ? 0 : 1;
}
