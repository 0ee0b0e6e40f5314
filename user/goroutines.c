// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The goroutines collector: creation and exit probes feed gsites; a walk of
 * runtime.allgs at attach counts what already exists, and one per interval
 * says what the alive goroutines wait on (and repairs what no event told:
 * coroutines, lost events).
 *
 * Creation: the CALL runtime.runqput in runtime.newproc.func1, the
 * systemstack closure of newproc:
 *	newg := newproc1(fn, gp, pc[, false, waitReasonZero])
 *	runqput(pp, newg, true)
 * (go1.19.8 proc.go:4098-4101, go1.21.13 :4476-4479, go1.22.12 :4878-4881,
 * go1.23.5 :4979-4982, go1.24.4 :5024-5027, go1.25.12 :5162-5165, go1.26.10
 * :5299-5302, go1.27.3 :5338-5341). runqput(pp *p, gp *g, next bool) takes
 * gp in RBX (ABIInternal), so at the CALL RBX is the new g, whose goid,
 * gopc, startpc and (go1.21+) parentGoid newproc1 has filled in. R14 is g0
 * there (systemstack): before go1.21 the parent is g0.m.curg.
 * Goroutines made by newproc1 without newproc are not seen at creation:
 * coroutines (iter.Pull, coro.go newcoro, go1.23+), synctest bubbles
 * (synctest.go, go1.25+) and debugger call injection (debugcall.go); the
 * next two walks find them ("discovered").
 *
 * Exit: the CALL runtime.mcall in runtime.goexit1 (mcall(goexit0), go1.19.8
 * proc.go:3476 ... go1.27.3 :4507): still on the exiting goroutine's stack,
 * R14 is that goroutine. Every goroutine that returns from its function or
 * calls runtime.Goexit passes there; coroutines end in coroexit (gdestroy
 * without goexit1): walks notice them gone ("lost"). The event carries only
 * the g pointer: a g is reused (gfput/gfget) but never holds two live
 * goroutines, and the ring orders a g's exit before its next creation, so
 * the creation event's (g, goid) names the goroutine that exits. This spares
 * the hit its read of the target's memory, the dearest part of the program
 * (`make bench`, churn).
 *
 * Parks (--waits): the CALL runtime.mcall in runtime.gopark (mcall(park_m),
 * go1.19.8 proc.go:363, go1.21.13 :398, go1.22.12 :402, go1.23.5 :424,
 * go1.24.4 :435, go1.25.12 :460, go1.26.10 :462, go1.27.3 :474). Every
 * park (channels, select, sleep, sync, netpoll, GC workers) goes through
 * gopark; goparkunlock is inlined into its callers as a gopark call. At that
 * CALL R14 is still the parking goroutine and gopark has already stored
 * gp.waitreason = reason (go1.19.8 proc.go:358, go1.27.3 :469): the reason
 * is read from the g, where the walks read it too, rather than from CL at
 * entry (gopark's 3rd argument; its entry is a single-stepped `sub rsp` on
 * go1.19, the CALL is emulated on every release).
 * Runs again: the first CALL runtime.casgstatus in runtime.execute(gp,
 * inheritTime) (casgstatus(gp, _Grunnable, _Grunning): go1.19.8
 * proc.go:2531, go1.21.13 :2856, go1.22.12 :3107, go1.23.5 :3223, go1.24.4
 * :3247, go1.25.12 :3350, go1.26.10 :3345, go1.27.3 :3360), where RAX is gp,
 * casgstatus's first argument. Every goroutine the scheduler runs passes
 * there (on g0); a park lasts from its gopark to that execute. Both are
 * hot, hence opt-in; the per-goroutine park state in user space is a table
 * by g with a cap (gsites.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "env.h"
#include "ginventory.h"
#include "gobin.h"
#include "goroutines.h"
#include "gsites.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "pprof.h"
#include "probes.h"
#include "target.h"
#include "waitreasons.h"

#define MAX_LEAKS 10
/*
 * A walk copies every g twice: ~0.16 s of gopry's CPU at 100k goroutines
 * and ~1.7 s at 1M (measured here). After each, the next waits at least
 * this many times as long, so walks take at most a tenth of a core.
 */
#define WALK_SPACING 9

_Static_assert(RD_GC__COUNT <= GOPRY_SMALL_READS && RD_GX__COUNT <= GOPRY_SMALL_READS &&
		       RD_GP__COUNT <= GOPRY_SMALL_READS && RD_GR__COUNT <= GOPRY_SMALL_READS,
	       "the goroutine probes' reads fit a small record");

struct gstate {
	struct gobin *gb;
	const struct probe_plan *plan;
	const struct target *target;
	struct output *out; /* for a warning record */
	struct gsites *sites;
	struct waitreasons *wr;
	bool json;
	int pid;
	bool inventory;     /* allgs can be walked */
	/*
	 * The next walk is the inventory at attach (-p): until one succeeds,
	 * goroutines found are counted as alive at attach, not as discovered
	 * (which would rank old ones as leak suspects).
	 */
	bool need_initial;
	bool have_bias;
	__u64 bias;         /* load bias (PIE), from the first event or /proc/PID/maps */
	__u64 start_ns;
	__u64 ticks;
	__u64 walk_failures;
	__u64 next_walk_ns; /* a tick before this skips its walk (WALK_SPACING) */
	__u64 walks_skipped;
	struct ginventory_stats last_walk;
	__u64 leak_min_age_ns; /* --leak-min-age: parked this long across walks = stuck */
};

/*
 * On unless --no-goroutines: the two probes cost 1.27x the emulated-trap
 * floor per hit (median of the rounds' paired ratios in a 21- and a
 * 31-round run of make bench's churn, 2026-11-29), at the budget of 1.3x.
 */
static bool goroutines_enabled(void)
{
	return !env.no_goroutines;
}

/* --waits: the park and run-again sites (see the top comment). Both or neither. */
static void plan_waits(struct probe_plan *plan, struct gobin *gb)
{
	const struct go_layout *lay = &plan->layout;
	struct probe *park, *run;
	size_t n0 = plan->n;

	if (lay->off[GF_G_WAITREASON] < 0 ||
	    probes__add_call_site(plan, gb, PR_G_PARK, "runtime.gopark", "runtime.mcall", &park) ||
	    probes__add_call_site(plan, gb, PR_G_RUN, "runtime.execute", "runtime.casgstatus",
				  &run) ||
	    !park->emulated || !run->emulated) {
		/* Never attach blind or single-stepped on the scheduler's hottest paths. */
		plan->n = n0;
		probes__note_unavailable(plan, "goroutine park times (--waits)");
		wlog("--waits: no emulated CALL runtime.mcall in runtime.gopark or CALL "
		     "runtime.casgstatus in runtime.execute: park times not measured");
		return;
	}
	probes__set_read(&park->spec, RD_GP_G, RB_VAL, GR_R14, 0, 8);
	probes__set_read(&park->spec, RD_GP_REASON, RB_REG, GR_R14, lay->off[GF_G_WAITREASON], 1);
	probes__set_read(&run->spec, RD_GR_G, RB_VAL, GR_RAX, 0, 8);
	park->spec.flags |= GOPRY_SPEC_SMALL;
	run->spec.flags |= GOPRY_SPEC_SMALL;
}

static int goroutines_plan(struct gobin *gb, struct probe_plan *plan)
{
	const struct go_layout *lay = &plan->layout;
	struct probe *p;
	int err;

	if (lay->off[GF_G_GOID] < 0 || lay->off[GF_G_GOPC] < 0 || lay->off[GF_G_STARTPC] < 0) {
		snprintf(plan->why, sizeof(plan->why), "runtime.g offsets unknown");
		return -ENOTSUP;
	}
	err = probes__add_call_site(plan, gb, PR_G_CREATE, "runtime.newproc.func1",
				    "runtime.runqput", &p);
	if (err) {
		snprintf(plan->why, sizeof(plan->why),
			 "no CALL runtime.runqput in runtime.newproc.func1: %s", strerror(-err));
		return err;
	}
	if (!p->emulated) {
		snprintf(plan->why, sizeof(plan->why), "goroutine creation site is not emulated");
		return -ENOTSUP;
	}
	/* Hot: small records; the handler needs only the reads and the IP. */
	p->spec.flags |= GOPRY_SPEC_SMALL;
	probes__set_read(&p->spec, RD_GC_GOID, RB_REG, GR_RBX, lay->off[GF_G_GOID], 8);
	probes__set_read(&p->spec, RD_GC_GOPC, RB_REG, GR_RBX, lay->off[GF_G_GOPC], 8);
	probes__set_read(&p->spec, RD_GC_STARTPC, RB_REG, GR_RBX, lay->off[GF_G_STARTPC], 8);
	if (lay->off[GF_G_PARENTGOID] >= 0) {
		/* newproc1 sets newg.parentGoid = callergp.goid (go1.21.13 proc.go:4528). */
		probes__set_read(&p->spec, RD_GC_PARENT, RB_REG, GR_RBX, lay->off[GF_G_PARENTGOID],
				 8);
	} else if (lay->off[GF_G_M] >= 0 && lay->off[GF_M_CURG] >= 0) {
		/*
		 * go1.19 has no parentGoid. R14 is g0 here (systemstack), and
		 * systemstack leaves m.curg the goroutine that called newproc:
		 * g0.m.curg.goid is the creator's goid. Reads may only chain to
		 * earlier slots: m, then curg, then the goid, in that order.
		 */
		probes__set_read(&p->spec, RD_GC_M, RB_REG, GR_R14, lay->off[GF_G_M], 8);
		probes__set_read(&p->spec, RD_GC_CURG, RB_READ, RD_GC_M, lay->off[GF_M_CURG], 8);
		probes__set_read(&p->spec, RD_GC_PARENT, RB_READ, RD_GC_CURG, lay->off[GF_G_GOID],
				 8);
	} else {
		probes__note_unavailable(plan, "parent goroutines");
	}
	probes__set_read(&p->spec, RD_GC_G, RB_VAL, GR_RBX, 0, 8);

	err = probes__add_call_site(plan, gb, PR_G_EXIT, "runtime.goexit1", "runtime.mcall", &p);
	if (err || !p->emulated) {
		snprintf(plan->why, sizeof(plan->why), "no emulated CALL runtime.mcall in "
			 "runtime.goexit1: %s", err ? strerror(-err) : "single-stepped");
		return err ? err : -ENOTSUP;
	}
	p->spec.flags |= GOPRY_SPEC_SMALL;
	probes__set_read(&p->spec, RD_GX_G, RB_VAL, GR_R14, 0, 8);

	if (env.waits)
		plan_waits(plan, gb);
	if (!ginventory__available(lay))
		probes__note_unavailable(plan, "goroutines alive at attach and their wait states "
					 "(runtime.allgs)");
	return 0;
}

/* runtime.isSystemGoroutine (go1.19.8 traceback.go:1133, go1.27.3 :1490), fixed=false. */
static bool system_start(const char *fn)
{
	if (strncmp(fn, "runtime.", 8))
		return false;
	return strcmp(fn, "runtime.main") && strcmp(fn, "runtime.corostart") &&
	       strcmp(fn, "runtime.handleAsyncEvent");
}

static int name_site(void *ctx, struct gsite *s)
{
	struct gstate *st = ctx;
	const struct gofunc *f;
	const char *file;
	int line;

	/* Go's traceback prints the line of gopc-1: the go statement's CALL. */
	f = s->gopc ? gobin__func_at(st->gb, s->gopc - 1) : NULL;
	snprintf(s->func, sizeof(s->func), "%s", f ? f->name : "?");
	if (s->gopc && !gobin__pc_line(st->gb, s->gopc - 1, &file, &line)) {
		snprintf(s->file, sizeof(s->file), "%s", file);
		s->line = line;
	}
	f = gobin__func_at(st->gb, s->startpc);
	if (!f)
		return -EINVAL;
	snprintf(s->start_func, sizeof(s->start_func), "%s", f->name);
	s->system = system_start(f->name);
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct walk_ctx {
	struct gstate *st;
};

static void on_walk_g(void *ctx, const struct gsite_g *g)
{
	struct gstate *st = ctx;
	struct gsite_g lg = *g;

	/* Keys are link-time PCs; a PC outside every function is not a goroutine. */
	lg.gopc -= st->bias;
	lg.startpc -= st->bias;
	if (!gobin__func_at(st->gb, lg.startpc)) {
		st->last_walk.invalid++;
		return;
	}
	gsites__walk_seen(st->sites, &lg);
}

/* A first walk this long (allgs entries) is announced: it takes a while. */
#define BIG_WALK 200000

static int walk(struct gstate *st)
{
	bool initial = st->need_initial;
	__u64 t0;
	int err;

	if (!st->inventory)
		return -ENOTSUP;
	/* After an exec the same addresses may hold the next program's goroutines. */
	if (!target__same_image(st->target))
		return -ESRCH;
	if (!st->have_bias) {
		if (target__load_bias(st->target, st->gb, &st->bias))
			return -EAGAIN;
		st->have_bias = true;
	}
	if (initial) {
		__u64 n;

		/* A first walk of 1M goroutines took ~1-1.4 s here: the attach waits for it. */
		if (!ginventory__len(st->target, &st->plan->layout, st->bias, &n) &&
		    n >= BIG_WALK)
			ilog("reading the target's goroutine list (%llu entries)...",
			     (unsigned long long)n);
	}
	t0 = mono_ns();
	gsites__walk_begin(st->sites, t0, initial);
	err = ginventory__walk(st->target, &st->plan->layout, st->bias, on_walk_g, st,
			       &st->last_walk);
	/* A walk with many skipped entries cannot tell a goroutine is gone. */
	gsites__walk_end(st->sites, !err && st->last_walk.torn * 10 <= st->last_walk.allglen,
			 st->leak_min_age_ns);
	if (err) {
		/*
		 * Said once, on stderr and as a record: without walks the
		 * goroutines older than the attach and all wait states are
		 * missing. A target gone (ESRCH, or exec'd during the walk) is
		 * not news.
		 */
		if (!st->walk_failures++ && err != -ESRCH && target__same_image(st->target)) {
			char msg[160];

			snprintf(msg, sizeof(msg), "cannot read the goroutine list (runtime.allgs): "
				 "%s; goroutines older than the attach and wait states are missing",
				 strerror(-err));
			wlog("%s", msg);
			output__warning(st->out, msg);
		}
		vlog("goroutine list walk failed: %s", strerror(-err));
	} else {
		st->need_initial = false;
		vlog("goroutine walk: %llu entries, %llu alive, %llu dead, %llu torn, %llu invalid, "
		     "%.1f ms", (unsigned long long)st->last_walk.allglen,
		     (unsigned long long)st->last_walk.alive, (unsigned long long)st->last_walk.dead,
		     (unsigned long long)st->last_walk.torn,
		     (unsigned long long)st->last_walk.invalid, (mono_ns() - t0) / 1e6);
	}
	return err;
}

static int goroutines_start(void **state, const struct collector_ctx *ctx)
{
	struct gstate *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	st->gb = ctx->gb;
	st->plan = ctx->plan;
	st->target = ctx->target;
	st->out = ctx->out;
	st->json = ctx->json;
	st->pid = ctx->pid;
	st->start_ns = mono_ns();
	st->leak_min_age_ns = (__u64)(env.leak_min_age * 1e9);
	st->inventory = ginventory__available(&ctx->plan->layout);
	err = waitreasons__new(ctx->gb, &st->wr);
	if (err == -ENOMEM)
		goto free_st;
	if (err)
		wlog("no waitReason names for %s: wait reasons are shown as numbers",
		     gobin__go_version(ctx->gb));
	else
		vlog("waitReason names from the %s", waitreasons__source(st->wr));
	err = gsites__new(name_site, st, st->start_ns, &st->sites);
	if (err)
		goto free_wr;
	/*
	 * A launched target has not exec'd yet: nothing to walk until it runs,
	 * and every goroutine it makes has a creation event.
	 */
	st->need_initial = !ctx->target->launched;
	if (st->need_initial && walk(st) && st->inventory)
		wlog("cannot read the goroutines alive at attach: counting from now on");
	*state = st;
	return 0;

free_wr:
	waitreasons__free(st->wr);
free_st:
	free(st);
	return err;
}

static bool ok(const struct gopry_event_probe *ev, int slot)
{
	return ev->read_ok & (1u << slot);
}

static void goroutines_event(void *state, const struct gopry_event_probe *ev,
			     const struct probe *p)
{
	struct gstate *st = state;
	/* The distance between where the probe fired and where it was linked. */
	__u64 bias = ev->regs[GR_IP] - p->vaddr;

	if (!st->have_bias) {
		st->bias = bias;
		st->have_bias = true;
	}
	switch (p->role) {
	case PR_G_CREATE:
		if (ok(ev, RD_GC_GOID) && ok(ev, RD_GC_GOPC) && ok(ev, RD_GC_STARTPC))
			gsites__created(st->sites, ev->reads[RD_GC_GOID], ev->reads[RD_GC_G],
					ev->reads[RD_GC_GOPC] - bias,
					ev->reads[RD_GC_STARTPC] - bias, ev->ts,
					ok(ev, RD_GC_PARENT) ? ev->reads[RD_GC_PARENT] : 0);
		break;
	case PR_G_EXIT:
		if (ok(ev, RD_GX_G))
			gsites__exited(st->sites, ev->reads[RD_GX_G], ev->ts);
		break;
	case PR_G_PARK:
		if (ok(ev, RD_GP_G) && ok(ev, RD_GP_REASON))
			gsites__parked(st->sites, ev->reads[RD_GP_G], (__u8)ev->reads[RD_GP_REASON],
				       ev->ts);
		break;
	case PR_G_RUN:
		if (ok(ev, RD_GR_G))
			gsites__ran(st->sites, ev->reads[RD_GR_G], ev->ts);
		break;
	default:
		break;
	}
}

static const char *wait_name(const struct gstate *st, unsigned int r, char *buf, size_t len)
{
	const char *n = waitreasons__name(st->wr, r);

	if (n && *n)
		return n;
	snprintf(buf, len, n ? "waiting" : "wait reason %u", r);
	return buf;
}

static int cmp_site(const void *a, const void *b)
{
	const struct gsite *x = *(const struct gsite *const *)a;
	const struct gsite *y = *(const struct gsite *const *)b;

	if (x->alive != y->alive)
		return x->alive < y->alive ? 1 : -1;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return strcmp(x->func, y->func);
}

/* Sites in report order: most alive first, system ones last. */
static struct gsite **sorted_sites(struct gstate *st, size_t *n)
{
	size_t cnt = gsites__count(st->sites), k = 0;
	struct gsite **v = calloc(cnt + 1, sizeof(*v));

	if (!v)
		return NULL;
	for (int sys = 0; sys < 2; sys++) {
		size_t first = k;

		for (size_t i = 0; i < cnt; i++)
			if (gsites__at(st->sites, i)->system == sys)
				v[k++] = gsites__at(st->sites, i);
		qsort(v + first, k - first, sizeof(*v), cmp_site);
	}
	*n = k;
	return v;
}

static __u64 oldest_ns(const struct gstate *st, const struct gsite *s, __u64 now)
{
	if (s->oldest_before_attach)
		return now - st->start_ns;
	return s->oldest_create && now > s->oldest_create ? now - s->oldest_create : 0;
}

/* The site that created most of site's goroutines, NULL when none is known. */
static const struct gsite_parent *top_parent(const struct gsite *s)
{
	const struct gsite_parent *best = NULL;

	for (int i = 0; i < GSITE_MAX_PARENTS && s->parents[i].site; i++)
		if (!best || s->parents[i].count > best->count)
			best = &s->parents[i];
	return best;
}

/* "parents": the creating goroutines' own creation sites, most first. */
static void json_parents(const struct gsite *s, FILE *f)
{
	const struct gsite_parent *v[GSITE_MAX_PARENTS];
	int n = 0;

	for (int i = 0; i < GSITE_MAX_PARENTS && s->parents[i].site; i++)
		v[n++] = &s->parents[i];
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k]->count > v[k - 1]->count; k--) {
			const struct gsite_parent *t = v[k];

			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	fputs(",\"parents\":[", f);
	for (int i = 0; i < n; i++) {
		struct json j;

		if (i)
			fputc(',', f);
		json__begin(&j, f);
		json__str(&j, "func", v[i]->site->func);
		json__str(&j, "file", v[i]->site->file);
		json__s64(&j, "line", v[i]->site->line);
		json__str(&j, "start_func", v[i]->site->start_func);
		json__u64(&j, "count", v[i]->count);
		fputc('}', f);
	}
	fprintf(f, "],\"parent_other\":%llu,\"parent_unknown\":%llu",
		(unsigned long long)s->parent_other, (unsigned long long)s->parent_unknown);
}

/* --waits: "park_waits":{"chan receive":{"count":N,"total_ns":...,...}} */
static void json_park_waits(const struct gstate *st, const struct gsite *s, FILE *f)
{
	char buf[32];
	bool any = false;

	fputs(",\"park_waits\":{", f);
	for (unsigned int w = 0; w < GSITE_MAX_WAIT; w++) {
		const struct gsite_park *p = &s->park[w];

		if (!p->count)
			continue;
		fputs(any ? "," : "", f);
		json__escape(f, wait_name(st, w, buf, sizeof(buf)));
		fprintf(f, ":{\"count\":%llu,\"total_ns\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,"
			"\"max_ns\":%llu}", (unsigned long long)p->count,
			(unsigned long long)p->total_ns,
			(unsigned long long)gsites__park_pct(p, 50),
			(unsigned long long)gsites__park_pct(p, 99), (unsigned long long)p->max_ns);
		any = true;
	}
	fputc('}', f);
}

static void json_site(struct gstate *st, const struct gsite *s, __u64 now, bool first)
{
	FILE *f = stdout;
	struct json j;
	char buf[32];
	bool any = false;

	if (!first)
		fputc(',', f);
	json__begin(&j, f);
	json__str(&j, "func", s->func);
	json__str(&j, "file", s->file);
	json__s64(&j, "line", s->line);
	json__str(&j, "start_func", s->start_func);
	json__bool(&j, "system", s->system);
	json__u64(&j, "created", s->created);
	json__u64(&j, "exited", s->exited);
	json__u64(&j, "alive", s->alive);
	json__u64(&j, "at_attach", s->at_attach);
	json__u64(&j, "discovered", s->discovered);
	json__u64(&j, "lost", s->lost);
	json__u64(&j, "lifetimes", s->nlifetimes);
	json__u64(&j, "oldest_alive_ns", s->alive ? oldest_ns(st, s, now) : 0);
	json__bool(&j, "oldest_before_attach", s->alive && s->oldest_before_attach);
	json__u64(&j, "longest_wait_ns", s->alive ? s->longest_wait_ns : 0);
	fprintf(f, ",\"lifetime_ns\":{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"max\":%llu}",
		(unsigned long long)gsites__lifetime_pct(s, 50),
		(unsigned long long)gsites__lifetime_pct(s, 90),
		(unsigned long long)gsites__lifetime_pct(s, 99),
		(unsigned long long)s->lifetime_max);
	/*
	 * Counted, not inferred: waiting is what the walks saw parked, and the
	 * rest of alive (no walk yet, or not seen by one) is unknown.
	 */
	__u64 waiting = 0, known;

	for (unsigned int w = 0; w < GSITE_MAX_WAIT; w++)
		waiting += s->waits[w];
	known = s->running + s->runnable + s->syscall + s->leaked + waiting;
	fprintf(f, ",\"states\":{\"running\":%llu,\"runnable\":%llu,\"syscall\":%llu,"
		"\"waiting\":%llu,\"leaked\":%llu,\"unknown\":%llu}",
		(unsigned long long)s->running, (unsigned long long)s->runnable,
		(unsigned long long)s->syscall, (unsigned long long)waiting,
		(unsigned long long)s->leaked,
		(unsigned long long)(s->alive > known ? s->alive - known : 0));
	fputs(",\"waits\":{", f);
	for (unsigned int w = 0; w < GSITE_MAX_WAIT; w++) {
		if (!s->waits[w])
			continue;
		fputs(any ? "," : "", f);
		json__escape(f, wait_name(st, w, buf, sizeof(buf)));
		fprintf(f, ":%llu", (unsigned long long)s->waits[w]);
		any = true;
	}
	fputc('}', f);
	json_parents(s, f);
	if (env.waits)
		json_park_waits(st, s, f);
	fputc('}', f);
}

static void fmt_dur(char *buf, size_t len, __u64 ns)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
}

static void text_site(struct gstate *st, const struct gsite *s, __u64 now)
{
	char p50[16], p99[16], max[16], old[16], waits[64] = "", parks[64] = "", buf[32];
	__u64 best = 0;
	int bw = -1;

	if (env.waits) {
		/* The reason its goroutines spent the most time parked on. */
		for (int w = 0; w < GSITE_MAX_WAIT; w++)
			if (s->park[w].total_ns > best || (bw < 0 && s->park[w].count))
				best = s->park[w].total_ns, bw = w;
		if (bw >= 0) {
			fmt_dur(p50, sizeof(p50), gsites__park_pct(&s->park[bw], 50));
			char cell[48];

			snprintf(cell, sizeof(cell), "%.18s:%llu/%s", wait_name(st, bw, buf, sizeof(buf)),
				 (unsigned long long)s->park[bw].count, p50);
			snprintf(parks, sizeof(parks), " %-28s", cell);
		} else {
			snprintf(parks, sizeof(parks), " %-28s", "-");
		}
		best = 0;
		bw = -1;
	}

	fmt_dur(p50, sizeof(p50), gsites__lifetime_pct(s, 50));
	fmt_dur(p99, sizeof(p99), gsites__lifetime_pct(s, 99));
	fmt_dur(max, sizeof(max), s->lifetime_max);
	fmt_dur(old, sizeof(old), s->alive ? oldest_ns(st, s, now) : 0);
	for (int w = 0; w < GSITE_MAX_WAIT; w++)
		if (s->waits[w] > best)
			best = s->waits[w], bw = w;
	if (bw >= 0)
		snprintf(waits, sizeof(waits), "%s:%llu", wait_name(st, bw, buf, sizeof(buf)),
			 (unsigned long long)best);
	else if (s->leaked)
		snprintf(waits, sizeof(waits), "leaked:%llu", (unsigned long long)s->leaked);
	printf("%7llu %8llu %8llu %8s %8s %8s %7s%s %-22s%s %s (%s:%d) -> %s\n",
	       (unsigned long long)s->alive, (unsigned long long)s->created,
	       (unsigned long long)s->exited, p50, p99, max, old,
	       s->alive && s->oldest_before_attach ? "+" : " ", waits, parks, s->func, s->file,
	       s->line, s->start_func);
}

/* Sites in the text table when --goroutines did not ask for all of them. */
#define DEFAULT_TEXT_SITES 20

/*
 * Text: totals and the table, or with brief (neither --goroutines nor
 * --waits) the totals alone per interval and the top sites only at the end.
 * JSON: the whole record either way.
 */
static void report(struct gstate *st, __u64 now, bool final)
{
	bool brief = !env.goroutines && !env.waits;
	__u64 alive, created, exited, salive, screated, sexited;
	bool sites = st->json || final || !brief;
	struct gsite **v = NULL;
	size_t n = 0;

	gsites__totals(st->sites, false, &alive, &created, &exited);
	gsites__totals(st->sites, true, &salive, &screated, &sexited);
	if (sites) {
		v = sorted_sites(st, &n);
		if (!v)
			return;
	}
	if (st->json) {
		struct json j;

		json__begin(&j, stdout);
		json__str(&j, "type", "goroutines");
		json__s64(&j, "pid", st->pid);
		json__u64(&j, "ts", now);
		json__bool(&j, "final", final);
		json__u64(&j, "alive", alive);
		json__u64(&j, "created", created);
		json__u64(&j, "exited", exited);
		json__u64(&j, "system_alive", salive);
		json__u64(&j, "system_created", screated);
		json__u64(&j, "system_exited", sexited);
		json__bool(&j, "inventory", st->inventory);
		fputs(",\"sites\":[", stdout);
		for (size_t i = 0; i < n; i++)
			json_site(st, v[i], now, i == 0);
		fputc(']', stdout);
		json__end(&j);
	} else {
		size_t shown = 0, more = 0;
		char el[16];

		fmt_dur(el, sizeof(el), now - st->start_ns);
		printf("goroutines%s after %s: %llu alive, %llu created, %llu exited "
		       "(system: %llu alive)\n", final ? " (final)" : "", el,
		       (unsigned long long)alive, (unsigned long long)created,
		       (unsigned long long)exited, (unsigned long long)salive);
		if (!sites)
			return;
		printf("%7s %8s %8s %8s %8s %8s %8s %-22s%s %s\n", "ALIVE", "CREATED", "EXITED",
		       "P50", "P99", "MAX", "OLDEST", "WAITING",
		       env.waits ? " PARKED ON:COUNT/P50         " : "", "SITE -> START");
		for (size_t i = 0; i < n; i++) {
			if (v[i]->system || !(v[i]->alive || v[i]->created || v[i]->exited))
				continue;
			if (brief && shown == DEFAULT_TEXT_SITES) {
				more++;
				continue;
			}
			text_site(st, v[i], now);
			shown++;
		}
		if (more)
			printf("(%zu more sites: --goroutines lists them all)\n", more);
	}
	free(v);
}

/*
 * Leak suspects: every interval (final false; text only when there are
 * some) and at the end (final true).
 */
static void report_leaks(struct gstate *st, __u64 now, bool final)
{
	struct gsite_leak l[MAX_LEAKS];
	size_t n = gsites__leaks(st->sites, now, l, MAX_LEAKS);
	char buf[32];

	if (!st->json && (final || n))
		printf("leak suspects%s: %zu\n", final ? " (final)" : "", n);
	for (size_t i = 0; i < n; i++) {
		const struct gsite *s = l[i].site;
		const struct gsite_parent *par = top_parent(s);
		const char *w = l[i].top_wait >= 0 ? wait_name(st, l[i].top_wait, buf, sizeof(buf))
						   : (l[i].gleaked ? "leaked" : "");

		if (st->json) {
			struct json j;

			json__begin(&j, stdout);
			json__str(&j, "type", "leak");
			json__s64(&j, "pid", st->pid);
			json__u64(&j, "ts", now);
			json__bool(&j, "final", final);
			json__u64(&j, "rank", i + 1);
			json__str(&j, "func", s->func);
			json__str(&j, "file", s->file);
			json__s64(&j, "line", s->line);
			json__str(&j, "start_func", s->start_func);
			json__u64(&j, "alive", s->alive);
			json__u64(&j, "created", s->created);
			json__u64(&j, "exited", s->exited);
			json__u64(&j, "growth", l[i].growth);
			json__u64(&j, "window_ns", now - st->start_ns);
			json__u64(&j, "parked", l[i].parked_long);
			json__str(&j, "wait", w);
			json__u64(&j, "wait_count", l[i].top_wait_n);
			json__u64(&j, "oldest_alive_ns", l[i].oldest_age_ns);
			json__u64(&j, "longest_wait_ns", s->longest_wait_ns);
			json__bool(&j, "gleaked", l[i].gleaked);
			json__f64(&j, "score", l[i].score);
			/* Who runs the go statement: the creators' own creation site. */
			json__str(&j, "parent_func", par ? par->site->func : "");
			json__str(&j, "parent_file", par ? par->site->file : "");
			json__s64(&j, "parent_line", par ? par->site->line : 0);
			json__str(&j, "parent_start_func", par ? par->site->start_func : "");
			json__u64(&j, "parent_count", par ? par->count : 0);
			json__end(&j);
		} else {
			char old[16], win[16], wait[16];

			fmt_dur(old, sizeof(old), l[i].oldest_age_ns);
			fmt_dur(win, sizeof(win), now - st->start_ns);
			fmt_dur(wait, sizeof(wait), s->longest_wait_ns);
			printf("  #%zu %s (%s:%d) -> %s: %llu alive, +%llu in %s, %llu parked on %s "
			       "(%llu, longest %s), %llu exited of %llu created, oldest %s%s\n",
			       i + 1, s->func, s->file, s->line, s->start_func,
			       (unsigned long long)s->alive, (unsigned long long)l[i].growth, win,
			       (unsigned long long)l[i].parked_long, w,
			       (unsigned long long)l[i].top_wait_n, wait, (unsigned long long)s->exited,
			       (unsigned long long)s->created, old,
			       l[i].gleaked ? ", marked leaked by the runtime" : "");
			if (par)
				printf("     created by goroutines of %s (%s:%d) -> %s (%llu of them)\n",
				       par->site->func, par->site->file, par->site->line,
				       par->site->start_func, (unsigned long long)par->count);
		}
	}
}

static void goroutines_tick(void *state, __u64 now)
{
	struct gstate *st = state;

	st->ticks++;
	if (now >= st->next_walk_ns) {
		__u64 t0 = mono_ns(), t1;

		walk(st);
		t1 = mono_ns();
		st->next_walk_ns = t1 + (t1 - t0) * WALK_SPACING;
	} else {
		st->walks_skipped++;
	}
	report(st, now, false);
	if (env.leaks)
		report_leaks(st, now, false);
}

/* One sample per site and wait state: the creation site is the frame. */
static void write_profile(struct gstate *st, __u64 now)
{
	static const char *const types[][2] = { { "goroutine", "count" } };
	struct pprof *pp;
	char buf[32];
	int err;

	err = pprof__new(types, 1, NULL, NULL, 0, &pp);
	if (err) {
		elog("goroutine profile: %s", strerror(-err));
		return;
	}
	pprof__set_time(pp, 0, now - st->start_ns);
	if (gobin__func_count(st->gb))
		pprof__set_mapping(pp, gobin__func(st->gb, 0)->entry + st->bias,
				   gobin__func(st->gb, gobin__func_count(st->gb) - 1)->end + st->bias,
				   0, gobin__path(st->gb), "");
	for (size_t i = 0; i < gsites__count(st->sites); i++) {
		const struct gsite *s = gsites__at(st->sites, i);
		struct pprof_frame fr[2] = {
			{ s->startpc + st->bias, s->start_func, "", 0 },
			{ s->gopc + st->bias, s->func, s->file, s->line },
		};
		struct pprof_label lab[2] = { { "state", NULL, 0 }, { "wait", NULL, 0 } };
		__u64 known = 0;

		if (s->system || !s->alive)
			continue;
		for (unsigned int w = 0; w < GSITE_MAX_WAIT; w++) {
			__s64 val = s->waits[w];

			if (!val)
				continue;
			known += val;
			lab[0].str = "waiting";
			lab[1].str = wait_name(st, w, buf, sizeof(buf));
			pprof__add_sample(pp, fr, 2, &val, lab, 2);
		}
		for (int k = 0; k < 5; k++) {
			static const char *const names[] = { "running", "runnable", "syscall",
							     "leaked", "unknown" };
			const __u64 n[] = { s->running, s->runnable, s->syscall, s->leaked,
					    s->alive > known ? s->alive - known : 0 };
			__s64 val = n[k];

			if (k < 4)
				known += n[k];
			if (!val)
				continue;
			lab[0].str = names[k];
			pprof__add_sample(pp, fr, 2, &val, lab, 1);
		}
	}
	err = pprof__write(pp, env.goroutine_profile);
	if (err)
		elog("cannot write %s: %s", env.goroutine_profile, strerror(-err));
	else
		ilog("goroutine profile written to %s", env.goroutine_profile);
	pprof__free(pp);
}

static void goroutines_finish(void *state, __u64 now)
{
	struct gstate *st = state;
	struct gsites_stats gs;

	/* After the target exited the list is gone: keep what the events said. */
	walk(st);
	report(st, now, true);
	if (env.leaks)
		report_leaks(st, now, true);
	if (env.goroutine_profile)
		write_profile(st, now);
	gsites__stats(st->sites, &gs);
	vlog("goroutines: %llu create and %llu exit events (%llu already walked, %llu of "
	     "goroutines never seen), %llu walks (%llu ticks without one: the walks took "
	     "long), %llu discovered, %llu lost, %llu with a start PC in no function (ignored)",
	     (unsigned long long)gs.events_create, (unsigned long long)gs.events_exit,
	     (unsigned long long)gs.dup_create, (unsigned long long)gs.unknown_exit,
	     (unsigned long long)gs.walks, (unsigned long long)st->walks_skipped,
	     (unsigned long long)gs.discovered,
	     (unsigned long long)gs.lost, (unsigned long long)gs.invalid);
	if (env.waits) {
		vlog("goroutine parks: %llu parks, %llu runs (%llu ending a park), %zu still "
		     "parked, %llu re-parked without a run, %llu not timed (table full), %llu "
		     "of goroutines not known yet",
		     (unsigned long long)gs.parks, (unsigned long long)gs.runs,
		     (unsigned long long)gs.runs_timed, gsites__parked_count(st->sites),
		     (unsigned long long)gs.park_reparked, (unsigned long long)gs.park_drops,
		     (unsigned long long)gs.park_unknown);
		if (gs.park_drops)
			wlog("--waits: %llu parks not timed: more than %d goroutines parked at once",
			     (unsigned long long)gs.park_drops, GSITES_PARK_CAP);
	}
}

static void goroutines_free(void *state)
{
	struct gstate *st = state;

	if (!st)
		return;
	gsites__free(st->sites);
	waitreasons__free(st->wr);
	free(st);
}

const struct collector_ops goroutines_collector_ops = {
	.name = "goroutines",
	.enabled = goroutines_enabled,
	.plan = goroutines_plan,
	.start = goroutines_start,
	.event = goroutines_event,
	.tick = goroutines_tick,
	.finish = goroutines_finish,
	.free = goroutines_free,
};
