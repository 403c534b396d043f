// SPDX-License-Identifier: MIT
/*
 * gvt-xen-dm's core: one Xen HVM domain served one vGPU of a software
 * Skylake GT2, through the Xen shim (include/gvt/gvt_xen.h), with the
 * control socket gvtctl talks to. main.c wraps it in a command line and
 * signals; the unit suite (tests/unit/check_xen_dm.c) runs it over the
 * shim's mock port, without a hypervisor.
 *
 * Everything runs on the caller's thread from one epoll set: the event
 * channels, the control socket and a timer that asks Xen whether the
 * domain still exists.
 */
#ifndef GVT_XEN_DM_H
#define GVT_XEN_DM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gvt/gvt.h>

#include "xen_port.h"

#define XEN_DM_PATH_MAX 108	/* sun_path */

/*
 * struct xen_dm_config - what gvt-xen-dm was asked for.
 * @domid: the HVM guest.
 * @segment, @bus, @dev, @func: where the guest finds the vGPU.
 * @type: the vGPU type (GVTg_V5_*).
 * @nr_vcpus: the guest's vCPUs, or 0 to ask Xen.
 * @page_track: write-protect the guest's GPU page tables (default on).
 * @aperture_mib: the software GPU's aperture: 256, 512 or 1024.
 * @control: the control socket; empty: next to gvt_ctl_default_path(),
 *	named xen-domN.sock, so that one gvt-xen-dm per domain can run.
 * @trace: record the vGPU's accesses to this file; empty: don't.
 * @log_level: the most verbose level logged (GVT_LOG_*).
 * @syslog: log to syslog instead of stderr.
 * @daemon: detach once the server is up (main.c's business).
 * @pidfile: write the (detached) process's pid here; empty: don't.
 * @stats_interval: log the figures every this many seconds; 0: only on
 *	request and at exit.
 * @domain_check_ms: how often to ask Xen whether the domain exists.
 */
struct xen_dm_config {
	uint16_t domid;
	uint16_t segment;
	uint8_t bus, dev, func;
	const char *type;
	unsigned int nr_vcpus;
	bool page_track;
	uint32_t aperture_mib;
	char control[XEN_DM_PATH_MAX];
	const char *trace;
	int log_level;
	bool syslog;
	bool daemon;
	const char *pidfile;
	unsigned int stats_interval;
	unsigned int domain_check_ms;
};

/*
 * xen_dm_parse_args() - fill @cfg from a command line; @err gets every
 * complaint. Return: 0, 1 if --help was printed to @out (exit 0), or -1
 * for a usage error (exit 2).
 */
int xen_dm_parse_args(int argc, char **argv, struct xen_dm_config *cfg,
		      FILE *out, FILE *err);

/* The log sink gvt-xen-dm gives libgvt and the shim: stderr or syslog,
 * as @opaque (a struct xen_dm_config) says. */
void xen_dm_log(void *opaque, int level, const char *msg);

struct xen_dm;

/*
 * xen_dm_start() - create the software GPU, the ioreq server, the vGPU
 * and the control socket, and enable the server. With @ops NULL the
 * server runs over libxen (gvt_xen_create()); otherwise over @ops and
 * @port (the tests' mock). On failure everything done is undone and the
 * reason logged. Return: 0 or -errno.
 */
int xen_dm_start(const struct xen_dm_config *cfg,
		 const struct gvt_xen_port_ops *ops, void *port,
		 struct xen_dm **out);

/* xen_dm_watch() - also wait for @fd (main.c's signalfd): xen_dm_poll()
 * returns XEN_DM_WATCHED when it is readable. Return: 0 or -errno. */
int xen_dm_watch(struct xen_dm *dm, int fd);

enum xen_dm_event {
	XEN_DM_IDLE,		/* nothing, or only served work: go on */
	XEN_DM_DOMAIN_GONE,	/* the domain no longer exists: stop */
	XEN_DM_WATCHED,		/* the watched fd is readable */
};

/*
 * xen_dm_poll() - wait up to @timeout_ms (-1: forever) and serve whatever
 * is ready: requests of the guest's vCPUs, gvtctl's, the timer's checks.
 * Return: an enum xen_dm_event, or -errno if serving failed for good.
 */
int xen_dm_poll(struct xen_dm *dm, int timeout_ms);

/* xen_dm_report() - log the vGPU's and the server's figures; @why says
 * what prompted it. */
void xen_dm_report(struct xen_dm *dm, const char *why);

/* xen_dm_log_to_syslog() - from now on log to syslog (a daemon whose
 * stderr is gone). */
void xen_dm_log_to_syslog(struct xen_dm *dm);

/* xen_dm_control_path() - the control socket it serves. */
const char *xen_dm_control_path(const struct xen_dm *dm);

/* xen_dm_stop() - log the figures, destroy the vGPU, the server (Xen
 * forgets it), the control socket and the GPU. @dm may be NULL. */
void xen_dm_stop(struct xen_dm *dm);

#endif /* GVT_XEN_DM_H */
