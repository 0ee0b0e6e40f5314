/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gobin: what is where in a Go executable. Reads ELF (libelf), the Go version
 * and module from .go.buildinfo, functions from .symtab or, when stripped,
 * from .gopclntab, PC -> file:line from .gopclntab, data symbols from
 * .symtab and struct member offsets from DWARF when present.
 *
 * Every parser is bounds-checked: the binary is untrusted input.
 */
#ifndef GOPRY_GOBIN_H
#define GOPRY_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gobin;

struct gofunc {
	const char *name; /* e.g. "runtime.gcStart", "runtime.(*mheap).grow" */
	__u64 entry;      /* link-time virtual address */
	__u64 end;        /* one past the last byte */
};

/*
 * Open and index a Go binary. Returns 0 or:
 *   -ENOENT / -EACCES   the file cannot be opened
 *   -ENOEXEC            not an ELF file, or a truncated/corrupt one
 *   -EMEDIUMTYPE        an ELF file but not a Go program (no buildinfo/pclntab)
 *   -EPROTONOSUPPORT    a Go program older than go1.18 layouts we read
 *   -ENOMEM
 * On error *out is NULL; gobin__last_error() is not needed: the caller
 * formats the message from the code and the path.
 */
int gobin__open(const char *path, struct gobin **out);
void gobin__free(struct gobin *gb);

const char *gobin__path(const struct gobin *gb);
/* "go1.22.12"; minor is 22, patch 12 (devel/unparsable: minor 0) */
const char *gobin__go_version(const struct gobin *gb);
int gobin__go_minor(const struct gobin *gb);
int gobin__go_patch(const struct gobin *gb);
/* Module path ("mod" line) and main package path ("path" line), or "". */
const char *gobin__module_path(const struct gobin *gb);
const char *gobin__main_path(const struct gobin *gb);

bool gobin__is_pie(const struct gobin *gb);      /* ET_DYN */
bool gobin__has_symtab(const struct gobin *gb);  /* .symtab with Go functions */
bool gobin__has_dwarf(const struct gobin *gb);   /* .debug_info present */

/* Functions, from .symtab when present else .gopclntab, sorted by entry. */
size_t gobin__func_count(const struct gobin *gb);
const struct gofunc *gobin__func(const struct gobin *gb, size_t i);
const struct gofunc *gobin__find_func(const struct gobin *gb, const char *name);
const struct gofunc *gobin__func_at(const struct gobin *gb, __u64 pc);

/* PC -> source file and line via .gopclntab (0 or -ENOENT). */
int gobin__pc_line(const struct gobin *gb, __u64 pc, const char **file, int *line);

/* One logical (source-level) frame; strings live as long as the gobin. */
struct goframe {
	const char *func; /* pclntab name, e.g. "main.grow"; "?" when unreadable */
	const char *file; /* NULL when pcfile has no entry at the pc */
	int line;
};

/*
 * The logical frames at the instruction pc, innermost first: the functions
 * the compiler inlined there, then the physical function, with each one's
 * file:line (what runtime.CallersFrames reports). pc is looked up as is: for
 * a return address (every frame but a sampled leaf) pass retaddr - 1, Go's
 * convention (runtime.Frames.Next "pc--"). Returns the number of frames
 * written (1..max; 1 when the function has no inline tree or moduledata was
 * not found) or -ENOENT when pc is in no function.
 */
int gobin__pc_frames(const struct gobin *gb, __u64 pc, struct goframe *out, int max);
/* moduledata.gofunc (base of FUNCDATA), 0 when not found: inlined frames are then not expanded. */
__u64 gobin__gofunc(const struct gobin *gb);

/* Address of a data symbol in .symtab (0 or -ENOENT when absent/stripped). */
int gobin__symbol_addr(const struct gobin *gb, const char *name, __u64 *addr);

/* Copy len bytes at link-time vaddr from the file (0, -ERANGE, -ENOENT). */
int gobin__read_vaddr(const struct gobin *gb, __u64 vaddr, void *buf, size_t len);
/* File offset of a link-time vaddr in an executable PT_LOAD (for uprobes). */
int gobin__vaddr_to_offset(const struct gobin *gb, __u64 vaddr, __u64 *off);

/*
 * Byte offset of member in DWARF structure type (e.g. "runtime.g", "goid").
 * 0, or -ENOENT (no DWARF, no such type/member), -EINVAL (not a constant).
 */
int gobin__dwarf_member_offset(struct gobin *gb, const char *type, const char *member,
			       __s64 *off);

/*
 * Additions for tests and diagnostics. The function list as .gopclntab
 * describes it (functab order), whether or not .symtab is used, and the
 * text start the pclntab entry offsets are relative to.
 */
size_t gobin__pcln_func_count(const struct gobin *gb);
const struct gofunc *gobin__pcln_func(const struct gobin *gb, size_t i);
__u64 gobin__text_start(const struct gobin *gb);
/* DW_AT_byte_size of a DWARF structure type: 0 or -ENOENT. */
int gobin__dwarf_struct_size(struct gobin *gb, const char *type, __u64 *size);

#endif /* GOPRY_GOBIN_H */
