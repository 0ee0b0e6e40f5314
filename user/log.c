// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int log_verbosity;

static void vout(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "gopry: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void elog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout("", fmt, ap);
	va_end(ap);
}

void wlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout("warning: ", fmt, ap);
	va_end(ap);
}

void ilog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vout("", fmt, ap);
	va_end(ap);
}

void vlog(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	vout("", fmt, ap);
	va_end(ap);
}
