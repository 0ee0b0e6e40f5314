// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allocs.h"
#include "env.h"
#include "gobin.h"
#include "heap.h"
#include "json.h"
#include "log.h"
#include "probes.h"
#include "target.h"

/* Read slots of PR_HEAP_STATS, and the members they read. */
enum {
	HS_NUMGC,
	HS_MARKED,
	HS_LIVE,
	HS_GOAL,
	HS_INUSE,
	HS_RELEASED,
	HS_FREE,
	HS_TOTALALLOC,
	HS_TOTALFREE,
	HS_MAPPED,
	HS__COUNT,
};

static const struct {
	enum go_global g;
	enum go_field f;
	__u8 size;
} hs_reads[HS__COUNT] = {
	[HS_NUMGC] = { GG_MEMSTATS, GF_MSTATS_NUMGC, 4 },
	[HS_MARKED] = { GG_GCCONTROLLER, GF_GCC_HEAPMARKED, 8 },
	[HS_LIVE] = { GG_GCCONTROLLER, GF_GCC_HEAPLIVE, 8 },
	[HS_GOAL] = { GG_GCCONTROLLER, GF_GCC_LASTHEAPGOAL, 8 },
	[HS_INUSE] = { GG_GCCONTROLLER, GF_GCC_HEAPINUSE, 8 },
	[HS_RELEASED] = { GG_GCCONTROLLER, GF_GCC_HEAPRELEASED, 8 },
	[HS_FREE] = { GG_GCCONTROLLER, GF_GCC_HEAPFREE, 8 },
	[HS_TOTALALLOC] = { GG_GCCONTROLLER, GF_GCC_TOTALALLOC, 8 },
	[HS_TOTALFREE] = { GG_GCCONTROLLER, GF_GCC_TOTALFREE, 8 },
	[HS_MAPPED] = { GG_GCCONTROLLER, GF_GCC_MAPPEDREADY, 8 },
};

static const char *const hs_names[HS__COUNT] = {
	[HS_NUMGC] = "numgc",
	[HS_MARKED] = "heap_live",
	[HS_LIVE] = "heap_live_now",
	[HS_GOAL] = "goal",
	[HS_INUSE] = "in_use",
	[HS_RELEASED] = "released",
	[HS_FREE] = "free",
	[HS_TOTALALLOC] = "total_alloc",
	[HS_TOTALFREE] = "total_free",
	[HS_MAPPED] = "mapped",
};

#define PAGE_SIZE_GO 8192 /* runtime pageSize (malloc.go: _PageShift = 13) */

struct heap {
	struct gobin *gb;
	const struct target *t;
	const struct probe_plan *plan;
	bool json;
	__u64 bias;
	bool have_bias;
	/* Previous snapshot, for rates: per GC from GC to GC, else interval to interval. */
	struct snap {
		__u64 v[HS__COUNT];
		__u32 ok; /* which of v were read */
		bool have;
		__u64 ns;
	} last_gc, last_tick;
	__u64 grows, grow_bytes;
};

static bool heap_enabled(void)
{
	return env.heap;
}

static int heap_plan(struct gobin *gb, struct probe_plan *plan)
{
	struct probe *p;
	int err;

	/*
	 * With the world stopped after the mark: heapMarked is this cycle's
	 * live heap (gctrace's third number). It also runs for
	 * debug.SetGCPercent/SetMemoryLimit; the stack tells them apart.
	 */
	err = probes__add_entry(plan, gb, PR_HEAP_STATS, "runtime.gcControllerCommit", &p);
	if (err) {
		probes__note_unavailable(plan, "heap per GC (runtime.gcControllerCommit)");
	} else {
		p->spec.flags = GOPRY_SPEC_USER_STACK | GOPRY_SPEC_RET_AT_SP;
		for (int i = 0; i < HS__COUNT; i++)
			probes__set_global_read(plan, &p->spec, i, hs_reads[i].g, hs_reads[i].f,
						hs_reads[i].size);
	}
	/* grow(npage uintptr): RBX = npage (go1.19.8 mheap.go:1399 ... go1.27.3 :1544). */
	err = probes__add_entry(plan, gb, PR_HEAP_GROW, "runtime.(*mheap).grow", &p);
	if (err)
		probes__note_unavailable(plan, "heap growth (runtime.(*mheap).grow)");
	else
		p->spec.flags = GOPRY_SPEC_USER_STACK | GOPRY_SPEC_RET_AT_SP;
	return 0;
}

static int heap_start(void **state, const struct collector_ctx *ctx)
{
	struct heap *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->gb = ctx->gb;
	h->t = ctx->target;
	h->plan = ctx->plan;
	h->json = ctx->json;
	/* A launched target has not exec'd yet: its mappings are not the binary's. */
	if (!h->t->launched && !target__load_bias(h->t, h->gb, &h->bias))
		h->have_bias = true;
	*state = h;
	return 0;
}

/* VmRSS of the target in bytes, or 0. */
static __u64 rss_bytes(int pid)
{
	char path[64], line[256];
	__u64 kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", (unsigned long long *)&kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static void emit(struct heap *h, struct snap *last, const char *event, __s64 gc, const __u64 *v,
		 __u32 ok, __u64 now_ns)
{
	double dt = last->have && now_ns > last->ns ? (now_ns - last->ns) / 1e9 : 0;
	__u64 rss = rss_bytes(h->t->pid);
	double arate = -1, frate = -1;

	/* A rate needs both ends read: an unread previous value is 0, not a total. */
	__u32 both = ok & last->ok;

	if (dt > 0 && (both & (1u << HS_TOTALALLOC)) &&
	    v[HS_TOTALALLOC] >= last->v[HS_TOTALALLOC])
		arate = (v[HS_TOTALALLOC] - last->v[HS_TOTALALLOC]) / dt;
	if (dt > 0 && (both & (1u << HS_TOTALFREE)) && v[HS_TOTALFREE] >= last->v[HS_TOTALFREE])
		frate = (v[HS_TOTALFREE] - last->v[HS_TOTALFREE]) / dt;
	if (h->json) {
		struct json j;

		json__begin(&j, stdout);
		json__str(&j, "type", "heap");
		json__str(&j, "event", event);
		if (gc >= 0)
			json__s64(&j, "gc", gc);
		for (int i = HS_MARKED; i < HS__COUNT; i++) {
			if (ok & (1u << i))
				json__u64(&j, hs_names[i], v[i]);
			else
				json__null(&j, hs_names[i]);
		}
		if (arate >= 0)
			json__f64(&j, "alloc_rate", arate);
		if (frate >= 0)
			json__f64(&j, "free_rate", frate);
		json__u64(&j, "rss", rss);
		json__end(&j);
	} else {
		printf("heap %-8s", event);
		if (gc >= 0)
			printf(" gc %-5lld", (long long)gc);
		printf(" live %.2f MB goal %.2f MB in-use %.2f MB released %.2f MB mapped %.2f MB",
		       v[HS_MARKED] / 1e6, v[HS_GOAL] / 1e6, v[HS_INUSE] / 1e6,
		       v[HS_RELEASED] / 1e6, v[HS_MAPPED] / 1e6);
		if (arate >= 0)
			printf(" alloc %.1f MB/s free %.1f MB/s", arate / 1e6, frate / 1e6);
		printf(" rss %.2f MB\n", rss / 1e6);
	}
	memcpy(last->v, v, sizeof(last->v));
	last->ok = ok;
	last->have = true;
	last->ns = now_ns;
}

/* Whether the stack shows the GC's own call (not debug.SetGCPercent & co.). */
static bool from_mark_termination(struct heap *h, const struct gopry_event_probe *ev)
{
	const struct gopry_event_probe_stack *sev = (const void *)ev;

	if (ev->type != EV_PROBE_STACK)
		return true;
	for (__u32 i = 0; i < sev->nframes && i < 8; i++) {
		struct alloc_frame f;

		allocs__symbolize(h->gb, h->bias, sev->ips[i], i > 0, &f);
		if (!strcmp(f.func, "runtime.gcMarkTermination"))
			return true;
		if (!strncmp(f.func, "runtime/debug.", 14))
			return false;
	}
	return true;
}

static void grow_event(struct heap *h, const struct gopry_event_probe *ev)
{
	const struct gopry_event_probe_stack *sev = (const void *)ev;
	__u64 bytes = ev->regs[GR_RBX] * PAGE_SIZE_GO;
	struct alloc_frame f[GOPRY_MAX_STACK], site = { "?", "", 0 };
	__u32 n = 0;

	h->grows++;
	h->grow_bytes += bytes;
	if (ev->type == EV_PROBE_STACK) {
		n = sev->nframes < GOPRY_MAX_STACK ? sev->nframes : GOPRY_MAX_STACK;
		for (__u32 i = 0; i < n; i++)
			allocs__symbolize(h->gb, h->bias, sev->ips[i], i > 0, &f[i]);
		if (n)
			site = f[allocs__first_user_frame(f, n)];
	}
	if (h->json) {
		struct json j;

		json__begin(&j, stdout);
		json__str(&j, "type", "heap");
		json__str(&j, "event", "grow");
		json__u64(&j, "bytes", bytes);
		json__str(&j, "func", site.func);
		json__str(&j, "file", site.file);
		json__s64(&j, "line", site.line);
		fprintf(j.f, ",\"stack\":[");
		for (__u32 i = 0; i < n; i++) {
			if (i)
				fputc(',', j.f);
			json__escape(j.f, f[i].func);
		}
		fputc(']', j.f);
		json__end(&j);
	} else {
		printf("heap grow     +%.2f MB at %s:%d (%s)\n", bytes / 1e6,
		       site.file[0] ? site.file : "?", site.line, site.func);
	}
}

static void heap_event(void *state, const struct gopry_event_probe *ev, const struct probe *p)
{
	struct heap *h = state;

	if (!h->have_bias) {
		h->bias = ev->regs[GR_IP] - p->vaddr;
		h->have_bias = true;
	}
	if (p->role == PR_HEAP_GROW) {
		grow_event(h, ev);
		return;
	}
	if (p->role != PR_HEAP_STATS || !from_mark_termination(h, ev))
		return;
	/* memstats.numgc is incremented after the commit (go1.22.12 mgc.go:1050). */
	emit(h, &h->last_gc, "gc", (ev->read_ok & 1u << HS_NUMGC) ? (__s64)(__u32)ev->reads[HS_NUMGC] + 1 : -1,
	     ev->reads, ev->read_ok, ev->ts);
}

static void heap_tick(void *state, __u64 now_ns)
{
	struct heap *h = state;
	const struct go_layout *lay = &h->plan->layout;
	__u64 v[HS__COUNT] = {};
	__u32 ok = 0;

	if (!h->have_bias && !target__load_bias(h->t, h->gb, &h->bias))
		h->have_bias = true;
	if (!h->have_bias)
		return;
	for (int i = 0; i < HS__COUNT; i++) {
		__u64 base = lay->global[hs_reads[i].g];
		__s64 off = lay->off[hs_reads[i].f];

		if (!base || off < 0)
			continue;
		if (!target__read(h->t, base + h->bias + off, &v[i], hs_reads[i].size))
			ok |= 1u << i;
	}
	if (!ok)
		return;
	/* Between cycles the live heap is what the last mark found. */
	emit(h, &h->last_tick, "interval", -1, v, ok, now_ns);
}

static void heap_finish(void *state, __u64 now_ns)
{
	struct heap *h = state;

	(void)now_ns;
	if (!h->json && h->grows)
		printf("heap: %llu OS growth events, %.2f MB\n", (unsigned long long)h->grows,
		       h->grow_bytes / 1e6);
}

static void heap_free(void *state)
{
	free(state);
}

const struct collector_ops heap_collector_ops = {
	.name = "heap",
	.enabled = heap_enabled,
	.plan = heap_plan,
	.start = heap_start,
	.event = heap_event,
	.tick = heap_tick,
	.finish = heap_finish,
	.free = heap_free,
};
