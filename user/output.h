/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output: renders GC cycles, STW pauses and the summary as text (gctrace's
 * shape) or JSON Lines, and keeps what the summary needs. It never reads
 * the target.
 */
#ifndef GOPRY_OUTPUT_H
#define GOPRY_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "gc.h"

struct output;

struct output_target {
	int pid;
	const char *path;
	const char *go_version;
};

int output__new(FILE *f, bool json, struct output **out);
void output__free(struct output *o);
void output__set_target(struct output *o, const struct output_target *t);
void output__attach(struct output *o, int nprobes, __u64 now_ns);
void output__gc(struct output *o, const struct gc_record *r);
void output__stw(struct output *o, const struct stw_record *r);
/* GOGC / GOMEMLIMIT read from the live process (gogc -1 = off). */
void output__set_gc_settings(struct output *o, __s64 gogc, __s64 memlimit);
void output__warning(struct output *o, const char *msg);
void output__summary(struct output *o, __u64 now_ns, __u64 sent, __u64 received,
		     __u64 dropped);
void output__error(struct output *o, const char *msg);

/* Shared helpers, exported for tests. */
/* Go's runtime.fmtNSAsMS: two significant digits, at most three decimals. */
char *output__fmt_ns_as_ms(char *buf, size_t len, __u64 ns);
/* p in [0,100] of n sorted values (nearest rank). */
__u64 output__percentile(const __u64 *sorted, size_t n, double p);

#endif
