// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "pcpu.h"

/*
 * All rings together take at most this much (the BPF ring buffer takes
 * 16 MiB): 65536 records a CPU up to 12 CPUs (0.16 s of one CPU creating
 * 200k goroutines/s, two records each; gopry drains every 5 ms while busy),
 * never fewer than 4096.
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
	__u64 *head, *tail; /* per CPU, during a drain */
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
	p->head = calloc(ncpu, sizeof(*p->head));
	p->tail = calloc(ncpu, sizeof(*p->tail));
	if (!p->head || !p->tail) {
		pcpu__free(p);
		return -ENOMEM;
	}
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
	free(p->head);
	free(p->tail);
	free(p);
}

static struct gopry_pcpu_ring *ring(const struct pcpu *p, int c)
{
	return (void *)(p->mem + c * p->ring_size);
}

static struct gopry_event_small *rec(const struct pcpu *p, int c, __u64 k)
{
	return (void *)((char *)ring(p, c) + GOPRY_PCPU_HDR +
			(k & (p->nrec - 1)) * sizeof(struct gopry_event_small));
}

size_t pcpu__pending(const struct pcpu *p)
{
	size_t n = 0;

	for (int c = 0; c < p->ncpu; c++)
		n += __atomic_load_n(&ring(p, c)->head, __ATOMIC_ACQUIRE) - ring(p, c)->tail;
	return n;
}

long pcpu__drain(struct pcpu *p, __u64 upto_ns, pcpu_handler fn, void *ctx)
{
	__u64 fullest = 0;

	for (int c = 0; c < p->ncpu; c++) {
		/* Acquire: the records up to head are written before head is. */
		__u64 h = __atomic_load_n(&ring(p, c)->head, __ATOMIC_ACQUIRE);
		__u64 t = ring(p, c)->tail;

		/* The producer never passes tail; a wild head is not trusted. */
		if (h - t > p->nrec)
			t = h - p->nrec;
		p->head[c] = h;
		p->tail[c] = t;
		if (h - t > fullest)
			fullest = h - t;
	}
	/*
	 * Each ring is in time order (its records are stamped one after the
	 * other under its busy flag): merge them in place, oldest first, and
	 * leave the records stamped from upto_ns on in their rings.
	 */
	for (;;) {
		int best = -1;
		__u64 best_ts = upto_ns;

		for (int c = 0; c < p->ncpu; c++) {
			if (p->tail[c] != p->head[c] && rec(p, c, p->tail[c])->ts < best_ts) {
				best = c;
				best_ts = rec(p, c, p->tail[c])->ts;
			}
		}
		if (best < 0)
			break;
		fn(ctx, rec(p, best, p->tail[best]), sizeof(struct gopry_event_small));
		p->tail[best]++;
	}
	/* Release: the slots handed on are the producer's again. */
	for (int c = 0; c < p->ncpu; c++)
		__atomic_store_n(&ring(p, c)->tail, p->tail[c], __ATOMIC_RELEASE);
	return (long)fullest;
}
