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
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_STATUS		0x06
#define PCI_STATUS_INTERRUPT	BIT(3)
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

/* INTx is the guest's only while MSI is off and INTx is not disabled. */
static inline bool gvt_cfg_intx_enabled(const struct gvt_vgpu *vgpu)
{
	uint16_t command = (uint16_t)(vgpu->cfg.data[PCI_COMMAND] |
				      vgpu->cfg.data[PCI_COMMAND + 1] << 8);

	return !gvt_cfg_msi_enabled(vgpu) && !(command & PCI_COMMAND_INTX_DISABLE);
}

/* PCI_STATUS's Interrupt Status bit: read-only, set while INTx would be
 * pending whether or not INTx Disable lets it out. */
static inline void gvt_cfg_set_intx_status(struct gvt_vgpu *vgpu, bool pending)
{
	if (pending)
		vgpu->cfg.data[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		vgpu->cfg.data[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
}

#endif /* GVT_CFG_SPACE_H */
