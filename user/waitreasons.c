// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "gobin.h"
#include "waitreasons.h"

/* waitReason is a uint8; no release has more than 47 (go1.25+). */
#define MAX_REASONS 64
#define MAX_REASON_LEN 64

struct waitreasons {
	char *names[MAX_REASONS];
	size_t n;
	const char *source;
};

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/*
 * The binary's own [...]string table: 16-byte {ptr, len} headers in data,
 * pointing into rodata. Only a prefix that reads as strings is used, and
 * never more entries than the release's table has when there is a row: the
 * symbol's size is not recorded, and what follows it is another variable.
 */
static int from_binary(struct gobin *gb, struct waitreasons *w, size_t limit)
{
	__u64 base;

	if (gobin__symbol_addr(gb, "runtime.waitReasonStrings", &base))
		return -ENOENT;
	for (size_t i = 0; i < limit; i++) {
		__u64 hdr[2];
		char buf[MAX_REASON_LEN + 1];

		if (gobin__read_vaddr(gb, base + 16 * i, hdr, sizeof(hdr)))
			break;
		if (hdr[1] > MAX_REASON_LEN || (i == 0) != (hdr[1] == 0))
			break;
		if (hdr[1] && gobin__read_vaddr(gb, hdr[0], buf, hdr[1]))
			break;
		buf[hdr[1]] = '\0';
		if (!printable(buf, hdr[1]))
			break;
		w->names[i] = strdup(buf);
		if (!w->names[i])
			return -ENOMEM;
		w->n = i + 1;
	}
	/* waitReasonZero alone is no table. */
	return w->n > 1 ? 0 : -ENOENT;
}

static const struct waitreason_row *table_row(int minor)
{
	for (size_t i = 0; i < waitreason__table_rows; i++)
		if (waitreason__table[i].minor == minor)
			return &waitreason__table[i];
	return NULL;
}

int waitreasons__new(struct gobin *gb, struct waitreasons **out)
{
	const struct waitreason_row *row = table_row(gobin__go_minor(gb));
	struct waitreasons *w = calloc(1, sizeof(*w));
	int err;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	err = from_binary(gb, w, row && row->n < MAX_REASONS ? row->n : MAX_REASONS);
	if (err == -ENOMEM)
		goto free_w;
	if (!err) {
		w->source = "binary";
		*out = w;
		return 0;
	}
	for (size_t i = 0; i < w->n; i++)
		free(w->names[i]);
	w->n = 0;
	err = -ENOENT;
	if (!row)
		goto free_w;
	for (size_t i = 0; i < row->n && i < MAX_REASONS; i++) {
		w->names[i] = strdup(row->names[i]);
		if (!w->names[i]) {
			err = -ENOMEM;
			goto free_w;
		}
		w->n = i + 1;
	}
	w->source = "table";
	*out = w;
	return 0;

free_w:
	waitreasons__free(w);
	return err;
}

void waitreasons__free(struct waitreasons *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w);
}

const char *waitreasons__name(const struct waitreasons *w, unsigned int r)
{
	return w && r < w->n ? w->names[r] : NULL;
}

const char *waitreasons__source(const struct waitreasons *w)
{
	return w ? w->source : "none";
}

int waitreasons__lookup(const struct waitreasons *w, const char *s)
{
	for (size_t i = 0; w && i < w->n; i++)
		if (!strcmp(w->names[i], s))
			return i;
	return -1;
}
