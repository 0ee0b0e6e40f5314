// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gobin.h"
#include "elfimg.h"
#include "buildinfo.h"
#include "pclntab.h"
#include "godwarf.h"

struct gobin {
	char *path;
	struct elfimg *img;
	struct buildinfo bi;
	int minor, patch;
	struct pclntab *pt;
	struct gofunc *funcs; /* sorted by entry */
	size_t nfunc;
	const struct gofunc **byname;
	bool has_symtab, has_dwarf;
	struct godwarf *dw;
	int dw_err; /* 1 until the first DWARF lookup */
};

static int cmp_entry(const void *a, const void *b)
{
	const struct gofunc *x = a, *y = b;

	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct gofunc *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	if (c)
		return c;
	return (*x)->entry < (*y)->entry ? -1 : (*x)->entry > (*y)->entry;
}

/*
 * Functions are STT_FUNC symbols, and STT_NOTYPE ones in executable sections
 * (labels of assembly in cgo's C runtime, e.g. crosscall1, which go tool nm
 * lists as T).
 */
static bool is_code(const struct elfimg *img, const GElf_Sym *sym)
{
	const struct elf_sec *sec;

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE)
		return false;
	if (GELF_ST_TYPE(sym->st_info) == STT_FUNC)
		return true;
	if (GELF_ST_TYPE(sym->st_info) != STT_NOTYPE)
		return false;
	sec = elfimg__sec(img, sym->st_shndx);
	return sec && (sec->flags & SHF_EXECINSTR);
}

/* End of the pclntab function starting at entry, or entry. */
static __u64 pcln_end(const struct pclntab *pt, __u64 entry)
{
	size_t lo = 0, hi = pclntab__nfunc(pt);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pclntab__func(pt, mid)->entry < entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pclntab__nfunc(pt) && pclntab__func(pt, lo)->entry == entry)
		return pclntab__func(pt, lo)->end;
	return entry;
}

/* The table counts as Go's when it names runtime functions. */
static int funcs_from_symtab(struct gobin *gb)
{
	const __u8 *syms;
	const char *strtab;
	size_t nsym, strsz, i, n = 0;
	bool go = false;

	if (elfimg__symtab(gb->img, &syms, &nsym, &strtab, &strsz))
		return 0;
	gb->funcs = calloc(nsym ? nsym : 1, sizeof(*gb->funcs));
	if (!gb->funcs)
		return -ENOMEM;
	for (i = 0; i < nsym; i++) {
		const char *name;
		GElf_Sym sym;

		elfimg__sym(syms, i, strtab, strsz, &sym, &name);
		if (!name || !*name || !is_code(gb->img, &sym))
			continue;
		if (!strncmp(name, "runtime.", 8))
			go = true;
		gb->funcs[n].name = name;
		gb->funcs[n].entry = sym.st_value;
		gb->funcs[n].end = sym.st_value + sym.st_size;
		if (gb->funcs[n].end < sym.st_value)
			gb->funcs[n].end = sym.st_value;
		n++;
	}
	if (!go) {
		free(gb->funcs);
		gb->funcs = NULL;
		return 0;
	}
	/* Assembly labels (cgo's crosscall1) have size 0: take the extent pclntab knows. */
	for (i = 0; i < n; i++)
		if (gb->funcs[i].end == gb->funcs[i].entry)
			gb->funcs[i].end = pcln_end(gb->pt, gb->funcs[i].entry);
	gb->nfunc = n;
	gb->has_symtab = true;
	return 0;
}

static int funcs_from_pclntab(struct gobin *gb)
{
	size_t i, n = pclntab__nfunc(gb->pt);

	gb->funcs = calloc(n, sizeof(*gb->funcs));
	if (!gb->funcs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		gb->funcs[i] = *pclntab__func(gb->pt, i);
	gb->nfunc = n;
	return 0;
}

static int index_funcs(struct gobin *gb)
{
	size_t i;
	int err;

	err = funcs_from_symtab(gb);
	if (!err && !gb->has_symtab)
		err = funcs_from_pclntab(gb);
	if (err)
		return err;
	if (gb->nfunc && gb->funcs)
		qsort(gb->funcs, gb->nfunc, sizeof(*gb->funcs), cmp_entry);
	gb->byname = calloc(gb->nfunc ? gb->nfunc : 1, sizeof(*gb->byname));
	if (!gb->byname)
		return -ENOMEM;
	for (i = 0; i < gb->nfunc; i++)
		gb->byname[i] = &gb->funcs[i];
	if (gb->nfunc)
		qsort(gb->byname, gb->nfunc, sizeof(*gb->byname), cmp_name);
	return 0;
}

int gobin__open(const char *path, struct gobin **out)
{
	const struct elf_sec *info;
	struct gobin *gb;
	int err, bierr;

	*out = NULL;
	gb = calloc(1, sizeof(*gb));
	if (!gb)
		return -ENOMEM;
	gb->dw_err = 1;
	gb->path = strdup(path);
	if (!gb->path) {
		err = -ENOMEM;
		goto free_gb;
	}
	err = elfimg__open(path, &gb->img);
	if (err)
		goto free_gb;
	bierr = buildinfo__read(gb->img, &gb->bi);
	if (bierr == -ENOMEM) {
		err = bierr;
		goto free_gb;
	}
	err = pclntab__open(gb->img, &gb->pt);
	if (err == -ENOENT)
		/* Buildinfo without a pclntab: a damaged Go binary. */
		err = bierr ? -EMEDIUMTYPE : gb->bi.old_format ? -EPROTONOSUPPORT : -ENOEXEC;
	if (err)
		goto free_gb;
	if (bierr) {
		buildinfo__clear(&gb->bi);
		gb->bi.version = strdup("");
		gb->bi.mod_path = strdup("");
		gb->bi.main_path = strdup("");
		if (!gb->bi.version || !gb->bi.mod_path || !gb->bi.main_path) {
			err = -ENOMEM;
			goto free_gb;
		}
	}
	buildinfo__version_numbers(gb->bi.version, &gb->minor, &gb->patch);
	/* Without it only inlined frames are lost: not an error. */
	pclntab__init_inline(gb->pt, gb->minor);
	err = index_funcs(gb);
	if (err)
		goto free_gb;
	info = elfimg__sec_by_name(gb->img, ".debug_info");
	gb->has_dwarf = info && info->in_file && info->size;
	*out = gb;
	return 0;

free_gb:
	gobin__free(gb);
	return err;
}

void gobin__free(struct gobin *gb)
{
	if (!gb)
		return;
	godwarf__free(gb->dw);
	free(gb->byname);
	free(gb->funcs);
	pclntab__free(gb->pt);
	buildinfo__clear(&gb->bi);
	elfimg__free(gb->img);
	free(gb->path);
	free(gb);
}

const char *gobin__path(const struct gobin *gb)
{
	return gb->path;
}

const char *gobin__go_version(const struct gobin *gb)
{
	return gb->bi.version;
}

int gobin__go_minor(const struct gobin *gb)
{
	return gb->minor;
}

int gobin__go_patch(const struct gobin *gb)
{
	return gb->patch;
}

const char *gobin__module_path(const struct gobin *gb)
{
	return gb->bi.mod_path;
}

const char *gobin__main_path(const struct gobin *gb)
{
	return gb->bi.main_path;
}

bool gobin__is_pie(const struct gobin *gb)
{
	return elfimg__is_dyn(gb->img);
}

bool gobin__has_symtab(const struct gobin *gb)
{
	return gb->has_symtab;
}

bool gobin__has_dwarf(const struct gobin *gb)
{
	return gb->has_dwarf;
}

size_t gobin__func_count(const struct gobin *gb)
{
	return gb->nfunc;
}

const struct gofunc *gobin__func(const struct gobin *gb, size_t i)
{
	return i < gb->nfunc ? &gb->funcs[i] : NULL;
}

static const struct gofunc *find_exact(const struct gobin *gb, const char *name)
{
	size_t lo = 0, hi = gb->nfunc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(gb->byname[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < gb->nfunc && !strcmp(gb->byname[lo]->name, name))
		return gb->byname[lo];
	return NULL;
}

/*
 * Assembly functions are "pkg.fn.abi0" in .symtab but "pkg.fn" in pclntab
 * (the ABI suffix is a linker symbol-name mangling, go1.17+ cmd/link); accept
 * either spelling so that callers work the same on stripped binaries.
 */
#define ABI0_SUFFIX ".abi0"

const struct gofunc *gobin__find_func(const struct gobin *gb, const char *name)
{
	const struct gofunc *f = find_exact(gb, name);
	size_t len = strlen(name), slen = strlen(ABI0_SUFFIX);
	char *alt;

	if (f)
		return f;
	if (len > slen && !strcmp(name + len - slen, ABI0_SUFFIX))
		alt = strndup(name, len - slen);
	else if (asprintf(&alt, "%s%s", name, ABI0_SUFFIX) < 0)
		alt = NULL;
	if (!alt)
		return NULL;
	f = find_exact(gb, alt);
	free(alt);
	return f;
}

/*
 * Of two symbols covering a PC at the same entry, not the "pkg(.text)" name
 * the Go linker gives static C functions of host objects (internal cgo
 * linking) when there is another; else the narrower one.
 */
static bool better(const struct gofunc *a, const struct gofunc *b)
{
	bool pa = strchr(a->name, '('), pb = strchr(b->name, '(');

	if (pa != pb)
		return pb;
	return a->end < b->end;
}

const struct gofunc *gobin__func_at(const struct gobin *gb, __u64 pc)
{
	const struct gofunc *best = NULL;
	size_t lo = 0, hi = gb->nfunc, i;

	/* Rightmost entry <= pc, then every alias with that entry. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gb->funcs[mid].entry <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	for (i = lo; i-- > 0 && gb->funcs[i].entry == gb->funcs[lo - 1].entry;)
		if (pc < gb->funcs[i].end && (!best || better(&gb->funcs[i], best)))
			best = &gb->funcs[i];
	return best;
}

int gobin__pc_line(const struct gobin *gb, __u64 pc, const char **file, int *line)
{
	return pclntab__pc_line(gb->pt, pc, file, line);
}

int gobin__pc_frames(const struct gobin *gb, __u64 pc, struct goframe *out, int max)
{
	return pclntab__pc_frames(gb->pt, pc, out, max);
}

__u64 gobin__gofunc(const struct gobin *gb)
{
	return pclntab__gofunc(gb->pt);
}

int gobin__symbol_addr(const struct gobin *gb, const char *name, __u64 *addr)
{
	const __u8 *syms;
	const char *strtab;
	size_t nsym, strsz, i;

	if (elfimg__symtab(gb->img, &syms, &nsym, &strtab, &strsz))
		return -ENOENT;
	for (i = 0; i < nsym; i++) {
		const char *sname;
		GElf_Sym sym;

		elfimg__sym(syms, i, strtab, strsz, &sym, &sname);
		if (sname && sym.st_shndx != SHN_UNDEF && !strcmp(sname, name)) {
			*addr = sym.st_value;
			return 0;
		}
	}
	return -ENOENT;
}

int gobin__read_vaddr(const struct gobin *gb, __u64 vaddr, void *buf, size_t len)
{
	return elfimg__read_vaddr(gb->img, vaddr, buf, len);
}

int gobin__vaddr_to_offset(const struct gobin *gb, __u64 vaddr, __u64 *off)
{
	return elfimg__vaddr_to_offset(gb->img, vaddr, off);
}

static struct godwarf *dwarf_of(struct gobin *gb)
{
	if (gb->dw_err == 1)
		gb->dw_err = gb->has_dwarf ? godwarf__new(elfimg__elf(gb->img), &gb->dw) : -ENOENT;
	return gb->dw;
}

int gobin__dwarf_member_offset(struct gobin *gb, const char *type, const char *member, __s64 *off)
{
	struct godwarf *dw = dwarf_of(gb);

	return dw ? godwarf__member_offset(dw, type, member, off) : -ENOENT;
}

int gobin__dwarf_struct_size(struct gobin *gb, const char *type, __u64 *size)
{
	struct godwarf *dw = dwarf_of(gb);

	return dw ? godwarf__struct_size(dw, type, size) : -ENOENT;
}

size_t gobin__pcln_func_count(const struct gobin *gb)
{
	return pclntab__nfunc(gb->pt);
}

const struct gofunc *gobin__pcln_func(const struct gobin *gb, size_t i)
{
	return pclntab__func(gb->pt, i);
}

__u64 gobin__text_start(const struct gobin *gb)
{
	return pclntab__text_start(gb->pt);
}
