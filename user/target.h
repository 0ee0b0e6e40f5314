/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* target: the traced process — found by PID or launched under trace. */
#ifndef GOPRY_TARGET_H
#define GOPRY_TARGET_H

#include <stdbool.h>
#include <limits.h>
#include <sys/types.h>
#include <linux/types.h>

struct gobin;

struct target {
	pid_t pid;
	bool launched;       /* started by us with -- CMD */
	int release_fd;      /* write end of the pipe the launched child waits on */
	bool exited;
	bool execd;          /* target__alive saw it exec another image */
	int exit_status;     /* wait status of a launched child */
	char path[PATH_MAX]; /* the binary to probe */
	char name[PATH_MAX]; /* what to call it in messages */
	dev_t dev;           /* identity of the binary, to notice an exec */
	ino_t ino;
	int mem_fd;          /* /proc/PID/mem of the traced image, -1 if unreadable */
	__u64 mem_addr;      /* an address mapped in that image */
};

/* -ESRCH gone, -EACCES/-EPERM not ours to read, 0 ok. */
int target__open_pid(struct target *t, pid_t pid);
/* Resolve cmd via PATH like execvp (-ENOENT, -EACCES). */
int target__resolve_cmd(struct target *t, const char *cmd);
/* Fork a child that waits, then execs argv once target__release is called. */
int target__launch(struct target *t, char *const argv[]);
int target__release(struct target *t);
/* Kill a launched child that will never be released. */
void target__abort(struct target *t);
/* False once the process exited or exec'd another binary; reaps launched children. */
bool target__alive(struct target *t, bool *execd);
/*
 * Whether the image gopry probes is still the process's: false once it
 * exited or exec'd (seen now, or earlier by target__alive). Reads of its
 * memory (target__read) go to whatever image the PID has now, so a reader
 * that must not mix images asks before and after.
 */
bool target__same_image(const struct target *t);
/* Load bias of a PIE (0 otherwise) from /proc/PID/maps. */
int target__load_bias(const struct target *t, const struct gobin *gb, __u64 *bias);
/* -ESRCH once target__alive saw an exec: the memory is another program's. */
int target__read(const struct target *t, __u64 addr, void *buf, size_t len);
/*
 * Read n regions of len bytes at addrs[] into buf (n * len bytes) with as
 * few syscalls as possible. 0 when every region was read; -EIO when some
 * were not (buf is then partly filled; read those one by one), -errno.
 */
int target__readv(const struct target *t, const __u64 *addrs, size_t n, size_t len, void *buf);

#endif
