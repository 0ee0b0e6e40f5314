// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "collector.h"
#include "gc.h"
#include "gobin.h"
#include "output.h"

/*
 * type stwReason uint8 and its String() table are identical from go1.21.13
 * to go1.27.3 (runtime/proc.go:1193 in go1.21.13, :1445 in go1.26.10).
 */
static const char *const stw_reasons[] = {
	"unknown",
	"GC mark termination",
	"GC sweep termination",
	"write heap dump",
	"goroutine profile",
	"goroutine profile cleanup",
	"all goroutines stack trace",
	"read mem stats",
	"AllThreadsSyscall",
	"GOMAXPROCS",
	"start trace",
	"stop trace",
	"CountPagesInUse (test)",
	"ReadMetricsSlow (test)",
	"ReadMemStatsSlow (test)",
	"PageCachePagesLeaked (test)",
	"ResetDebugLog (test)",
};

enum { STW_GC_MARK_TERM = 1, STW_GC_SWEEP_TERM = 2 };

const char *gc__stw_reason_name(unsigned int reason)
{
	if (reason < sizeof(stw_reasons) / sizeof(stw_reasons[0]))
		return stw_reasons[reason];
	return "unknown";
}

/*
 * go1.19.8 passes strings to stopTheWorld (debug.go:28, heapdump.go:21,
 * mprof.go:911/976/1111/1195, mstats.go:356, os_linux.go:729,
 * trace.go:209/319); go1.21 renamed them as stwReason values.
 */
static const struct {
	const char *old, *name;
} old_reasons[] = {
	{ "GOMAXPROCS", "GOMAXPROCS" },
	{ "write heap dump", "write heap dump" },
	{ "profile", "goroutine profile" },
	{ "profile cleanup", "goroutine profile cleanup" },
	{ "stack trace", "all goroutines stack trace" },
	{ "read mem stats", "read mem stats" },
	{ "doAllThreadsSyscall", "AllThreadsSyscall" },
	{ "start tracing", "start trace" },
	{ "stop tracing", "stop trace" },
};

const char *gc__stw_reason_from_string(const char *s)
{
	for (size_t i = 0; i < sizeof(old_reasons) / sizeof(old_reasons[0]); i++)
		if (!strcmp(s, old_reasons[i].old))
			return old_reasons[i].name;
	return NULL;
}

#define MAX_PENDING_REASONS 64
#define REASON_LEN 32

struct gc_collector {
	struct gc_sink sink;
	const struct probe_plan *plan;
	int go_minor;

	/* The GC cycle in progress. */
	bool in_cycle;   /* between startGCTransition(true) and the final finish */
	bool last_start_enable;
	bool have_last_start;
	__s64 t_sweep_term, t_mark, t_mark_term;

	/* The stop-the-world in progress (the world stops for one at a time). */
	bool stw_active;
	__u64 stw_stop_ts;
	__s64 stw_started;  /* Go's worldStop.startedStopping, go1.22+ */
	__s64 stw_stopping; /* finishedStopping - startedStopping, go1.23+ */
	const char *stw_reason;
	bool stw_gc;
	/*
	 * Before go1.22, Go's own pause of a GC STW runs from work.pauseStart
	 * (= tSweepTerm or tMarkTerm) to the restart for sweep termination
	 * and to tEnd for mark termination (go1.19.8 mgc.go:660/733, 849/1001;
	 * go1.21.13 the same); the transitions carry both, so use them.
	 */
	__s64 stw_go_start, stw_go_end;
	__s64 stw_cycle;

	/* go1.19/1.20: reasons given to stopTheWorld, by goroutine. */
	struct {
		__u64 g;
		char reason[REASON_LEN + 1];
	} pending[MAX_PENDING_REASONS];
	unsigned int npending_next;
};

int gc_collector__new(const struct probe_plan *plan, const struct gc_sink *sink,
		      struct gc_collector **out)
{
	struct gc_collector *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->sink = *sink;
	c->plan = plan;
	c->go_minor = plan->go_minor;
	*out = c;
	return 0;
}

void gc_collector__free(struct gc_collector *c)
{
	free(c);
}

static bool read_ok(const struct gopry_event_probe *ev, int slot)
{
	return ev->read_ok & (1u << slot);
}

static __s64 read_or(const struct gopry_event_probe *ev, int slot, __s64 dflt)
{
	return read_ok(ev, slot) ? (__s64)ev->reads[slot] : dflt;
}

static void on_start_transition(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	/* startGCTransition(enableGC bool, now int64): BL, RCX (go1.19.8 mgclimit.go). */
	bool enable = ev->regs[GR_RBX] & 0xff;
	__s64 now = ev->regs[GR_RCX];

	c->have_last_start = true;
	c->last_start_enable = enable;
	if (c->stw_active)
		c->stw_go_start = now;
	if (enable) {
		c->in_cycle = true;
		c->t_sweep_term = now;
		c->t_mark = c->t_mark_term = 0;
	} else {
		c->t_mark_term = now;
	}
}

static void on_finish_transition(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	__s64 now = ev->regs[GR_RBX];
	struct gc_record r;

	if (!c->have_last_start)
		return; /* attached between a start and its finish: the reads below catch up */
	if (c->last_start_enable) {
		c->t_mark = now;
		return;
	}
	/*
	 * The finish after startGCTransition(false) is in gcMarkTermination,
	 * world stopped, after memstats.numgc++ (go1.19.8 mgc.go:1038/1043,
	 * go1.27.3 mgc.go:1473/1484): every figure gctrace prints is final.
	 */
	c->have_last_start = false;
	if (c->stw_active)
		c->stw_go_end = now;
	memset(&r, 0, sizeof(r));
	r.cycle = read_or(ev, RD_FIN_NUMGC, -1);
	r.forced = read_ok(ev, RD_FIN_USERFORCED) ? (int)(ev->reads[RD_FIN_USERFORCED] & 0xff) : -1;
	r.t_sweep_term = read_or(ev, RD_FIN_TSWEEPTERM, c->t_sweep_term);
	r.t_mark = read_or(ev, RD_FIN_TMARK, c->t_mark);
	r.t_mark_term = read_or(ev, RD_FIN_TMARKTERM, c->t_mark_term);
	r.t_end = now;
	r.heap_start = read_or(ev, RD_FIN_HEAP0, -1);
	r.heap_end = read_or(ev, RD_FIN_HEAP1, -1);
	r.heap_live = read_or(ev, RD_FIN_HEAP2, -1);
	r.heap_goal = read_or(ev, RD_FIN_GOAL, -1);
	r.have_gogc = read_ok(ev, RD_FIN_GOGC);
	/* gcPercent is an int32 (atomic.Int32 from go1.19.8 mgcpacer.go:88). */
	r.gogc = r.have_gogc ? (__s64)(__s32)(__u32)ev->reads[RD_FIN_GOGC] : 0;
	r.memlimit = read_or(ev, RD_FIN_MEMLIMIT, -1);
	c->in_cycle = false;
	if (r.t_sweep_term && r.t_mark && r.t_mark_term && c->sink.gc)
		c->sink.gc(c->sink.ctx, &r);
}

static void remember_reason(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	char buf[REASON_LEN + 1] = {};
	__u64 len = ev->regs[GR_RBX];
	unsigned int slot;

	for (int i = 0; i < RD_REASON__COUNT; i++) {
		if (!read_ok(ev, RD_REASON_STR0 + i))
			return;
		memcpy(buf + 8 * i, &ev->reads[RD_REASON_STR0 + i], 8);
	}
	if (len > REASON_LEN)
		len = REASON_LEN;
	buf[len] = '\0';
	slot = c->npending_next++ % MAX_PENDING_REASONS;
	c->pending[slot].g = ev->regs[GR_R14];
	memcpy(c->pending[slot].reason, buf, len + 1);
}

static const char *take_reason(struct gc_collector *c, __u64 g)
{
	static char out[REASON_LEN + 1];

	for (int i = 0; i < MAX_PENDING_REASONS; i++) {
		if (c->pending[i].g && c->pending[i].g == g) {
			const char *name;

			c->pending[i].g = 0;
			name = gc__stw_reason_from_string(c->pending[i].reason);
			if (name)
				return name;
			memcpy(out, c->pending[i].reason, sizeof(out));
			return out;
		}
	}
	return NULL;
}

static void on_stw_stop(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	__s64 numgc = read_or(ev, RD_STOP_NUMGC, -1);

	c->stw_active = true;
	c->stw_stop_ts = ev->ts;
	c->stw_started = -1;
	c->stw_stopping = -1;
	c->stw_go_start = c->stw_go_end = 0;
	c->stw_gc = false;
	if (c->go_minor >= 21) {
		/* stopTheWorldWithSema(reason stwReason): AL (go1.21.13 proc.go:1353). */
		unsigned int reason = ev->regs[GR_RAX] & 0xff;

		c->stw_reason = gc__stw_reason_name(reason);
		c->stw_gc = reason == STW_GC_MARK_TERM || reason == STW_GC_SWEEP_TERM;
	} else {
		/*
		 * go1.19/1.20 stopTheWorldWithSema takes no reason: non-GC
		 * callers named one in stopTheWorld on the same goroutine
		 * (now m.curg, as this runs on g0); GC ones are called from
		 * gcStart before the cycle starts, or from gcMarkDone in it.
		 */
		const char *r = read_ok(ev, RD_STOP_CURG) ? take_reason(c, ev->reads[RD_STOP_CURG])
							   : NULL;

		if (r) {
			c->stw_reason = r;
		} else {
			c->stw_gc = true;
			c->stw_reason = c->in_cycle ? stw_reasons[STW_GC_MARK_TERM]
						    : stw_reasons[STW_GC_SWEEP_TERM];
		}
	}
	/* Both GC STWs belong to the cycle that numgc++ will complete. */
	c->stw_cycle = c->stw_gc && numgc >= 0 ? numgc + 1 : -1;
}

static void on_stw_start(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	if (!c->stw_active)
		return;
	/*
	 * startTheWorldWithSema(now int64, w worldStop): RAX, then w's fields
	 * BL=reason, RCX=start (go1.22.12 proc.go:1554) or startedStopping, RDI
	 * finishedStopping (go1.23.5 proc.go:1659).
	 */
	c->stw_started = ev->regs[GR_RCX];
	if (c->go_minor >= 23)
		c->stw_stopping = (__s64)ev->regs[GR_RDI] - (__s64)ev->regs[GR_RCX];
}

static void on_stw_start_ret(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	/* startTheWorldWithSema returns the nanotime the world restarted at. */
	__s64 end = ev->regs[GR_RAX];
	struct stw_record r;
	__s64 start;

	if (!c->stw_active)
		return;
	c->stw_active = false;
	start = c->stw_started > 0 ? c->stw_started : (__s64)c->stw_stop_ts;
	if (c->go_minor < 22 && c->stw_gc && c->stw_go_start > 0) {
		start = c->stw_go_start;
		if (c->stw_go_end > 0)
			end = c->stw_go_end;
	}
	memset(&r, 0, sizeof(r));
	r.reason = c->stw_reason;
	r.gc = c->stw_gc;
	r.gc_cycle = c->stw_cycle;
	r.start_ns = start;
	r.pause_ns = end > start ? end - start : 0;
	r.stopping_ns = c->stw_stopping;
	if (c->sink.stw)
		c->sink.stw(c->sink.ctx, &r);
}

void gc_collector__event(struct gc_collector *c, const struct gopry_event_probe *ev)
{
	if (ev->probe >= c->plan->n)
		return;
	switch (c->plan->v[ev->probe].role) {
	case PR_GC_START_TRANS:
		on_start_transition(c, ev);
		break;
	case PR_GC_FINISH_TRANS:
		on_finish_transition(c, ev);
		break;
	case PR_STW_STOP:
		on_stw_stop(c, ev);
		break;
	case PR_STW_START:
		on_stw_start(c, ev);
		break;
	case PR_STW_START_RET:
		on_stw_start_ret(c, ev);
		break;
	case PR_STW_REASON:
		remember_reason(c, ev);
		break;
	default:
		break;
	}
}

/* GC cycles and STW pauses: always on, and the only fatal planning failure. */
static int gc_plan(struct gobin *gb, struct probe_plan *plan)
{
	const struct go_layout *lay = &plan->layout;
	char *why = plan->why;
	size_t whylen = sizeof(plan->why);
	struct probe *p;
	int err;

	err = probes__add_entry(plan, gb, PR_GC_START_TRANS,
			 "runtime.(*gcCPULimiterState).startGCTransition", &p);
	if (err)
		goto no_gc;
	err = probes__add_entry(plan, gb, PR_GC_FINISH_TRANS,
			 "runtime.(*gcCPULimiterState).finishGCTransition", &p);
	if (err)
		goto no_gc;
	probes__set_global_read(plan, &p->spec, RD_FIN_NUMGC, GG_MEMSTATS, GF_MSTATS_NUMGC, 4);
	probes__set_global_read(plan, &p->spec, RD_FIN_USERFORCED, GG_WORK, GF_WORK_USERFORCED, 1);
	probes__set_global_read(plan, &p->spec, RD_FIN_HEAP0, GG_WORK, GF_WORK_HEAP0, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_HEAP1, GG_WORK, GF_WORK_HEAP1, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_HEAP2, GG_WORK, GF_WORK_HEAP2, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_GOAL, GG_GCCONTROLLER, GF_GCC_LASTHEAPGOAL, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_GOGC, GG_GCCONTROLLER, GF_GCC_GCPERCENT, 4);
	probes__set_global_read(plan, &p->spec, RD_FIN_MEMLIMIT, GG_GCCONTROLLER, GF_GCC_MEMORYLIMIT, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_TSWEEPTERM, GG_WORK, GF_WORK_TSWEEPTERM, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_TMARK, GG_WORK, GF_WORK_TMARK, 8);
	probes__set_global_read(plan, &p->spec, RD_FIN_TMARKTERM, GG_WORK, GF_WORK_TMARKTERM, 8);

stw:
	err = probes__add_entry(plan, gb, PR_STW_STOP, "runtime.stopTheWorldWithSema", &p);
	if (err) {
		snprintf(why, whylen, "runtime.stopTheWorldWithSema: %s", strerror(-err));
		return -ENOTSUP;
	}
	if (lay->off[GF_G_M] >= 0 && lay->off[GF_M_CURG] >= 0) {
		probes__set_read(&p->spec, RD_STOP_M, RB_REG, GR_R14, lay->off[GF_G_M], 8);
		probes__set_read(&p->spec, RD_STOP_CURG, RB_READ, RD_STOP_M, lay->off[GF_M_CURG], 8);
	} else {
		probes__set_read(&p->spec, RD_STOP_CURG, RB_NONE, 0, 0, 8);
	}
	probes__set_global_read(plan, &p->spec, RD_STOP_NUMGC, GG_MEMSTATS, GF_MSTATS_NUMGC, 4);

	/* go1.22 passes the worldStop to startTheWorldWithSema (go1.22.12 proc.go:1554). */
	if (plan->go_minor >= 22) {
		err = probes__add_entry(plan, gb, PR_STW_START, "runtime.startTheWorldWithSema", &p);
		if (err)
			probes__note_unavailable(plan, "STW stopping time");
	}
	err = probes__add_rets(plan, gb, PR_STW_START_RET, "runtime.startTheWorldWithSema");
	if (err) {
		snprintf(why, whylen, "runtime.startTheWorldWithSema returns: %s", strerror(-err));
		return -ENOTSUP;
	}
	/* Before go1.21 the reason is only the string given to stopTheWorld (go1.19.8 proc.go:1086). */
	if (plan->go_minor < 21) {
		err = probes__add_entry(plan, gb, PR_STW_REASON, "runtime.stopTheWorld", &p);
		if (err) {
			probes__note_unavailable(plan, "non-GC STW reasons");
		} else {
			for (int i = 0; i < RD_REASON__COUNT; i++)
				probes__set_read(&p->spec, RD_REASON_STR0 + i, RB_REG, GR_RAX, 8 * i, 8);
		}
	}
	return 0;

no_gc:
	probes__note_unavailable(plan, "GC cycles");
	goto stw;
}


struct gc_state {
	struct gc_collector *c;
	struct output *out;
};

static void sink_gc(void *ctx, const struct gc_record *r)
{
	output__gc(ctx, r);
}

static void sink_stw(void *ctx, const struct stw_record *r)
{
	output__stw(ctx, r);
}

static int gc_start(void **state, const struct collector_ctx *ctx)
{
	struct gc_sink sink = { sink_gc, sink_stw, ctx->out };
	struct gc_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	err = gc_collector__new(ctx->plan, &sink, &st->c);
	if (err) {
		free(st);
		return err;
	}
	st->out = ctx->out;
	*state = st;
	return 0;
}

static void gc_event(void *state, const struct gopry_event_probe *ev, const struct probe *p)
{
	struct gc_state *st = state;

	(void)p;
	gc_collector__event(st->c, ev);
}

static void gc_free(void *state)
{
	struct gc_state *st = state;

	if (!st)
		return;
	gc_collector__free(st->c);
	free(st);
}

const struct collector_ops gc_collector_ops = {
	.name = "gc",
	.plan = gc_plan,
	.start = gc_start,
	.event = gc_event,
	.free = gc_free,
};
