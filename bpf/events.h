/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between gopry's BPF programs and its user space: the probe
 * configuration (rodata, set between open and load) and the records sent
 * through the ring buffer or, for the per-goroutine probes, the per-CPU rings
 * (struct gopry_pcpu_ring). Every record starts with a __u32 type tag.
 *
 * The BPF side only copies facts out: a timestamp, the argument registers of
 * Go's register ABI and a few reads of the target's memory described by the
 * probe's spec. All interpretation happens in user space.
 */
#ifndef GOPRY_EVENTS_H
#define GOPRY_EVENTS_H

#define GOPRY_MAX_PROBES 64
#define GOPRY_MAX_READS 12

enum gopry_event_type {
	EV_PROBE = 1,
	EV_PROBE_STACK, /* struct gopry_event_probe_stack */
	EV_PROBE_SMALL, /* struct gopry_event_small */
};

/*
 * Registers captured at every probe hit. Go's ABIInternal (amd64) passes
 * integer arguments in RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 and keeps
 * the current g in R14 (go1.17+ cmd/compile/abi-internal.md).
 */
enum gopry_reg {
	GR_RAX,
	GR_RBX,
	GR_RCX,
	GR_RDI,
	GR_RSI,
	GR_R8,
	GR_R9,
	GR_R10,
	GR_R11,
	GR_R14,
	GR_SP,
	GR_IP,
	GOPRY_NREGS,
};

/* Where a read's address comes from. */
enum gopry_read_base {
	RB_NONE = 0,
	RB_ABS,  /* off is a link-time virtual address; the load bias is added */
	RB_REG,  /* off is added to register arg (enum gopry_reg) */
	RB_READ, /* off is added to the (pointer) result of read number arg */
	RB_BLOCK, /* off is an offset into the probe's block (see gopry_probe_spec) */
	RB_VAL,   /* no read: the value is register arg + off */
};

/* A probe's block copy is shorter than this (bytes; a power of two). */
#define GOPRY_BLOCK_MAX 256

struct gopry_read {
	__u8 base; /* enum gopry_read_base */
	__u8 arg;
	__u8 size; /* 1, 2, 4 or 8 bytes, zero-extended */
	__u8 pad[5];
	__s64 off;
};

/*
 * gopry_probe_spec.flags. GOPRY_SPEC_USER_STACK: also walk the user stack
 * by frame pointers (Go keeps them on amd64) from RBP and send an
 * EV_PROBE_STACK record. GOPRY_SPEC_RET_AT_SP: the probe sits before the
 * function pushes its frame, so [SP] is the return address into the caller
 * and RBP is still the caller's frame: [SP] becomes frame 1.
 */
#define GOPRY_SPEC_USER_STACK (1u << 0)
#define GOPRY_SPEC_RET_AT_SP (1u << 1)
/*
 * GOPRY_SPEC_SMALL: send a struct gopry_event_small (no registers but the
 * IP, at most GOPRY_SMALL_READS reads) through the per-CPU rings below. For
 * the per-goroutine probes, the highest event rate.
 * Seven reads: go1.19's creation probe needs six plus the new g itself.
 */
#define GOPRY_SPEC_SMALL (1u << 2)
#define GOPRY_SMALL_READS 7
#define GOPRY_MAX_STACK 128 /* a power of two: the BPF side masks indices */

struct gopry_probe_spec {
	/* Link-time address of the probed instruction: bias = IP - vaddr. */
	__u64 vaddr;
	__u32 nreads;
	__u32 flags;
	/*
	 * One user-memory copy of block_len bytes at register block_reg +
	 * block_off, done before the reads: RB_BLOCK reads take their values
	 * from it, saving a helper call each (each costs ~100 ns here).
	 */
	__s64 block_off;
	__u16 block_len; /* 0: no block */
	__u8 block_reg;
	__u8 pad2[5];
	struct gopry_read reads[GOPRY_MAX_READS];
};

/*
 * GOPRY_SPEC_SMALL records go to one ring per CPU (user/pcpu.h), the map
 * small_rings: at element c, this header, then the ring's records (a power
 * of two of them: pcpu_mask + 1). The BPF program on CPU c writes record
 * head, then publishes head + 1; user space copies records up to head, then
 * publishes tail; the program drops a record (counted) when the ring is full
 * or another run on the same CPU, preempted, is still writing. The fields
 * sit on cache lines of their own: head and busy are written by the traced
 * thread, tail by gopry.
 */
#define GOPRY_PCPU_HDR 192
struct gopry_pcpu_ring {
	__u64 head;
	__u64 pad0[7];
	__u64 tail;
	__u64 pad1[7];
	__u64 busy;
	__u64 pad2[7];
};

struct gopry_config {
	__u32 nprobes;
	__u32 pcpu_mask; /* records per CPU ring - 1 */
	/*
	 * Benchmark only (GOPRY_PROGRAM=floor): every hit returns at once, so
	 * `make bench` measures the emulated-trap floor at the real probe sites.
	 */
	__u32 floor_only;
	__u32 pad;
	struct gopry_probe_spec probes[GOPRY_MAX_PROBES];
};

struct gopry_event_probe {
	__u32 type;  /* EV_PROBE */
	__u32 probe; /* index into gopry_config.probes (the attach cookie) */
	__u64 ts;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, as Go's nanotime */
	__u32 read_ok; /* bit i set when reads[i] succeeded */
	__u32 pad;
	__u64 regs[GOPRY_NREGS];
	__u64 reads[GOPRY_MAX_READS];
};

/*
 * EV_PROBE_SMALL: what a GOPRY_SPEC_SMALL probe sends. User space turns it
 * into a struct gopry_event_probe whose registers are all zero but GR_IP.
 */
struct gopry_event_small {
	__u32 type; /* EV_PROBE_SMALL */
	__u16 probe;
	__u16 read_ok;
	__u64 ts;
	__u64 ip;
	__u64 reads[GOPRY_SMALL_READS];
};

/* EV_PROBE_STACK: a probe hit with the user stack, leaf first (ips[0] = IP). */
struct gopry_event_probe_stack {
	struct gopry_event_probe ev; /* ev.type = EV_PROBE_STACK */
	__u32 nframes;
	__u32 truncated; /* the stack is deeper than GOPRY_MAX_STACK frames */
	__u64 ips[GOPRY_MAX_STACK];
};

/* Per-CPU counters, read and summed by user space. */
struct gopry_stats {
	__u64 sent;    /* records committed to the ring buffer */
	__u64 dropped; /* records lost because the ring buffer was full */
};

#endif /* GOPRY_EVENTS_H */
