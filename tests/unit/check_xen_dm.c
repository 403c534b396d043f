// SPDX-License-Identifier: MIT
/*
 * gvt-xen-dm without a hypervisor: its core (tools/gvt-xen-dm/xen_dm.c)
 * runs over the Xen shim's mock port, so a test plays both Xen (posting
 * ioreqs, then making the domain disappear) and gvtctl (on the control
 * socket), and checks what the device model answers and what it leaves
 * behind. tests/xen/test_gvt_xen_dm.sh runs the real binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "mock_xen_port.h"
#include "xen_dm.h"

#define RAM (16u << 20)
#define BAR0 0xf0000000ull
#define SBDF ((uint64_t)((0u << 16) | (0u << 8) | (2u << 3) | 0u))
#define PVINFO_MAGIC 0x4776544776544776ull	/* "vGTvGT" at PVINFO + 0 */

static struct mock_xen_port *m;
static struct xen_dm *dm;
static char dir[64];
static struct xen_dm_config cfg;

/* The command line's words, writable as argv is; the configuration
 * points into them, so they live until teardown. */
static char *words[256];
static unsigned int nr_words;

static int parse(const char *const *args, FILE *out, FILE *err)
{
	char **argv = &words[nr_words];
	int argc = 0;

	while (args[argc]) {
		ck_assert_uint_lt(nr_words, 255);
		words[nr_words++] = strdup(args[argc++]);
	}
	words[nr_words++] = NULL;
	return xen_dm_parse_args(argc, argv, &cfg, out, err);
}

static void config(void)
{
	const char *const args[] = { "gvt-xen-dm", "--domid", "9", "--bdf", "00:02.0",
				     "--type", "GVTg_V5_4", "--log-level", "warning", NULL };

	ck_assert_int_eq(parse(args, stdout, stderr), 0);
	snprintf(cfg.control, sizeof(cfg.control), "%s/xen-dom9.sock", dir);
	cfg.domain_check_ms = 10;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gvt-xen-dm-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(mock_xen_port_create(2, RAM, &m), 0);
	config();
}

static void teardown(void)
{
	xen_dm_stop(dm);
	dm = NULL;
	mock_xen_port_destroy(m);
	m = NULL;
	rmdir(dir);
	while (nr_words)
		free(words[--nr_words]);
}

static bool socket_exists(void)
{
	struct stat st;

	return !stat(cfg.control, &st);
}

/* Post @r as Xen would and let the device model's loop answer it: the
 * mock's event fd is what wakes the loop. */
static uint64_t run(ioreq_t r)
{
	mock_xen_port_post(m, 1, &r);
	for (int i = 0; i < 100 && m->page[1].state != STATE_IORESP_READY; i++)
		ck_assert_int_ge(xen_dm_poll(dm, 100), 0);
	ck_assert_uint_eq(m->page[1].state, STATE_IORESP_READY);
	return m->page[1].data;
}

static void pump(void *opaque)
{
	ck_assert_int_ge(xen_dm_poll(opaque, 0), 0);
}

/* Run the device model's loop until a whole reply line arrived. */
static char *reply(int fd)
{
	return t_ctl_reply(fd, pump, dm);
}

START_TEST(test_xen_dm_command_line)
{
	const char *const ok[] = { "gvt-xen-dm", "--domid", "32751", "--bdf", "0001:3a:1F.7", "--type",
		       "GVTg_V5_8", "--vcpus", "4", "--no-page-track", "--aperture", "512",
		       "--stats-interval", "5", "-v", NULL };
	const char *const bad[][2] = {
		{ "--domid", "0" }, { "--domid", "32752" }, { "--domid", "-1" },
		{ "--domid", "0x5" }, { "--bdf", "00:20.0" }, { "--bdf", "00:02.8" },
		{ "--bdf", "00:02" }, { "--bdf", "100:02.0" }, { "--bdf", "00:02.0x" },
		{ "--bdf", "1:2:3:4.0" }, { "--bdf", "-0:02.0" }, { "--bdf", ":02.0" },
		{ "--vcpus", "0" }, { "--vcpus", "129" }, { "--aperture", "300" },
		{ "--log-level", "loud" }, { "--stats-interval", "86401" },
	};
	const char *const help[] = { "gvt-xen-dm", "--help", NULL };
	const char *const missing[] = { "gvt-xen-dm", "--domid", "3", "--bdf", "00:02.0", NULL };
	const char *const extra[] = { "gvt-xen-dm", "--domid", "3", "--bdf", "00:02.0", "--type", "T",
			  "more", NULL };
	char long_path[200];
	const char *const too_long[] = { "gvt-xen-dm", "--domid", "3", "--bdf", "00:02.0",
					 "--type", "T", "--control", long_path, NULL };
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);

	ck_assert_int_eq(parse(ok, stdout, err), 0);
	ck_assert_uint_eq(cfg.domid, 32751);
	ck_assert_uint_eq(cfg.segment, 1);
	ck_assert_uint_eq(cfg.bus, 0x3a);
	ck_assert_uint_eq(cfg.dev, 31);
	ck_assert_uint_eq(cfg.func, 7);
	ck_assert_str_eq(cfg.type, "GVTg_V5_8");
	ck_assert_uint_eq(cfg.nr_vcpus, 4);
	ck_assert(!cfg.page_track);
	ck_assert_uint_eq(cfg.aperture_mib, 512);
	ck_assert_uint_eq(cfg.stats_interval, 5);
	ck_assert_int_eq(cfg.log_level, GVT_LOG_DEBUG);
	ck_assert_str_eq(cfg.control, "");	/* chosen at start, per domain */

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const argv[] = { "gvt-xen-dm", "--domid", "3", "--bdf", "00:02.0",
					     "--type", "GVTg_V5_4", bad[i][0], bad[i][1], NULL };

		fflush(err);
		len = 0;
		ck_assert_msg(parse(argv, stdout, err) == -1,
			      "%s %s accepted", bad[i][0], bad[i][1]);
		fflush(err);
		ck_assert_msg(strstr(text, bad[i][0]) && strstr(text, bad[i][1]),
			      "%s %s: the complaint names neither: %s", bad[i][0],
			      bad[i][1], text);
	}
	ck_assert_int_eq(parse(missing, stdout, err), -1);
	ck_assert_int_eq(parse(extra, stdout, err), -1);
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	fflush(err);
	len = 0;
	ck_assert_int_eq(parse(too_long, stdout, err), -1);
	fflush(err);
	ck_assert_msg(strstr(text, "--control"), "%s", text);
	fclose(err);
	free(text);

	text = NULL;
	err = open_memstream(&text, &len);
	ck_assert_int_eq(parse(help, err, stderr), 1);
	fclose(err);
	ck_assert_ptr_nonnull(strstr(text, "--domid N --bdf"));
	free(text);
}
END_TEST

START_TEST(test_xen_dm_serves_the_guest_and_gvtctl)
{
	int fd;
	char *r;

	ck_assert_int_eq(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), 0);
	/* Enabled, with the function and page tracking claimed. */
	ck_assert(m->enabled && m->pcidev && m->mem_type);
	ck_assert_uint_eq(m->bound, 2);
	ck_assert(socket_exists());
	ck_assert_str_eq(xen_dm_control_path(dm), cfg.control);

	/* The guest's firmware finds the vGPU and places BAR0. */
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_READ, SBDF << 32, 2, 0)),
			  0x8086);
	run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE, SBDF << 32 | 0x10, 4, (uint32_t)BAR0));
	run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE, SBDF << 32 | 0x14, 4, BAR0 >> 32));
	run(mock_xen_ioreq(IOREQ_TYPE_PCI_CONFIG, IOREQ_WRITE, SBDF << 32 | 0x04, 2, 0x6));
	ck_assert_uint_ge(m->nr_ranges, 1);
	/* i915 reads PVINFO's magic through BAR0. */
	ck_assert_uint_eq(run(mock_xen_ioreq(IOREQ_TYPE_COPY, IOREQ_READ, BAR0 + 0x78000, 8, 0)),
			  PVINFO_MAGIC);

	/* gvtctl sees the one vGPU, and may not destroy it or add another. */
	fd = t_ctl_connect(cfg.control);
	r = reply(fd);
	ck_assert_msg(strstr(r, "\"protocol\":1"), "%s", r);
	ck_assert_int_gt(dprintf(fd, "list\n"), 0);
	r = reply(fd);
	ck_assert_msg(strstr(r, "{\"id\":1,\"type\":\"GVTg_V5_4\",\"state\":\"running\""),
		      "%s", r);
	ck_assert_int_gt(dprintf(fd, "destroy 1\n"), 0);
	r = reply(fd);
	ck_assert_msg(strstr(r, "\"errno\":95"), "%s", r);
	ck_assert_int_gt(dprintf(fd, "create GVTg_V5_4\n"), 0);
	r = reply(fd);
	ck_assert_msg(strstr(r, "\"errno\":95"), "%s", r);
	close(fd);

	/* Stopping undoes everything Xen was asked for, and the socket. */
	xen_dm_stop(dm);
	dm = NULL;
	ck_assert(mock_xen_port_clean(m));
	ck_assert(!socket_exists());
}
END_TEST

START_TEST(test_xen_dm_stops_when_the_domain_is_gone)
{
	int ret = XEN_DM_IDLE;

	ck_assert_int_eq(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), 0);
	/* Alive: the checks (every 10 ms here) find it. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(xen_dm_poll(dm, 20), XEN_DM_IDLE);
	m->domain_gone = true;
	for (int i = 0; i < 100 && ret == XEN_DM_IDLE; i++)
		ret = xen_dm_poll(dm, 20);
	ck_assert_int_eq(ret, XEN_DM_DOMAIN_GONE);
	xen_dm_stop(dm);
	dm = NULL;
	ck_assert(mock_xen_port_clean(m));
	ck_assert(!socket_exists());
}
END_TEST

START_TEST(test_xen_dm_wakes_for_the_watched_fd)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;

	cfg.domain_check_ms = 60000;	/* no timer in the way */
	ck_assert_int_eq(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), 0);
	ck_assert_int_eq(xen_dm_watch(dm, efd), 0);
	ck_assert_int_eq(xen_dm_poll(dm, 0), XEN_DM_IDLE);
	ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
	ck_assert_int_eq(xen_dm_poll(dm, 1000), XEN_DM_WATCHED);
	ck_assert_int_eq(xen_dm_watch(dm, -1), -EINVAL);
	close(efd);
}
END_TEST

START_TEST(test_xen_dm_failed_start_leaves_nothing)
{
	char blocker[96];
	int f;

	/* Each failure point: in the shim, the vGPU type, the socket. */
	m->fail_step = MXS_PCIDEV;
	m->fail_err = -EPERM;
	ck_assert_int_eq(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), -EPERM);
	ck_assert_ptr_null(dm);
	ck_assert(mock_xen_port_clean(m));
	ck_assert(!socket_exists());

	m->fail_step = -1;
	cfg.type = "GVTg_V5_3";
	ck_assert_int_eq(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), -EINVAL);
	ck_assert(mock_xen_port_clean(m));
	ck_assert(!socket_exists());

	cfg.type = "GVTg_V5_4";
	/* A file where the socket's directory should be. */
	snprintf(blocker, sizeof(blocker), "%s/not-a-dir", dir);
	snprintf(cfg.control, sizeof(cfg.control), "%s/x.sock", blocker);
	f = creat(blocker, 0600);
	ck_assert_int_ge(f, 0);
	close(f);
	ck_assert_int_lt(xen_dm_start(&cfg, &mock_xen_port_ops, m, &dm), 0);
	ck_assert_ptr_null(dm);
	ck_assert(mock_xen_port_clean(m));
	unlink(blocker);
}
END_TEST

Suite *xen_dm_suite(void)
{
	Suite *s = suite_create("xen_dm");
	TCase *tc = tcase_create("xen_dm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_xen_dm_command_line);
	tcase_add_test(tc, test_xen_dm_serves_the_guest_and_gvtctl);
	tcase_add_test(tc, test_xen_dm_stops_when_the_domain_is_gone);
	tcase_add_test(tc, test_xen_dm_wakes_for_the_watched_fd);
	tcase_add_test(tc, test_xen_dm_failed_start_leaves_nothing);
	suite_add_tcase(s, tc);
	return s;
}
