/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small streaming writer for JSON Lines: one object per line. */
#ifndef GOPRY_JSON_H
#define GOPRY_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct json {
	FILE *f;
	int nfields;
};

void json__begin(struct json *j, FILE *f);
void json__end(struct json *j); /* closes the object, writes '\n' and flushes */
void json__str(struct json *j, const char *key, const char *val);
void json__u64(struct json *j, const char *key, __u64 val);
void json__s64(struct json *j, const char *key, __s64 val);
void json__f64(struct json *j, const char *key, double val);
void json__bool(struct json *j, const char *key, bool val);
void json__null(struct json *j, const char *key);
/* Writes val as a string escaped for JSON (quotes included). */
void json__escape(FILE *f, const char *val);

#endif
