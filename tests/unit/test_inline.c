// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_inline: gobin__pc_frames against runtime.CallersFrames.
 *
 *   test_inline [-t TAG] BINARY CAPTURES
 *	CAPTURES is the output of BINARY (tests/workloads/inl): B, C and F lines.
 *
 * Frames of one physical frame share their Entry; the first of them was
 * looked up at its Frame.PC (a return address - 1, or the entry for
 * goexit). gobin__pc_frames at that pc, less the PIE load bias, must give the
 * same functions, files and lines in the same order. Also checks that the
 * inline tree base (moduledata.gofunc) equals the go:func.* symbol when
 * .symtab has one. Prints PASS/FAIL lines; exits 1 when anything failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gobin.h"

#define MAXF 64

struct ref {
	unsigned long long pc, entry;
	char func[256], file[512];
	int line;
};

static int failures;
static const char *tag = "";

static void result(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("PASS %s%s\n", tag, name);
	} else {
		printf("FAIL %s%s: %s\n", tag, name, why);
		failures++;
	}
}

/* Compare one physical frame's group of logical frames; 0 or 1 (mismatch). */
static int check_group(const struct gobin *gb, __u64 bias, const struct ref *g, int n, char *why,
		       size_t wlen)
{
	struct goframe out[MAXF];
	int got, i;

	got = gobin__pc_frames(gb, g[0].pc - bias, out, MAXF);
	if (got != n) {
		snprintf(why, wlen, "pc %llx (%s): %d frames, Go has %d (innermost %s)", g[0].pc,
			 g[n - 1].func, got, n, got > 0 ? out[0].func : "-");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(out[i].func, g[i].func) || !out[i].file ||
		    strcmp(out[i].file, g[i].file) || out[i].line != g[i].line) {
			snprintf(why, wlen, "pc %llx frame %d: %s %s:%d, Go %s %s:%d", g[0].pc, i,
				 out[i].func, out[i].file ? out[i].file : "?", out[i].line,
				 g[i].func, g[i].file, g[i].line);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ref refs[4096];
	int opt, nref = 0, groups = 0, inlgroups = 0, maxdepth = 0, bad = 0, i, j;
	unsigned long long mainpc = 0;
	const struct gofunc *mainf;
	char line[2048], why[1024] = "", first[1024] = "";
	struct gobin *gb;
	__u64 sym, bias;
	FILE *f;
	int err;

	while ((opt = getopt(argc, argv, "t:")) != -1)
		if (opt == 't')
			tag = optarg;
	if (argc - optind != 2) {
		fprintf(stderr, "usage: test_inline [-t TAG] BINARY CAPTURES\n");
		return 2;
	}
	err = gobin__open(argv[optind], &gb);
	if (err) {
		result(false, "open", strerror(-err));
		return 1;
	}
	f = fopen(argv[optind + 1], "r");
	if (!f) {
		result(false, "captures", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f) && nref < (int)(sizeof(refs) / sizeof(refs[0]))) {
		struct ref *r = &refs[nref];

		if (sscanf(line, "B\t%llx", &mainpc) == 1)
			continue;
		if (sscanf(line, "F\t%llx\t%llx\t%255[^\t]\t%511[^\t]\t%d", &r->pc, &r->entry,
			   r->func, r->file, &r->line) == 5)
			nref++;
	}
	fclose(f);

	/* go:func.* in go1.20+, go.func.* before (cmd/link/internal/ld/symtab.go). */
	if (gobin__has_symtab(gb)) {
		if (gobin__symbol_addr(gb, "go:func.*", &sym) && gobin__symbol_addr(gb, "go.func.*", &sym))
			result(false, "gofunc", "no go:func.* symbol in .symtab");
		else {
			snprintf(why, sizeof(why), "found %llx, .symtab %llx",
				 (unsigned long long)gobin__gofunc(gb), (unsigned long long)sym);
			result(gobin__gofunc(gb) == sym, "gofunc", why);
		}
	} else {
		result(gobin__gofunc(gb) != 0, "gofunc", "moduledata.gofunc not found");
	}

	mainf = gobin__find_func(gb, "main.main");
	if (!mainpc || !mainf || nref < 10) {
		snprintf(why, sizeof(why), "B line %llx, main.main %s, %d frames", mainpc,
			 mainf ? "found" : "absent", nref);
		result(false, "captures", why);
		gobin__free(gb);
		return 1;
	}
	bias = mainpc - mainf->entry;
	for (i = 0; i < nref; i = j) {
		for (j = i + 1; j < nref && refs[j].entry == refs[i].entry; j++)
			;
		groups++;
		if (j - i > 1)
			inlgroups++;
		if (j - i > maxdepth)
			maxdepth = j - i;
		if (check_group(gb, bias, &refs[i], j - i, why, sizeof(why)) && !bad++)
			snprintf(first, sizeof(first), "%s", why);
	}
	snprintf(why, sizeof(why), "%d of %d physical frames differ; first: %s", bad, groups, first);
	result(!bad, "frames", why);
	/* The workload inlines 3 deep at one site and at 4 others: the test has teeth. */
	snprintf(why, sizeof(why), "%d physical frames with inlined calls, deepest %d (want >= 4, 4)",
		 inlgroups, maxdepth);
	result(inlgroups >= 4 && maxdepth >= 4, "inlined", why);
	printf("# %s%d physical frames, %d with inlined calls, deepest %d logical\n", tag, groups,
	       inlgroups, maxdepth);
	gobin__free(gb);
	return failures ? 1 : 0;
}
