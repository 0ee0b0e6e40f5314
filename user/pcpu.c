// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "pcpu.h"

/*
 * All rings together take at most this much (the BPF ring buffer takes
 * 16 MiB): 65536 records a CPU up to 12 CPUs (0.33 s of one CPU's goroutine
 * churn at 200k goroutines/s), never fewer than 4096.
 */
#define PCPU_BUDGET (64u << 20)
#define PCPU_MAX_RECS 65536u
#define PCPU_MIN_RECS 4096u

struct pcpu {
	char *mem;
	size_t map_len; /* mmap'ed by pcpu__open, else 0 */
	int ncpu;
	__u32 nrec;
	size_t ring_size;
	struct gopry_event_small *pending;
	size_t npending, cap;
};

__u32 pcpu__records_per_cpu(int ncpu, int enabled)
{
	__u64 n;
	__u32 p = PCPU_MIN_RECS;

	if (!enabled)
		return 1;
	n = PCPU_BUDGET / ((__u64)(ncpu > 0 ? ncpu : 1) * sizeof(struct gopry_event_small));
	while (p < PCPU_MAX_RECS && (__u64)p * 2 <= n)
		p *= 2;
	return p;
}

static size_t ring_size(__u32 nrec)
{
	return GOPRY_PCPU_HDR + (size_t)nrec * sizeof(struct gopry_event_small);
}

int pcpu__size_map(struct bpf_map *map, int ncpu, __u32 nrec)
{
	int err = bpf_map__set_value_size(map, ring_size(nrec));

	return err ? err : bpf_map__set_max_entries(map, ncpu);
}

int pcpu__new(void *mem, int ncpu, __u32 nrec, struct pcpu **out)
{
	struct pcpu *p;

	if (!mem || ncpu <= 0 || !nrec || (nrec & (nrec - 1)))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->mem = mem;
	p->ncpu = ncpu;
	p->nrec = nrec;
	p->ring_size = ring_size(nrec);
	*out = p;
	return 0;
}

int pcpu__open(int map_fd, int ncpu, __u32 nrec, struct pcpu **out)
{
	/* An array map's elements are 8-byte aligned and laid end to end. */
	size_t len = ring_size(nrec) * ncpu;
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	int err;

	if (mem == MAP_FAILED)
		return -errno;
	err = pcpu__new(mem, ncpu, nrec, out);
	if (err) {
		munmap(mem, len);
		return err;
	}
	(*out)->map_len = len;
	return 0;
}

void pcpu__free(struct pcpu *p)
{
	if (!p)
		return;
	if (p->map_len)
		munmap(p->mem, p->map_len);
	free(p->pending);
	free(p);
}

size_t pcpu__pending(const struct pcpu *p)
{
	return p->npending;
}

static int by_ts(const void *a, const void *b)
{
	const struct gopry_event_small *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

long pcpu__drain(struct pcpu *p, __u64 upto_ns, pcpu_handler fn, void *ctx)
{
	const size_t rsz = sizeof(struct gopry_event_small);
	__u64 fullest = 0;
	size_t i, n;

	for (int c = 0; c < p->ncpu; c++) {
		struct gopry_pcpu_ring *r = (void *)(p->mem + c * p->ring_size);
		const char *recs = (const char *)r + GOPRY_PCPU_HDR;
		/* Acquire: the records up to head are written before head is. */
		__u64 h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), t = r->tail, k;

		/* The producer never passes tail; a wild head is not trusted. */
		if (h - t > p->nrec)
			t = h - p->nrec;
		if (h == t)
			continue;
		if (p->npending + (h - t) > p->cap) {
			size_t cap = p->cap ? p->cap : 4096;
			void *nv;

			while (cap < p->npending + (h - t))
				cap *= 2;
			nv = realloc(p->pending, cap * rsz);
			if (!nv)
				return -ENOMEM;
			p->pending = nv;
			p->cap = cap;
		}
		for (k = t; k != h; k++)
			memcpy(&p->pending[p->npending++], recs + (k & (p->nrec - 1)) * rsz, rsz);
		/* Release: the slots are free once copied. */
		__atomic_store_n(&r->tail, h, __ATOMIC_RELEASE);
		if (h - t > fullest)
			fullest = h - t;
	}
	if (!p->npending)
		return 0;
	qsort(p->pending, p->npending, rsz, by_ts);
	for (n = 0; n < p->npending && p->pending[n].ts < upto_ns; n++)
		;
	for (i = 0; i < n; i++)
		fn(ctx, &p->pending[i], rsz);
	memmove(p->pending, p->pending + n, (p->npending - n) * rsz);
	p->npending -= n;
	return (long)fullest;
}
