// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * layout: member offsets from DWARF or the generated table, and the
 * addresses of runtime.work / runtime.memstats / runtime.gcController from
 * .symtab or, in stripped binaries, from the RIP-relative operands of the
 * runtime functions that use them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "gobin.h"
#include "layout.h"

static const struct {
	const char *type;
	const char *member;
	const char *name;
} fields[GF__COUNT] = {
#define X(id, t, m) [GF_##id] = { t, m, t "." m },
#include "gofields.def"
#undef X
};

/*
 * Per global: functions that address it directly (RIP-relative, not through
 * a receiver register), and members every one of which those functions
 * reference in every supported release. Chosen from go tool objdump
 * ("runtime.work+408(SB)") of go1.19.8, go1.22.12 and go1.27.3, and checked
 * on every toolchain by tests/unit/layout.sh:
 *  - work: gcStart sets mode/userForced/cycles/tSweepTerm/heap0,
 *    gcMarkDone tMarkTerm, gcMarkTermination tMark..heap2/maxprocs (mgc.go);
 *  - memstats: gcMarkTermination updates numgc, numforcedgc, pause_ns[],
 *    pause_total_ns, last_gc_nanotime (mgc.go);
 *  - gcController: gcControllerCommit reads gcPercent, memoryLimit,
 *    lastHeapGoal (mgcpacer.go), gcMarkTermination heapLive and heapInUse
 *    (via gcController.heapInUse.load() / mstats accounting).
 * gcController is not searched in gcStart: work's dense members there make
 * shifted bases line up with gcController's small offsets.
 */
#define MAX_FUNCS 4
#define MAX_MEMBERS 12
static const struct global_desc {
	const char *name;
	const char *funcs[MAX_FUNCS];
	enum go_field members[MAX_MEMBERS];
	int nmembers;
} globals[GG__COUNT] = {
	[GG_WORK] = {
		"runtime.work",
		{ "runtime.gcMarkTermination", "runtime.gcStart", "runtime.gcMarkDone" },
		{ GF_WORK_USERFORCED, GF_WORK_CYCLES, GF_WORK_MODE, GF_WORK_TSWEEPTERM,
		  GF_WORK_TMARK, GF_WORK_TMARKTERM, GF_WORK_TEND, GF_WORK_PAUSENS,
		  GF_WORK_HEAP0, GF_WORK_HEAP1, GF_WORK_HEAP2, GF_WORK_MAXPROCS },
		12,
	},
	[GG_MEMSTATS] = {
		"runtime.memstats",
		{ "runtime.gcMarkTermination" },
		{ GF_MSTATS_NUMGC, GF_MSTATS_NUMFORCEDGC, GF_MSTATS_PAUSE_TOTAL_NS,
		  GF_MSTATS_PAUSE_NS, GF_MSTATS_LAST_GC_NANOTIME },
		5,
	},
	[GG_GCCONTROLLER] = {
		"runtime.gcController",
		{ "runtime.gcControllerCommit", "runtime.gcMarkTermination" },
		{ GF_GCC_GCPERCENT, GF_GCC_MEMORYLIMIT, GF_GCC_LASTHEAPGOAL, GF_GCC_HEAPLIVE,
		  GF_GCC_HEAPINUSE },
		5,
	},
	/*
	 * allgadd appends to allgs: it reads and writes array, len and cap
	 * (go1.19.8 proc.go:539, go1.27.3 proc.go:706); its other operands
	 * (allglock, allgptr, allglen) are never three at 8-byte strides.
	 */
	[GG_ALLGS] = {
		"runtime.allgs",
		{ "runtime.allgadd" },
		{ GF_ALLGS_ARRAY, GF_ALLGS_LEN, GF_ALLGS_CAP },
		3,
	},
};

const char *layout__field_name(enum go_field f)
{
	return (unsigned)f < GF__COUNT ? fields[f].name : "?";
}

const char *layout__global_name(enum go_global g)
{
	return (unsigned)g < GG__COUNT ? globals[g].name : "?";
}

const char *layout__source_name(enum layout_source s)
{
	switch (s) {
	case LS_NONE:
		return "unavailable";
	case LS_DWARF:
		return "dwarf";
	case LS_TABLE:
		return "table";
	case LS_SYMTAB:
		return "symtab";
	case LS_DECODE:
		return "decode";
	}
	return "?";
}

const char *layout__table_versions(void)
{
	static char buf[128];
	size_t i, n = 0;
	int run_start = -1, prev = -1;

	if (buf[0])
		return buf;
	/* rows are sorted by minor; print runs of consecutive minors as "a-b" */
	for (i = 0; i <= layout__table_rows; i++) {
		int m = i < layout__table_rows ? layout__table[i].minor : -10;

		if (run_start >= 0 && m == prev + 1) {
			prev = m;
			continue;
		}
		if (run_start >= 0 && n < sizeof(buf)) {
			if (prev > run_start)
				n += snprintf(buf + n, sizeof(buf) - n, "%s1.%d-1.%d", n ? ", " : "",
					      run_start, prev);
			else
				n += snprintf(buf + n, sizeof(buf) - n, "%s1.%d", n ? ", " : "",
					      run_start);
		}
		run_start = prev = m;
	}
	return buf;
}

static const struct layout_table_row *table_row(int minor)
{
	size_t i;

	for (i = 0; i < layout__table_rows; i++)
		if (layout__table[i].minor == minor)
			return &layout__table[i];
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static bool in_sorted(const __u64 *v, size_t n, __u64 x)
{
	return bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

/* Append the RIP-relative operand addresses of one function to *refs. */
static int collect_refs(struct gobin *gb, const char *fname, __u64 **refs, size_t *n,
			size_t *cap)
{
	const struct gofunc *fn = gobin__find_func(gb, fname);
	struct insn_list l;
	__u8 *code;
	size_t i, len;
	int err;

	if (!fn || fn->end <= fn->entry || fn->end - fn->entry > (1 << 20))
		return -ENOENT;
	len = fn->end - fn->entry;
	code = malloc(len);
	if (!code)
		return -ENOMEM;
	err = gobin__read_vaddr(gb, fn->entry, code, len);
	if (err)
		goto free_code;
	err = decode__function(code, len, fn->entry, &l);
	if (err)
		goto free_code;
	for (i = 0; i < l.n; i++) {
		if (!l.v[i].has_riprel)
			continue;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			__u64 *nv = realloc(*refs, ncap * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				goto free_insns;
			}
			*refs = nv;
			*cap = ncap;
		}
		(*refs)[(*n)++] = l.v[i].riprel;
	}
free_insns:
	decode__free(&l);
free_code:
	free(code);
	return err;
}

/* Number of distinct members m of the global with base + off(m) referenced. */
static int support(const struct global_desc *gd, const struct go_layout *lay, const __u64 *refs,
		   size_t n, __u64 base)
{
	int i, s = 0;

	for (i = 0; i < gd->nmembers; i++) {
		__s64 off = lay->off[gd->members[i]];

		if (off >= 0 && in_sorted(refs, n, base + (__u64)off))
			s++;
	}
	return s;
}

int layout__decode_global(struct gobin *gb, const struct go_layout *lay, enum go_global g,
			  __u64 *addr)
{
	const struct global_desc *gd;
	__u64 *refs = NULL, found = 0;
	size_t n = 0, cap = 0, i, nfuncs = 0;
	int nfound = 0, err = 0, m;

	if ((unsigned)g >= GG__COUNT)
		return -EINVAL;
	gd = &globals[g];
	for (i = 0; i < MAX_FUNCS && gd->funcs[i]; i++) {
		err = collect_refs(gb, gd->funcs[i], &refs, &n, &cap);
		if (err == -ENOMEM)
			goto free_refs;
		if (!err)
			nfuncs++;
	}
	err = -ENOENT;
	if (!nfuncs || !n)
		goto free_refs;
	qsort(refs, n, sizeof(*refs), cmp_u64);

	/*
	 * Every (reference, member) pair proposes a base. Accept a base only
	 * if all members line up, and only if no other base does: a base
	 * shifted by one member stride matches most of a run of int64
	 * members, so "most" would not be good enough.
	 */
	for (i = 0; i < n; i++) {
		if (i && refs[i] == refs[i - 1])
			continue;
		for (m = 0; m < gd->nmembers; m++) {
			__s64 off = lay->off[gd->members[m]];
			__u64 base;

			if (off < 0 || refs[i] < (__u64)off)
				continue;
			base = refs[i] - (__u64)off;
			if (nfound && base == found)
				continue;
			if (support(gd, lay, refs, n, base) < gd->nmembers)
				continue;
			found = base;
			nfound++;
		}
	}
	if (nfound == 1) {
		*addr = found;
		err = 0;
	}
free_refs:
	free(refs);
	return err;
}

static void resolve_offsets(struct gobin *gb, struct go_layout *lay,
			    const struct layout_table_row *row)
{
	bool dwarf = gobin__has_dwarf(gb);
	int f;

	for (f = 0; f < GF__COUNT; f++) {
		__s64 off;

		lay->off[f] = -1;
		lay->off_src[f] = LS_NONE;
		if (dwarf) {
			int err = gobin__dwarf_member_offset(gb, fields[f].type, fields[f].member, &off);

			if (!err) {
				lay->off[f] = off;
				lay->off_src[f] = LS_DWARF;
				continue;
			}
			/*
			 * Absent here means absent in this Go release, which the
			 * table row says too; trust the table if DWARF is unreadable.
			 */
		}
		if (row && row->off[f] >= 0) {
			lay->off[f] = row->off[f];
			lay->off_src[f] = LS_TABLE;
			lay->table_version = row->version;
		}
	}
}

int layout__resolve(struct gobin *gb, struct go_layout *lay)
{
	const struct layout_table_row *row = table_row(gobin__go_minor(gb));
	int g;

	memset(lay, 0, sizeof(*lay));
	resolve_offsets(gb, lay, row);

	for (g = 0; g < GG__COUNT; g++) {
		__u64 addr;

		if (gobin__has_symtab(gb) && !gobin__symbol_addr(gb, globals[g].name, &addr)) {
			lay->global[g] = addr;
			lay->global_src[g] = LS_SYMTAB;
		} else if (!layout__decode_global(gb, lay, g, &addr)) {
			lay->global[g] = addr;
			lay->global_src[g] = LS_DECODE;
		}
	}
	return gobin__has_dwarf(gb) || row ? 0 : -ENOTSUP;
}
