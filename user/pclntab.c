// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "elfimg.h"
#include "buildinfo.h"
#include "pclntab.h"

/* go1.26.10 internal/abi/symtab.go:16-25 */
#define MAGIC_GO12 0xfffffffbu
#define MAGIC_GO116 0xfffffffau
#define MAGIC_GO118 0xfffffff0u
#define MAGIC_GO120 0xfffffff1u

/* pcHeader words (go1.22.12 runtime/symtab.go:313; go1.27 symtab.go:376). */
#define HDR_NFUNC 8
#define HDR_TEXTSTART 24
#define HDR_FUNCNAME 32
#define HDR_CU 40
#define HDR_FILETAB 48
#define HDR_PCTAB 56
#define HDR_PCLN 64
#define HDR_LEN 72

/* _func fields read here; same offsets 1.18-1.27 (go1.27 runtime2.go:1074). */
#define FUNC_NAMEOFF 4
#define FUNC_PCFILE 20
#define FUNC_PCLN 24
#define FUNC_CUOFF 32
#define FUNC_MINLEN 36
/* funcID and flag: @36/@37 in 1.18-1.19, @40/@41 once startLine came (1.20). */
#define FUNC118_FUNCID 36
#define FUNC120_FUNCID 40
/* abi.FuncFlagAsm, 1<<2 in every release (go1.19.8 runtime/symtab.go:391, go1.27 abi/symtab.go:59).
 */
#define FUNCFLAG_ASM 0x4
#define ABI0_SUFFIX ".abi0"

/* moduledata.text: 8 (pcHeader) + 6 slices * 24 + findfunctab + minpc + maxpc,
 * in every release 1.18-1.27 (go1.19 runtime/symtab.go:415-426, go1.26 :402-415). */
#define MODDATA_FUNCNAMETAB 8
#define MODDATA_TEXT 176
/*
 * moduledata.gofunc, the base of every funcdata offset: @304 in go1.18-1.19
 * (go1.19 runtime/symtab.go:415-434), @320 once covctrs/ecovctrs came in
 * go1.20 (go1.21 symtab.go:334-357 .. go1.26 symtab.go:402-425), @344 in
 * go1.27 (typedesclen, itaboffset, itabsize: go1.27 symtab.go:402-426).
 * rodata is the word before it in every release.
 */
#define MODDATA_GOFUNC119 304
#define MODDATA_GOFUNC120 320
#define MODDATA_GOFUNC127 344
#define MODDATA_MINLEN (MODDATA_GOFUNC127 + 8)

/*
 * _func trailer: npcdata @28; pcdata[npcdata] then funcdata[nfuncdata] u32s
 * follow the fixed part, which ends with nfuncdata @39 (go1.19
 * runtime2.go:876-905) or @43 (startLine added: go1.21 runtime2.go:890,
 * go1.27 runtime2.go:1074-1115).
 */
#define FUNC_NPCDATA 28
#define FUNC118_FIXED 40
#define FUNC120_FIXED 44
/* go1.19 runtime/symtab.go:303,310; go1.27 internal/abi/symtab.go:110,117 */
#define PCDATA_INLTREEINDEX 2
#define FUNCDATA_INLTREE 3
/*
 * runtime.inlinedCall: go1.19 {parent i16, funcID u8, _ u8, file i32, line i32,
 * func_ i32, parentPc i32} (symtab.go:1175-1183); go1.20+ {funcID u8, _ [3]u8,
 * nameOff i32, parentPc i32, startLine i32} (go1.21 symtabinl.go:10-16, go1.27
 * symtabinl.go:13-19). Both name offsets index funcnametab.
 */
#define INL118_SIZE 20
#define INL118_NAME 12
#define INL118_PARENTPC 16
#define INL120_SIZE 16
#define INL120_NAME 4
#define INL120_PARENTPC 8
/* Deeper inlining than this is a loop in a corrupt table. */
#define MAX_INLINE_DEPTH 64

struct pclntab {
	const __u8 *data; /* header; data[0, size) is file-backed */
	__u64 size;
	__u64 vaddr;
	__u32 magic;
	__u8 minlc;
	__u64 text;
	__u64 nfunc;
	__u64 funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
	struct gofunc *funcs;
	char *abi0_names; /* storage for the "<name>.abi0" renames */
	const struct elfimg *img; /* outlives pt (gobin frees pt first) */
	__u64 gofunc;             /* moduledata.gofunc, 0 when unknown */
};

static int check_header(const __u8 *p, __u64 size)
{
	__u32 magic = le32(p);

	if (magic == MAGIC_GO12 || magic == MAGIC_GO116)
		return -EPROTONOSUPPORT;
	if (magic != MAGIC_GO118 && magic != MAGIC_GO120)
		return -ENOENT;
	if (p[4] || p[5] || (p[6] != 1 && p[6] != 2 && p[6] != 4))
		return -ENOEXEC;
	if (p[7] != 8)
		return -EPROTONOSUPPORT;
	if (size < HDR_LEN)
		return -ENOEXEC;
	return 0;
}

/* Sections named by the linker; ≤1.25 internal-link PIE uses .data.rel.ro.gopclntab. */
static int find_by_section(const struct elfimg *img, struct pclntab *pt)
{
	static const char *const names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct elf_sec *s = elfimg__sec_by_name(img, names[i]);
		const __u8 *p = elfimg__sec_bytes(img, s);

		if (!p || s->size < 8)
			continue;
		pt->data = p;
		pt->size = s->size;
		pt->vaddr = s->addr;
		return check_header(p, s->size);
	}
	return -ENOENT;
}

/* No usable section header: look for the magic at 8-byte aligned addresses. */
static int find_by_magic(const struct elfimg *img, struct pclntab *pt)
{
	size_t fsize, i;
	const __u8 *file = elfimg__data(img, &fsize);
	int ret = -ENOENT;

	for (i = 0; i < elfimg__nseg(img); i++) {
		const struct elf_seg *s = elfimg__seg(img, i);
		__u64 o = (8 - (s->vaddr & 7)) & 7;

		for (; o + HDR_LEN <= s->filesz; o += 8) {
			const __u8 *p = file + s->off + o;
			int err;

			if (p[3] != 0xff || p[4] || p[5])
				continue;
			err = check_header(p, s->filesz - o);
			if (err == -ENOENT || err == -ENOEXEC)
				continue;
			if (err) {
				ret = err;
				continue;
			}
			pt->data = p;
			pt->size = s->filesz - o;
			pt->vaddr = s->vaddr + o;
			return 0;
		}
	}
	return ret;
}

static int parse_header(struct pclntab *pt)
{
	const __u8 *p = pt->data;
	__u64 sz = pt->size, ftab;

	pt->magic = le32(p);
	pt->minlc = p[6];
	pt->nfunc = le64(p + HDR_NFUNC);
	pt->text = le64(p + HDR_TEXTSTART);
	pt->funcname_off = le64(p + HDR_FUNCNAME);
	pt->cu_off = le64(p + HDR_CU);
	pt->filetab_off = le64(p + HDR_FILETAB);
	pt->pctab_off = le64(p + HDR_PCTAB);
	pt->pcln_off = le64(p + HDR_PCLN);
	if (pt->funcname_off > sz || pt->cu_off > sz || pt->filetab_off > sz ||
	    pt->pctab_off > sz || pt->pcln_off > sz)
		return -ENOEXEC;
	/* functab is nfunc {entryoff, funcoff} pairs plus the end-of-text entryoff. */
	ftab = sz - pt->pcln_off;
	if (!pt->nfunc || pt->nfunc > ftab / 8 || pt->nfunc * 8 + 4 > ftab)
		return -ENOEXEC;
	return 0;
}

/* runtime.firstmoduledata starts with the pcHeader pointer; check funcnametab too. */
static bool moduledata_ok(const struct pclntab *pt, const __u8 *md)
{
	return le64(md) == pt->vaddr &&
	       le64(md + MODDATA_FUNCNAMETAB) == pt->vaddr + pt->funcname_off;
}

/*
 * 1.26+ writes 0 for pcHeader.textStart (go1.26.10 cmd/link/internal/ld/pcln.go:276):
 * take moduledata.text, from .go.module (1.26+), runtime.text in .symtab, or
 * by scanning writable data for moduledata. Never the .text section address:
 * with external linking it starts with C code.
 */
static int find_text_start(const struct elfimg *img, struct pclntab *pt)
{
	const struct elf_sec *s = elfimg__sec_by_name(img, ".go.module");
	const __u8 *md = elfimg__sec_bytes(img, s), *syms, *file;
	const char *strtab;
	size_t nsym, strsz, i, fsize;

	if (md && s->size >= MODDATA_TEXT + 8 && moduledata_ok(pt, md)) {
		pt->text = le64(md + MODDATA_TEXT);
		return 0;
	}
	if (!elfimg__symtab(img, &syms, &nsym, &strtab, &strsz)) {
		for (i = 0; i < nsym; i++) {
			const char *name;
			GElf_Sym sym;

			elfimg__sym(syms, i, strtab, strsz, &sym, &name);
			if (name && !strcmp(name, "runtime.text") && sym.st_shndx != SHN_UNDEF) {
				pt->text = sym.st_value;
				return 0;
			}
		}
	}
	file = elfimg__data(img, &fsize);
	for (i = 0; i < elfimg__nseg(img); i++) {
		const struct elf_seg *sg = elfimg__seg(img, i);
		__u64 o = (8 - (sg->vaddr & 7)) & 7;

		if (!(sg->flags & PF_W))
			continue;
		for (; o + MODDATA_TEXT + 8 <= sg->filesz; o += 8) {
			md = file + sg->off + o;
			if (moduledata_ok(pt, md)) {
				pt->text = le64(md + MODDATA_TEXT);
				return 0;
			}
		}
	}
	return -ENOEXEC;
}

static const __u8 *func_at_off(const struct pclntab *pt, __u32 funcoff)
{
	__u64 off = pt->pcln_off + (__u64)funcoff;

	if (!in_bounds(off, FUNC_MINLEN, pt->size))
		return NULL;
	return pt->data + off;
}

/* NUL-terminated string at a section offset, or NULL. */
static const char *str_at(const struct pclntab *pt, __u64 off)
{
	if (off >= pt->size || !memchr(pt->data + off, 0, pt->size - off))
		return NULL;
	return (const char *)pt->data + off;
}

static __u32 ftab_word(const struct pclntab *pt, __u64 i)
{
	return le32(pt->data + pt->pcln_off + i * 4);
}

static int load_funcs(struct pclntab *pt)
{
	__u64 i;

	pt->funcs = calloc(pt->nfunc, sizeof(*pt->funcs));
	if (!pt->funcs)
		return -ENOMEM;
	for (i = 0; i < pt->nfunc; i++) {
		struct gofunc *f = &pt->funcs[i];
		__u32 entryoff = ftab_word(pt, 2 * i), next = ftab_word(pt, 2 * i + 2);
		const __u8 *fn = func_at_off(pt, ftab_word(pt, 2 * i + 1));
		__s32 nameoff;

		f->entry = pt->text + entryoff;
		f->end = next >= entryoff ? pt->text + next : f->entry;
		f->name = NULL;
		if (fn) {
			nameoff = (__s32)le32(fn + FUNC_NAMEOFF);
			if (nameoff >= 0)
				f->name = str_at(pt, pt->funcname_off + (__u64)nameoff);
		}
		if (!f->name)
			f->name = "?";
	}
	return 0;
}

/* funcID and flags of function i; false when out of bounds. */
static bool func_kind(const struct pclntab *pt, __u64 i, __u8 *funcid, __u8 *flag)
{
	__u64 off = pt->pcln_off + (__u64)ftab_word(pt, 2 * i + 1);
	__u64 at = pt->magic == MAGIC_GO118 ? FUNC118_FUNCID : FUNC120_FUNCID;

	if (!in_bounds(off, at + 2, pt->size))
		return false;
	*funcid = pt->data[off + at];
	*flag = pt->data[off + at + 1];
	return true;
}

static int cmp_idx_name(const void *a, const void *b, void *arg)
{
	const struct gofunc *f = arg;
	const __u32 *x = a, *y = b;
	int c = strcmp(f[*x].name, f[*y].name);

	return c ? c : (*x > *y) - (*x < *y);
}

/*
 * An assembly function and its ABIInternal wrapper, or a Go function and its
 * ABI0 wrapper, share one name in pclntab; .symtab calls the ABI0 one
 * "<name>.abi0" (go1.22.12 cmd/link/internal/ld/symtab.go:873-891). Name it
 * so here too, so that stripped and unstripped binaries agree on such pairs
 * (a lone assembly function stays unsuffixed: whether .symtab suffixes it
 * depends on link-time symbols that left no trace; gobin__find_func accepts
 * both spellings). Of a pair, the assembly one is
 * ABI0; without assembly, the one marked special (the compiler's wrapper,
 * funcID != normal) is, and when both are marked (reflect.callMethod), the
 * smaller: a wrapper only moves arguments and calls. tests/unit/gobin.sh
 * checks the result against .symtab for every toolchain and mode.
 */
static __u64 sz(const struct pclntab *pt, __u32 i)
{
	return pt->funcs[i].end - pt->funcs[i].entry;
}

static int name_abi0(struct pclntab *pt)
{
	size_t i, n = pt->nfunc, used = 0, need = 0;
	__u32 *idx = malloc(n * sizeof(*idx));
	__u32 *pick;
	char *buf;

	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_idx_name, pt->funcs);
	/* Pairs only; mark the chosen index in place, then size the storage. */
	pick = idx;
	for (i = 0; i + 1 < n; i++) {
		__u32 a = idx[i], b = idx[i + 1];
		__u8 ida, fla, idb, flb;
		int which = -1;

		if (strcmp(pt->funcs[a].name, pt->funcs[b].name) || *pt->funcs[a].name == '?' ||
		    (i + 2 < n && !strcmp(pt->funcs[a].name, pt->funcs[idx[i + 2]].name)))
			continue;
		if (!func_kind(pt, a, &ida, &fla) || !func_kind(pt, b, &idb, &flb))
			continue;
		if ((fla & FUNCFLAG_ASM) != (flb & FUNCFLAG_ASM))
			which = (fla & FUNCFLAG_ASM) ? 0 : 1;
		else if (!ida != !idb)
			which = ida ? 0 : 1;
		else if (!(fla & FUNCFLAG_ASM) && sz(pt, a) != sz(pt, b))
			which = sz(pt, a) < sz(pt, b) ? 0 : 1;
		if (which < 0)
			continue;
		pick[used++] = which ? b : a;
		need += strlen(pt->funcs[which ? b : a].name) + sizeof(ABI0_SUFFIX);
		i++;
	}
	buf = pt->abi0_names = malloc(need ? need : 1);
	if (!buf) {
		free(idx);
		return -ENOMEM;
	}
	for (i = 0; i < used; i++) {
		struct gofunc *f = &pt->funcs[pick[i]];
		size_t len = strlen(f->name);

		memcpy(buf, f->name, len);
		memcpy(buf + len, ABI0_SUFFIX, sizeof(ABI0_SUFFIX));
		f->name = buf;
		buf += len + sizeof(ABI0_SUFFIX);
	}
	free(idx);
	return 0;
}

int pclntab__open(const struct elfimg *img, struct pclntab **out)
{
	struct pclntab *pt;
	int err;

	*out = NULL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	err = find_by_section(img, pt);
	if (err == -ENOENT)
		err = find_by_magic(img, pt);
	if (err)
		goto free_pt;
	err = parse_header(pt);
	if (err)
		goto free_pt;
	if (!pt->text) {
		err = find_text_start(img, pt);
		if (err)
			goto free_pt;
	}
	err = load_funcs(pt);
	if (err)
		goto free_pt;
	err = name_abi0(pt);
	if (err)
		goto free_pt;
	pt->img = img;
	*out = pt;
	return 0;

free_pt:
	pclntab__free(pt);
	return err;
}

void pclntab__free(struct pclntab *pt)
{
	if (!pt)
		return;
	free(pt->funcs);
	free(pt->abi0_names);
	free(pt);
}

__u64 pclntab__vaddr(const struct pclntab *pt)
{
	return pt->vaddr;
}

__u64 pclntab__text_start(const struct pclntab *pt)
{
	return pt->text;
}

__u32 pclntab__magic(const struct pclntab *pt)
{
	return pt->magic;
}

size_t pclntab__nfunc(const struct pclntab *pt)
{
	return pt->nfunc;
}

const struct gofunc *pclntab__func(const struct pclntab *pt, size_t i)
{
	return i < pt->nfunc ? &pt->funcs[i] : NULL;
}

/*
 * Value of a pc-value table at pc (go1.22.12 runtime/symtab.go pcvalue/step):
 * pairs of zig-zag value delta and pc delta (in units of minLC), starting at
 * value -1 and the function entry. Each step consumes at least two bytes, so
 * the loop ends within the table.
 */
static int pcvalue(const struct pclntab *pt, __u32 tab, __u64 entry, __u64 pc, __s32 *out)
{
	__u64 off = pt->pctab_off + (__u64)tab, cur = entry;
	__u32 val = (__u32)-1;
	bool first = true;

	if (!tab || off >= pt->size)
		return -ENOENT;
	while (off < pt->size) {
		__u64 uv, pcd;
		size_t k;

		k = uvarint(pt->data + off, pt->size - off, &uv);
		if (!k || (uv == 0 && !first))
			return -ENOENT;
		off += k;
		uv = (__u32)uv;
		val += (uv & 1) ? ~(__u32)(uv >> 1) : (__u32)(uv >> 1);
		k = uvarint(pt->data + off, pt->size - off, &pcd);
		if (!k)
			return -ENOENT;
		off += k;
		cur += (__u64)(__u32)pcd * pt->minlc;
		first = false;
		if (pc < cur) {
			*out = (__s32)val;
			return 0;
		}
	}
	return -ENOENT;
}

/* Index of the function containing pc, or -ENOENT. */
static int func_index(const struct pclntab *pt, __u64 pc, __u64 *idx)
{
	__u64 off, lo = 0, hi = pt->nfunc;

	if (pc < pt->text || pc - pt->text > 0xffffffffu)
		return -ENOENT;
	off = pc - pt->text;
	if (off < ftab_word(pt, 0) || off >= ftab_word(pt, 2 * pt->nfunc))
		return -ENOENT;
	/* Last function whose entryoff <= off. */
	while (hi - lo > 1) {
		__u64 mid = lo + (hi - lo) / 2;

		if (ftab_word(pt, 2 * mid) <= off)
			lo = mid;
		else
			hi = mid;
	}
	*idx = lo;
	return 0;
}

/* file:line at pc of the function fn (entry given), from pcfile/pcln. */
static int line_at(const struct pclntab *pt, const __u8 *fn, __u64 entry, __u64 pc,
		   const char **file, int *line)
{
	__s32 fileno, ln;
	__u32 fileoff;
	__u64 cu;

	if (pcvalue(pt, le32(fn + FUNC_PCFILE), entry, pc, &fileno) || fileno < 0)
		return -ENOENT;
	if (pcvalue(pt, le32(fn + FUNC_PCLN), entry, pc, &ln))
		return -ENOENT;
	/* cutab[cuOffset + fileno] is the file's offset in filetab (runtime/symtab.go:999-1008). */
	cu = pt->cu_off + ((__u64)le32(fn + FUNC_CUOFF) + (__u64)fileno) * 4;
	if (!in_bounds(cu, 4, pt->size))
		return -ENOENT;
	fileoff = le32(pt->data + cu);
	if (fileoff == 0xffffffffu)
		return -ENOENT;
	*file = str_at(pt, pt->filetab_off + fileoff);
	if (!*file)
		return -ENOENT;
	*line = ln;
	return 0;
}

int pclntab__pc_line(const struct pclntab *pt, __u64 pc, const char **file, int *line)
{
	const __u8 *fn;
	__u64 i;

	if (func_index(pt, pc, &i))
		return -ENOENT;
	fn = func_at_off(pt, ftab_word(pt, 2 * i + 1));
	if (!fn)
		return -ENOENT;
	return line_at(pt, fn, pt->text + ftab_word(pt, 2 * i), pc, file, line);
}

/* A moduledata whose words up to gofunc are file-backed, or NULL. */
static const __u8 *find_moduledata(const struct pclntab *pt)
{
	const struct elf_sec *s = elfimg__sec_by_name(pt->img, ".go.module");
	const __u8 *md = elfimg__sec_bytes(pt->img, s), *syms, *file;
	const char *strtab;
	size_t nsym, strsz, i, fsize;

	if (md && s->size >= MODDATA_MINLEN && moduledata_ok(pt, md))
		return md;
	if (!elfimg__symtab(pt->img, &syms, &nsym, &strtab, &strsz)) {
		for (i = 0; i < nsym; i++) {
			const char *name;
			GElf_Sym sym;

			elfimg__sym(syms, i, strtab, strsz, &sym, &name);
			if (!name || strcmp(name, "runtime.firstmoduledata") || sym.st_shndx == SHN_UNDEF)
				continue;
			md = elfimg__vaddr_ptr(pt->img, sym.st_value, MODDATA_MINLEN);
			if (md && moduledata_ok(pt, md))
				return md;
			break;
		}
	}
	/* Stripped: the one writable word pair pointing at this pclntab. */
	file = elfimg__data(pt->img, &fsize);
	for (i = 0; i < elfimg__nseg(pt->img); i++) {
		const struct elf_seg *sg = elfimg__seg(pt->img, i);
		__u64 o = (8 - (sg->vaddr & 7)) & 7;

		if (!(sg->flags & PF_W))
			continue;
		for (; o + MODDATA_MINLEN <= sg->filesz; o += 8) {
			md = file + sg->off + o;
			if (moduledata_ok(pt, md))
				return md;
		}
	}
	return NULL;
}

int pclntab__init_inline(struct pclntab *pt, int minor)
{
	const __u8 *md = find_moduledata(pt);
	__u64 at, gofunc;

	pt->gofunc = 0;
	if (!md)
		return -ENOENT;
	/* Unknown minor (devel builds): the magic tells 1.18-1.19 from later. */
	if (minor >= 27)
		at = MODDATA_GOFUNC127;
	else if (minor >= 20 || (!minor && pt->magic == MAGIC_GO120))
		at = MODDATA_GOFUNC120;
	else
		at = MODDATA_GOFUNC119;
	gofunc = le64(md + at);
	/* gofunc lies in rodata, after its start. */
	if (!gofunc || gofunc < le64(md + at - 8) || !elfimg__vaddr_ptr(pt->img, gofunc, 1))
		return -ENOEXEC;
	pt->gofunc = gofunc;
	return 0;
}

__u64 pclntab__gofunc(const struct pclntab *pt)
{
	return pt->gofunc;
}

/*
 * Inline tree of function fn: the address of its FUNCDATA_InlTree, and the
 * pctab offset of its PCDATA_InlTreeIndex table (runtime funcdata() and
 * pcdatastart(), go1.19 symtab.go:1100-1116, go1.27 symtab.go:1266-1282).
 * false when fn has no inlined calls or the tables are out of bounds.
 */
static bool inl_tables(const struct pclntab *pt, __u64 fnoff, __u64 *tree, __u32 *idxtab)
{
	__u64 fixed = pt->magic == MAGIC_GO118 ? FUNC118_FIXED : FUNC120_FIXED;
	__u32 npcdata, off;
	__u8 nfuncdata;

	if (!pt->gofunc || !in_bounds(fnoff, fixed, pt->size))
		return false;
	npcdata = le32(pt->data + fnoff + FUNC_NPCDATA);
	nfuncdata = pt->data[fnoff + fixed - 1];
	if (npcdata <= PCDATA_INLTREEINDEX || nfuncdata <= FUNCDATA_INLTREE)
		return false;
	if (!in_bounds(fnoff + fixed, ((__u64)npcdata + nfuncdata) * 4, pt->size))
		return false;
	*idxtab = le32(pt->data + fnoff + fixed + PCDATA_INLTREEINDEX * 4);
	off = le32(pt->data + fnoff + fixed + ((__u64)npcdata + FUNCDATA_INLTREE) * 4);
	if (off == 0xffffffffu || !*idxtab)
		return false;
	*tree = pt->gofunc + off;
	return true;
}

/*
 * The logical frames at pc, innermost first, the way runtime.CallersFrames
 * expands them (go1.21 runtime/symtabinl.go inlineUnwinder, go1.19
 * traceback.go:196-215): at each step the InlTreeIndex at the current pc
 * names the inlined callee (index >= 0) or the physical function (< 0);
 * file:line are pcfile/pcln at the current pc; the next pc is entry +
 * inlinedCall.parentPc, an instruction the compiler placed at the call site.
 * Inlined wrappers are not elided (runtime.Callers drops some; pprof does not).
 */
int pclntab__pc_frames(const struct pclntab *pt, __u64 pc, struct goframe *out, int max)
{
	__u64 i, fnoff, entry, tree = 0, cur = pc;
	const __u8 *fn;
	__u32 idxtab = 0;
	bool inl;
	int n = 0;

	if (max <= 0 || func_index(pt, pc, &i))
		return -ENOENT;
	fnoff = pt->pcln_off + (__u64)ftab_word(pt, 2 * i + 1);
	fn = func_at_off(pt, ftab_word(pt, 2 * i + 1));
	if (!fn)
		return -ENOENT;
	entry = pt->text + ftab_word(pt, 2 * i);
	inl = inl_tables(pt, fnoff, &tree, &idxtab);
	while (n < max) {
		struct goframe *f = &out[n];
		__s32 ix = -1, nameoff;
		__u8 call[INL118_SIZE];
		bool v118 = pt->magic == MAGIC_GO118;
		__u64 esz = v118 ? INL118_SIZE : INL120_SIZE;

		if (line_at(pt, fn, entry, cur, &f->file, &f->line)) {
			f->file = NULL;
			f->line = 0;
		}
		if (inl && n < MAX_INLINE_DEPTH && pcvalue(pt, idxtab, entry, cur, &ix))
			ix = -1;
		if (ix < 0 || elfimg__read_vaddr(pt->img, tree + (__u64)ix * esz, call, esz)) {
			nameoff = (__s32)le32(fn + FUNC_NAMEOFF);
			f->func = nameoff >= 0 ? str_at(pt, pt->funcname_off + (__u64)nameoff) : NULL;
			if (!f->func)
				f->func = "?";
			return n + 1;
		}
		nameoff = (__s32)le32(call + (v118 ? INL118_NAME : INL120_NAME));
		f->func = nameoff >= 0 ? str_at(pt, pt->funcname_off + (__u64)nameoff) : NULL;
		if (!f->func)
			f->func = "?";
		cur = entry + (__u32)le32(call + (v118 ? INL118_PARENTPC : INL120_PARENTPC));
		n++;
	}
	return n;
}
