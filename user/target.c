// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
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

/*
 * An exec of the same binary keeps /proc/PID/exe's identity, but replaces
 * the address space, and a /proc/PID/mem descriptor stays bound to the one
 * it was opened on: once that is gone, reads return 0 bytes. Best effort:
 * without the right to read the target's memory, only the identity check
 * remains.
 */
static void watch_image(struct target *t)
{
	char path[64], line[256];
	unsigned long long lo;
	FILE *f;
	char b;

	t->mem_fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/maps", t->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%llx-", &lo) != 1) {
		fclose(f);
		return;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/mem", t->pid);
	t->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->mem_fd < 0)
		return;
	t->mem_addr = lo;
	if (pread(t->mem_fd, &b, 1, (off_t)lo) != 1) {
		close(t->mem_fd);
		t->mem_fd = -1;
	}
}

/* True when the image watch_image saw has been replaced by an exec. */
static bool image_replaced(struct target *t)
{
	struct stat st;
	char exe[64];
	char b;

	if (t->mem_fd < 0 || pread(t->mem_fd, &b, 1, (off_t)t->mem_addr) != 0)
		return false;
	/* The old image is gone; a live exe link means a new one replaced it. */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	if (stat(exe, &st))
		return false;
	close(t->mem_fd);
	t->mem_fd = -1;
	return true;
}

int target__open_pid(struct target *t, pid_t pid)
{
	char link[64];
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->release_fd = -1;
	t->mem_fd = -1;
	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return -ESRCH;
	/* /proc/PID/exe works for deleted binaries and other mount namespaces. */
	snprintf(t->path, sizeof(t->path), "/proc/%d/exe", pid);
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, t->name, sizeof(t->name) - 1);
	if (n < 0) {
		err = -errno;
		return err == -ENOENT ? -ESRCH : err;
	}
	t->name[n] = '\0';
	err = stat_identity(t);
	if (!err)
		watch_image(t);
	return err;
}

int target__resolve_cmd(struct target *t, const char *cmd)
{
	const char *path = getenv("PATH");
	int err = -ENOENT;

	memset(t, 0, sizeof(*t));
	t->release_fd = -1;
	t->mem_fd = -1;
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

	/*
	 * A socket pair rather than a pipe: the child also answers on it. Its end
	 * is close-on-exec, so EOF after the go byte means the exec succeeded and
	 * an errno means it failed (a bad interpreter, say), which a pipe in one
	 * direction could not tell the parent.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds))
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
		int err;

		close(fds[1]);
		/* Wait until the probes are attached; EOF without a byte means abort. */
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execv(t->path, argv);
		err = errno;
		if (write(fds[0], &err, sizeof(err)) != sizeof(err))
			fprintf(stderr, "gopry: cannot execute %s: %s\n", t->path, strerror(err));
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
	int err = 0, child_err;
	ssize_t n;

	if (t->release_fd < 0)
		return 0;
	/* MSG_NOSIGNAL: a child killed meanwhile must not SIGPIPE gopry. */
	if (send(t->release_fd, &c, 1, MSG_NOSIGNAL) != 1)
		err = -errno;
	do
		n = read(t->release_fd, &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (!err && n == sizeof(child_err)) {
		/* The exec failed and the child is exiting: reap it. */
		err = child_err > 0 ? -child_err : -ENOEXEC;
		waitpid(t->pid, &t->exit_status, 0);
		t->exited = true;
	}
	close(t->release_fd);
	t->release_fd = -1;
	if (!err)
		watch_image(t);
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
	if (st.st_dev != t->dev || st.st_ino != t->ino || image_replaced(t)) {
		*execd = t->execd = true;
		return false;
	}
	return true;
}

bool target__same_image(const struct target *t)
{
	char b;

	if (t->exited || t->execd)
		return false;
	/* /proc/PID/mem opened before an exec reads nothing after it. */
	return t->mem_fd < 0 || pread(t->mem_fd, &b, 1, (off_t)t->mem_addr) == 1;
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
	ssize_t n;

	/* The PID's memory is another program's now (and writes would go there too). */
	if (t->execd)
		return -ESRCH;
	n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int target__readv(const struct target *t, const __u64 *addrs, size_t n, size_t len, void *buf)
{
	/*
	 * UIO_MAXIOV is 1024 a side. Regions a short gap apart (goroutines
	 * made one after another sit side by side in one span) are read as one
	 * remote run, the gaps into a scratch buffer: the kernel pins each page
	 * of a run once instead of once per region.
	 */
	enum { MAXIOV = 1024, MAXGAP = 512 };
	struct iovec local[MAXIOV], remote[MAXIOV];
	static char gap[MAXGAP];
	size_t i = 0;

	if (t->execd)
		return -ESRCH;
	while (i < n) {
		size_t nl = 0, nr = 0, want = 0;
		ssize_t got;

		while (i < n && nl + 2 <= MAXIOV) {
			__u64 end = nr ? (__u64)(uintptr_t)remote[nr - 1].iov_base +
						 remote[nr - 1].iov_len : 0;

			if (nr && addrs[i] >= end && addrs[i] - end <= MAXGAP) {
				if (addrs[i] > end) {
					local[nl++] = (struct iovec){ gap, addrs[i] - end };
					want += addrs[i] - end;
				}
				remote[nr - 1].iov_len += addrs[i] + len - end;
			} else {
				if (nr == MAXIOV)
					break;
				remote[nr++] = (struct iovec){ (void *)(uintptr_t)addrs[i], len };
			}
			local[nl++] = (struct iovec){ (char *)buf + i * len, len };
			want += len;
			i++;
		}
		got = process_vm_readv(t->pid, local, nl, remote, nr, 0);
		if (got < 0)
			return -errno;
		if ((size_t)got != want)
			return -EIO;
	}
	return 0;
}
