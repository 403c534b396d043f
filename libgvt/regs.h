// SPDX-License-Identifier: MIT
/*
 * Register tables: what each register of the 2 MiB MMIO range is and which
 * of them need a handler. The tables themselves are declarative and sorted
 * (regs_skl.c); regs.c turns them into a flat per-dword attribute array at
 * gvt_ctx_create() so that dispatch is one indexed load, never a search.
 */
#ifndef GVT_REGS_H
#define GVT_REGS_H

#include <stddef.h>
#include <stdint.h>

struct gvt_ctx;
struct gvt_vgpu;
struct gvt_platform_desc;

/* The register part of BAR0. */
#define GVT_MMIO_SIZE (2u << 20)

/*
 * Per-dword attribute flags. Dispatch tests F_RH / F_WH / F_RO / F_MODE_MASK;
 * the others describe the register for later stages (command scanner, traces).
 */
#define F_TRACKED	(1u << 0)	/* listed in a register table */
#define F_RO		(1u << 1)	/* some bits read-only: see ro_mask */
#define F_MODE_MASK	(1u << 2)	/* bits 31:16 enable writes to 15:0 */
#define F_CMD_ACCESS	(1u << 3)	/* GPU commands (LRI/SRM/LRM) may touch it */
#define F_GMADR		(1u << 4)	/* value holds a graphics-memory address */
#define F_IN_CTX	(1u << 5)	/* saved in the logical context image */
#define F_RH		(1u << 6)	/* reads go through info->read */
#define F_WH		(1u << 7)	/* writes go through info->write */
#define F_W1C		(1u << 8)	/* a 1 clears a bit: bytes not written are 0 */

/* Which platforms a table row applies to (several gen9 parts share rows). */
#define D_SKL		(1u << 0)
#define D_KBL		(1u << 1)
#define D_GEN9		(D_SKL | D_KBL)

/*
 * Handlers see one aligned dword: dispatch has already split 8-byte accesses
 * and merged sub-dword writes. A read handler returns the value the guest
 * sees; a write handler decides what to store (usually through
 * gvt_mmio_write_default(), which applies ro_mask and mode-mask rules) and
 * then performs the side effect it exists for.
 */
typedef uint32_t gvt_mmio_read_fn(struct gvt_vgpu *vgpu, uint32_t offset);
typedef void gvt_mmio_write_fn(struct gvt_vgpu *vgpu, uint32_t offset,
			       uint32_t value);

/* One row of a register table. */
struct gvt_reg {
	const char *name;		/* i915's name, for logs and tools */
	uint32_t offset;		/* bytes from BAR0; ring rows: from the engine base */
	uint32_t size;			/* bytes, a multiple of 4 */
	uint16_t flags;			/* F_* (F_RH/F_WH are derived, not written) */
	uint16_t platforms;		/* D_* */
	uint32_t ro_mask;		/* bits the guest cannot change */
	gvt_mmio_read_fn *read;		/* NULL: plain vreg read */
	gvt_mmio_write_fn *write;	/* NULL: gvt_mmio_write_default() */
};

#define GVT_REG(nm, off, sz, fl, ro, plat, rd, wr)                          \
	{                                                                   \
		.name = (nm), .offset = (off), .size = (sz), .flags = (fl), \
		.ro_mask = (ro), .platforms = (plat), .read = (rd),         \
		.write = (wr)                                               \
	}

/* A table: rows sorted by offset; per_engine rows repeat at every engine
 * base of the platform. */
struct gvt_reg_table {
	const struct gvt_reg *regs;
	size_t count;
	int per_engine;
};

/* What dispatch finds for a dword: 4 bytes, so the 512 Ki-entry array is
 * 2 MiB shared by every vGPU of a context. */
struct gvt_mmio_attr {
	uint16_t flags;		/* F_* */
	uint16_t info;		/* index into gvt_mmio_table.info; 0 = none */
};

struct gvt_mmio_info {
	const struct gvt_reg *reg;	/* the table row */
	uint32_t offset;		/* absolute offset of the row's first dword */
	int engine;			/* enum gvt_engine_id of a per-engine row; -1 */
	uint32_t ro_mask;
	gvt_mmio_read_fn *read;
	gvt_mmio_write_fn *write;
};

struct gvt_mmio_table {
	struct gvt_mmio_attr *attr;	/* GVT_MMIO_SIZE / 4 entries */
	struct gvt_mmio_info *info;	/* info[0] is unused */
	unsigned int num_info;
	unsigned int tracked_dwords;
};

int gvt_mmio_table_build(struct gvt_ctx *ctx, struct gvt_mmio_table *table,
			 const struct gvt_platform_desc *platform,
			 const struct gvt_reg_table *tables, size_t num_tables);
void gvt_mmio_table_free(struct gvt_mmio_table *table);
const struct gvt_reg *gvt_mmio_find_reg(const struct gvt_mmio_table *table,
					uint32_t offset);

/* The Skylake tables (regs_skl.c). */
#define GVT_SKL_NUM_REG_TABLES 2
extern const struct gvt_reg_table gvt_skl_reg_tables[GVT_SKL_NUM_REG_TABLES];

#endif /* GVT_REGS_H */
