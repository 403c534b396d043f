// SPDX-License-Identifier: MIT
/*
 * The trace replayer. A trace is untrusted text: every line is checked
 * before anything runs, a malformed one stops the trace with its line
 * number, and nothing in it can make the replayer crash or reach memory
 * outside the mock guest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gvt/gvt.h>

#include "mock_hv.h"
#include "replay.h"

#define MAX_TRACE_VGPUS 8
#define MAX_WORDS 10
#define DEFAULT_RAM_MIB 256
#define MAX_RAM_MIB (64u << 10)	/* 64 GiB: sparse, costs only what is used */

struct trace_vgpu {
	struct gvt_vgpu *vgpu;		/* NULL once destroyed */
	struct mock_hv *hv;
	unsigned int msis_seen;		/* MSIs counted by earlier msi lines */
	unsigned int engines;		/* the vGPU's */
	/* Per engine: workloads the done lines so far say the guest was
	 * told of, and so the most libgvt may deliver (the limit). */
	uint64_t done_target[GVT_ENGINES_MAX];
};

struct replay {
	struct replay_report *rep;
	unsigned int line;
	bool header_seen;
	char platform[16];
	uint32_t aperture_mib;
	struct gvt_ctx *ctx;
	struct trace_vgpu v[MAX_TRACE_VGPUS + 1];	/* by trace id */
	unsigned int num_vgpus;				/* created so far */
	char last_log[256];				/* libgvt's last error */
};

__attribute__((format(printf, 2, 3)))
static void report(struct replay *r, const char *fmt, ...)
{
	struct replay_report *rep = r->rep;
	va_list ap;

	rep->failures++;
	if (rep->reported >= REPLAY_MAX_REPORTED)
		return;
	rep->error[rep->reported].line = r->line;
	va_start(ap, fmt);
	vsnprintf(rep->error[rep->reported].message,
		  sizeof(rep->error[0].message), fmt, ap);
	va_end(ap);
	rep->reported++;
}

static void log_sink(void *opaque, int level, const char *msg)
{
	struct replay *r = opaque;

	if (level <= GVT_LOG_ERR)
		snprintf(r->last_log, sizeof(r->last_log), "%s", msg);
	if (r->rep->verbose)
		fprintf(stderr, "libgvt: %s\n", msg);
}

/* Decimal or 0x-hex, as the format says: no octal, no sign. */
static bool parse_num(const char *s, uint64_t *v)
{
	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	char *end;

	if (!s || !*digits || !strchr(hex ? "0123456789abcdefABCDEF" : "0123456789", *digits))
		return false;
	errno = 0;
	*v = strtoull(digits, &end, hex ? 16 : 10);
	return !errno && !*end;
}

/* VALUE, VALUE/MASK or (if allowed) "*". */
static bool parse_expect(const char *s, uint64_t *value, uint64_t *mask,
			 bool *any)
{
	char buf[64];
	char *slash;

	*any = !strcmp(s, "*");
	*mask = ~0ull;
	if (*any)
		return true;
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!parse_num(slash + 1, mask))
			return false;
	}
	return parse_num(buf, value);
}

static bool valid_size(uint64_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t size_mask(uint64_t size)
{
	return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The trace vGPU a line names; reports and returns NULL if none. */
static struct trace_vgpu *lookup(struct replay *r, const char *word)
{
	uint64_t id;

	if (!parse_num(word, &id) || !id || id > r->num_vgpus) {
		report(r, "no vGPU '%s' in this trace", word);
		return NULL;
	}
	if (!r->v[id].vgpu) {
		report(r, "vGPU %llu was destroyed", (unsigned long long)id);
		return NULL;
	}
	return &r->v[id];
}

static int ensure_ctx(struct replay *r)
{
	struct gvt_ctx_params p = {
		.platform = GVT_PLATFORM_SKL,
		.backend = GVT_BACKEND_SIM,
		.aperture_mib = r->aperture_mib,
		.log_fn = log_sink,
		.log_opaque = r,
		.log_level = r->rep->verbose ? GVT_LOG_DEBUG : GVT_LOG_WARNING,
	};
	int ret;

	if (r->ctx)
		return 0;
	if (strcmp(r->platform, "skl")) {
		report(r, "platform '%s' is not supported (only skl)", r->platform);
		return -EINVAL;
	}
	ret = gvt_ctx_create(&p, &r->ctx);
	if (ret)
		report(r, "cannot create the GPU: %s", r->last_log[0] ? r->last_log : strerror(-ret));
	return ret;
}

/* Let libgvt tell the guest of no more than @limit workloads on engine @e
 * in all (gvt_vgpu_limit_completions()). */
static int limit_completions(struct replay *r, struct trace_vgpu *tv,
			     unsigned int e, uint64_t limit)
{
	r->last_log[0] = '\0';
	if (!gvt_vgpu_limit_completions(tv->vgpu, e, limit))
		return 0;
	report(r, "cannot limit completions on engine %u: %s", e,
	       r->last_log[0] ? r->last_log : "refused");
	return -EINVAL;
}

/*
 * The recorded guest may have read a register while its GPU was still at
 * work; a replay's GPU runs at its own pace and could complete a later
 * workload before that read. So libgvt tells the replay's guest of a
 * workload only once the done lines so far say the recorded guest was
 * told: every engine starts held, and each done line lets its workloads
 * through.
 */
static int hold_completions(struct replay *r, struct trace_vgpu *tv)
{
	uint32_t ports[GVT_ENGINES_MAX];
	unsigned int writes;
	int n = gvt_vgpu_submit_ports(tv->vgpu, ports, GVT_ENGINES_MAX, &writes);

	/* One submit port per engine. */
	tv->engines = n > 0 ? (unsigned int)n : 0;
	for (unsigned int e = 0; e < tv->engines; e++)
		if (limit_completions(r, tv, e, tv->done_target[e]))
			return -EINVAL;
	return 0;
}

/* vgpu ID TYPE [ram=MIB] [id=N] [aperture=GM] [hidden=GM] [fences=A,B,...] */
static int cmd_vgpu(struct replay *r, char **w, int n)
{
	struct gvt_vgpu_placement at = {
		.aperture_base = GVT_PLACE_ANY,
		.hidden_base = GVT_PLACE_ANY,
	};
	uint64_t id, ram = DEFAULT_RAM_MIB, v;
	struct trace_vgpu *tv;
	int ret;

	if (n < 3 || !parse_num(w[1], &id)) {
		report(r, "usage: vgpu ID TYPE [ram=MIB]");
		return -EINVAL;
	}
	if (id != r->num_vgpus + 1 || id > MAX_TRACE_VGPUS) {
		report(r, "vGPU ids go 1, 2, ... in order (up to %u); expected %u, got %llu",
		       MAX_TRACE_VGPUS, r->num_vgpus + 1, (unsigned long long)id);
		return -EINVAL;
	}
	for (int i = 3; i < n; i++) {
		char *eq = strchr(w[i], '=');
		const char *val = eq ? eq + 1 : "";
		bool ok = eq != NULL;

		if (eq)
			*eq = '\0';
		if (ok && !strcmp(w[i], "ram"))
			ok = parse_num(val, &ram) && ram && ram <= MAX_RAM_MIB;
		else if (ok && !strcmp(w[i], "id"))
			ok = parse_num(val, &v) && v && v <= 64 && (at.id = (uint32_t)v, true);
		else if (ok && !strcmp(w[i], "aperture"))
			ok = parse_num(val, &at.aperture_base);
		else if (ok && !strcmp(w[i], "hidden"))
			ok = parse_num(val, &at.hidden_base);
		else if (ok && !strcmp(w[i], "fences")) {
			char list[64];
			char *save = NULL;

			ok = strlen(val) < sizeof(list);
			if (ok)
				strcpy(list, val);
			for (char *f = ok ? strtok_r(list, ",", &save) : NULL; f && ok;
			     f = strtok_r(NULL, ",", &save)) {
				ok = at.fence_count < GVT_FENCES_PER_VGPU_MAX &&
				     parse_num(f, &v) && v < 64;
				if (ok)
					at.fence_index[at.fence_count++] = (uint32_t)v;
			}
		} else {
			ok = false;
		}
		if (!ok) {
			report(r, "bad vgpu option '%s%s%s'", w[i], eq ? "=" : "", val);
			return -EINVAL;
		}
	}
	if (ensure_ctx(r))
		return -EINVAL;
	tv = &r->v[id];
	ret = mock_hv_create(ram << 20, &tv->hv);
	if (!ret)
		ret = gvt_vgpu_create_placed(r->ctx, w[2], &at, &mock_hv_ops,
					     tv->hv, &tv->vgpu);
	if (ret) {
		report(r, "cannot create vGPU %llu (%s): %s", (unsigned long long)id,
		       w[2], r->last_log[0] ? r->last_log : strerror(-ret));
		mock_hv_destroy(tv->hv);
		tv->hv = NULL;
		return -EINVAL;
	}
	r->num_vgpus++;
	return hold_completions(r, tv);
}

enum space { CFG, BAR0, BAR2, RAM };

/* cw/w/aw/mw ID OFF SIZE VALUE and cr/r/ar/mr ID OFF SIZE VALUE[/MASK]|* */
static int cmd_access(struct replay *r, char **w, int n, enum space space,
		      bool write)
{
	static const char *const names[] = { "config", "BAR0", "BAR2", "RAM" };
	uint64_t off, size, value = 0, mask, got = 0;
	struct trace_vgpu *tv;
	bool any;
	int ret;

	if (n != 5 || !parse_num(w[2], &off) || !parse_num(w[3], &size) ||
	    !valid_size(size) ||
	    !(write ? parse_num(w[4], &value) && (mask = ~0ull, any = false, true) :
		      parse_expect(w[4], &value, &mask, &any)) ||
	    (any && space != BAR0)) {
		report(r, "usage: %s ID OFF SIZE(1,2,4,8) VALUE%s", w[0],
		       write ? "" : space == BAR0 ? "[/MASK]|*" : "[/MASK]");
		return -EINVAL;
	}
	if (!any && (value & ~size_mask(size))) {
		report(r, "value 0x%llx does not fit in %llu bytes",
		       (unsigned long long)value, (unsigned long long)size);
		return -EINVAL;
	}
	if (r->rep->until_submission && space == BAR0 && write &&
	    (off & 0xfff) == 0x230 && off < 0x200000) {
		r->rep->stopped_at_submission = true;
		return 1;
	}
	if (space == CFG && off > UINT32_MAX) {
		report(r, "config offset 0x%llx is out of range", (unsigned long long)off);
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	r->last_log[0] = '\0';
	switch (space) {
	case CFG:
		ret = write ? gvt_vgpu_cfg_write(tv->vgpu, (uint32_t)off, &value, (uint32_t)size) :
			      gvt_vgpu_cfg_read(tv->vgpu, (uint32_t)off, &got, (uint32_t)size);
		break;
	case BAR0:
		ret = write ? gvt_vgpu_mmio_write(tv->vgpu, off, &value, (uint32_t)size) :
			      gvt_vgpu_mmio_read(tv->vgpu, off, &got, (uint32_t)size);
		break;
	case BAR2:
		ret = write ? gvt_vgpu_aperture_write(tv->vgpu, off, &value, (uint32_t)size) :
			      gvt_vgpu_aperture_read(tv->vgpu, off, &got, (uint32_t)size);
		break;
	default:
		if (off >= tv->hv->ram_size || size > tv->hv->ram_size - off) {
			report(r, "guest address 0x%llx is outside the vGPU's %llu MiB of RAM",
			       (unsigned long long)off,
			       (unsigned long long)(tv->hv->ram_size >> 20));
			return -EINVAL;
		}
		/* The guest writes its RAM; libgvt hears of it if it
		 * protects that page, as a shim would report it. */
		if (write) {
			/* A write across a page is two, as a shim reports it. */
			uint64_t first = 4096 - (off & 4095);

			if (first >= size) {
				ret = gvt_vgpu_page_write(tv->vgpu, off, &value, (uint32_t)size);
			} else {
				ret = gvt_vgpu_page_write(tv->vgpu, off, &value, (uint32_t)first);
				if (!ret)
					ret = gvt_vgpu_page_write(tv->vgpu, off + first,
								  (uint8_t *)&value + first,
								  (uint32_t)(size - first));
			}
		} else {
			memcpy(&got, tv->hv->ram + off, size);
			ret = 0;
		}
		break;
	}
	if (ret) {
		report(r, "%s %s at 0x%llx refused: %s", names[space],
		       write ? "write" : "read", (unsigned long long)off,
		       r->last_log[0] ? r->last_log : strerror(-ret));
		return -EINVAL;
	}
	if (write || any)
		return 0;
	if ((got & mask) != (value & mask)) {
		if (mask == ~0ull)
			report(r, "%s %s 0x%llx: expected 0x%llx, got 0x%llx", w[0],
			       w[1], (unsigned long long)off,
			       (unsigned long long)value, (unsigned long long)got);
		else
			report(r, "%s %s 0x%llx: expected 0x%llx under mask 0x%llx, got 0x%llx",
			       w[0], w[1], (unsigned long long)off,
			       (unsigned long long)(value & mask),
			       (unsigned long long)mask,
			       (unsigned long long)(got & mask));
		return 0; /* a mismatch, not a broken trace: go on */
	}
	r->rep->checks++;
	return 0;
}

static unsigned int wait_timeout_ms(const struct replay *r)
{
	return r->rep->idle_timeout_ms ? r->rep->idle_timeout_ms :
					 REPLAY_IDLE_TIMEOUT_MS;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * What the GPU thread raises arrives when the sim gets there, which in a
 * replay may be later than in the recording: a done, msi or intx line
 * waits (up to the idle timeout) for what it expects before comparing.
 * Earlier cannot be: completions are held until their done line
 * (hold_completions()), and what the guest sees of the GPU comes with
 * them.
 */
static bool wait_until(const struct replay *r, bool (*done)(const struct trace_vgpu *, uint64_t),
		       const struct trace_vgpu *tv, uint64_t want)
{
	uint64_t deadline = now_ms() + wait_timeout_ms(r);

	while (!done(tv, want)) {
		const struct timespec ms = { 0, 1000 * 1000 };

		if (now_ms() >= deadline)
			return false;
		nanosleep(&ms, NULL);
	}
	return true;
}

static bool msis_arrived(const struct trace_vgpu *tv, uint64_t count)
{
	return tv->hv->num_msi - tv->msis_seen >= count;
}

static bool intx_at(const struct trace_vgpu *tv, uint64_t level)
{
	return __atomic_load_n(&tv->hv->intx, __ATOMIC_ACQUIRE) == (level == 1);
}

/* Workloads on @engine the guest was told finished, completed or hung. */
static uint64_t finished(const struct trace_vgpu *tv, unsigned int engine)
{
	uint64_t n;

	if (gvt_vgpu_completions_delivered(tv->vgpu, engine, &n))
		return 0;
	return n;
}

static bool engine_caught_up(const struct trace_vgpu *tv, uint64_t engine)
{
	return finished(tv, (unsigned int)engine) >= tv->done_target[engine];
}

/* done ID ENGINE COUNT: COUNT more of the vGPU's workloads on ENGINE
 * finished, and the guest was told, before the next line. Replay lets
 * libgvt tell the guest of that many more and waits until it has: never
 * more, so what the guest reads next sees the GPU where the recorded
 * guest saw it. */
static int cmd_done(struct replay *r, char **w, int n)
{
	struct gvt_engine_stats st;
	struct trace_vgpu *tv;
	uint64_t count;
	unsigned int e;

	if (n != 4 || !parse_num(w[3], &count) || !count || count > UINT32_MAX) {
		report(r, "usage: done ID ENGINE COUNT (COUNT 1 or more)");
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	for (e = 0; e < GVT_ENGINES_MAX; e++)
		if (!gvt_vgpu_get_engine_stats(tv->vgpu, e, &st) &&
		    !strcmp(st.name, w[2]))
			break;
	if (e == GVT_ENGINES_MAX) {
		report(r, "done: no engine '%.16s' (rcs, bcs, vcs, vecs)", w[2]);
		return -EINVAL;
	}
	tv->done_target[e] += count;
	if (limit_completions(r, tv, e, tv->done_target[e]))
		return -EINVAL;
	if (wait_until(r, engine_caught_up, tv, e)) {
		r->rep->checks++;
		return 0;
	}
	report(r, "done %s %s: %llu workloads should have finished, %llu did",
	       w[1], w[2], (unsigned long long)tv->done_target[e],
	       (unsigned long long)finished(tv, e));
	/* Expect, and let through, no more than what did, so one late
	 * workload is one report: it stays held until the next done line. */
	tv->done_target[e] = finished(tv, e);
	return limit_completions(r, tv, e, tv->done_target[e]);
}

/* mem ID GPA HEX: the guest's RAM holds these bytes now (written by its
 * CPU where libgvt does not trap); the recorder wrote them before the
 * access after which libgvt or the GPU reads them. */
static int cmd_mem(struct replay *r, char **w, int n)
{
	struct trace_vgpu *tv;
	uint64_t gpa;
	size_t digits, len;

	if (n != 4 || !parse_num(w[2], &gpa) || !(digits = strlen(w[3])) ||
	    digits % 2 || digits > 2 * REPLAY_MEM_MAX ||
	    strspn(w[3], "0123456789abcdefABCDEF") != digits) {
		report(r, "usage: mem ID GPA HEX (1 to %u bytes, two hex digits each)",
		       REPLAY_MEM_MAX);
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	len = digits / 2;
	if (gpa >= tv->hv->ram_size || len > tv->hv->ram_size - gpa) {
		report(r, "guest address 0x%llx is outside the vGPU's %llu MiB of RAM",
		       (unsigned long long)gpa,
		       (unsigned long long)(tv->hv->ram_size >> 20));
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		char byte[3] = { w[3][2 * i], w[3][2 * i + 1], '\0' };

		tv->hv->ram[gpa + i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return 0;
}

static int cmd_msi(struct replay *r, char **w, int n)
{
	struct trace_vgpu *tv;
	uint64_t count;
	unsigned int got;

	if (n != 3 || !parse_num(w[2], &count)) {
		report(r, "usage: msi ID COUNT");
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	(void)wait_until(r, msis_arrived, tv, count);
	got = tv->hv->num_msi - tv->msis_seen;
	tv->msis_seen = tv->hv->num_msi;
	if (got != count)
		report(r, "msi %s: expected %llu MSIs, got %u", w[1],
		       (unsigned long long)count, got);
	else
		r->rep->checks++;
	return 0;
}

/* intx ID LEVEL: the INTx line is at LEVEL now. */
static int cmd_intx(struct replay *r, char **w, int n)
{
	struct trace_vgpu *tv;
	uint64_t level;

	if (n != 3 || !parse_num(w[2], &level) || level > 1) {
		report(r, "usage: intx ID 0|1");
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	if (!wait_until(r, intx_at, tv, level))
		report(r, "intx %s: expected the line at %llu, it is at %u", w[1],
		       (unsigned long long)level, tv->hv->intx);
	else
		r->rep->checks++;
	return 0;
}

/* event ID NAME: a stimulus from the GPU's side (test traces only). */
static int cmd_event(struct replay *r, char **w, int n)
{
	struct trace_vgpu *tv;

	if (n != 3) {
		report(r, "usage: event ID NAME");
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	if (gvt_vgpu_raise_event(tv->vgpu, w[2])) {
		report(r, "no interrupt event '%.48s'", w[2]);
		return -EINVAL;
	}
	return 0;
}

static int cmd_simple(struct replay *r, char **w, int n)
{
	struct trace_vgpu *tv;
	int ret = 0;

	if (n != 2) {
		report(r, "usage: %s ID", w[0]);
		return -EINVAL;
	}
	tv = lookup(r, w[1]);
	if (!tv)
		return -EINVAL;
	if (!strcmp(w[0], "idle")) {
		/* Every workload, told to the guest: nothing may stay held.
		 * Later done lines count from here. */
		for (unsigned int e = 0; e < tv->engines; e++)
			if (limit_completions(r, tv, e, GVT_COMPLETIONS_UNLIMITED))
				return -EINVAL;
		ret = gvt_vgpu_wait_idle(tv->vgpu, r->rep->idle_timeout_ms ?
							   r->rep->idle_timeout_ms :
							   REPLAY_IDLE_TIMEOUT_MS);
		if (ret)
			report(r, "idle %s: %s", w[1],
			       r->last_log[0] ? r->last_log : strerror(-ret));
		else
			r->rep->checks++;
		for (unsigned int e = 0; e < tv->engines; e++)
			tv->done_target[e] = finished(tv, e);
		return hold_completions(r, tv);
	}
	if (!strcmp(w[0], "reset")) {
		ret = gvt_vgpu_reset(tv->vgpu);
		if (ret)
			report(r, "reset %s failed: %s", w[1], strerror(-ret));
		return ret;
	}
	/* destroy: every guest page the vGPU mapped must come back. */
	gvt_vgpu_destroy(tv->vgpu);
	tv->vgpu = NULL;
	if (tv->hv->maps_live || tv->hv->bad_unmaps)
		report(r, "destroy %s: %llu guest pages left mapped, %llu bad unmaps",
		       w[1], (unsigned long long)tv->hv->maps_live,
		       (unsigned long long)tv->hv->bad_unmaps);
	mock_hv_destroy(tv->hv);
	tv->hv = NULL;
	return 0;
}

static int header_line(struct replay *r, char **w, int n)
{
	uint64_t v;

	if (!strcmp(w[0], "platform") && n == 2 && !r->ctx) {
		snprintf(r->platform, sizeof(r->platform), "%s", w[1]);
		return 0;
	}
	if (!strcmp(w[0], "aperture") && n == 2 && !r->ctx && parse_num(w[1], &v) &&
	    (v == 256 || v == 512 || v == 1024)) {
		r->aperture_mib = (uint32_t)v;
		return 0;
	}
	report(r, "%s: usage: platform NAME | aperture 256|512|1024, before the first vgpu",
	       w[0]);
	return -EINVAL;
}

/* One line; -EINVAL stops the trace. */
static int run_line(struct replay *r, char *line)
{
	static const struct {
		const char *op;
		enum space space;
		bool write;
	} accesses[] = {
		{ "cw", CFG, true },  { "cr", CFG, false },  { "w", BAR0, true },
		{ "r", BAR0, false }, { "aw", BAR2, true },  { "ar", BAR2, false },
		{ "mw", RAM, true },  { "mr", RAM, false },
	};
	char *words[MAX_WORDS + 1];
	char *save = NULL;
	char *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t && n <= MAX_WORDS;
	     t = strtok_r(NULL, " \t\r", &save))
		words[n++] = t;
	if (!n)
		return 0;
	if (n > MAX_WORDS) {
		report(r, "too many words");
		return -EINVAL;
	}
	if (!r->header_seen) {
		if (n == 2 && !strcmp(words[0], "gvt-trace") && !strcmp(words[1], "1")) {
			r->header_seen = true;
			return 0;
		}
		report(r, "not a gvt-trace 1 file: the first line must be 'gvt-trace 1'");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++)
		if (!strcmp(words[0], accesses[i].op))
			return cmd_access(r, words, n, accesses[i].space,
					  accesses[i].write);
	if (!strcmp(words[0], "vgpu"))
		return cmd_vgpu(r, words, n);
	if (!strcmp(words[0], "intx"))
		return cmd_intx(r, words, n);
	if (!strcmp(words[0], "event"))
		return cmd_event(r, words, n);
	if (!strcmp(words[0], "msi"))
		return cmd_msi(r, words, n);
	if (!strcmp(words[0], "mem"))
		return cmd_mem(r, words, n);
	if (!strcmp(words[0], "done"))
		return cmd_done(r, words, n);
	if (!strcmp(words[0], "idle") || !strcmp(words[0], "destroy") ||
	    !strcmp(words[0], "reset"))
		return cmd_simple(r, words, n);
	if (!strcmp(words[0], "platform") || !strcmp(words[0], "aperture"))
		return header_line(r, words, n);
	report(r, "unknown command '%.32s'", words[0]);
	return -EINVAL;
}

#define LINE_MAX_LEN 1024

/* Where lines come from: a buffer (fuzzing, tests) or a file (gvtctl). A
 * file is read a line at a time, so a long recording costs no memory. */
struct line_source {
	const char *text;
	size_t len, pos;
	FILE *file;
};

/* The next line into @line; 0 at the end, -1 for an over-long line, a NUL
 * byte or a read error (with the reason in @why). */
static int next_line(struct line_source *src, char *line, const char **why)
{
	size_t n = 0;
	int c;

	if (!src->file) {
		const char *nl;
		size_t end;

		if (src->pos >= src->len)
			return 0;
		nl = memchr(src->text + src->pos, '\n', src->len - src->pos);
		end = nl ? (size_t)(nl - src->text) : src->len;
		n = end - src->pos;
		if (n > LINE_MAX_LEN) {
			*why = "line longer than 1024 characters";
			return -1;
		}
		memcpy(line, src->text + src->pos, n);
		src->pos = end + 1;
	} else {
		for (;;) {
			c = getc(src->file);
			if (c == EOF || c == '\n')
				break;
			if (n == LINE_MAX_LEN) {
				*why = "line longer than 1024 characters";
				return -1;
			}
			line[n++] = (char)c;
		}
		if (ferror(src->file)) {
			*why = strerror(errno);
			return -1;
		}
		if (c == EOF && n == 0)
			return 0;
	}
	line[n] = '\0';
	if (strlen(line) != n) {
		*why = "line contains a NUL byte";
		return -1;
	}
	return 1;
}

static int replay_source(struct line_source *src, struct replay_report *rep)
{
	struct replay r = { .rep = rep, .aperture_mib = 1024 };
	char line[LINE_MAX_LEN + 1];
	const char *why = NULL;
	int got;

	strcpy(r.platform, "skl");
	while ((got = next_line(src, line, &why))) {
		r.line++;
		rep->lines++;
		if (got < 0) {
			report(&r, "%s", why);
			break;
		}
		if (run_line(&r, line) || rep->stopped_at_submission)
			break;
	}
	if (!r.header_seen && !rep->failures) {
		r.line = 1;
		report(&r, "empty trace: the first line must be 'gvt-trace 1'");
	}
	for (unsigned int id = 1; id <= r.num_vgpus; id++) {
		if (r.v[id].vgpu)
			gvt_vgpu_destroy(r.v[id].vgpu);
		if (r.v[id].hv && (r.v[id].hv->maps_live || r.v[id].hv->bad_unmaps)) {
			r.line = rep->lines;
			report(&r, "end of trace: vGPU %u left %llu guest pages mapped",
			       id, (unsigned long long)r.v[id].hv->maps_live);
		}
		mock_hv_destroy(r.v[id].hv);
	}
	gvt_ctx_destroy(r.ctx);
	return rep->failures ? -1 : 0;
}

int replay_text(const char *text, size_t len, struct replay_report *rep)
{
	struct line_source src = { .text = text, .len = len };

	return replay_source(&src, rep);
}

int replay_file(const char *path, struct replay_report *rep)
{
	struct line_source src = { 0 };
	struct stat st;
	int ret;

	src.file = fopen(path, "r");
	if (!src.file || fstat(fileno(src.file), &st) || S_ISDIR(st.st_mode)) {
		int err = src.file ? (S_ISDIR(st.st_mode) ? EISDIR : errno) : errno;

		if (src.file)
			fclose(src.file);
		rep->failures++;
		rep->error[0].line = 0;
		snprintf(rep->error[0].message, sizeof(rep->error[0].message),
			 "cannot read: %s", strerror(err));
		rep->reported = 1;
		return -1;
	}
	ret = replay_source(&src, rep);
	fclose(src.file);
	return ret;
}
