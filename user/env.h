/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* env: the command line, as every module sees it. */
#ifndef GOPRY_ENV_H
#define GOPRY_ENV_H

#include <stdbool.h>
#include <sys/types.h>

struct env {
	pid_t pid;
	bool json;
	bool dry_run;
	double duration; /* seconds, 0 = until Ctrl-C or the target exits */
	double interval; /* seconds between periodic reports (collectors' tick) */
	char **cmd;
	/* Collectors beyond GC/STW add their options here. */
	bool goroutines;                /* --goroutines: per-site table each interval */
	bool no_goroutines;             /* --no-goroutines: no goroutine probes at all */
	bool leaks;                     /* --leaks: leak suspects at the end */
	bool waits;                     /* --waits: park reasons and times (gopark, execute) */
	double leak_min_age;            /* --leak-min-age SECS: parked this long = stuck */
	const char *goroutine_profile;  /* --goroutine-profile FILE (pprof) */
	bool heap;                      /* --heap: heap timeline per GC and interval */
	const char *allocs_profile;     /* --allocs FILE: sampled allocations (pprof) */
	const char *allocs_folded;      /* --allocs-folded FILE: folded stacks */
	const char *src_dir;            /* --src DIR: escape analysis of the sources */
	long set_memprofilerate;        /* --set-memprofilerate N (opt-in write), -1 unset */
};

extern struct env env;

#endif
