/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * allocs: sampled allocation sites. A probe on runtime.profilealloc, the
 * runtime's own sampled path (once per ~MemProfileRate bytes per P), with
 * the user stack; samples are weighted by the target's MemProfileRate as
 * pprof does, written as a pprof profile and folded stacks, and summarized
 * as a top-N by bytes/s with file:line (and escape reasons with --src).
 */
#ifndef GOPRY_ALLOCS_H
#define GOPRY_ALLOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "collector.h"

struct gobin;
struct target;

extern const struct collector_ops allocs_collector_ops;

struct alloc_frame {
	const char *func; /* "?" when the PC is in no known function */
	const char *file; /* "" when unknown */
	int line;
};

/* Deepest inlining expanded per physical frame. */
#define ALLOCS_MAX_INLINE 16

/*
 * Symbolize one PC of a stack (run-time address; bias = load bias) into its
 * logical frames, innermost (inlined) first, at most max: returns how many
 * (1 or more when max > 0). Frames after the first are return addresses
 * (is_return): their line is that of the CALL, looked up at pc - 1.
 */
int allocs__symbolize_inl(struct gobin *gb, __u64 bias, __u64 pc, bool is_return,
			  struct alloc_frame *out, int max);
/* The innermost logical frame only (the line that ran, in an inlined helper too). */
void allocs__symbolize(struct gobin *gb, __u64 bias, __u64 pc, bool is_return,
		       struct alloc_frame *out);

/*
 * Index of the first frame outside the runtime ("runtime."), as Go's heap
 * profiles hide the allocator's own frames; 0 if every frame is runtime's.
 */
size_t allocs__first_user_frame(const struct alloc_frame *f, size_t n);

/*
 * pprof's scaling of a sampled (count, bytes) pair at MemProfileRate rate
 * (runtime/pprof scaleHeapSample): each sample stands for 1/(1-e^(-avg/rate))
 * allocations.
 */
void allocs__scale(double count, double bytes, long rate, double *objects, double *space);

/*
 * runtime.MemProfileRate of gb: its link-time address (from .symtab, else
 * the RIP-relative operand of profilealloc/nextSample whose initial value in
 * the file is 512 KiB) and whether the linker disabled memory profiling
 * (runtime.disableMemoryProfiling; -ENOENT when stripped). 0 or -ENOENT.
 */
int allocs__memprofilerate_addr(struct gobin *gb, __u64 *addr);
int allocs__profiling_disabled(struct gobin *gb, bool *disabled);

#endif
