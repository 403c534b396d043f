// SPDX-License-Identifier: MIT
/*
 * The control server: gvtctl's way into any process that embeds libgvt.
 *
 * A UNIX stream socket; each request is one line of space-separated words,
 * each reply one line of JSON (docs/control-protocol.md). Everything is
 * non-blocking and runs inside gvt_ctl_dispatch(), which the embedding
 * program calls from the thread that drives its vGPUs or from one of its
 * own: a request about a vGPU holds the vGPU's lock, as its MMIO handlers
 * and the GPU thread's deliveries do. Clients are untrusted input: lines are
 * bounded, replies a client does not read are bounded, and a client that
 * disappears at any point leaves nothing behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg_space.h"
#include "ctl.h"
#include "private.h"
#include "unix_socket.h"

struct ctl_client {
	int fd;
	char in[GVT_CTL_LINE_MAX + 1];	/* a partial request line */
	size_t in_len;
	struct gvt_jbuf out;		/* replies not yet written */
	size_t out_pos;
	bool closing;			/* close once out is written */
};

struct gvt_ctl {
	struct gvt_ctx *ctx;
	struct gvt_ctl_ops ops;
	void *opaque;
	int listen_fd;			/* -1 when detached */
	int epoll_fd;
	int spare_fd;			/* given up when descriptors run out */
	char path[GVT_SOCKET_PATH_MAX];
	struct ctl_client *clients[GVT_CTL_MAX_CLIENTS];
};

/* ---- JSON output ---- */

void gvt_jbuf_free(struct gvt_jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void jb_append(struct gvt_jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void jb_printf(struct gvt_jbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The length of the valid UTF-8 sequence at @s, or 0 if there is none
 * (JSON must be UTF-8; requests echoed in errors may be anything). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f)))
		return 0; /* overlong, or a surrogate */
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f)))
		return 0;
	return n;
}

static void jb_str(struct gvt_jbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	jb_append(b, "\"", 1);
	while (s && *s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			jb_printf(b, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			jb_printf(b, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			jb_append(b, (const char *)s++, 1);
		} else if ((n = utf8_len(s))) {
			jb_append(b, (const char *)s, n);
			s += n;
		} else {
			jb_append(b, "\\ufffd", 6);
			s++;
		}
	}
	jb_append(b, "\"", 1);
}

/* "key": — after a comma unless it opens its object. */
static void jb_key(struct gvt_jbuf *b, const char *key)
{
	if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
		jb_append(b, ",", 1);
	jb_str(b, key);
	jb_append(b, ":", 1);
}

static void jb_u64(struct gvt_jbuf *b, const char *key, uint64_t v)
{
	jb_key(b, key);
	jb_printf(b, "%llu", (unsigned long long)v);
}

static void jb_bool(struct gvt_jbuf *b, const char *key, bool v)
{
	jb_key(b, key);
	jb_append(b, v ? "true" : "false", v ? 4 : 5);
}

static void jb_kstr(struct gvt_jbuf *b, const char *key, const char *v)
{
	jb_key(b, key);
	jb_str(b, v);
}

/* An array element: a comma unless it opens the array. */
static void jb_elem(struct gvt_jbuf *b)
{
	if (b->len && b->p[b->len - 1] != '[')
		jb_append(b, ",", 1);
}

static void reply_error(struct gvt_jbuf *b, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct gvt_jbuf *b, int err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->len = 0;
	jb_append(b, "{", 1);
	jb_bool(b, "ok", false);
	jb_kstr(b, "error", msg);
	jb_u64(b, "errno", (uint64_t)(err < 0 ? -err : err));
	jb_append(b, "}", 1);
}

/* ---- requests ---- */

#define MAX_WORDS 8

/* Decimal or 0x-hex, nothing else (no octal, no sign). */
static bool parse_u64(const char *s, uint64_t *v)
{
	bool hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	char *end;

	if (!s || !*digits || !strchr("0123456789abcdefABCDEF", *digits) ||
	    (!hex && (*digits < '0' || *digits > '9')))
		return false;
	errno = 0;
	*v = strtoull(digits, &end, hex ? 16 : 10);
	return !errno && !*end;
}

/* "A" or "A-B" (inclusive), numbers in decimal or 0x-hex. */
static bool parse_range(const char *s, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	char *dash;

	if (!s || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return parse_u64(buf, lo) && (*hi = *lo, true);
	*dash = '\0';
	return parse_u64(buf, lo) && parse_u64(dash + 1, hi) && *lo <= *hi;
}

static struct gvt_vgpu *find_vgpu(struct gvt_ctl *ctl, const char *word,
				  struct gvt_jbuf *b)
{
	struct gvt_ctx *ctx = ctl->ctx;
	struct gvt_vgpu *vgpu = NULL;
	uint64_t id;

	if (!parse_u64(word, &id)) {
		reply_error(b, EINVAL, "'%s' is not a vGPU id", word ? word : "");
		return NULL;
	}
	pthread_mutex_lock(&ctx->lock);
	if (id >= 1 && id <= GVT_MAX_VGPUS)
		vgpu = ctx->vgpus[id];
	pthread_mutex_unlock(&ctx->lock);
	if (!vgpu)
		reply_error(b, ENOENT, "no vGPU %llu", (unsigned long long)id);
	return vgpu;
}

static void begin_ok(struct gvt_jbuf *b)
{
	b->len = 0;
	jb_append(b, "{", 1);
	jb_bool(b, "ok", true);
}

static void req_version(struct gvt_ctl *ctl, char **w, int n,
			struct gvt_jbuf *b)
{
	begin_ok(b);
	jb_u64(b, "protocol", GVT_CTL_PROTOCOL);
	jb_kstr(b, "library", gvt_version());
	jb_kstr(b, "platform", ctl->ctx->platform->trace_name);
	jb_kstr(b, "gpu", ctl->ctx->platform->name);
	jb_kstr(b, "backend", ctl->ctx->pgpu_ops->name);
	jb_u64(b, "aperture_mib", ctl->ctx->aperture_size / MiB);
	jb_append(b, "}", 1);
}

static void req_types(struct gvt_ctl *ctl, char **w, int n,
		      struct gvt_jbuf *b)
{
	begin_ok(b);
	jb_key(b, "types");
	jb_append(b, "[", 1);
	for (unsigned int i = 0; i < gvt_ctx_num_types(ctl->ctx); i++) {
		struct gvt_type_info t;

		if (gvt_ctx_get_type(ctl->ctx, i, &t))
			continue;
		jb_elem(b);
		jb_append(b, "{", 1);
		jb_kstr(b, "name", t.name);
		jb_u64(b, "low_gm_mib", t.low_gm_size / MiB);
		jb_u64(b, "high_gm_mib", t.high_gm_size / MiB);
		jb_u64(b, "fences", t.fences);
		jb_u64(b, "weight", t.weight);
		jb_u64(b, "resolution_x", t.resolution_x);
		jb_u64(b, "resolution_y", t.resolution_y);
		jb_u64(b, "available", t.avail_instances);
		jb_append(b, "}", 1);
	}
	jb_append(b, "]}", 2);
}

static void vgpu_summary(struct gvt_jbuf *b, struct gvt_vgpu *vgpu)
{
	jb_u64(b, "id", vgpu->id);
	jb_kstr(b, "type", vgpu->type->name);
	jb_kstr(b, "state", vgpu->failsafe ? "failsafe" : "running");
	jb_bool(b, "tracing", vgpu->trace != NULL);
}

static void req_list(struct gvt_ctl *ctl, char **w, int n,
		     struct gvt_jbuf *b)
{
	struct gvt_ctx *ctx = ctl->ctx;

	begin_ok(b);
	jb_key(b, "vgpus");
	jb_append(b, "[", 1);
	pthread_mutex_lock(&ctx->lock);
	for (unsigned int id = 1; id <= GVT_MAX_VGPUS; id++) {
		if (!ctx->vgpus[id])
			continue;
		jb_elem(b);
		jb_append(b, "{", 1);
		vgpu_summary(b, ctx->vgpus[id]);
		jb_append(b, "}", 1);
	}
	pthread_mutex_unlock(&ctx->lock);
	jb_append(b, "]}", 2);
}

static void req_create(struct gvt_ctl *ctl, char **w, int n,
		       struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu = NULL;
	char why[256];
	int ret;

	if (n != 2) {
		reply_error(b, EINVAL, "usage: create TYPE");
		return;
	}
	if (!ctl->ops.vgpu_create) {
		reply_error(b, EOPNOTSUPP, "this process does not create vGPUs on request");
		return;
	}
	ret = gvt_ctx_admit(ctl->ctx, w[1], why, sizeof(why));
	if (ret == -EINVAL) {
		reply_error(b, EINVAL, "unknown vGPU type '%s'", w[1]);
		return;
	}
	if (ret) {
		reply_error(b, -ret, "cannot create a %s vGPU: %s", w[1], why);
		return;
	}
	ret = ctl->ops.vgpu_create(ctl->opaque, w[1], &vgpu);
	if (ret || !vgpu) {
		reply_error(b, ret ? -ret : EIO, "creating a %s vGPU failed: %s",
			    w[1], strerror(ret ? -ret : EIO));
		return;
	}
	begin_ok(b);
	vgpu_summary(b, vgpu);
	jb_append(b, "}", 1);
}

static void req_destroy(struct gvt_ctl *ctl, char **w, int n,
			struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	unsigned int id;
	int ret;

	if (n != 2) {
		reply_error(b, EINVAL, "usage: destroy ID");
		return;
	}
	if (!ctl->ops.vgpu_destroy) {
		reply_error(b, EOPNOTSUPP, "this process does not destroy vGPUs on request");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	id = vgpu->id;
	ret = ctl->ops.vgpu_destroy(ctl->opaque, vgpu);
	if (ret) {
		reply_error(b, -ret, "destroying vGPU %u failed: %s", id,
			    strerror(-ret));
		return;
	}
	begin_ok(b);
	jb_u64(b, "id", id);
	jb_append(b, "}", 1);
}

static void show_engines(struct gvt_jbuf *b, struct gvt_vgpu *vgpu);

static void req_show(struct gvt_ctl *ctl, char **w, int n,
		     struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	struct gvt_vgpu_stats s;
	uint64_t msi_addr;
	uint32_t msi_data;

	if (n != 2) {
		reply_error(b, EINVAL, "usage: show ID");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	pthread_mutex_lock(&vgpu->lock);
	s = vgpu->stats;
	gvt_cfg_msi_message(vgpu, &msi_addr, &msi_data);
	begin_ok(b);
	vgpu_summary(b, vgpu);
	jb_kstr(b, "failsafe_reason", vgpu->failsafe_reason);
	jb_u64(b, "aperture_base", vgpu->low_gm.start);
	jb_u64(b, "aperture_size", vgpu->low_gm.size);
	jb_u64(b, "hidden_base", vgpu->high_gm.start);
	jb_u64(b, "hidden_size", vgpu->high_gm.size);
	jb_key(b, "fences");
	jb_append(b, "[", 1);
	for (uint32_t i = 0; i < vgpu->fence_count; i++) {
		jb_elem(b);
		jb_printf(b, "%u", vgpu->fence_index[i]);
	}
	jb_append(b, "]", 1);
	jb_bool(b, "pv_notified", vgpu->pv.pv_notified);
	jb_bool(b, "display_ready", vgpu->pv.display_ready);
	jb_u64(b, "ppgtts", vgpu->ppgtt.num_mms);
	jb_u64(b, "ppgtt_tables", vgpu->ppgtt.num_tables);
	jb_bool(b, "ppgtt_write_protect", vgpu->ppgtt.write_protect);
	jb_bool(b, "msi_enabled", gvt_cfg_msi_enabled(vgpu));
	jb_u64(b, "msi_addr", msi_addr);
	jb_u64(b, "msi_data", msi_data);
	jb_u64(b, "ggtt_mapped", vgpu->ggtt.mapped);
	jb_u64(b, "dma_mappings", vgpu->dma.map.count);
	jb_u64(b, "dma_refs", vgpu->dma.refs);
	jb_key(b, "stats");
	jb_append(b, "{", 1);
	jb_u64(b, "cfg_reads", s.cfg_reads);
	jb_u64(b, "cfg_writes", s.cfg_writes);
	jb_u64(b, "mmio_reads", s.mmio_reads);
	jb_u64(b, "mmio_writes", s.mmio_writes);
	jb_u64(b, "ggtt_reads", s.ggtt_reads);
	jb_u64(b, "ggtt_writes", s.ggtt_writes);
	jb_u64(b, "ggtt_writes_dropped", s.ggtt_writes_dropped);
	jb_u64(b, "ggtt_map_failures", s.ggtt_map_failures);
	jb_u64(b, "ppgtt_tables_shadowed", s.ppgtt_tables_shadowed);
	jb_u64(b, "ppgtt_entry_updates", s.ppgtt_entry_updates);
	jb_u64(b, "ppgtt_revalidations", s.ppgtt_revalidations);
	jb_u64(b, "ppgtt_map_failures", s.ppgtt_map_failures);
	jb_u64(b, "aperture_reads", s.aperture_reads);
	jb_u64(b, "aperture_writes", s.aperture_writes);
	jb_u64(b, "aperture_dropped", s.aperture_dropped);
	jb_u64(b, "page_writes", s.page_writes);
	jb_u64(b, "msi_injected", s.msi_injected);
	jb_u64(b, "msi_failed", s.msi_failed);
	jb_u64(b, "intx_asserted", s.intx_asserted);
	jb_u64(b, "intx_failed", s.intx_failed);
	jb_u64(b, "guest_errors", s.guest_errors);
	jb_u64(b, "resets", s.resets);
	jb_u64(b, "cmd_scans", s.cmd_scans);
	jb_u64(b, "cmd_refusals", s.cmd_refusals);
	jb_u64(b, "cmd_dwords", s.cmd_dwords);
	jb_u64(b, "shadow_ns", s.shadow_ns);
	jb_u64(b, "workloads_shadowed", s.workloads_shadowed);
	jb_append(b, "}", 1);
	show_engines(b, vgpu);
	jb_append(b, "}", 1);
	pthread_mutex_unlock(&vgpu->lock);
}

/* Weight and per-engine scheduling counters, for gvtctl show and top. */
static void show_engines(struct gvt_jbuf *b, struct gvt_vgpu *vgpu)
{
	struct gvt_vgpu_info info;

	if (!gvt_vgpu_get_info(vgpu, &info))
		jb_u64(b, "weight", info.weight);
	jb_key(b, "engines");
	jb_append(b, "[", 1);
	for (unsigned int e = 0; e < GVT_ENGINES_MAX; e++) {
		struct gvt_engine_stats es;

		if (gvt_vgpu_get_engine_stats(vgpu, e, &es))
			break;
		jb_elem(b);
		jb_append(b, "{", 1);
		jb_kstr(b, "name", es.name);
		jb_u64(b, "submitted", es.submitted);
		jb_u64(b, "completed", es.completed);
		jb_u64(b, "refused", es.refused);
		jb_u64(b, "hung", es.hung);
		jb_u64(b, "preempted", es.preempted);
		jb_u64(b, "queued", es.queued);
		jb_u64(b, "busy_ns", es.busy_ns);
		jb_u64(b, "switches_in", es.switches_in);
		jb_u64(b, "wait_max_ns", es.wait_max_ns);
		jb_u64(b, "latency_sum_ns", es.latency_sum_ns);
		jb_u64(b, "latency_max_ns", es.latency_max_ns);
		jb_key(b, "latency_hist");
		jb_append(b, "[", 1);
		for (unsigned int i = 0; i < GVT_LATENCY_BUCKETS; i++) {
			jb_elem(b);
			jb_printf(b, "%llu", (unsigned long long)es.latency_hist[i]);
		}
		jb_append(b, "]}", 2);
	}
	jb_append(b, "]", 1);
}

static void req_weight(struct gvt_ctl *ctl, char **w, int n,
		       struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	uint64_t weight;
	int ret;

	if (n != 3 || !parse_u64(w[2], &weight)) {
		reply_error(b, EINVAL, "usage: weight ID WEIGHT");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	ret = weight > 1000 ? -EINVAL : gvt_vgpu_set_weight(vgpu, (unsigned int)weight);
	if (ret) {
		reply_error(b, -ret, "weight %llu refused: 1 .. 1000",
			    (unsigned long long)weight);
		return;
	}
	begin_ok(b);
	vgpu_summary(b, vgpu);
	jb_u64(b, "weight", weight);
	jb_append(b, "}", 1);
}

/* A register's name, with the dword's place inside a wider row. */
static void reg_name(const struct gvt_ctx *ctx, uint32_t offset, char *out,
		     size_t len)
{
	const struct gvt_mmio_attr *a = &ctx->mmio.attr[offset >> 2];
	const struct gvt_mmio_info *info = &ctx->mmio.info[a->info];

	out[0] = '\0';
	if (!(a->flags & F_TRACKED) || !info->reg->name)
		return;
	if (offset == info->offset)
		snprintf(out, len, "%s", info->reg->name);
	else
		snprintf(out, len, "%s+0x%x", info->reg->name,
			 offset - info->offset);
}

#define REGS_MAX_DWORDS 16384

static void reg_entry(struct gvt_jbuf *b, struct gvt_vgpu *vgpu,
		      uint32_t offset)
{
	char name[96];
	const struct gvt_mmio_attr *a = &vgpu->attr[offset >> 2];

	reg_name(vgpu->ctx, offset, name, sizeof(name));
	jb_elem(b);
	jb_append(b, "{", 1);
	jb_u64(b, "offset", offset);
	jb_u64(b, "value", vgpu->vreg[offset >> 2]);
	if (name[0])
		jb_kstr(b, "name", name);
	/* The stored value; a computed register may read otherwise. */
	if (a->flags & F_RH)
		jb_bool(b, "computed", true);
	jb_append(b, "}", 1);
}

static void req_regs(struct gvt_ctl *ctl, char **w, int n,
		     struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	uint64_t lo, hi;

	if (n != 2 && n != 3) {
		reply_error(b, EINVAL, "usage: regs ID [OFF[-END]]");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	if (n == 3 && (!parse_range(w[2], &lo, &hi) || hi >= GVT_MMIO_SIZE)) {
		reply_error(b, EINVAL, "'%s' is not a register offset or range below 0x%x",
			    w[2], GVT_MMIO_SIZE);
		return;
	}
	if (n == 3 && (hi - (lo & ~3ull)) / 4 >= REGS_MAX_DWORDS) {
		reply_error(b, E2BIG, "at most %u registers per request",
			    REGS_MAX_DWORDS);
		return;
	}
	begin_ok(b);
	jb_key(b, "regs");
	jb_append(b, "[", 1);
	pthread_mutex_lock(&vgpu->lock);
	if (n == 3) {
		for (uint64_t off = lo & ~3ull; off <= hi; off += 4)
			reg_entry(b, vgpu, (uint32_t)off);
	} else {
		/* Every named register: the first dword of each table row. */
		for (unsigned int i = 1; i < ctl->ctx->mmio.num_info; i++)
			reg_entry(b, vgpu, ctl->ctx->mmio.info[i].offset);
	}
	pthread_mutex_unlock(&vgpu->lock);
	jb_append(b, "]}", 2);
}

#define GTT_MAX_ENTRIES 65536

/* List a slice's entries in [lo, hi]; true if one more did not fit. */
static bool gtt_slice(struct gvt_jbuf *b, struct gvt_vgpu *vgpu,
		      const struct gvt_ggtt_slice *slice, uint64_t lo,
		      uint64_t hi, bool all, unsigned int *count)
{
	struct gvt_ctx *ctx = vgpu->ctx;

	for (uint32_t i = 0; i < slice->count; i++) {
		uint64_t gm = (uint64_t)(slice->first + i) * GVT_GTT_PAGE_SIZE;

		if (gm < lo || gm > hi || (!all && !slice->guest_pte[i]))
			continue;
		if (*count == GTT_MAX_ENTRIES)
			return true;
		jb_elem(b);
		jb_append(b, "{", 1);
		jb_u64(b, "gm", gm);
		jb_u64(b, "guest", slice->guest_pte[i]);
		jb_u64(b, "host", ctx->pgpu_ops->ggtt_read(ctx->pgpu, slice->first + i));
		jb_append(b, "}", 1);
		(*count)++;
	}
	return false;
}

static void req_gtt(struct gvt_ctl *ctl, char **w, int n, struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	uint64_t lo = 0, hi = UINT64_MAX;
	unsigned int count = 0;
	bool more;

	if (n != 2 && n != 3) {
		reply_error(b, EINVAL, "usage: gtt ID [GM[-GM]]");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	if (n == 3 && !parse_range(w[2], &lo, &hi)) {
		reply_error(b, EINVAL, "'%s' is not a GM address or range", w[2]);
		return;
	}
	begin_ok(b);
	jb_key(b, "entries");
	jb_append(b, "[", 1);
	/* Without a range, only entries the guest set; with one, all. */
	pthread_mutex_lock(&vgpu->lock);
	more = gtt_slice(b, vgpu, &vgpu->ggtt.low, lo, hi, n == 3, &count);
	more = more || gtt_slice(b, vgpu, &vgpu->ggtt.high, lo, hi, n == 3, &count);
	pthread_mutex_unlock(&vgpu->lock);
	jb_append(b, "]", 1);
	jb_bool(b, "truncated", more);
	jb_append(b, "}", 1);
}

static void req_trace(struct gvt_ctl *ctl, char **w, int n,
		      struct gvt_jbuf *b)
{
	struct gvt_vgpu *vgpu;
	int ret;

	if (!(n == 4 && !strcmp(w[2], "start")) &&
	    !(n == 3 && !strcmp(w[2], "stop"))) {
		reply_error(b, EINVAL, "usage: trace ID start FILE | trace ID stop");
		return;
	}
	vgpu = find_vgpu(ctl, w[1], b);
	if (!vgpu)
		return;
	if (n == 4 && w[3][0] != '/') {
		reply_error(b, EINVAL, "the trace file must be an absolute path");
		return;
	}
	ret = n == 4 ? gvt_vgpu_trace_start(vgpu, w[3]) : gvt_vgpu_trace_stop(vgpu);
	if (ret == -EBUSY || ret == -ENOENT) {
		reply_error(b, -ret, "%s", ret == -EBUSY ? "already recording" : "not recording");
		return;
	}
	if (ret) {
		reply_error(b, -ret, n == 4 ? "cannot record to %s: %s" : "%s%s",
			    n == 4 ? w[3] : "trace stop: ",
			    ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return;
	}
	begin_ok(b);
	vgpu_summary(b, vgpu);
	jb_append(b, "}", 1);
}

static const struct {
	const char *verb;
	void (*fn)(struct gvt_ctl *ctl, char **words, int n,
		   struct gvt_jbuf *reply);
} requests[] = {
	{ "version", req_version },
	{ "types", req_types },
	{ "list", req_list },
	{ "create", req_create },
	{ "destroy", req_destroy },
	{ "show", req_show },
	{ "regs", req_regs },
	{ "gtt", req_gtt },
	{ "trace", req_trace },
	{ "weight", req_weight },
};

void gvt_ctl_handle_line(struct gvt_ctl *ctl, const char *line,
			 struct gvt_jbuf *reply)
{
	char buf[GVT_CTL_LINE_MAX + 1];
	char *words[MAX_WORDS + 1];
	char *save = NULL;
	int n = 0;

	reply->len = 0;
	if (strlen(line) > GVT_CTL_LINE_MAX) {
		reply_error(reply, E2BIG, "request longer than %u bytes",
			    GVT_CTL_LINE_MAX);
		goto out_newline;
	}
	strcpy(buf, line);
	for (char *w = strtok_r(buf, " \t\r", &save); w && n <= MAX_WORDS;
	     w = strtok_r(NULL, " \t\r", &save))
		words[n++] = w;
	if (!n) {
		reply_error(reply, EINVAL, "empty request");
		goto out_newline;
	}
	if (n > MAX_WORDS) {
		reply_error(reply, EINVAL, "too many words in the request");
		goto out_newline;
	}
	for (size_t i = 0; i < ARRAY_SIZE(requests); i++) {
		if (!strcmp(words[0], requests[i].verb)) {
			requests[i].fn(ctl, words, n, reply);
			goto out_newline;
		}
	}
	reply_error(reply, EINVAL, "unknown request '%.32s'", words[0]);
out_newline:
	jb_append(reply, "\n", 1);
}

/* ---- sockets ---- */

int gvt_ctl_default_path(char *buf, size_t len)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (!buf)
		return -EINVAL;
	n = run && *run ? snprintf(buf, len, "%s/gvt/gvt.sock", run) :
			  snprintf(buf, len, "/run/gvt/gvt.sock");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int gvt_ctl_create_detached(struct gvt_ctx *ctx,
			    const struct gvt_ctl_params *params,
			    struct gvt_ctl **out)
{
	struct gvt_ctl *ctl;

	if (!ctx || !out)
		return -EINVAL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->ctx = ctx;
	ctl->listen_fd = -1;
	ctl->epoll_fd = -1;
	ctl->spare_fd = -1;
	if (params && params->ops)
		ctl->ops = *params->ops;
	ctl->opaque = params ? params->opaque : NULL;
	*out = ctl;
	return 0;
}

int gvt_ctl_serve(struct gvt_ctx *ctx, const char *path,
		  const struct gvt_ctl_params *params, struct gvt_ctl **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char def[GVT_SOCKET_PATH_MAX], why[160];
	struct gvt_ctl *ctl;
	int ret;

	if (!ctx || !out)
		return -EINVAL;
	if (!path) {
		ret = gvt_ctl_default_path(def, sizeof(def));
		if (ret)
			return ret;
		path = def;
	}
	ret = gvt_ctl_create_detached(ctx, params, &ctl);
	if (ret)
		return ret;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);

	ctl->listen_fd = gvt_unix_listen(path, params && params->mode ?
					 params->mode : 0600, why, sizeof(why));
	if (ctl->listen_fd < 0) {
		ret = ctl->listen_fd;
		gvt_err(ctx, "control socket: %s", why);
		goto out_free;
	}
	ctl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (ctl->epoll_fd < 0 ||
	    epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, ctl->listen_fd, &ev)) {
		ret = -errno;
		gvt_err(ctx, "control socket: %s", strerror(errno));
		goto out_unlink;
	}
	gvt_info(ctx, "control socket: serving %s", path);
	*out = ctl;
	return 0;

out_unlink:
	unlink(path);
	close(ctl->listen_fd);
	if (ctl->epoll_fd >= 0)
		close(ctl->epoll_fd);
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
out_free:
	free(ctl);
	return ret;
}

int gvt_ctl_fd(const struct gvt_ctl *ctl)
{
	return ctl ? ctl->epoll_fd : -EINVAL;
}

static void client_close(struct gvt_ctl *ctl, unsigned int slot)
{
	struct ctl_client *c = ctl->clients[slot];

	epoll_ctl(ctl->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	gvt_jbuf_free(&c->out);
	free(c);
	ctl->clients[slot] = NULL;
}

static size_t client_pending(const struct ctl_client *c)
{
	return c->out.len - c->out_pos;
}

/* Queue a reply. False if the client must go: it leaves more than
 * GVT_CTL_OUT_MAX bytes unread, or memory ran out. */
static bool client_queue(struct ctl_client *c, const char *s, size_t n)
{
	if (client_pending(c) + n > GVT_CTL_OUT_MAX)
		return false;
	if (c->out_pos > c->out.len / 2) {
		memmove(c->out.p, c->out.p + c->out_pos, client_pending(c));
		c->out.len -= c->out_pos;
		c->out_pos = 0;
	}
	jb_append(&c->out, s, n);
	return !c->out.oom;
}

/* Watch for input until the client is done sending, and for writability
 * while replies are waiting. */
static void client_watch(struct gvt_ctl *ctl, unsigned int slot)
{
	struct ctl_client *c = ctl->clients[slot];
	struct epoll_event ev = { .data.u32 = slot + 1 };

	ev.events = (c->closing ? 0 : EPOLLIN) |
		    (client_pending(c) ? EPOLLOUT : 0);
	epoll_ctl(ctl->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what the socket takes. Returns -1 when the client is finished:
 * gone, or closing with nothing left to write. */
static int client_flush(struct gvt_ctl *ctl, unsigned int slot)
{
	struct ctl_client *c = ctl->clients[slot];

	while (client_pending(c)) {
		ssize_t n = send(c->fd, c->out.p + c->out_pos, client_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		c->out_pos += (size_t)n;
	}
	if (!client_pending(c)) {
		/* A big reply's buffer is not kept for the next small one. */
		if (c->out.cap > 65536)
			gvt_jbuf_free(&c->out);
		c->out.len = 0;
		c->out_pos = 0;
		if (c->closing)
			return -1;
	}
	client_watch(ctl, slot);
	return 0;
}

static bool client_reply(struct gvt_ctl *ctl, struct ctl_client *c,
			 const char *line, size_t len)
{
	struct gvt_jbuf reply = { 0 };
	bool ok;

	/* A NUL would silently cut the request short: refuse it whole. */
	if (memchr(line, '\0', len)) {
		reply_error(&reply, EINVAL, "request contains a NUL byte");
		jb_append(&reply, "\n", 1);
	} else {
		gvt_ctl_handle_line(ctl, line, &reply);
	}
	ok = !reply.oom && client_queue(c, reply.p, reply.len);
	gvt_jbuf_free(&reply);
	return ok;
}

/* Bounds on the work one gvt_ctl_dispatch() does, so that busy clients
 * cannot keep the embedding program's loop from running. */
#define ACCEPTS_PER_DISPATCH 16
#define READS_PER_DISPATCH 16

static void accept_clients(struct gvt_ctl *ctl)
{
	for (unsigned int i = 0; i < ACCEPTS_PER_DISPATCH; i++) {
		int fd = accept4(ctl->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct ctl_client *c;
		unsigned int slot;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    ctl->spare_fd >= 0) {
			/* Out of descriptors: take the caller off the queue
			 * with the spare, or the listener stays readable and
			 * the program's loop spins. */
			close(ctl->spare_fd);
			fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (fd < 0)
			return;
		for (slot = 0; slot < GVT_CTL_MAX_CLIENTS && ctl->clients[slot]; slot++)
			;
		c = slot < GVT_CTL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			static const char busy[] =
				"{\"ok\":false,\"error\":\"too many clients\",\"errno\":16}\n";

			(void)!send(fd, busy, sizeof(busy) - 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c->fd = fd;
		ctl->clients[slot] = c;
		ev.data.u32 = slot + 1;
		if (epoll_ctl(ctl->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			client_close(ctl, slot);
			continue;
		}
		/* The greeting names the protocol, so a client can check it. */
		if (!client_reply(ctl, c, "version", 7) || client_flush(ctl, slot))
			client_close(ctl, slot);
	}
}

/* Read what arrived and answer every complete line. Returns the number
 * answered, or -1 if the client must go. */
static int client_read(struct gvt_ctl *ctl, unsigned int slot)
{
	struct ctl_client *c = ctl->clients[slot];
	int answered = 0;

	for (unsigned int i = 0; i < READS_PER_DISPATCH && !c->closing; i++) {
		ssize_t n = recv(c->fd, c->in + c->in_len,
				 GVT_CTL_LINE_MAX + 1 - c->in_len, MSG_DONTWAIT);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		if (n == 0) {
			/* Done sending: answer what came, then close. */
			c->closing = true;
			break;
		}
		c->in_len += (size_t)n;
		while ((nl = memchr(c->in, '\n', c->in_len))) {
			size_t used = (size_t)(nl - c->in) + 1;

			*nl = '\0';
			if (!client_reply(ctl, c, c->in, used - 1))
				return -1;
			answered++;
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
		}
		if (c->in_len > GVT_CTL_LINE_MAX) {
			struct gvt_jbuf err = { 0 };
			bool ok;

			reply_error(&err, E2BIG, "request longer than %u bytes",
				    GVT_CTL_LINE_MAX);
			jb_append(&err, "\n", 1);
			ok = !err.oom && client_queue(c, err.p, err.len);
			gvt_jbuf_free(&err);
			if (!ok)
				return -1;
			c->closing = true;
			c->in_len = 0;
		}
	}
	return answered;
}

int gvt_ctl_dispatch(struct gvt_ctl *ctl)
{
	struct epoll_event ev[16];
	int answered = 0;
	int n;

	if (!ctl || ctl->epoll_fd < 0)
		return -EINVAL;
	/* One round: whatever is still ready makes the descriptor readable
	 * again, and the program calls back after its other work. */
	n = epoll_wait(ctl->epoll_fd, ev, 16, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		unsigned int slot = ev[i].data.u32;
		int got = 0;

		if (!slot) {
			accept_clients(ctl);
			continue;
		}
		slot--;
		if (!ctl->clients[slot])
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			got = client_read(ctl, slot);
		if (got < 0 || client_flush(ctl, slot)) {
			client_close(ctl, slot);
			continue;
		}
		answered += got;
	}
	return answered;
}

void gvt_ctl_close(struct gvt_ctl *ctl)
{
	if (!ctl)
		return;
	for (unsigned int slot = 0; slot < GVT_CTL_MAX_CLIENTS; slot++)
		if (ctl->clients[slot])
			client_close(ctl, slot);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		unlink(ctl->path);
	}
	if (ctl->epoll_fd >= 0)
		close(ctl->epoll_fd);
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	free(ctl);
}
