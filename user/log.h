/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Diagnostics, always to stderr: stdout carries data only. */
#ifndef GOPRY_LOG_H
#define GOPRY_LOG_H

#include <stdbool.h>

extern int log_verbosity; /* 0 normal, 1 -v, 2 -vv (libbpf debug) */

void elog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ilog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
