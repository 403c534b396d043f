// SPDX-License-Identifier: MIT
/*
 * gvt-xen-dm: a device model for one Xen HVM domain's vGPU, beside the
 * domain's QEMU (docs/xen.md). This file is the process: its command
 * line, signals, detaching and the pid file; xen_dm.c serves.
 *
 *   xl create -p guest.cfg
 *   gvt-xen-dm --domid "$(xl domid guest)" --bdf 00:02.0 --type GVTg_V5_4 --daemon
 *   xl unpause guest
 *
 * With --daemon the command returns once the ioreq server is enabled, so
 * the guest's firmware finds the vGPU when it scans the bus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include "tool_util.h"
#include "xen_dm.h"

/*
 * Detach: the parent waits on a pipe for the child's verdict and exits
 * with it, so "gvt-xen-dm --daemon && xl unpause" unpauses only a guest
 * whose vGPU is served. Done before anything starts a thread.
 * Return: in the child, the pipe's write end; the parent never returns.
 */
static int detach(void)
{
	int fds[2];
	char verdict = 1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		perror("gvt-xen-dm: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("gvt-xen-dm: fork");
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &verdict, 1) != 1)
			verdict = 1;	/* the child died before saying */
		exit(verdict ? 1 : 0);
	}
	close(fds[0]);
	setsid();
	return fds[1];
}

/* The daemon's last ties to the terminal: stdio goes to /dev/null. */
static void release_terminal(int verdict_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ok = 0;

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(verdict_fd, &ok, 1) != 1) {
		/* The parent is gone; nobody waits for the verdict. */
	}
	close(verdict_fd);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct xen_dm_config cfg;
	struct xen_dm *dm = NULL;
	int verdict_fd = -1, signal_fd, ret, status = 0;

	ret = xen_dm_parse_args(argc, argv, &cfg, stdout, stderr);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (cfg.syslog || cfg.daemon)
		openlog("gvt-xen-dm", LOG_PID, LOG_DAEMON);
	if (cfg.daemon)
		verdict_fd = detach();

	/* Every signal that would end the process ends it cleanly: the
	 * server destroyed (Xen forgets it), the trace completed, the
	 * socket removed. SIGUSR1 logs the figures. */
	signal_fd = tool_signal_fd();
	if (signal_fd < 0) {
		fprintf(stderr, "gvt-xen-dm: signalfd: %s\n", strerror(-signal_fd));
		return 1;
	}

	ret = xen_dm_start(&cfg, NULL, NULL, &dm);
	if (!ret)
		ret = xen_dm_watch(dm, signal_fd);
	if (!ret && cfg.pidfile) {
		ret = write_pidfile(cfg.pidfile);
		if (ret)
			fprintf(stderr, "gvt-xen-dm: %s: %s\n", cfg.pidfile, strerror(-ret));
	}
	if (ret) {
		xen_dm_stop(dm);
		return 1;	/* the verdict pipe closes: the parent exits 1 */
	}
	printf("gvt-xen-dm: dom%u served; control socket %s\n", cfg.domid,
	       xen_dm_control_path(dm));
	fflush(stdout);
	if (cfg.daemon) {
		xen_dm_log_to_syslog(dm);
		cfg.syslog = true;	/* for this file's own lines */
		release_terminal(verdict_fd);
	}

	for (;;) {
		struct signalfd_siginfo si;

		ret = xen_dm_poll(dm, -1);
		if (ret < 0) {
			status = 1;
			break;
		}
		if (ret == XEN_DM_DOMAIN_GONE) {
			xen_dm_log(&cfg, GVT_LOG_NOTICE, "the domain is gone: stopping");
			break;
		}
		if (ret != XEN_DM_WATCHED)
			continue;
		ret = 0;
		while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGUSR1) {
				xen_dm_report(dm, "SIGUSR1");
			} else {
				char line[80];

				snprintf(line, sizeof(line), "%s: stopping",
					 strsignal((int)si.ssi_signo));
				xen_dm_log(&cfg, GVT_LOG_INFO, line);
				ret = 1;
			}
		}
		if (ret)
			break;
	}
	xen_dm_stop(dm);
	if (cfg.pidfile)
		unlink(cfg.pidfile);
	close(signal_fd);
	return status;
}
