/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * buildinfo: the Go version and module lines that the linker stores in
 * .go.buildinfo (go1.27.3 debug/buildinfo/buildinfo.go:56-62, 196-234).
 */
#ifndef GOPRY_BUILDINFO_H
#define GOPRY_BUILDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct elfimg;

struct buildinfo {
	char *version; /* "go1.22.12", or "" */
	char *mod_path; /* "mod" line, or "" */
	char *main_path; /* "path" line, or "" */
	bool old_format; /* pre-1.18 pointer layout: fields stay "" */
};

/* 0, -ENOENT (no buildinfo), -ENOEXEC (corrupt), -ENOMEM. Fields are "" when absent. */
int buildinfo__read(const struct elfimg *img, struct buildinfo *bi);
void buildinfo__clear(struct buildinfo *bi);

/* Parse raw .go.buildinfo bytes (exposed for tests and fuzzing). */
int buildinfo__parse(const __u8 *p, size_t len, struct buildinfo *bi);

/* "go1.22.12" -> 22, 12; "go1.21rc2" -> 21, 0; devel or unparsable -> 0, 0. */
void buildinfo__version_numbers(const char *v, int *minor, int *patch);

/* Go's unsigned varint; returns bytes consumed, 0 on truncation or overflow. */
size_t uvarint(const __u8 *p, size_t len, __u64 *v);

#endif /* GOPRY_BUILDINFO_H */
