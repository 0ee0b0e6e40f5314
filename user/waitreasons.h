/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * waitreasons: the names of runtime.waitReason values for one binary. The
 * numbering changes almost every release (go1.26 reorders the block), so
 * names come from the binary's own runtime.waitReasonStrings when .symtab
 * has it, else from the per-release table generated from the toolchains'
 * runtime2.go (waitreasons_table.c).
 */
#ifndef GOPRY_WAITREASONS_H
#define GOPRY_WAITREASONS_H

#include <stddef.h>
#include <linux/types.h>

struct gobin;
struct waitreasons;

struct waitreason_row {
	int minor;
	const char *version;
	const char *const *names;
	size_t n;
};
extern const struct waitreason_row waitreason__table[];
extern const size_t waitreason__table_rows;

/* 0, -ENOENT (neither the binary's table nor a row for its Go minor), -ENOMEM. */
int waitreasons__new(struct gobin *gb, struct waitreasons **out);
void waitreasons__free(struct waitreasons *w);
/* The name of reason r; "" for waitReasonZero; NULL when out of range. */
const char *waitreasons__name(const struct waitreasons *w, unsigned int r);
/* "binary" or "table", for diagnostics. */
const char *waitreasons__source(const struct waitreasons *w);
/* The value whose name is s, or -1. */
int waitreasons__lookup(const struct waitreasons *w, const char *s);

#endif
