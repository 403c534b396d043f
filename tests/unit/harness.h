// SPDX-License-Identifier: MIT
/*
 * What every suite needs: a GPU, a vGPU on a mock hypervisor, a captured
 * log, and terse accessors for the guest's view of the device.
 */
#ifndef GVT_TEST_HARNESS_H
#define GVT_TEST_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt.h>

#include "mock_hv.h"

#define TEST_RAM_SIZE (64u << 20)

/* The objects a fixture sets up; NULL where a suite does not need them. */
extern struct gvt_ctx *t_ctx;
extern struct gvt_vgpu *t_vgpu;
extern struct mock_hv *t_hv;

/* Log lines the library emitted since the last t_log_clear(). */
void t_log_clear(void);
bool t_log_has(const char *needle);
unsigned int t_log_count(void);
const char *t_log_line(unsigned int i);
void t_log_sink(void *opaque, int level, const char *msg);

/* A GPU with a capturing log sink. */
struct gvt_ctx *t_ctx_new(uint32_t aperture_mib);
/* A vGPU on a fresh mock hypervisor; *hv receives it. */
struct gvt_vgpu *t_vgpu_new(struct gvt_ctx *ctx, const char *type,
			    struct mock_hv **hv);

/* Fixture: a 1 GiB-aperture GPU with one GVTg_V5_4 vGPU. */
void t_setup_vgpu(void);
void t_teardown(void);
/* Fixture: a GPU alone, with a 1 GiB aperture. */
void t_setup_ctx(void);

uint32_t mmio_r32(struct gvt_vgpu *vgpu, uint64_t off);
void mmio_w32(struct gvt_vgpu *vgpu, uint64_t off, uint32_t val);
uint64_t mmio_r64(struct gvt_vgpu *vgpu, uint64_t off);
void mmio_w64(struct gvt_vgpu *vgpu, uint64_t off, uint64_t val);
uint32_t cfg_r32(struct gvt_vgpu *vgpu, uint32_t off);
uint16_t cfg_r16(struct gvt_vgpu *vgpu, uint32_t off);
uint8_t cfg_r8(struct gvt_vgpu *vgpu, uint32_t off);
void cfg_w32(struct gvt_vgpu *vgpu, uint32_t off, uint32_t val);
void cfg_w16(struct gvt_vgpu *vgpu, uint32_t off, uint16_t val);
void cfg_w8(struct gvt_vgpu *vgpu, uint32_t off, uint8_t val);

/* GGTT entry @index through BAR0's upper half. */
uint64_t ggtt_r64(struct gvt_vgpu *vgpu, uint32_t index);
void ggtt_w64(struct gvt_vgpu *vgpu, uint32_t index, uint64_t pte);

struct gvt_vgpu_info t_info(struct gvt_vgpu *vgpu);
struct gvt_vgpu_stats t_stats(struct gvt_vgpu *vgpu);

/* Turn on MSI delivery the way a driver does: address, data, enable, and
 * bus mastering. */
void t_enable_msi(struct gvt_vgpu *vgpu, uint32_t addr, uint16_t data);

/* Suites. */
Suite *aperture_gm_suite(void);
Suite *cfg_space_suite(void);
Suite *cmd_parser_suite(void);
Suite *ctl_suite(void);
Suite *execlist_suite(void);
Suite *gtt_suite(void);
Suite *host_pci_suite(void);
Suite *interrupt_suite(void);
Suite *log_suite(void);
Suite *mmio_suite(void);
Suite *page_track_suite(void);
Suite *ppgtt_suite(void);
Suite *pvinfo_suite(void);
Suite *regs_suite(void);
Suite *sim_engine_suite(void);
Suite *sched_policy_suite(void);
Suite *trace_suite(void);
Suite *vgpu_suite(void);
Suite *vfio_user_suite(void);
/* A control-socket client: connect to @path (asserts success). */
int t_ctl_connect(const char *path);
/* Call @pump(@opaque) (the server's side: dispatch once, briefly) until a
 * whole reply line arrived on @fd, and return it (a static buffer; what
 * arrived so far if the server never finished the line). */
char *t_ctl_reply(int fd, void (*pump)(void *opaque), void *opaque);

Suite *xen_suite(void);
Suite *xen_dm_suite(void);

#endif /* GVT_TEST_HARNESS_H */
