// SPDX-License-Identifier: MIT
/*
 * Every MMIO handler the register tables name. A register gets a handler
 * only when an access has a side effect beyond storing the value.
 */
#ifndef GVT_HANDLERS_H
#define GVT_HANDLERS_H

#include "interrupt.h"
#include "regs.h"

/* handlers.c */
gvt_mmio_write_fn forcewake_mmio_write;
gvt_mmio_write_fn ring_tail_mmio_write;
gvt_mmio_write_fn hws_pga_mmio_write;
gvt_mmio_write_fn csb_ptr_mmio_write;
gvt_mmio_write_fn mi_mode_mmio_write;
gvt_mmio_write_fn reset_ctl_mmio_write;
gvt_mmio_write_fn elsp_mmio_write;
gvt_mmio_write_fn ring_mode_mmio_write;
gvt_mmio_write_fn tlb_inv_mmio_write;
gvt_mmio_write_fn gdrst_mmio_write;
gvt_mmio_read_fn fence_mmio_read;
gvt_mmio_write_fn fence_mmio_write;
gvt_mmio_write_fn pcode_mailbox_mmio_write;
gvt_mmio_write_fn pwr_well_ctl_mmio_write;
gvt_mmio_write_fn dbuf_ctl_mmio_write;
gvt_mmio_write_fn lcpll_mmio_write;
gvt_mmio_read_fn dpll_status_mmio_read;
gvt_mmio_write_fn w1c_mmio_write;
gvt_mmio_write_fn dp_aux_ch_ctl_mmio_write;
gvt_mmio_write_fn ggtt_flush_mmio_write;
gvt_mmio_read_fn timestamp_mmio_read;

/* pvinfo.c */
gvt_mmio_read_fn pvinfo_mmio_read;
gvt_mmio_write_fn pvinfo_mmio_write;

#endif /* GVT_HANDLERS_H */
