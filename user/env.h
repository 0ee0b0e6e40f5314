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
};

extern struct env env;

#endif
