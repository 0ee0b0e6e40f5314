// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One program serves every probe: the attach cookie names the probe's spec
 * in the rodata config, which says what to read. The program copies facts
 * out and leaves all interpretation to user space.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct gopry_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* user space may resize it before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gopry_stats);
} stats SEC(".maps");

struct block {
	__u8 b[GOPRY_BLOCK_MAX];
};

/* Per-CPU scratch for a probe's block copy (too large for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct block);
} blocks SEC(".maps");

static __always_inline void count(bool sent)
{
	__u32 zero = 0;
	struct gopry_stats *st = bpf_map_lookup_elem(&stats, &zero);

	if (!st)
		return;
	if (sent)
		st->sent++;
	else
		st->dropped++;
}

static __always_inline int read_user(__u64 *dst, __u8 size, __u64 addr)
{
	/* Sized reads, so a 1-byte field at the end of a mapping is not an error. */
	switch (size) {
	case 1: {
		__u8 v = 0;
		int err = bpf_probe_read_user(&v, 1, (void *)addr);
		*dst = v;
		return err;
	}
	case 2: {
		__u16 v = 0;
		int err = bpf_probe_read_user(&v, 2, (void *)addr);
		*dst = v;
		return err;
	}
	case 4: {
		__u32 v = 0;
		int err = bpf_probe_read_user(&v, 4, (void *)addr);
		*dst = v;
		return err;
	}
	default:
		return bpf_probe_read_user(dst, 8, (void *)addr);
	}
}

/*
 * A frame-pointer walk: [fp] is the caller's fp, [fp + 8] the return address.
 * Done here rather than with bpf_get_stack so that the frame of a probe
 * placed before `push rbp` (the caller, at [SP]) does not depend on whether
 * the kernel's unwinder knows about function-entry uprobes.
 */
static __always_inline void walk_stack(struct gopry_event_probe_stack *sev, struct pt_regs *ctx,
				       __u32 flags)
{
	__u64 fp = ctx->bp, ret = 0;
	__u32 n = 0;

	sev->truncated = 0;
	sev->ips[n++] = ctx->ip;
	if ((flags & GOPRY_SPEC_RET_AT_SP) &&
	    bpf_probe_read_user(&ret, sizeof(ret), (void *)ctx->sp) == 0 && ret)
		sev->ips[n++] = ret;
	for (int i = 0; i < GOPRY_MAX_STACK; i++) { /* n stops it */
		__u64 frame[2];

		/*
		 * No "callers are above" rule: systemstack's frames chain from
		 * the g0 stack to the goroutine's, which may lie below it.
		 */
		if (!fp || (fp & 7) || n >= GOPRY_MAX_STACK)
			break;
		if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp) || !frame[1])
			break;
		sev->ips[n & (GOPRY_MAX_STACK - 1)] = frame[1];
		n++;
		if (frame[0] == fp)
			break;
		fp = frame[0];
	}
	if (n >= GOPRY_MAX_STACK && fp)
		sev->truncated = 1;
	sev->nframes = n;
}

/*
 * The registers by enum gopry_reg, for indexing by a masked number. (Not a
 * switch on ctx: the compiler turns it into a load at a computed ctx offset,
 * which the verifier refuses.)
 */
static __always_inline void get_regs(const struct pt_regs *ctx, __u64 *regs)
{
	regs[GR_RAX] = ctx->ax;
	regs[GR_RBX] = ctx->bx;
	regs[GR_RCX] = ctx->cx;
	regs[GR_RDI] = ctx->di;
	regs[GR_RSI] = ctx->si;
	regs[GR_R8] = ctx->r8;
	regs[GR_R9] = ctx->r9;
	regs[GR_R10] = ctx->r10;
	regs[GR_R11] = ctx->r11;
	regs[GR_R14] = ctx->r14;
	regs[GR_SP] = ctx->sp;
	regs[GR_IP] = ctx->ip;
}

/*
 * The spec's reads into reads[0..max); returns the bits of those that
 * succeeded. Slots past nreads are left as they are.
 */
static __always_inline __u32 do_reads(const __u64 *regs,
				      const volatile struct gopry_probe_spec *spec, __u64 *reads,
				      const __u32 max)
{
	/* PIE: the distance between where the probe fired and where it was linked. */
	__u64 bias = regs[GR_IP] - spec->vaddr;
	__u32 n = spec->nreads, blen = spec->block_len, breg = spec->block_reg, ok = 0;
	struct block *blk = NULL;

	if (blen && blen < GOPRY_BLOCK_MAX && breg < GOPRY_NREGS) {
		__u32 zero = 0;

		blk = bpf_map_lookup_elem(&blocks, &zero);
		/*
		 * An AND the compiler cannot drop (it knows blen < 256 from the
		 * test above, the verifier does not after a spill) bounds the size.
		 */
		asm volatile("%0 &= 0xff" : "+r"(blen));
		if (blk && bpf_probe_read_user(blk->b, blen,
					       (void *)(regs[breg & 0xf] + spec->block_off)))
			blk = NULL;
	}
	for (__u32 i = 0; i < max; i++) {
		const volatile struct gopry_read *rd = &spec->reads[i];
		__u32 base, arg;
		__s64 off;
		__u64 addr;

		if (i >= n)
			break;
		/* One load of each volatile field: the bound checked is the one used. */
		base = rd->base;
		arg = rd->arg;
		off = rd->off;
		switch (base) {
		case RB_ABS:
			addr = off + bias;
			break;
		case RB_REG:
			if (arg >= GOPRY_NREGS)
				continue;
			addr = regs[arg & 0xf] + off;
			break;
		case RB_READ:
			if (arg >= i || !(ok & (1u << arg)))
				continue;
			addr = reads[arg] + off;
			break;
		case RB_VAL:
			if (arg >= GOPRY_NREGS)
				continue;
			reads[i] = regs[arg & 0xf] + off;
			ok |= 1u << i;
			continue;
		case RB_BLOCK: {
			__u64 v = 0;
			__u32 sz = rd->size;

			if (!blk || off < 0 || off > GOPRY_BLOCK_MAX - 8 || off + sz > blen)
				continue;
			__builtin_memcpy(&v, blk->b + (off & (GOPRY_BLOCK_MAX - 1)), 8);
			if (sz < 8)
				v &= (1ULL << (sz * 8)) - 1;
			reads[i] = v;
			ok |= 1u << i;
			continue;
		}
		default:
			continue;
		}
		if (read_user(&reads[i], rd->size, addr) == 0)
			ok |= 1u << i;
	}
	return ok;
}

/* The per-CPU rings of small records (events.h); user space sizes it before load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, GOPRY_PCPU_HDR + sizeof(struct gopry_event_small));
	__uint(max_entries, 1);
} small_rings SEC(".maps");

/*
 * The per-goroutine probes' path, kept short: the smallest record, no
 * registers, no stack, and no ring buffer reserve/submit (two helper calls
 * and a spinlock all CPUs share): a store into this CPU's own ring.
 */
static __always_inline int probe_small(const struct pt_regs *ctx, __u32 id,
				       const volatile struct gopry_probe_spec *spec)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct gopry_pcpu_ring *r = bpf_map_lookup_elem(&small_rings, &cpu);
	/* From the frozen rodata: a known constant, so the index below is bounded. */
	__u64 mask = cfg.pcpu_mask, h;
	struct gopry_event_small *ev;
	__u64 regs[16] = {}; /* 16: an index masked with 0xf stays inside */

	if (!r)
		goto drop;
	/*
	 * Uprobe programs can be preempted: a second run on this CPU while the
	 * first is writing drops its record (counted) rather than share a slot.
	 */
	if (__sync_lock_test_and_set(&r->busy, 1))
		goto drop;
	h = r->head;
	if (h - *(volatile __u64 *)&r->tail > mask) {
		*(volatile __u64 *)&r->busy = 0;
		goto drop;
	}
	ev = (void *)r + GOPRY_PCPU_HDR + (h & mask) * sizeof(*ev);
	ev->type = EV_PROBE_SMALL;
	ev->probe = id;
	ev->ts = bpf_ktime_get_ns();
	ev->ip = ctx->ip;
	__builtin_memset(ev->reads, 0, sizeof(ev->reads));
	get_regs(ctx, regs);
	ev->read_ok = do_reads(regs, spec, ev->reads, GOPRY_SMALL_READS);
	/*
	 * The record, then head: x86 keeps stores in order (gopry is amd64
	 * only), so a compiler barrier is all the publication needs.
	 */
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&r->head = h + 1;
	asm volatile("" ::: "memory");
	*(volatile __u64 *)&r->busy = 0;
	count(true);
	return 0;
drop:
	count(false);
	return 0;
}

SEC("uprobe")
int gopry_probe(struct pt_regs *ctx)
{
	__u64 id = bpf_get_attach_cookie(ctx);
	const volatile struct gopry_probe_spec *spec;
	struct gopry_event_probe_stack *sev = NULL;
	struct gopry_event_probe *ev;
	__u32 flags;

	if (cfg.floor_only || id >= GOPRY_MAX_PROBES)
		return 0;
	spec = &cfg.probes[id];
	flags = spec->flags;
	if (flags & GOPRY_SPEC_SMALL)
		return probe_small(ctx, id, spec);

	if (flags & GOPRY_SPEC_USER_STACK) {
		sev = bpf_ringbuf_reserve(&events, sizeof(*sev), 0);
		ev = sev ? &sev->ev : NULL;
	} else {
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	}
	if (!ev) {
		count(false);
		return 0;
	}
	ev->type = sev ? EV_PROBE_STACK : EV_PROBE;
	ev->probe = id;
	ev->ts = bpf_ktime_get_ns();
	ev->pad = 0;
	/* The reads that follow regs[] in the record absorb a masked index. */
	get_regs(ctx, ev->regs);
	__builtin_memset(ev->reads, 0, sizeof(ev->reads));
	ev->read_ok = do_reads(ev->regs, spec, ev->reads, GOPRY_MAX_READS);

	if (sev)
		walk_stack(sev, ctx, flags);

	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	count(true);
	return 0;
}
