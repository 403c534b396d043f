// SPDX-License-Identifier: MIT
/* Sizes several subsystems agree on. */
#ifndef GVT_GVT_LIMITS_H
#define GVT_GVT_LIMITS_H

/* vGPU ids are 1..GVT_MAX_VGPUS; 0 stays free, as GVT-g keeps it for its
 * idle vGPU. */
#define GVT_MAX_VGPUS 7

#endif /* GVT_GVT_LIMITS_H */
