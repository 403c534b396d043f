// SPDX-License-Identifier: MIT
/*
 * gvt-xen-dm's core (xen_dm.h): its command line, and one domain's vGPU
 * served from one epoll set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include <gvt/gvt_xen.h>

#include "tool_util.h"
#include "vgpu_latency.h"
#include "xen_dm.h"

/* Xen's DOMID_FIRST_RESERVED: ids from here on name no guest. */
#define DOMID_RESERVED 0x7ff0u

enum { TAG_XEN, TAG_CTL, TAG_TIMER, TAG_WATCHED };

struct xen_dm {
	struct xen_dm_config cfg;	/* the log sink's opaque: stays put */
	struct gvt_ctx *ctx;
	struct gvt_xen *xen;
	struct gvt_vgpu *vgpu;
	struct gvt_ctl *ctl;
	int epoll_fd;
	int timer_fd;
	bool check_failing;		/* asking Xen failed; said once */
	uint64_t ms_since_report;	/* for --stats-interval */
};

/* ---- logging ---- */

void xen_dm_log(void *opaque, int level, const char *msg)
{
	const struct xen_dm_config *cfg = opaque;

	if (level > cfg->log_level)
		return;
	if (cfg->syslog)
		syslog(level, "dom%u: %s", cfg->domid, msg);
	else
		fprintf(stderr, "gvt-xen-dm: dom%u: %s: %s\n", cfg->domid,
			tool_level_name(level), msg);
}

static void say(const struct xen_dm_config *cfg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const struct xen_dm_config *cfg, int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	xen_dm_log((void *)cfg, level, line);
}

/* ---- the command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gvt-xen-dm --domid N --bdf [SSSS:]BB:DD.F --type TYPE [OPTION]...\n"
		"Serve one vGPU of a software Skylake GT2 to Xen HVM domain N, as an\n"
		"ioreq server beside the domain's QEMU (docs/xen.md). Start it after\n"
		"'xl create -p' and before 'xl unpause'; it stops when the domain is gone.\n"
		"  --domid N             the HVM guest's domain id\n"
		"  --bdf [SSSS:]BB:DD.F  where the guest finds the vGPU (hex), e.g. 00:02.0\n"
		"  --type TYPE           the vGPU type, e.g. GVTg_V5_4 ('gvtctl types')\n"
		"  --vcpus N             the domain's vCPUs (default: ask Xen)\n"
		"  --no-page-track       do not write-protect the guest's GPU page tables\n"
		"                        (libgvt then re-validates them at each submission)\n"
		"  --aperture MIB        the GPU's aperture: 256, 512 or 1024 (default 1024)\n"
		"  --control PATH        the control socket for gvtctl (default: xen-domN.sock\n"
		"                        in $XDG_RUNTIME_DIR/gvt or /run/gvt)\n"
		"  --trace FILE          record the vGPU's accesses to FILE ('gvtctl replay')\n"
		"  --stats-interval SEC  log the figures every SEC seconds\n"
		"                        (always: on SIGUSR1 and at exit)\n"
		"  --daemon              detach once the vGPU is served; log to syslog\n"
		"  --pidfile FILE        write the serving process's pid to FILE\n"
		"  --syslog              log to syslog instead of stderr\n"
		"  --log-level LEVEL     error, warning, notice, info (default) or debug\n"
		"  -v                    one level more verbose\n"
		"  --help                this text\n");
}

/* One hex field of a BDF, ended by @stop; *@s moves past @stop. */
static bool bdf_field(const char **s, char stop, unsigned long max,
		      unsigned long *out)
{
	const char *end = stop ? strchr(*s, stop) : *s + strlen(*s);
	char field[8];
	size_t len;

	if (!end)
		return false;
	len = (size_t)(end - *s);
	if (!len || len >= sizeof(field))
		return false;
	memcpy(field, *s, len);
	field[len] = '\0';
	if (!tool_parse_uint(field, 16, max, out))
		return false;
	*s = stop ? end + 1 : end;
	return true;
}

/* "[SSSS:]BB:DD.F", as lspci and xl's pci= print it. */
static bool parse_bdf(const char *s, struct xen_dm_config *cfg)
{
	unsigned long seg = 0, bus, dev, func;
	const char *p = s;

	if (strchr(s, ':') != strrchr(s, ':') && !bdf_field(&p, ':', 0xffff, &seg))
		return false;
	if (!bdf_field(&p, ':', 0xff, &bus) || !bdf_field(&p, '.', 31, &dev) ||
	    !bdf_field(&p, '\0', 7, &func))
		return false;
	cfg->segment = (uint16_t)seg;
	cfg->bus = (uint8_t)bus;
	cfg->dev = (uint8_t)dev;
	cfg->func = (uint8_t)func;
	return true;
}

enum { OPT_DOMID = 256, OPT_BDF, OPT_TYPE, OPT_VCPUS, OPT_NO_TRACK, OPT_APERTURE,
       OPT_CONTROL, OPT_TRACE, OPT_STATS, OPT_DAEMON, OPT_PIDFILE, OPT_SYSLOG,
       OPT_LOG_LEVEL, OPT_HELP };

static const struct option longopts[] = {
	{ "domid", required_argument, NULL, OPT_DOMID },
	{ "bdf", required_argument, NULL, OPT_BDF },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "no-page-track", no_argument, NULL, OPT_NO_TRACK },
	{ "aperture", required_argument, NULL, OPT_APERTURE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "stats-interval", required_argument, NULL, OPT_STATS },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int xen_dm_parse_args(int argc, char **argv, struct xen_dm_config *cfg,
		      FILE *out, FILE *err)
{
	bool have_domid = false, have_bdf = false;
	unsigned long n;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->page_track = true;
	cfg->aperture_mib = 1024;
	cfg->log_level = GVT_LOG_INFO;
	cfg->domain_check_ms = 1000;
	optind = 0;	/* GNU: start over, for a caller that parses twice */
	opterr = 0;	/* our own messages, to @err */
	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		const char *arg = optarg;

		switch (opt) {
		case OPT_DOMID:
			if (!tool_parse_uint(arg, 10, DOMID_RESERVED - 1, &n) || !n) {
				fprintf(err, "gvt-xen-dm: --domid %s: a guest's domain id, 1 .. %u\n",
					arg, DOMID_RESERVED - 1);
				return -1;
			}
			cfg->domid = (uint16_t)n;
			have_domid = true;
			break;
		case OPT_BDF:
			if (!parse_bdf(arg, cfg)) {
				fprintf(err, "gvt-xen-dm: --bdf %s: [SSSS:]BB:DD.F in hex, device 0 .. 1f, function 0 .. 7\n",
					arg);
				return -1;
			}
			have_bdf = true;
			break;
		case OPT_TYPE:
			cfg->type = arg;
			break;
		case OPT_VCPUS:
			if (!tool_parse_uint(arg, 10, GVT_XEN_VCPUS_MAX, &n) || !n) {
				fprintf(err, "gvt-xen-dm: --vcpus %s: 1 .. %u\n", arg,
					GVT_XEN_VCPUS_MAX);
				return -1;
			}
			cfg->nr_vcpus = (unsigned int)n;
			break;
		case OPT_NO_TRACK:
			cfg->page_track = false;
			break;
		case OPT_APERTURE:
			if (!tool_parse_uint(arg, 10, 1024, &n) || (n != 256 && n != 512 && n != 1024)) {
				fprintf(err, "gvt-xen-dm: --aperture %s: 256, 512 or 1024\n", arg);
				return -1;
			}
			cfg->aperture_mib = (uint32_t)n;
			break;
		case OPT_CONTROL:
			if (!*arg || snprintf(cfg->control, sizeof(cfg->control), "%s", arg) >=
				     (int)sizeof(cfg->control)) {
				fprintf(err, "gvt-xen-dm: --control: a path of 1 .. %zu bytes\n",
					sizeof(cfg->control) - 1);
				return -1;
			}
			break;
		case OPT_TRACE:
			cfg->trace = arg;
			break;
		case OPT_STATS:
			if (!tool_parse_uint(arg, 10, 86400, &n)) {
				fprintf(err, "gvt-xen-dm: --stats-interval %s: seconds, 0 .. 86400\n", arg);
				return -1;
			}
			cfg->stats_interval = (unsigned int)n;
			break;
		case OPT_DAEMON:
			cfg->daemon = true;
			break;
		case OPT_PIDFILE:
			cfg->pidfile = arg;
			break;
		case OPT_SYSLOG:
			cfg->syslog = true;
			break;
		case OPT_LOG_LEVEL:
			if (tool_parse_level(arg) < 0) {
				fprintf(err, "gvt-xen-dm: --log-level %s: error, warning, notice, info or debug\n",
					arg);
				return -1;
			}
			cfg->log_level = tool_parse_level(arg);
			break;
		case 'v':
			if (cfg->log_level < GVT_LOG_DEBUG)
				cfg->log_level++;
			break;
		case OPT_HELP:
			usage(out);
			return 1;
		default:
			fprintf(err, "gvt-xen-dm: %s: unknown option or missing argument\n",
				argv[optind - 1]);
			usage(err);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(err, "gvt-xen-dm: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!have_domid || !have_bdf || !cfg->type) {
		fprintf(err, "gvt-xen-dm: --domid, --bdf and --type are required (--help)\n");
		return -1;
	}
	return 0;
}

/* ---- serving ---- */

static int watch_tag(struct xen_dm *dm, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(dm->epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int xen_dm_watch(struct xen_dm *dm, int fd)
{
	return dm && fd >= 0 ? watch_tag(dm, fd, TAG_WATCHED) : -EINVAL;
}

/* The default socket: the directory gvtctl looks in, one name per domain. */
static int default_control(struct xen_dm *dm)
{
	char dir[XEN_DM_PATH_MAX], *slash;
	int ret = gvt_ctl_default_path(dir, sizeof(dir));

	if (ret)
		return ret;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(dm->cfg.control, sizeof(dm->cfg.control), "%s/xen-dom%u.sock",
		     slash ? dir : ".", dm->cfg.domid) >= (int)sizeof(dm->cfg.control))
		return -ENAMETOOLONG;
	return 0;
}

static int start_timer(struct xen_dm *dm)
{
	unsigned int ms = dm->cfg.domain_check_ms ? dm->cfg.domain_check_ms : 1000;
	struct itimerspec its = {
		.it_interval.tv_sec = ms / 1000,
		.it_interval.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	its.it_value = its.it_interval;
	dm->cfg.domain_check_ms = ms;
	dm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (dm->timer_fd < 0 || timerfd_settime(dm->timer_fd, 0, &its, NULL))
		return -errno;
	return watch_tag(dm, dm->timer_fd, TAG_TIMER);
}

int xen_dm_start(const struct xen_dm_config *cfg,
		 const struct gvt_xen_port_ops *ops, void *port,
		 struct xen_dm **out)
{
	struct gvt_ctx_params cp = { 0 };
	struct gvt_xen_params xp = { 0 };
	struct gvt_vgpu_info info;
	struct xen_dm *dm;
	int ret;

	if (!cfg || !cfg->type || !out)
		return -EINVAL;
	dm = calloc(1, sizeof(*dm));
	if (!dm)
		return -ENOMEM;
	dm->cfg = *cfg;
	dm->epoll_fd = -1;
	dm->timer_fd = -1;
	/* Both log through the sink with the copy, which lives as long as
	 * they do. */
	cp = (struct gvt_ctx_params){
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = cfg->aperture_mib,
		.log_fn = xen_dm_log,
		.log_opaque = &dm->cfg,
		.log_level = cfg->log_level,
	};
	xp = (struct gvt_xen_params){
		.domid = cfg->domid,
		.segment = cfg->segment,
		.bus = cfg->bus,
		.dev = cfg->dev,
		.func = cfg->func,
		.nr_vcpus = cfg->nr_vcpus,
		.page_track = cfg->page_track,
		.log_fn = xen_dm_log,
		.log_opaque = &dm->cfg,
	};

	/* Xen first: without it (or the domain) there is nothing to serve,
	 * and the shim's message says why. */
	ret = ops ? gvt_xen_create_port(&xp, ops, port, &dm->xen) :
		    gvt_xen_create(&xp, &dm->xen);
	if (ret)
		goto fail;
	ret = gvt_ctx_create(&cp, &dm->ctx);
	if (ret) {
		say(&dm->cfg, GVT_LOG_ERR, "cannot create the GPU: %s", strerror(-ret));
		goto fail;
	}
	if (dm->cfg.log_level >= GVT_LOG_DEBUG)
		gvt_ctx_set_debug(dm->ctx, GVT_DBG_ALL);
	ret = gvt_vgpu_create(dm->ctx, dm->cfg.type, gvt_xen_hv_ops(dm->xen), dm->xen,
			      &dm->vgpu);
	if (ret) {
		say(&dm->cfg, GVT_LOG_ERR, "cannot create a vGPU of type %s: %s%s",
		    dm->cfg.type, strerror(-ret),
		    ret == -EINVAL ? " ('gvtctl types' lists the types)" : "");
		goto fail;
	}
	if (dm->cfg.trace) {
		ret = gvt_vgpu_trace_start(dm->vgpu, dm->cfg.trace);
		if (ret) {
			say(&dm->cfg, GVT_LOG_ERR, "cannot record to %s: %s", dm->cfg.trace,
			    strerror(-ret));
			goto fail;
		}
	}
	if (!dm->cfg.control[0]) {
		ret = default_control(dm);
		if (ret) {
			say(&dm->cfg, GVT_LOG_ERR, "no place for the control socket: %s",
			    strerror(-ret));
			goto fail;
		}
	}
	/* No create or destroy on request: this process serves one domain
	 * one vGPU, and the domain's life is its life. gvtctl inspects it. */
	ret = gvt_ctl_serve(dm->ctx, dm->cfg.control, NULL, &dm->ctl);
	if (ret)
		goto fail;	/* libgvt said why */

	dm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (dm->epoll_fd < 0 || (ret = watch_tag(dm, gvt_xen_fd(dm->xen), TAG_XEN)) ||
	    (ret = watch_tag(dm, gvt_ctl_fd(dm->ctl), TAG_CTL)) || (ret = start_timer(dm))) {
		ret = ret ? ret : -errno;
		say(&dm->cfg, GVT_LOG_ERR, "cannot set up the event loop: %s", strerror(-ret));
		goto fail;
	}
	/* Last: from here on Xen sends the guest's accesses. */
	ret = gvt_xen_attach(dm->xen, dm->vgpu);
	if (ret)
		goto fail;
	if (!gvt_vgpu_get_info(dm->vgpu, &info))
		say(&dm->cfg, GVT_LOG_NOTICE,
		    "vgpu%u %s at %04x:%02x:%02x.%u, %s page tracking; control socket %s",
		    info.id, info.type_name, dm->cfg.segment, dm->cfg.bus, dm->cfg.dev,
		    dm->cfg.func, dm->cfg.page_track ? "with" : "without", dm->cfg.control);
	*out = dm;
	return 0;

fail:
	xen_dm_stop(dm);
	return ret;
}

static void on_timer(struct xen_dm *dm, bool *gone)
{
	uint64_t ticks = 0;
	int ret;

	if (read(dm->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	ret = gvt_xen_check_domain(dm->xen);
	if (ret == -ESRCH) {
		*gone = true;
	} else if (ret && !dm->check_failing) {
		say(&dm->cfg, GVT_LOG_WARNING, "cannot ask Xen whether the domain exists: %s",
		    strerror(-ret));
		dm->check_failing = true;
	} else if (!ret) {
		dm->check_failing = false;
	}
	dm->ms_since_report += ticks * dm->cfg.domain_check_ms;
	if (dm->cfg.stats_interval &&
	    dm->ms_since_report >= dm->cfg.stats_interval * 1000ull) {
		xen_dm_report(dm, "interval");
		dm->ms_since_report = 0;
	}
}

int xen_dm_poll(struct xen_dm *dm, int timeout_ms)
{
	struct epoll_event ev[8];
	bool gone = false, watched = false;
	int n;

	if (!dm)
		return -EINVAL;
	n = epoll_wait(dm->epoll_fd, ev, 8, timeout_ms);
	if (n < 0)
		return errno == EINTR ? XEN_DM_IDLE : -errno;
	for (int i = 0; i < n; i++) {
		int ret;

		switch (ev[i].data.u32) {
		case TAG_XEN:
			ret = gvt_xen_dispatch(dm->xen);
			if (ret < 0)
				return ret;	/* the shim said why */
			break;
		case TAG_CTL:
			if (gvt_ctl_dispatch(dm->ctl) < 0)
				say(&dm->cfg, GVT_LOG_ERR, "the control socket failed");
			break;
		case TAG_TIMER:
			on_timer(dm, &gone);
			break;
		case TAG_WATCHED:
			watched = true;
			break;
		}
	}
	return gone ? XEN_DM_DOMAIN_GONE : watched ? XEN_DM_WATCHED : XEN_DM_IDLE;
}

void xen_dm_report(struct xen_dm *dm, const char *why)
{
	struct gvt_xen_stats xs;
	struct gvt_vgpu_stats vs;
	struct gvt_vgpu_info info;
	struct vgpu_latency lat;

	if (!dm || !dm->xen || !dm->vgpu)
		return;
	gvt_xen_get_stats(dm->xen, &xs);
	if (gvt_vgpu_get_stats(dm->vgpu, &vs))
		memset(&vs, 0, sizeof(vs));
	vgpu_latency_of(dm->vgpu, &lat);
	say(&dm->cfg, GVT_LOG_INFO,
	    "figures (%s): requests=%llu pio=%llu copy=%llu pci_config=%llu other=%llu reps=%llu outside=%llu malformed=%llu tracked_writes=%llu spurious=%llu msi=%llu msi_errors=%llu libgvt_ms=%.3f libgvt_ns_per_request=%.0f",
	    why, (unsigned long long)xs.requests, (unsigned long long)xs.pio,
	    (unsigned long long)xs.copy, (unsigned long long)xs.pci_config,
	    (unsigned long long)xs.other, (unsigned long long)xs.reps,
	    (unsigned long long)xs.outside, (unsigned long long)xs.malformed,
	    (unsigned long long)xs.tracked_writes, (unsigned long long)xs.spurious,
	    (unsigned long long)xs.msi, (unsigned long long)xs.msi_errors,
	    (double)xs.libgvt_ns / 1e6,
	    xs.requests ? (double)xs.libgvt_ns / (double)xs.requests : 0.0);
	say(&dm->cfg, GVT_LOG_INFO,
	    "workload figures (%s): workloads=%llu completed=%llu shadow_us_per_workload=%.1f latency_mean_us=%.1f latency_p50_us_below=%llu latency_p99_us_below=%llu",
	    why, (unsigned long long)lat.submitted, (unsigned long long)lat.completed,
	    vs.workloads_shadowed ?
		    (double)vs.shadow_ns / (double)vs.workloads_shadowed / 1e3 : 0.0,
	    lat.mean_us, (unsigned long long)lat.p50_us, (unsigned long long)lat.p99_us);
	if (!gvt_vgpu_get_info(dm->vgpu, &info) && info.failsafe)
		say(&dm->cfg, GVT_LOG_NOTICE, "vgpu%u is in failsafe mode: %s", info.id,
		    info.failsafe_reason);
}

void xen_dm_log_to_syslog(struct xen_dm *dm)
{
	if (dm)
		dm->cfg.syslog = true;
}

const char *xen_dm_control_path(const struct xen_dm *dm)
{
	return dm ? dm->cfg.control : NULL;
}

void xen_dm_stop(struct xen_dm *dm)
{
	if (!dm)
		return;
	xen_dm_report(dm, "exit");
	/* gvtctl first: no request may find the vGPU half gone. Then the vGPU,
	 * which unmaps guest memory and untracks pages through the server. */
	gvt_ctl_close(dm->ctl);
	if (dm->vgpu)
		gvt_vgpu_destroy(dm->vgpu);
	gvt_xen_destroy(dm->xen);
	gvt_ctx_destroy(dm->ctx);
	if (dm->timer_fd >= 0)
		close(dm->timer_fd);
	if (dm->epoll_fd >= 0)
		close(dm->epoll_fd);
	free(dm);
}
