// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes a small known profile with pprof.c for tests/unit/pprof.sh, which
 * checks it with every toolchain's `go tool pprof`. Usage: test_pprof OUT.pb.gz
 * Also checks in-process what needs no Go: errors are reported, the output
 * is gzip, and interning keeps one function per (name, file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "pprof.h"

static int fails;

static void check(int ok, const char *name, const char *why)
{
	if (ok)
		printf("PASS pprof.%s\n", name);
	else {
		printf("FAIL pprof.%s: %s\n", name, why);
		fails++;
	}
}

int main(int argc, char **argv)
{
	static const char *const types[][2] = { { "alloc_objects", "count" },
						{ "alloc_space", "bytes" } };
	const struct pprof_frame deep[] = {
		{ 0x401010, "main.leaf", "/src/app/a.go", 10 },
		{ 0x402020, "main.mid", "/src/app/a.go", 20 },
		{ 0x403030, "main.main", "/src/app/a.go", 30 },
	};
	const struct pprof_frame shallow[] = {
		{ 0x402024, "main.mid", "/src/app/a.go", 21 },
		{ 0x403030, "main.main", "/src/app/a.go", 30 },
	};
	/* Outside the mapping: a location with mapping_id 0. */
	const struct pprof_frame vdso[] = { { 0x7fff0000, "[vdso]", NULL, 0 } };
	const struct pprof_label lab[] = { { "bytes", NULL, 4096 }, { "site", "x", 0 } };
	const __s64 v1[] = { 3, 3000 }, v2[] = { 1, 1000 }, v3[] = { 2, 2000 }, v4[] = { 7, 7 };
	struct pprof *p;
	unsigned char hdr[2] = {};
	FILE *f;
	int err;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s OUT.pb.gz [INLINED.pb.gz]\n", argv[0]);
		return 2;
	}
	check(pprof__new(types, 0, NULL, NULL, 0, &p) == -EINVAL && !p, "new.no_types",
	      "no sample types accepted");
	err = pprof__new(types, 2, "space", "bytes", 524288, &p);
	check(!err, "new", "pprof__new failed");
	if (err)
		return 1;
	err = pprof__set_mapping(p, 0x400000, 0x500000, 0, "/src/app/app", "abc123");
	err = err ?: pprof__add_sample(p, deep, 3, v1, NULL, 0);
	err = err ?: pprof__add_sample(p, shallow, 2, v2, lab, 2);
	err = err ?: pprof__add_sample(p, deep, 3, v3, NULL, 0);
	err = err ?: pprof__add_sample(p, vdso, 1, v4, NULL, 0);
	pprof__set_time(p, 1700000000000000000LL, 5000000000LL);
	err = err ?: pprof__write(p, argv[1]);
	check(!err, "write", strerror(-err));
	check(pprof__write(p, "/nonexistent-dir/x.pb.gz") < 0, "write.bad_path",
	      "writing to a missing directory succeeded");
	pprof__free(p);

	if (argc == 3) {
		/* main.helper and main.caller inlined into main.outer at one pc. */
		const struct pprof_frame inl[] = {
			{ 0x404040, "main.helper", "/src/app/b.go", 50 },
			{ 0x404040, "main.caller", "/src/app/b.go", 60 },
			{ 0x404040, "main.outer", "/src/app/a.go", 70 },
			{ 0x403030, "main.main", "/src/app/a.go", 30 },
		};
		const __u8 nl[] = { 3, 1 };

		err = pprof__new(types, 2, "space", "bytes", 524288, &p);
		err = err ?: pprof__set_mapping(p, 0x400000, 0x500000, 0, "/src/app/app", "");
		err = err ?: pprof__add_sample_inl(p, inl, nl, 2, v1, NULL, 0);
		err = err ?: pprof__add_sample_inl(p, inl, nl, 2, v3, NULL, 0);
		err = err ?: pprof__write(p, argv[2]);
		check(!err, "write.inlined", strerror(-err));
		pprof__free(p);
	}
	f = fopen(argv[1], "rb");
	check(f && fread(hdr, 1, 2, f) == 2 && hdr[0] == 0x1f && hdr[1] == 0x8b, "gzip",
	      "output is not gzip");
	if (f)
		fclose(f);
	return fails ? 1 : 0;
}
