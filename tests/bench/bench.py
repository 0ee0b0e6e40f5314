#!/usr/bin/python3
"""`make bench`: what gopry costs the programs it traces, and itself.

Every scenario runs its configurations interleaved (A/B/C, A/B/C, ...) for
--rounds rounds in one run and prints per configuration the median and the
ratio to the untraced one. Workloads: tests/workloads/bench*/ built with
--go (default 1.27). Results go to stdout as a table and, with --json FILE,
as JSON. Needs root. Takes about 10 minutes with the defaults.

  http      net/http service + Go load generator, fixed rate and saturation:
            none vs gopry (default collectors) vs runtime/trace
  churn     goroutine churn: none vs gopry vs gopry --goroutines, ns/goroutine
  alloc     allocation-heavy with many GCs: none vs gopry, ns/op
  agent     gopry's own CPU and peak RSS at rising event rates
  attach    attach time on a large binary (benchbig)
  ringbuf   rising ReadMemStats rates: drop onset, sent = received + dropped
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GOPRY = os.environ.get("GOPRY") or os.path.join(TOP, ".output", "gopry")
BUILD = os.path.join(TOP, "tests", "build-go.sh")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def build(ver, wl):
    return subprocess.run([BUILD, ver, "default", wl], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def attach(pid, extra=()):
    """Starts gopry -j on pid and waits for its attach record."""
    g = subprocess.Popen([GOPRY, "-j", *extra, "-p", str(pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = g.stdout.readline()
    if '"attach"' not in line:
        g.kill()
        raise RuntimeError(f"gopry did not attach: {line!r}")
    return g


def detach(g):
    g.send_signal(signal.SIGINT)
    out, _ = g.communicate(timeout=60)
    recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    return next((r for r in recs if r["type"] == "summary"), None)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def table(title, rows, base, keys):
    print(f"\n## {title}")
    print("| config | " + " | ".join(f"{k} (median)" for k in keys) +
          " | " + " | ".join(f"{k} ratio" for k in keys) + " |")
    print("|---" * (1 + 2 * len(keys)) + "|")
    for cfg, vals in rows.items():
        ms = [med(vals[k]) for k in keys]
        rs = [m / med(rows[base][k]) if med(rows[base][k]) else float("nan")
              for m, k in zip(ms, keys)]
        print(f"| {cfg} | " + " | ".join(f"{m:.1f}" for m in ms) + " | " +
              " | ".join(f"{r:.3f}" for r in rs) + " |")
    sys.stdout.flush()


def bench_http(ver, rounds, secs, rate):
    binary = build(ver, "benchhttp")
    res = {}
    for load in (f"rate{rate}", "saturation"):
        rows = {c: {"rps": [], "p99_us": []} for c in ("none", "gopry", "trace")}
        for r in range(rounds):
            order = list(rows)[r % 3:] + list(rows)[:r % 3]
            for cfg in order:
                port = free_port()
                s = subprocess.Popen([binary, "-serve", f"127.0.0.1:{port}"] +
                                     (["-trace"] if cfg == "trace" else []),
                                     stdout=subprocess.PIPE, text=True)
                s.stdout.readline()
                g = attach(s.pid) if cfg == "gopry" else None
                args = ["-rate", str(rate), "-conns", "32"] if load != "saturation" else \
                    ["-rate", "0", "-conns", "8"]
                p = subprocess.run([binary, "-load", f"http://127.0.0.1:{port}/",
                                    "-duration", f"{secs}s"] + args, capture_output=True,
                                   text=True, timeout=secs + 60)
                if g:
                    detach(g)
                s.send_signal(signal.SIGTERM)
                s.wait(10)
                out = json.loads(p.stdout)
                rows[cfg]["rps"].append(out["rps"])
                rows[cfg]["p99_us"].append(out["p99_us"])
                log(f"http {load} {cfg}: {out}")
        table(f"HTTP service, {load} ({rounds} rounds of {secs}s)", rows, "none",
              ["rps", "p99_us"])
        res[load] = rows
    return res


def run_work(binary, args, cfg):
    """benchwork under cfg (None, or gopry's extra flags); returns its JSON and
    gopry's summary."""
    w = subprocess.Popen([binary, "-wait"] + args, stdout=subprocess.PIPE, text=True)
    w.stdout.readline()
    g = attach(w.pid, cfg) if cfg is not None else None
    w.send_signal(signal.SIGUSR1)
    out = json.loads(w.stdout.readline())
    w.wait(60)
    s = detach(g) if g else None
    return out, s


def bench_work(ver, rounds, title, args, cfgs, key):
    binary = build(ver, "benchwork")
    rows = {c: {key: []} for c in cfgs}
    for r in range(rounds):
        names = list(cfgs)
        for cfg in names[r % len(names):] + names[:r % len(names)]:
            out, _ = run_work(binary, args, cfgs[cfg])
            rows[cfg][key].append(out[key])
    table(title, rows, "none", [key])
    for c in cfgs:
        if c != "none":
            print(f"added per op, {c}: {med(rows[c][key]) - med(rows['none'][key]):.0f} ns")
    return rows


def proc_cost(pid):
    """CPU seconds and peak RSS (KiB) of pid itself, children not included."""
    # schedstat: nanoseconds on CPU (gopry is one thread); stat's ticks are too coarse.
    with open(f"/proc/{pid}/schedstat") as f:
        ns = int(f.read().split()[0])
    with open(f"/proc/{pid}/status") as f:
        hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    return ns / 1e9, hwm


def bench_agent(ver, rates, secs):
    binary = build(ver, "benchwork")
    print("\n## gopry's own cost by event rate (runtime.GC() at a fixed rate)")
    print("| GCs/s asked | events/s | gopry CPU % of a core | gopry CPU µs/event | peak RSS MiB |")
    print("|---|---|---|---|---|")
    res = []
    for rate in rates:
        w = subprocess.Popen([binary, "-wait", "-mode", "gc", "-rate", str(rate), "-duration",
                              f"{secs}s"], stdout=subprocess.PIPE, text=True)
        w.stdout.readline()
        g = attach(w.pid)
        cpu0, _ = proc_cost(g.pid)
        t0 = time.monotonic()
        w.send_signal(signal.SIGUSR1)
        w.wait(secs + 60)
        time.sleep(0.3)  # one more drain
        cpu, rss = proc_cost(g.pid)
        wall = time.monotonic() - t0
        s = detach(g)
        cpu -= cpu0
        evs = s["events_received"] / wall
        res.append({"rate": rate, "events_per_s": evs, "cpu_s": cpu, "rss_kib": rss,
                    "wall_s": wall})
        print(f"| {rate or 'flat out'} | {evs:.0f} | {100 * cpu / wall:.2f} | "
              f"{1e6 * cpu / max(1, s['events_received']):.2f} | {rss / 1024:.1f} |")
        sys.stdout.flush()
    return res


def bench_attach(ver, rounds):
    binary = build(ver, "benchbig")
    size = os.path.getsize(binary)
    w = subprocess.Popen([binary, "-wait"], stdout=subprocess.PIPE, text=True)
    w.stdout.readline()
    times, dry, det = [], [], []
    try:
        for _ in range(rounds):
            t0 = time.monotonic()
            subprocess.run([GOPRY, "--dry-run", "-p", str(w.pid)], check=True,
                           capture_output=True)
            dry.append(time.monotonic() - t0)
            t0 = time.monotonic()
            g = attach(w.pid)
            times.append(time.monotonic() - t0)
            t0 = time.monotonic()
            detach(g)
            det.append(time.monotonic() - t0)
    finally:
        w.kill()
        w.wait()
    print(f"\n## Attach to a {size / 2**20:.1f} MiB binary (benchbig), {rounds} times")
    print(f"- read + plan (--dry-run): median {1000 * med(dry):.0f} ms")
    print(f"- start to attach record: median {1000 * med(times):.0f} ms, max {1000 * max(times):.0f} ms")
    print(f"- SIGINT to exit (detach + summary): median {1000 * med(det):.0f} ms")
    return {"size": size, "dry_run_s": dry, "attach_s": times, "detach_s": det}


def bench_ringbuf(ver, rates, secs):
    binary = build(ver, "benchwork")
    print("\n## Ring buffer at rising ReadMemStats rates")
    print("| ReadMemStats/s asked | done/s | events/s | sent | received | dropped | sent = received + dropped |")
    print("|---|---|---|---|---|---|---|")
    res, onset = [], None
    for rate in rates:
        p = subprocess.Popen([GOPRY, "-j", "--", binary, "-mode", "memstats", "-rate",
                              str(rate), "-duration", f"{secs}s"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        out, _ = p.communicate(timeout=secs + 120)
        recs = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        s = next(r for r in recs if r.get("type") == "summary")
        w = next(r for r in recs if r.get("mode") == "memstats")
        ok = s["events_sent"] == s["events_received"] + s["dropped_events"]
        if s["dropped_events"] and onset is None:
            onset = s["events_sent"] / s["duration_s"]
        res.append({"rate": rate, "summary": s, "work": w, "exact": ok})
        print(f"| {rate or 'flat out'} | {w['calls'] / w['seconds']:.0f} | "
              f"{s['events_sent'] / s['duration_s']:.0f} | {s['events_sent']} | "
              f"{s['events_received']} | {s['dropped_events']} | {'yes' if ok else 'NO'} |")
        sys.stdout.flush()
    print(f"drop onset: {'%.0f events/s' % onset if onset else 'none up to the highest rate'}")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go", default="1.27")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--rate", type=int, default=2000, help="HTTP fixed request rate")
    ap.add_argument("--only", default="http,churn,alloc,agent,attach,ringbuf")
    ap.add_argument("--json")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root")
    only = a.only.split(",")
    print(f"# gopry bench: Go {a.go}, {os.cpu_count()} CPUs, kernel {os.uname().release}, "
          f"{a.rounds} rounds, interleaved")
    res = {}
    if "http" in only:
        res["http"] = bench_http(a.go, a.rounds, a.secs, a.rate)
    if "churn" in only:
        res["churn"] = bench_work(a.go, a.rounds, "Goroutine churn (200k goroutines), ns/goroutine",
                                  ["-mode", "churn", "-n", "200000"],
                                  {"none": None, "gopry": [], "gopry --goroutines":
                                   ["--goroutines"]}, "ns_per_op")
    if "alloc" in only:
        res["alloc"] = bench_work(a.go, a.rounds, "Allocation-heavy (5M allocations), ns/op",
                                  ["-mode", "alloc", "-n", "5000000"],
                                  {"none": None, "gopry": []}, "ns_per_op")
    if "agent" in only:
        res["agent"] = bench_agent(a.go, [10, 100, 1000, 0], a.secs)
    if "attach" in only:
        res["attach"] = bench_attach(a.go, a.rounds)
    if "ringbuf" in only:
        res["ringbuf"] = bench_ringbuf(a.go, [1000, 5000, 20000, 0], a.secs)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    bad = [r for r in res.get("ringbuf", []) if not r["exact"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
