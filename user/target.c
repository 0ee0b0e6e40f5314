// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "gobin.h"
#include "target.h"

static int stat_identity(struct target *t)
{
	struct stat st;

	if (stat(t->path, &st))
		return -errno;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	return 0;
}

int target__open_pid(struct target *t, pid_t pid)
{
	char link[64];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->release_fd = -1;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return -ESRCH;
	/* /proc/PID/exe works for deleted binaries and other mount namespaces. */
	snprintf(t->path, sizeof(t->path), "/proc/%d/exe", pid);
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, t->name, sizeof(t->name) - 1);
	if (n < 0) {
		int err = -errno;

		return err == -ENOENT ? -ESRCH : err;
	}
	t->name[n] = '\0';
	return stat_identity(t);
}

int target__resolve_cmd(struct target *t, const char *cmd)
{
	const char *path = getenv("PATH");
	int err = -ENOENT;

	memset(t, 0, sizeof(*t));
	t->release_fd = -1;
	t->launched = true;
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK))
			return -errno;
		snprintf(t->path, sizeof(t->path), "%s", cmd);
		goto found;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchrnul(path, ':');
		char cand[PATH_MAX];

		snprintf(cand, sizeof(cand), "%.*s%s%s", (int)(end - path), path,
			 end == path ? "" : "/", cmd);
		if (!access(cand, X_OK)) {
			snprintf(t->path, sizeof(t->path), "%s", cand);
			goto found;
		}
		if (errno == EACCES)
			err = -EACCES;
		path = *end ? end + 1 : end;
	}
	return err;
found:
	snprintf(t->name, sizeof(t->name), "%s", t->path);
	return stat_identity(t);
}

int target__launch(struct target *t, char *const argv[])
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		char c;

		close(fds[1]);
		/* Wait until the probes are attached; EOF without a byte means abort. */
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execv(t->path, argv);
		fprintf(stderr, "gopry: cannot execute %s: %s\n", t->path, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	t->pid = pid;
	t->release_fd = fds[1];
	return 0;
}

int target__release(struct target *t)
{
	char c = 'g';
	int err = 0;

	if (t->release_fd < 0)
		return 0;
	if (write(t->release_fd, &c, 1) != 1)
		err = -errno;
	close(t->release_fd);
	t->release_fd = -1;
	return err;
}

void target__abort(struct target *t)
{
	if (!t->launched || t->pid <= 0)
		return;
	if (t->release_fd >= 0) {
		close(t->release_fd); /* the child sees EOF and exits */
		t->release_fd = -1;
	}
	waitpid(t->pid, NULL, 0);
	t->exited = true;
}

bool target__alive(struct target *t, bool *execd)
{
	struct stat st;
	char exe[64];

	*execd = false;
	if (t->exited)
		return false;
	if (t->launched) {
		int status;
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid) {
			t->exited = true;
			t->exit_status = status;
			return false;
		}
	} else if (kill(t->pid, 0) && errno == ESRCH) {
		t->exited = true;
		return false;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	if (stat(exe, &st)) {
		if (errno == ENOENT) /* a zombie: it has exited */
			return t->launched ? true : (t->exited = true, false);
		return true;
	}
	if (st.st_dev != t->dev || st.st_ino != t->ino) {
		*execd = true;
		return false;
	}
	return true;
}

int target__load_bias(const struct target *t, const struct gobin *gb, __u64 *bias)
{
	const struct gofunc *fn;
	char maps[64], line[512];
	__u64 off;
	FILE *f;
	int err = -ENOENT;

	*bias = 0;
	if (!gobin__is_pie(gb))
		return 0;
	fn = gobin__func_count(gb) ? gobin__func(gb, 0) : NULL;
	if (!fn || gobin__vaddr_to_offset(gb, fn->entry, &off))
		return -ENOENT;
	snprintf(maps, sizeof(maps), "/proc/%d/maps", t->pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, moff, ino;
		unsigned int maj, min;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &moff, &maj,
			   &min, &ino) != 7)
			continue;
		if (ino != t->ino || perms[2] != 'x')
			continue;
		if (off < moff || off >= moff + (end - start))
			continue;
		*bias = start + (off - moff) - fn->entry;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int target__read(const struct target *t, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
