// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "events.h"
#include "gopry.skel.h"
#include "decode.h"
#include "gobin.h"
#include "json.h"
#include "log.h"
#include "probes.h"

/* No runtime function gopry probes comes near this; a larger one is suspect. */
#define MAX_FUNC_BYTES (256 * 1024)

static const char *const role_names[PR__COUNT] = {
	[PR_GC_START_TRANS] = "gc-transition-start",
	[PR_GC_FINISH_TRANS] = "gc-transition-finish",
	[PR_STW_STOP] = "stw-stop",
	[PR_STW_START] = "stw-start",
	[PR_STW_START_RET] = "stw-start-return",
	[PR_STW_REASON] = "stw-reason",
	[PR_G_CREATE] = "goroutine-create",
	[PR_G_EXIT] = "goroutine-exit",
	[PR_G_PARK] = "goroutine-park",
	[PR_G_RUN] = "goroutine-run",
	[PR_HEAP_GROW] = "heap-grow",
	[PR_ALLOC_SAMPLE] = "alloc-sample",
	[PR_HEAP_STATS] = "heap-stats",
};

const char *probes__role_name(enum probe_role r)
{
	return r < PR__COUNT ? role_names[r] : "?";
}

void probes__note_unavailable(struct probe_plan *plan, const char *what)
{
	size_t len = strlen(plan->unavailable), wlen = strlen(what);

	/* Whole entries only: "runtime.m.p" is not already in "runtime.m.procid". */
	for (const char *e = plan->unavailable; *e;) {
		const char *end = strstr(e, ", ");
		size_t elen = end ? (size_t)(end - e) : strlen(e);

		if (elen == wlen && !strncmp(e, what, wlen))
			return;
		e += elen + (end ? 2 : 0);
	}
	snprintf(plan->unavailable + len, sizeof(plan->unavailable) - len, "%s%s",
		 len ? ", " : "", what);
}

static int decode_func(struct gobin *gb, const struct gofunc *fn, struct insn_list *l)
{
	size_t len = fn->end - fn->entry;
	__u8 *code;
	int err;

	if (fn->end <= fn->entry || len > MAX_FUNC_BYTES)
		return -EINVAL;
	code = malloc(len);
	if (!code)
		return -ENOMEM;
	err = gobin__read_vaddr(gb, fn->entry, code, len);
	if (!err)
		err = decode__function(code, len, fn->entry, l);
	free(code);
	return err;
}

/* 0, -E2BIG (the plan is full) or the file-offset lookup's error. */
static int add_probe_err(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
			 const struct gofunc *fn, const struct insn *in, bool after_prologue,
			 struct probe **out)
{
	struct probe *p;
	int err;

	*out = NULL;
	if (plan->n >= GOPRY_MAX_PROBES)
		return -E2BIG;
	p = &plan->v[plan->n];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->func = fn->name;
	p->func_entry = fn->entry;
	p->vaddr = in->addr;
	p->emulated = in->emulated;
	p->after_prologue = after_prologue;
	snprintf(p->insn, sizeof(p->insn), "%s", in->text);
	err = gobin__vaddr_to_offset(gb, in->addr, &p->file_off);
	if (err)
		return err;
	p->spec.vaddr = in->addr;
	plan->n++;
	*out = p;
	return 0;
}

/*
 * GOPRY_PLACEMENT=entry (test-only, for `make bench`): put entry and call-site
 * probes on the first instruction of the function, the single-stepped stack
 * check, so the benchmark can price the naive placement with the same BPF
 * program. Call-site reads then see the wrong registers: never for real use.
 */
static bool naive_placement(void)
{
	static int naive = -1;

	if (naive < 0) {
		const char *v = getenv("GOPRY_PLACEMENT");

		naive = v && !strcmp(v, "entry");
		if (naive)
			wlog("GOPRY_PLACEMENT=entry: probes on function entries (single-stepped, "
			     "benchmark only; call-site data will be wrong)");
	}
	return naive;
}

/* An entry probe: the first instruction after the stack-check prologue. */
int probes__add_entry(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
		      const char *name, struct probe **out)
{
	const struct gofunc *fn = gobin__find_func(gb, name);
	struct insn_list l = {};
	int idx, err;

	*out = NULL;
	if (!fn)
		return -ENOENT;
	err = decode_func(gb, fn, &l);
	if (err) {
		wlog("%s: cannot decode (%s); not probed", name, strerror(-err));
		return err;
	}
	idx = naive_placement() ? 0 : decode__after_prologue(&l);
	if (idx < 0 || (size_t)idx >= l.n) {
		wlog("%s: unexpected prologue; not probed", name);
		decode__free(&l);
		return -EILSEQ;
	}
	err = add_probe_err(plan, gb, role, fn, &l.v[idx], idx > 0, out);
	decode__free(&l);
	return err;
}

/*
 * Probes on every RET of a function that runs on the system stack: g0 stacks
 * never move, and a plain uprobe on a RET only reads registers.
 */
int probes__add_rets(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
		     const char *name)
{
	const struct gofunc *fn = gobin__find_func(gb, name);
	struct insn_list l = {};
	int n = 0, err;

	if (!fn)
		return -ENOENT;
	err = decode_func(gb, fn, &l);
	if (err)
		return err;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].kind != IK_RET)
			continue;
		struct probe *p;

		err = add_probe_err(plan, gb, role, fn, &l.v[i], true, &p);
		if (err) {
			decode__free(&l);
			return err;
		}
		n++;
	}
	decode__free(&l);
	return n ? 0 : -ENOENT;
}

int probes__add_call_site(struct probe_plan *plan, struct gobin *gb, enum probe_role role,
			  const char *name, const char *callee, struct probe **out)
{
	const struct gofunc *fn = gobin__find_func(gb, name);
	const struct gofunc *target = gobin__find_func(gb, callee);
	struct insn_list l = {};
	int err;

	*out = NULL;
	if (!fn || !target)
		return -ENOENT;
	err = decode_func(gb, fn, &l);
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].kind == IK_CALL && l.v[i].has_target && l.v[i].target == target->entry) {
			if (naive_placement())
				i = 0;
			err = add_probe_err(plan, gb, role, fn, &l.v[i], i > 0, out);
			/*
			 * Collectors refuse single-stepped call sites; the benchmark
			 * wants exactly that cost, so say emulated and mark it.
			 */
			if (*out && !(*out)->emulated && naive_placement()) {
				(*out)->emulated = true;
				(*out)->naive = true;
			}
			break;
		}
	}
	decode__free(&l);
	return err;
}

void probes__set_read(struct gopry_probe_spec *s, int slot, __u8 base, __u8 arg, __s64 off,
		      __u8 size)
{
	s->reads[slot].base = base;
	s->reads[slot].arg = arg;
	s->reads[slot].off = off;
	s->reads[slot].size = size;
	if ((__u32)slot + 1 > s->nreads)
		s->nreads = slot + 1;
}

/* A read of global.field, or nothing when either is unknown. */
void probes__set_global_read(struct probe_plan *plan, struct gopry_probe_spec *s, int slot,
			     enum go_global g, enum go_field f, __u8 size)
{
	const struct go_layout *lay = &plan->layout;

	if (!lay->global[g] || lay->off[f] < 0) {
		probes__note_unavailable(plan, layout__field_name(f));
		probes__set_read(s, slot, RB_NONE, 0, 0, size);
		return;
	}
	probes__set_read(s, slot, RB_ABS, 0, (__s64)(lay->global[g] + lay->off[f]), size);
}

int probes__init(struct gobin *gb, struct probe_plan *plan)
{
	int err;

	memset(plan, 0, sizeof(*plan));
	plan->go_minor = gobin__go_minor(gb);
	err = layout__resolve(gb, &plan->layout);
	if (err == -ENOTSUP) {
		probes__note_unavailable(plan, "runtime struct offsets (no DWARF and no table row)");
		err = 0;
	}
	return err;
}

static const char *handling(const struct probe *p)
{
	if (p->naive)
		return "single-stepped (GOPRY_PLACEMENT)";
	return p->emulated ? "emulated" : "single-stepped";
}

void probes__print(const struct probe_plan *plan, FILE *f)
{
	fprintf(f, "%-21s %-50s %-14s %-10s %-28s %s\n", "ROLE", "FUNCTION+OFFSET", "ADDRESS",
		"FILE-OFF", "INSTRUCTION", "HANDLING");
	for (size_t i = 0; i < plan->n; i++) {
		const struct probe *p = &plan->v[i];
		char where[160];

		snprintf(where, sizeof(where), "%s+0x%llx", p->func,
			 (unsigned long long)(p->vaddr - p->func_entry));
		fprintf(f, "%-21s %-50s 0x%-12llx 0x%-8llx %-28s %s\n", probes__role_name(p->role),
			where, (unsigned long long)p->vaddr, (unsigned long long)p->file_off,
			p->insn, handling(p));
	}
	if (plan->unavailable[0])
		fprintf(f, "unavailable in this binary: %s\n", plan->unavailable);
}

void probes__print_json(const struct probe_plan *plan, FILE *f, int pid)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct probe *p = &plan->v[i];
		struct json j;

		json__begin(&j, f);
		json__str(&j, "type", "probe");
		json__s64(&j, "pid", pid);
		json__str(&j, "role", probes__role_name(p->role));
		json__str(&j, "function", p->func);
		json__u64(&j, "offset", p->vaddr - p->func_entry);
		json__u64(&j, "address", p->vaddr);
		json__u64(&j, "file_offset", p->file_off);
		json__str(&j, "instruction", p->insn);
		json__bool(&j, "emulated", p->emulated && !p->naive);
		json__end(&j);
	}
}

/*
 * Fold the register-relative reads of one register into one block copy when
 * they lie within GOPRY_BLOCK_MAX bytes: one helper call instead of several
 * on the hot goroutine probes. The register chosen is the one with most reads.
 */
void probes__coalesce(struct gopry_probe_spec *s)
{
	int best_reg = -1, best_n = 1;

	for (int r = 0; r < GOPRY_NREGS; r++) {
		int n = 0;

		for (__u32 i = 0; i < s->nreads; i++)
			n += s->reads[i].base == RB_REG && s->reads[i].arg == r;
		if (n > best_n) {
			best_n = n;
			best_reg = r;
		}
	}
	if (best_reg < 0)
		return;

	__s64 lo = INT64_MAX, hi = INT64_MIN;

	for (__u32 i = 0; i < s->nreads; i++) {
		const struct gopry_read *rd = &s->reads[i];

		if (rd->base != RB_REG || rd->arg != best_reg)
			continue;
		if (rd->off < lo)
			lo = rd->off;
		/* Its own size, not 8: the block must not run past a mapping's end. */
		if (rd->off + rd->size > hi)
			hi = rd->off + rd->size;
	}
	if (hi - lo >= GOPRY_BLOCK_MAX)
		return;
	s->block_reg = best_reg;
	s->block_off = lo;
	s->block_len = hi - lo;
	for (__u32 i = 0; i < s->nreads; i++) {
		struct gopry_read *rd = &s->reads[i];

		if (rd->base != RB_REG || rd->arg != best_reg)
			continue;
		rd->base = RB_BLOCK;
		rd->off -= lo;
	}
}

void probes__configure(const struct probe_plan *plan, struct gopry_config *cfg)
{
	const char *prog = getenv("GOPRY_PROGRAM");

	memset(cfg, 0, sizeof(*cfg));
	cfg->nprobes = plan->n;
	if (prog && !strcmp(prog, "floor")) {
		wlog("GOPRY_PROGRAM=floor: probes fire but record nothing (benchmark only)");
		cfg->floor_only = 1;
	}
	for (size_t i = 0; i < plan->n; i++) {
		cfg->probes[i] = plan->v[i].spec;
		/* A small record has no room for more reads, nor for a stack. */
		if (cfg->probes[i].nreads > GOPRY_SMALL_READS ||
		    (cfg->probes[i].flags & GOPRY_SPEC_USER_STACK))
			cfg->probes[i].flags &= ~GOPRY_SPEC_SMALL;
		probes__coalesce(&cfg->probes[i]);
	}
}

/*
 * The kernel registers and unregisters a uprobe in the thread that makes or
 * drops its link. With a fatal signal pending there (a second Ctrl-C or
 * SIGTERM once on_signal restored the default action, SIGHUP, ...), its page
 * lookup in the target fails with -EINTR and the uprobe is leaked ("failed
 * to unregister, leaking uprobe"); when unregistering, with its int3 left in
 * the target, which then traps on every hit with nobody listening. So every
 * signal is held (threads inherit the mask) while probes go in or out; a
 * held one takes effect after. SIGKILL cannot be held.
 */
static void hold_signals(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

int probes__attach(const struct probe_plan *plan, struct gopry_bpf *skel, pid_t pid,
		   const char *path, struct bpf_link **links)
{
	sigset_t old;
	int err = 0;

	hold_signals(&old);
	for (size_t i = 0; i < plan->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = i, .retprobe = false);

		links[i] = bpf_program__attach_uprobe_opts(skel->progs.gopry_probe, pid, path,
							   plan->v[i].file_off, &opts);
		if (!links[i]) {
			err = -errno;
			elog("cannot attach uprobe to %s at 0x%llx (%s): %s", plan->v[i].func,
			     (unsigned long long)plan->v[i].vaddr, probes__role_name(plan->v[i].role),
			     strerror(-err));
			probes__detach(links, i);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void probes__detach(struct bpf_link **links, size_t n)
{
	pthread_t th[GOPRY_MAX_PROBES];
	bool started[GOPRY_MAX_PROBES] = {};
	sigset_t old;

	hold_signals(&old);
	/*
	 * Each uprobe unregistration waits out an RCU grace period (~0.2 s
	 * here); done one after another, Ctrl-C took seconds. In parallel the
	 * waits overlap. A link whose thread cannot start is destroyed inline.
	 */
	for (size_t i = 0; i < n && i < GOPRY_MAX_PROBES; i++) {
		if (!links[i])
			continue;
		started[i] = !pthread_create(&th[i], NULL, destroy_link, links[i]);
		if (!started[i])
			bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
	for (size_t i = 0; i < n && i < GOPRY_MAX_PROBES; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
