/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pclntab: Go's PC/line table (.gopclntab), layouts of go1.18 to go1.27
 * (magic 0xfffffff0 for 1.18-1.19, 0xfffffff1 from 1.20; go1.26.10
 * internal/abi/symtab.go:16-25). Gives the function list with names and
 * PC -> file:line.
 */
#ifndef GOPRY_PCLNTAB_H
#define GOPRY_PCLNTAB_H

#include <stddef.h>
#include <linux/types.h>
#include "gobin.h"

struct elfimg;
struct pclntab;

/*
 * Functions are struct gofunc (gobin.h): name is "?" when its offset is out
 * of bounds; end is the next function's entry (or the end-of-text entry).
 */

/*
 * 0, -ENOENT (no pclntab), -EPROTONOSUPPORT (pre-1.18 magic or not 8-byte
 * pointers), -ENOEXEC (corrupt header or no way to find the text start), -ENOMEM.
 */
int pclntab__open(const struct elfimg *img, struct pclntab **out);
void pclntab__free(struct pclntab *pt);

__u64 pclntab__vaddr(const struct pclntab *pt); /* where the header is */
__u64 pclntab__text_start(const struct pclntab *pt); /* moduledata.text */
__u32 pclntab__magic(const struct pclntab *pt);

/* Functions in functab order (sorted by entry in a well-formed file). */
size_t pclntab__nfunc(const struct pclntab *pt);
const struct gofunc *pclntab__func(const struct pclntab *pt, size_t i);

/* 0 or -ENOENT (pc in no function, or tables absent/corrupt). */
int pclntab__pc_line(const struct pclntab *pt, __u64 pc, const char **file, int *line);

/*
 * Find moduledata.gofunc, the base of funcdata, whose offset in moduledata
 * depends on the Go minor version (0: unknown, decided by the magic).
 * 0, -ENOENT (no moduledata found), -ENOEXEC (implausible value).
 */
int pclntab__init_inline(struct pclntab *pt, int minor);
__u64 pclntab__gofunc(const struct pclntab *pt);
/* See gobin__pc_frames. */
int pclntab__pc_frames(const struct pclntab *pt, __u64 pc, struct goframe *out, int max);

#endif /* GOPRY_PCLNTAB_H */
