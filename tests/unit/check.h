/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A unit test's PASS/FAIL lines (what tests/run.sh counts). Define
 * CHECK_PREFIX (a string literal, may be "") before including; main returns
 * failures != 0.
 */
#ifndef GOPRY_TEST_CHECK_H
#define GOPRY_TEST_CHECK_H

#include <stdio.h>

static int failures;

/* CHECK(name, cond, fmt, ...): the format says what was seen when cond fails. */
#define CHECK(name, cond, ...)                                                                     \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("PASS " CHECK_PREFIX "%s\n", name);                                 \
		} else {                                                                           \
			printf("FAIL " CHECK_PREFIX "%s: ", name);                                 \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#endif
