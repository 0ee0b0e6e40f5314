// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gsites against synthetic events and walks: per-site counts, lifetime
 * percentiles, dedupe of walk and events, repair by walks, leak ranking,
 * creators' sites, park times (--waits) and the park table's cap.
 */
#include <stdio.h>
#include <string.h>
#include "gsites.h"
#include "waitreasons.h"

#define CHECK_PREFIX "goroutines."
#include "check.h"

#define MS 1000000ull
#define SEC 1000000000ull
enum {
	PC_SHORT = 0x1000,
	PC_LEAK = 0x2000,
	PC_MAIN = 0x3000,
	PC_SYS = 0x4000,
	PC_JUNK = 0x5000, /* start PC in no function: the namer rejects it */
};

static int namer(void *ctx, struct gsite *s)
{
	(void)ctx;
	if (s->startpc == PC_JUNK)
		return -1;
	snprintf(s->func, sizeof(s->func), "site_%llx", (unsigned long long)s->gopc);
	s->system = s->gopc == PC_SYS;
	return 0;
}

/* A goroutine's g address in these tests (gs are 0x200 apart, as no real ones). */
#define GP(goid) (0xc000000000ull + (__u64)(goid) * 0x200)

static struct gsite *site(struct gsites *s, __u64 gopc)
{
	for (size_t i = 0; i < gsites__count(s); i++)
		if (gsites__at(s, i)->gopc == gopc)
			return gsites__at(s, i);
	return NULL;
}

static void seen(struct gsites *s, __u64 goid, __u64 gopc, __u32 status, __u8 wr)
{
	struct gsite_g g = { .g = GP(goid), .goid = goid, .gopc = gopc, .startpc = gopc + 1, .status = status,
			     .waitreason = wr };

	gsites__walk_seen(s, &g);
}

static void test_counts_and_lifetimes(void)
{
	struct gsites *s;
	struct gsite *sh;
	__u64 alive, created, exited;

	gsites__new(namer, NULL, 0, &s);
	/* 1000 goroutines living 1..1000 ms. */
	for (__u64 i = 1; i <= 1000; i++)
		gsites__created(s, 100 + i, GP(100 + i), PC_SHORT, PC_SHORT + 1, i * SEC, 0);
	for (__u64 i = 1; i <= 1000; i++)
		gsites__exited(s, GP(100 + i), i * SEC + i * MS);
	sh = site(s, PC_SHORT);
	CHECK("counts", sh && sh->created == 1000 && sh->exited == 1000 && sh->alive == 0,
	      "%llu/%llu/%llu", sh ? (unsigned long long)sh->created : 0,
	      sh ? (unsigned long long)sh->exited : 0, sh ? (unsigned long long)sh->alive : 0);
	CHECK("p50", sh && gsites__lifetime_pct(sh, 50) >= 492 * MS &&
		     gsites__lifetime_pct(sh, 50) <= 508 * MS,
	      "%llu", (unsigned long long)gsites__lifetime_pct(sh, 50));
	CHECK("p99", sh && gsites__lifetime_pct(sh, 99) >= 974 * MS &&
		     gsites__lifetime_pct(sh, 99) <= 1000 * MS,
	      "%llu", (unsigned long long)gsites__lifetime_pct(sh, 99));
	CHECK("max", sh && sh->lifetime_max == 1000 * MS, "%llu",
	      (unsigned long long)sh->lifetime_max);
	/* Small values are exact. */
	gsites__created(s, 5000, GP(5000), PC_MAIN, PC_MAIN + 1, 10, 0);
	gsites__exited(s, GP(5000), 47);
	CHECK("exact_small", gsites__lifetime_pct(site(s, PC_MAIN), 50) == 37, "%llu",
	      (unsigned long long)gsites__lifetime_pct(site(s, PC_MAIN), 50));
	gsites__totals(s, false, &alive, &created, &exited);
	CHECK("totals", alive == 0 && created == 1001 && exited == 1001, "%llu %llu %llu",
	      (unsigned long long)alive, (unsigned long long)created, (unsigned long long)exited);
	CHECK("live_empty", gsites__live_count(s) == 0, "%zu", (size_t)gsites__live_count(s));
	/* A torn read's junk start PC makes no site and counts nowhere but invalid. */
	{
		struct gsites_stats st;
		size_t nsites = gsites__count(s);

		gsites__created(s, 9000, GP(9000), PC_SHORT, PC_JUNK, 50, 0);
		gsites__exited(s, GP(9000), 60);
		gsites__stats(s, &st);
		gsites__totals(s, false, &alive, &created, &exited);
		CHECK("junk_no_site", gsites__count(s) == nsites && created == 1001 && alive == 0,
		      "%zu sites, %llu created", gsites__count(s), (unsigned long long)created);
		/* Its exit names a g no creation event filled: not counted either. */
		CHECK("junk_counted", st.invalid == 1 && st.unknown_exit == 1, "%llu %llu",
		      (unsigned long long)st.invalid, (unsigned long long)st.unknown_exit);
	}
	gsites__free(s);
}

/* Inventory at attach, events that race it, repair by later walks. */
static void test_walks(void)
{
	struct gsites *s;
	__u64 alive, created, exited, salive, sc, se;

	gsites__new(namer, NULL, 0, &s);
	gsites__walk_begin(s, 1 * SEC, true);
	seen(s, 1, PC_MAIN, GS_WAITING, 7);
	seen(s, 2, PC_LEAK, GS_WAITING, 14);
	seen(s, 3, PC_LEAK, GS_WAITING, 14);
	seen(s, 4, PC_SYS, GS_WAITING, 2);
	seen(s, 10, PC_SHORT, GS_RUNNING, 0); /* created after the attach, event queued */
	gsites__walk_end(s, true, SEC / 2);
	/*
	 * The queued events: creation of 10 (dedupe), exit of 11 (created
	 * before the attach, gone before the walk: counted nowhere, as it is
	 * not among the alive at attach either).
	 */
	gsites__created(s, 10, GP(10), PC_SHORT, PC_SHORT + 1, SEC / 2, 0);
	gsites__exited(s, GP(11), SEC);
	gsites__exited(s, GP(10), SEC);
	gsites__totals(s, false, &alive, &created, &exited);
	gsites__totals(s, true, &salive, &sc, &se);
	CHECK("inventory", alive == 3 && created == 1 && exited == 1 && salive == 1,
	      "alive %llu created %llu exited %llu system %llu", (unsigned long long)alive,
	      (unsigned long long)created, (unsigned long long)exited,
	      (unsigned long long)salive);
	CHECK("dedupe_lifetime", site(s, PC_SHORT)->nlifetimes == 1 &&
		  site(s, PC_SHORT)->lifetime_max == SEC / 2,
	      "%llu %llu", (unsigned long long)site(s, PC_SHORT)->nlifetimes,
	      (unsigned long long)site(s, PC_SHORT)->lifetime_max);

	/* 20 is made by a path not probed (a coroutine): added on its second sighting. */
	gsites__walk_begin(s, 2 * SEC, false);
	seen(s, 1, PC_MAIN, GS_WAITING, 7);
	seen(s, 2, PC_LEAK, GS_WAITING, 14);
	seen(s, 3, PC_LEAK, GS_WAITING, 14);
	seen(s, 4, PC_SYS, GS_WAITING, 2);
	seen(s, 20, PC_MAIN, GS_WAITING, 7);
	gsites__walk_end(s, true, SEC / 2);
	CHECK("pending_once", site(s, PC_MAIN)->alive == 1, "%llu",
	      (unsigned long long)site(s, PC_MAIN)->alive);
	/* 3 exits without an event (coroexit): gone after two complete walks. */
	for (int w = 3; w <= 4; w++) {
		gsites__walk_begin(s, w * SEC, false);
		seen(s, 1, PC_MAIN, GS_WAITING, 7);
		seen(s, 2, PC_LEAK, GS_WAITING, 14);
		seen(s, 4, PC_SYS, GS_WAITING, 2);
		seen(s, 20, PC_MAIN, GS_WAITING, 7);
		gsites__walk_end(s, true, SEC / 2);
		if (w == 3)
			CHECK("discovered", site(s, PC_MAIN)->alive == 2 &&
				  site(s, PC_MAIN)->discovered == 1 && site(s, PC_LEAK)->alive == 2,
			      "main %llu leak %llu", (unsigned long long)site(s, PC_MAIN)->alive,
			      (unsigned long long)site(s, PC_LEAK)->alive);
	}
	CHECK("lost", site(s, PC_LEAK)->alive == 1 && site(s, PC_LEAK)->lost == 1, "%llu %llu",
	      (unsigned long long)site(s, PC_LEAK)->alive,
	      (unsigned long long)site(s, PC_LEAK)->lost);
	CHECK("waits", site(s, PC_LEAK)->waits[14] == 1 && site(s, PC_MAIN)->waits[7] == 2,
	      "%llu %llu", (unsigned long long)site(s, PC_LEAK)->waits[14],
	      (unsigned long long)site(s, PC_MAIN)->waits[7]);
	/* An incomplete walk removes nothing. */
	gsites__walk_begin(s, 5 * SEC, false);
	gsites__walk_end(s, false, SEC / 2);
	gsites__walk_begin(s, 6 * SEC, false);
	gsites__walk_end(s, false, SEC / 2);
	CHECK("incomplete_keeps", gsites__live_count(s) == 4, "%llu",
	      (unsigned long long)gsites__live_count(s));
	gsites__free(s);
}

/*
 * The longest current park, from the walks (g.waitsince is ignored: see
 * note_state); a g that ran ends its park.
 */
static void test_longest_wait(void)
{
	struct gsite_g stamped = { .goid = 7, .gopc = PC_LEAK, .startpc = PC_LEAK + 1,
				   .status = GS_WAITING, .waitreason = 14, .waitsince = 4 * SEC };
	struct gsite_g ran = { .goid = 7, .gopc = PC_LEAK, .startpc = PC_LEAK + 1,
			       .status = GS_RUNNABLE };
	struct gsites *s;

	gsites__new(namer, NULL, 0, &s);
	gsites__walk_begin(s, 10 * SEC, true);
	gsites__walk_seen(s, &stamped);
	gsites__walk_end(s, true, SEC);
	CHECK("wait_from_first_walk", site(s, PC_LEAK)->parked_long == 0 &&
		      site(s, PC_LEAK)->longest_wait_ns == 0,
	      "%llu parked long, longest %llu", (unsigned long long)site(s, PC_LEAK)->parked_long,
	      (unsigned long long)site(s, PC_LEAK)->longest_wait_ns);
	gsites__walk_begin(s, 13 * SEC, false);
	gsites__walk_seen(s, &stamped);
	gsites__walk_end(s, true, SEC);
	CHECK("wait_grows", site(s, PC_LEAK)->parked_long == 1 &&
		      site(s, PC_LEAK)->longest_wait_ns == 3 * SEC,
	      "%llu", (unsigned long long)site(s, PC_LEAK)->longest_wait_ns);
	gsites__walk_begin(s, 14 * SEC, false);
	gsites__walk_seen(s, &ran);
	gsites__walk_end(s, true, SEC);
	CHECK("wait_ends", site(s, PC_LEAK)->parked_long == 0 &&
		      site(s, PC_LEAK)->longest_wait_ns == 0,
	      "%llu", (unsigned long long)site(s, PC_LEAK)->longest_wait_ns);
	gsites__free(s);
}

/*
 * A growing parked site ranks first; churn, a single goroutine and system
 * ones do not. The last 10 leaked were parked for one walk only: not long.
 */
static void test_leaks(void)
{
	struct gsite_leak l[8];
	__u64 alive[64], alive_pc[64];
	size_t nalive = 0, n;
	struct gsites *s;
	__u64 goid = 1;

	gsites__new(namer, NULL, 0, &s);
	gsites__walk_begin(s, SEC, true);
	alive[nalive] = goid, alive_pc[nalive++] = PC_MAIN;
	seen(s, goid++, PC_MAIN, GS_WAITING, 19);
	for (int i = 0; i < 5; i++) {
		alive[nalive] = goid, alive_pc[nalive++] = PC_LEAK;
		seen(s, goid++, PC_LEAK, GS_WAITING, 14);
	}
	gsites__walk_end(s, true, SEC / 2);
	for (int w = 2; w <= 5; w++) {
		/* 10 more leaked per interval; short ones come and go; system ones grow. */
		for (int i = 0; i < 10; i++) {
			alive[nalive] = goid, alive_pc[nalive++] = PC_LEAK;
			gsites__created(s, goid, GP(goid), PC_LEAK, PC_LEAK + 1, w * SEC - SEC / 2, 0);
			goid++;
		}
		for (int i = 0; i < 10; i++) {
			gsites__created(s, goid, GP(goid), PC_SHORT, PC_SHORT + 1, w * SEC - SEC / 2, 0);
			gsites__exited(s, GP(goid++), w * SEC - SEC / 4);
		}
		for (int i = 0; i < 2; i++) {
			alive[nalive] = goid, alive_pc[nalive++] = PC_SYS;
			gsites__created(s, goid, GP(goid), PC_SYS, PC_SYS + 1, w * SEC - SEC / 2, 0);
			goid++;
		}
		gsites__walk_begin(s, w * SEC, false);
		for (size_t i = 0; i < nalive; i++)
			seen(s, alive[i], alive_pc[i], GS_WAITING, alive_pc[i] == PC_MAIN ? 19 : 14);
		gsites__walk_end(s, true, SEC / 2);
	}
	n = gsites__leaks(s, 5 * SEC, l, 8);
	CHECK("leak_top", n >= 1 && l[0].site->gopc == PC_LEAK && l[0].site->alive == 45 &&
		  l[0].growth == 40 && l[0].top_wait == 14 && l[0].top_wait_n == 45 &&
		  l[0].parked_long == 35,
	      "n %zu top %s alive %llu growth %llu wait %d/%llu parked %llu", n,
	      n ? l[0].site->func : "-", n ? (unsigned long long)l[0].site->alive : 0,
	      n ? (unsigned long long)l[0].growth : 0, n ? l[0].top_wait : -1,
	      n ? (unsigned long long)l[0].top_wait_n : 0,
	      n ? (unsigned long long)l[0].parked_long : 0);
	CHECK("leak_only", n == 1, "%zu suspects (second %s)", n, n > 1 ? l[1].site->func : "-");
	CHECK("leak_oldest", n && l[0].oldest_age_ns == 5 * SEC, "%llu",
	      n ? (unsigned long long)l[0].oldest_age_ns : 0);
	gsites__free(s);
}

static void test_waitreason_table(void)
{
	/* reference §4.4: sleep is 19 (1.19-1.24), 20 (1.25), 14 (1.26+); chan receive 14 / 19. */
	static const struct {
		int minor;
		unsigned int sleep, chanrecv;
	} want[] = { { 19, 19, 14 }, { 22, 19, 14 }, { 25, 20, 14 }, { 26, 14, 19 },
		     { 27, 14, 19 } };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct waitreason_row *r = NULL;
		char name[64];

		for (size_t k = 0; k < waitreason__table_rows; k++)
			if (waitreason__table[k].minor == want[i].minor)
				r = &waitreason__table[k];
		snprintf(name, sizeof(name), "waitreasons.go1.%d", want[i].minor);
		if (!r) {
			printf("SKIP goroutines.%s: no table row\n", name);
			continue;
		}
		CHECK(name, r->n > want[i].chanrecv && !strcmp(r->names[want[i].sleep], "sleep") &&
			    !strcmp(r->names[want[i].chanrecv], "chan receive") && !*r->names[0],
		      "sleep=%s chanrecv=%s", r->names[want[i].sleep], r->names[want[i].chanrecv]);
	}
}

static void test_parents(void)
{
	struct gsites *s;
	struct gsite *sh, *lk;

	gsites__new(namer, NULL, 0, &s);
	gsites__created(s, 1, GP(1), PC_MAIN, PC_MAIN + 1, SEC, 0);
	/* main (goid 1) creates 10 short ones, one of which creates 3 leaking ones. */
	for (__u64 g = 10; g < 20; g++)
		gsites__created(s, g, GP(g), PC_SHORT, PC_SHORT + 1, 2 * SEC, 1);
	for (__u64 g = 100; g < 103; g++)
		gsites__created(s, g, GP(g), PC_LEAK, PC_LEAK + 1, 3 * SEC, 15);
	/* A creator that is not (or no longer) known. */
	gsites__created(s, 200, GP(200), PC_LEAK, PC_LEAK + 1, 3 * SEC, 999);
	sh = site(s, PC_SHORT);
	lk = site(s, PC_LEAK);
	CHECK("parent_short", sh && sh->parents[0].site == site(s, PC_MAIN) &&
		  sh->parents[0].count == 10 && !sh->parents[1].site && !sh->parent_unknown,
	      "%p x%llu", sh ? (const void *)sh->parents[0].site : NULL,
	      sh ? (unsigned long long)sh->parents[0].count : 0);
	CHECK("parent_chain", lk && lk->parents[0].site == sh && lk->parents[0].count == 3 &&
		  lk->parent_unknown == 1,
	      "x%llu unknown %llu", lk ? (unsigned long long)lk->parents[0].count : 0,
	      lk ? (unsigned long long)lk->parent_unknown : 0);
	CHECK("parent_none", site(s, PC_MAIN)->parent_unknown == 1, "%llu",
	      (unsigned long long)site(s, PC_MAIN)->parent_unknown);
	gsites__free(s);
}

/*
 * Goroutines found by walks: their g.parentGoid names the creator, which the
 * list may hold after them (a new goroutine takes a dead g wherever it is).
 */
static void test_walk_parents(void)
{
	struct gsites *s;
	struct gsite *sh, *lk;
	struct gsite_g g = { .status = GS_WAITING };

	gsites__new(namer, NULL, 0, &s);
	gsites__walk_begin(s, SEC, true);
	for (__u64 id = 100; id < 103; id++) {
		/* Before their creator (goid 10) in the list. */
		g = (struct gsite_g){ .g = GP(id), .goid = id, .gopc = PC_LEAK,
				      .startpc = PC_LEAK + 1, .status = GS_WAITING, .parent = 10 };
		gsites__walk_seen(s, &g);
	}
	g = (struct gsite_g){ .g = GP(10), .goid = 10, .gopc = PC_SHORT, .startpc = PC_SHORT + 1,
			      .status = GS_WAITING, .parent = 1 };
	gsites__walk_seen(s, &g); /* its creator, goid 1, exited before the attach */
	g = (struct gsite_g){ .g = GP(11), .goid = 11, .gopc = PC_SHORT, .startpc = PC_SHORT + 1,
			      .status = GS_WAITING }; /* go1.19: no parentGoid */
	gsites__walk_seen(s, &g);
	gsites__walk_end(s, true, SEC);
	sh = site(s, PC_SHORT);
	lk = site(s, PC_LEAK);
	CHECK("walk_parent_later", lk && lk->parents[0].site == sh && lk->parents[0].count == 3 &&
		  !lk->parent_unknown,
	      "x%llu unknown %llu", lk ? (unsigned long long)lk->parents[0].count : 0,
	      lk ? (unsigned long long)lk->parent_unknown : 0);
	CHECK("walk_parent_unknown", sh && !sh->parents[0].site && sh->parent_unknown == 2, "%llu",
	      sh ? (unsigned long long)sh->parent_unknown : 0);
	/* Seen again: counted once. */
	gsites__walk_begin(s, 2 * SEC, false);
	for (__u64 id = 100; id < 103; id++) {
		g = (struct gsite_g){ .g = GP(id), .goid = id, .gopc = PC_LEAK,
				      .startpc = PC_LEAK + 1, .status = GS_WAITING, .parent = 10 };
		gsites__walk_seen(s, &g);
	}
	gsites__walk_end(s, false, SEC);
	/* The creation event of one of them, drained after the walks: no second count. */
	gsites__created(s, 101, GP(101), PC_LEAK, PC_LEAK + 1, SEC / 2, 10);
	CHECK("walk_parent_once", lk && lk->parents[0].count == 3 && !lk->parent_unknown,
	      "x%llu unknown %llu", lk ? (unsigned long long)lk->parents[0].count : 0,
	      lk ? (unsigned long long)lk->parent_unknown : 0);
	gsites__free(s);
}

static void test_parks(void)
{
	struct gsites *s;
	struct gsite *sh;
	struct gsites_stats st;

	gsites__new(namer, NULL, 0, &s);
	for (__u64 g = 1; g <= 100; g++)
		gsites__created(s, g, GP(g), PC_SHORT, PC_SHORT + 1, SEC / 2, 0);
	/* 100 goroutines park on reason 14 for 1..100 ms, then on 19 for 5 ms. */
	for (__u64 g = 1; g <= 100; g++) {
		gsites__parked(s, GP(g), 14, SEC);
		gsites__ran(s, GP(1000 + g), SEC); /* some other goroutine: no park to close */
	}
	for (__u64 g = 1; g <= 100; g++)
		gsites__ran(s, GP(g), SEC + g * MS);
	for (__u64 g = 1; g <= 100; g++) {
		gsites__parked(s, GP(g), 19, 2 * SEC);
		gsites__ran(s, GP(g), 2 * SEC + 5 * MS);
	}
	sh = site(s, PC_SHORT);
	CHECK("park_count", sh && sh->park[14].count == 100 && sh->park[19].count == 100,
	      "%llu %llu", sh ? (unsigned long long)sh->park[14].count : 0,
	      sh ? (unsigned long long)sh->park[19].count : 0);
	CHECK("park_total", sh && sh->park[14].total_ns == 5050 * MS &&
		  sh->park[19].total_ns == 500 * MS && sh->park[14].max_ns == 100 * MS,
	      "%llu %llu", sh ? (unsigned long long)sh->park[14].total_ns : 0,
	      sh ? (unsigned long long)sh->park[19].total_ns : 0);
	CHECK("park_p50", sh && gsites__park_pct(&sh->park[14], 50) >= 49 * MS &&
		  gsites__park_pct(&sh->park[14], 50) <= 51 * MS &&
		  gsites__park_pct(&sh->park[19], 99) == 5 * MS,
	      "%llu %llu", sh ? (unsigned long long)gsites__park_pct(&sh->park[14], 50) : 0,
	      sh ? (unsigned long long)gsites__park_pct(&sh->park[19], 99) : 0);
	/* Bounded: beyond the cap parks are counted, not timed; an exit forgets a park. */
	gsites__set_park_cap(s, 10);
	for (__u64 g = 500; g < 520; g++) {
		gsites__created(s, g, GP(g), PC_LEAK, PC_LEAK + 1, 3 * SEC, 0);
		gsites__parked(s, GP(g), 14, 3 * SEC);
	}
	gsites__stats(s, &st);
	CHECK("park_cap", gsites__parked_count(s) == 10 && st.park_drops == 10, "%zu %llu",
	      gsites__parked_count(s), (unsigned long long)st.park_drops);
	gsites__exited(s, GP(500), 4 * SEC);
	gsites__ran(s, GP(500), 5 * SEC);
	CHECK("park_exit", gsites__parked_count(s) == 9 && !site(s, PC_LEAK)->park[14].count,
	      "%zu %llu", gsites__parked_count(s),
	      (unsigned long long)site(s, PC_LEAK)->park[14].count);
	/*
	 * A park by a g no creation named, or seen by a walk only after the
	 * park: the goroutine (and its site) is not known, so it is not timed.
	 */
	gsites__parked(s, GP(7000), 14, 5 * SEC);
	gsites__walk_begin(s, 7 * SEC, false);
	gsites__walk_end(s, true, SEC);
	gsites__stats(s, &st);
	CHECK("park_unknown", st.park_unknown == 1 && gsites__parked_count(s) == 9, "%llu %zu",
	      (unsigned long long)st.park_unknown, gsites__parked_count(s));
	CHECK("park_stats", st.parks == 221 && st.runs == 301 && st.runs_timed == 200, "%llu %llu %llu",
	      (unsigned long long)st.parks, (unsigned long long)st.runs,
	      (unsigned long long)st.runs_timed);
	gsites__free(s);
}

/* Exit events name only the g; which goroutine it held comes from creations and walks. */
static void test_exit_by_g(void)
{
	struct gsites_stats st;
	struct gsites *s;
	struct gsite *sh;
	__u64 alive, created, exited;

	gsites__new(namer, NULL, 0, &s);
	/* One g reused: goid 1 lives 1 s in it, then goid 2 lives 2 s. */
	gsites__created(s, 1, GP(1), PC_SHORT, PC_SHORT + 1, 1 * SEC, 0);
	gsites__exited(s, GP(1), 2 * SEC);
	gsites__created(s, 2, GP(1), PC_SHORT, PC_SHORT + 1, 3 * SEC, 0);
	gsites__exited(s, GP(1), 5 * SEC);
	sh = site(s, PC_SHORT);
	CHECK("reuse", sh && sh->exited == 2 && sh->alive == 0 && sh->nlifetimes == 2 &&
		       sh->lifetime_max == 2 * SEC,
	      "exited %llu alive %llu lifetimes %llu max %llu", sh ? (unsigned long long)sh->exited : 0,
	      sh ? (unsigned long long)sh->alive : 0, sh ? (unsigned long long)sh->nlifetimes : 0,
	      sh ? (unsigned long long)sh->lifetime_max : 0);

	/*
	 * The walk at 10 s finds goid 30 in g 30. An exit of that g stamped
	 * before the walk was an earlier occupant's; one after ends goid 30.
	 */
	gsites__walk_begin(s, 10 * SEC, true);
	seen(s, 30, PC_LEAK, GS_WAITING, 14);
	gsites__walk_end(s, true, SEC);
	gsites__exited(s, GP(30), 9 * SEC);
	gsites__stats(s, &st);
	CHECK("walk_ref_not_before", site(s, PC_LEAK)->alive == 1 && st.unknown_exit == 1,
	      "alive %llu unknown %llu", (unsigned long long)site(s, PC_LEAK)->alive,
	      (unsigned long long)st.unknown_exit);
	gsites__exited(s, GP(30), 11 * SEC);
	CHECK("walk_ref_after", site(s, PC_LEAK)->alive == 0 && site(s, PC_LEAK)->exited == 1 &&
					site(s, PC_LEAK)->nlifetimes == 0,
	      "alive %llu exited %llu", (unsigned long long)site(s, PC_LEAK)->alive,
	      (unsigned long long)site(s, PC_LEAK)->exited);

	/*
	 * A walk that sees a g's next occupant (goid 41) before the events of
	 * 40's exit and 41's creation are read does not rename the g.
	 */
	gsites__created(s, 40, GP(40), PC_MAIN, PC_MAIN + 1, 20 * SEC, 0);
	gsites__walk_begin(s, 22 * SEC, false);
	{
		struct gsite_g next = { .g = GP(40), .goid = 41, .gopc = PC_MAIN,
					.startpc = PC_MAIN + 1, .status = GS_RUNNING };

		gsites__walk_seen(s, &next);
	}
	gsites__walk_end(s, true, SEC);
	gsites__exited(s, GP(40), 21 * SEC);
	gsites__created(s, 41, GP(40), PC_MAIN, PC_MAIN + 1, 21 * SEC + 1, 0);
	CHECK("walk_no_rename", site(s, PC_MAIN)->exited == 1 && site(s, PC_MAIN)->alive == 1 &&
					site(s, PC_MAIN)->lifetime_max == SEC,
	      "exited %llu alive %llu max %llu", (unsigned long long)site(s, PC_MAIN)->exited,
	      (unsigned long long)site(s, PC_MAIN)->alive,
	      (unsigned long long)site(s, PC_MAIN)->lifetime_max);
	gsites__exited(s, GP(40), 23 * SEC);
	/*
	 * No events for g 50: the walk at attach finds goid 50 in it, the next
	 * two find 51 (added on its second sighting; 50 lost). The later
	 * reading names the g for exits after it.
	 */
	for (int w = 0; w < 3; w++) {
		struct gsite_g a = { .g = GP(50), .goid = w ? 51 : 50, .gopc = PC_MAIN,
				     .startpc = PC_MAIN + 1, .status = GS_WAITING };

		gsites__walk_begin(s, (30 + w) * SEC, w == 0);
		gsites__walk_seen(s, &a);
		gsites__walk_end(s, true, SEC);
	}
	gsites__exited(s, GP(50), 33 * SEC);
	{
		struct gsites_stats st2;

		gsites__stats(s, &st2);
		CHECK("walk_newer_reading", st2.unknown_exit == 1 && site(s, PC_MAIN)->exited == 3 &&
						    site(s, PC_MAIN)->lost == 1 &&
						    site(s, PC_MAIN)->alive == 0,
		      "unknown %llu exited %llu lost %llu alive %llu",
		      (unsigned long long)st2.unknown_exit,
		      (unsigned long long)site(s, PC_MAIN)->exited,
		      (unsigned long long)site(s, PC_MAIN)->lost,
		      (unsigned long long)site(s, PC_MAIN)->alive);
	}
	gsites__totals(s, false, &alive, &created, &exited);
	CHECK("by_g_totals", alive == 0 && created == 4 && exited == 6 && gsites__live_count(s) == 0,
	      "alive %llu created %llu exited %llu live %llu", (unsigned long long)alive,
	      (unsigned long long)created, (unsigned long long)exited,
	      (unsigned long long)gsites__live_count(s));
	gsites__free(s);
}

int main(void)
{
	test_exit_by_g();
	test_counts_and_lifetimes();
	test_walks();
	test_leaks();
	test_waitreason_table();
	test_parents();
	test_walk_parents();
	test_parks();
	test_longest_wait();
	return failures != 0;
}
