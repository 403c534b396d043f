// SPDX-License-Identifier: MIT
/* The control server: its protocol, its socket, and hostile clients. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "harness.h"
#include "private.h"

static char dir[64];
static char path[128];
static struct gvt_ctl *ctl;

static int created, destroyed;

static int create_cb(void *opaque, const char *type, struct gvt_vgpu **out)
{
	struct mock_hv **hv = opaque;

	created++;
	return gvt_vgpu_create(t_ctx, type, &mock_hv_ops, *hv, out);
}

static int destroy_cb(void *opaque, struct gvt_vgpu *vgpu)
{
	destroyed++;
	gvt_vgpu_destroy(vgpu);
	if (vgpu == t_vgpu)
		t_vgpu = NULL;
	return 0;
}

static const struct gvt_ctl_ops ops = {
	.vgpu_create = create_cb,
	.vgpu_destroy = destroy_cb,
};
static struct mock_hv *spare_hv;

static void setup(void)
{
	struct gvt_ctl_params p = { .ops = &ops, .opaque = &spare_hv };

	t_setup_vgpu();
	signal(SIGPIPE, SIG_IGN);	/* clients write to a server that hangs up */
	ck_assert_int_eq(mock_hv_create(TEST_RAM_SIZE, &spare_hv), 0);
	snprintf(dir, sizeof(dir), "/tmp/gvt-ctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/ctl.sock", dir);
	created = destroyed = 0;
	ck_assert_int_eq(gvt_ctl_serve(t_ctx, path, &p, &ctl), 0);
}

static void teardown(void)
{
	char sub[160];

	gvt_ctl_close(ctl);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
	t_teardown();
	mock_hv_destroy(spare_hv);
}

static int client(void)
{
	return t_ctl_connect(path);
}

static void pump(void *opaque)
{
	gvt_ctl_dispatch(opaque);
}

/* Serve until a full line is there, then return it. */
static char *reply(int fd)
{
	return t_ctl_reply(fd, pump, ctl);
}

static char *ask(int fd, const char *request)
{
	ck_assert_int_gt(dprintf(fd, "%s\n", request), 0);
	return reply(fd);
}

START_TEST(test_ctl_greeting_and_requests)
{
	int fd = client();
	char *r = reply(fd);

	ck_assert_msg(strstr(r, "{\"ok\":true,\"protocol\":1,\"library\":\""), "%s", r);
	r = ask(fd, "list");
	ck_assert_str_eq(r, "{\"ok\":true,\"vgpus\":[{\"id\":1,\"type\":\"GVTg_V5_4\",\"state\":\"running\",\"tracing\":false}]}\n");
	r = ask(fd, "types");
	ck_assert_msg(strstr(r, "\"name\":\"GVTg_V5_8\",\"low_gm_mib\":64,\"high_gm_mib\":384"), "%s", r);
	r = ask(fd, "show 1");
	ck_assert_msg(strstr(r, "\"aperture_base\":134217728"), "%s", r);
	ck_assert_msg(strstr(r, "\"fences\":[4,5,6,7]"), "%s", r);
	r = ask(fd, "regs 1 0x44300-0x44304");
	ck_assert_msg(strstr(r, "{\"offset\":279300,\"value\":4294967295,\"name\":\"GEN8_GT_IMR(0)\"}"), "%s", r);
	r = ask(fd, "create GVTg_V5_8");
	ck_assert_str_eq(r, "{\"ok\":true,\"id\":2,\"type\":\"GVTg_V5_8\",\"state\":\"running\",\"tracing\":false}\n");
	ck_assert_int_eq(created, 1);
	r = ask(fd, "destroy 2");
	ck_assert_str_eq(r, "{\"ok\":true,\"id\":2}\n");
	ck_assert_int_eq(destroyed, 1);
	close(fd);
}
END_TEST

START_TEST(test_ctl_bad_requests_get_errors)
{
	static const struct {
		const char *request, *error;
	} cases[] = {
		{ "", "empty request" },
		{ "frobnicate", "unknown request 'frobnicate'" },
		{ "show", "usage: show ID" },
		{ "show x", "'x' is not a vGPU id" },
		{ "show 9", "no vGPU 9" },
		{ "show 0", "no vGPU 0" },
		{ "show -1", "'-1' is not a vGPU id" },
		{ "regs 1 0x200000", "is not a register offset or range below 0x200000" },
		{ "regs 1 0x10-0x8", "is not a register offset or range" },
		{ "regs 1 0-0x1ffffc", "at most 16384 registers per request" },
		{ "regs 1 3-65538", "at most 16384 registers per request" },
		{ "gtt 1 zz", "'zz' is not a GM address or range" },
		{ "trace 1 start relative.trace", "must be an absolute path" },
		{ "trace 1 stop", "not recording" },
		{ "trace 1 begin /tmp/x", "usage: trace ID start FILE" },
		{ "create GVTg_V5_3", "unknown vGPU type 'GVTg_V5_3'" },
		{ "create GVTg_V5_1 extra", "usage: create TYPE" },
		{ "a b c d e f g h i j", "too many words" },
	};
	int fd = client();

	reply(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = ask(fd, cases[i].request);

		ck_assert_msg(!strncmp(r, "{\"ok\":false,\"error\":\"", 21) &&
				      strstr(r, cases[i].error),
			      "%s -> %s", cases[i].request, r);
	}
	/* The connection still works after all that. */
	ck_assert_msg(strstr(ask(fd, "list"), "\"ok\":true"), "list");
	close(fd);
}
END_TEST

START_TEST(test_ctl_hostile_clients)
{
	char big[GVT_CTL_LINE_MAX + 64];
	int fds[GVT_CTL_MAX_CLIENTS + 1];
	char *r;
	int fd;

	/* A line too long: an error, then the connection is closed. */
	fd = client();
	reply(fd);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = ask(fd, big);
	ck_assert_msg(strstr(r, "request longer than 4096 bytes"), "%s", r);
	r = reply(fd);
	ck_assert_str_eq(r, ""); /* closed */
	close(fd);

	/* Half a request, then gone. */
	fd = client();
	reply(fd);
	ck_assert_int_eq(send(fd, "sho", 3, 0), 3);
	gvt_ctl_dispatch(ctl);
	close(fd);
	ck_assert_int_ge(gvt_ctl_dispatch(ctl), 0);

	/* A request, then gone before reading the reply. */
	fd = client();
	ck_assert_int_eq(send(fd, "regs 1\n", 7, 0), 7);
	close(fd);
	ck_assert_int_ge(gvt_ctl_dispatch(ctl), 0);

	/* A request without its newline, then end of input: answered. */
	fd = client();
	reply(fd);
	ck_assert_int_eq(send(fd, "list\n", 5, 0), 5);
	shutdown(fd, SHUT_WR);
	r = reply(fd);
	ck_assert_msg(strstr(r, "\"vgpus\""), "%s", r);
	close(fd);

	/* More clients than slots: the extra one is told and dropped. */
	for (int i = 0; i <= GVT_CTL_MAX_CLIENTS; i++) {
		fds[i] = client();
		gvt_ctl_dispatch(ctl);
	}
	r = reply(fds[GVT_CTL_MAX_CLIENTS]);
	ck_assert_msg(strstr(r, "too many clients"), "%s", r);
	for (int i = 0; i <= GVT_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	gvt_ctl_dispatch(ctl);
	/* And the server is still fine. */
	fd = client();
	reply(fd);
	ck_assert_msg(strstr(ask(fd, "list"), "\"ok\":true"), "list");
	close(fd);
}
END_TEST

/* Bytes queued for a client that never reads are bounded: over the limit
 * the client is dropped, its replies with it. */
START_TEST(test_ctl_unread_replies_are_bounded)
{
	int fd = client();
	size_t total = 0;
	char buf[65536];
	ssize_t n;

	reply(fd);
	for (int i = 0; i < 60; i++) {
		/* Once dropped, the writes fail: that is the point. */
		if (dprintf(fd, "regs 1 0-0xfffc\n") < 0)
			break;
		gvt_ctl_dispatch(ctl);
	}
	for (int i = 0; i < 100; i++)
		gvt_ctl_dispatch(ctl);
	/* Now read everything: the server hung up before sending it all. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n > 0)
			total += (size_t)n;
		else
			gvt_ctl_dispatch(ctl);
	}
	ck_assert_uint_lt(total, GVT_CTL_OUT_MAX + (4u << 20));
	close(fd);
}
END_TEST

/* One dispatch does a bounded amount of work, and a client that stopped
 * sending but does not read does not keep the descriptor readable. */
START_TEST(test_ctl_dispatch_is_bounded)
{
	int fds[20];
	struct pollfd p = { .fd = gvt_ctl_fd(ctl), .events = POLLIN };
	char *r;

	for (int i = 0; i < 20; i++) {
		fds[i] = client();
		ck_assert_int_gt(dprintf(fds[i], "list\nlist\nlist\n"), 0);
		if (i % 8 == 7)
			gvt_ctl_dispatch(ctl);	/* keep the backlog moving */
	}
	for (int i = 0; i < 40; i++)
		ck_assert_int_ge(gvt_ctl_dispatch(ctl), 0);
	for (int i = 0; i < 20; i++) {
		r = reply(fds[i]);
		ck_assert_msg(strstr(r, "\"protocol\":1"), "%s", r);
		close(fds[i]);
	}
	for (int i = 0; i < 10; i++)
		gvt_ctl_dispatch(ctl);

	/* Half-closed, with replies it does not read: not readable forever. */
	fds[0] = client();
	for (int i = 0; i < 40; i++)
		ck_assert_int_gt(dprintf(fds[0], "regs 1\n"), 0);
	shutdown(fds[0], SHUT_WR);
	for (int i = 0; i < 50; i++)
		gvt_ctl_dispatch(ctl);
	ck_assert_int_eq(poll(&p, 1, 100), 0);
	close(fds[0]);
	gvt_ctl_dispatch(ctl);

	/* A NUL inside a request is refused, not read as an end. */
	fds[0] = client();
	reply(fds[0]);
	ck_assert_int_eq(send(fds[0], "version\0x\n", 10, 0), 10);
	r = reply(fds[0]);
	ck_assert_msg(strstr(r, "request contains a NUL byte"), "%s", r);
	/* Replies are UTF-8 whatever the request held. */
	r = ask(fds[0], "\xff\xfe\xc3");
	ck_assert_msg(strstr(r, "unknown request '\\ufffd\\ufffd\\ufffd'"), "%s", r);
	r = ask(fds[0], "show 010");
	ck_assert_msg(strstr(r, "no vGPU 10"), "%s", r);	/* decimal, not octal */
	r = ask(fds[0], "show +1");
	ck_assert_msg(strstr(r, "is not a vGPU id"), "%s", r);
	close(fds[0]);
}
END_TEST

START_TEST(test_ctl_socket_file)
{
	struct gvt_ctl *other = NULL;
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* A live server's socket is not taken over... */
	t_log_clear();
	ck_assert_int_eq(gvt_ctl_serve(t_ctx, path, NULL, &other), -EADDRINUSE);
	ck_assert(t_log_has("another process serves"));
	/* ...a stale one is. */
	gvt_ctl_close(ctl);
	ck_assert_int_ne(stat(path, &st), 0);	/* closing removes it */
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		strcpy(a.sun_path, path);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		close(fd);	/* a dead process's socket */
	}
	ck_assert_int_eq(gvt_ctl_serve(t_ctx, path, NULL, &ctl), 0);
	/* Without create/destroy ops those requests are refused. */
	{
		int fd = client();

		reply(fd);
		ck_assert_msg(strstr(ask(fd, "create GVTg_V5_8"), "does not create vGPUs"), "create");
		ck_assert_msg(strstr(ask(fd, "destroy 1"), "does not destroy vGPUs"), "destroy");
		close(fd);
	}
	ck_assert_int_eq(gvt_ctl_serve(t_ctx, "/nonexistent-dir/deeper/x.sock", NULL, &other), -ENOENT);
}
END_TEST

START_TEST(test_ctl_default_path)
{
	char buf[256];

	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	ck_assert_int_eq(gvt_ctl_default_path(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/user/1234/gvt/gvt.sock");
	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_int_eq(gvt_ctl_default_path(buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/run/gvt/gvt.sock");
	ck_assert_int_eq(gvt_ctl_default_path(buf, 8), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_ctl_trace_through_the_socket)
{
	char file[160];
	int fd = client();
	char *r;

	snprintf(file, sizeof(file), "trace 1 start %s/t.trace", dir);
	reply(fd);
	r = ask(fd, file);
	ck_assert_msg(strstr(r, "\"tracing\":true"), "%s", r);
	mmio_r32(t_vgpu, 0x78000);
	r = ask(fd, "trace 1 stop");
	ck_assert_msg(strstr(r, "\"tracing\":false"), "%s", r);
	close(fd);
	snprintf(file, sizeof(file), "%s/t.trace", dir);
	ck_assert_int_eq(unlink(file), 0);
}
END_TEST

Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ctl_greeting_and_requests);
	tcase_add_test(tc, test_ctl_bad_requests_get_errors);
	tcase_add_test(tc, test_ctl_hostile_clients);
	tcase_add_test(tc, test_ctl_unread_replies_are_bounded);
	tcase_add_test(tc, test_ctl_dispatch_is_bounded);
	tcase_add_test(tc, test_ctl_socket_file);
	tcase_add_test(tc, test_ctl_default_path);
	tcase_add_test(tc, test_ctl_trace_through_the_socket);
	suite_add_tcase(s, tc);
	return s;
}
