#!/usr/bin/python3
"""End-to-end check of gopry's goroutine collector against Go's own counts.

For every toolchain x build mode, runs tests/workloads/goleak (N short-lived
goroutines of known lifetime at the line marked SITE:short, M leaked ones
blocked on a channel receive at SITE:leak, some before the attach) under
`gopry -j --leaks --goroutine-profile`, launched (with --goroutines) or
attached by PID (without: collection is on by default), alternating, and
compares: per-site created/exited/alive with the
workload's counters, the alive total with its runtime.NumGoroutine(), the
lifetimes with its own clock (10%), the top leak suspect, and
`go tool pprof -top` of the profile, the creating goroutines' site
(runtime.main) of both sites, leak records during the run (final false) and
at the end (final true). Also: the default probe plan of every case has the
goroutine probes, emulated, and --no-goroutines leaves them out;
attaching during heavy goroutine churn harms nothing, and (per toolchain)
`--waits` times the parks of goroutines that block on a channel for a known
time as the workload's own clock does, and --leak-min-age holds suspects back.

Usage: tests/e2e/goroutines.py [-v] [-k SUBSTRING]... [--versions 1.22,1.27] [--modes pie]
"""
import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gopry_e2e  # noqa: E402
from gopry_e2e import GOPRY, TOP, gotool, records  # noqa: E402

SRC = os.path.join(TOP, "tests", "workloads", "goleak", "main.go")
VERSIONS = ["1.19", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]
MODES = ["default", "stripped", "pie", "cgo"]
N, M, PRE = 60, 24, 6
RUN_TIMEOUT = 60
VERBOSE = False
log = gopry_e2e.logger("goroutines")


def site_lines():
    lines = {}
    with open(SRC) as f:
        for i, l in enumerate(f, 1):
            m = re.search(r"// SITE:(\w+)", l)
            if m:
                lines[m.group(1)] = i
    return lines


SITES = site_lines()


def build(ver, mode, wl="goleak"):
    return gopry_e2e.build(ver, mode, wl)


def find_site(sites, key):
    for s in sites:
        if s["file"].endswith("goleak/main.go") and s["line"] == SITES[key]:
            return s
    return None


def within(got, want, pct=10):
    return want > 0 and abs(got - want) <= want * pct / 100


def run_case(ver, mode, attach, d):
    """Run goleak under gopry; returns (records, workload report, profile path)."""
    bin_ = build(ver, mode)
    rep, prof = os.path.join(d, "r.json"), os.path.join(d, "g.pb.gz")
    args = ["-n", str(N), "-m", str(M), "-pre", str(PRE), "-report", rep]
    # Collection is on by default: the by-PID cases leave --goroutines out.
    gopts = [GOPRY, "-j"] + ([] if attach else ["--goroutines"]) + [
        "--leaks", "--goroutine-profile", prof]
    if not attach:
        p = subprocess.run(gopts + ["--", bin_] + args, capture_output=True, text=True,
                           timeout=RUN_TIMEOUT)
        out, err, rc = p.stdout, p.stderr, p.returncode
    else:
        w = subprocess.Popen([bin_, "-wait"] + args, stdout=subprocess.PIPE, text=True)
        try:
            ready = w.stdout.readline()
            if not ready.startswith("READY"):
                raise RuntimeError(f"workload said {ready!r}")
            g = subprocess.Popen(gopts + ["-p", str(w.pid)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            # The attach line comes after the probes and the first walk.
            errbuf = []
            while True:
                line = g.stderr.readline()
                if not line:
                    break
                errbuf.append(line)
                if "attached to pid" in line:
                    break
            w.send_signal(signal.SIGUSR1)
            w.wait(timeout=RUN_TIMEOUT)
            out, err = g.communicate(timeout=RUN_TIMEOUT)
            err = "".join(errbuf) + err
            rc = g.returncode
        finally:
            for p in (w, locals().get("g")):
                if p and p.poll() is None:
                    p.kill()
                    p.wait()
    if rc != 0:
        raise RuntimeError(f"gopry exited {rc}: {err.strip()[-400:]}")
    with open(rep) as f:
        return records(out), json.load(f), prof, err


def check(name, ver, attach, recs, rep, prof):
    errs = []
    finals = [r for r in recs if r.get("type") == "goroutines" and r.get("final")]
    if len(finals) != 1:
        return [f"{len(finals)} final goroutines records"]
    fin = finals[0]
    if not rep["stable"]:
        errs.append("workload never reached a stable goroutine count")
    if fin["alive"] != rep["NumGoroutine"]:
        errs.append(f"alive {fin['alive']} != NumGoroutine {rep['NumGoroutine']}")
    short, leak = find_site(fin["sites"], "short"), find_site(fin["sites"], "leak")
    if not short or not leak:
        return errs + [f"sites not found (short {bool(short)}, leak {bool(leak)})"]
    if (short["created"], short["exited"], short["alive"]) != (N, N, 0):
        errs.append(f"short site created/exited/alive {short['created']}/{short['exited']}/"
                    f"{short['alive']}, want {N}/{N}/0")
    want_created = M - PRE if attach else M
    if (leak["created"], leak["alive"]) != (want_created, M):
        errs.append(f"leak site created/alive {leak['created']}/{leak['alive']}, "
                    f"want {want_created}/{M}")
    if leak["waits"].get("chan receive") != M:
        errs.append(f"leak site waits {leak['waits']}, want chan receive: {M}")
    lt = short["lifetime_ns"]
    if not within(lt["p50"], rep["life_p50_ns"]):
        errs.append(f"lifetime p50 {lt['p50']} vs workload {rep['life_p50_ns']}")
    # The maximum is one goroutine: a preemption between the workload's
    # time.Now() and newproc, or a late wakeup, moves it by a scheduling
    # delay (seen: 13 ms on a loaded 2-core machine). Allow 10% or 25 ms.
    if not within(lt["max"], rep["life_max_ns"]) and \
            abs(lt["max"] - rep["life_max_ns"]) > 25_000_000:
        errs.append(f"lifetime max {lt['max']} vs workload {rep['life_max_ns']}")
    for r in recs:
        if r.get("type") != "goroutines":
            continue
        for s in r["sites"]:
            if s["alive"] > s["created"] + s["at_attach"] + s["discovered"]:
                errs.append(f"impossible counts at {s['func']}: {s}")
                break
    # The PRE leaked before the attach are found by the first walk, whose
    # g.parentGoid names main as the creator too -- from go1.21, where the
    # g has that field (on go1.19 those PRE count as parent_unknown).
    has_parent = tuple(map(int, ver.split("."))) >= (1, 21)
    want_created_leak = M if has_parent else want_created
    if not has_parent and find_site(fin["sites"], "leak")["parent_unknown"] != M - want_created:
        errs.append(f"leak site parent_unknown {find_site(fin['sites'], 'leak')['parent_unknown']}"
                    f", want {M - want_created}")
    for key, want in (("leak", want_created_leak), ("short", N)):
        site = find_site(fin["sites"], key)
        par = site["parents"][0] if site["parents"] else None
        if not par or par["start_func"] != "runtime.main" or par["count"] != want:
            errs.append(f"{key} site parents {site['parents']}, want runtime.main x{want}")
    leaks = [r for r in recs if r.get("type") == "leak" and r.get("final")]
    running = [r for r in recs if r.get("type") == "leak" and r.get("final") is False]
    if not any(r["line"] == SITES["leak"] for r in running):
        errs.append(f"no leak suspect during the run ({len(running)} interval records)")
    if not leaks:
        errs.append("no leak suspect")
    else:
        top = leaks[0]
        if not (top["file"].endswith("goleak/main.go") and top["line"] == SITES["leak"] and
                top["wait"] == "chan receive" and top["alive"] == M and top["rank"] == 1 and
                top["parent_start_func"] == "runtime.main" and
                top["parent_count"] == want_created_leak):
            errs.append(f"top suspect {top['func']} {top['file']}:{top['line']} "
                        f"{top['wait']!r} alive {top['alive']} parent "
                        f"{top['parent_start_func']} x{top['parent_count']}")
        # Parked long (the default --leak-min-age, 0.5 s), never longer than gopry looked.
        if not 0.5e9 <= top["longest_wait_ns"] <= top["window_ns"]:
            errs.append(f"top suspect longest wait {top['longest_wait_ns']} ns, window "
                        f"{top['window_ns']} ns")
    p = subprocess.run([gotool(ver), "tool", "pprof", "-top", prof], capture_output=True,
                       text=True, timeout=60)
    rows = [l.split() for l in p.stdout.splitlines()]
    got = [r for r in rows if r and r[-1] == "main.spawnLeak" and len(r) >= 6]
    if p.returncode != 0 or not got or got[0][3] != str(M):
        errs.append(f"pprof -top: no main.spawnLeak with cum {M}: "
                    f"{(p.stdout + p.stderr).strip()[-300:]}")
    return errs


def case_main(ver, mode, attach):
    name = f"goroutines/{ver}/{mode}" + ("/by-pid" if attach else "")
    with tempfile.TemporaryDirectory() as d:
        recs, rep, prof, err = run_case(ver, mode, attach, d)
        errs = check(name, ver, attach, recs, rep, prof)
    return [(name, "; ".join(errs) if errs else None)]


WAITERS, WAIT_MS = 40, 50


def case_waits(ver, mode):
    """--waits: per-site park counts and times against the workload's own clock.

    WAITERS goroutines at SITE:wait each block once on a channel receive for
    about WAIT_MS; 8 more leak (blocked forever) while --leak-min-age is far
    longer than the run, so no suspect may be reported.
    """
    name = f"goroutines/{ver}/{mode}/waits"
    bin_ = build(ver, mode)
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        p = subprocess.run([GOPRY, "-j", "--waits", "--leaks", "--leak-min-age", "1000", "--",
                            bin_, "-n", "0", "-m", "8", "-pre", "0", "-w", str(WAITERS),
                            "-wlife", f"{WAIT_MS}ms", "-hold", "1500ms", "-report", rep],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT)
        if p.returncode != 0:
            return [(name, f"gopry exited {p.returncode}: {p.stderr.strip()[-300:]}")]
        with open(rep) as f:
            wr = json.load(f)
    recs = records(p.stdout)
    errs = []
    fin = [r for r in recs if r.get("type") == "goroutines" and r.get("final")]
    site = find_site(fin[0]["sites"], "wait") if fin else None
    if not site or "park_waits" not in site:
        return [(name, f"no wait site with park_waits in the final record")]
    pw = site["park_waits"]
    cr = pw.get("chan receive")
    if set(pw) != {"chan receive"} or cr["count"] != WAITERS:
        errs.append(f"park_waits {pw}, want chan receive x{WAITERS} only")
    elif not within(cr["p50_ns"], wr["wait_p50_ns"]) or \
            not within(cr["total_ns"], wr["wait_total_ns"]):
        errs.append(f"park p50 {cr['p50_ns']} total {cr['total_ns']} vs workload "
                    f"p50 {wr['wait_p50_ns']} total {wr['wait_total_ns']}")
    elif not within(cr["p50_ns"], WAIT_MS * 1e6, 20):
        errs.append(f"park p50 {cr['p50_ns']} ns, want about {WAIT_MS} ms")
    if VERBOSE:
        log(f"{name}: park_waits {pw}; workload p50 {wr['wait_p50_ns']} total "
            f"{wr['wait_total_ns']}")
    leaks = [r for r in recs if r.get("type") == "leak"]
    if leaks:
        errs.append(f"{len(leaks)} leak records with --leak-min-age 1000")
    if "park times" in p.stderr or "not timed" in p.stderr:
        errs.append(p.stderr.strip()[-300:])
    return [(name, "; ".join(errs) if errs else None)]


def plan_roles(ver, mode, *opts):
    p = subprocess.run([GOPRY, "--dry-run", "-j", *opts, "--", build(ver, mode)],
                       capture_output=True, text=True, timeout=60)
    return {r["role"]: r for r in records(p.stdout) if r.get("type") == "probe"}, p


def case_plan(ver, mode):
    """By default the creation and exit probes exist and are emulated (no
    single-step); --no-goroutines leaves them out."""
    name = f"goroutines/{ver}/{mode}/plan"
    roles, p = plan_roles(ver, mode)
    off, _ = plan_roles(ver, mode, "--no-goroutines")
    errs = [f"--no-goroutines plans {r}" for r in off if r.startswith("goroutine")]
    if not off:
        errs.append("--no-goroutines: no plan")
    for role, fn in (("goroutine-create", "runtime.newproc.func1"),
                     ("goroutine-exit", "runtime.goexit1")):
        r = roles.get(role)
        if not r or r["function"] != fn or not r["emulated"] or "call" not in r["instruction"]:
            errs.append(f"{role}: {r}")
    if "allgs" in p.stderr:
        errs.append("inventory unavailable: " + p.stderr.strip()[-200:])
    return [(name, "; ".join(errs) if errs else None)]


def case_churn(ver, mode):
    """Attach during heavy churn: both processes survive, counts stay possible."""
    name = f"goroutines/{ver}/{mode}/churn-attach"
    bin_ = build(ver, mode)
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        w = subprocess.Popen([bin_, "-n", "30000", "-batch", "1000", "-life", "1ms",
                              "-m", "10", "-pre", "0", "-hold", "1s", "-report", rep],
                             stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.3)
            g = subprocess.run([GOPRY, "-j", "--goroutines", "--leaks", "-p", str(w.pid)],
                               capture_output=True, text=True, timeout=RUN_TIMEOUT)
            wrc = w.wait(timeout=RUN_TIMEOUT)
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        errs = []
        if wrc != 0:
            errs.append(f"workload exited {wrc}")
        if g.returncode != 0:
            errs.append(f"gopry exited {g.returncode}: {g.stderr.strip()[-300:]}")
        recs = [r for r in records(g.stdout) if r.get("type") == "goroutines"]
        if not recs or not recs[-1].get("final"):
            errs.append("no final record")
        else:
            rp = json.load(open(rep))
            dropped = "dropped" in g.stderr
            if recs[-1]["alive"] != rp["NumGoroutine"] and not dropped:
                errs.append(f"alive {recs[-1]['alive']} != NumGoroutine {rp['NumGoroutine']}")
        for r in recs:
            for s in r["sites"]:
                if s["alive"] > s["created"] + s["at_attach"] + s["discovered"]:
                    errs.append(f"impossible counts: {s}")
    return [(name, "; ".join(errs) if errs else None)]


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true")
    ap.add_argument("-k", action="append", default=[])
    ap.add_argument("--versions", default=",".join(VERSIONS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("-j", type=int, default=2)
    a = ap.parse_args()
    VERBOSE = a.v
    report = gopry_e2e.Reporter("e2e")

    if set(SITES) != {"short", "leak", "wait"}:
        report("goroutines/sites", f"SITE markers in {SRC}: {SITES}")
        return 1
    status = gopry_e2e.need_root(report, "goroutines/root")
    if status is not None:
        return status
    if not os.access(GOPRY, os.X_OK):
        report("goroutines/gopry", f"{GOPRY} not built")
        return 1
    versions = [v for v in a.versions.split(",")
                if v and os.access(gotool(v), os.X_OK)]
    modes = [m for m in a.modes.split(",") if m]
    jobs = []
    for i, m in enumerate(modes):
        for k, v in enumerate(versions):
            jobs.append((case_main, (v, m, (i + k) % 2 == 1)))
            jobs.append((case_plan, (v, m)))
    for k, v in enumerate(versions):
        jobs.append((case_waits, (v, modes[k % len(modes)])))
    for v in (versions[0], versions[-1]) if versions else ():
        jobs.append((case_churn, (v, "default")))
    jobs = [j for j in jobs if all(k in "/".join(map(str, j[1])) + j[0].__name__ for k in a.k)]

    def run(job):
        fn, args = job
        t0 = time.monotonic()
        try:
            res = fn(*args)
        except Exception as ex:
            res = [(f"goroutines/{'/'.join(map(str, args))}/{fn.__name__}",
                    f"{type(ex).__name__}: {ex}")]
        if VERBOSE:
            log(f"{fn.__name__}{args}: {time.monotonic() - t0:.1f}s")
        for n, e in res:
            report(n, e)

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as ex:
        list(ex.map(run, jobs))
    log(f"{len(jobs)} cases in {time.monotonic() - t0:.0f}s")
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
