// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ginventory.h"
#include "layout.h"
#include "target.h"

/* More goroutines than this is not a Go process gopry should be reading. */
#define MAX_ALLGLEN (16u << 20)
#define CHUNK 4096 /* g pointers per read */
#define RETRIES 3
/* runtime.g is under 512 bytes in every release (456 in go1.26.10). */
#define G_SPAN 512

static const enum go_field g_fields[] = {
	GF_G_ATOMICSTATUS, GF_G_GOID, GF_G_WAITSINCE, GF_G_WAITREASON, GF_G_GOPC, GF_G_STARTPC,
};

bool ginventory__available(const struct go_layout *lay)
{
	if (!lay->global[GG_ALLGS] || lay->off[GF_ALLGS_ARRAY] < 0 || lay->off[GF_ALLGS_LEN] < 0)
		return false;
	for (size_t i = 0; i < sizeof(g_fields) / sizeof(g_fields[0]); i++)
		if (lay->off[g_fields[i]] < 0 || lay->off[g_fields[i]] + 8 > G_SPAN)
			return false;
	return true;
}

static __u64 field(const __u8 *buf, __s64 off, size_t size)
{
	__u64 v = 0;

	memcpy(&v, buf + off, size);
	return v;
}

/* g.parentGoid: go1.21+ only (go1.21.13 runtime2.go:485); read when the layout has it. */
static bool has_parent(const struct go_layout *lay)
{
	return lay->off[GF_G_PARENTGOID] >= 0 && lay->off[GF_G_PARENTGOID] + 8 <= G_SPAN;
}

/* Span of the g that holds every member read. */
static size_t span(const struct go_layout *lay)
{
	__s64 end = 0;

	for (size_t i = 0; i < sizeof(g_fields) / sizeof(g_fields[0]); i++)
		if (lay->off[g_fields[i]] + 8 > end)
			end = lay->off[g_fields[i]] + 8;
	if (has_parent(lay) && lay->off[GF_G_PARENTGOID] + 8 > end)
		end = lay->off[GF_G_PARENTGOID] + 8;
	return end;
}

static void decode_g(const struct go_layout *lay, const __u8 *buf, struct gsite_g *g)
{
	memset(g, 0, sizeof(*g));
	g->status = field(buf, lay->off[GF_G_ATOMICSTATUS], 4) & ~(__u32)GS_SCAN;
	g->goid = field(buf, lay->off[GF_G_GOID], 8);
	g->waitsince = field(buf, lay->off[GF_G_WAITSINCE], 8);
	g->waitreason = field(buf, lay->off[GF_G_WAITREASON], 1);
	g->gopc = field(buf, lay->off[GF_G_GOPC], 8);
	g->startpc = field(buf, lay->off[GF_G_STARTPC], 8);
	if (has_parent(lay))
		g->parent = field(buf, lay->off[GF_G_PARENTGOID], 8);
}

static bool same_g(const struct gsite_g *a, const struct gsite_g *b)
{
	return a->status == b->status && a->goid == b->goid && a->gopc == b->gopc &&
	       a->startpc == b->startpc && a->waitreason == b->waitreason &&
	       a->parent == b->parent;
}

static bool has_null(const __u64 *ptrs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!ptrs[k])
			return true;
	return false;
}

/*
 * Two reads of the g that agree on identity and state. A g being reused
 * (a dead one handed to a new goroutine) or changing state differs between
 * the copies; waitsince may move and is not compared.
 */
static int read_g(const struct target *t, const struct go_layout *lay, __u64 gp, size_t len,
		  struct gsite_g *g)
{
	__u8 a[G_SPAN], b[G_SPAN];
	struct gsite_g ga, gb;
	int err;

	for (int i = 0; i < RETRIES; i++) {
		err = target__read(t, gp, a, len);
		if (!err)
			err = target__read(t, gp, b, len);
		if (err)
			return err;
		decode_g(lay, a, &ga);
		decode_g(lay, b, &gb);
		if (same_g(&ga, &gb)) {
			*g = gb;
			return 0;
		}
	}
	return -EAGAIN;
}

int ginventory__len(const struct target *t, const struct go_layout *lay, __u64 bias,
		    __u64 *len)
{
	if (!ginventory__available(lay))
		return -ENOTSUP;
	return target__read(t, lay->global[GG_ALLGS] + bias + lay->off[GF_ALLGS_LEN], len,
			    sizeof(*len));
}

int ginventory__walk(const struct target *t, const struct go_layout *lay, __u64 bias,
		     void (*cb)(void *ctx, const struct gsite_g *g), void *ctx,
		     struct ginventory_stats *st)
{
	__u64 base = lay->global[GG_ALLGS] + bias, len, arr;
	size_t gspan = span(lay), chunk;
	__u8 *copy_a = NULL, *copy_b = NULL;
	__u64 *ptrs = NULL;
	int err;

	memset(st, 0, sizeof(*st));
	if (!ginventory__available(lay))
		return -ENOTSUP;
	/*
	 * allgadd writes array before len (go1.19.8 proc.go:539, go1.27.3
	 * proc.go:706): reading len first then array, as atomicAllG does with
	 * allglen/allgptr, never gives a len longer than the array read.
	 */
	err = target__read(t, base + lay->off[GF_ALLGS_LEN], &len, sizeof(len));
	if (!err)
		err = target__read(t, base + lay->off[GF_ALLGS_ARRAY], &arr, sizeof(arr));
	if (err)
		return err;
	if (len > MAX_ALLGLEN)
		return -ERANGE;
	st->allglen = len;
	/* Sized to the list: a whole chunk's 4 MiB would be mmap'ed afresh each walk. */
	chunk = len < CHUNK ? (len ? len : 1) : CHUNK;
	ptrs = malloc(chunk * sizeof(*ptrs));
	copy_a = malloc(chunk * gspan);
	copy_b = malloc(chunk * gspan);
	if (!ptrs || !copy_a || !copy_b) {
		err = -ENOMEM;
		goto free_ptrs;
	}
	for (__u64 i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;
		bool batched;

		err = target__read(t, arr + i * 8, ptrs, n * 8);
		if (err)
			goto free_ptrs;
		/*
		 * Two batched copies of every g in the chunk, a few syscalls in
		 * all; any g whose copies disagree (or a batch that could not be
		 * read whole) is read again on its own.
		 */
		batched = !has_null(ptrs, n) && !target__readv(t, ptrs, n, gspan, copy_a) &&
			  !target__readv(t, ptrs, n, gspan, copy_b);
		for (size_t k = 0; k < n; k++) {
			struct gsite_g g, g2;
			int rerr = -EAGAIN;

			if (!ptrs[k]) {
				st->invalid++;
				continue;
			}
			if (batched) {
				decode_g(lay, copy_a + k * gspan, &g);
				decode_g(lay, copy_b + k * gspan, &g2);
				if (same_g(&g, &g2))
					rerr = 0;
			}
			if (rerr)
				rerr = read_g(t, lay, ptrs[k], gspan, &g);
			if (rerr == -EAGAIN) {
				st->torn++;
				continue;
			}
			if (rerr == -ESRCH) {
				err = rerr;
				goto free_ptrs;
			}
			if (rerr) {
				st->invalid++;
				continue;
			}
			if (g.status == GS_DEAD || g.status == GS_IDLE || g.status == GS_DEADEXTRA) {
				st->dead++;
				continue;
			}
			if (g.status > GS_DEADEXTRA || !g.goid || !g.startpc) {
				st->invalid++;
				continue;
			}
			st->alive++;
			g.g = ptrs[k];
			cb(ctx, &g);
		}
	}
free_ptrs:
	free(copy_b);
	free(copy_a);
	free(ptrs);
	return err;
}
