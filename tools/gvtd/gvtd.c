// SPDX-License-Identifier: MIT
/*
 * gvtd: the vfio-user device server. It hosts one physical GPU (pgpu/sim),
 * serves each of its vGPUs to a QEMU (-device vfio-user-pci) on a UNIX
 * socket of its own, and serves the control socket that gvtctl talks to.
 *
 * One thread drives everything from one epoll loop: the control socket,
 * every vGPU's server, a signalfd and a timer. libgvt's calls on a vGPU
 * must be serialised, and one thread is the simplest way to have that for
 * every vGPU and for gvtctl's requests at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <gvt/gvt.h>

#include "vfio_user.h"
#include "tool_util.h"
#include "vgpu_latency.h"

#define GVTD_MAX_VGPUS 7	/* libgvt's ids 1..7 */
#define PATH_LEN 108		/* sun_path */

struct gvtd_vgpu {
	struct gvt_vgpu *vgpu;
	struct gvt_vfu *vfu;
	uint32_t id;
	char socket[PATH_LEN];
	/* For rates between two reports. */
	uint64_t last_exits;
	uint64_t last_ns;
};

struct gvtd_config {
	uint32_t aperture_mib;
	const char *control;		/* NULL: libgvt's default */
	const char *socket_dir;		/* NULL: the control socket's directory */
	const char *trace_dir;		/* NULL: no recording */
	bool syslog;
	int log_level;
	unsigned int stats_interval;	/* seconds; 0: none */
	/* vGPUs to create at start. */
	struct {
		char *type;
		char *socket;
		char *trace;
	} start[GVTD_MAX_VGPUS];
	unsigned int num_start;
};

static struct gvtd {
	struct gvtd_config cfg;
	struct gvt_ctx *ctx;
	struct gvt_ctl *ctl;
	int epoll_fd;
	int signal_fd;
	int timer_fd;
	char socket_dir[PATH_LEN];
	unsigned int created;		/* vGPUs created so far, for trace names */
	struct gvtd_vgpu vgpus[GVTD_MAX_VGPUS];
} gvtd = { .epoll_fd = -1, .signal_fd = -1, .timer_fd = -1 };

/* ---- logging: libgvt's sink, and ours through it ---- */

static void log_sink(void *opaque, int level, const char *msg)
{
	(void)opaque;
	if (gvtd.cfg.syslog)
		syslog(level, "%s", msg);
	else
		fprintf(stderr, "gvtd: %s: %s\n", tool_level_name(level), msg);
}

static void say(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > gvtd.cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_sink(NULL, level, line);
}

/* ---- vGPUs ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The figures the issues ask gvtd for, per vGPU: MMIO accesses, exits per
 * second since the last report, the time spent inside libgvt; and per
 * workload: exits, time spent scanning and shadowing it, and the latency
 * the guest sees from its ELSP write to the completion event. */
static void report(struct gvtd_vgpu *v, const char *why)
{
	struct gvt_vfu_stats s;
	struct gvt_vgpu_stats vs;
	struct vgpu_latency lat;
	uint64_t now = now_ns();
	double secs = (double)(now - v->last_ns) / 1e9;

	gvt_vfu_get_stats(v->vfu, &s);
	if (gvt_vgpu_get_stats(v->vgpu, &vs))
		memset(&vs, 0, sizeof(vs));
	vgpu_latency_of(v->vgpu, &lat);
	say(GVT_LOG_INFO,
	    "vgpu%u figures (%s): client=%s mmio_accesses=%llu cfg_accesses=%llu aperture_accesses=%llu exits=%llu exits_per_s=%.0f libgvt_ms=%.3f libgvt_ns_per_exit=%.0f irqs=%llu dma_maps=%llu protocol_errors=%llu",
	    v->id, why, gvt_vfu_connected(v->vfu) ? "connected" : "none",
	    (unsigned long long)s.mmio_accesses, (unsigned long long)s.cfg_accesses,
	    (unsigned long long)s.aperture_accesses, (unsigned long long)s.exits,
	    secs > 0 ? (double)(s.exits - v->last_exits) / secs : 0.0,
	    (double)s.libgvt_ns / 1e6,
	    s.exits ? (double)s.libgvt_ns / (double)s.exits : 0.0,
	    (unsigned long long)s.irqs_signalled, (unsigned long long)s.dma_maps,
	    (unsigned long long)s.protocol_errors);
	say(GVT_LOG_INFO,
	    "vgpu%u workload figures (%s): workloads=%llu completed=%llu exits_per_workload=%.1f shadow_us_per_workload=%.1f latency_mean_us=%.1f latency_p50_us_below=%llu latency_p99_us_below=%llu",
	    v->id, why, (unsigned long long)lat.submitted,
	    (unsigned long long)lat.completed,
	    lat.submitted ? (double)s.exits / (double)lat.submitted : 0.0,
	    vs.workloads_shadowed ?
		    (double)vs.shadow_ns / (double)vs.workloads_shadowed / 1e3 : 0.0,
	    lat.mean_us, (unsigned long long)lat.p50_us,
	    (unsigned long long)lat.p99_us);
	v->last_exits = s.exits;
	v->last_ns = now;
}

static struct gvtd_vgpu *slot_of(const struct gvt_vgpu *vgpu)
{
	for (unsigned int i = 0; i < GVTD_MAX_VGPUS; i++)
		if (gvtd.vgpus[i].vgpu && gvtd.vgpus[i].vgpu == vgpu)
			return &gvtd.vgpus[i];
	return NULL;
}

static int watch(int fd, void *what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = what };

	return epoll_ctl(gvtd.epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int vgpu_create(const char *type, const char *socket, const char *trace,
		       struct gvt_vgpu **out)
{
	struct gvt_vgpu_placement at = {
		.aperture_base = GVT_PLACE_ANY,
		.hidden_base = GVT_PLACE_ANY,
	};
	struct gvt_vfu_params params = {
		.connected_fd = -1,
		.log_fn = log_sink,
		.log_level = gvtd.cfg.log_level,
	};
	struct gvtd_vgpu *v = NULL;
	char path[PATH_LEN], trace_path[PATH_MAX];
	int ret;

	/* gvtd owns every vGPU of its GPU, so the lowest free slot is the
	 * lowest free id, and the socket can be named before creation. */
	for (unsigned int i = 0; i < GVTD_MAX_VGPUS && !v; i++)
		if (!gvtd.vgpus[i].vgpu)
			v = &gvtd.vgpus[i];
	if (!v)
		return -ENOSPC;
	at.id = (uint32_t)(v - gvtd.vgpus) + 1;
	if (!socket) {
		if (snprintf(path, sizeof(path), "%s/vgpu%u.sock", gvtd.socket_dir,
			     at.id) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		socket = path;
	}
	params.socket_path = socket;
	ret = gvt_vfu_create(&params, &v->vfu);
	if (ret)
		return ret;
	ret = gvt_vgpu_create_placed(gvtd.ctx, type, &at, &gvt_vfu_hv_ops, v->vfu,
				     &v->vgpu);
	if (ret)
		goto out_vfu;
	gvt_vfu_attach(v->vfu, v->vgpu);
	v->id = at.id;
	snprintf(v->socket, sizeof(v->socket), "%s", socket);
	v->last_ns = now_ns();
	v->last_exits = 0;

	if (!trace && gvtd.cfg.trace_dir) {
		/* Numbered by creation, so a vGPU that reuses an id does not
		 * overwrite its predecessor's recording. */
		snprintf(trace_path, sizeof(trace_path), "%s/vgpu%u-%u.trace",
			 gvtd.cfg.trace_dir, at.id, ++gvtd.created);
		trace = trace_path;
	}
	if (trace) {
		ret = gvt_vgpu_trace_start(v->vgpu, trace);
		if (ret) {
			say(GVT_LOG_ERR, "vgpu%u: cannot record to %s: %s", at.id,
			    trace, strerror(-ret));
			goto out_vgpu;
		}
	}
	ret = watch(gvt_vfu_fd(v->vfu), v);
	if (ret)
		goto out_vgpu;
	printf("gvtd: vgpu%u %s on %s\n", at.id, type, socket);
	fflush(stdout);
	if (out)
		*out = v->vgpu;
	return 0;

out_vgpu:
	gvt_vgpu_destroy(v->vgpu);
out_vfu:
	gvt_vfu_destroy(v->vfu);
	memset(v, 0, sizeof(*v));
	return ret;
}

static void vgpu_destroy(struct gvtd_vgpu *v)
{
	report(v, "destroyed");
	/* The vGPU first: it unmaps guest pages through the server. */
	gvt_vgpu_destroy(v->vgpu);
	gvt_vfu_destroy(v->vfu);
	memset(v, 0, sizeof(*v));
}

static int ctl_create(void *opaque, const char *type, struct gvt_vgpu **out)
{
	(void)opaque;
	return vgpu_create(type, NULL, NULL, out);
}

static int ctl_destroy(void *opaque, struct gvt_vgpu *vgpu)
{
	struct gvtd_vgpu *v = slot_of(vgpu);

	(void)opaque;
	if (!v)
		return -ENOENT;
	vgpu_destroy(v);
	return 0;
}

/* ---- configuration ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gvtd [OPTION]...\n"
		"Serve vGPUs of a software Skylake GT2 to QEMU over vfio-user.\n"
		"  --vgpu TYPE[,socket=PATH][,trace=PATH]\n"
		"                        create a vGPU of TYPE at start (repeatable); its\n"
		"                        socket defaults to SOCKET_DIR/vgpuN.sock\n"
		"  --config FILE         read options from FILE: one per line, without the\n"
		"                        dashes (\"vgpu GVTg_V5_4 socket=/run/v1.sock\"); # comments\n"
		"  --aperture MIB        host aperture: 256, 512 or 1024 (default 1024)\n"
		"  --control PATH        the control socket for gvtctl (default\n"
		"                        $XDG_RUNTIME_DIR/gvt/gvt.sock or /run/gvt/gvt.sock)\n"
		"  --socket-dir DIR      where vGPU sockets go (default: the control socket's)\n"
		"  --trace-dir DIR       record each vGPU's accesses to DIR/vgpuN-SEQ.trace\n"
		"                        (SEQ counts the vGPUs this gvtd created)\n"
		"  --stats-interval SEC  log each vGPU's figures every SEC seconds\n"
		"                        (always: on SIGUSR1, when a client leaves, at exit)\n"
		"  --syslog              log to syslog instead of stderr\n"
		"  --log-level LEVEL     error, warning, notice, info (default) or debug\n"
		"  -v                    one level more verbose\n"
		"QEMU side: -object memory-backend-memfd,id=mem,size=RAM,share=on\n"
		"           -numa node,memdev=mem\n"
		"           -device '{\"driver\":\"vfio-user-pci\",\"socket\":{\"type\":\"unix\",\"path\":\"SOCKET\"}}'\n");
}

/* Strings the configuration keeps (config-file arguments, vGPU specs):
 * owned here, freed at exit. */
static struct {
	char **s;
	size_t n;
} kept;

static char *keep(const char *str)
{
	char **grown = realloc(kept.s, (kept.n + 1) * sizeof(*kept.s));
	char *copy = strdup(str);

	if (grown)
		kept.s = grown;
	if (!grown || !copy) {
		free(copy);
		fprintf(stderr, "gvtd: out of memory\n");
		return NULL;
	}
	kept.s[kept.n++] = copy;
	return copy;
}

static void free_kept(void)
{
	for (size_t i = 0; i < kept.n; i++)
		free(kept.s[i]);
	free(kept.s);
}

/* "TYPE[,socket=PATH][,trace=PATH]" */
static int add_vgpu(const char *spec)
{
	struct gvtd_config *c = &gvtd.cfg;
	char *copy, *save = NULL, *tok;

	if (c->num_start == GVTD_MAX_VGPUS) {
		fprintf(stderr, "gvtd: at most %u vGPUs\n", GVTD_MAX_VGPUS);
		return -1;
	}
	copy = keep(spec);
	if (!copy)
		return -1;
	tok = strtok_r(copy, ",", &save);
	if (!tok) {
		fprintf(stderr, "gvtd: --vgpu needs a type\n");
		return -1;
	}
	c->start[c->num_start].type = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "socket=", 7) && tok[7]) {
			c->start[c->num_start].socket = tok + 7;
		} else if (!strncmp(tok, "trace=", 6) && tok[6]) {
			c->start[c->num_start].trace = tok + 6;
		} else {
			fprintf(stderr, "gvtd: --vgpu %s: unknown '%s'\n", spec, tok);
			return -1;
		}
	}
	c->num_start++;
	return 0;
}

enum { OPT_VGPU = 256, OPT_CONFIG, OPT_APERTURE, OPT_CONTROL, OPT_SOCKET_DIR,
       OPT_TRACE_DIR, OPT_STATS, OPT_SYSLOG, OPT_LOG_LEVEL, OPT_HELP };

static const struct option longopts[] = {
	{ "vgpu", required_argument, NULL, OPT_VGPU },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "aperture", required_argument, NULL, OPT_APERTURE },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "socket-dir", required_argument, NULL, OPT_SOCKET_DIR },
	{ "trace-dir", required_argument, NULL, OPT_TRACE_DIR },
	{ "stats-interval", required_argument, NULL, OPT_STATS },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int read_config(const char *path, unsigned int depth);

/* One option, from the command line or a config file; @arg is kept. */
static int apply_option(int opt, char *arg, unsigned int depth)
{
	struct gvtd_config *c = &gvtd.cfg;
	unsigned long n;

	switch (opt) {
	case OPT_VGPU:
		return add_vgpu(arg);
	case OPT_CONFIG:
		return read_config(arg, depth + 1);
	case OPT_APERTURE:
		if (!tool_parse_uint(arg, 10, 1024, &n) || (n != 256 && n != 512 && n != 1024)) {
			fprintf(stderr, "gvtd: --aperture %s: 256, 512 or 1024\n", arg);
			return -1;
		}
		c->aperture_mib = (uint32_t)n;
		return 0;
	case OPT_CONTROL:
		c->control = arg;
		return 0;
	case OPT_SOCKET_DIR:
		c->socket_dir = arg;
		return 0;
	case OPT_TRACE_DIR:
		c->trace_dir = arg;
		return 0;
	case OPT_STATS:
		if (!tool_parse_uint(arg, 10, 86400, &n)) {
			fprintf(stderr, "gvtd: --stats-interval %s: seconds, 0 .. 86400\n", arg);
			return -1;
		}
		c->stats_interval = (unsigned int)n;
		return 0;
	case OPT_SYSLOG:
		c->syslog = true;
		return 0;
	case OPT_LOG_LEVEL:
		if (tool_parse_level(arg) < 0) {
			fprintf(stderr, "gvtd: --log-level %s: error, warning, notice, info or debug\n",
				arg);
			return -1;
		}
		c->log_level = tool_parse_level(arg);
		return 0;
	case 'v':
		if (c->log_level < GVT_LOG_DEBUG)
			c->log_level++;
		return 0;
	case OPT_HELP:
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		return -1;
	}
}

static int read_config(const char *path, unsigned int depth)
{
	const char *const space = " \t\r\n";
	unsigned int lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	if (depth > 4) {
		fprintf(stderr, "gvtd: %s: config files nest too deep\n", path);
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "gvtd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!ret && getline(&line, &cap, f) >= 0) {
		char *key, *arg, *save = NULL, *hash = strchr(line, '#');
		const struct option *o;

		lineno++;
		if (hash)
			*hash = '\0';
		key = strtok_r(line, space, &save);
		if (!key)
			continue;
		arg = strtok_r(NULL, space, &save);
		for (o = longopts; o->name && strcmp(o->name, key); o++)
			;
		if (!o->name || o->val == OPT_HELP ||
		    (o->has_arg == required_argument) != (arg != NULL)) {
			fprintf(stderr, "gvtd: %s:%u: '%s' is not an option%s\n", path,
				lineno, key, o->name ? " here, or has the wrong arguments" : "");
			ret = -1;
			break;
		}
		/* The vgpu line's words after the type are its settings; joined
		 * with commas they are never longer than the line. */
		if (o->val == OPT_VGPU) {
			char *spec = malloc(strlen(arg) + cap + 1), *more;

			if (!spec) {
				ret = -1;
				break;
			}
			strcpy(spec, arg);
			while ((more = strtok_r(NULL, space, &save)))
				strcat(strcat(spec, ","), more);
			ret = add_vgpu(spec);
			free(spec);
			continue;
		}
		if (strtok_r(NULL, space, &save)) {
			fprintf(stderr, "gvtd: %s:%u: '%s' takes one argument\n", path,
				lineno, key);
			ret = -1;
			break;
		}
		if (arg && !(arg = keep(arg))) {
			ret = -1;
			break;
		}
		ret = apply_option(o->val, arg, depth);
	}
	free(line);
	fclose(f);
	return ret;
}

/* ---- the loop ---- */

static int setup(void)
{
	static const struct gvt_ctl_ops ctl_ops = {
		.vgpu_create = ctl_create,
		.vgpu_destroy = ctl_destroy,
	};
	struct gvt_ctx_params params = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = gvtd.cfg.aperture_mib,
		.log_fn = log_sink,
		.log_level = gvtd.cfg.log_level,
	};
	struct gvt_ctl_params cp = { .ops = &ctl_ops };
	char control[PATH_LEN];
	int ret;

	/* Every signal that would end the process ends it cleanly: vGPUs
	 * destroyed (traces completed), sockets removed. */
	gvtd.signal_fd = tool_signal_fd();
	gvtd.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (gvtd.signal_fd < 0 || gvtd.epoll_fd < 0 || watch(gvtd.signal_fd, &gvtd.signal_fd)) {
		ret = -errno;
		say(GVT_LOG_ERR, "cannot set up the event loop: %s", strerror(-ret));
		return ret;
	}

	ret = gvt_ctx_create(&params, &gvtd.ctx);
	if (ret) {
		say(GVT_LOG_ERR, "cannot create the GPU: %s", strerror(-ret));
		return ret;
	}
	if (gvtd.cfg.log_level >= GVT_LOG_DEBUG)
		gvt_ctx_set_debug(gvtd.ctx, GVT_DBG_ALL);
	if (gvtd.cfg.control) {
		if (snprintf(control, sizeof(control), "%s", gvtd.cfg.control) >=
		    (int)sizeof(control)) {
			say(GVT_LOG_ERR, "--control: longer than %zu bytes: %s",
			    sizeof(control) - 1, gvtd.cfg.control);
			return -ENAMETOOLONG;
		}
	} else {
		ret = gvt_ctl_default_path(control, sizeof(control));
		if (ret)
			return ret;
	}
	ret = gvt_ctl_serve(gvtd.ctx, control, &cp, &gvtd.ctl);
	if (ret)
		return ret; /* libgvt said why */
	ret = watch(gvt_ctl_fd(gvtd.ctl), &gvtd.ctl);
	if (ret)
		return ret;

	if (gvtd.cfg.socket_dir) {
		snprintf(gvtd.socket_dir, sizeof(gvtd.socket_dir), "%s", gvtd.cfg.socket_dir);
	} else {
		char *slash;

		snprintf(gvtd.socket_dir, sizeof(gvtd.socket_dir), "%s", control);
		slash = strrchr(gvtd.socket_dir, '/');
		if (!slash)
			snprintf(gvtd.socket_dir, sizeof(gvtd.socket_dir), ".");
		else
			slash[slash == gvtd.socket_dir] = '\0'; /* "/x.sock": "/" */
	}

	if (gvtd.cfg.stats_interval) {
		struct itimerspec its = {
			.it_interval.tv_sec = gvtd.cfg.stats_interval,
			.it_value.tv_sec = gvtd.cfg.stats_interval,
		};

		gvtd.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (gvtd.timer_fd < 0 || timerfd_settime(gvtd.timer_fd, 0, &its, NULL) ||
		    watch(gvtd.timer_fd, &gvtd.timer_fd)) {
			ret = -errno;
			say(GVT_LOG_ERR, "cannot start the figures timer: %s", strerror(-ret));
			return ret;
		}
	}

	for (unsigned int i = 0; i < gvtd.cfg.num_start; i++) {
		ret = vgpu_create(gvtd.cfg.start[i].type, gvtd.cfg.start[i].socket,
				  gvtd.cfg.start[i].trace, NULL);
		if (ret) {
			say(GVT_LOG_ERR, "cannot create a vGPU of type %s: %s",
			    gvtd.cfg.start[i].type, strerror(-ret));
			return ret;
		}
	}
	printf("gvtd: ready; control socket %s\n", control);
	fflush(stdout);
	return 0;
}

static void report_all(const char *why)
{
	for (unsigned int i = 0; i < GVTD_MAX_VGPUS; i++)
		if (gvtd.vgpus[i].vgpu)
			report(&gvtd.vgpus[i], why);
}

/* Return: true to keep running. */
static bool handle_signals(void)
{
	struct signalfd_siginfo si;
	bool run = true;

	while (read(gvtd.signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			report_all("SIGUSR1");
		} else {
			say(GVT_LOG_INFO, "%s: shutting down", strsignal((int)si.ssi_signo));
			run = false;
		}
	}
	return run;
}

static void serve_vgpu(struct gvtd_vgpu *v)
{
	bool was = gvt_vfu_connected(v->vfu);
	int ret = gvt_vfu_dispatch(v->vfu);

	if (ret < 0)
		say(GVT_LOG_ERR, "vgpu%u: serving failed: %s", v->id, strerror(-ret));
	if (was && !gvt_vfu_connected(v->vfu)) {
		report(v, "client left");
	} else if (!was && gvt_vfu_connected(v->vfu)) {
		struct gvt_vfu_stats s;

		/* Rates count from the client's arrival. */
		gvt_vfu_get_stats(v->vfu, &s);
		v->last_ns = now_ns();
		v->last_exits = s.exits;
	}
}

static int run(void)
{
	bool running = true;

	while (running) {
		struct epoll_event ev[16];
		int n = epoll_wait(gvtd.epoll_fd, ev, 16, -1);

		if (n < 0 && errno != EINTR) {
			say(GVT_LOG_ERR, "epoll: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			void *what = ev[i].data.ptr;

			if (what == &gvtd.signal_fd) {
				running = handle_signals() && running;
			} else if (what == &gvtd.timer_fd) {
				uint64_t ticks;

				if (read(gvtd.timer_fd, &ticks, sizeof(ticks)) > 0)
					report_all("interval");
			} else if (what == &gvtd.ctl) {
				if (gvt_ctl_dispatch(gvtd.ctl) < 0)
					say(GVT_LOG_ERR, "control socket failed");
			} else {
				struct gvtd_vgpu *v = what;

				/* A vGPU gvtctl destroyed in this same round
				 * leaves a stale event; its slot is empty. */
				if (v->vgpu)
					serve_vgpu(v);
			}
		}
	}
	return 0;
}

static void teardown(void)
{
	for (unsigned int i = 0; i < GVTD_MAX_VGPUS; i++)
		if (gvtd.vgpus[i].vgpu)
			vgpu_destroy(&gvtd.vgpus[i]);
	gvt_ctl_close(gvtd.ctl);
	gvt_ctx_destroy(gvtd.ctx);
	if (gvtd.timer_fd >= 0)
		close(gvtd.timer_fd);
	if (gvtd.signal_fd >= 0)
		close(gvtd.signal_fd);
	if (gvtd.epoll_fd >= 0)
		close(gvtd.epoll_fd);
}

int main(int argc, char **argv)
{
	int opt, ret;

	gvtd.cfg.aperture_mib = 1024;
	gvtd.cfg.log_level = GVT_LOG_INFO;
	atexit(free_kept);
	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1)
		if (apply_option(opt, optarg, 0))
			return 2;
	if (optind < argc) {
		fprintf(stderr, "gvtd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (gvtd.cfg.syslog)
		openlog("gvtd", LOG_PID, LOG_DAEMON);

	ret = setup();
	if (!ret)
		ret = run();
	teardown();
	say(GVT_LOG_INFO, "stopped");
	return ret ? 1 : 0;
}
