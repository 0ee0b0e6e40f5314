/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elfimg: a read-only view of one ELF file for the Go binary reader. The
 * file is mapped once; sections, program headers and .symtab are checked
 * against the file size so that callers get byte ranges they may read.
 * Only 64-bit little-endian files are accepted (amd64, arm64).
 */
#ifndef GOPRY_ELFIMG_H
#define GOPRY_ELFIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <gelf.h> /* also <elf.h>: this header cannot be named elf.h under -Iuser */

struct elfimg;

struct elf_sec {
	const char *name; /* "" when unnamed */
	__u64 addr;
	__u64 off;
	__u64 size; /* bytes in the file (0 for SHT_NOBITS) */
	__u64 flags;
	__u32 type;
	__u32 link;
	__u64 entsize;
	bool in_file; /* [off, off+size) lies inside the file */
};

struct elf_seg {
	__u64 vaddr, memsz;
	__u64 off, filesz; /* filesz clamped to the file */
	__u32 flags; /* PF_X, PF_W, PF_R */
};

/* 0, -ENOENT/-EACCES/..., -ENOEXEC (not ELF, corrupt), -EPROTONOSUPPORT (not 64-bit LE) */
int elfimg__open(const char *path, struct elfimg **out);
void elfimg__free(struct elfimg *img);

Elf *elfimg__elf(const struct elfimg *img);
bool elfimg__is_dyn(const struct elfimg *img);
__u16 elfimg__machine(const struct elfimg *img);
const __u8 *elfimg__data(const struct elfimg *img, size_t *size);

size_t elfimg__nsec(const struct elfimg *img);
const struct elf_sec *elfimg__sec(const struct elfimg *img, size_t i);
const struct elf_sec *elfimg__sec_by_name(const struct elfimg *img, const char *name);
/* The file bytes of a section; NULL for NOBITS, compressed or out-of-file sections. */
const __u8 *elfimg__sec_bytes(const struct elfimg *img, const struct elf_sec *sec);

size_t elfimg__nseg(const struct elfimg *img);
const struct elf_seg *elfimg__seg(const struct elfimg *img, size_t i);

/* Bytes at a link-time vaddr: 0, -ENOENT (unmapped), -ERANGE (crosses the segment end). */
int elfimg__read_vaddr(const struct elfimg *img, __u64 vaddr, void *buf, size_t len);
/* Pointer to len file-backed bytes at vaddr, or NULL. */
const __u8 *elfimg__vaddr_ptr(const struct elfimg *img, __u64 vaddr, size_t len);
/* File offset of vaddr within an executable PT_LOAD: 0 or -ENOENT. */
int elfimg__vaddr_to_offset(const struct elfimg *img, __u64 vaddr, __u64 *off);

/* .symtab as raw entries: 0 or -ENOENT. The string table is bounded by strsz. */
int elfimg__symtab(const struct elfimg *img, const __u8 **syms, size_t *nsym, const char **strtab,
		   size_t *strsz);
/* Symbol i of a symtab returned above; *name is NULL when not NUL-terminated in bounds. */
void elfimg__sym(const __u8 *syms, size_t i, const char *strtab, size_t strsz, GElf_Sym *sym,
		 const char **name);

/* Little-endian loads from possibly unaligned memory. */
static inline __u32 le32(const void *p)
{
	__u32 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u64 le64(const void *p)
{
	__u64 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* True when [off, off+len) lies within [0, size), without overflow. */
static inline bool in_bounds(__u64 off, __u64 len, __u64 size)
{
	return off <= size && len <= size - off;
}

#endif /* GOPRY_ELFIMG_H */
