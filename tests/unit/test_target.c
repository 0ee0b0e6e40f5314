// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * target__readv against this process's own memory: regions side by side
 * (read as one run with the gaps skipped), apart, out of order, more than
 * one syscall's worth, one in an unmapped page, and after an exec.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "target.h"

#define CHECK_PREFIX "target."
#include "check.h"

#define LEN 312
#define STRIDE 480 /* go1.27's g: 456 bytes in a 480-byte size class */
#define N 3000     /* > 1024 regions: several syscalls */

static struct target self(void)
{
	struct target t;

	memset(&t, 0, sizeof(t));
	t.pid = getpid();
	t.mem_fd = -1;
	return t;
}

/* Reads n regions at addrs and compares them with the memory itself. */
static int read_ok(const __u64 *addrs, size_t n, int *err)
{
	struct target t = self();
	char *buf = malloc(n * LEN);
	int bad = 0;

	*err = target__readv(&t, addrs, n, LEN, buf);
	for (size_t i = 0; !*err && i < n; i++)
		bad += !!memcmp(buf + i * LEN, (void *)(uintptr_t)addrs[i], LEN);
	free(buf);
	return bad;
}

int main(void)
{
	size_t size = ((size_t)N * 2 * STRIDE / 4096 + 4) * 4096;
	unsigned char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 *addrs = calloc(N, sizeof(*addrs));
	int err, bad;

	if (mem == MAP_FAILED || !addrs)
		return 2;
	for (size_t i = 0; i < size; i++)
		mem[i] = (unsigned char)(i * 7 + i / 251);

	for (size_t i = 0; i < N; i++)
		addrs[i] = (__u64)(uintptr_t)(mem + i * STRIDE);
	bad = read_ok(addrs, N, &err);
	CHECK("side_by_side", !err && !bad, "err %d, %d regions differ", err, bad);

	for (size_t i = 0; i < N; i++) /* a gap too wide to read through */
		addrs[i] = (__u64)(uintptr_t)(mem + i * 2 * STRIDE);
	bad = read_ok(addrs, N, &err);
	CHECK("apart", !err && !bad, "err %d, %d regions differ", err, bad);

	for (size_t i = 0; i < N; i++) /* descending, and overlapping neighbours */
		addrs[i] = (__u64)(uintptr_t)(mem + (N - 1 - i) * STRIDE / 2);
	bad = read_ok(addrs, N, &err);
	CHECK("out_of_order", !err && !bad, "err %d, %d regions differ", err, bad);

	for (size_t i = 0; i < 8; i++) /* exactly adjacent, no gap at all */
		addrs[i] = (__u64)(uintptr_t)(mem + i * LEN);
	bad = read_ok(addrs, 8, &err);
	CHECK("adjacent", !err && !bad, "err %d, %d regions differ", err, bad);

	/* A run that reaches into an unmapped page is not read whole. */
	if (munmap(mem + size - 4096, 4096))
		return 2;
	for (size_t i = 0; i < 4; i++)
		addrs[i] = (__u64)(uintptr_t)(mem + size - 4096 - 2 * STRIDE + i * STRIDE);
	bad = read_ok(addrs, 4, &err);
	CHECK("unmapped", err == -EIO || err == -EFAULT, "err %d", err);

	{
		struct target t = self();
		char buf[LEN];

		t.execd = true;
		addrs[0] = (__u64)(uintptr_t)mem;
		err = target__readv(&t, addrs, 1, LEN, buf);
		CHECK("execd_readv", err == -ESRCH, "err %d", err);
		err = target__read(&t, addrs[0], buf, LEN);
		CHECK("execd_read", err == -ESRCH, "err %d", err);
		CHECK("execd_same_image", !target__same_image(&t), "still the same image");
	}
	free(addrs);
	return failures != 0;
}
