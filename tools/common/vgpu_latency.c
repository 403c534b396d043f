// SPDX-License-Identifier: MIT
#include <string.h>

#include "vgpu_latency.h"

/* The bucket a quantile falls in, as its upper bound in microseconds:
 * the histograms keep no finer detail. */
static uint64_t hist_quantile_us(const uint64_t *hist, uint64_t total,
				 double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return 1ull << (b + 1);
	}
	return 1ull << GVT_LATENCY_BUCKETS;
}

void vgpu_latency_of(struct gvt_vgpu *vgpu, struct vgpu_latency *out)
{
	uint64_t hist[GVT_LATENCY_BUCKETS] = { 0 }, sum_ns = 0;
	struct gvt_engine_stats es;

	memset(out, 0, sizeof(*out));
	for (unsigned int e = 0; e < GVT_ENGINES_MAX; e++) {
		if (gvt_vgpu_get_engine_stats(vgpu, e, &es))
			break;
		out->submitted += es.submitted;
		out->completed += es.completed;
		sum_ns += es.latency_sum_ns;
		for (unsigned int b = 0; b < GVT_LATENCY_BUCKETS; b++)
			hist[b] += es.latency_hist[b];
	}
	if (!out->completed)
		return;
	out->mean_us = (double)sum_ns / (double)out->completed / 1e3;
	out->p50_us = hist_quantile_us(hist, out->completed, 0.5);
	out->p99_us = hist_quantile_us(hist, out->completed, 0.99);
}
