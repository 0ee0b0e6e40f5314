// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include "json.h"

void json__escape(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void json__begin(struct json *j, FILE *f)
{
	j->f = f;
	j->nfields = 0;
	fputc('{', f);
}

void json__end(struct json *j)
{
	fputs("}\n", j->f);
	fflush(j->f);
}

static void key(struct json *j, const char *k)
{
	if (j->nfields++)
		fputc(',', j->f);
	json__escape(j->f, k);
	fputc(':', j->f);
}

void json__str(struct json *j, const char *k, const char *val)
{
	key(j, k);
	json__escape(j->f, val);
}

void json__u64(struct json *j, const char *k, __u64 val)
{
	key(j, k);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json__s64(struct json *j, const char *k, __s64 val)
{
	key(j, k);
	fprintf(j->f, "%lld", (long long)val);
}

void json__f64(struct json *j, const char *k, double val)
{
	key(j, k);
	if (isfinite(val))
		fprintf(j->f, "%.6g", val);
	else
		fputs("null", j->f);
}

void json__bool(struct json *j, const char *k, bool val)
{
	key(j, k);
	fputs(val ? "true" : "false", j->f);
}

void json__null(struct json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}
