// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the Go binary reader: the input is written to a
 * memfd and opened by path like any binary, then every query is exercised.
 * Built by `make .output/fuzz/fuzz_gobin` (clang, ASan + UBSan); run by
 * tests/fuzz/smoke.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "gobin.h"

/* Bound the work per input so that a large seed stays under -timeout=1. */
#define MAX_PCLINE 4096

static void exercise(struct gobin *gb)
{
	size_t i, n = gobin__func_count(gb), np = gobin__pcln_func_count(gb);
	const struct gofunc *f;
	const char *file;
	__u64 addr, off;
	__s64 moff;
	__u8 buf[64];
	int line;

	gobin__go_version(gb);
	gobin__go_minor(gb);
	gobin__module_path(gb);
	gobin__main_path(gb);
	for (i = 0; i < n; i++) {
		f = gobin__func(gb, i);
		if (gobin__find_func(gb, f->name) == NULL)
			__builtin_trap(); /* the index must find what it lists */
		gobin__func_at(gb, f->entry);
		if (i < MAX_PCLINE && !gobin__pc_line(gb, f->entry + 1, &file, &line))
			(void)strlen(file);
		gobin__read_vaddr(gb, f->entry, buf, sizeof(buf));
		gobin__vaddr_to_offset(gb, f->entry, &off);
	}
	for (i = 0; i < np && i < MAX_PCLINE; i++) {
		struct goframe fr[8];
		int k, nf;

		f = gobin__pcln_func(gb, i);
		if (!gobin__pc_line(gb, f->entry, &file, &line))
			(void)strlen(file);
		/* Inline trees: every frame readable, the count within bounds. */
		nf = gobin__pc_frames(gb, f->entry + (f->end - f->entry) / 2, fr, 8);
		if (nf > 8 || nf == 0)
			__builtin_trap();
		for (k = 0; k < nf; k++)
			(void)(strlen(fr[k].func) + (fr[k].file ? strlen(fr[k].file) : 0));
	}
	gobin__gofunc(gb);
	gobin__find_func(gb, "runtime.gcStart.abi0");
	gobin__func_at(gb, gobin__text_start(gb));
	gobin__symbol_addr(gb, "runtime.work", &addr);
	gobin__read_vaddr(gb, ~0ULL - 8, buf, sizeof(buf));
	gobin__dwarf_member_offset(gb, "runtime.g", "goid", &moff);
	gobin__dwarf_member_offset(gb, "runtime.m", "curg", &moff);
	gobin__dwarf_struct_size(gb, "runtime.g", &addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct gobin *gb = (struct gobin *)&fd; /* must become NULL on error */

	if (fd < 0) {
		fd = memfd_create("fuzz_gobin", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	if (gobin__open(path, &gb) == 0) {
		exercise(gb);
		gobin__free(gb);
	} else if (gb) {
		__builtin_trap();
	}
	return 0;
}
