// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "output.h"

struct samples {
	__u64 *v;
	size_t n, cap;
};

struct output {
	FILE *f;
	bool json;
	struct output_target t;
	__u64 attach_ns;
	int nprobes;
	__u64 gc_cycles, gc_forced;
	__s64 first_cycle, last_cycle;
	struct samples stw_gc, stw_other;
	__u64 stw_gc_total, stw_other_total;
	__s64 gogc, memlimit;
	bool have_settings;
};

static void samples_add(struct samples *s, __u64 v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		__u64 *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return; /* the summary loses a sample, the stream does not */
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

__u64 output__percentile(const __u64 *sorted, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)ceil(p / 100.0 * n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* Go's itoaDiv: val/10^dec printed with dec decimals (go1.22.12 runtime/mgc.go). */
static char *itoa_div(char *out, size_t len, __u64 val, int dec)
{
	char buf[24];
	int i = sizeof(buf) - 1, idec = i - dec;

	while (val >= 10 || i >= idec) {
		buf[i--] = '0' + val % 10;
		if (i == idec)
			buf[i--] = '.';
		val /= 10;
	}
	buf[i] = '0' + val;
	snprintf(out, len, "%.*s", (int)(sizeof(buf) - i), buf + i);
	return out;
}

char *output__fmt_ns_as_ms(char *buf, size_t len, __u64 ns)
{
	__u64 x;
	int dec = 3;

	if (ns >= 10000000)
		return itoa_div(buf, len, ns / 1000000, 0);
	x = ns / 1000;
	if (x == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	while (x >= 100) {
		x /= 10;
		dec--;
	}
	return itoa_div(buf, len, x, dec);
}

int output__new(FILE *f, bool json, struct output **out)
{
	struct output *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->f = f;
	o->json = json;
	o->first_cycle = o->last_cycle = -1;
	*out = o;
	return 0;
}

void output__free(struct output *o)
{
	if (!o)
		return;
	free(o->stw_gc.v);
	free(o->stw_other.v);
	free(o);
}

void output__set_target(struct output *o, const struct output_target *t)
{
	o->t = *t;
}

void output__set_gc_settings(struct output *o, __s64 gogc, __s64 memlimit)
{
	o->gogc = gogc;
	o->memlimit = memlimit;
	o->have_settings = true;
}

void output__attach(struct output *o, int nprobes, __u64 now_ns)
{
	o->attach_ns = now_ns;
	o->nprobes = nprobes;
	if (o->json) {
		struct json j;

		json__begin(&j, o->f);
		json__str(&j, "type", "attach");
		json__s64(&j, "pid", o->t.pid);
		json__str(&j, "go_version", o->t.go_version);
		json__str(&j, "path", o->t.path);
		json__s64(&j, "probes", nprobes);
		json__u64(&j, "time_ns", now_ns);
		json__end(&j);
	}
}

static void json_s64_or_null(struct json *j, const char *k, __s64 v)
{
	if (v < 0)
		json__null(j, k);
	else
		json__s64(j, k, v);
}

void output__gc(struct output *o, const struct gc_record *r)
{
	__u64 a = r->t_mark - r->t_sweep_term, b = r->t_mark_term - r->t_mark,
	      c = r->t_end - r->t_mark_term;

	o->gc_cycles++;
	if (r->forced > 0)
		o->gc_forced++;
	if (o->first_cycle < 0)
		o->first_cycle = r->cycle;
	o->last_cycle = r->cycle;
	if (r->have_gogc)
		output__set_gc_settings(o, r->gogc, r->memlimit);

	if (o->json) {
		struct json j;

		json__begin(&j, o->f);
		json__str(&j, "type", "gc");
		json__s64(&j, "pid", o->t.pid);
		json_s64_or_null(&j, "cycle", r->cycle);
		if (r->forced < 0)
			json__null(&j, "forced");
		else
			json__bool(&j, "forced", r->forced);
		json__s64(&j, "start_ns", r->t_sweep_term);
		json__u64(&j, "sweep_term_ns", a);
		json__u64(&j, "mark_ns", b);
		json__u64(&j, "mark_term_ns", c);
		json__s64(&j, "end_ns", r->t_end);
		json_s64_or_null(&j, "heap_start_bytes", r->heap_start);
		json_s64_or_null(&j, "heap_end_bytes", r->heap_end);
		json_s64_or_null(&j, "heap_live_bytes", r->heap_live);
		json_s64_or_null(&j, "heap_goal_bytes", r->heap_goal);
		if (r->have_gogc)
			json__s64(&j, "gogc", r->gogc);
		else
			json__null(&j, "gogc");
		json_s64_or_null(&j, "memory_limit_bytes", r->memlimit);
		json__end(&j);
		return;
	}

	char sa[24], sb[24], sc[24], at[32];
	double since = o->attach_ns && (__u64)r->t_sweep_term > o->attach_ns
			       ? (r->t_sweep_term - o->attach_ns) / 1e9
			       : 0;

	snprintf(at, sizeof(at), "%.3f", since);
	char cyc[24] = "?";

	if (r->cycle >= 0)
		snprintf(cyc, sizeof(cyc), "%lld", (long long)r->cycle);
	fprintf(o->f, "gc %s @%ss: %s+%s+%s ms clock", cyc, at,
		output__fmt_ns_as_ms(sa, sizeof(sa), a), output__fmt_ns_as_ms(sb, sizeof(sb), b),
		output__fmt_ns_as_ms(sc, sizeof(sc), c));
	if (r->heap_start >= 0 && r->heap_end >= 0 && r->heap_live >= 0)
		fprintf(o->f, ", %lld->%lld->%lld MB", (long long)(r->heap_start >> 20),
			(long long)(r->heap_end >> 20), (long long)(r->heap_live >> 20));
	if (r->heap_goal >= 0)
		fprintf(o->f, ", %lld MB goal", (long long)(r->heap_goal >> 20));
	if (r->forced > 0)
		fprintf(o->f, " (forced)");
	fputc('\n', o->f);
	fflush(o->f);
}

void output__stw(struct output *o, const struct stw_record *r)
{
	if (r->gc) {
		samples_add(&o->stw_gc, r->pause_ns);
		o->stw_gc_total += r->pause_ns;
	} else {
		samples_add(&o->stw_other, r->pause_ns);
		o->stw_other_total += r->pause_ns;
	}
	if (o->json) {
		struct json j;

		json__begin(&j, o->f);
		json__str(&j, "type", "stw");
		json__s64(&j, "pid", o->t.pid);
		json__str(&j, "reason", r->reason);
		json__bool(&j, "gc", r->gc);
		json_s64_or_null(&j, "gc_cycle", r->gc_cycle);
		json__u64(&j, "start_ns", r->start_ns);
		json__u64(&j, "pause_ns", r->pause_ns);
		json_s64_or_null(&j, "stopping_ns", r->stopping_ns);
		json__end(&j);
		return;
	}
	if (r->gc)
		return; /* GC pauses are in the gc lines */

	char p[24], s[24];

	fprintf(o->f, "stw \"%s\": pause %s ms", r->reason,
		output__fmt_ns_as_ms(p, sizeof(p), r->pause_ns));
	if (r->stopping_ns >= 0)
		fprintf(o->f, " (stopping %s ms)",
			output__fmt_ns_as_ms(s, sizeof(s), r->stopping_ns));
	fputc('\n', o->f);
	fflush(o->f);
}

void output__warning(struct output *o, const char *msg)
{
	if (o->json) {
		struct json j;

		json__begin(&j, o->f);
		json__str(&j, "type", "warning");
		json__s64(&j, "pid", o->t.pid);
		json__str(&j, "message", msg);
		json__end(&j);
	}
}

void output__error(struct output *o, const char *msg)
{
	struct json j;

	if (!o->json)
		return;
	json__begin(&j, o->f);
	json__str(&j, "type", "error");
	if (o->t.pid)
		json__s64(&j, "pid", o->t.pid);
	json__str(&j, "message", msg);
	json__end(&j);
}

static void json_pauses(struct json *j, const char *prefix, struct samples *s, __u64 total)
{
	char k[64];

	snprintf(k, sizeof(k), "%s_count", prefix);
	json__u64(j, k, s->n);
	snprintf(k, sizeof(k), "%s_total_ns", prefix);
	json__u64(j, k, total);
	snprintf(k, sizeof(k), "%s_p50_ns", prefix);
	json__u64(j, k, output__percentile(s->v, s->n, 50));
	snprintf(k, sizeof(k), "%s_p90_ns", prefix);
	json__u64(j, k, output__percentile(s->v, s->n, 90));
	snprintf(k, sizeof(k), "%s_p99_ns", prefix);
	json__u64(j, k, output__percentile(s->v, s->n, 99));
	snprintf(k, sizeof(k), "%s_max_ns", prefix);
	json__u64(j, k, s->n ? s->v[s->n - 1] : 0);
}

static void text_pauses(FILE *f, const char *name, struct samples *s)
{
	char p50[24], p90[24], p99[24], max[24];

	if (!s->n) {
		fprintf(f, "  %-6s %7zu\n", name, s->n);
		return;
	}
	fprintf(f, "  %-6s %7zu %10s %10s %10s %10s\n", name, s->n,
		output__fmt_ns_as_ms(p50, sizeof(p50), output__percentile(s->v, s->n, 50)),
		output__fmt_ns_as_ms(p90, sizeof(p90), output__percentile(s->v, s->n, 90)),
		output__fmt_ns_as_ms(p99, sizeof(p99), output__percentile(s->v, s->n, 99)),
		output__fmt_ns_as_ms(max, sizeof(max), s->v[s->n - 1]));
}

void output__summary(struct output *o, __u64 now_ns, __u64 sent, __u64 received,
		     __u64 dropped)
{
	double secs = o->attach_ns && now_ns > o->attach_ns ? (now_ns - o->attach_ns) / 1e9 : 0;

	/* No pauses: v is NULL, which qsort may not be given even with n 0. */
	if (o->stw_gc.n)
		qsort(o->stw_gc.v, o->stw_gc.n, sizeof(__u64), cmp_u64);
	if (o->stw_other.n)
		qsort(o->stw_other.v, o->stw_other.n, sizeof(__u64), cmp_u64);
	if (o->json) {
		struct json j;

		json__begin(&j, o->f);
		json__str(&j, "type", "summary");
		json__s64(&j, "pid", o->t.pid);
		json__str(&j, "go_version", o->t.go_version);
		json__f64(&j, "duration_s", secs);
		json__u64(&j, "gc_cycles", o->gc_cycles);
		json__u64(&j, "gc_forced", o->gc_forced);
		json_s64_or_null(&j, "first_cycle", o->first_cycle);
		json_s64_or_null(&j, "last_cycle", o->last_cycle);
		json__u64(&j, "stw_pauses", o->stw_gc.n + o->stw_other.n);
		json_pauses(&j, "stw_gc", &o->stw_gc, o->stw_gc_total);
		json_pauses(&j, "stw_other", &o->stw_other, o->stw_other_total);
		if (o->have_settings) {
			json__s64(&j, "gogc", o->gogc);
			json_s64_or_null(&j, "memory_limit_bytes", o->memlimit);
		} else {
			json__null(&j, "gogc");
			json__null(&j, "memory_limit_bytes");
		}
		json__u64(&j, "events_sent", sent);
		json__u64(&j, "events_received", received);
		json__u64(&j, "dropped_events", dropped);
		json__end(&j);
		return;
	}
	FILE *f = o->f;

	fprintf(f, "\n--- gopry summary: pid %d (%s), %.1f s traced ---\n", o->t.pid,
		o->t.go_version, secs);
	fprintf(f, "GC cycles: %llu (%llu forced)", (unsigned long long)o->gc_cycles,
		(unsigned long long)o->gc_forced);
	if (o->gc_cycles && o->first_cycle >= 0)
		fprintf(f, ", gc %lld..%lld", (long long)o->first_cycle, (long long)o->last_cycle);
	fputc('\n', f);
	fprintf(f, "STW pauses (ms): %zu\n", o->stw_gc.n + o->stw_other.n);
	fprintf(f, "  %-6s %7s %10s %10s %10s %10s\n", "kind", "count", "p50", "p90", "p99",
		"max");
	text_pauses(f, "GC", &o->stw_gc);
	text_pauses(f, "other", &o->stw_other);
	if (o->have_settings) {
		if (o->gogc < 0)
			fprintf(f, "GOGC=off");
		else
			fprintf(f, "GOGC=%lld", (long long)o->gogc);
		if (o->memlimit < 0)
			fprintf(f, " GOMEMLIMIT=unknown\n");
		else if (o->memlimit == INT64_MAX)
			fprintf(f, " GOMEMLIMIT=off\n");
		else
			fprintf(f, " GOMEMLIMIT=%lld\n", (long long)o->memlimit);
	}
	fprintf(f, "events: %llu sent, %llu received, %llu dropped\n", (unsigned long long)sent,
		(unsigned long long)received, (unsigned long long)dropped);
	fflush(f);
}
