#!/usr/bin/python3
"""End-to-end check of gopry's numbers against Go's own.

For every toolchain x build mode, runs tests/workloads/gcwork under
`gopry -j -- ...` with GODEBUG=gctrace=1 and compares gopry's JSON records
with the gctrace lines and with the workload's own report (ReadMemStats).
A few cases attach by PID instead, and one runs --dry-run.

Usage: tests/e2e/e2e.py [-v] [-k SUBSTRING]... [--versions 1.22,1.27] [--modes pie]
Prints PASS/FAIL/SKIP lines; exits non-zero iff something failed.
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
from gopry_e2e import CACHE, GOPRY, Lines, kill, tail  # noqa: E402,F401

parse_records = gopry_e2e.records
VERSIONS = ["1.19", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]
MODES = ["default", "stripped", "pie", "cgo"]
MAX_INT64 = (1 << 63) - 1
RUN_TIMEOUT = 60
WORK_ARGS = ["-auto", "12", "-forced", "3", "-memstats", "4"]

# Each mode gets its own GC settings so that gopry's gogc and memory limit are
# checked against several values, including GOGC=off and no limit at all.
ENVS = {
    "default": ({"GOGC": "50", "GOMEMLIMIT": "768MiB"}, 50, 768 << 20),
    "stripped": ({"GOGC": "80"}, 80, MAX_INT64),
    "pie": ({"GOGC": "150", "GOMEMLIMIT": "1000000000"}, 150, 1000000000),
    # Without a GC percentage, only the memory limit triggers automatic GCs.
    "cgo": ({"GOGC": "off", "GOMEMLIMIT": "40MiB"}, -1, 40 << 20),
}
# Attach-by-PID cases: (version, mode).
ATTACH = [("1.19", "default"), ("1.21", "cgo"), ("1.23", "stripped"),
          ("1.25", "pie"), ("1.27", "default")]
DRYRUN = [("1.19", "stripped"), ("1.27", "pie")]

VERBOSE = False
log = gopry_e2e.logger("e2e")


# --- Go's own formatting, reimplemented exactly (runtime/mgc.go) -----------

def itoa_div(val, dec):
    """runtime.itoaDiv with a 24-byte buffer: val/10**dec as a decimal."""
    buf = [""] * 24
    i = len(buf) - 1
    idec = i - dec
    while val >= 10 or i >= idec:
        buf[i] = chr(val % 10 + 48)
        i -= 1
        if i == idec:
            buf[i] = "."
            i -= 1
        val //= 10
    buf[i] = chr(val + 48)
    return "".join(buf[i:])


def fmt_ns_as_ms(ns):
    """runtime.fmtNSAsMS: how gctrace prints a phase's clock time."""
    if ns >= 10_000_000:
        return itoa_div(ns // 1_000_000, 0)
    x = ns // 1000
    if x == 0:
        return "0"
    dec = 3
    while x >= 100:
        x //= 10
        dec -= 1
    return itoa_div(x, dec)


GCTRACE = re.compile(
    r"^gc (\d+) @[\d.]+s \d+%[^:]*: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, "
    r".* (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, .*? P( \(forced\))?$")


def parse_gctrace(text):
    """cycle -> dict(clock=[3 strings], heap=[3 ints], goal, forced)."""
    out = {}
    for line in text.splitlines():
        m = GCTRACE.match(line)
        if m:
            g = m.groups()
            out[int(g[0])] = {
                "clock": [g[1], g[2], g[3]],
                "heap": [int(g[4]), int(g[5]), int(g[6])],
                "goal": int(g[7]),
                "forced": g[8] is not None,
            }
        elif line.startswith("gc ") and "@" in line:
            log("unparsed gctrace-like line: " + line)
    return out


def selftest():
    """Known fmtNSAsMS outputs, worked out from Go's code by hand."""
    cases = {0: "0", 999: "0", 1000: "0.001", 12_345: "0.012", 99_999: "0.099",
             100_000: "0.10", 123_456: "0.12", 999_999: "0.99", 1_000_000: "1.0",
             1_234_567: "1.2", 9_999_999: "9.9", 10_000_000: "10", 123_456_789: "123"}
    bad = [f"{k}->{fmt_ns_as_ms(k)!r} want {v!r}" for k, v in cases.items()
           if fmt_ns_as_ms(k) != v]
    line = ("gc 7 @0.040s 20%: 0.009+0.32+0.001 ms clock, 0.018+0.020/0.092/0.13+0.003 "
            "ms cpu, 2->3->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)")
    line127 = ("gc 8 @1.5s 3% (checking for goroutine leaks): 10+0.32+0.001 ms clock, 1+2/3/4+5 "
               "ms cpu, 12->13->1 MB, 24 MB goal, 0 MB stacks, 0 MB globals, 2 P")
    t = parse_gctrace(line + "\n" + line127 + "\nscvg: junk\n")
    want = {7: {"clock": ["0.009", "0.32", "0.001"], "heap": [2, 3, 1], "goal": 4, "forced": True},
            8: {"clock": ["10", "0.32", "0.001"], "heap": [12, 13, 1], "goal": 24, "forced": False}}
    if t != want:
        bad.append(f"parse_gctrace: {t}")
    return bad


# --- comparisons ------------------------------------------------------------

def compare(name, recs, trace, rep, env_gogc, env_limit, after, baseline_sum):
    """Returns [(check, error or None)]. Cycles <= after happened before attach."""
    res = []
    trace = {c: v for c, v in trace.items() if c > after}
    gcs = [r for r in recs if r["type"] == "gc"]
    stws = [r for r in recs if r["type"] == "stw"]
    sums = [r for r in recs if r["type"] == "summary"]
    atts = [r for r in recs if r["type"] == "attach"]
    errs = [r for r in recs if r["type"] == "error"]
    pid = rep["pid"]

    e = None
    if errs:
        e = f"error records: {errs[:2]}"
    elif len(atts) != 1:
        e = f"{len(atts)} attach records"
    elif atts[0].get("go_version") != rep["go_version"]:
        e = f"go_version {atts[0].get('go_version')!r}, program says {rep['go_version']!r}"
    elif not isinstance(atts[0].get("probes"), int) or atts[0]["probes"] <= 0:
        e = f"probes {atts[0].get('probes')!r}"
    else:
        wrong = [r for r in recs if r.get("pid") != pid and r["type"] != "error"]
        if wrong:
            e = f"pid {wrong[0].get('pid')!r} in {wrong[0]['type']} record, program pid {pid}"
    res.append(("attach-record", e))

    by_cycle = {}
    dup = set()
    for g in gcs:
        c = g.get("cycle")
        if c in by_cycle:
            dup.add(c)
        by_cycle[c] = g
    e = None
    if dup:
        e = f"duplicate gc records for cycles {sorted(dup)}"
    elif set(by_cycle) != set(trace):
        only_g = sorted(set(by_cycle) - set(trace), key=str)
        only_t = sorted(set(trace) - set(by_cycle))
        e = (f"gopry has {len(by_cycle)} cycles, gctrace {len(trace)}; "
             f"only in gopry: {only_g[:10]}, only in gctrace: {only_t[:10]}")
    elif len(trace) != rep["NumGC"] - after:
        e = f"gctrace shows {len(trace)} cycles, ReadMemStats NumGC-{after} = {rep['NumGC'] - after}"
    res.append(("cycles", e))
    common = sorted(c for c in by_cycle if c in trace)

    def first_diff(what, get_g, get_t):
        for c in common:
            try:
                gv = get_g(by_cycle[c])
            except (KeyError, TypeError) as ex:
                return f"cycle {c}: gopry record lacks {ex}: {by_cycle[c]}"
            tv = get_t(trace[c])
            if gv != tv:
                return f"cycle {c} {what}: gopry {gv} gctrace {tv}"
        return None

    e = first_diff("forced", lambda g: g["forced"], lambda t: t["forced"])
    nf = sum(1 for c in common if by_cycle[c].get("forced") is True)
    minor = int(re.match(r"go1\.(\d+)", rep["go_version"]).group(1))
    # Before go1.21, gcStart writes work.userForced before it takes gcsema and
    # worldsema (go1.19.8 runtime/mgc.go:616 vs :630), so a heap-triggered
    # gcStart racing the end of a forced cycle can clear it before that
    # cycle's gctrace line is printed: gctrace then omits "(forced)". gopry
    # reads it with the world still stopped, so where the two differ that way
    # the forced count must match ReadMemStats' NumForcedGC instead.
    if e is not None and minor < 21 and after == 0 and nf == rep["NumForcedGC"] and all(
            by_cycle[c].get("forced") is True or not trace[c]["forced"] for c in common):
        e = None
    if e is None and after == 0 and nf != rep["NumForcedGC"]:
        e = f"{nf} forced cycles, ReadMemStats NumForcedGC {rep['NumForcedGC']}"
    res.append(("forced", e))
    res.append(("phases", first_diff(
        "A+B+C ms clock",
        lambda g: [fmt_ns_as_ms(g[k]) for k in ("sweep_term_ns", "mark_ns", "mark_term_ns")],
        lambda t: t["clock"])))
    res.append(("heap", first_diff(
        "heap start->end->live, goal MB",
        lambda g: [g[k] >> 20 for k in ("heap_start_bytes", "heap_end_bytes", "heap_live_bytes",
                                         "heap_goal_bytes")],
        lambda t: t["heap"] + [t["goal"]])))

    e = None
    if rep["GOGC"] != env_gogc or rep["MemoryLimit"] != env_limit:
        e = f"workload ran with GOGC {rep['GOGC']} limit {rep['MemoryLimit']}, env asked {env_gogc} {env_limit}"
    else:
        e = first_diff("gogc, memory_limit_bytes",
                       lambda g: [g["gogc"], g["memory_limit_bytes"]],
                       lambda t: [rep["GOGC"], rep["MemoryLimit"]])
    res.append(("settings", e))

    # Stop-the-world records.
    e = None
    sweep, markt = {}, {}
    for s in stws:
        reason, cyc, p = s.get("reason"), s.get("gc_cycle", "absent"), s.get("pause_ns")
        st = s.get("stopping_ns", "absent")
        if not isinstance(p, int) or not 0 < p < 1_000_000_000:
            e = f"pause_ns {p!r} out of (0, 1s) in {s}"
            break
        if st is not None and (not isinstance(st, int) or not 0 <= st < 1_000_000_000):
            e = f"stopping_ns {st!r} in {s}"
            break
        if reason in ("GC sweep termination", "GC mark termination"):
            if not isinstance(cyc, int):
                e = f"gc_cycle {cyc!r} on {s}"
                break
            d = sweep if reason == "GC sweep termination" else markt
            d[cyc] = d.get(cyc, 0) + 1
        elif cyc is not None:
            e = f"gc_cycle {cyc!r} on a non-GC stw: {s}"
            break
    # A cycle the runtime started after the workload's last report and never
    # finished before exiting (its sweep termination only) is not in gctrace.
    last_done = max(trace, default=0)
    trailing = sorted(c for c in set(sweep) | set(markt) if c not in trace and c > last_done)
    if e is None and (len(trailing) > 1 or (trailing and markt.get(trailing[0], 0))):
        e = f"cycles after the last finished one: {trailing} (sweep {sweep}, mark {markt})"
    if e is None:
        for c in sorted((set(trace) | set(sweep) | set(markt)) - set(trailing)):
            if sweep.get(c, 0) != 1 or markt.get(c, 0) < 1:
                e = (f"cycle {c}: {sweep.get(c, 0)} 'GC sweep termination' and "
                     f"{markt.get(c, 0)} 'GC mark termination' stw records "
                     f"(gctrace {'has' if c in trace else 'lacks'} it)")
                break
    want_ms = rep["ReadMemStatsCalls"] - rep["ReadMemStatsCallsAtReady"]
    got_ms = sum(1 for s in stws if s.get("reason") == "read mem stats")
    if e is None and got_ms != want_ms:
        reasons = sorted({str(s.get("reason")) for s in stws})
        e = f"{got_ms} 'read mem stats' stw records, workload made {want_ms} calls; reasons seen: {reasons}"
    res.append(("stw", e))

    e = None
    if len(sums) != 1:
        e = f"{len(sums)} summary records"
    else:
        s = sums[0]
        if s.get("dropped_events") != 0:
            e = f"dropped_events {s.get('dropped_events')!r}"
        elif s.get("gc_cycles") != rep["NumGC"] - after:
            e = f"gc_cycles {s.get('gc_cycles')!r}, ReadMemStats NumGC-{after} = {rep['NumGC'] - after}"
        elif s.get("stw_pauses") != len(stws):
            e = f"stw_pauses {s.get('stw_pauses')!r}, {len(stws)} stw records"
        elif recs[-1] is not s:
            e = "summary is not the last record"
    res.append(("summary", e))

    # Go's PauseTotalNs sums its GC pauses, and gopry reports each GC stop with
    # Go's own start and end (worldStop from 1.22; work.pauseStart's terms
    # before), so the sums agree exactly. Only gcMarkDone's restart path (a
    # cycle with more than one mark termination) is timed by gopry itself
    # before 1.22: a few microseconds per restart.
    e = None
    # Only the cycles the workload's report counted (NumGC) are in PauseTotalNs.
    gcp = sum(s["pause_ns"] for s in stws if s.get("reason") in
              ("GC sweep termination", "GC mark termination") and isinstance(s.get("pause_ns"), int)
              and isinstance(s.get("gc_cycle"), int) and s["gc_cycle"] <= rep["NumGC"])
    marks = {}
    for s_ in stws:
        if s_.get("reason") == "GC mark termination":
            marks[s_.get("gc_cycle")] = marks.get(s_.get("gc_cycle"), 0) + 1
    restarts = sum(n - 1 for n in marks.values())
    if after == 0 and (minor >= 22 or restarts == 0) and gcp != rep["PauseTotalNs"]:
        e = f"GC pause_ns sum {gcp}, Go's PauseTotalNs {rep['PauseTotalNs']}"
    elif after == 0 and abs(gcp - rep["PauseTotalNs"]) > 20_000 * restarts:
        e = (f"GC pause_ns sum {gcp}, Go's PauseTotalNs {rep['PauseTotalNs']} "
             f"({restarts} mark-termination restarts)")
    res.append(("pause-total", e))

    res.append(("checksum", None if rep["Checksum"] == baseline_sum else
                f"traced program computed {rep['Checksum']}, untraced {baseline_sum}"))

    if VERBOSE:
        gcp = sum(s["pause_ns"] for s in stws if s.get("reason", "").startswith("GC ")
                  and isinstance(s.get("pause_ns"), int))
        log(f"{name}: {len(gcs)} gc, {len(stws)} stw; GC pause sum {gcp} ns, "
            f"Go's PauseTotalNs {rep['PauseTotalNs']} ns")
    return res


# --- running ----------------------------------------------------------------

def build(ver, mode, wl="gcwork"):
    return gopry_e2e.build(ver, mode, wl)


def go_env(extra):
    env = dict(os.environ)
    for k in ("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"):
        env.pop(k, None)
    env.update(extra)
    env["GODEBUG"] = "gctrace=1"
    return env


def case_forward(ver, mode, baseline):
    name = f"{ver}/{mode}"
    bin_ = build(ver, mode)
    extra, gogc, limit = ENVS[mode]
    with tempfile.TemporaryDirectory() as d:
        rpath = os.path.join(d, "report.json")
        cmd = [GOPRY, "-j", "--", bin_, "-report", rpath] + WORK_ARGS
        try:
            p = subprocess.run(cmd, env=go_env(extra), capture_output=True, text=True,
                               timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as ex:
            return [(name + "/run", f"timed out after {RUN_TIMEOUT}s; stderr: "
                     f"{tail((ex.stderr or b'').decode(errors='replace'))}")]
        if p.returncode != 0:
            return [(name + "/run", f"gopry exit {p.returncode}; stderr: {tail(p.stderr)}")]
        try:
            rep = json.load(open(rpath))
        except (OSError, ValueError) as ex:
            return [(name + "/run", f"no workload report ({ex}); stderr: {tail(p.stderr)}")]
    res = [(name + "/run", None)]
    res += [(f"{name}/{c}", e) for c, e in compare(
        name, parse_records(p.stdout), parse_gctrace(p.stderr), rep, gogc, limit, 0, baseline)]
    return res


def start_waiting(bin_, extra, rpath):
    """Starts gcwork -wait; returns (Popen, stdout Lines, stderr Lines)."""
    w = subprocess.Popen([bin_, "-wait", "-report", rpath] + WORK_ARGS, env=go_env(extra),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = Lines(w.stdout), Lines(w.stderr)
    if out.wait_for(lambda l: l.startswith("READY "), 20) is None:
        kill(w)
        raise RuntimeError(f"gcwork never said READY; stderr: {tail(err.text(2))}")
    return w, out, err


def case_attach(ver, mode, baseline):
    name = f"{ver}/{mode}/by-pid"
    bin_ = build(ver, mode)
    extra, gogc, limit = ENVS[mode]
    w = g = None
    with tempfile.TemporaryDirectory() as d:
        rpath = os.path.join(d, "report.json")
        try:
            w, wout, werr = start_waiting(bin_, extra, rpath)
            g = subprocess.Popen([GOPRY, "-j", "-p", str(w.pid)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            gout, gerr = Lines(g.stdout), Lines(g.stderr)
            if gout.wait_for(lambda l: '"attach"' in l, 30) is None:
                return [(name + "/run", f"no attach record within 30s (gopry exit {g.poll()}); "
                         f"stderr: {tail(gerr.text(2))}")]
            w.send_signal(signal.SIGUSR1)
            try:
                w.wait(RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                return [(name + "/run", "gcwork did not finish after SIGUSR1")]
            try:
                rc = g.wait(20)
            except subprocess.TimeoutExpired:
                return [(name + "/run", "gopry still running 20s after the program exited")]
            stdout, stderr = gout.text(), gerr.text()
            if rc != 0:
                return [(name + "/run", f"gopry exit {rc}; stderr: {tail(stderr)}")]
            rep = json.load(open(rpath))
        except (OSError, ValueError, RuntimeError) as ex:
            return [(name + "/run", str(ex))]
        finally:
            kill(w)
            kill(g)
    res = [(name + "/run", None)]
    res += [(f"{name}/{c}", e) for c, e in compare(
        name, parse_records(stdout), parse_gctrace(werr.text()), rep, gogc, limit,
        rep["NumGCAtReady"], baseline)]
    return res


def case_dryrun(ver, mode):
    name = f"{ver}/{mode}/dry-run"
    bin_ = build(ver, mode)
    w = None
    with tempfile.TemporaryDirectory() as d:
        try:
            w, _, _ = start_waiting(bin_, {}, os.path.join(d, "r.json"))
            p = subprocess.run([GOPRY, "--dry-run", "-p", str(w.pid)], capture_output=True,
                               text=True, timeout=30)
        except (subprocess.TimeoutExpired, RuntimeError) as ex:
            return [(name, str(ex))]
        finally:
            kill(w)
    if p.returncode != 0:
        return [(name, f"exit {p.returncode}; stderr: {tail(p.stderr)}")]
    if "runtime." not in p.stdout:
        return [(name, f"no probe plan (no runtime function) on stdout: {tail(p.stdout)!r}")]
    return [(name, None)]


def case_duration(ver, mode):
    """-d ends tracing of a program that keeps running."""
    name = f"{ver}/{mode}/duration"
    bin_ = build(ver, mode)
    w = None
    with tempfile.TemporaryDirectory() as d:
        try:
            w, _, _ = start_waiting(bin_, {}, os.path.join(d, "r.json"))
            t0 = time.monotonic()
            p = subprocess.run([GOPRY, "-j", "-d", "2", "-p", str(w.pid)], capture_output=True,
                               text=True, timeout=30)
            took = time.monotonic() - t0
        except (subprocess.TimeoutExpired, RuntimeError) as ex:
            return [(name, str(ex))]
        finally:
            kill(w)
    recs = parse_records(p.stdout)
    if p.returncode != 0:
        return [(name, f"exit {p.returncode}; stderr: {tail(p.stderr)}")]
    if not 1.5 < took < 15:
        return [(name, f"-d 2 took {took:.1f}s")]
    if [r["type"] for r in recs if r["type"] in ("attach", "summary")] != ["attach", "summary"]:
        return [(name, f"want one attach then one summary record, got {[r['type'] for r in recs]}")]
    return [(name, None)]


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true", help="diagnostics on stderr")
    ap.add_argument("-k", action="append", default=[], help="only cases whose name has this")
    ap.add_argument("--versions", default=",".join(VERSIONS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("-j", type=int, default=2, help="parallel cases")
    a = ap.parse_args()
    VERBOSE = a.v
    ci = os.environ.get("CI") == "true"
    report = gopry_e2e.Reporter("e2e")

    bad = selftest()
    report("harness-selftest", "; ".join(bad) if bad else None)

    status = gopry_e2e.need_root(report)
    if status is not None:
        return status
    if not os.access(GOPRY, os.X_OK):
        report("gopry", f"{GOPRY} not built (make all)")
        return 1

    versions = [v for v in a.versions.split(",") if v]
    modes = [m for m in a.modes.split(",") if m]
    have = [v for v in VERSIONS if os.access(
        os.path.join(CACHE, "go", v, "usr", "lib", f"go-{v}", "bin", "go"), os.X_OK)]
    if ci and have != VERSIONS:
        report("toolchains", f"CI needs all of {VERSIONS}; usable: {have}")
    usable = []
    for v in versions:
        if v in have:
            usable.append(v)
        else:
            report(f"toolchain/{v}", f"Go {v} not in {CACHE}/go (tools/fetch-go.sh)", skip=not ci)

    if not usable:
        return report.status()
    # The checksum an untraced run computes; every traced run must match it.
    try:
        b = build(usable[-1], "default")
        with tempfile.TemporaryDirectory() as d:
            rp = os.path.join(d, "r.json")
            subprocess.run([b, "-report", rp] + WORK_ARGS, check=True, capture_output=True,
                           timeout=RUN_TIMEOUT)
            baseline = json.load(open(rp))["Checksum"]
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as ex:
        report("baseline", f"untraced gcwork run failed: {ex}")
        return 1

    jobs = []
    # Versions vary fastest: the two workers then build with different
    # toolchains (and GOCACHEs) instead of compiling the same std twice.
    for m in sorted(modes, key=lambda m: m == "stripped"):
        for v in usable:
            jobs.append((f"{v}/{m}", case_forward, (v, m, baseline)))
    for v, m in ATTACH:
        if v in usable and m in modes:
            jobs.append((f"{v}/{m}/by-pid", case_attach, (v, m, baseline)))
    for v, m in DRYRUN:
        if v in usable and m in modes:
            jobs.append((f"{v}/{m}/dry-run", case_dryrun, (v, m)))
    v = usable[len(usable) // 2]
    jobs.append((f"{v}/default/duration", case_duration, (v, "default")))
    jobs = [j for j in jobs if all(k in j[0] for k in a.k)]

    def run(job):
        name, fn, args = job
        t0 = time.monotonic()
        try:
            res = fn(*args)
        except Exception as ex:  # a harness bug or a build failure: still one FAIL line
            res = [(name, f"{type(ex).__name__}: {ex}")]
        if VERBOSE:
            log(f"{name}: {time.monotonic() - t0:.1f}s")
        for n, e in res:
            report(n, e)

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as ex:
        list(ex.map(run, jobs))
    log(f"{len(jobs)} cases in {time.monotonic() - t0:.0f}s")
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
