/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gc: turns raw probe hits into GC cycles and stop-the-world pauses, using
 * the timestamps and counters Go itself keeps, so the figures equal
 * GODEBUG=gctrace=1's and runtime/metrics'.
 */
#ifndef GOPRY_GC_H
#define GOPRY_GC_H

#include <stdbool.h>
#include <linux/types.h>
#include "events.h"
#include "collector.h"
#include "probes.h"

#define UNKNOWN_S64 (-1LL)

struct gc_record {
	__s64 cycle; /* gctrace's "gc N" (memstats.numgc after the cycle), -1 unknown */
	int forced;  /* -1 unknown */
	/* Go's work.tSweepTerm, tMark, tMarkTerm, tEnd (CLOCK_MONOTONIC ns). */
	__s64 t_sweep_term, t_mark, t_mark_term, t_end;
	/* work.heap0/1/2 and gcController.lastHeapGoal, -1 unknown. */
	__s64 heap_start, heap_end, heap_live, heap_goal;
	__s64 gogc;     /* -1 = off; INT64_MIN unknown */
	__s64 memlimit; /* -1 unknown */
	bool have_gogc;
};

struct stw_record {
	const char *reason; /* Go's own string */
	bool gc;            /* a GC phase (sweep or mark termination) */
	__s64 gc_cycle;     /* -1 when not a GC STW or unknown */
	__u64 start_ns;
	__u64 pause_ns;
	__s64 stopping_ns; /* -1 unknown (before go1.23) */
};

struct gc_sink {
	void (*gc)(void *ctx, const struct gc_record *r);
	void (*stw)(void *ctx, const struct stw_record *r);
	void *ctx;
};

struct gc_collector;

int gc_collector__new(const struct probe_plan *plan, const struct gc_sink *sink,
		      struct gc_collector **out);
void gc_collector__free(struct gc_collector *c);
/* Feed one probe hit (in ring-buffer order). */
void gc_collector__event(struct gc_collector *c, const struct gopry_event_probe *ev);

/* Go's stop-the-world reason string for a stwReason value (go1.21+). */
const char *gc__stw_reason_name(unsigned int reason);
/* Map a go1.19/1.20 stopTheWorld string to the go1.21+ name. */
const char *gc__stw_reason_from_string(const char *s);

/* The GC/STW collector (collector.h), always on. */
extern const struct collector_ops gc_collector_ops;

#endif
