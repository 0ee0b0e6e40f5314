// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "allocs.h"
#include "decode.h"
#include "env.h"
#include "escape.h"
#include "gobin.h"
#include "json.h"
#include "log.h"
#include "pprof.h"
#include "probes.h"
#include "target.h"

#define TOP_N 10
/* runtime.MemProfileRate's initializer, in every release (go1.19.8 mprof.go:589, go1.27.3 :870). */
#define DEFAULT_MEMPROFILERATE (512 * 1024)

/*
 * Samples by (stack, size), as the runtime's memory-profile buckets are
 * (stkbucket matches b.size too: go1.19.8 mprof.go:256, :424; go1.27.3
 * mprof.go:305, :446) and as runtime/pprof scales them, each with its own
 * size (go1.27.3 protomem.go:54). Scaling a stack's mixed sizes by their
 * average would weigh a sampled 16-byte object like a 4 KiB one.
 */
struct stack_ent {
	__u64 hash;
	__u32 n;
	bool truncated;
	__u64 size;         /* of each object */
	__u64 count, bytes; /* raw samples */
	__u64 *ips;
};

struct site {
	struct alloc_frame f;
	double objects, bytes; /* weighted */
	__u64 samples;         /* as sampled: what the estimate's confidence rests on */
};

struct allocs {
	struct gobin *gb;
	const struct target *t;
	bool json;
	__u64 bias;
	bool have_bias;
	__u64 start_ns;
	__s64 start_wall_ns; /* profile.proto time_nanos is wall-clock */

	/* runtime.MemProfileRate */
	__u64 rate_link; /* link-time address, 0 when unknown */
	__u64 rate_addr; /* run-time address, 0 when unknown */
	long rate;       /* last value read (-1 unknown) */
	bool rate_checked;
	bool disabled_by_linker;
	bool have_disabled;
	/* --set-memprofilerate: what was there before, and whether we restored it. */
	bool wrote;
	long orig_rate;

	struct stack_ent *st;
	size_t nst, capst;
	__u32 *slot; /* open addressing over st indices + 1 */
	size_t capslot;
	__u64 samples, sampled_bytes, no_stack;
};

int allocs__symbolize_inl(struct gobin *gb, __u64 bias, __u64 pc, bool is_return,
			  struct alloc_frame *out, int max)
{
	/* A return address's line is the CALL's: look up pc - 1, as Go does. */
	__u64 vaddr = pc - bias - (is_return ? 1 : 0);
	struct goframe gf[ALLOCS_MAX_INLINE];
	const struct gofunc *fn;
	int n, i;

	if (max <= 0)
		return 0;
	if (max > ALLOCS_MAX_INLINE)
		max = ALLOCS_MAX_INLINE;
	n = gobin__pc_frames(gb, vaddr, gf, max);
	if (n > 0) {
		for (i = 0; i < n; i++) {
			out[i].func = gf[i].func;
			out[i].file = gf[i].file ? gf[i].file : "";
			out[i].line = gf[i].file ? gf[i].line : 0;
		}
		return n;
	}
	/* Not in pclntab (cgo's C code): the symbol, if any. */
	fn = gobin__func_at(gb, vaddr);
	out->func = fn ? fn->name : "?";
	out->file = "";
	out->line = 0;
	return 1;
}

void allocs__symbolize(struct gobin *gb, __u64 bias, __u64 pc, bool is_return,
		       struct alloc_frame *out)
{
	allocs__symbolize_inl(gb, bias, pc, is_return, out, 1);
}

size_t allocs__first_user_frame(const struct alloc_frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(f[i].func, "runtime.", 8))
			return i;
	return 0;
}

void allocs__scale(double count, double bytes, long rate, double *objects, double *space)
{
	double scale;

	*objects = count;
	*space = bytes;
	if (count <= 0 || bytes <= 0 || rate <= 1)
		return;
	scale = 1 / (1 - exp(-(bytes / count) / rate));
	*objects = count * scale;
	*space = bytes * scale;
}

/* The 8-byte value at vaddr in the file, if it lies in the file. */
static int file_u64(struct gobin *gb, __u64 vaddr, __s64 *v)
{
	return gobin__read_vaddr(gb, vaddr, v, sizeof(*v));
}

/*
 * Stripped binaries: profilealloc (go1.24+: c.memProfRate = MemProfileRate,
 * go1.24.4 malloc.go:1795) and nextSample (`if MemProfileRate == 0/1`,
 * go1.19.8 malloc.go:1248) address MemProfileRate RIP-relative. Of their
 * operands, exactly one must hold the initializer 512 KiB in the file.
 */
static int decode_memprofilerate(struct gobin *gb, __u64 *addr)
{
	static const char *const funcs[] = { "runtime.profilealloc", "runtime.nextSample" };
	__u64 found = 0;
	int nfound = 0;

	for (size_t k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++) {
		const struct gofunc *fn = gobin__find_func(gb, funcs[k]);
		struct insn_list l = {};
		size_t len;
		__u8 *code;

		if (!fn || fn->end <= fn->entry || fn->end - fn->entry > 65536)
			continue;
		len = fn->end - fn->entry;
		code = malloc(len);
		if (!code)
			return -ENOMEM;
		if (!gobin__read_vaddr(gb, fn->entry, code, len) &&
		    !decode__function(code, len, fn->entry, &l)) {
			for (size_t i = 0; i < l.n; i++) {
				__s64 v;

				if (!l.v[i].has_riprel || l.v[i].riprel == found)
					continue;
				if (file_u64(gb, l.v[i].riprel, &v) || v != DEFAULT_MEMPROFILERATE)
					continue;
				found = l.v[i].riprel;
				nfound++;
			}
			decode__free(&l);
		}
		free(code);
	}
	if (nfound != 1)
		return -ENOENT;
	*addr = found;
	return 0;
}

int allocs__memprofilerate_addr(struct gobin *gb, __u64 *addr)
{
	if (!gobin__symbol_addr(gb, "runtime.MemProfileRate", addr))
		return 0;
	return decode_memprofilerate(gb, addr);
}

int allocs__profiling_disabled(struct gobin *gb, bool *disabled)
{
	__u64 addr;
	__u8 v;

	if (gobin__symbol_addr(gb, "runtime.disableMemoryProfiling", &addr) ||
	    gobin__read_vaddr(gb, addr, &v, 1))
		return -ENOENT;
	*disabled = v != 0;
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool allocs_enabled(void)
{
	return env.allocs_profile || env.allocs_folded || env.src_dir ||
	       env.set_memprofilerate > 0;
}

static int allocs_plan(struct gobin *gb, struct probe_plan *plan)
{
	struct probe *p;
	int err;

	/*
	 * profilealloc(mp *m, x unsafe.Pointer, size uintptr): RCX = size in
	 * every release (go1.19.8 malloc.go:1232 ... go1.27.3 malloc.go:2222).
	 * Every sampled allocation reaches it: mallocgc (go1.19-1.23), the
	 * go1.24 split (mallocgcTiny/SmallNoscan/SmallScanNoHeader/
	 * SmallScanHeader/Large, go1.24.4 malloc.go:1225/1327/1418/1511/1584)
	 * and go1.27's size-specialized mallocs (go1.27.3 malloc_generated.go:
	 * 152/305/458) all call it when c.nextSample runs out.
	 */
	err = probes__add_entry(plan, gb, PR_ALLOC_SAMPLE, "runtime.profilealloc", &p);
	if (err) {
		snprintf(plan->why, sizeof(plan->why), "runtime.profilealloc: %s",
			 err == -ENOENT ? "not in this binary" : strerror(-err));
		return err;
	}
	/* Entry probes sit before the frame is pushed: the caller is at [SP]. */
	p->spec.flags = GOPRY_SPEC_USER_STACK | GOPRY_SPEC_RET_AT_SP;
	return 0;
}

static int read_rate(struct allocs *a, long *rate)
{
	__s64 v;

	if (!a->rate_addr)
		return -ENOENT;
	if (target__read(a->t, a->rate_addr, &v, sizeof(v)))
		return -EIO;
	*rate = v;
	return 0;
}

static int write_rate(struct allocs *a, long rate)
{
	__s64 v = rate;
	struct iovec local = { &v, sizeof(v) };
	struct iovec remote = { (void *)(uintptr_t)a->rate_addr, sizeof(v) };

	if (!target__same_image(a->t))
		return -ESRCH;
	if (process_vm_writev(a->t->pid, &local, 1, &remote, 1, 0) != sizeof(v))
		return -errno;
	return 0;
}

static void restore_rate(struct allocs *a)
{
	long cur;

	if (!a->wrote)
		return;
	a->wrote = false;
	if (read_rate(a, &cur)) {
		vlog("pid %d is gone: runtime.MemProfileRate needs no restoring", a->t->pid);
		return;
	}
	/* The program may have set its own rate meanwhile: then it is its. */
	if (cur != env.set_memprofilerate) {
		wlog("runtime.MemProfileRate of pid %d changed during the session; left as is",
		     a->t->pid);
		return;
	}
	if (write_rate(a, a->orig_rate))
		wlog("could not restore runtime.MemProfileRate = %ld in pid %d", a->orig_rate,
		     a->t->pid);
	else
		wlog("restored runtime.MemProfileRate = %ld in pid %d", a->orig_rate, a->t->pid);
}

/*
 * Look at MemProfileRate once the runtime has initialized it: schedinit
 * zeroes it when the linker set disableMemoryProfiling (go1.19.8
 * proc.go/mprof.go:589-602, go1.27.3 proc.go:920-925).
 */
static void check_rate(struct allocs *a)
{
	long rate;

	if (a->rate_checked)
		return;
	a->rate_checked = true;
	if (!a->have_bias && !target__load_bias(a->t, a->gb, &a->bias))
		a->have_bias = true;
	if (a->rate_link && a->have_bias)
		a->rate_addr = a->rate_link + a->bias;
	if (!a->rate_addr) {
		wlog("runtime.MemProfileRate not found in this binary; samples are weighted "
		     "with the default rate %d", DEFAULT_MEMPROFILERATE);
		a->rate = DEFAULT_MEMPROFILERATE;
		return;
	}
	if (read_rate(a, &rate)) {
		wlog("cannot read runtime.MemProfileRate of pid %d", a->t->pid);
		a->rate = DEFAULT_MEMPROFILERATE;
		return;
	}
	a->rate = rate;
	if (env.set_memprofilerate > 0) {
		int err = write_rate(a, env.set_memprofilerate);

		if (err) {
			elog("cannot write runtime.MemProfileRate in pid %d: %s", a->t->pid,
			     strerror(-err));
			return;
		}
		a->orig_rate = rate;
		a->wrote = true;
		a->rate = env.set_memprofilerate;
		wlog("WROTE runtime.MemProfileRate = %ld in pid %d (was %ld; "
		     "--set-memprofilerate); it is restored when gopry exits", a->rate,
		     a->t->pid, rate);
		return;
	}
	if (rate == 0) {
		const char *why = a->have_disabled && a->disabled_by_linker
					  ? "the linker disabled memory profiling: the program never "
					    "references runtime.MemProfile"
					  : "the program set it to 0, or the linker disabled memory "
					    "profiling (no reference to runtime.MemProfile)";

		wlog("memory profiling is off in pid %d: runtime.MemProfileRate is 0 (%s); no "
		     "allocation is sampled. --set-memprofilerate 524288 turns it on for the "
		     "session (writes the target's memory)", a->t->pid, why);
		if (a->json) {
			struct json j;

			json__begin(&j, stdout);
			json__str(&j, "type", "warning");
			json__str(&j, "message", "memory profiling disabled: MemProfileRate is 0");
			json__bool(&j, "disabled_by_linker", a->have_disabled && a->disabled_by_linker);
			json__end(&j);
		}
	}
}

static int allocs_start(void **state, const struct collector_ctx *ctx)
{
	struct allocs *a = calloc(1, sizeof(*a));
	__u64 addr;

	if (!a)
		return -ENOMEM;
	a->gb = ctx->gb;
	a->t = ctx->target;
	a->json = ctx->json;
	a->rate = -1;
	a->start_ns = mono_ns();
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		a->start_wall_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	if (!allocs__memprofilerate_addr(a->gb, &addr))
		a->rate_link = addr;
	/* A launched target has not exec'd yet: its mappings are not the binary's. */
	if (!a->t->launched && !target__load_bias(a->t, a->gb, &a->bias))
		a->have_bias = true;
	a->have_disabled = !allocs__profiling_disabled(a->gb, &a->disabled_by_linker);
	if (a->have_disabled && a->disabled_by_linker && env.set_memprofilerate <= 0)
		wlog("%s never references runtime.MemProfile: the linker disabled memory "
		     "profiling and MemProfileRate will be 0", a->t->name);
	/* A launched target has not run schedinit yet: look at the first tick. */
	if (!a->t->launched)
		check_rate(a);
	*state = a;
	return 0;
}

static __u64 hash_bucket(const __u64 *ips, __u32 n, __u64 size)
{
	__u64 h = (0xcbf29ce484222325ULL ^ size) * 0x100000001b3ULL;

	for (__u32 i = 0; i < n; i++)
		h = (h ^ ips[i]) * 0x100000001b3ULL;
	return h;
}

static int grow_slots(struct allocs *a)
{
	size_t cap = a->capslot ? a->capslot * 2 : 1024;
	__u32 *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < a->capslot; i++) {
		size_t j;

		if (!a->slot[i])
			continue;
		for (j = a->st[a->slot[i] - 1].hash & (cap - 1); ns[j]; j = (j + 1) & (cap - 1))
			;
		ns[j] = a->slot[i];
	}
	free(a->slot);
	a->slot = ns;
	a->capslot = cap;
	return 0;
}

static void add_stack(struct allocs *a, const __u64 *ips, __u32 n, bool truncated, __u64 size)
{
	__u64 h = hash_bucket(ips, n, size);
	struct stack_ent *e;
	size_t j;

	if ((a->nst + 1) * 2 > a->capslot && grow_slots(a))
		return;
	for (j = h & (a->capslot - 1); a->slot[j]; j = (j + 1) & (a->capslot - 1)) {
		e = &a->st[a->slot[j] - 1];
		if (e->hash == h && e->size == size && e->n == n &&
		    !memcmp(e->ips, ips, n * sizeof(*ips)))
			goto found;
	}
	if (a->nst == a->capst) {
		size_t cap = a->capst ? a->capst * 2 : 256;
		struct stack_ent *nv = realloc(a->st, cap * sizeof(*nv));

		if (!nv)
			return;
		a->st = nv;
		a->capst = cap;
	}
	e = &a->st[a->nst];
	memset(e, 0, sizeof(*e));
	e->ips = malloc(n * sizeof(*ips) + 1);
	if (!e->ips)
		return;
	memcpy(e->ips, ips, n * sizeof(*ips));
	e->hash = h;
	e->n = n;
	e->size = size;
	e->truncated = truncated;
	a->slot[j] = ++a->nst;
found:
	e->count++;
	e->bytes += size;
}

static void allocs_event(void *state, const struct gopry_event_probe *ev, const struct probe *p)
{
	const struct gopry_event_probe_stack *sev = (const void *)ev;
	struct allocs *a = state;
	__u32 n;

	if (p->role != PR_ALLOC_SAMPLE)
		return;
	if (!a->have_bias) {
		/* As the BPF side does: where it fired minus where it was linked. */
		a->bias = ev->regs[GR_IP] - p->vaddr;
		a->have_bias = true;
	}
	a->samples++;
	a->sampled_bytes += ev->regs[GR_RCX];
	if (ev->type != EV_PROBE_STACK) {
		a->no_stack++;
		return;
	}
	n = sev->nframes < GOPRY_MAX_STACK ? sev->nframes : GOPRY_MAX_STACK;
	add_stack(a, sev->ips, n, sev->truncated, ev->regs[GR_RCX]);
}

static void allocs_tick(void *state, __u64 now_ns)
{
	struct allocs *a = state;

	(void)now_ns;
	check_rate(a);
}

static int cmp_site(const void *x, const void *y)
{
	const struct site *a = x, *b = y;

	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

/* Most logical frames of one stack: inlining multiplies the physical ones. */
#define MAX_LOGICAL (GOPRY_MAX_STACK * 4)

/*
 * Logical frames of one stack, leaf first, into f[MAX_LOGICAL]; nl[i] is how
 * many of them physical frame i (e->ips[i]) expands to. Returns the number of
 * physical frames kept (fewer when MAX_LOGICAL ran out).
 */
static __u32 symbolize_stack(struct allocs *a, const struct stack_ent *e, struct alloc_frame *f,
			     __u8 *nl, size_t *nlogical)
{
	size_t at = 0;
	__u32 i;

	for (i = 0; i < e->n && at < MAX_LOGICAL; i++) {
		nl[i] = allocs__symbolize_inl(a->gb, a->bias, e->ips[i], i > 0, f + at,
					      MAX_LOGICAL - at);
		at += nl[i];
	}
	*nlogical = at;
	return i;
}

static int write_outputs(struct allocs *a, double secs, struct site **sites_out,
			 size_t *nsites_out)
{
	static const char *const types[][2] = { { "alloc_objects", "count" },
						{ "alloc_space", "bytes" } };
	struct pprof *pp = NULL;
	FILE *folded = NULL;
	struct site *sites = NULL;
	size_t nsites = 0;
	long rate = a->rate > 0 ? a->rate : DEFAULT_MEMPROFILERATE;
	int err = 0;

	if (env.allocs_profile) {
		err = pprof__new(types, 2, "space", "bytes", rate, &pp);
		if (err)
			return err;
		if (gobin__func_count(a->gb)) {
			const struct gofunc *lo = gobin__func(a->gb, 0);
			const struct gofunc *hi = gobin__func(a->gb, gobin__func_count(a->gb) - 1);

			pprof__set_mapping(pp, lo->entry + a->bias, hi->end + a->bias, 0,
					   gobin__path(a->gb), "");
		}
		pprof__set_time(pp, a->start_wall_ns, (__s64)(secs * 1e9));
	}
	if (env.allocs_folded) {
		folded = fopen(env.allocs_folded, "we");
		if (!folded) {
			err = -errno;
			elog("cannot write %s: %s", env.allocs_folded, strerror(errno));
			goto out;
		}
	}
	sites = calloc(a->nst + 1, sizeof(*sites));
	if (!sites) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < a->nst; i++) {
		const struct stack_ent *e = &a->st[i];
		struct alloc_frame f[MAX_LOGICAL];
		struct pprof_frame pf[MAX_LOGICAL];
		__u8 nl[GOPRY_MAX_STACK];
		size_t first, k, n, nlog, phys0 = 0, log0 = 0, off = 0;
		__u32 nphys = symbolize_stack(a, e, f, nl, &nlog);
		double objs, bytes;

		if (!nphys)
			continue;
		/*
		 * Hide the allocator as Go's heap profiles do: drop leading physical
		 * frames that are all runtime, then take the innermost logical frame
		 * outside the runtime as the site (the line in an inlined helper).
		 */
		for (__u32 p = 0; p < nphys; off += nl[p], p++) {
			if (strncmp(f[off + nl[p] - 1].func, "runtime.", 8)) {
				phys0 = p;
				log0 = off;
				break;
			}
		}
		first = log0 + allocs__first_user_frame(f + log0, nl[phys0]);
		n = nlog - first;
		allocs__scale(e->count, e->bytes, rate, &objs, &bytes);
		for (k = 0; k < nsites; k++)
			if (sites[k].f.func == f[first].func && sites[k].f.line == f[first].line &&
			    (sites[k].f.file == f[first].file ||
			     (sites[k].f.file && f[first].file &&
			      !strcmp(sites[k].f.file, f[first].file))))
				break;
		if (k == nsites)
			sites[nsites++].f = f[first];
		sites[k].objects += objs;
		sites[k].bytes += bytes;
		sites[k].samples += e->count;
		if (pp) {
			__s64 v[2] = { llround(objs), llround(bytes) };
			/* As runtime/pprof labels each record (go1.27.3 protomem.go:57). */
			const struct pprof_label size_label = { .key = "bytes", .num = e->size };

			size_t at = 0;

			/* One location per physical frame, with its inlined lines. */
			for (__u32 p = phys0; p < nphys; p++) {
				for (__u8 l = 0; l < nl[p]; l++, at++) {
					pf[at].pc = e->ips[p];
					pf[at].func = f[log0 + at].func;
					pf[at].file = f[log0 + at].file;
					pf[at].line = f[log0 + at].line;
				}
			}
			if (!err)
				err = pprof__add_sample_inl(pp, pf, nl + phys0, nphys - phys0, v,
							    &size_label, 1);
		}
		if (folded) {
			for (k = n; k-- > 0;)
				fprintf(folded, "%s%s", f[first + k].func, k ? ";" : "");
			fprintf(folded, " %lld\n", llround(bytes));
		}
	}
	if (pp && !err) {
		err = pprof__write(pp, env.allocs_profile);
		if (err)
			elog("cannot write %s: %s", env.allocs_profile, strerror(-err));
	}
	qsort(sites, nsites, sizeof(*sites), cmp_site);
	*sites_out = sites;
	*nsites_out = nsites;
	sites = NULL;
out:
	free(sites);
	if (folded && fclose(folded) && !err)
		err = -EIO;
	pprof__free(pp);
	return err;
}

static void print_top(struct allocs *a, const struct site *sites, size_t nsites, double secs,
		      const struct escape_db *esc)
{
	double total = 0;
	size_t n = nsites < TOP_N ? nsites : TOP_N;

	for (size_t i = 0; i < nsites; i++)
		total += sites[i].bytes;
	if (secs <= 0)
		secs = 1e-9;
	if (!a->json) {
		printf("allocation sites: %llu samples (MemProfileRate %ld), ~%.1f MB allocated, "
		       "%.1f MB/s\n", (unsigned long long)a->samples, a->rate, total / 1e6,
		       total / 1e6 / secs);
		if (n)
			printf("  %9s %6s %10s  %-40s %s\n", "MB/s", "share", "objects/s", "site",
			       "function");
	}
	for (size_t i = 0; i < n; i++) {
		const struct site *s = &sites[i];
		const char *reason = esc ? escape__at(esc, s->f.file, s->f.line) : NULL;
		char loc[PATH_MAX + 16];

		snprintf(loc, sizeof(loc), "%s:%d", s->f.file[0] ? s->f.file : "?", s->f.line);
		if (a->json) {
			struct json j;

			json__begin(&j, stdout);
			json__str(&j, "type", "alloc_site");
			json__u64(&j, "rank", i + 1);
			json__str(&j, "func", s->f.func);
			json__str(&j, "file", s->f.file);
			json__s64(&j, "line", s->f.line);
			json__f64(&j, "bytes", s->bytes);
			json__f64(&j, "objects", s->objects);
			json__f64(&j, "bytes_per_sec", s->bytes / secs);
			json__f64(&j, "share", total > 0 ? s->bytes / total : 0);
			json__u64(&j, "samples", s->samples);
			if (esc) {
				if (reason)
					json__str(&j, "escape", reason);
				else
					json__null(&j, "escape");
			}
			json__end(&j);
			continue;
		}
		printf("  %9.2f %5.1f%% %10.0f  %-40s %s\n", s->bytes / 1e6 / secs,
		       total > 0 ? 100 * s->bytes / total : 0, s->objects / secs, loc, s->f.func);
		if (esc)
			printf("  %9s %6s %10s  escape: %s\n", "", "", "",
			       reason ? reason : "no escape diagnostic at this line (the compiler "
						 "gave no reason; e.g. an allocation in a callee)");
	}
}

static void allocs_finish(void *state, __u64 now_ns)
{
	struct allocs *a = state;
	struct escape_db *esc = NULL;
	struct site *sites = NULL;
	size_t nsites = 0;
	double secs;

	check_rate(a);
	if (a->rate_addr && !a->wrote) {
		long r;

		if (!read_rate(a, &r) && r > 0)
			a->rate = r;
	}
	restore_rate(a);
	secs = a->start_ns && now_ns > a->start_ns ? (now_ns - a->start_ns) / 1e9 : env.interval;
	if (!a->samples && a->rate == 0)
		wlog("no allocation was sampled: MemProfileRate is 0 in the target");
	if (a->no_stack)
		wlog("%llu allocation samples came without a stack",
		     (unsigned long long)a->no_stack);
	/* A profile that cannot be written still leaves the sites to print (and free). */
	if (write_outputs(a, secs, &sites, &nsites) && !sites)
		return;
	if (env.src_dir) {
		int err = escape__load(env.src_dir, gobin__go_version(a->gb), &esc);

		if (err)
			wlog("--src %s: no escape analysis (%s)", env.src_dir,
			     err == -ENOENT ? "no go command found" : strerror(-err));
		else
			vlog("escape analysis: %s", escape__go_cmd(esc));
	}
	print_top(a, sites, nsites, secs, esc);
	escape__free(esc);
	free(sites);
}

static void allocs_free(void *state)
{
	struct allocs *a = state;

	if (!a)
		return;
	/* An error path that skipped finish still gives the target its rate back. */
	restore_rate(a);
	for (size_t i = 0; i < a->nst; i++)
		free(a->st[i].ips);
	free(a->st);
	free(a->slot);
	free(a);
}

const struct collector_ops allocs_collector_ops = {
	.name = "allocs",
	.enabled = allocs_enabled,
	.plan = allocs_plan,
	.start = allocs_start,
	.event = allocs_event,
	.tick = allocs_tick,
	.finish = allocs_finish,
	.free = allocs_free,
};
