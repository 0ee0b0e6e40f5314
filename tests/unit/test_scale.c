// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_scale: allocs__scale, the pprof-style weighting of sampled
 * allocations, against runtime/pprof.scaleHeapSample (tests/unit/scale.sh).
 *
 *   test_scale -g		print "count bytes rate" test cases
 *   test_scale GOFILE		GOFILE: "count bytes rate objects space" from Go;
 *				allocs__scale must agree within Go's truncation
 *
 * Prints PASS/FAIL lines; exits 1 when anything failed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "allocs.h"
#include "env.h"

/* allocs.o reads the options; main.c, which defines them, is not linked here. */
struct env env;

int main(int argc, char **argv)
{
	static const long rates[] = { 0, 1, 4096, 65536, 512 * 1024, 8 << 20 };
	static const long long sizes[] = { 8, 64, 1024, 8192, 32768, 1 << 20, 64 << 20 };
	static const long long counts[] = { 1, 3, 1000 };
	long long c, b, o, s;
	long r;
	int n = 0, bad = 0;
	char first[256] = "";
	FILE *f;

	if (argc == 2 && !strcmp(argv[1], "-g")) {
		for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
			for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
				for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
					printf("%lld %lld %ld\n", counts[k], counts[k] * sizes[j],
					       rates[i]);
		return 0;
	}
	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: test_scale -g | test_scale GOFILE\n");
		return 2;
	}
	while (fscanf(f, "%lld %lld %ld %lld %lld", &c, &b, &r, &o, &s) == 5) {
		double objs, space;

		allocs__scale(c, b, r, &objs, &space);
		n++;
		/* Go truncates to int64; allow that and float rounding. */
		if (fabs(objs - o) > 1 + 1e-9 * o || fabs(space - s) > 1 + 1e-9 * s) {
			if (!bad++)
				snprintf(first, sizeof(first),
					 "count %lld bytes %lld rate %ld: %.2f/%.2f, Go %lld/%lld", c,
					 b, r, objs, space, o, s);
		}
	}
	fclose(f);
	if (n < 100 || bad) {
		printf("FAIL scale: %d of %d cases differ from scaleHeapSample; %s\n", bad, n, first);
		return 1;
	}
	printf("PASS scale (%d cases equal runtime/pprof.scaleHeapSample)\n", n);
	return 0;
}
