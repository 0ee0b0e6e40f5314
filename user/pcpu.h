/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pcpu: the per-CPU rings of small records (the per-goroutine probes).
 *
 * One single-producer ring per CPU in an mmap'ed array map (struct
 * gopry_pcpu_ring and its records, bpf/events.h): the BPF program writes a
 * record and then publishes head; user space reads records up to head and
 * then publishes tail. No helper call and no lock shared between CPUs
 * on the traced thread's path, unlike the BPF ring buffer's reserve/submit.
 *
 * The CPUs' streams are merged by timestamp. A record is handed on only
 * once its timestamp is older than a clock reading taken before the heads
 * were read (upto_ns): any record that must come before it for the same g
 * (a g's exit before its reuse, a creation before the goroutine runs) was
 * published before this record's timestamp was taken, hence before the
 * heads were read, hence is in hand. A record whose writer was preempted
 * between its timestamp and its publication arrives late, but nothing that
 * depends on it can have happened before it was published.
 */
#ifndef GOPRY_PCPU_H
#define GOPRY_PCPU_H

#include <stddef.h>
#include <linux/types.h>

struct pcpu;
struct bpf_map;

/* Records per CPU: a power of two, from the CPU count (see pcpu.c); 1 when off. */
__u32 pcpu__records_per_cpu(int ncpu, int enabled);
/* Before the BPF object is loaded: sizes map for ncpu rings of nrec records. */
int pcpu__size_map(struct bpf_map *map, int ncpu, __u32 nrec);

/* Over ncpu rings of nrec records at mem (the mmap'ed map, or a test's buffer). */
int pcpu__new(void *mem, int ncpu, __u32 nrec, struct pcpu **out);
/* Maps the loaded map's memory and calls pcpu__new; pcpu__free unmaps it. */
int pcpu__open(int map_fd, int ncpu, __u32 nrec, struct pcpu **out);
void pcpu__free(struct pcpu *p);

typedef int (*pcpu_handler)(void *ctx, void *data, size_t size);
/*
 * Hands on, oldest first, the published records stamped before upto_ns
 * (~0ULL: all, at the end), straight from the rings, and frees their slots;
 * the others stay in their rings for the next drain. Returns how many
 * records the fullest ring held, for the drain rate.
 */
long pcpu__drain(struct pcpu *p, __u64 upto_ns, pcpu_handler fn, void *ctx);
/* Records published but not handed on yet. */
size_t pcpu__pending(const struct pcpu *p);

#endif
