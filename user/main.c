// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gopry: attach to a live Go process from the outside and report every GC
 * cycle and stop-the-world pause, as Go itself counts them.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "events.h"
#include "gopry.skel.h"
#include "collector.h"
#include "env.h"
#include "allocs.h"
#include "gc.h"
#include "gobin.h"
#include "heap.h"
#include "goroutines.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "pcpu.h"
#include "probes.h"
#include "target.h"

#define GOPRY_VERSION "0.1.0"
#define MIN_GO_MINOR 19
/*
 * The ring buffer (16 MiB, ~72k records) absorbs a burst from idle of up to
 * ~1.4M events/s between two 50 ms drains, and each CPU's ring of goroutine
 * records (user/pcpu.c: 65536 on small machines) as many from that CPU
 * alone; each idle wakeup costs ~0.1 ms of CPU on this VM.
 */
#define DRAIN_INTERVAL_MS 50
/* While the ring fills faster than an eighth of it per drain, drain this often. */
#define DRAIN_BUSY_MS 5
/* Drop counters, ticks, the deadline and the target's liveness: this often. */
#define CHECK_INTERVAL_MS 100
#define RINGBUF_BYTES (16u << 20)

/* Exit codes: distinct per failure class so scripts can tell them apart. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NO_PROCESS = 3,
	EXIT_NOT_GO = 4,
	EXIT_GO_VERSION = 5,
	EXIT_PRIVILEGE = 6,
	EXIT_KERNEL = 7,
	EXIT_UNREADABLE = 8,
};

struct env env = { .interval = 1.0, .set_memprofilerate = -1, .leak_min_age = 0.5 };

/* Every collector gopry has; GC/STW first (its plan failing is fatal). */
static const struct collector_ops *const collectors[] = {
	&gc_collector_ops,
	&goroutines_collector_ops,
	&allocs_collector_ops,
	&heap_collector_ops,
};
#define NCOLLECTORS (sizeof(collectors) / sizeof(collectors[0]))

static volatile sig_atomic_t exiting;

static const char usage_text[] =
	"Usage: gopry [OPTIONS] -p PID\n"
	"       gopry [OPTIONS] -- CMD [ARGS...]\n"
	"\n"
	"Attach to a running Go program (or start one under trace) and report every\n"
	"GC cycle and stop-the-world pause as the Go runtime itself counts them, and\n"
	"its goroutines by creation site.\n"
	"No change to, restart of, or cooperation from the program is needed.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID        trace the running process PID\n"
	"  -d, --duration SECS  stop after SECS seconds (default: until Ctrl-C or exit)\n"
	"  -i, --interval SECS  seconds between periodic reports (default 1)\n"
	"  -j, --json           JSON Lines on stdout instead of text\n"
	"      --dry-run        print the probe plan (function, address, file offset,\n"
	"                       instruction) and exit without loading BPF\n"
	"      --goroutines     goroutines by creation site (alive, created, exited,\n"
	"                       lifetimes, wait states): the table every interval, not\n"
	"                       only at the end (collected by default; text output\n"
	"                       otherwise prints one count line per interval)\n"
	"      --no-goroutines  no goroutine probes (two traps per goroutine, ~2.3 us\n"
	"                       measured; see PERFORMANCE in the README): GC/STW only\n"
	"      --leaks          rank creation sites that leak goroutines, every\n"
	"                       interval and at the end\n"
	"      --leak-min-age SECS  a goroutine parked this long (across two walks) counts\n"
	"                       as stuck for --leaks (default 0.5)\n"
	"      --waits          park reasons and times per creation site (probes\n"
	"                       gopark and execute: hot, costs per park); the table\n"
	"                       every interval, as --goroutines\n"
	"      --goroutine-profile FILE\n"
	"                       at the end, write alive goroutines by creation site and\n"
	"                       wait reason as a pprof profile (go tool pprof FILE)\n"
	"      --heap           heap timeline: live, goal, in use, released, mapped,\n"
	"                       alloc/free rates and RSS per GC and every interval;\n"
	"                       OS growth events ((*mheap).grow) with their stack\n"
	"      --allocs FILE    sampled allocation sites (Go's own MemProfileRate\n"
	"                       sampling) as a pprof profile; a top-N table at the end\n"
	"      --allocs-folded FILE  the same as folded stacks (flamegraph.pl)\n"
	"      --src DIR        annotate the top sites with the compiler's escape\n"
	"                       analysis (go build -gcflags=-m=2 in module DIR)\n"
	"      --set-memprofilerate N  opt-in: WRITE runtime.MemProfileRate = N in the\n"
	"                       target for the session (restored on exit); needed when\n"
	"                       the linker disabled memory profiling\n"
	"  -v, --verbose        more diagnostics on stderr (-vv: libbpf debug output)\n"
	"  -V, --version        print the version and exit\n"
	"  -h, --help           this help\n"
	"\n"
	"Examples:\n"
	"  sudo gopry -p 4242               # Ctrl-C prints a summary\n"
	"  sudo gopry -d 30 -j -p 4242      # 30 s of JSON Lines, then exit\n"
	"  sudo gopry -- ./myserver --flag  # trace a program from its first instruction\n"
	"  gopry --dry-run -p 4242          # where the probes would go\n"
	"  sudo gopry -p 4242 --goroutines --leaks -i 5   # goroutines by site, leak suspects\n"
	"  sudo gopry -p 4242 --no-goroutines             # GC and STW pauses only\n"
	"  sudo gopry -p 4242 -d 30 --allocs a.pb.gz      # then: go tool pprof -top a.pb.gz\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 usage, 3 no such process, 4 not a Go program,\n"
	"5 unsupported Go version, 6 missing privileges, 7 kernel lacks BTF or uprobes,\n"
	"8 binary unreadable or corrupt.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_args(int argc, char **argv)
{
	enum { OPT_DRY_RUN = 256, OPT_GOROUTINES, OPT_LEAKS, OPT_WAITS, OPT_GPROFILE, OPT_LEAK_AGE,
	       OPT_NO_GOROUTINES };
	enum { OPT_HEAP = 300, OPT_ALLOCS, OPT_ALLOCS_FOLDED, OPT_SRC, OPT_SET_MPR };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "goroutines", no_argument, NULL, OPT_GOROUTINES },
		{ "no-goroutines", no_argument, NULL, OPT_NO_GOROUTINES },
		{ "leaks", no_argument, NULL, OPT_LEAKS },
		{ "waits", no_argument, NULL, OPT_WAITS },
		{ "leak-min-age", required_argument, NULL, OPT_LEAK_AGE },
		{ "goroutine-profile", required_argument, NULL, OPT_GPROFILE },
		{ "heap", no_argument, NULL, OPT_HEAP },
		{ "allocs", required_argument, NULL, OPT_ALLOCS },
		{ "allocs-folded", required_argument, NULL, OPT_ALLOCS_FOLDED },
		{ "src", required_argument, NULL, OPT_SRC },
		{ "set-memprofilerate", required_argument, NULL, OPT_SET_MPR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool leak_age = false;
	char *end;
	long pid_arg;
	int c;

	/* getopt's own messages would not start with "gopry: ". */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:d:i:jvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			pid_arg = strtol(optarg, &end, 10);
			env.pid = pid_arg;
			if (errno || *end || pid_arg <= 0 || pid_arg > INT_MAX) {
				elog("invalid PID: %s", optarg);
				return -EINVAL;
			}
			break;
		case 'd':
			errno = 0;
			env.duration = strtod(optarg, &end);
			/* Also refuses nan and inf, and what would overflow nanoseconds. */
			if (errno || *end || !(env.duration > 0 && env.duration <= 1e9)) {
				elog("invalid duration: %s", optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			errno = 0;
			env.interval = strtod(optarg, &end);
			if (errno || *end || !(env.interval >= 0.1 && env.interval <= 86400)) {
				elog("invalid interval: %s (seconds, 0.1 to 86400)", optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			env.json = true;
			break;
		case OPT_DRY_RUN:
			env.dry_run = true;
			break;
		case OPT_GOROUTINES:
			env.goroutines = true;
			break;
		case OPT_NO_GOROUTINES:
			env.no_goroutines = true;
			break;
		case OPT_LEAKS:
			env.leaks = true;
			break;
		case OPT_WAITS:
			env.waits = true;
			break;
		case OPT_LEAK_AGE:
			leak_age = true;
			errno = 0;
			env.leak_min_age = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(env.leak_min_age >= 0) ||
			    env.leak_min_age > 1e9) {
				elog("invalid --leak-min-age: %s (seconds, >= 0)", optarg);
				return -EINVAL;
			}
			break;
		case OPT_GPROFILE:
			env.goroutine_profile = optarg;
			break;
		case OPT_HEAP:
			env.heap = true;
			break;
		case OPT_ALLOCS:
			env.allocs_profile = optarg;
			break;
		case OPT_ALLOCS_FOLDED:
			env.allocs_folded = optarg;
			break;
		case OPT_SRC:
			env.src_dir = optarg;
			break;
		case OPT_SET_MPR:
			errno = 0;
			env.set_memprofilerate = strtol(optarg, &end, 10);
			if (errno || *end || env.set_memprofilerate <= 0 ||
			    env.set_memprofilerate > INT_MAX) {
				elog("invalid --set-memprofilerate: %s (bytes, > 0)", optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'V':
			printf("gopry %s\n", GOPRY_VERSION);
			exit(EXIT_OK);
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			elog("option %s needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				elog("unknown option -%c", optopt);
			else
				elog("unknown option %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (env.no_goroutines &&
	    (env.goroutines || env.leaks || env.waits || env.goroutine_profile || leak_age)) {
		elog("--no-goroutines contradicts --goroutines, --leaks, --leak-min-age, --waits "
		     "and --goroutine-profile");
		return -EINVAL;
	}
	if (optind < argc)
		env.cmd = &argv[optind];
	if (!env.pid == !env.cmd) {
		elog(env.pid ? "give either -p PID or -- CMD, not both"
			     : "no target: give -p PID or -- CMD [ARGS...]");
		return -EINVAL;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_verbosity < 2)
		return 0;
	if (level == LIBBPF_INFO && log_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	exiting = 1;
	/*
	 * A second Ctrl-C kills gopry outright, though never while probes go
	 * in or out (probes.c holds signals then: a fatal one pending leaks
	 * the uprobe). Killed between, gopry's exit drops the links with no
	 * signal pending and the kernel detaches the probes.
	 */
	signal(sig, SIG_DFL);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A fatal error: on stderr, and as a record in JSON mode. */
static struct output *out;
static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	elog("%s", msg);
	if (out)
		output__error(out, msg);
	return code;
}

static bool has_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
#define HAS(cap) (data[(cap) / 32].effective & (1u << ((cap) % 32)))
	/*
	 * Only what every kernel needs: CAP_SYS_ADMIN stands in for CAP_BPF and
	 * CAP_PERFMON. Whether uprobes also need CAP_SYS_ADMIN depends on the
	 * kernel (the CVE-2025-38466 fix); its refusal is reported as exit 6 too.
	 */
	return (HAS(CAP_BPF) || HAS(CAP_SYS_ADMIN)) && (HAS(CAP_PERFMON) || HAS(CAP_SYS_ADMIN));
#undef HAS
}

static const char privilege_msg[] =
	"missing privilege: tracing needs root or CAP_SYS_ADMIN (CAP_BPF and CAP_PERFMON "
	"suffice for uprobes only on kernels without the CVE-2025-38466 fix), plus "
	"CAP_SYS_PTRACE for another user's process";

struct run_ctx {
	const struct probe_plan *plan;
	void *state[NCOLLECTORS];
	/* Which collector planned each probe. */
	unsigned char owner[GOPRY_MAX_PROBES];
	__u64 received;
};

static int handle_event(void *ctx, void *data, size_t size)
{
	struct run_ctx *rc = ctx;
	const struct gopry_event_probe *ev = data;
	struct gopry_event_probe full;
	const struct collector_ops *c;

	if (size >= sizeof(struct gopry_event_small) && ev->type == EV_PROBE_SMALL) {
		const struct gopry_event_small *sm = data;

		/* Collectors see one record type; a small one has no registers but IP. */
		memset(&full, 0, sizeof(full));
		full.type = EV_PROBE;
		full.probe = sm->probe;
		full.ts = sm->ts;
		full.read_ok = sm->read_ok;
		full.regs[GR_IP] = sm->ip;
		memcpy(full.reads, sm->reads, sizeof(sm->reads));
		ev = &full;
	} else if (size < sizeof(*ev) ||
		   (ev->type != EV_PROBE && (ev->type != EV_PROBE_STACK ||
					     size < sizeof(struct gopry_event_probe_stack)))) {
		/* A stack record starts with the probe record; the collector reads on. */
		return 0;
	}
	if (ev->probe >= rc->plan->n)
		return 0;
	rc->received++;
	c = collectors[rc->owner[ev->probe]];
	if (c->event && rc->state[rc->owner[ev->probe]])
		c->event(rc->state[rc->owner[ev->probe]], ev, &rc->plan->v[ev->probe]);
	return 0;
}

/* Collectors whose planning failed: their probes were taken out of the plan. */
static bool collector_failed[NCOLLECTORS];

static bool collector_on(size_t i)
{
	return !collector_failed[i] && (!collectors[i]->enabled || collectors[i]->enabled());
}

static void read_stats(struct gopry_bpf *skel, __u64 *sent, __u64 *dropped)
{
	/* Read ten times a second: one buffer for the process's life. */
	static struct gopry_stats *st;
	static int ncpu;
	__u32 zero = 0;

	*sent = *dropped = 0;
	if (!st) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0)
			return;
		st = calloc(ncpu, sizeof(*st));
		if (!st)
			return;
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &zero, st)) {
		for (int i = 0; i < ncpu; i++) {
			*sent += st[i].sent;
			*dropped += st[i].dropped;
		}
	}
}

/* GOGC and GOMEMLIMIT as the live process has them now. */
static void read_gc_settings(const struct target *t, struct gobin *gb,
			     const struct go_layout *lay)
{
	__u64 base = lay->global[GG_GCCONTROLLER], bias;
	__s32 gogc;
	__s64 limit;

	if (!base || lay->off[GF_GCC_GCPERCENT] < 0 || lay->off[GF_GCC_MEMORYLIMIT] < 0)
		return;
	if (target__load_bias(t, gb, &bias))
		return;
	if (target__read(t, base + bias + lay->off[GF_GCC_GCPERCENT], &gogc, sizeof(gogc)) ||
	    target__read(t, base + bias + lay->off[GF_GCC_MEMORYLIMIT], &limit, sizeof(limit)))
		return;
	output__set_gc_settings(out, gogc, limit);
}

static int newest_table_minor(void)
{
	int m = 0;

	for (size_t i = 0; i < layout__table_rows; i++)
		if (layout__table[i].minor > m)
			m = layout__table[i].minor;
	return m;
}

static int open_binary(struct target *t, struct gobin **gb)
{
	char magic[4] = {};
	FILE *f;
	int err;

	f = fopen(t->path, "re");
	if (!f) {
		err = errno;
		if (err == EACCES || err == EPERM)
			return fail(EXIT_PRIVILEGE, "cannot read %s: %s (%s)", t->name, strerror(err),
				    privilege_msg);
		return fail(EXIT_UNREADABLE, "cannot read %s: %s", t->name, strerror(err));
	}
	if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "\177ELF", 4)) {
		fclose(f);
		return fail(EXIT_NOT_GO, "%s: not a Go program (not an ELF executable)", t->name);
	}
	fclose(f);
	err = gobin__open(t->path, gb);
	switch (err) {
	case 0:
		break;
	case -EMEDIUMTYPE:
		return fail(EXIT_NOT_GO, "%s: not a Go program (no Go build info or pclntab)",
			    t->name);
	case -EPROTONOSUPPORT:
		return fail(EXIT_GO_VERSION, "%s: built with a Go older than 1.18; gopry supports "
				 "Go 1.19 and later", t->name);
	case -ENOEXEC:
		return fail(EXIT_UNREADABLE, "cannot read %s: truncated or corrupt ELF file",
			    t->name);
	default:
		return fail(EXIT_UNREADABLE, "cannot read %s: %s", t->name, strerror(-err));
	}
	if (gobin__go_minor(*gb) < MIN_GO_MINOR)
		return fail(EXIT_GO_VERSION, "%s: built with %s; gopry supports Go 1.19 and later",
			    t->name, gobin__go_version(*gb));
	return 0;
}

static int check_kernel(void)
{
	/*
	 * GOPRY_SYSFS (tests only) stands in for /sys, so that the messages
	 * for a kernel without BTF or uprobes can be checked on one that has them.
	 */
	const char *sys = getenv("GOPRY_SYSFS") ?: "/sys";
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/kernel/btf/vmlinux", sys);
	if (access(path, R_OK))
		return fail(EXIT_KERNEL, "this kernel has no BTF (%s): gopry needs "
				 "CONFIG_DEBUG_INFO_BTF=y", path);
	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/type", sys);
	if (access(path, R_OK))
		return fail(EXIT_KERNEL, "this kernel has no uprobe PMU (%s): gopry needs "
				 "CONFIG_UPROBE_EVENTS=y", path);
	return 0;
}

static int trace(struct target *t, struct gobin *gb, struct probe_plan *plan,
		 const unsigned char *owner)
{
	struct bpf_link *links[GOPRY_MAX_PROBES] = {};
	struct run_ctx rc = { .plan = plan };
	struct collector_ctx cctx = { gb, plan, t, out, env.json, t->pid };
	struct ring_buffer *rb = NULL;
	struct pcpu *pc = NULL;
	struct gopry_bpf *skel;
	struct gopry_config *cfg;
	int ncpu, any_small = 0;
	__u32 pcpu_recs;
	long nsmall;
	__u64 sent = 0, dropped = 0, last_dropped = 0, start, deadline = 0, next_tick;
	__u64 next_check = 0;
	bool execd = false, busy = false;
	int err, code = EXIT_OK;

	memcpy(rc.owner, owner, sizeof(rc.owner));
	skel = gopry_bpf__open();
	if (!skel)
		return fail(EXIT_FAIL, "cannot open BPF object: %s", strerror(errno));
	cfg = (struct gopry_config *)&skel->rodata->cfg;
	probes__configure(plan, cfg);
	bpf_map__set_max_entries(skel->maps.events, RINGBUF_BYTES);
	for (__u32 i = 0; i < cfg->nprobes; i++)
		any_small |= !!(cfg->probes[i].flags & GOPRY_SPEC_SMALL);
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		code = fail(EXIT_FAIL, "cannot count the CPUs: %s", strerror(-ncpu));
		goto out_destroy_skel;
	}
	pcpu_recs = pcpu__records_per_cpu(ncpu, any_small);
	cfg->pcpu_mask = pcpu_recs - 1;
	err = pcpu__size_map(skel->maps.small_rings, ncpu, pcpu_recs);
	if (err) {
		code = fail(EXIT_FAIL, "cannot size the per-CPU rings: %s", strerror(-err));
		goto out_destroy_skel;
	}
	err = gopry_bpf__load(skel);
	if (err) {
		/* EACCES is the verifier's refusal; EPERM is a missing capability. */
		if (err == -EPERM)
			code = fail(EXIT_PRIVILEGE, "cannot load BPF programs: %s (%s)",
				    strerror(-err), privilege_msg);
		else
			code = fail(EXIT_FAIL, "cannot load BPF programs: %s", strerror(-err));
		goto out_destroy_skel;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, &rc, NULL);
	if (!rb) {
		code = fail(EXIT_FAIL, "cannot set up the ring buffer: %s", strerror(errno));
		goto out_destroy_skel;
	}
	err = pcpu__open(bpf_map__fd(skel->maps.small_rings), ncpu, pcpu_recs, &pc);
	if (err) {
		code = fail(EXIT_FAIL, "cannot map the per-CPU rings: %s", strerror(-err));
		goto out_free_rb;
	}
	err = probes__attach(plan, skel, t->pid, t->path, links);
	if (err) {
		code = err == -EPERM || err == -EACCES
			       ? fail(EXIT_PRIVILEGE, "cannot attach uprobes: %s (%s)",
				      strerror(-err), privilege_msg)
			       : fail(EXIT_FAIL, "cannot attach uprobes: %s", strerror(-err));
		goto out_free_pcpu;
	}
	for (size_t i = 0; i < NCOLLECTORS; i++) {
		if (!collector_on(i) || !collectors[i]->start)
			continue;
		err = collectors[i]->start(&rc.state[i], &cctx);
		if (err) {
			code = fail(EXIT_FAIL, "cannot start the %s collector: %s", collectors[i]->name,
				    strerror(-err));
			goto out_free_collectors;
		}
	}
	start = now_ns();
	next_tick = start + (__u64)(env.interval * 1e9);
	if (env.duration > 0)
		deadline = start + (__u64)(env.duration * 1e9);
	output__attach(out, plan->n, start);
	ilog("attached to pid %d (%s, %s): %zu probes%s", t->pid, t->name,
	     gobin__go_version(gb), plan->n, env.json ? "" : "; Ctrl-C to stop");
	if (t->launched) {
		err = target__release(t);
		if (err) {
			code = fail(EXIT_FAIL, "cannot start %s: %s", t->name, strerror(-err));
			goto out_free_collectors;
		}
	} else {
		read_gc_settings(t, gb, &plan->layout);
	}

	while (!exiting) {
		/*
		 * Producers never wake us (BPF_RB_NO_WAKEUP keeps that cost out of
		 * the target); the drain interval shrinks while the ring fills fast.
		 */
		long ms = busy ? DRAIN_BUSY_MS : DRAIN_INTERVAL_MS;
		struct timespec ts = { 0, ms * 1000000L };
		int nrec;

		nanosleep(&ts, NULL);
		nrec = ring_buffer__consume(rb);
		/* The clock before the heads are read: see pcpu.h. */
		nsmall = pcpu__drain(pc, now_ns(), handle_event, &rc);
		/*
		 * Judge the rate, not this drain's count: scaled to the slow
		 * interval, or a short drain sees a fraction, drops out of busy
		 * mode and the next slow interval overflows the ring.
		 */
		busy = (nrec > 0 && (__u64)nrec * sizeof(struct gopry_event_probe) *
					    (DRAIN_INTERVAL_MS / ms) > RINGBUF_BYTES / 8) ||
		       (nsmall > 0 && (__u64)nsmall * (DRAIN_INTERVAL_MS / ms) > pcpu_recs / 8);
		/* The rest needs no more than ten looks a second: keep idle wakeups cheap. */
		if (now_ns() < next_check)
			continue;
		next_check = now_ns() + CHECK_INTERVAL_MS * 1000000ULL;
		read_stats(skel, &sent, &dropped);
		if (dropped != last_dropped) {
			char msg[128];

			snprintf(msg, sizeof(msg), "%llu events dropped (a ring full)",
				 (unsigned long long)(dropped - last_dropped));
			wlog("%s", msg);
			output__warning(out, msg);
			last_dropped = dropped;
		}
		if (now_ns() >= next_tick) {
			for (size_t i = 0; i < NCOLLECTORS; i++)
				if (rc.state[i] && collectors[i]->tick)
					collectors[i]->tick(rc.state[i], now_ns());
			next_tick += (__u64)(env.interval * 1e9);
			/* After a stall, one tick, not a burst of the missed ones. */
			if (next_tick <= now_ns())
				next_tick = now_ns() + (__u64)(env.interval * 1e9);
		}
		if (deadline && now_ns() >= deadline)
			break;
		if (!target__alive(t, &execd)) {
			if (execd) {
				wlog("pid %d exec'd another program; stopping", t->pid);
				output__warning(out, "target exec'd another program");
			} else {
				vlog("pid %d exited", t->pid);
			}
			break;
		}
	}
	/*
	 * Detach first: a probe firing between the last drain and the stats read
	 * would count as sent but never be received. Unregistering a uprobe waits
	 * for running handlers, so afterwards sent = received + dropped exactly.
	 */
	probes__detach(links, plan->n);
	/* What the target sent before it exited is still in the rings. */
	ring_buffer__consume(rb);
	pcpu__drain(pc, ~0ULL, handle_event, &rc);
	read_stats(skel, &sent, &dropped);
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (rc.state[i] && collectors[i]->finish)
			collectors[i]->finish(rc.state[i], now_ns());
	/*
	 * The BPF side counts submitted and dropped events apart; events_sent is
	 * every event the probes produced, so that sent = received + dropped.
	 */
	output__summary(out, now_ns(), sent + dropped, rc.received, dropped);
	if (dropped)
		wlog("%llu events were dropped", (unsigned long long)dropped);

out_free_collectors:
	for (size_t i = 0; i < NCOLLECTORS; i++)
		if (rc.state[i] && collectors[i]->free)
			collectors[i]->free(rc.state[i]);
	probes__detach(links, plan->n);
out_free_pcpu:
	pcpu__free(pc);
out_free_rb:
	ring_buffer__free(rb);
out_destroy_skel:
	gopry_bpf__destroy(skel);
	return code;
}

int main(int argc, char **argv)
{
	static struct probe_plan plan;
	struct target t = { .release_fd = -1 };
	struct gobin *gb = NULL;
	static unsigned char owner[GOPRY_MAX_PROBES];
	int err, code;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);
	if (output__new(stdout, env.json, &out))
		return EXIT_FAIL;

	if (env.pid) {
		err = target__open_pid(&t, env.pid);
		if (err == -ESRCH) {
			code = fail(EXIT_NO_PROCESS, "pid %d: no such process", env.pid);
			goto out_free_output;
		}
		if (err) {
			code = fail(EXIT_PRIVILEGE, "pid %d: cannot inspect: %s (%s)", env.pid,
				    strerror(-err), privilege_msg);
			goto out_free_output;
		}
	} else {
		/* parse_args guarantees -- CMD here; the analyzer cannot see it. */
		err = target__resolve_cmd(&t, env.cmd[0]); /* NOLINT(clang-analyzer-core.NullDereference) */
		if (err) {
			code = fail(EXIT_UNREADABLE, "cannot read %s: %s", env.cmd[0],
				    strerror(-err));
			goto out_free_output;
		}
	}
	code = open_binary(&t, &gb);
	if (code)
		goto out_free_output;

	struct output_target ot = { t.pid, t.name, gobin__go_version(gb) };

	output__set_target(out, &ot);
	err = probes__init(gb, &plan);
	for (size_t i = 0; !err && i < NCOLLECTORS; i++) {
		size_t before = plan.n;

		if (!collector_on(i))
			continue;
		plan.why[0] = '\0';
		err = collectors[i]->plan(gb, &plan);
		for (size_t k = before; k < plan.n; k++)
			owner[k] = i;
		if (err && i > 0) {
			/*
			 * Half a plan would attach probes nobody interprets (or a
			 * single-stepped one the collector refused): take them out.
			 */
			wlog("%s collector unavailable: %s", collectors[i]->name,
			     plan.why[0] ? plan.why : strerror(-err));
			plan.n = before;
			collector_failed[i] = true;
			err = 0;
		}
	}
	if (err) {
		code = fail(EXIT_FAIL, "%s (%s): cannot place probes: %s", t.name,
			    gobin__go_version(gb), plan.why[0] ? plan.why : strerror(-err));
		goto out_free_gobin;
	}
	if (plan.unavailable[0]) {
		char msg[PATH_MAX + 900];
		const char *why = "";

		if (!plan.layout.table_version && !gobin__has_dwarf(gb))
			why = gobin__go_minor(gb) > newest_table_minor()
				      ? "built with a newer Go than gopry's offsets table and without "
					"DWARF; "
				      : "built with a Go gopry has no offsets table for and without "
					"DWARF; ";
		snprintf(msg, sizeof(msg), "%s (%s): %sunavailable in this binary: %s", t.name,
			 gobin__go_version(gb), why, plan.unavailable);
		wlog("%s (offsets without DWARF are known for Go %s)", msg,
		     layout__table_versions());
		output__warning(out, msg);
	}
	if (env.dry_run) {
		if (env.json) {
			/* JSON Lines only: the header is a record too. */
			struct json j;

			json__begin(&j, stdout);
			json__str(&j, "type", "plan");
			json__s64(&j, "pid", t.pid);
			json__str(&j, "path", t.name);
			json__str(&j, "go_version", gobin__go_version(gb));
			json__bool(&j, "pie", gobin__is_pie(gb));
			json__bool(&j, "symtab", gobin__has_symtab(gb));
			json__bool(&j, "dwarf", gobin__has_dwarf(gb));
			json__end(&j);
			probes__print_json(&plan, stdout, t.pid);
		} else {
			printf("probe plan for %s (%s%s%s%s):\n", t.name, gobin__go_version(gb),
			       gobin__is_pie(gb) ? ", PIE" : "",
			       gobin__has_symtab(gb) ? ", symtab" : "",
			       gobin__has_dwarf(gb) ? ", DWARF" : "");
			probes__print(&plan, stdout);
		}
		code = EXIT_OK;
		goto out_free_gobin;
	}
	if (!has_caps()) {
		code = fail(EXIT_PRIVILEGE, "%s", privilege_msg);
		goto out_free_gobin;
	}
	code = check_kernel();
	if (code)
		goto out_free_gobin;
	if (t.launched) {
		err = target__launch(&t, env.cmd);
		if (err) {
			code = fail(EXIT_FAIL, "cannot start %s: %s", t.name, strerror(-err));
			goto out_free_gobin;
		}
		ot.pid = t.pid;
		output__set_target(out, &ot);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	code = trace(&t, gb, &plan, owner);
	if (t.launched && t.release_fd >= 0)
		target__abort(&t);

out_free_gobin:
	gobin__free(gb);
out_free_output:
	output__free(out);
	return code;
}
