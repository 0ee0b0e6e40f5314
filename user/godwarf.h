/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * godwarf (not dwarf.h: that would shadow <dwarf.h> under -Iuser): struct member offsets from a Go
 * binary's DWARF (libdw; DWARF 4 up to 1.24, DWARF 5 from 1.25; zlib-compressed sections are read
 * by libdw). Top-level structure types are indexed by name on first use.
 */
#ifndef GOPRY_GODWARF_H
#define GOPRY_GODWARF_H

#include <linux/types.h>
#include <libelf.h>

struct godwarf;

/* 0, -ENOENT (no DWARF), -ENOMEM. elf must outlive the object. */
int godwarf__new(Elf *elf, struct godwarf **out);
void godwarf__free(struct godwarf *dw);

/* 0, -ENOENT (no such type or member), -EINVAL (location is not a constant). */
int godwarf__member_offset(struct godwarf *dw, const char *type, const char *member, __s64 *off);
/* DW_AT_byte_size of a structure type: 0 or -ENOENT. */
int godwarf__struct_size(struct godwarf *dw, const char *type, __u64 *size);

#endif /* GOPRY_GODWARF_H */
