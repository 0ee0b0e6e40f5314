// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-CPU rings' consumer over rings in plain memory, written as the BPF
 * program writes them: merge by timestamp, the watermark, slots freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "events.h"
#include "pcpu.h"

#define CHECK_PREFIX "pcpu."
#include "check.h"

#define NCPU 2
#define NREC 8
#define RING (GOPRY_PCPU_HDR + NREC * sizeof(struct gopry_event_small))

static char mem[NCPU * RING];
static __u64 got[64];
static size_t ngot;

static struct gopry_pcpu_ring *ring(int cpu)
{
	return (void *)(mem + cpu * RING);
}

/* What probe_small does: the record at head, then head + 1. */
static void put(int cpu, __u64 ts)
{
	struct gopry_pcpu_ring *r = ring(cpu);
	struct gopry_event_small *ev =
		(void *)((char *)r + GOPRY_PCPU_HDR + (r->head & (NREC - 1)) * sizeof(*ev));

	memset(ev, 0, sizeof(*ev));
	ev->type = EV_PROBE_SMALL;
	ev->ts = ts;
	ev->reads[0] = cpu;
	r->head++;
}

static int collect(void *ctx, void *data, size_t size)
{
	const struct gopry_event_small *ev = data;

	(void)ctx;
	if (size == sizeof(*ev) && ngot < 64)
		got[ngot++] = ev->ts;
	return 0;
}

static int sorted(void)
{
	for (size_t i = 1; i < ngot; i++)
		if (got[i - 1] > got[i])
			return 0;
	return 1;
}

int main(void)
{
	struct pcpu *p;
	long full;

	if (pcpu__new(mem, NCPU, NREC, &p)) {
		printf("FAIL pcpu.new\n");
		return 1;
	}
	/*
	 * CPU 1 holds the later record of a pair (a g's reuse at 20 after its
	 * exit at 10 on CPU 0): handed on in time order, whatever the CPU order.
	 */
	put(1, 20);
	put(1, 40);
	put(0, 10);
	put(0, 30);
	put(0, 60);
	full = pcpu__drain(p, 50, collect, NULL);
	CHECK("merge", ngot == 4 && sorted() && got[0] == 10 && got[3] == 40, "%zu records", ngot);
	CHECK("fullest", full == 3, "%ld", full);
	CHECK("watermark", pcpu__pending(p) == 1, "%zu pending", pcpu__pending(p));
	/* The one held back stays in its ring. */
	CHECK("slots_freed", ring(0)->tail == 2 && ring(1)->tail == 2, "tails %llu %llu",
	      (unsigned long long)ring(0)->tail, (unsigned long long)ring(1)->tail);
	/* A late record (its writer preempted) is still handed on, before later ones. */
	put(1, 45);
	put(1, 70);
	pcpu__drain(p, 65, collect, NULL);
	CHECK("late", ngot == 6 && got[4] == 45 && got[5] == 60 && pcpu__pending(p) == 1 &&
			      ring(0)->tail == 3 && ring(1)->tail == 3,
	      "%zu records, pending %zu", ngot, pcpu__pending(p));
	/* The end: everything. */
	pcpu__drain(p, ~0ULL, collect, NULL);
	CHECK("final", ngot == 7 && sorted() && !pcpu__pending(p), "%zu", ngot);
	/* Wrapping: more records in all than a ring holds, drained as they come. */
	ngot = 0;
	for (__u64 i = 0; i < 3 * NREC; i++) {
		put(0, 100 + i);
		if (i % 4 == 3)
			pcpu__drain(p, ~0ULL, collect, NULL);
	}
	CHECK("wrap", ngot == 3 * NREC && sorted() && got[0] == 100, "%zu", ngot);
	/* A head that ran past tail by more than the ring is not trusted: the last NREC. */
	ngot = 0;
	ring(1)->head += 5 * NREC;
	pcpu__drain(p, ~0ULL, collect, NULL);
	CHECK("wild_head", ngot == NREC && ring(1)->tail == ring(1)->head, "%zu", ngot);
	pcpu__free(p);

	CHECK("size_small", pcpu__records_per_cpu(2, 1) == 65536, "%u",
	      pcpu__records_per_cpu(2, 1));
	CHECK("size_many", pcpu__records_per_cpu(1024, 1) == 4096, "%u",
	      pcpu__records_per_cpu(1024, 1));
	CHECK("size_32", pcpu__records_per_cpu(32, 1) == 16384, "%u", pcpu__records_per_cpu(32, 1));
	CHECK("size_off", pcpu__records_per_cpu(2, 0) == 1, "%u", pcpu__records_per_cpu(2, 0));
	return failures != 0;
}
