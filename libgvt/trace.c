// SPDX-License-Identifier: MIT
/*
 * Recording a vGPU's accesses as a gvt-trace (docs/trace-format.md), so a
 * guest's behaviour, once seen, can be replayed and checked without a VM
 * (gvtctl replay). Every access the device model forwards is written with
 * the value read or written; MSIs become msi lines, device resets reset
 * lines. The trace always calls its vGPU 1, and its vgpu line carries the
 * placement (id, slices, fences) so a replay sees the same GM addresses.
 *
 * Guest memory the device reads goes in too, as mem lines, so a replay can
 * run past a submission: what libgvt reads while it handles a register
 * write (a context image, a ring, batches, page tables), every frame
 * mapped for the GPU as a submission arrives, and each frame newly mapped
 * while a write is handled. Only bytes that changed since the trace last
 * gave them are written, in chunks of MEM_CHUNK.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"
#include "reg.h"

struct gvt_trace_rec {
	FILE *file;		/* buffered; closed by stop */
	uint32_t msis;		/* delivered since the last msi line */
	/* Workloads per engine the guest was told finished since the last
	 * done line (the GPU thread counts, the vGPU's thread writes). */
	uint32_t finished[GVT_NUM_ENGINES];
	int intx;		/* INTx level to write, or -1: unchanged */
	long ram_field;		/* file offset of the vgpu line's ram= digits */
	uint64_t ram_end;	/* end of the highest guest memory touched */
	/* gfn -> the frame's bytes as the trace last gave them (value: a
	 * malloc'd page; a replay's guest memory starts zeroed, and so do
	 * these). */
	struct gvt_u64map frames;
};

/* The vGPU whose register write this thread is handling while tracing:
 * what libgvt reads of guest memory then is the caller's doing and goes
 * in the trace before the write's line. Reads on the GPU thread do not. */
_Thread_local struct gvt_vgpu *gvt_trace_reader;

#define MEM_CHUNK 256

/* The vgpu line's ram= is written as fixed-width digits and filled in at
 * stop, when the guest memory the trace touches is known: replay must give
 * its mock guest at least that much. */
#define RAM_DIGITS "%08llu"
#define DEFAULT_RAM_MIB 256

#define TRACE_ID 1

static void rec_free(struct gvt_trace_rec *t)
{
	for (uint32_t i = 0; i < t->frames.capacity; i++)
		if (t->frames.slots[i].key != GVT_U64MAP_EMPTY)
			free((void *)(uintptr_t)t->frames.slots[i].value);
	gvt_u64map_fini(&t->frames);
	free(t);
}

static void trace_failed(struct gvt_vgpu *vgpu)
{
	gvt_vgpu_err(vgpu, "trace: write failed (%s); recording stopped",
		     strerror(errno));
	pthread_mutex_lock(&vgpu->lock);
	fclose(vgpu->trace->file);
	rec_free(vgpu->trace);
	vgpu->trace = NULL;
	pthread_mutex_unlock(&vgpu->lock);
}

/*
 * Interrupts an access caused are written after its line: a write's line
 * goes out before its handler runs, a read's only once its value is
 * known, so both leave what they raised pending here until the next line
 * (or the end). Replay then checks them after performing the access.
 */
static void flush_pending(struct gvt_vgpu *vgpu)
{
	struct gvt_trace_rec *t = vgpu->trace;
	/* The GPU thread counts MSIs it sends while the vGPU's thread writes
	 * lines. */
	uint32_t msis;

	/* Completions before MSIs: replay waits for the GPU's work, then
	 * counts the interrupts it raised. */
	for (unsigned int e = 0; e < vgpu->ctx->platform->num_engines; e++) {
		uint32_t n = __atomic_exchange_n(&t->finished[e], 0,
						 __ATOMIC_RELAXED);

		if (n && fprintf(t->file, "done %u %s %u\n", TRACE_ID,
				 vgpu->ctx->platform->engines[e].name, n) < 0) {
			trace_failed(vgpu);
			return;
		}
	}
	msis = __atomic_exchange_n(&t->msis, 0, __ATOMIC_RELAXED);
	if (msis) {
		if (fprintf(t->file, "msi %u %u\n", TRACE_ID, msis) < 0) {
			trace_failed(vgpu);
			return;
		}
	}
	if (t->intx >= 0) {
		if (fprintf(t->file, "intx %u %d\n", TRACE_ID, t->intx) < 0) {
			trace_failed(vgpu);
			return;
		}
		t->intx = -1;
	}
}

/*
 * A regular file, created or truncated, mode 0600 (a trace holds guest
 * data). Opened without blocking, so a FIFO with no reader fails instead
 * of stopping the caller; anything not a regular file is refused, as is a
 * symlink.
 */
static int open_trace_file(struct gvt_vgpu *vgpu, const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
				    O_NONBLOCK, 0600);
	int err;

	if (fd < 0) {
		err = -errno;
		goto out_log;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		errno = EINVAL;
		goto out_close;
	}
	if (ftruncate(fd, 0) || fchmod(fd, 0600) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
out_log:
	gvt_vgpu_err(vgpu, "trace: cannot write %s: %s", path,
		     err == -EINVAL ? "not a regular file" : strerror(-err));
	return err;
}

int gvt_vgpu_trace_start(struct gvt_vgpu *vgpu, const char *path)
{
	struct gvt_trace_rec *t;
	int fd;

	if (!vgpu)
		return -EINVAL;
	if (!path)
		return gvt_vgpu_misuse(vgpu, "trace: NULL path");
	if (vgpu->trace) {
		gvt_vgpu_err(vgpu, "trace: already recording");
		return -EBUSY;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->intx = -1;
	fd = open_trace_file(vgpu, path);
	if (fd < 0 || !(t->file = fdopen(fd, "w"))) {
		int err = fd < 0 ? fd : -errno;

		if (fd >= 0)
			close(fd);
		free(t);
		return err;
	}
	fprintf(t->file,
		"gvt-trace 1\n"
		"# recorded by libgvt %s from vgpu%u\n"
		"platform %s\n"
		"aperture %llu\n"
		"vgpu %u %s ram=",
		gvt_version(), vgpu->id, vgpu->ctx->platform->trace_name,
		(unsigned long long)(vgpu->ctx->aperture_size / MiB), TRACE_ID,
		vgpu->type->name);
	t->ram_field = ftell(t->file);
	fprintf(t->file, RAM_DIGITS " id=%u aperture=0x%llx hidden=0x%llx fences=",
		(unsigned long long)DEFAULT_RAM_MIB, vgpu->id,
		(unsigned long long)vgpu->low_gm.start,
		(unsigned long long)vgpu->high_gm.start);
	for (uint32_t i = 0; i < vgpu->fence_count; i++)
		fprintf(t->file, "%s%u", i ? "," : "", vgpu->fence_index[i]);
	/* Flushed now, so a file that cannot be written fails here. */
	if (fprintf(t->file, "\n") < 0 || fflush(t->file)) {
		int err = -errno;

		gvt_vgpu_err(vgpu, "trace: cannot write %s: %s", path,
			     strerror(errno));
		fclose(t->file);
		free(t);
		return err ? err : -EIO;
	}
	pthread_mutex_lock(&vgpu->lock);
	vgpu->trace = t;
	pthread_mutex_unlock(&vgpu->lock);
	gvt_vgpu_info(vgpu, "trace: recording to %s", path);
	return 0;
}

static void fill_in_ram(struct gvt_trace_rec *t)
{
	uint64_t mib = (t->ram_end + MiB - 1) / MiB;

	if (mib <= DEFAULT_RAM_MIB)
		return;
	/* A write error shows at fclose(), which stop reports. */
	if (!fseek(t->file, t->ram_field, SEEK_SET))
		fprintf(t->file, RAM_DIGITS, (unsigned long long)mib);
}

void gvt_trace_note_memory(struct gvt_vgpu *vgpu, uint64_t end)
{
	if (end > vgpu->trace->ram_end)
		vgpu->trace->ram_end = end;
}

int gvt_vgpu_trace_stop(struct gvt_vgpu *vgpu)
{
	int ret = 0;

	if (!vgpu)
		return -EINVAL;
	if (!vgpu->trace)
		return -ENOENT;
	flush_pending(vgpu);
	if (!vgpu->trace)
		return -EIO;
	fill_in_ram(vgpu->trace);
	if (fclose(vgpu->trace->file)) {
		ret = -errno;
		gvt_vgpu_err(vgpu, "trace: closing failed: %s", strerror(errno));
	}
	/* The GPU thread looks at it under the vGPU's lock. */
	pthread_mutex_lock(&vgpu->lock);
	rec_free(vgpu->trace);
	vgpu->trace = NULL;
	pthread_mutex_unlock(&vgpu->lock);
	gvt_vgpu_info(vgpu, "trace: stopped");
	return ret;
}

bool gvt_vgpu_tracing(const struct gvt_vgpu *vgpu)
{
	return vgpu->trace != NULL;
}

static void io_line(struct gvt_vgpu *vgpu, const char *op, uint64_t offset,
		    uint32_t size, const void *data)
{
	uint64_t value = 0;

	if (!vgpu->trace)
		return;
	memcpy(&value, data, size < 8 ? size : 8);
	if (fprintf(vgpu->trace->file, "%s %u 0x%llx %u 0x%llx\n", op,
		    TRACE_ID, (unsigned long long)offset, size,
		    (unsigned long long)value) < 0)
		trace_failed(vgpu);
}

void gvt_trace_io(struct gvt_vgpu *vgpu, const char *op, uint64_t offset,
		  uint32_t size, const void *data)
{
	/* A read flushed what came before it in gvt_trace_begin_read(); what
	 * it raised itself stays pending until after its line. */
	if (op[strlen(op) - 1] != 'r')
		flush_pending(vgpu);
	io_line(vgpu, op, offset, size, data);
}

/* The trace's copy of frame @gfn, made (zeroed) the first time. */
static uint8_t *frame_copy(struct gvt_trace_rec *t, uint64_t gfn)
{
	struct gvt_u64map_slot *slot = gvt_u64map_find(&t->frames, gfn);
	uint8_t *copy;

	if (slot)
		return (uint8_t *)(uintptr_t)slot->value;
	copy = calloc(1, GVT_HV_PAGE_SIZE);
	if (!copy)
		return NULL;
	slot = gvt_u64map_insert(&t->frames, gfn);
	if (!slot) {
		free(copy);
		return NULL;
	}
	slot->value = (uintptr_t)copy;
	return copy;
}

/* Give the trace frame @gfn's bytes as the guest has them now: a mem line
 * per chunk that changed. */
static void trace_frame(struct gvt_vgpu *vgpu, uint64_t gfn)
{
	static const char hex[] = "0123456789abcdef";
	struct gvt_trace_rec *t = vgpu->trace;
	uint8_t now[GVT_HV_PAGE_SIZE];
	char text[2 * MEM_CHUNK + 1];
	uint8_t *copy;

	if (!t || vgpu->hv_ops->read_gpa(vgpu->hv, gfn * GVT_HV_PAGE_SIZE,
					 now, sizeof(now)))
		return;	/* not guest RAM: libgvt's own read fails the same */
	copy = frame_copy(t, gfn);
	if (!copy) {
		errno = ENOMEM;
		trace_failed(vgpu);
		return;
	}
	for (unsigned int at = 0; at < GVT_HV_PAGE_SIZE; at += MEM_CHUNK) {
		if (!memcmp(copy + at, now + at, MEM_CHUNK))
			continue;
		for (unsigned int i = 0; i < MEM_CHUNK; i++) {
			text[2 * i] = hex[now[at + i] >> 4];
			text[2 * i + 1] = hex[now[at + i] & 15];
		}
		text[2 * MEM_CHUNK] = '\0';
		if (fprintf(t->file, "mem %u 0x%" PRIx64 " %s\n", TRACE_ID,
			    gfn * GVT_HV_PAGE_SIZE + at, text) < 0) {
			trace_failed(vgpu);
			return;
		}
		memcpy(copy + at, now + at, MEM_CHUNK);
	}
	gvt_trace_note_memory(vgpu, (gfn + 1) * GVT_HV_PAGE_SIZE);
}

void gvt_trace_guest_read(struct gvt_vgpu *vgpu, uint64_t gpa, size_t len)
{
	if (!len)
		return;
	for (uint64_t gfn = gpa / GVT_HV_PAGE_SIZE;
	     gfn <= (gpa + len - 1) / GVT_HV_PAGE_SIZE; gfn++)
		trace_frame(vgpu, gfn);
}

void gvt_trace_frames_mapped(struct gvt_vgpu *vgpu, uint64_t gfn,
			     uint64_t size)
{
	for (uint64_t i = 0; i < size / GVT_HV_PAGE_SIZE; i++)
		trace_frame(vgpu, gfn + i);
}

/* Is @offset an engine's submission port (ELSP)? */
static bool is_submission_port(const struct gvt_vgpu *vgpu, uint64_t offset)
{
	const struct gvt_platform_desc *p = vgpu->ctx->platform;

	for (unsigned int e = 0; e < p->num_engines; e++)
		if (offset == p->engines[e].mmio_base + RING_ELSP)
			return true;
	return false;
}

/*
 * A register write is recorded once handled, so that the guest memory its
 * handler read (and, for a submission, every frame the GPU may reach) goes
 * in first: replay writes the memory, then the register. What the write
 * raised stays pending until the next line, as before.
 */
void gvt_trace_write_begin(struct gvt_vgpu *vgpu, uint64_t offset)
{
	struct gvt_dma_cache *dma = &vgpu->dma;

	flush_pending(vgpu);
	if (vgpu->trace && is_submission_port(vgpu, offset))
		for (uint32_t i = 0; i < dma->map.capacity && vgpu->trace; i++) {
			uint64_t key = dma->map.slots[i].key;

			if (key != GVT_U64MAP_EMPTY)
				gvt_trace_frames_mapped(vgpu, key >> 1,
							key & 1 ? GVT_DMA_2M :
								  GVT_DMA_4K);
		}
	gvt_trace_reader = vgpu;
}

void gvt_trace_write_end(struct gvt_vgpu *vgpu, const char *op,
			 uint64_t offset, uint32_t size, const void *data)
{
	gvt_trace_reader = NULL;
	io_line(vgpu, op, offset, size, data);
}

/* A write of any length becomes naturally aligned pieces of 1-8 bytes. */
void gvt_trace_memory_write(struct gvt_vgpu *vgpu, uint64_t gpa,
			    const void *data, uint32_t len)
{
	const uint8_t *p = data;

	while (len && vgpu->trace) {
		uint32_t n = 8;

		while (n > len || (gpa & (n - 1)))
			n /= 2;
		gvt_trace_io(vgpu, "mw", gpa, n, p);
		/* The guest's write, replayed as a write: the trace's copy
		 * of the frame follows it. */
		if (vgpu->trace) {
			struct gvt_u64map_slot *slot = gvt_u64map_find(
				&vgpu->trace->frames, gpa / GVT_HV_PAGE_SIZE);

			if (slot)
				memcpy((uint8_t *)(uintptr_t)slot->value +
					       gpa % GVT_HV_PAGE_SIZE,
				       p, n);
		}
		gpa += n;
		p += n;
		len -= n;
	}
}

void gvt_trace_finished(struct gvt_vgpu *vgpu, unsigned int engine)
{
	__atomic_add_fetch(&vgpu->trace->finished[engine], 1, __ATOMIC_RELAXED);
}

void gvt_trace_msi(struct gvt_vgpu *vgpu)
{
	__atomic_add_fetch(&vgpu->trace->msis, 1, __ATOMIC_RELAXED);
}

/* The level after the access; replay compares levels, not edges. */
void gvt_trace_intx(struct gvt_vgpu *vgpu, bool asserted)
{
	vgpu->trace->intx = asserted;
}

void gvt_trace_begin_read(struct gvt_vgpu *vgpu)
{
	flush_pending(vgpu);
}

void gvt_trace_event(struct gvt_vgpu *vgpu, const char *name)
{
	flush_pending(vgpu);
	if (vgpu->trace &&
	    fprintf(vgpu->trace->file, "event %u %s\n", TRACE_ID, name) < 0)
		trace_failed(vgpu);
}

void gvt_trace_reset(struct gvt_vgpu *vgpu)
{
	flush_pending(vgpu);
	if (vgpu->trace && fprintf(vgpu->trace->file, "reset %u\n", TRACE_ID) < 0)
		trace_failed(vgpu);
}

void gvt_trace_fini(struct gvt_vgpu *vgpu)
{
	if (vgpu->trace)
		(void)gvt_vgpu_trace_stop(vgpu);
}
