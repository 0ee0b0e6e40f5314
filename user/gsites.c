// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gsites.h"

/*
 * Lifetimes in a log-linear histogram: exact below 64 ns, then 32 buckets
 * per power of two, so a bucket's midpoint is within 1/64 (1.6%) of every
 * value in it. 1920 counters cover the whole __u64 range.
 */
#define HSUB_BITS 5
#define HSUB (1u << HSUB_BITS)
#define HEXACT (2 * HSUB)
#define HBUCKETS (HEXACT + (64 - HSUB_BITS - 1) * HSUB)

static unsigned int hist_index(__u64 v)
{
	unsigned int e;

	if (v < HEXACT)
		return v;
	e = 63 - __builtin_clzll(v);
	return HEXACT + (e - HSUB_BITS - 1) * HSUB + ((v >> (e - HSUB_BITS)) - HSUB);
}

static __u64 hist_mid(unsigned int i)
{
	unsigned int e, sub;

	if (i < HEXACT)
		return i;
	e = (i - HEXACT) / HSUB + HSUB_BITS + 1;
	sub = (i - HEXACT) % HSUB;
	return ((__u64)(HSUB + sub) << (e - HSUB_BITS)) + ((1ull << (e - HSUB_BITS)) >> 1);
}

/* One goroutine: alive (live table) or seen by a walk only (pending). */
struct glive {
	__u64 goid; /* the key; 0: empty slot */
	__u64 g;    /* its g, 0 = not known */
	__u64 create_ts;    /* 0: unknown (before the attach, or found by a walk) */
	__u64 parked_since; /* first walk that saw it waiting on this reason */
	__u32 site;
	__u32 insert_walk, last_walk, miss;
	__u32 status;       /* last walk's; ~0u before any walk saw it */
	__u8 waitreason;
};

/*
 * Which goroutine a g holds, for exit events (which name only the g). From
 * the creation event, or from a walk: a walk's reading is valid only for
 * exits after the walk began, since by the time it read the g an earlier
 * occupant may have exited and the g been reused.
 */
struct gref {
	__u64 g; /* the key */
	__u64 goid;
	__u64 since; /* 0: from the creation event; else the walk's start */
};

/* --waits: a goroutine parked now, by its g. */
struct gpark {
	__u64 g; /* the key */
	__u64 goid;
	__u64 since;
	__u32 site;
	__u8 waitreason;
};

/*
 * Open addressing with linear probing and no tombstones; each entry's first
 * field is its non-zero __u64 key.
 */
struct gtable {
	void *v;
	size_t esz;
	size_t cap, n; /* cap is a power of two */
};

static size_t hash64(__u64 x, size_t cap)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x & (cap - 1);
}

static void *gt_at(const struct gtable *t, size_t i)
{
	return (char *)t->v + i * t->esz;
}

static __u64 gt_key(const struct gtable *t, size_t i)
{
	return *(const __u64 *)gt_at(t, i);
}

static void *gt_find(const struct gtable *t, __u64 key)
{
	if (!t->cap || !key)
		return NULL;
	for (size_t i = hash64(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (gt_key(t, i) == key)
			return gt_at(t, i);
		if (!gt_key(t, i))
			return NULL;
	}
}

static int gt_grow(struct gtable *t)
{
	struct gtable nt = { .esz = t->esz, .cap = t->cap ? t->cap * 2 : 1024, .n = t->n };

	nt.v = calloc(nt.cap, nt.esz);
	if (!nt.v)
		return -ENOMEM;
	for (size_t k = 0; k < t->cap; k++) {
		size_t i;

		if (!gt_key(t, k))
			continue;
		for (i = hash64(gt_key(t, k), nt.cap); gt_key(&nt, i); i = (i + 1) & (nt.cap - 1))
			;
		memcpy(gt_at(&nt, i), gt_at(t, k), t->esz);
	}
	free(t->v);
	*t = nt;
	return 0;
}

/* A new zeroed entry for key (which must not be there), or NULL (no memory). */
static void *gt_insert(struct gtable *t, __u64 key)
{
	size_t i;

	if ((t->n + 1) * 4 > t->cap * 3 && gt_grow(t))
		return NULL;
	for (i = hash64(key, t->cap); gt_key(t, i); i = (i + 1) & (t->cap - 1))
		;
	memset(gt_at(t, i), 0, t->esz);
	*(__u64 *)gt_at(t, i) = key;
	t->n++;
	return gt_at(t, i);
}

/* Deletion by backward shift. */
static void gt_remove(struct gtable *t, void *e)
{
	size_t i = ((char *)e - (char *)t->v) / t->esz, j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & (t->cap - 1);
		if (!gt_key(t, j))
			break;
		k = hash64(gt_key(t, j), t->cap);
		/* Move j back to i unless its home k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(gt_at(t, i), gt_at(t, j), t->esz);
		i = j;
	}
	*(__u64 *)gt_at(t, i) = 0;
	t->n--;
}

struct gsites {
	gsite_namer namer;
	void *namer_ctx;
	__u64 start_ns;
	struct gtable live, pending; /* of struct glive, by goid */
	struct gtable parked; /* of struct gpark, by g (--waits) */
	struct gtable refs;   /* of struct gref, by g */
	size_t park_cap;
	struct gsite **sites;
	size_t nsites, sites_cap;
	__u32 *site_idx; /* open addressing, site index + 1, 0 = empty */
	size_t site_idx_cap;
	__u32 walk;      /* walks begun */
	bool initial;
	__u64 walk_ts;
	/*
	 * Goroutines this walk added, with their creators' goids: resolved at
	 * the walk's end, since a creator may come later in the list (a new
	 * goroutine takes a dead g, wherever it is).
	 */
	struct gwalk_parent {
		__u64 goid, parent;
	} *wparents;
	size_t nwparents, wparents_cap;
	struct gsites_stats st;
};

static struct glive *glive_insert(struct gtable *t, __u64 goid)
{
	struct glive *e = gt_insert(t, goid);

	if (e)
		e->status = ~0u;
	return e;
}

static size_t site_hash(__u64 gopc, __u64 startpc, size_t cap)
{
	return hash64(gopc * 0x9e3779b97f4a7c15ull ^ startpc, cap);
}

static int site_idx_grow(struct gsites *s)
{
	size_t ncap = s->site_idx_cap ? s->site_idx_cap * 2 : 256;
	__u32 *nv = calloc(ncap, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t k = 0; k < s->nsites; k++) {
		size_t i = site_hash(s->sites[k]->gopc, s->sites[k]->startpc, ncap);

		while (nv[i])
			i = (i + 1) & (ncap - 1);
		nv[i] = k + 1;
	}
	free(s->site_idx);
	s->site_idx = nv;
	s->site_idx_cap = ncap;
	return 0;
}

/* The index of site (gopc, startpc), created when new; -1 without memory. */
static long site_get(struct gsites *s, __u64 gopc, __u64 startpc)
{
	struct gsite *site;
	size_t i;

	if (s->site_idx_cap) {
		for (i = site_hash(gopc, startpc, s->site_idx_cap); s->site_idx[i];
		     i = (i + 1) & (s->site_idx_cap - 1)) {
			site = s->sites[s->site_idx[i] - 1];
			if (site->gopc == gopc && site->startpc == startpc)
				return s->site_idx[i] - 1;
		}
	}
	if (s->nsites == s->sites_cap) {
		size_t ncap = s->sites_cap ? s->sites_cap * 2 : 64;
		struct gsite **nv = realloc(s->sites, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		s->sites = nv;
		s->sites_cap = ncap;
	}
	if ((s->nsites + 1) * 2 > s->site_idx_cap && site_idx_grow(s))
		return -1;
	site = calloc(1, sizeof(*site));
	if (!site)
		return -1;
	site->gopc = gopc;
	site->startpc = startpc;
	/* A value read from a moving process may be garbage: no site for it. */
	if (s->namer && s->namer(s->namer_ctx, site)) {
		free(site);
		s->st.invalid++;
		return -1;
	}
	for (i = site_hash(gopc, startpc, s->site_idx_cap); s->site_idx[i];
	     i = (i + 1) & (s->site_idx_cap - 1))
		;
	s->sites[s->nsites] = site;
	s->site_idx[i] = ++s->nsites;
	return s->nsites - 1;
}

int gsites__new(gsite_namer namer, void *ctx, __u64 start_ns, struct gsites **out)
{
	struct gsites *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->namer = namer;
	s->namer_ctx = ctx;
	s->start_ns = start_ns;
	s->park_cap = GSITES_PARK_CAP;
	s->live.esz = s->pending.esz = sizeof(struct glive);
	s->parked.esz = sizeof(struct gpark);
	s->refs.esz = sizeof(struct gref);
	*out = s;
	return 0;
}

void gsites__free(struct gsites *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nsites; i++) {
		for (int w = 0; w < GSITE_MAX_WAIT; w++)
			free(s->sites[i]->park[w].hist);
		free(s->sites[i]->hist);
		free(s->sites[i]);
	}
	free(s->sites);
	free(s->site_idx);
	free(s->live.v);
	free(s->pending.v);
	free(s->parked.v);
	free(s->refs.v);
	free(s->wparents);
	free(s);
}

static void alive_changed(struct gsite *site)
{
	if (site->alive < site->min_alive)
		site->min_alive = site->alive;
}

/*
 * g holds goid from now on. since: 0 for a creation event, else the start of
 * the walk that saw it. A walk never overrides what an event said (the
 * events of the g's next occupant may still be on their way), nor an earlier
 * walk's reading of the same goroutine; it does override an earlier walk's
 * reading of another one.
 */
static void set_ref(struct gsites *s, __u64 g, __u64 goid, __u64 since)
{
	struct gref *r = gt_find(&s->refs, g);

	if (r && since && (!r->since || r->goid == goid))
		return;
	if (!r)
		r = gt_insert(&s->refs, g);
	if (!r)
		return;
	r->goid = goid;
	r->since = since;
}

/*
 * Which goroutine g held at ts, or NULL: no creation event named it and no
 * walk that began before ts saw it there.
 */
static struct gref *ref_at(struct gsites *s, __u64 g, __u64 ts)
{
	struct gref *r = gt_find(&s->refs, g);

	return r && (!r->since || ts >= r->since) ? r : NULL;
}

/* goid is no longer alive: drop its g's reference unless the g moved on. */
static void drop_ref(struct gsites *s, const struct glive *e)
{
	struct gref *r = gt_find(&s->refs, e->g);

	if (r && r->goid == e->goid)
		gt_remove(&s->refs, r);
}

static void add_live(struct gsites *s, long idx, __u64 goid, __u64 g, __u64 create_ts)
{
	struct glive *e = glive_insert(&s->live, goid);

	if (!e)
		return;
	e->g = g;
	e->site = idx;
	e->create_ts = create_ts;
	e->insert_walk = s->walk;
	s->sites[idx]->alive++;
	alive_changed(s->sites[idx]);
}

/* Count the creator's site among site's parents. */
static void note_parent(struct gsites *s, struct gsite *site, __u64 parent)
{
	const struct glive *pe = parent ? gt_find(&s->live, parent) : NULL;
	const struct gsite *ps;
	int i;

	if (!pe) {
		site->parent_unknown++;
		return;
	}
	ps = s->sites[pe->site];
	for (i = 0; i < GSITE_MAX_PARENTS && site->parents[i].site; i++) {
		if (site->parents[i].site == ps) {
			site->parents[i].count++;
			return;
		}
	}
	if (i == GSITE_MAX_PARENTS) {
		site->parent_other++;
		return;
	}
	site->parents[i].site = ps;
	site->parents[i].count = 1;
}

void gsites__created(struct gsites *s, __u64 goid, __u64 g, __u64 gopc, __u64 startpc,
		     __u64 ts, __u64 parent)
{
	struct glive *e;
	long idx;

	if (!goid)
		return;
	s->st.events_create++;
	idx = site_get(s, gopc, startpc);
	if (idx < 0)
		return;
	s->sites[idx]->created++;
	e = gt_find(&s->live, goid);
	set_ref(s, g, goid, 0);
	if (e) {
		/*
		 * Already found by a walk that ran after it was created, which
		 * counted its creator (from g.parentGoid) too.
		 */
		s->st.dup_create++;
		e->create_ts = ts;
		e->g = g;
		return;
	}
	note_parent(s, s->sites[idx], parent);
	e = gt_find(&s->pending, goid);
	if (e)
		gt_remove(&s->pending, e);
	add_live(s, idx, goid, g, ts);
}

static void hist_add(struct gsite *site, __u64 v)
{
	if (!site->hist) {
		site->hist = calloc(HBUCKETS, sizeof(*site->hist));
		if (!site->hist)
			return;
	}
	site->hist[hist_index(v)]++;
	site->nlifetimes++;
	if (v > site->lifetime_max)
		site->lifetime_max = v;
}

static __u64 hist_pct(const __u64 *hist, __u64 n, __u64 max, double p)
{
	__u64 rank, sum = 0;

	if (!hist || !n)
		return 0;
	rank = (__u64)ceil(p / 100.0 * n);
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < HBUCKETS; i++) {
		sum += hist[i];
		if (sum >= rank) {
			__u64 mid = hist_mid(i);

			return mid < max ? mid : max;
		}
	}
	return max;
}

void gsites__set_park_cap(struct gsites *s, size_t cap)
{
	s->park_cap = cap;
}

size_t gsites__parked_count(const struct gsites *s)
{
	return s->parked.n;
}

/* The live goroutine g holds at ts, or NULL (see ref_at). */
static struct glive *live_in(struct gsites *s, __u64 g, __u64 ts)
{
	const struct gref *r = ref_at(s, g, ts);

	return r ? gt_find(&s->live, r->goid) : NULL;
}

void gsites__parked(struct gsites *s, __u64 g, __u8 reason, __u64 ts)
{
	const struct glive *e = live_in(s, g, ts);
	struct gpark *p;

	s->st.parks++;
	if (!e) {
		s->st.park_unknown++;
		return;
	}
	p = gt_find(&s->parked, g);
	if (p) {
		/* Its run event was lost (or never came): this park starts afresh. */
		s->st.park_reparked++;
	} else {
		if (s->parked.n >= s->park_cap || !(p = gt_insert(&s->parked, g))) {
			s->st.park_drops++;
			return;
		}
	}
	p->goid = e->goid;
	p->site = e->site;
	p->since = ts;
	p->waitreason = reason;
}

void gsites__ran(struct gsites *s, __u64 g, __u64 ts)
{
	struct gpark *e = gt_find(&s->parked, g);
	struct gsite_park *p;
	__u64 d;

	s->st.runs++;
	if (!e)
		return;     /* preempted or yielded, not parked: nothing to time */
	s->st.runs_timed++;
	p = &s->sites[e->site]->park[e->waitreason % GSITE_MAX_WAIT];
	d = ts >= e->since ? ts - e->since : 0;
	gt_remove(&s->parked, e);
	if (!p->hist) {
		p->hist = calloc(HBUCKETS, sizeof(*p->hist));
		if (!p->hist)
			return;
	}
	p->hist[hist_index(d)]++;
	p->count++;
	p->total_ns += d;
	if (d > p->max_ns)
		p->max_ns = d;
}

__u64 gsites__park_pct(const struct gsite_park *p, double pct)
{
	return hist_pct(p->hist, p->count, p->max_ns, pct);
}

void gsites__exited(struct gsites *s, __u64 g, __u64 ts)
{
	struct gref *r = ref_at(s, g, ts);
	struct gpark *p = gt_find(&s->parked, g);
	struct glive *e;
	struct gsite *site;
	__u64 goid;

	s->st.events_exit++;
	/* A run event lost: do not keep it parked, nor time its g's next occupant. */
	if (p)
		gt_remove(&s->parked, p);
	/*
	 * No creation seen and no walk before it that saw the g: created
	 * before the attach and gone before the first walk read it, which
	 * therefore did not count it alive either.
	 */
	if (!r) {
		s->st.unknown_exit++;
		return;
	}
	goid = r->goid;
	gt_remove(&s->refs, r);
	e = gt_find(&s->pending, goid);
	if (e)
		gt_remove(&s->pending, e);
	e = gt_find(&s->live, goid);
	if (!e) {
		s->st.unknown_exit++;
		return;
	}
	site = s->sites[e->site];
	site->exited++;
	if (site->alive)
		site->alive--;
	alive_changed(site);
	if (e->create_ts && ts >= e->create_ts)
		hist_add(site, ts - e->create_ts);
	gt_remove(&s->live, e);
}

void gsites__walk_begin(struct gsites *s, __u64 ts, bool initial)
{
	s->walk++;
	s->walk_ts = ts;
	s->initial = initial;
	s->st.walks++;
}

static void note_state(struct glive *e, const struct gsite_g *g, __u64 ts)
{
	bool parked = g->status == GS_WAITING || g->status == GS_LEAKED;

	if (!parked)
		e->parked_since = 0;
	else if (!e->parked_since || e->status != g->status || e->waitreason != g->waitreason)
		e->parked_since = ts;
	/*
	 * Not g.waitsince: the GC's stack scan stamps it with work.tstart
	 * (go1.27.3 mgcmark.go:274), which gcMark sets only at mark termination
	 * (go1.19.8 mgc.go:1399, go1.27.3 mgc.go:1976), after the scans: the
	 * stamp is the previous cycle's end, before the park itself whenever the
	 * g parked since. Go prints it in minutes; here it would date a fresh
	 * park a GC interval back.
	 */
	e->status = g->status;
	e->waitreason = g->waitreason;
	e->last_walk = 0; /* set by the caller */
	e->miss = 0;
}

static void walk_parent(struct gsites *s, long idx, __u64 goid, __u64 parent)
{
	if (!parent) {
		s->sites[idx]->parent_unknown++;
		return;
	}
	if (s->nwparents == s->wparents_cap) {
		size_t ncap = s->wparents_cap ? s->wparents_cap * 2 : 64;
		struct gwalk_parent *nv = realloc(s->wparents, ncap * sizeof(*nv));

		if (!nv) {
			s->sites[idx]->parent_unknown++;
			return;
		}
		s->wparents = nv;
		s->wparents_cap = ncap;
	}
	s->wparents[s->nwparents++] = (struct gwalk_parent){ goid, parent };
}

void gsites__walk_seen(struct gsites *s, const struct gsite_g *g)
{
	struct glive *e = gt_find(&s->live, g->goid);
	long idx;

	if (!g->goid)
		return;
	if (e) {
		note_state(e, g, s->walk_ts);
		e->last_walk = s->walk;
		/*
		 * Same g as known: its reference was set then and still names
		 * this goroutine (a g holds no other until this one ends).
		 */
		if (e->g == g->g)
			return;
		if (!e->g)
			e->g = g->g;
		set_ref(s, g->g, g->goid, s->walk_ts);
		return;
	}
	idx = site_get(s, g->gopc, g->startpc);
	if (idx < 0)
		return;
	e = gt_find(&s->pending, g->goid);
	if (!s->initial && (!e || e->last_walk + 1 != s->walk)) {
		/* Seen once: its creation event may still be in the ring buffer. */
		if (!e)
			e = glive_insert(&s->pending, g->goid);
		if (e) {
			e->site = idx;
			e->last_walk = s->walk;
		}
		return;
	}
	if (e)
		gt_remove(&s->pending, e);
	add_live(s, idx, g->goid, g->g, 0);
	e = gt_find(&s->live, g->goid);
	if (!e)
		return;
	set_ref(s, g->g, g->goid, s->walk_ts);
	walk_parent(s, idx, g->goid, g->parent);
	if (s->initial) {
		s->sites[idx]->at_attach++;
	} else {
		s->sites[idx]->discovered++;
		s->st.discovered++;
	}
	note_state(e, g, s->walk_ts);
	e->last_walk = s->walk;
}

/* Per-site states and ages from the live table. */
static void refresh(struct gsites *s, __u64 threshold_ns)
{
	for (size_t i = 0; i < s->nsites; i++) {
		struct gsite *site = s->sites[i];

		memset(site->waits, 0, sizeof(site->waits));
		site->running = site->runnable = site->syscall = site->leaked = site->other = 0;
		site->parked_long = 0;
		site->longest_wait_ns = 0;
		site->oldest_create = 0;
		site->oldest_before_attach = false;
	}
	for (size_t k = 0; k < s->live.cap; k++) {
		struct glive *e = gt_at(&s->live, k);
		struct gsite *site;

		if (!e->goid)
			continue;
		site = s->sites[e->site];
		switch (e->status) {
		case GS_WAITING:
			site->waits[e->waitreason % GSITE_MAX_WAIT]++;
			break;
		case GS_LEAKED:
			site->leaked++;
			break;
		case GS_RUNNING:
			site->running++;
			break;
		case GS_RUNNABLE:
			site->runnable++;
			break;
		case GS_SYSCALL:
			site->syscall++;
			break;
		default:
			site->other++;
			break;
		}
		if (e->status == GS_LEAKED ||
		    (e->parked_since && s->walk_ts - e->parked_since >= threshold_ns))
			site->parked_long++;
		if (e->parked_since && s->walk_ts - e->parked_since > site->longest_wait_ns)
			site->longest_wait_ns = s->walk_ts - e->parked_since;
		if (!e->create_ts)
			site->oldest_before_attach = true;
		else if (!site->oldest_create || e->create_ts < site->oldest_create)
			site->oldest_create = e->create_ts;
	}
}

void gsites__walk_end(struct gsites *s, bool complete, __u64 threshold_ns)
{
	__u64 *gone = NULL;
	struct gpark *p;
	size_t ngone = 0;

	if (s->initial) {
		for (size_t i = 0; i < s->nsites; i++)
			s->sites[i]->min_alive = s->sites[i]->alive;
	}
	/* Before the lost go: a creator the walk missed twice is gone as well. */
	for (size_t i = 0; i < s->nwparents; i++) {
		const struct glive *e = gt_find(&s->live, s->wparents[i].goid);

		if (e)
			note_parent(s, s->sites[e->site], s->wparents[i].parent);
	}
	s->nwparents = 0;
	if (s->wparents_cap > 4096) {
		/* Only the first walk finds many: later ones find what events missed. */
		free(s->wparents);
		s->wparents = NULL;
		s->wparents_cap = 0;
	}
	if (complete && s->live.n)
		gone = calloc(s->live.n, sizeof(*gone));
	for (size_t k = 0; gone && k < s->live.cap; k++) {
		struct glive *e = gt_at(&s->live, k);

		/* Not seen, and in the table since before this walk began. */
		if (e->goid && e->last_walk != s->walk && e->insert_walk < s->walk &&
		    ++e->miss >= 2)
			gone[ngone++] = e->goid;
	}
	for (size_t i = 0; i < ngone; i++) {
		struct glive *e = gt_find(&s->live, gone[i]);
		struct gsite *site = s->sites[e->site];

		site->lost++;
		s->st.lost++;
		if (site->alive)
			site->alive--;
		alive_changed(site);
		drop_ref(s, e);
		p = e->g ? gt_find(&s->parked, e->g) : NULL;
		if (p && p->goid == e->goid)
			gt_remove(&s->parked, p);
		gt_remove(&s->live, e);
	}
	free(gone);
	/* Pending ones not seen again are gone (or their event came). */
	gone = NULL;
	ngone = 0;
	if (s->pending.n)
		gone = calloc(s->pending.n, sizeof(*gone));
	for (size_t k = 0; gone && k < s->pending.cap; k++) {
		const struct glive *e = gt_at(&s->pending, k);

		if (e->goid && e->last_walk != s->walk)
			gone[ngone++] = e->goid;
	}
	for (size_t i = 0; i < ngone; i++)
		gt_remove(&s->pending, gt_find(&s->pending, gone[i]));
	free(gone);
	s->initial = false;
	refresh(s, threshold_ns);
}

size_t gsites__count(const struct gsites *s)
{
	return s->nsites;
}

struct gsite *gsites__at(struct gsites *s, size_t i)
{
	return i < s->nsites ? s->sites[i] : NULL;
}

__u64 gsites__lifetime_pct(const struct gsite *site, double p)
{
	return hist_pct(site->hist, site->nlifetimes, site->lifetime_max, p);
}

void gsites__totals(const struct gsites *s, bool system, __u64 *alive, __u64 *created,
		    __u64 *exited)
{
	*alive = *created = *exited = 0;
	for (size_t i = 0; i < s->nsites; i++) {
		if (s->sites[i]->system != system)
			continue;
		*alive += s->sites[i]->alive;
		*created += s->sites[i]->created;
		*exited += s->sites[i]->exited;
	}
}

__u64 gsites__live_count(const struct gsites *s)
{
	return s->live.n;
}

static int cmp_leak(const void *a, const void *b)
{
	const struct gsite_leak *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->site->alive != y->site->alive)
		return x->site->alive < y->site->alive ? 1 : -1;
	return x->oldest_age_ns < y->oldest_age_ns ? 1 : x->oldest_age_ns > y->oldest_age_ns ? -1 : 0;
}

size_t gsites__leaks(struct gsites *s, __u64 now, struct gsite_leak *out, size_t max)
{
	struct gsite_leak *all;
	size_t n = 0;

	/* Rank every candidate, then keep the best max: not the first max sites seen. */
	all = calloc(s->nsites ? s->nsites : 1, sizeof(*all));
	if (!all)
		return 0;
	for (size_t i = 0; i < s->nsites; i++) {
		struct gsite *site = s->sites[i];
		struct gsite_leak *l = &all[n];
		__u64 growth = site->alive - site->min_alive;
		double parked_frac, churn;

		if (site->system || !site->alive)
			continue;
		/*
		 * Go's own verdict (go1.26+ goroutine leak profile) needs no
		 * window; otherwise one more goroutine (the main one, a server's
		 * accept loop) is not a trend.
		 */
		if (!site->leaked && (growth < 2 || site->parked_long * 2 < site->alive))
			continue;
		memset(l, 0, sizeof(*l));
		l->site = site;
		l->growth = growth;
		l->parked_long = site->parked_long;
		l->gleaked = site->leaked > 0;
		l->top_wait = -1;
		for (int w = 0; w < GSITE_MAX_WAIT; w++) {
			if (site->waits[w] > l->top_wait_n) {
				l->top_wait_n = site->waits[w];
				l->top_wait = w;
			}
		}
		if (site->oldest_before_attach)
			l->oldest_age_ns = now - s->start_ns;
		else if (site->oldest_create && now > site->oldest_create)
			l->oldest_age_ns = now - site->oldest_create;
		/*
		 * Growth counts most, weighed by how much of the site is parked;
		 * a site that also lets many of its goroutines exit is churn
		 * more likely than a leak.
		 */
		parked_frac = (double)site->parked_long / site->alive;
		churn = site->created ? (double)site->exited / site->created : 0;
		l->score = ((double)growth + (l->gleaked ? site->leaked : 0)) * parked_frac *
			   (1.0 - 0.5 * churn);
		n++;
	}
	qsort(all, n, sizeof(*all), cmp_leak);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

void gsites__stats(const struct gsites *s, struct gsites_stats *st)
{
	*st = s->st;
}
