// SPDX-License-Identifier: MIT
/*
 * What other subsystems read of the virtual config space: whether and
 * where the vGPU may send an MSI. Inline, as every interrupt update asks.
 */
#ifndef GVT_CFG_SPACE_H
#define GVT_CFG_SPACE_H

#include <stdbool.h>

#include "private.h"
#include "reg.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MASTER	BIT(2)
#define CAP_MSI			0xac	/* as on a real Skylake GT2 */
#define MSI_FLAGS		(CAP_MSI + 2)
#define MSI_FLAGS_ENABLE	BIT(0)

static inline bool gvt_cfg_msi_enabled(const struct gvt_vgpu *vgpu)
{
	return vgpu->cfg.data[MSI_FLAGS] & MSI_FLAGS_ENABLE;
}

/* A function sends no message while bus mastering is off. */
static inline bool gvt_cfg_msi_deliverable(const struct gvt_vgpu *vgpu)
{
	return gvt_cfg_msi_enabled(vgpu) &&
	       (vgpu->cfg.data[PCI_COMMAND] & PCI_COMMAND_MASTER);
}

#endif /* GVT_CFG_SPACE_H */
