/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * probes: which instruction of which runtime function gopry probes, and
 * what the BPF program reads there. Offsets come only from a full decode of
 * the function (decode.h); entry probes sit after Go's stack-check prologue
 * (a stack growth re-enters the function from its first instruction) and
 * return-site probes only on decoded RETs of functions that run on the
 * system stack. Never a uretprobe.
 */
#ifndef GOPRY_PROBES_H
#define GOPRY_PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h> /* events.h is shared with BPF, which has vmlinux.h */
#include "events.h"
#include "layout.h"

struct gobin;
struct gopry_bpf;
struct bpf_link;

enum probe_role {
	PR_GC_START_TRANS,  /* (*gcCPULimiterState).startGCTransition(enableGC BL, now RCX) */
	PR_GC_FINISH_TRANS, /* (*gcCPULimiterState).finishGCTransition(now RBX) */
	PR_STW_STOP,        /* stopTheWorldWithSema entry (reason AL, go1.21+) */
	PR_STW_START,       /* startTheWorldWithSema entry (worldStop args, go1.22+) */
	PR_STW_START_RET,   /* a RET of startTheWorldWithSema: RAX = now */
	PR_STW_REASON,      /* stopTheWorld(reason string) entry, go1.19/1.20 */
	/* Reserved for the goroutine and heap collectors. */
	PR_G_CREATE,
	PR_G_EXIT,
	PR_G_PARK,
	PR_G_RUN,          /* --waits: a parked goroutine runs again (execute) */
	PR_HEAP_GROW,
	PR_ALLOC_SAMPLE,
	PR_HEAP_STATS,
	PR__COUNT,
};

/* Read slots of PR_GC_FINISH_TRANS (read at every hit; final at the 2nd). */
enum {
	RD_FIN_NUMGC,
	RD_FIN_USERFORCED,
	RD_FIN_HEAP0,
	RD_FIN_HEAP1,
	RD_FIN_HEAP2,
	RD_FIN_GOAL,
	RD_FIN_GOGC,
	RD_FIN_MEMLIMIT,
	RD_FIN_TSWEEPTERM,
	RD_FIN_TMARK,
	RD_FIN_TMARKTERM,
	RD_FIN__COUNT,
};

/* Read slots of PR_STW_STOP. */
enum {
	RD_STOP_M,     /* g0.m (R14 is g0: the function runs on the system stack) */
	RD_STOP_CURG,  /* m.curg: the goroutine that asked to stop the world */
	RD_STOP_NUMGC, /* memstats.numgc, completed cycles so far */
	RD_STOP__COUNT,
};

/* Read slots of PR_STW_REASON: the reason string's first 32 bytes. */
enum {
	RD_REASON_STR0,
	RD_REASON__COUNT = 4,
};

struct probe {
	enum probe_role role;
	const char *func;  /* Go function */
	__u64 func_entry;
	__u64 vaddr;       /* the probed instruction (link-time) */
	__u64 file_off;    /* its offset in the file, for the uprobe */
	char insn[48];
	bool emulated;     /* the kernel emulates it: no single-step */
	bool after_prologue;
	/* GOPRY_PLACEMENT=entry call site: single-stepped though emulated is set. */
	bool naive;
	struct gopry_probe_spec spec;
};

struct probe_plan {
	struct probe v[GOPRY_MAX_PROBES];
	size_t n;
	int go_minor;
	struct go_layout layout;
	/* What is unavailable in this binary, for the user (empty when none). */
	char unavailable[512];
	/* Why a collector could not plan at all. */
	char why[256];
};

/*
 * Start a plan for gb: resolve the runtime layout (offsets, globals).
 * Collectors then add their probes. 0 or -errno.
 */
int probes__init(struct gobin *gb, struct probe_plan *plan);

/*
 * Building blocks for collectors' planners (gc's is in probes.c). Each adds
 * one probe (or one per RET) from a full decode of the function, returning 0
 * or -ENOENT (no such function), -EILSEQ (does not decode / odd prologue),
 * -E2BIG (plan full).
 */
/* Entry: first instruction after the stack-check prologue. */
int probes__add_entry(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
		      const char *func, struct probe **out);
/* Every RET of func (only for functions that run on the system stack). */
int probes__add_rets(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
		     const char *func);
/* The (first) direct CALL to callee inside func: an emulated instruction. */
int probes__add_call_site(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
			  const char *func, const char *callee, struct probe **out);
void probes__set_read(struct gopry_probe_spec *s, int slot, __u8 base, __u8 arg, __s64 off,
		      __u8 size);
/* A read of global.field; when either is unknown, RB_NONE and noted unavailable. */
void probes__set_global_read(struct probe_plan *plan, struct gopry_probe_spec *s, int slot,
			     enum go_global g, enum go_field f, __u8 size);
void probes__note_unavailable(struct probe_plan *plan, const char *what);

void probes__print(const struct probe_plan *plan, FILE *f);
void probes__print_json(const struct probe_plan *plan, FILE *f, int pid);

/* Fold a spec's reads off one register into one block copy (done by configure). */
void probes__coalesce(struct gopry_probe_spec *s);

/* Fill the BPF config (rodata) from the plan: call between open and load. */
void probes__configure(const struct probe_plan *plan, struct gopry_config *cfg);

/*
 * Attach every probe of the plan to process pid running binary path.
 * links[] receives plan->n links. 0 or -errno (links attached so far are
 * destroyed on error).
 */
int probes__attach(const struct probe_plan *plan, struct gopry_bpf *skel, pid_t pid,
		   const char *path, struct bpf_link **links);

/* Destroy n links (NULL entries skipped), in parallel; sets them to NULL. */
void probes__detach(struct bpf_link **links, size_t n);

const char *probes__role_name(enum probe_role r);

#endif /* GOPRY_PROBES_H */
