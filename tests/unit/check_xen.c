// SPDX-License-Identifier: MIT
/*
 * The Xen shim's ioreq loop and staged setup, without a hypervisor: the
 * shim runs over tests/mock/mock_xen_port.c, whose ioreq page is plain
 * memory and whose event channels are a queue. Each test posts requests
 * as Xen would (fields, then READY, then an event) and checks the answer
 * (IORESP_READY, data, one notification) and its effect on the vGPU.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "mock_xen_port.h"

#define RAM (16u << 20)
#define MiB (1ull << 20)
#define BAR0 0xf0000000ull	/* registers + GGTT, 16 MiB */
#define BAR2 0x80000000ull	/* aperture */
#define BAR4 0xc000u		/* MMIO_INDEX, MMIO_DATA */
#define GGTT (8ull << 20)	/* GGTT entries in BAR0 */
#define SBDF ((uint64_t)((0u << 16) | (0u << 8) | (2u << 3) | 0u))

static struct mock_xen_port *m;
static struct gvt_xen *x;

static void make_server(bool track)
{
	struct gvt_xen_params p = { .domid = 7, .dev = 2, .nr_vcpus = 0,
				    .page_track = track, .log_fn = t_log_sink };

	ck_assert_int_eq(mock_xen_port_create(2, RAM, &m), 0);
	ck_assert_int_eq(gvt_xen_create_port(&p, &mock_xen_port_ops, m, &x), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_4", gvt_xen_hv_ops(x), x,
					 &t_vgpu), 0);
	ck_assert_int_eq(gvt_xen_attach(x, t_vgpu), 0);
}

static void setup(void)
{
	t_setup_ctx();
	make_server(true);
}

static void teardown(void)
{
	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	gvt_xen_destroy(x);
	x = NULL;
	mock_xen_port_destroy(m);
	m = NULL;
	t_teardown();
}

/* Post @r on vCPU @v, dispatch, check the answer; return its data. */
static uint64_t run_on(unsigned int v, ioreq_t r)
{
	unsigned int before = m->notified[v];

	mock_xen_port_post(m, v, &r);
	ck_assert_int_eq(gvt_xen_dispatch(x), 1);
	ck_assert_uint_eq(m->page[v].state, STATE_IORESP_READY);
	ck_assert_uint_eq(m->notified[v], before + 1);
	return m->page[v].data;
}

static uint64_t run(ioreq_t r)
{
	return run_on(0, r);
}

static uint64_t cfg_rd(uint32_t off, uint32_t size)
{
	return run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ, SBDF << 32 | off, size, 0));
}

static void cfg_wr(uint32_t off, uint32_t size, uint64_t val)
{
	run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE, SBDF << 32 | off, size, val));
}

static uint64_t mem_rd(uint64_t addr, uint32_t size)
{
	return run(mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_READ, addr, size, 0));
}

static void mem_wr(uint64_t addr, uint32_t size, uint64_t val)
{
	run(mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, addr, size, val));
}

/* The guest's BIOS: place the BARs and turn decoding on. */
static void place_bars(void)
{
	cfg_wr(0x10, 4, (uint32_t)BAR0);
	cfg_wr(0x14, 4, BAR0 >> 32);
	cfg_wr(0x18, 4, (uint32_t)BAR2);
	cfg_wr(0x1c, 4, BAR2 >> 32);
	cfg_wr(0x20, 4, BAR4);
	cfg_wr(0x04, 2, 0x7);
}

static struct gvt_xen_stats xstats(void)
{
	struct gvt_xen_stats s;

	gvt_xen_get_stats(x, &s);
	return s;
}

static bool has_range(bool mmio, uint64_t start, uint64_t end)
{
	for (unsigned int i = 0; i < m->nr_ranges; i++)
		if (m->range[i].mmio == mmio && m->range[i].start == start &&
		    m->range[i].end == end)
			return true;
	return false;
}

START_TEST(test_xen_setup_fails_at_each_step_and_undoes_exactly)
{
	static const struct { int step; unsigned int after; const char *what; } f[] = {
		{ MXS_OPEN, 0, "cannot open" },
		{ MXS_NR_VCPUS, 0, "cannot open" },
		{ MXS_CREATE, 0, "cannot create an ioreq server" },
		{ MXS_PAGES, 0, "cannot map the ioreq pages" },
		{ MXS_BIND, 0, "cannot bind" },
		{ MXS_BIND, 1, "cannot bind" },	/* one of two bound */
		{ MXS_PCIDEV, 0, "cannot claim the PCI function" },
		{ MXS_MEM_TYPE, 0, "cannot claim the HVMMEM_ioreq_server" },
	};
	struct gvt_xen_params p = { .domid = 7, .dev = 2, .page_track = true,
				    .log_fn = t_log_sink };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct gvt_xen *s = NULL;

		ck_assert_int_eq(mock_xen_port_create(2, RAM, &m), 0);
		m->fail_step = f[i].step;
		m->fail_after = f[i].after;
		m->fail_err = -EPERM;
		t_log_clear();
		ck_assert_int_eq(gvt_xen_create_port(&p, &mock_xen_port_ops, m, &s), -EPERM);
		ck_assert_ptr_null(s);
		ck_assert_msg(mock_xen_port_clean(m), "step %zu left something set up", i);
		ck_assert_msg(t_log_has(f[i].what), "step %zu: no \"%s\" in the log", i, f[i].what);
		ck_assert_uint_eq(t_log_count(), 1);
		mock_xen_port_destroy(m);
		m = NULL;
	}
}
END_TEST

START_TEST(test_xen_enable_failure_then_destroy_is_exact)
{
	struct gvt_xen_params p = { .domid = 7, .dev = 2, .nr_vcpus = 2,
				    .log_fn = t_log_sink };

	ck_assert_int_eq(mock_xen_port_create(2, RAM, &m), 0);
	m->fail_step = MXS_ENABLE;
	m->fail_err = -EIO;
	ck_assert_int_eq(gvt_xen_create_port(&p, &mock_xen_port_ops, m, &x), 0);
	ck_assert(m->open && m->server && m->pages && m->pcidev && m->bound == 2);
	ck_assert(!m->mem_type);	/* no page tracking asked for */
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_4", gvt_xen_hv_ops(x), x, &t_vgpu), 0);
	ck_assert_ptr_null(gvt_xen_hv_ops(x)->page_track_enable);
	ck_assert_int_eq(gvt_xen_attach(x, t_vgpu), -EIO);
	ck_assert_int_eq(gvt_xen_attach(x, t_vgpu), -EBUSY);
	ck_assert(!m->enabled);
	/* Teardown twice: the second finds nothing to undo. */
	gvt_xen_teardown(x);
	ck_assert(mock_xen_port_clean(m));
	t_log_clear();
	gvt_xen_teardown(x);
	ck_assert_uint_eq(t_log_count(), 0);
	ck_assert(mock_xen_port_clean(m));
}
END_TEST

START_TEST(test_xen_full_setup_and_teardown)
{
	ck_assert(m->open && m->server && m->pages && m->pcidev && m->mem_type &&
		  m->enabled && m->bound == 2);
	place_bars();
	ck_assert_uint_eq(m->nr_ranges, 3);
	gvt_xen_teardown(x);
	ck_assert(mock_xen_port_clean(m));
	ck_assert_int_eq(gvt_xen_dispatch(x), -EINVAL);
}
END_TEST

START_TEST(test_xen_request_state_machine)
{
	ioreq_t r = mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ, SBDF << 32, 2, 0);

	ck_assert_uint_eq(run(r), 0x8086);
	ck_assert_uint_eq(m->unmasked, 1);
	/* Nothing pending: nothing answered. */
	ck_assert_int_eq(gvt_xen_dispatch(x), 0);
	/* An event with no READY request behind it is not answered. */
	mock_xen_port_kick(m, 1);
	ck_assert_int_eq(gvt_xen_dispatch(x), 0);
	ck_assert_uint_eq(m->notified[1], 0);
	ck_assert_uint_eq(xstats().spurious, 1);
	/* Two vCPUs at once: each answered in its own slot. */
	r.size = 4;
	mock_xen_port_post(m, 0, &r);
	r.addr = SBDF << 32 | 0x2;
	r.size = 2;
	mock_xen_port_post(m, 1, &r);
	ck_assert_int_eq(gvt_xen_dispatch(x), 2);
	ck_assert_uint_eq(m->page[0].state, STATE_IORESP_READY);
	ck_assert_uint_eq(m->page[1].state, STATE_IORESP_READY);
	ck_assert_uint_eq(m->page[0].data & 0xffff, 0x8086);
	ck_assert_uint_eq(m->page[1].data, cfg_r16(t_vgpu, 2));
	ck_assert_uint_eq(m->notified[0], 2);
	ck_assert_uint_eq(m->notified[1], 1);
	ck_assert_uint_eq(xstats().requests, 3);
}
END_TEST

START_TEST(test_xen_pci_config_every_size)
{
	uint32_t dw = cfg_r32(t_vgpu, 0);

	ck_assert_uint_eq(cfg_rd(0, 4), dw);
	ck_assert_uint_eq(cfg_rd(2, 2), dw >> 16);
	ck_assert_uint_eq(cfg_rd(3, 1), dw >> 24);
	cfg_wr(0x3c, 1, 0x0b);		/* interrupt line: writable */
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x3c), 0x0b);
	ck_assert_uint_eq(cfg_rd(0x3c, 1), 0x0b);
	/* Another function, past the end, a bad size: all ones, no effect. */
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ,
				 (SBDF + 1) << 32, 4, 0)), 0xffffffffu);
	run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE, (SBDF | 1u << 8) << 32 | 0x3c, 1, 0x55));
	ck_assert_uint_eq(cfg_r8(t_vgpu, 0x3c), 0x0b);
	ck_assert_uint_eq(cfg_rd(0xfe, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_rd(0x100, 1), 0xff);
	ck_assert_uint_eq(cfg_rd(0, 8), ~0ull);
	ck_assert_uint_eq(xstats().pci_config, 10);
}
END_TEST

START_TEST(test_xen_bars_follow_config_space)
{
	struct gvt_vgpu_info info = t_info(t_vgpu);

	ck_assert_uint_eq(m->nr_ranges, 0);	/* nothing decodes yet */
	place_bars();
	ck_assert_uint_eq(m->nr_ranges, 3);
	ck_assert(has_range(true, BAR0, BAR0 + info.bar[0].size - 1));
	ck_assert(has_range(true, BAR2, BAR2 + info.bar[2].size - 1));
	ck_assert(has_range(false, BAR4, BAR4 + info.bar[4].size - 1));
	/* BAR0 moves: the old range goes, the new one comes. */
	cfg_wr(0x10, 4, 0xe0000000u);
	ck_assert(!has_range(true, BAR0, BAR0 + info.bar[0].size - 1));
	ck_assert(has_range(true, 0xe0000000ull | BAR0 >> 32 << 32,
			    (0xe0000000ull | BAR0 >> 32 << 32) + info.bar[0].size - 1));
	/* Memory decoding off: only the I/O BAR stays routed. */
	cfg_wr(0x04, 2, 0x1);
	ck_assert_uint_eq(m->nr_ranges, 1);
	ck_assert(has_range(false, BAR4, BAR4 + info.bar[4].size - 1));
	ck_assert_uint_eq(mem_rd(0xe0000000u, 4), 0xffffffffu);
}
END_TEST

START_TEST(test_xen_mmio_every_size)
{
	struct gvt_vgpu_info info;
	uint64_t idx, pte = 0x123000 | 1, v;

	place_bars();
	info = t_info(t_vgpu);
	idx = info.aperture_base >> 12;
	/* 8 bytes: one GGTT entry. */
	mem_wr(BAR0 + GGTT + idx * 8, 8, pte);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, (uint32_t)idx), pte);
	ck_assert_uint_eq(mem_rd(BAR0 + GGTT + idx * 8, 8), pte);
	/* 4, 2, 1: parts of it, and registers. */
	ck_assert_uint_eq(mem_rd(BAR0 + GGTT + idx * 8, 4), (uint32_t)pte);
	ck_assert_uint_eq(mem_rd(BAR0 + GGTT + idx * 8 + 1, 2), (pte >> 8) & 0xffff);
	ck_assert_uint_eq(mem_rd(BAR0 + GGTT + idx * 8 + 1, 1), (pte >> 8) & 0xff);
	mem_wr(BAR0 + GGTT + idx * 8 + 4, 4, 0);
	mem_wr(BAR0 + GGTT + idx * 8 + 2, 2, 0x0045);
	mem_wr(BAR0 + GGTT + idx * 8 + 1, 1, 0x60);
	v = ggtt_r64(t_vgpu, (uint32_t)idx);
	ck_assert_uint_eq(v, 0x456001);
	ck_assert_uint_eq(mem_rd(BAR0 + 0x44300, 4), mmio_r32(t_vgpu, 0x44300));
	ck_assert_uint_eq(mem_rd(BAR0, 4), mmio_r32(t_vgpu, 0));
	ck_assert_uint_eq(xstats().outside, 0);
}
END_TEST

START_TEST(test_xen_aperture_reaches_guest_ram)
{
	struct gvt_vgpu_info info;
	uint64_t idx;

	place_bars();
	info = t_info(t_vgpu);
	idx = info.aperture_base >> 12;
	mem_wr(BAR0 + GGTT + idx * 8, 8, 0x10000 | 1);
	mem_wr(BAR2 + info.aperture_base + 8, 4, 0xcafef00d);
	ck_assert_uint_eq(*(uint32_t *)(m->ram + 0x10008), 0xcafef00d);
	mem_wr(BAR2 + info.aperture_base + 16, 8, 0x1122334455667788ull);
	ck_assert_uint_eq(mem_rd(BAR2 + info.aperture_base + 16, 8), 0x1122334455667788ull);
	ck_assert_uint_eq(mem_rd(BAR2 + info.aperture_base + 17, 1), 0x77);
	ck_assert_uint_eq(mem_rd(BAR2 + info.aperture_base + 18, 2), 0x5566);
}
END_TEST

START_TEST(test_xen_pio_index_data)
{
	place_bars();
	run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_WRITE, BAR4, 4, 0x44300));
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4, 4, 0)), 0x44300);
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4 + 4, 4, 0)),
			  mmio_r32(t_vgpu, 0x44300));
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4, 2, 0)), 0x4300);
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4 + 2, 1, 0)), 0x04);
	/* No 8-byte port I/O; a port outside BAR4 reads all ones. */
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4, 8, 0)), ~0ull);
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, 0x3f8, 1, 0)), 0xff);
	ck_assert_uint_eq(xstats().pio, 7);
}
END_TEST

/* rep movs between guest RAM and the GGTT, in both directions, up and
 * down (df). */
START_TEST(test_xen_string_copies_with_pointer)
{
	struct gvt_vgpu_info info;
	uint64_t *src = (uint64_t *)(m->ram + 0x20000);
	uint64_t *dst = (uint64_t *)(m->ram + 0x30000);
	uint64_t idx, at;
	ioreq_t r;

	place_bars();
	info = t_info(t_vgpu);
	idx = info.aperture_base >> 12;
	at = BAR0 + GGTT + idx * 8;
	for (int i = 0; i < 4; i++)
		src[i] = (0x100000ull + 0x1000 * i) | 1;
	/* Guest RAM -> device, upwards. */
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, at, 8, 0x20000);
	r.data_is_ptr = 1;
	r.count = 4;
	run(r);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(ggtt_r64(t_vgpu, (uint32_t)(idx + i)), src[i]);
	/* Device -> guest RAM, upwards. */
	r.dir = IOREQ_READ;
	r.data = 0x30000;
	run(r);
	ck_assert_mem_eq(dst, src, 32);
	/* Device -> guest RAM, downwards from the last element. */
	memset(dst, 0, 32);
	r.df = 1;
	r.addr = at + 24;
	r.data = 0x30000 + 24;
	run(r);
	ck_assert_mem_eq(dst, src, 32);
	/* Guest RAM -> device, downwards, 4-byte elements. */
	for (int i = 0; i < 4; i++)
		src[i] = (0x200000ull + 0x1000 * i) | 1;
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, at + 28, 4, 0x20000 + 28);
	r.data_is_ptr = 1;
	r.df = 1;
	r.count = 8;
	run(r);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(ggtt_r64(t_vgpu, (uint32_t)(idx + i)), src[i]);
	/* rep ins/outs through BAR4, 2-byte elements. */
	/* The port stays, the memory side steps. */
	r = mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_WRITE, BAR4, 2, 0x20000);
	src[0] = 0x1234567;
	r.data_is_ptr = 1;
	r.count = 2;
	run(r);
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PIO, IOREQ_READ, BAR4, 2, 0)), 0x0123);
	r.dir = IOREQ_READ;
	r.data = 0x30000;
	dst[0] = ~0ull;
	run(r);
	ck_assert_uint_eq(dst[0], 0xffffffff01230123ull);
	ck_assert_uint_eq(xstats().reps, 4 + 4 + 4 + 8 + 2 + 2);
}
END_TEST

/* rep stos and repeated reads without a pointer: one value, many places. */
START_TEST(test_xen_string_without_pointer)
{
	struct gvt_vgpu_info info;
	uint64_t idx, at;
	ioreq_t r;

	place_bars();
	info = t_info(t_vgpu);
	idx = info.aperture_base >> 12;
	at = BAR0 + GGTT + idx * 8;
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, at, 8, 0x5000 | 1);
	r.count = 3;
	run(r);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(ggtt_r64(t_vgpu, (uint32_t)(idx + i)), 0x5000 | 1);
	ck_assert_uint_eq(ggtt_r64(t_vgpu, (uint32_t)(idx + 3)), ggtt_r64(t_vgpu, (uint32_t)idx + 4));
	r.dir = IOREQ_READ;
	r.data = 0;
	ck_assert_uint_eq(run(r), 0x5000 | 1);
}
END_TEST

START_TEST(test_xen_outside_reads_ones_drops_writes)
{
	static const uint64_t ones[] = { 0, 0xff, 0xffff, 0, 0xffffffffu, 0, 0, 0, ~0ull };

	place_bars();
	for (uint32_t size = 1; size <= 8; size *= 2)
		ck_assert_uint_eq(mem_rd(0x1000, size), ones[size]);
	m->ram[0x1000] = 0x42;
	mem_wr(0x1000, 1, 0x99);		/* not a tracked page */
	ck_assert_uint_eq(m->ram[0x1000], 0x42);
	/* Straddling the end of BAR0 is not BAR0's. */
	ck_assert_uint_eq(mem_rd(BAR0 + t_info(t_vgpu).bar[0].size - 4, 8), ~0ull);
	ck_assert_uint_eq(xstats().outside, 6);
}
END_TEST

START_TEST(test_xen_malformed_requests_answered_safely)
{
	ioreq_t r;

	place_bars();
	t_log_clear();
	/* Bad sizes, twice: one log line. */
	ck_assert_uint_eq(mem_rd(BAR0, 3), ~0ull);
	ck_assert_uint_eq(mem_rd(BAR0, 16), ~0ull);
	ck_assert_uint_eq(mem_rd(BAR0, 0), ~0ull);
	/* A count beyond a page. */
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_READ, BAR0, 4, 0x1000);
	r.data_is_ptr = 1;
	r.count = 0xffffffffu;
	run(r);
	/* Pointers outside guest RAM, both directions, and wrapping. */
	r.count = 16;
	r.data = 1ull << 50;
	run(r);
	r.dir = IOREQ_WRITE;
	run(r);
	r.data = 8;
	r.df = 1;
	run(r);
	/* Device addresses that wrap. */
	ck_assert_uint_eq(mem_rd(UINT64_MAX - 2, 8), ~0ull);
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, 4, 4, 0x1000);
	r.data_is_ptr = 1;
	r.df = 1;
	r.count = 4;
	run(r);
	/* A zero count with a pointer: nothing. */
	r.count = 0;
	run(r);
	ck_assert_uint_eq(xstats().malformed, 7);
	ck_assert_uint_eq(t_log_count(), 3);	/* size, count, guest memory */
	ck_assert(t_log_has("bad access size"));
	ck_assert(t_log_has("repeat count"));
	ck_assert(t_log_has("outside guest memory"));
}
END_TEST

START_TEST(test_xen_other_types_answered_without_effect)
{
	ioreq_t r = mock_xen_ioreq(IOREQ_TYPE_TIMEOFFSET, IOREQ_WRITE, 0, 8, 12345);

	ck_assert_uint_eq(run(r), 12345);
	r.type = IOREQ_TYPE_INVALIDATE;
	run(r);
	t_log_clear();
	r.type = 0x55;
	r.dir = IOREQ_READ;
	ck_assert_uint_eq(run(r), 12345);
	r.type = 0x56;
	run(r);
	ck_assert_uint_eq(t_log_count(), 1);
	ck_assert(t_log_has("unknown request type"));
	ck_assert_uint_eq(xstats().other, 4);
}
END_TEST

START_TEST(test_xen_tracked_page_writes_reach_libgvt)
{
	const struct gvt_hv_ops *ops = gvt_xen_hv_ops(x);
	struct gvt_vgpu_stats before = t_stats(t_vgpu);
	ioreq_t r;

	place_bars();
	ck_assert_int_eq(ops->page_track_enable(x, 0x40), 0);
	ck_assert_int_eq(ops->page_track_enable(x, 0x40), 0);
	ck_assert_uint_eq(m->tracked, 1);
	/* Xen sends the write unapplied: libgvt applies it. */
	mem_wr(0x40008, 8, 0xabcdef);
	ck_assert_uint_eq(*(uint64_t *)(m->ram + 0x40008), 0xabcdef);
	ck_assert_uint_eq(t_stats(t_vgpu).page_writes, before.page_writes + 1);
	/* A read of it (Xen serves those itself) is served from memory. */
	ck_assert_uint_eq(mem_rd(0x40008, 4), 0xabcdef);
	/* rep movs into it, and a write straddling into the next page. */
	*(uint64_t *)(m->ram + 0x20000) = 0x1111;
	*(uint64_t *)(m->ram + 0x20008) = 0x2222;
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_WRITE, 0x40100, 8, 0x20000);
	r.data_is_ptr = 1;
	r.count = 2;
	run(r);
	ck_assert_uint_eq(*(uint64_t *)(m->ram + 0x40108), 0x2222);
	mem_wr(0x40ffc, 8, 0x0807060504030201ull);
	{
		uint64_t straddled;	/* unaligned: read it as bytes */

		memcpy(&straddled, m->ram + 0x40ffc, sizeof(straddled));
		ck_assert_uint_eq(straddled, 0x0807060504030201ull);
	}
	ck_assert_uint_eq(xstats().tracked_writes, 4);
	ck_assert_uint_eq(t_stats(t_vgpu).page_writes, before.page_writes + 4);
	/* A device read with a pointer into a tracked page goes through
	 * libgvt too. */
	r = mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_READ, BAR0, 4, 0x40200);
	r.data_is_ptr = 1;
	run(r);
	ck_assert_uint_eq(*(uint32_t *)(m->ram + 0x40200), mmio_r32(t_vgpu, 0));
	ck_assert_uint_eq(xstats().tracked_writes, 5);
	ck_assert_int_eq(ops->page_track_disable(x, 0x40), 0);
	ck_assert_uint_eq(m->tracked, 0);
	mem_wr(0x40008, 8, 0x77);	/* untracked now: dropped */
	ck_assert_uint_eq(*(uint64_t *)(m->ram + 0x40008), 0xabcdef);
}
END_TEST

START_TEST(test_xen_msi_and_intx_through_the_port)
{
	const struct gvt_hv_ops *ops = gvt_xen_hv_ops(x);

	ck_assert_int_eq(ops->inject_msi(x, 0xfee00000, 0x4041), 0);
	ck_assert_uint_eq(m->nr_msi, 1);
	ck_assert_uint_eq(m->msi[0].addr, 0xfee00000);
	ck_assert_uint_eq(m->msi[0].data, 0x4041);
	ck_assert_uint_eq(xstats().msi, 1);
	ck_assert_int_eq(ops->set_intx(x, true), 0);
	ck_assert(m->intx);
}
END_TEST

/* The real path: built and linked against libxen; without /dev/xen it
 * fails at its first step with one clear line. */
static unsigned int errors_logged;

static void count_errors(void *opaque, int level, const char *msg)
{
	if (level <= GVT_LOG_ERR)
		errors_logged++;
	t_log_sink(opaque, level, msg);
}

/* Xen says nothing when a domain dies; a device model asks. Once the
 * answer was "gone", undoing the server (which died with the domain)
 * meets -ESRCH at every step, and that is no error worth logging. */
START_TEST(test_xen_domain_gone_is_noticed_and_teardown_is_quiet)
{
	struct gvt_xen_params p = { .domid = 7, .dev = 2, .page_track = true,
				    .log_fn = count_errors };

	ck_assert_int_eq(mock_xen_port_create(2, RAM, &m), 0);
	ck_assert_int_eq(gvt_xen_create_port(&p, &mock_xen_port_ops, m, &x), 0);
	ck_assert_int_eq(gvt_vgpu_create(t_ctx, "GVTg_V5_4", gvt_xen_hv_ops(x), x,
					 &t_vgpu), 0);
	ck_assert_int_eq(gvt_xen_attach(x, t_vgpu), 0);
	place_bars();
	ck_assert_uint_eq(m->nr_ranges, 3);
	ck_assert_int_eq(gvt_xen_check_domain(x), 0);
	ck_assert_int_eq(gvt_xen_check_domain(NULL), -EINVAL);

	m->domain_gone = true;
	t_log_clear();
	errors_logged = 0;
	ck_assert_int_eq(gvt_xen_check_domain(x), -ESRCH);
	ck_assert_int_eq(gvt_xen_check_domain(x), -ESRCH);
	ck_assert_uint_eq(t_log_count(), 1);
	ck_assert(t_log_has("dom7 is gone"));

	gvt_vgpu_destroy(t_vgpu);
	t_vgpu = NULL;
	gvt_xen_destroy(x);
	x = NULL;
	ck_assert_uint_eq(errors_logged, 0);
	ck_assert(mock_xen_port_clean(m));
}
END_TEST

START_TEST(test_xen_libxen_without_xen_fails_clearly)
{
	struct gvt_xen_params p = { .domid = 1, .dev = 2, .log_fn = t_log_sink };
	struct gvt_xen *s = NULL;
	int ret;

	if (access("/dev/xen", F_OK) == 0)
		return;		/* a Xen domain: this is not that test */
	t_log_clear();
	ret = gvt_xen_create(&p, &s);
	ck_assert_int_lt(ret, 0);
	ck_assert_ptr_null(s);
	ck_assert(t_log_has("cannot open Xen's device-model"));
	ck_assert_int_eq(gvt_xen_create(NULL, &s), -EINVAL);
	p.dev = 32;
	ck_assert_int_eq(gvt_xen_create(&p, &s), -EINVAL);
}
END_TEST

Suite *xen_suite(void)
{
	Suite *s = suite_create("xen");
	TCase *tc = tcase_create("ioreq");
	TCase *life = tcase_create("lifecycle");

	tcase_add_checked_fixture(life, t_setup_ctx, teardown);
	tcase_add_test(life, test_xen_setup_fails_at_each_step_and_undoes_exactly);
	tcase_add_test(life, test_xen_enable_failure_then_destroy_is_exact);
	tcase_add_test(life, test_xen_libxen_without_xen_fails_clearly);
	tcase_add_test(life, test_xen_domain_gone_is_noticed_and_teardown_is_quiet);
	suite_add_tcase(s, life);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_xen_full_setup_and_teardown);
	tcase_add_test(tc, test_xen_request_state_machine);
	tcase_add_test(tc, test_xen_pci_config_every_size);
	tcase_add_test(tc, test_xen_bars_follow_config_space);
	tcase_add_test(tc, test_xen_mmio_every_size);
	tcase_add_test(tc, test_xen_aperture_reaches_guest_ram);
	tcase_add_test(tc, test_xen_pio_index_data);
	tcase_add_test(tc, test_xen_string_copies_with_pointer);
	tcase_add_test(tc, test_xen_string_without_pointer);
	tcase_add_test(tc, test_xen_outside_reads_ones_drops_writes);
	tcase_add_test(tc, test_xen_malformed_requests_answered_safely);
	tcase_add_test(tc, test_xen_other_types_answered_without_effect);
	tcase_add_test(tc, test_xen_tracked_page_writes_reach_libgvt);
	tcase_add_test(tc, test_xen_msi_and_intx_through_the_port);
	suite_add_tcase(s, tc);
	return s;
}
