// SPDX-License-Identifier: MIT
/*
 * What a device model reports of a vGPU's workloads: how many, and the
 * latency its guest saw from the ELSP write to the completion event, from
 * libgvt's per-engine log2 histograms. gvtd and gvt-xen-dm log the same
 * figures, so they come from here.
 */
#ifndef GVT_TOOLS_VGPU_LATENCY_H
#define GVT_TOOLS_VGPU_LATENCY_H

#include <stdint.h>

#include <gvt/gvt.h>

/*
 * struct vgpu_latency - over every engine.
 * @submitted: workloads the guest submitted.
 * @completed: of which completed.
 * @mean_us: mean latency of the completed ones.
 * @p50_us: the upper bound of the histogram bucket the median falls in.
 * @p99_us: the same for the 99th percentile.
 */
struct vgpu_latency {
	uint64_t submitted, completed;
	double mean_us;
	uint64_t p50_us, p99_us;
};

void vgpu_latency_of(struct gvt_vgpu *vgpu, struct vgpu_latency *out);

#endif /* GVT_TOOLS_VGPU_LATENCY_H */
