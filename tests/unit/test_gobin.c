// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_gobin: check the Go binary reader on one binary against Go's own tools.
 *
 *   test_gobin -l BINARY
 *	print a sample of PCs (hex, one a line) to feed to `go tool addr2line`
 *   test_gobin -o PATH
 *	open PATH, print the result code, walk everything; exit 1 when the
 *	result is inconsistent (for corrupt and truncated inputs)
 *   test_gobin [-m MODE] [-s SIBLING] BINARY NMFILE VERSIONFILE [ADDR2LINEFILE]
 *	NMFILE       `go tool nm -size` output (of SIBLING for a stripped BINARY)
 *	VERSIONFILE  `go version -m BINARY` output
 *	ADDR2LINEFILE lines "PC FILE:LINE" from `go tool addr2line`
 *	MODE         default|stripped|pie|cgo (tests/build-go.sh), for the flags
 *	SIBLING      the unstripped default-mode build of the same source
 *
 * Prints PASS/FAIL lines; exits 1 when anything failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gobin.h"

static int failures;
static const char *tag = "";

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s%s\n", tag, name);
		return;
	}
	failures++;
	printf("FAIL %s%s: ", tag, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

struct nmsym {
	__u64 addr, size;
	char type;
	char *name;
};

static struct nmsym *nm;
static size_t nnm;

static int load_nm(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long a, s;
		char t;
		int n = 0;

		if (sscanf(line, "%llx %llu %c %n", &a, &s, &t, &n) != 3 || !n)
			continue;
		if (nnm == alloc) {
			alloc = alloc ? alloc * 2 : 4096;
			nm = realloc(nm, alloc * sizeof(*nm));
			if (!nm)
				abort();
		}
		line[strcspn(line, "\n")] = 0;
		nm[nnm].addr = a;
		nm[nnm].size = s;
		nm[nnm].type = t;
		nm[nnm].name = strdup(line + n);
		nnm++;
	}
	free(line);
	fclose(f);
	return 0;
}

static const struct nmsym *nm_find(const char *name, char type1, char type2, int *count)
{
	const struct nmsym *hit = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < nnm; i++) {
		if ((nm[i].type == type1 || nm[i].type == type2) && !strcmp(nm[i].name, name)) {
			hit = &nm[i];
			(*count)++;
		}
	}
	return hit;
}

static bool is_text(const struct nmsym *s)
{
	return s->type == 'T' || s->type == 't';
}

/*
 * pclntab spells some names differently from .symtab: "·" for "." and, in
 * go1.19, "[...]" for array lengths in type..eq functions; a lone assembly
 * function lacks the ".abi0" that .symtab gives it whenever an ABIInternal
 * symbol of that name existed at link time (go1.22.12
 * cmd/link/internal/ld/symtab.go:888-891). Compare modulo those.
 */
static bool same_name(const char *pcln, const char *sym)
{
	while (*pcln && *sym) {
		if (!strncmp(pcln, "\xc2\xb7", 2) && *sym == '.') {
			pcln += 2;
			sym++;
		} else if (!strncmp(pcln, "[...]", 5) && *sym == '[') {
			pcln += 5;
			sym = strchr(sym, ']');
			if (!sym)
				return false;
			sym++;
		} else if (*pcln++ != *sym++) {
			return false;
		}
	}
	/* .symtab adds ".abi0" to assembly functions even when their wrapper was dead code. */
	return !*pcln && (!*sym || !strcmp(sym, ".abi0"));
}

/* `go version -m`: "BIN: go1.22.12", then "\tpath\tP", "\tmod\tM\tV\t". */
static void check_version(struct gobin *gb, const char *path)
{
	char *line = NULL, ver[128] = "", mod[512] = "", mainp[512] = "";
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	bool first = true;
	int minor, patch;

	if (!f) {
		check(false, "version", "cannot open %s", path);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		char *p;

		line[strcspn(line, "\n")] = 0;
		if (first) {
			p = strrchr(line, ' ');
			snprintf(ver, sizeof(ver), "%s", p ? p + 1 : "");
			first = false;
		} else if (!strncmp(line, "\tpath\t", 6)) {
			snprintf(mainp, sizeof(mainp), "%s", line + 6);
		} else if (!strncmp(line, "\tmod\t", 5)) {
			p = line + 5;
			p[strcspn(p, "\t")] = 0;
			snprintf(mod, sizeof(mod), "%s", p);
		}
	}
	free(line);
	fclose(f);
	check(*ver && !strcmp(gobin__go_version(gb), ver), "go_version", "got '%s' want '%s'",
	      gobin__go_version(gb), ver);
	check(!strcmp(gobin__module_path(gb), mod), "module_path", "got '%s' want '%s'",
	      gobin__module_path(gb), mod);
	check(!strcmp(gobin__main_path(gb), mainp), "main_path", "got '%s' want '%s'",
	      gobin__main_path(gb), mainp);
	if (sscanf(ver, "go1.%d.%d", &minor, &patch) != 2)
		minor = patch = -1;
	check(gobin__go_minor(gb) == minor && gobin__go_patch(gb) == patch, "go_minor_patch",
	      "got %d.%d want %d.%d", gobin__go_minor(gb), gobin__go_patch(gb), minor, patch);
}

/* Every T/t symbol of nm resolves by name and by a PC inside it. */
static void check_funcs_nm(struct gobin *gb)
{
	size_t i, checked = 0, bad_name = 0, bad_at = 0;
	char first_bad[512] = "";

	for (i = 0; i < nnm; i++) {
		const struct nmsym *s = &nm[i];
		const struct gofunc *f, *g;
		int count;

		if (!is_text(s))
			continue;
		nm_find(s->name, 'T', 't', &count);
		if (count != 1)
			continue; /* a static C symbol defined twice: ambiguous by name */
		checked++;
		f = gobin__find_func(gb, s->name);
		if (!f || f->entry != s->addr) {
			if (!bad_name++)
				snprintf(first_bad, sizeof(first_bad), "%s at %#llx: got %#llx",
					 s->name, (unsigned long long)s->addr,
					 f ? (unsigned long long)f->entry : 0ULL);
			continue;
		}
		if (s->size < 2)
			continue;
		g = gobin__func_at(gb, s->addr + 1);
		if (!g || g->entry != s->addr) {
			if (!bad_at++ && !*first_bad)
				snprintf(first_bad, sizeof(first_bad), "func_at(%s+1) = %s",
					 s->name, g ? g->name : "NULL");
		}
	}
	check(checked > 1000 && !bad_name && !bad_at, "nm_funcs",
	      "%zu checked, %zu by name wrong, %zu by pc wrong (first: %s)", checked, bad_name,
	      bad_at, first_bad);
}

/* The pclntab's functions agree with .symtab on an unstripped binary: same entries, same names. */
static void check_pcln_vs_symtab(struct gobin *gb)
{
	size_t i, n = gobin__pcln_func_count(gb), bad = 0, renamed = 0;
	char first[600] = "";

	for (i = 0; i < n; i++) {
		const struct gofunc *p = gobin__pcln_func(gb, i);
		const struct gofunc *s = gobin__func_at(gb, p->entry);
		bool ok = s && s->entry == p->entry && p->end <= s->end + 64;

		if (i && p->entry < gobin__pcln_func(gb, i - 1)->entry)
			ok = false;
		if (ok && strcmp(s->name, p->name)) {
			ok = same_name(p->name, s->name);
			renamed++;
		}
		if (!ok && !bad++)
			snprintf(first, sizeof(first), "%s at %#llx: symtab %s", p->name,
				 (unsigned long long)p->entry, s ? s->name : "none");
	}
	check(n > 1000 && !bad, "pcln_vs_symtab",
	      "%zu of %zu pclntab functions disagree (%zu spelled differently; first %s)", bad, n,
	      renamed, first);
}

/* Stripped: functions come from pclntab; compare with the unstripped sibling's nm. */
static void check_stripped(struct gobin *gb, const char *sibling)
{
	struct gobin *sib;
	size_t i, n = gobin__func_count(gb), same = 0, named = 0, missing = 0;
	int err = gobin__open(sibling, &sib);
	bool identical;

	check(!err, "open_sibling", "%s: %s", sibling, strerror(-err));
	if (err)
		return;
	/* Claim under test: -s -w changes no code address. */
	identical = gobin__pcln_func_count(sib) == n;
	for (i = 0; identical && i < n; i++) {
		const struct gofunc *a = gobin__func(gb, i);
		const struct gofunc *b = gobin__find_func(sib, a->name);

		if (b && b->entry == a->entry)
			same++;
		else
			identical = false;
	}
	printf("# %s: stripped and unstripped code addresses %s (%zu of %zu functions)\n", tag,
	       identical ? "identical" : "differ", same, n);
	for (i = 0; i < n; i++) {
		const struct gofunc *a = gobin__func(gb, i);
		const struct nmsym *s;
		int count;

		s = nm_find(a->name, 'T', 't', &count);
		for (size_t j = 0; !s && j < nnm; j++)
			if (is_text(&nm[j]) && nm[j].addr == a->entry &&
			    same_name(a->name, nm[j].name))
				s = &nm[j];
		if (!s) {
			missing++;
			continue;
		}
		if (!identical || s->addr == a->entry)
			named++;
	}
	check(n > 1000 && named == n, "stripped_funcs_vs_nm",
	      "%zu of %zu pclntab functions match the sibling's nm (%zu names missing)", named, n,
	      missing);
	gobin__free(sib);
}

static void check_addr2line(struct gobin *gb, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0, bad = 0;
	char first[2400] = "";

	if (!f) {
		check(false, "addr2line", "cannot open %s", path);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned long long pc;
		char want[1024], got[1100];
		const char *file;
		int ln, err;

		if (sscanf(line, "%llx %1023s", &pc, want) != 2)
			continue;
		n++;
		err = gobin__pc_line(gb, pc, &file, &ln);
		/* Go prints "?:0" outside any function, ":LINE" without file info. */
		if (want[0] == ':')
			snprintf(want, sizeof(want), "?:0");
		if (err)
			snprintf(got, sizeof(got), "?:0");
		else
			snprintf(got, sizeof(got), "%s:%d", file, ln);
		if (strcmp(got, want) && !bad++)
			snprintf(first, sizeof(first), "%#llx got %s want %s", pc, got, want);
	}
	free(line);
	fclose(f);
	check(n >= 50 && !bad, "addr2line", "%zu of %zu PCs differ (first: %s)", bad, n, first);
}

/* runtime.g etc. from go-runtime-internals.md §4.2 and §3.1 (DWARF of each toolchain). */
static const int minors[] = {19, 21, 22, 23, 24, 25, 26, 27};
static const struct {
	const char *type, *member;
	int off[8]; /* per minors[]; -1 absent */
} dwarf_table[] = {
	{"runtime.g", "m", {48, 48, 48, 48, 48, 48, 48, 48}},
	{"runtime.g", "sched", {56, 56, 56, 56, 56, 56, 56, 56}},
	{"runtime.g", "atomicstatus", {144, 144, 144, 152, 152, 144, 144, 144}},
	{"runtime.g", "goid", {152, 152, 152, 160, 160, 152, 152, 152}},
	{"runtime.g", "waitreason", {176, 176, 176, 184, 184, 176, 176, 176}},
	{"runtime.g", "parentGoid", {-1, 272, 272, 280, 280, 272, 280, 280}},
	{"runtime.g", "gopc", {296, 280, 280, 288, 288, 280, 288, 288}},
	{"runtime.g", "startpc", {312, 296, 296, 304, 304, 296, 304, 304}},
	{"runtime.g", "labels", {360, 344, 344, 352, 352, 344, 352, 352}},
	{"runtime.gcControllerState", "heapLive", {136, 104, 104, 104, 104, 104, 104, 104}},
	{"runtime.gcControllerState", "heapMarked", {184, 152, 152, 152, 152, 152, 152, 152}},
	{"runtime.gcControllerState", "lastHeapGoal", {128, 96, 96, 96, 96, 96, 96, 96}},
};
static const int g_size[8] = {392, 408, 424, 432, 440, 440, 456, 456};

static void check_dwarf(struct gobin *gb)
{
	int col = -1, minor = gobin__go_minor(gb), err;
	size_t i, bad = 0;
	char first[256] = "";
	__s64 off;
	__u64 size;

	for (i = 0; i < sizeof(minors) / sizeof(minors[0]); i++)
		if (minors[i] == minor)
			col = i;
	if (!gobin__has_dwarf(gb)) {
		err = gobin__dwarf_member_offset(gb, "runtime.g", "goid", &off);
		check(err == -ENOENT, "dwarf_absent", "got %d", err);
		return;
	}
	if (col < 0) {
		check(false, "dwarf_table", "no reference column for go1.%d", minor);
		return;
	}
	for (i = 0; i < sizeof(dwarf_table) / sizeof(dwarf_table[0]); i++) {
		int want = dwarf_table[i].off[col];

		err = gobin__dwarf_member_offset(gb, dwarf_table[i].type, dwarf_table[i].member,
						 &off);
		if ((want < 0 && err != -ENOENT) || (want >= 0 && (err || off != want))) {
			if (!bad++)
				snprintf(first, sizeof(first), "%s.%s: err %d off %lld want %d",
					 dwarf_table[i].type, dwarf_table[i].member, err,
					 (long long)off, want);
		}
	}
	check(!bad, "dwarf_members", "%zu of %zu differ (first: %s)", bad,
	      sizeof(dwarf_table) / sizeof(dwarf_table[0]), first);
	err = gobin__dwarf_struct_size(gb, "runtime.g", &size);
	check(!err && size == (__u64)g_size[col], "dwarf_sizeof_g", "err %d size %llu want %d", err,
	      (unsigned long long)size, g_size[col]);
	err = gobin__dwarf_member_offset(gb, "runtime.g", "no_such_member", &off);
	check(err == -ENOENT, "dwarf_no_member", "got %d", err);
	err = gobin__dwarf_member_offset(gb, "runtime.no_such_type", "goid", &off);
	check(err == -ENOENT, "dwarf_no_type", "got %d", err);
}

static void check_symbols(struct gobin *gb, bool stripped)
{
	static const char *const names[] = {"runtime.work", "runtime.memstats",
					    "runtime.gcController", "runtime.firstmoduledata"};
	size_t i, bad = 0;
	char first[256] = "";

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct nmsym *s;
		__u64 addr = 0;
		int count, err = gobin__symbol_addr(gb, names[i], &addr);

		s = nm_find(names[i], 'D', 'd', &count);
		if (!s)
			s = nm_find(names[i], 'B', 'b', &count);
		if (stripped ? err != -ENOENT : (!s || err || addr != s->addr)) {
			if (!bad++)
				snprintf(first, sizeof(first), "%s: err %d addr %#llx nm %#llx",
					 names[i], err, (unsigned long long)addr,
					 s ? (unsigned long long)s->addr : 0ULL);
		}
	}
	check(!bad, "symbol_addr", "%zu wrong (first: %s)", bad, first);
}

/* read_vaddr and vaddr_to_offset agree with the file bytes. */
static void check_vaddr(struct gobin *gb, const char *path)
{
	const struct gofunc *f = gobin__find_func(gb, "runtime.main");
	__u8 a[32], b[32];
	__u64 off = 0;
	int fd, err, err2;

	if (!f) {
		check(false, "read_vaddr", "no runtime.main");
		return;
	}
	err = gobin__read_vaddr(gb, f->entry, a, sizeof(a));
	err2 = gobin__vaddr_to_offset(gb, f->entry, &off);
	fd = open(path, O_RDONLY);
	check(!err && !err2 && fd >= 0 && pread(fd, b, sizeof(b), off) == sizeof(b) &&
		      !memcmp(a, b, sizeof(a)),
	      "read_vaddr", "err %d/%d off %#llx", err, err2, (unsigned long long)off);
	if (fd >= 0)
		close(fd);
	err = gobin__read_vaddr(gb, 0, a, 1);
	check(err == -ENOENT, "read_vaddr_unmapped", "got %d", err);
	err = gobin__vaddr_to_offset(gb, 0, &off);
	check(err == -ENOENT, "vaddr_to_offset_unmapped", "got %d", err);
}

static int list_pcs(const char *path)
{
	struct gobin *gb;
	size_t i, n;
	int err = gobin__open(path, &gb);

	if (err) {
		fprintf(stderr, "test_gobin: %s: %s\n", path, strerror(-err));
		return 1;
	}
	n = gobin__pcln_func_count(gb);
	/* Entries, a few bytes in, and the middle, over ~1/5 of the functions. */
	for (i = 0; i < n; i += 5) {
		const struct gofunc *f = gobin__pcln_func(gb, i);
		__u64 len = f->end - f->entry;

		printf("%#llx\n", (unsigned long long)f->entry);
		if (len > 8)
			printf("%#llx\n", (unsigned long long)(f->entry + 7));
		if (len > 2)
			printf("%#llx\n", (unsigned long long)(f->entry + len / 2));
	}
	gobin__free(gb);
	return 0;
}

/* Whatever the file, the reader must answer consistently and not crash. */
static int open_only(const char *path)
{
	size_t i, n, bad = 0;
	struct gobin *gb;
	int err = gobin__open(path, &gb);
	__s64 off;

	printf("%d\n", err);
	if (err)
		return gb ? 1 : 0;
	n = gobin__func_count(gb);
	for (i = 0; i < n; i++) {
		const struct gofunc *f = gobin__func(gb, i), *g;
		const char *file;
		int line;

		if (i && f->entry < gobin__func(gb, i - 1)->entry)
			bad++;
		g = gobin__find_func(gb, f->name);
		if (!g || strcmp(g->name, f->name))
			bad++;
		g = gobin__func_at(gb, f->entry);
		if (f->end > f->entry && (!g || g->entry != f->entry))
			bad++;
		if (!gobin__pc_line(gb, f->entry, &file, &line) && !file)
			bad++;
	}
	gobin__dwarf_member_offset(gb, "runtime.g", "goid", &off);
	gobin__free(gb);
	if (bad)
		fprintf(stderr, "test_gobin: %s: %zu inconsistencies\n", path, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mode = "default", *sibling = NULL;
	struct gobin *gb;
	bool stripped;
	int opt, err;

	while ((opt = getopt(argc, argv, "l:m:o:s:t:")) != -1) {
		switch (opt) {
		case 'l':
			return list_pcs(optarg);
		case 'o':
			return open_only(optarg);
		case 'm':
			mode = optarg;
			break;
		case 's':
			sibling = optarg;
			break;
		case 't':
			tag = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 3)
		goto usage;
	stripped = !strcmp(mode, "stripped");
	err = gobin__open(argv[optind], &gb);
	check(!err, "open", "%s: %s", argv[optind], strerror(-err));
	if (err)
		return 1;
	err = load_nm(argv[optind + 1]);
	check(!err && nnm > 0, "load_nm", "%s: %d symbols, err %d", argv[optind + 1], (int)nnm,
	      err);
	check_version(gb, argv[optind + 2]);
	check(gobin__is_pie(gb) == !strcmp(mode, "pie"), "is_pie", "got %d", gobin__is_pie(gb));
	check(gobin__has_symtab(gb) == !stripped, "has_symtab", "got %d", gobin__has_symtab(gb));
	check(gobin__has_dwarf(gb) == !stripped, "has_dwarf", "got %d", gobin__has_dwarf(gb));
	if (stripped) {
		if (sibling)
			check_stripped(gb, sibling);
		else
			check(false, "stripped_funcs_vs_nm", "no -s SIBLING given");
	} else {
		check_funcs_nm(gb);
		check_pcln_vs_symtab(gb);
	}
	if (argc - optind > 3)
		check_addr2line(gb, argv[optind + 3]);
	check_dwarf(gb);
	check_symbols(gb, stripped);
	check_vaddr(gb, argv[optind]);
	gobin__free(gb);
	return failures ? 1 : 0;

usage:
	fprintf(stderr,
		"usage: test_gobin -l BINARY | -o PATH\n"
		"       test_gobin [-m MODE] [-s SIBLING] [-t TAG] BINARY NMFILE VERSIONFILE "
		"[ADDR2LINEFILE]\n");
	return 2;
}
