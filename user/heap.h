/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * heap: the heap timeline (--heap). At every GC cycle's end, read with the
 * world stopped at the entry of runtime.gcControllerCommit (called from
 * gcMarkTermination after the mark: go1.19.8 mgc.go:994, go1.22.12 :1007,
 * go1.27.3 :1428), and every interval from user space: live heap, goal, in
 * use, released, mapped, cumulative allocated/freed bytes and their rates,
 * process RSS; OS growth events from runtime.(*mheap).grow with their stack.
 */
#ifndef GOPRY_HEAP_H
#define GOPRY_HEAP_H

#include "collector.h"

extern const struct collector_ops heap_collector_ops;

#endif
