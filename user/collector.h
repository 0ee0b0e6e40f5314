/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * collector: one per kind of fact gopry reports (GC/STW, goroutines, heap).
 * main plans, attaches and drains; each collector adds its probes to the
 * plan, turns the probe hits of its roles into records and renders them.
 */
#ifndef GOPRY_COLLECTOR_H
#define GOPRY_COLLECTOR_H

#include <stdbool.h>
#include <linux/types.h>
#include "events.h"

struct gobin;
struct probe_plan;
struct probe;
struct output;
struct target;

struct collector_ctx {
	struct gobin *gb;
	const struct probe_plan *plan;
	const struct target *target; /* for reading the live process (target__read) */
	struct output *out;          /* text/JSON renderer of the GC/STW collector */
	bool json;
	int pid;
};

struct collector_ops {
	const char *name;
	/* Whether the command line asks for it (NULL: always on). */
	bool (*enabled)(void);
	/*
	 * Add probes to the plan. A missing function/offset is noted with
	 * probes__note_unavailable and is not an error; return -errno only when
	 * the collector cannot work at all.
	 */
	int (*plan)(struct gobin *gb, struct probe_plan *plan);
	/* After the probes are attached (a launched target has not started yet). */
	int (*start)(void **state, const struct collector_ctx *ctx);
	/* One probe hit of one of this collector's roles, in ring-buffer order. */
	void (*event)(void *state, const struct gopry_event_probe *ev, const struct probe *p);
	/* Every env.interval seconds (periodic reports). */
	void (*tick)(void *state, __u64 now_ns);
	/* Once at the end, before the summary; then free. */
	void (*finish)(void *state, __u64 now_ns);
	void (*free)(void *state);
};

#endif
