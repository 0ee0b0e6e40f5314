/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * layout: where the Go runtime keeps what gopry reads, for one binary.
 * Member offsets of runtime structs (gofields.def) come from the binary's
 * DWARF, else from the per-Go-version table generated from the toolchains'
 * DWARF (offsets_table.c). Addresses of runtime globals come from .symtab,
 * else from decoding runtime instructions that reference them; a global that
 * can be found neither way is reported unavailable, never guessed.
 */
#ifndef GOPRY_LAYOUT_H
#define GOPRY_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gobin;

enum go_field {
#define X(id, type, member) GF_##id,
#include "gofields.def"
#undef X
	GF__COUNT,
};

enum go_global {
	GG_WORK,         /* runtime.work */
	GG_MEMSTATS,     /* runtime.memstats */
	GG_GCCONTROLLER, /* runtime.gcController */
	GG_ALLGS,        /* runtime.allgs (a []*g) */
	GG__COUNT,
};

enum layout_source {
	LS_NONE = 0,  /* unavailable */
	LS_DWARF,     /* member offset from the binary's DWARF */
	LS_TABLE,     /* member offset from the per-version table */
	LS_SYMTAB,    /* global address from .symtab */
	LS_DECODE,    /* global address from decoded runtime instructions */
};

struct go_layout {
	__s64 off[GF__COUNT];          /* -1 when absent in this Go version */
	enum layout_source off_src[GF__COUNT];
	__u64 global[GG__COUNT];       /* link-time vaddr, 0 when unavailable */
	enum layout_source global_src[GG__COUNT];
	const char *table_version;     /* table row used ("go1.22.12"), or NULL */
};

/*
 * Fill *lay for gb. Returns 0 even when some entries are unavailable (they
 * are -1 / 0 with LS_NONE); -ENOTSUP when neither DWARF nor a table row for
 * this Go minor version exists (the caller says which features are off).
 */
int layout__resolve(struct gobin *gb, struct go_layout *lay);

const char *layout__field_name(enum go_field f);   /* "runtime.g.goid" */
const char *layout__global_name(enum go_global g); /* "runtime.work" */
const char *layout__source_name(enum layout_source s);

/*
 * Decode-only address of a global (LS_DECODE), whatever the binary has: lets
 * tests compare it with .symtab. Needs lay->off[] filled. 0, -ENOENT (no
 * unique well-supported base), -ENOMEM.
 */
int layout__decode_global(struct gobin *gb, const struct go_layout *lay, enum go_global g,
			  __u64 *addr);

/* The generated per-version table (offsets_table.c). */
struct layout_table_row {
	int minor;                     /* 22 for go1.22.x */
	const char *version;           /* release generated from: "go1.22.12" */
	int off[GF__COUNT];            /* -1 when absent */
};
extern const struct layout_table_row layout__table[];
extern const size_t layout__table_rows;

/* Go minor versions with a table row, for messages ("1.19, 1.21-1.27"). */
const char *layout__table_versions(void);

#endif /* GOPRY_LAYOUT_H */
