/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * escape: the compiler's escape analysis of a module's sources, from
 * `go build -gcflags=-m=2` run with the Go toolchain that matches the target
 * binary when one is found; "escapes to heap" / "moved to heap" diagnostics
 * by file:line, with the compiler's explanation (its "flow:" lines).
 */
#ifndef GOPRY_ESCAPE_H
#define GOPRY_ESCAPE_H

struct escape_db;

/*
 * Run the compiler in dir. go_version is the target's ("go1.22.12"): the
 * go command used is $GOPRY_GO, else a toolchain of that minor release
 * under $GOPRY_CACHE/go, /usr/lib/go-1.N or /usr/local/go, else `go` on
 * PATH. 0 or -errno (-ENOENT: no go command; -EIO: the build failed).
 */
int escape__load(const char *dir, const char *go_version, struct escape_db **out);
void escape__free(struct escape_db *db);
/* The go command that was run, for messages. */
const char *escape__go_cmd(const struct escape_db *db);

/*
 * The escape diagnostics at file:line (file is absolute, as in the
 * binary's pclntab), "; "-joined with their reasons, or NULL.
 */
const char *escape__at(const struct escape_db *db, const char *file, int line);

#endif
