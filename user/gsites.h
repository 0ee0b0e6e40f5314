/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gsites: goroutines by creation site. Holds the live goroutines (by goid),
 * which goroutine each g holds (exit, park and run events name only the g)
 * and, per site (creation PC, start PC), how many were created, exited and
 * are alive, their lifetimes, what the alive ones wait on, and the alive
 * count's history for leak suspicion. Fed by probe events and by walks of
 * the runtime's goroutine list; never reads the target itself.
 */
#ifndef GOPRY_GSITES_H
#define GOPRY_GSITES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct gsites;

#define GSITE_MAX_WAIT 64 /* waitReason is a uint8; no release has more than 47 */

/* Goroutine status values (runtime2.go: go1.19.8:34, go1.26.10:37). */
enum {
	GS_IDLE = 0,
	GS_RUNNABLE = 1,
	GS_RUNNING = 2,
	GS_SYSCALL = 3,
	GS_WAITING = 4,
	GS_DEAD = 6,
	GS_COPYSTACK = 8,
	GS_PREEMPTED = 9,
	GS_LEAKED = 10,    /* go1.26+: found leaked by the GC */
	GS_DEADEXTRA = 11, /* go1.26+: dead, kept for an extra M */
	GS_SCAN = 0x1000,
};

/* --waits: parks on one wait reason at one site, and how long they lasted. */
struct gsite_park {
	__u64 count, total_ns, max_ns;
	__u64 *hist;      /* durations, log-linear as lifetimes (64-bit: 1M/s for hours) */
};

/* A site whose goroutines ran the go statements of this one. */
#define GSITE_MAX_PARENTS 4
struct gsite_parent {
	const struct gsite *site;
	__u64 count;
};

struct gsite {
	__u64 gopc, startpc;
	/* Filled by the namer when the site is first seen. */
	char func[128], start_func[128];
	char file[256];
	int line;
	bool system; /* as runtime.isSystemGoroutine: not in NumGoroutine */

	__u64 created, exited, alive;
	__u64 at_attach;  /* alive at the attach (the first walk) */
	__u64 discovered; /* found by a later walk, not by a creation event */
	__u64 lost;       /* gone from the goroutine list without an exit event */
	__u64 lifetime_max, nlifetimes;
	__u64 *hist;      /* lifetimes, log-linear (see gsites.c; 64-bit: 1M/s for hours) */
	/* From the last walk: alive goroutines per state. */
	__u64 waits[GSITE_MAX_WAIT]; /* waiting, by waitReason */
	__u64 running, runnable, syscall, leaked, other;
	__u64 parked_long;           /* waiting at least the leak threshold */
	__u64 longest_wait_ns;       /* the longest current park, as the walks saw it */
	__u64 oldest_create;         /* earliest known creation among the alive, 0 = none */
	bool oldest_before_attach;   /* some alive one predates the attach */
	__u64 min_alive;             /* over the window */
	/*
	 * Creators: the sites of the goroutines that ran this site's go
	 * statement (the parent goid of a creation event, or of a walk's g for
	 * goroutines a walk found, looked up among the live goroutines), most
	 * frequent first once sorted by the reader.
	 */
	struct gsite_parent parents[GSITE_MAX_PARENTS];
	__u64 parent_other;   /* from further sites than fit in parents[] */
	__u64 parent_unknown; /* parent goid not known or not among the live ones */
	struct gsite_park park[GSITE_MAX_WAIT]; /* --waits, by waitReason */
};

struct gsite_leak {
	const struct gsite *site;
	double score;
	__u64 growth;       /* alive now - fewest alive in the window */
	__u64 parked_long;
	int top_wait;       /* waitReason most of them are parked on, -1 = none */
	__u64 top_wait_n;
	__u64 oldest_age_ns;
	bool gleaked;       /* the runtime marked some _Gleaked (go1.26+) */
};

/*
 * Fills the name fields of a new site; may leave them empty. Returns
 * non-zero when (gopc, startpc) cannot be a site (the event is then not
 * counted, but in gsites_stats.invalid).
 */
typedef int (*gsite_namer)(void *ctx, struct gsite *s);

int gsites__new(gsite_namer namer, void *ctx, __u64 start_ns, struct gsites **out);
void gsites__free(struct gsites *s);

/*
 * A creation event: goroutine goid now holds g (parent: the creating
 * goroutine's goid, 0 = unknown).
 */
void gsites__created(struct gsites *s, __u64 goid, __u64 g, __u64 gopc, __u64 startpc,
		     __u64 ts, __u64 parent);
/*
 * An exit event: the goroutine in g ends. Events must come in the order
 * they happened for each g (the ring buffer's), walks in between.
 */
void gsites__exited(struct gsites *s, __u64 g, __u64 ts);

/*
 * --waits: the goroutine in g parks on waitReason reason at ts; then g runs
 * again at ts (gsites__ran), which closes the park and adds its duration to
 * the site's park[reason]. A park of a goroutine not known (as for exits:
 * no creation and no earlier walk) is counted in park_unknown, not timed. At
 * most park_cap goroutines are remembered as parked at once (default
 * GSITES_PARK_CAP); parks beyond that are counted in park_drops.
 */
#define GSITES_PARK_CAP 65536
void gsites__parked(struct gsites *s, __u64 g, __u8 reason, __u64 ts);
void gsites__ran(struct gsites *s, __u64 g, __u64 ts);
void gsites__set_park_cap(struct gsites *s, size_t cap);
__u64 gsites__park_pct(const struct gsite_park *p, double pct);
/* How many goroutines are parked now as far as the park events say. */
size_t gsites__parked_count(const struct gsites *s);

/*
 * A walk of the goroutine list. The first (initial) walk adds every alive
 * goroutine; later ones add a goroutine only when two walks in a row see it
 * with no creation event (created by a path not probed, or its event was
 * lost) and remove one two complete walks in a row did not see.
 */
struct gsite_g {
	__u64 g; /* its address */
	__u64 goid, gopc, startpc, waitsince;
	__u64 parent;  /* g.parentGoid (go1.21+): the creator's goid; 0 = not known */
	__u32 status;  /* without GS_SCAN */
	__u8 waitreason;
};
void gsites__walk_begin(struct gsites *s, __u64 ts, bool initial);
void gsites__walk_seen(struct gsites *s, const struct gsite_g *g);
/* complete: every entry of the list was read (torn ones excepted). */
void gsites__walk_end(struct gsites *s, bool complete, __u64 leak_threshold_ns);

size_t gsites__count(const struct gsites *s);
struct gsite *gsites__at(struct gsites *s, size_t i);
__u64 gsites__lifetime_pct(const struct gsite *site, double p);
/* Totals over user (non-system) sites, or over system ones. */
void gsites__totals(const struct gsites *s, bool system, __u64 *alive, __u64 *created,
		    __u64 *exited);
__u64 gsites__live_count(const struct gsites *s);

/*
 * Leak suspects, best first: user sites whose alive count grew over the
 * window (by two or more) while at least half of them stayed parked at least
 * the threshold (or were marked _Gleaked). Returns how many were written.
 */
size_t gsites__leaks(struct gsites *s, __u64 now, struct gsite_leak *out, size_t max);

/* Walk stats for diagnostics. */
struct gsites_stats {
	/* unknown_exit: of goroutines neither a creation nor a walk saw */
	__u64 events_create, events_exit, dup_create, unknown_exit;
	__u64 invalid; /* events or walk entries whose start PC is in no function */
	__u64 walks, discovered, lost;
	/* park events; not timed: table full, no run seen, goroutine not known */
	__u64 parks, park_drops, park_reparked, park_unknown;
	__u64 runs, runs_timed;                 /* run events; of them closing a park */
};
void gsites__stats(const struct gsites *s, struct gsites_stats *st);

#endif
