/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * goroutines: goroutine lifetimes by creation site, the goroutines alive at
 * attach (runtime.allgs), what the alive ones wait on, and leak suspects.
 * On unless --no-goroutines; --goroutines, --waits, --leaks and
 * --goroutine-profile FILE choose what is reported.
 */
#ifndef GOPRY_GOROUTINES_H
#define GOPRY_GOROUTINES_H

#include "collector.h"

/*
 * Read slots of PR_G_CREATE (off RBX = the new g, or chained off R14 = g0).
 * A chained read (RB_READ) may only use an earlier slot: the BPF program
 * fills slots in order, so go1.19's g0 -> m -> curg -> goid chain comes last.
 */
enum {
	RD_GC_GOID,
	RD_GC_GOPC,
	RD_GC_STARTPC,
	RD_GC_M,        /* go1.19: g0.m */
	RD_GC_CURG,     /* go1.19: m.curg, the goroutine that ran the go statement */
	RD_GC_PARENT,   /* newg.parentGoid (go1.21+) or g0.m.curg.goid */
	RD_GC_G,        /* RBX itself (RB_VAL): the g the exit event names */
	RD_GC__COUNT,
};

/*
 * PR_G_EXIT reads no memory: its one slot is R14 itself (RB_VAL), the
 * exiting g, which user space maps to the goid its creation (or a walk)
 * put there. A user-memory read is the costliest part of a hit.
 */
enum {
	RD_GX_G,
	RD_GX__COUNT,
};

/* Read slots of PR_G_PARK (R14 = the parking goroutine): its g and one byte. */
enum {
	RD_GP_G,
	RD_GP_REASON,   /* g.waitreason, set by gopark before its mcall(park_m) */
	RD_GP__COUNT,
};

/* PR_G_RUN reads no memory: RAX itself, the g about to run. */
enum {
	RD_GR_G,
	RD_GR__COUNT,
};

extern const struct collector_ops goroutines_collector_ops;

#endif
