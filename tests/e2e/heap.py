#!/usr/bin/python3
"""End-to-end check of --heap, --allocs, --set-memprofilerate and --src.

For every toolchain x build mode, runs tests/workloads/allocs/prof (70% of
bytes at SITE-BIG, 20% at SITE-SMALL, 10% at SITE-OTHER) under
`gopry -j --heap --allocs F --allocs-folded T` and checks: the top three
sites and their byte shares (+-10 points), the third being an allocation in
an inlined helper (main.newBuf, charged to its own line) of two sizes whose
estimated object count must match smallAlloc's (each sample scaled by its own
size, as runtime/pprof does, not by the site's average); that toolchain's
`go tool pprof -top` on F agrees (main.newBuf shown as inlined); the folded
stacks T are root-first and their weights sum to the total; the
live heap gopry reports at each GC equals the workload's HeapAlloc after
runtime.GC() within 1%. Per toolchain, allocs/noprof (no reference to
runtime.MemProfile) attached by PID: gopry says profiling is disabled; with
--set-memprofilerate the sites appear and afterwards the target's
MemProfileRate reads 0 again. Two cases add --src and look for the
compiler's reason at SITE-SMALL.

Usage: tests/e2e/heap.py [-k SUBSTRING]
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gopry_e2e  # noqa: E402
from gopry_e2e import CACHE, GOPRY, TOP, build, gotool, records  # noqa: E402

VERSIONS = ["1.19", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"]
MODES = ["default", "stripped", "pie", "cgo"]
WORK = os.path.join(TOP, "tests", "workloads", "allocs", "prof", "work.go")
SRC_CASES = {("1.19", "default"), ("1.27", "stripped")}
TIMEOUT = 90


def site_lines():
    lines = {}
    with open(WORK) as f:
        for i, l in enumerate(f, 1):
            m = re.search(r"// (SITE-\w+)", l)
            if m:
                lines[m.group(1)] = i
    return lines


SITES = site_lines()


def share_tolerance(share, nsamples):
    """A share estimated from N samples (MemProfileRate, 512 KiB) has a
    standard error of about sqrt(p(1-p)/N). On a loaded machine the workload
    allocates less in its time and N drops, so the tolerance is the larger of
    10 points and 4.5 standard errors."""
    return max(0.10, 4.5 * (share * (1 - share) / max(1, nsamples)) ** 0.5)


def check_sites(recs, why):
    sites = [r for r in recs if r.get("type") == "alloc_site"]
    if len(sites) < 2:
        why.append("fewer than 2 alloc_site records")
        return sites
    want = [("SITE-BIG", "main.bigAlloc", 0.70), ("SITE-SMALL", "main.smallAlloc", 0.20),
            ("SITE-OTHER", "main.newBuf", 0.10)]
    nsamples = sum(s.get("samples", 0) for s in sites)
    for s, (marker, func, share) in zip(sites, want):
        if s["func"] != func or s["line"] != SITES[marker] or not s["file"].endswith("work.go"):
            why.append("site %d is %s %s:%d, want %s work.go:%d" %
                       (s["rank"], s["func"], s["file"], s["line"], func, SITES[marker]))
        tol = share_tolerance(share, nsamples)
        if abs(s["share"] - share) > tol:
            why.append("%s share %.3f, want %.2f+-%.2f (%d samples; sites: %s)" %
                       (func, s["share"], share, tol, nsamples,
                        ", ".join("%s:%d %.3f/%d" % (x["func"], x["line"], x["share"],
                                                     x.get("samples", 0)) for x in sites[:8])))
    if len(sites) < 3:
        why.append("fewer than 3 alloc_site records (no inlined SITE-OTHER)")
        return sites
    # 257 objects a round at SITE-OTHER (256 of 16 B, one of 4 KiB), 256 at
    # SITE-SMALL. The 16-byte ones are ~half of SITE-OTHER's ~46 samples, so
    # the ratio is noisy; scaled by the average size it would come out ~0.02.
    small, other = sites[1].get("objects", 0), sites[2].get("objects", 0)
    if not small or not 0.2 <= other / small <= 5:
        why.append("objects at SITE-OTHER %.0f vs SITE-SMALL %.0f: want a ratio near 1" %
                   (other, small))
    return sites


def check_folded(path, sites, why):
    """frame;frame;... weight lines, root first; weights sum to the total."""
    try:
        with open(path) as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
    except OSError as e:
        why.append("folded: %s" % e)
        return
    stacks = []
    for l in lines:
        m = re.match(r"^(\S(?:.*\S)?) (\d+)$", l)
        if not m:
            why.append("folded: bad line %r" % l[:120])
            return
        stacks.append((m.group(1).split(";"), int(m.group(2))))
    total = sum(w for _, w in stacks)
    if sites and sites[0].get("share"):
        want = sites[0]["bytes"] / sites[0]["share"]
        if abs(total - want) > 0.005 * want + len(stacks):
            why.append("folded weights sum to %d, sites total %.0f" % (total, want))
    for leaf, parent in (("main.bigAlloc", "main.round"), ("main.newBuf", "main.otherAlloc")):
        ok = [fr for fr, _ in stacks if fr[-1] == leaf and len(fr) > 2 and fr[-2] == parent
              and "main.main" in fr[:-2] and fr[0].startswith("runtime.")]
        if not ok:
            why.append("folded: no root-first stack ending %s;%s" % (parent, leaf))


def check_pprof(v, path, why, nsamples):
    # go1.24+ builds `go tool pprof` on first use: share build-go.sh's cache.
    env = dict(os.environ, PPROF_TMPDIR=tempfile.gettempdir(), GOTOOLCHAIN="local",
               GOCACHE=os.path.join(CACHE, "gocache", v))
    r = subprocess.run([gotool(v), "tool", "pprof", "-top",
                        "-sample_index=alloc_space", path],
                       capture_output=True, text=True, timeout=180, env=env)
    rows = [l.split() for l in r.stdout.splitlines() if re.match(r"^\s+[\d.]+[kMG]?B\s", l)]
    if r.returncode or len(rows) < 2:
        why.append("go tool pprof -top: rc %d %s" % (r.returncode, r.stderr[-200:]))
        return
    for row, (func, share) in zip(rows, [("main.bigAlloc", 70), ("main.smallAlloc", 20)]):
        flat = float(row[1].rstrip("%"))
        tol = 100 * share_tolerance(share / 100, nsamples)
        if row[5] != func or abs(flat - share) > tol:
            why.append("pprof -top row %s %s%%, want %s %d+-%.0f%%" %
                       (row[5], row[1], func, share, tol))
    # The inlined helper is a function of its own in pprof, marked "(inline)".
    inl = [row for row in rows if row[5] == "main.newBuf"]
    if not inl or abs(float(inl[0][1].rstrip("%")) - 10) > 10 or inl[0][6:7] != ["(inline)"]:
        why.append("pprof -top: no inlined main.newBuf ~10%% row: %s" % (inl[:1],))


def check_heap(recs, err, why):
    gcs = {r.get("gc"): r for r in recs if r.get("type") == "heap" and r.get("event") == "gc"}
    forced = [(int(a), int(b)) for a, b in re.findall(r"gc numgc=(\d+) heapalloc=(\d+)", err)]
    if not forced:
        why.append("the workload reported no forced GC")
    for n, ha in forced:
        r = gcs.get(n)
        if not r or r.get("heap_live") is None:
            why.append("no heap record for gc %d" % n)
        elif abs(r["heap_live"] - ha) > 0.01 * ha:
            why.append("gc %d heap_live %d vs HeapAlloc %d" % (n, r["heap_live"], ha))
    if not any(r.get("event") == "interval" for r in recs if r.get("type") == "heap"):
        why.append("no interval heap record")


def case_prof(v, mode):
    why = []
    binp = build(v, mode, "allocs/prof")
    with tempfile.TemporaryDirectory() as tmp:
        pb = os.path.join(tmp, "a.pb.gz")
        folded = os.path.join(tmp, "a.folded")
        cmd = [GOPRY, "-j", "--heap", "--allocs", pb, "--allocs-folded", folded]
        if (v, mode) in SRC_CASES:
            cmd += ["--src", os.path.join(TOP, "tests", "workloads", "allocs", "prof")]
        cmd += ["--", binp, "-d", "1.6s", "-gc", "400ms", "-rate", "150"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode:
            return ["gopry exited %d: %s" % (r.returncode, r.stderr[-300:])]
        recs = records(r.stdout)
        sites = check_sites(recs, why)
        check_heap(recs, r.stderr, why)
        if os.path.exists(pb):
            check_pprof(v, pb, why, sum(x.get("samples", 0) for x in sites))
        else:
            why.append("no %s" % pb)
        check_folded(folded, sites, why)
        if (v, mode) in SRC_CASES and len(sites) >= 2:
            esc = sites[1].get("escape") or ""
            if "&item{...} escapes to heap" not in esc:
                why.append("--src: SITE-SMALL escape %r" % esc)
    return why


def wait_line(p, pat, deadline):
    buf = ""
    while time.time() < deadline:
        l = p.stderr.readline()
        if not l:
            break
        buf += l
        if re.search(pat, l):
            return buf
    return buf


def case_noprof(v, mode):
    why = []
    binp = build(v, mode, "allocs/noprof")
    # Long enough to outlive both gopry sessions: detaching each uprobe takes the
    # kernel ~0.2-0.3 s (an RCU grace period), ~1.5 s per session.
    p = subprocess.Popen([binp, "-d", "10s", "-gc", "20s", "-rate", "100"],
                         stderr=subprocess.PIPE, text=True)
    try:
        wait_line(p, r"memprofilerate=", time.time() + 10)
        pid = str(p.pid)
        r = subprocess.run([GOPRY, "-j", "-d", "0.8", "--allocs", os.devnull + ".x", "-p", pid],
                           capture_output=True, text=True, timeout=TIMEOUT)
        recs = records(r.stdout)
        if r.returncode or "MemProfileRate is 0" not in r.stderr or \
                not any(x.get("type") == "warning" and "disabled" in x.get("message", "")
                        for x in recs):
            why.append("no 'profiling disabled' report (rc %d): %s" %
                       (r.returncode, r.stderr[-300:]))
        if any(x.get("type") == "alloc_site" for x in recs):
            why.append("alloc sites without profiling")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([GOPRY, "-j", "-d", "1.5", "--set-memprofilerate", "65536",
                                "--allocs", os.path.join(tmp, "a.pb.gz"), "-p", pid],
                               capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode or "WROTE runtime.MemProfileRate = 65536" not in r.stderr or \
                "restored runtime.MemProfileRate = 0" not in r.stderr:
            why.append("opt-in not announced/restored (rc %d): %s" %
                       (r.returncode, r.stderr[-400:]))
        check_sites(records(r.stdout), why)
        _, rest = p.communicate(timeout=TIMEOUT)
        rates = re.findall(r"memprofilerate=(\d+)", rest)
        if "65536" not in rates:
            why.append("the target never saw MemProfileRate 65536")
        if not rates or rates[-1] != "0":
            why.append("MemProfileRate after gopry: %s, want 0" % (rates[-1:] or "?"))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return why


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", action="append", default=[])
    args = ap.parse_args()
    report = gopry_e2e.Reporter()
    if os.geteuid() != 0:
        report("heap", "needs root (BPF, uprobes)", skip=True)
        return 0
    cases = []
    for i, v in enumerate(VERSIONS):
        if not os.path.exists(gotool(v)):
            report("heap.go%s" % v, "toolchain not cached", skip=True)
            continue
        for m in MODES:
            cases.append(("heap.go%s.%s" % (v, m), case_prof, v, m))
        cases.append(("heap.go%s.noprof.%s" % (v, MODES[i % 4]), case_noprof, v, MODES[i % 4]))
    cases = [c for c in cases if not args.k or any(k in c[0] for k in args.k)]
    # Build first (serially per toolchain): the runs then stay within their timeouts.
    for name, fn, v, m in cases:
        try:
            build(v, m, "allocs/prof" if fn is case_prof else "allocs/noprof")
        except Exception as e:  # reported by the case itself
            print("e2e: %s" % e, file=sys.stderr)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        futs = {ex.submit(fn, v, m): name for name, fn, v, m in cases}
        for f in concurrent.futures.as_completed(futs):
            name = futs[f]
            try:
                why = f.result()
            except Exception as e:
                why = ["%s: %s" % (type(e).__name__, e)]
            report(name, "; ".join(why) if why else None)
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
