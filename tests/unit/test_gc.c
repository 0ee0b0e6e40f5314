// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The GC/STW collector and the renderers' arithmetic against hand-made
 * event streams shaped like real Go 1.19 and 1.23 runs.
 */
#include <stdio.h>
#include <string.h>
#include "gc.h"
#include "output.h"

#define CHECK_PREFIX ""
#include "check.h"

static struct gc_record gcs[8];
static int ngc;
static struct stw_record stws[16];
static int nstw;

static void on_gc(void *ctx, const struct gc_record *r)
{
	(void)ctx;
	if (ngc < 8)
		gcs[ngc++] = *r;
}

static void on_stw(void *ctx, const struct stw_record *r)
{
	(void)ctx;
	if (nstw < 16)
		stws[nstw++] = *r;
}

enum { P_START, P_FINISH, P_STOP, P_WSTART, P_RET, P_REASON };

static void plan_init(struct probe_plan *plan, int minor)
{
	static const enum probe_role roles[] = { PR_GC_START_TRANS, PR_GC_FINISH_TRANS,
						 PR_STW_STOP,       PR_STW_START,
						 PR_STW_START_RET,  PR_STW_REASON };

	memset(plan, 0, sizeof(*plan));
	plan->go_minor = minor;
	plan->n = 6;
	for (int i = 0; i < 6; i++)
		plan->v[i].role = roles[i];
}

static struct gopry_event_probe ev(int probe, __u64 ts)
{
	struct gopry_event_probe e;

	memset(&e, 0, sizeof(e));
	e.type = EV_PROBE;
	e.probe = probe;
	e.ts = ts;
	return e;
}

static void setread(struct gopry_event_probe *e, int slot, __u64 v)
{
	e->reads[slot] = v;
	e->read_ok |= 1u << slot;
}

static void feed_cycle(struct gc_collector *c, int minor, __u64 base, __u32 numgc_before,
		       bool forced)
{
	struct gopry_event_probe e;

	/* sweep termination STW */
	e = ev(P_STOP, base + 3000);
	e.regs[GR_RAX] = minor >= 21 ? 2 : 0xdeadbe00; /* stwGCSweepTerm; garbage on 1.19 */
	setread(&e, RD_STOP_CURG, 0x1000);
	setread(&e, RD_STOP_NUMGC, numgc_before);
	gc_collector__event(c, &e);
	e = ev(P_START, base + 5000);
	e.regs[GR_RBX] = 0x101; /* BL = 1: only the low byte counts */
	e.regs[GR_RCX] = base;  /* tSweepTerm */
	gc_collector__event(c, &e);
	if (minor >= 22) {
		e = ev(P_WSTART, base + 20000);
		e.regs[GR_RCX] = base + 1000; /* startedStopping */
		e.regs[GR_RDI] = base + 4000; /* finishedStopping */
		gc_collector__event(c, &e);
	}
	e = ev(P_RET, base + 90000);
	e.regs[GR_RAX] = base + 123456; /* tMark */
	gc_collector__event(c, &e);
	e = ev(P_FINISH, base + 124000);
	e.regs[GR_RBX] = base + 123456;
	gc_collector__event(c, &e);
	/* mark termination STW */
	e = ev(P_STOP, base + 5000000);
	e.regs[GR_RAX] = minor >= 21 ? 1 : 0;
	setread(&e, RD_STOP_CURG, 0x2000);
	setread(&e, RD_STOP_NUMGC, numgc_before);
	gc_collector__event(c, &e);
	e = ev(P_START, base + 5002000);
	e.regs[GR_RCX] = base + 4999000; /* tMarkTerm */
	gc_collector__event(c, &e);
	e = ev(P_FINISH, base + 5100000);
	e.regs[GR_RBX] = base + 5099000; /* tEnd */
	setread(&e, RD_FIN_NUMGC, numgc_before + 1);
	setread(&e, RD_FIN_USERFORCED, forced);
	setread(&e, RD_FIN_HEAP0, 4 << 20);
	setread(&e, RD_FIN_HEAP1, 5 << 20);
	setread(&e, RD_FIN_HEAP2, 2 << 20);
	setread(&e, RD_FIN_GOAL, 8 << 20);
	setread(&e, RD_FIN_GOGC, 0xffffffff); /* int32 -1: GOGC=off */
	setread(&e, RD_FIN_MEMLIMIT, 1 << 30);
	gc_collector__event(c, &e);
	if (minor >= 22) {
		e = ev(P_WSTART, base + 5110000);
		e.regs[GR_RAX] = base + 5099000;
		e.regs[GR_RCX] = base + 4999500;
		e.regs[GR_RDI] = base + 5000500;
		gc_collector__event(c, &e);
	}
	e = ev(P_RET, base + 5120000);
	e.regs[GR_RAX] = base + 5099000;
	gc_collector__event(c, &e);
}

static void test_version(int minor)
{
	struct gc_sink sink = { on_gc, on_stw, NULL };
	struct probe_plan plan;
	struct gc_collector *c;
	struct gopry_event_probe e;
	char name[64];
	__u64 base = 1000000000ULL;

	plan_init(&plan, minor);
	ngc = nstw = 0;
	if (gc_collector__new(&plan, &sink, &c)) {
		printf("FAIL gc_collector__new\n");
		failures++;
		return;
	}
	/* A ReadMemStats STW before the cycle: on 1.19 its reason comes from stopTheWorld. */
	if (minor < 21) {
		const char s[32] = "read mem statsXXXXXXXXXXXXXXXXX";

		e = ev(P_REASON, base - 100000);
		e.regs[GR_R14] = 0x3000;
		e.regs[GR_RBX] = 14;
		for (int i = 0; i < 4; i++)
			setread(&e, RD_REASON_STR0 + i, ((const __u64 *)s)[i]);
		gc_collector__event(c, &e);
	}
	e = ev(P_STOP, base - 90000);
	e.regs[GR_RAX] = 7; /* stwReadMemStats */
	setread(&e, RD_STOP_CURG, 0x3000);
	setread(&e, RD_STOP_NUMGC, 4);
	gc_collector__event(c, &e);
	e = ev(P_RET, base - 40000);
	e.regs[GR_RAX] = base - 40000 - 500;
	gc_collector__event(c, &e);

	feed_cycle(c, minor, base, 4, true);
	gc_collector__free(c);

	snprintf(name, sizeof(name), "go1.%d cycle count", minor);
	CHECK(name, ngc == 1, "got %d", ngc);
	snprintf(name, sizeof(name), "go1.%d cycle fields", minor);
	CHECK(name,
	      ngc == 1 && gcs[0].cycle == 5 && gcs[0].forced == 1 &&
		      gcs[0].t_mark - gcs[0].t_sweep_term == 123456 &&
		      gcs[0].t_mark_term - gcs[0].t_mark == 4999000 - 123456 &&
		      gcs[0].t_end - gcs[0].t_mark_term == 100000 && gcs[0].heap_start == 4 << 20 &&
		      gcs[0].heap_live == 2 << 20 && gcs[0].heap_goal == 8 << 20 &&
		      gcs[0].gogc == -1 && gcs[0].memlimit == 1 << 30,
	      "cycle %lld forced %d gogc %lld", (long long)gcs[0].cycle, gcs[0].forced,
	      (long long)gcs[0].gogc);
	snprintf(name, sizeof(name), "go1.%d stw count", minor);
	CHECK(name, nstw == 3, "got %d", nstw);
	snprintf(name, sizeof(name), "go1.%d stw reasons", minor);
	CHECK(name,
	      nstw == 3 && !strcmp(stws[0].reason, "read mem stats") && !stws[0].gc &&
		      !strcmp(stws[1].reason, "GC sweep termination") && stws[1].gc &&
		      stws[1].gc_cycle == 5 && !strcmp(stws[2].reason, "GC mark termination") &&
		      stws[2].gc_cycle == 5,
	      "%s / %s / %s", nstw > 0 ? stws[0].reason : "-", nstw > 1 ? stws[1].reason : "-",
	      nstw > 2 ? stws[2].reason : "-");
	snprintf(name, sizeof(name), "go1.%d stw pause", minor);
	if (minor >= 22)
		CHECK(name, nstw == 3 && stws[1].pause_ns == 123456 - 1000 &&
				    stws[2].pause_ns == 5099000 - 4999500,
		      "%llu %llu", (unsigned long long)stws[1].pause_ns,
		      (unsigned long long)stws[2].pause_ns);
	else /* Go's own pauseNS terms before 1.22: tMark - tSweepTerm, tEnd - tMarkTerm */
		CHECK(name, nstw == 3 && stws[1].pause_ns == 123456 && stws[2].pause_ns == 100000,
		      "%llu %llu", (unsigned long long)stws[1].pause_ns,
		      (unsigned long long)stws[2].pause_ns);
	snprintf(name, sizeof(name), "go1.%d stw stopping", minor);
	CHECK(name, nstw == 3 && (minor >= 23 ? stws[1].stopping_ns == 3000 : stws[1].stopping_ns == -1),
	      "%lld", (long long)stws[1].stopping_ns);
}

static void test_fmt(void)
{
	/* Expected strings are what go1.22.12 runtime.fmtNSAsMS prints. */
	static const struct {
		__u64 ns;
		const char *want;
	} cases[] = {
		{ 0, "0" },         { 999, "0" },         { 1000, "0.001" },   { 12345, "0.012" },
		{ 99999, "0.099" }, { 123456, "0.12" },   { 1234567, "1.2" },  { 9999999, "9.9" },
		{ 10000000, "10" }, { 123456789, "123" }, { 1500000, "1.5" }, { 100000, "0.10" },
	};
	char buf[32], name[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		output__fmt_ns_as_ms(buf, sizeof(buf), cases[i].ns);
		snprintf(name, sizeof(name), "fmtNSAsMS(%llu)", (unsigned long long)cases[i].ns);
		CHECK(name, !strcmp(buf, cases[i].want), "got %s want %s", buf, cases[i].want);
	}
}

static void test_percentile(void)
{
	__u64 v[100];

	for (int i = 0; i < 100; i++)
		v[i] = i + 1;
	CHECK("percentile p50", output__percentile(v, 100, 50) == 50, "%llu",
	      (unsigned long long)output__percentile(v, 100, 50));
	CHECK("percentile p99", output__percentile(v, 100, 99) == 99, "%llu",
	      (unsigned long long)output__percentile(v, 100, 99));
	CHECK("percentile p100", output__percentile(v, 100, 100) == 100, "%llu",
	      (unsigned long long)output__percentile(v, 100, 100));
	CHECK("percentile empty", output__percentile(v, 0, 50) == 0, "nonzero");
	CHECK("reason map 1.19", !strcmp(gc__stw_reason_from_string("profile"), "goroutine profile"),
	      "wrong");
	CHECK("reason 1.21 enum", !strcmp(gc__stw_reason_name(9), "GOMAXPROCS"), "wrong");
}

int main(void)
{
	test_version(19);
	test_version(21);
	test_version(22);
	test_version(23);
	test_version(27);
	test_fmt();
	test_percentile();
	return failures ? 1 : 0;
}
