// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * layout.c and the generated offsets table.
 *
 *   test_layout                       table self-checks (no binaries)
 *   test_layout LABEL BIN [SIBLING]   one Go binary (tests/unit/layout.sh runs
 *                                     the toolchain x mode matrix): table ==
 *                                     DWARF, decoded globals == .symtab; for a
 *                                     stripped BIN, decoding must find all
 *                                     globals, equal to SIBLING's (the same
 *                                     program unstripped) when the two share
 *                                     their text layout.
 *
 * Prints PASS/FAIL lines; exits non-zero iff a check failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin.h"
#include "layout.h"

#define CHECK_PREFIX ""
#include "check.h"

static void table_selfcheck(void)
{
	size_t i;
	int f;

	CHECK("table.rows", layout__table_rows >= 8, "%zu rows", layout__table_rows);
	for (i = 0; i < layout__table_rows; i++) {
		const struct layout_table_row *r = &layout__table[i];
		char name[64], want[16];
		int missing = 0;

		snprintf(name, sizeof(name), "table.go1.%d.row", r->minor);
		snprintf(want, sizeof(want), "go1.%d.", r->minor);
		/* parentGoid arrived in go1.21 (runtime2.go); all else exists since 1.19 */
		for (f = 0; f < GF__COUNT; f++)
			if (r->off[f] < 0 && !(f == GF_G_PARENTGOID && r->minor < 21))
				missing++;
		CHECK(name,
		      !strncmp(r->version, want, strlen(want)) && !missing &&
			      (i == 0 || r->minor > layout__table[i - 1].minor),
		      "version %s, %d members missing, order", r->version, missing);
	}
	CHECK("table.versions", !strcmp(layout__table_versions(), "1.19, 1.21-1.27"), "'%s'",
	      layout__table_versions());
	CHECK("table.names",
	      !strcmp(layout__field_name(GF_G_GOID), "runtime.g.goid") &&
		      !strcmp(layout__global_name(GG_GCCONTROLLER), "runtime.gcController"),
	      "%s %s", layout__field_name(GF_G_GOID), layout__global_name(GG_GCCONTROLLER));
}

static const struct layout_table_row *row_for(int minor)
{
	size_t i;

	for (i = 0; i < layout__table_rows; i++)
		if (layout__table[i].minor == minor)
			return &layout__table[i];
	return NULL;
}

/* (a) every table entry equals this binary's DWARF (-1 == absent). */
static void check_table_vs_dwarf(const char *label, struct gobin *gb)
{
	const struct layout_table_row *row = row_for(gobin__go_minor(gb));
	char name[128], bad[512] = "";
	size_t n = 0;
	int f, nbad = 0;

	snprintf(name, sizeof(name), "layout.%s.table_eq_dwarf", label);
	if (!row) {
		CHECK(name, false, "no table row for %s", gobin__go_version(gb));
		return;
	}
	for (f = 0; f < GF__COUNT; f++) {
		const char *full = layout__field_name(f);
		char type[64];
		const char *dot = strrchr(full, '.');
		__s64 off = -1;
		int err;

		snprintf(type, sizeof(type), "%.*s", (int)(dot - full), full);
		err = gobin__dwarf_member_offset(gb, type, dot + 1, &off);
		if (err)
			off = -1;
		if (off != row->off[f]) {
			nbad++;
			if (n < sizeof(bad))
				n += snprintf(bad + n, sizeof(bad) - n, " %s dwarf %lld table %d",
					      full, (long long)off, row->off[f]);
		}
	}
	CHECK(name, !nbad, "%d differ (%s row):%s", nbad, row->version, bad);
}

/*
 * Stripping does NOT keep data addresses: "-ldflags=-s -w" is recorded in
 * the build info, so data moves (by 0x20 for go1.22 hello) while text stays.
 * All three globals must then move by the same amount relative to the
 * unstripped sibling's .symtab: compare the shift of each with work's.
 */
static void check_sibling(const char *label, const char *gname, __u64 dec, struct gobin *sib,
			  int g, const struct go_layout *lay, struct gobin *gb)
{
	__u64 sym = 0, sym_work = 0, dec_work = 0;
	char name[128];

	if (gobin__symbol_addr(sib, gname, &sym) ||
	    gobin__symbol_addr(sib, layout__global_name(GG_WORK), &sym_work) ||
	    layout__decode_global(gb, lay, GG_WORK, &dec_work)) {
		printf("INFO %s %s: sibling not comparable\n", label, gname);
		return;
	}
	snprintf(name, sizeof(name), "layout.%s.decode_shift_eq_sibling.%s", label, gname);
	CHECK(name, dec - sym == dec_work - sym_work,
	      "decode %#llx vs sibling symtab %#llx: shift %#llx, work's %#llx",
	      (unsigned long long)dec, (unsigned long long)sym, (unsigned long long)(dec - sym),
	      (unsigned long long)(dec_work - sym_work));
	if (g == GG_WORK)
		printf("INFO %s: stripped data shift vs unstripped sibling %+lld\n", label,
		       (long long)(dec - sym));
}

static void check_binary(const char *label, const char *path, const char *sibling)
{
	struct gobin *gb, *sib = NULL;
	struct go_layout lay;
	char name[128];
	int err, g, f;

	snprintf(name, sizeof(name), "layout.%s.open", label);
	err = gobin__open(path, &gb);
	CHECK(name, !err, "%s: %s", path, strerror(-err));
	if (err)
		return;

	if (gobin__has_dwarf(gb))
		check_table_vs_dwarf(label, gb);

	err = layout__resolve(gb, &lay);
	snprintf(name, sizeof(name), "layout.%s.resolve", label);
	CHECK(name, !err, "%s", strerror(-err));
	for (f = 0; f < GF__COUNT; f++)
		if (lay.off_src[f] == LS_NONE && f != GF_G_PARENTGOID)
			break;
	snprintf(name, sizeof(name), "layout.%s.offsets", label);
	CHECK(name,
	      f == GF__COUNT && lay.off_src[0] == (gobin__has_dwarf(gb) ? LS_DWARF : LS_TABLE) &&
		      (gobin__has_dwarf(gb) || lay.table_version),
	      "%s unresolved, source %s", f < GF__COUNT ? layout__field_name(f) : "none",
	      layout__source_name(lay.off_src[0]));

	if (sibling && gobin__open(sibling, &sib))
		sib = NULL;
	for (g = 0; g < GG__COUNT; g++) {
		const char *gname = layout__global_name(g);
		__u64 dec = 0, sym = 0;

		err = layout__decode_global(gb, &lay, g, &dec);
		snprintf(name, sizeof(name), "layout.%s.decode.%s", label, gname);
		CHECK(name, !err && dec, "%s", strerror(-err));
		if (gobin__has_symtab(gb)) {
			/* (b) on unstripped binaries decoding must agree with .symtab */
			err = gobin__symbol_addr(gb, gname, &sym);
			snprintf(name, sizeof(name), "layout.%s.decode_eq_symtab.%s", label, gname);
			CHECK(name, !err && sym == dec, "symtab %#llx (%d), decode %#llx",
			      (unsigned long long)sym, err, (unsigned long long)dec);
			snprintf(name, sizeof(name), "layout.%s.resolve_src.%s", label, gname);
			CHECK(name, lay.global_src[g] == LS_SYMTAB && lay.global[g] == sym, "%s %#llx",
			      layout__source_name(lay.global_src[g]),
			      (unsigned long long)lay.global[g]);
			continue;
		}
		snprintf(name, sizeof(name), "layout.%s.resolve_src.%s", label, gname);
		CHECK(name, lay.global_src[g] == LS_DECODE && lay.global[g] == dec, "%s %#llx",
		      layout__source_name(lay.global_src[g]), (unsigned long long)lay.global[g]);
		if (sib)
			check_sibling(label, gname, dec, sib, g, &lay, gb);
	}
	gobin__free(sib);
	gobin__free(gb);
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		table_selfcheck();
	} else if (argc == 3 || argc == 4) {
		check_binary(argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	} else {
		fprintf(stderr, "usage: %s [LABEL BINARY [UNSTRIPPED_SIBLING]]\n", argv[0]);
		return 2;
	}
	return failures != 0;
}
