// SPDX-License-Identifier: MIT
/*
 * A third implementation of struct gvt_hv_ops, for tests and benchmarks:
 * guest RAM in a memfd, every call recorded, any op made to fail on demand.
 */
#ifndef GVT_MOCK_HV_H
#define GVT_MOCK_HV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <gvt/gvt_hv.h>

enum mock_op {
	MOCK_READ_GPA,
	MOCK_WRITE_GPA,
	MOCK_DMA_MAP,
	MOCK_DMA_UNMAP,
	MOCK_INJECT_MSI,
	MOCK_PAGE_TRACK_ENABLE,
	MOCK_PAGE_TRACK_DISABLE,
	MOCK_SET_INTX,
	MOCK_NUM_OPS
};

#define MOCK_MSI_LOG 256
#define MOCK_TRACK_LOG 256

struct mock_msi {
	uint64_t addr;
	uint32_t data;
};

struct mock_track_call {
	uint64_t gfn;
	bool enable;
};

/*
 * Called after an MSI is recorded, from whichever thread libgvt injects it
 * on (the GPU thread, for completions): a guest driver waits on it as a
 * vCPU waits for its interrupt. It must not call back into libgvt.
 */
typedef void mock_msi_fn(void *opaque, uint64_t addr, uint32_t data);

struct mock_fault {
	unsigned int after;	/* let this many calls succeed first */
	unsigned int count;	/* then fail this many (UINT_MAX: forever) */
	int err;		/* with this -errno */
};

struct mock_hv {
	int memfd;			/* backs guest RAM */
	uint8_t *ram;			/* guest-physical 0 .. ram_size, 2 MiB aligned */
	void *reserved;			/* the address range ram sits in */
	uint64_t ram_size;
	uint32_t *map_refs;		/* live dma mappings per guest page */

	_Atomic uint64_t calls[MOCK_NUM_OPS];	/* every call, failed or not */
	uint64_t maps_live;		/* dma_map minus dma_unmap */
	uint64_t bad_unmaps;		/* unmaps of something not mapped */

	struct mock_msi msi[MOCK_MSI_LOG];	/* the first MOCK_MSI_LOG MSIs */
	_Atomic unsigned int num_msi;		/* all MSIs delivered */
	mock_msi_fn *msi_fn;			/* set before the vGPU runs */
	void *msi_opaque;

	bool intx;			/* the INTx line's level */
	unsigned int intx_changes;	/* set_intx calls that changed it */

	struct mock_track_call track[MOCK_TRACK_LOG];
	unsigned int num_track;
	uint64_t tracked_live;		/* enables minus disables */

	struct mock_fault fault[MOCK_NUM_OPS];
	uint64_t zero_bus_gfn;		/* dma_map of this gfn yields bus address 0 */
};

/* The ops table with page tracking (KVM/Xen-like) and without (vfio-user-like). */
extern const struct gvt_hv_ops mock_hv_ops;
extern const struct gvt_hv_ops mock_hv_ops_no_track;

/* Guest RAM of @ram_size bytes (a multiple of 4096). Returns 0 or -errno. */
int mock_hv_create(uint64_t ram_size, struct mock_hv **out);
void mock_hv_destroy(struct mock_hv *mock);

/* Make @op fail with @err after @after more successful calls, @count times. */
void mock_hv_fail(struct mock_hv *mock, enum mock_op op, unsigned int after,
		  unsigned int count, int err);

/* Call @fn(@opaque, addr, data) on every MSI delivered; NULL removes it.
 * Set it while no MSI can arrive (before the guest enables MSI). */
void mock_hv_set_msi_hook(struct mock_hv *mock, mock_msi_fn *fn, void *opaque);

/* The bus address dma_map hands out for guest frame @gfn. */
uint64_t mock_hv_bus_addr(const struct mock_hv *mock, uint64_t gfn);

#endif /* GVT_MOCK_HV_H */
