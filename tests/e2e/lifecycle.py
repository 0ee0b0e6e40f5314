#!/usr/bin/python3
"""What gopry does when its target's life goes on without it: the target
exits, execs another program or itself, is killed and restarted; a -- CMD
that cannot start; two targets from one binary traced at once, each by its
own gopry, whose records must carry their own target's pid and cycles.

Uses tests/workloads/soak (-exit-after, -exec-after) and gcwork (-wait, with
GODEBUG=gctrace=1 to compare against). Prints PASS/FAIL/SKIP lines; exits
non-zero iff something failed.
"""
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (gctrace parsing and the record checks)
import gopry_e2e  # noqa: E402
from gopry_e2e import Lines, build, check_session, kill, records, tail  # noqa: E402

GOPRY = gopry_e2e.GOPRY
VER = "1.25"  # any supported toolchain; the e2e matrix covers the others
report = gopry_e2e.Reporter("lifecycle")
gopry = gopry_e2e.start_gopry


def finish(p, timeout):
    """Waits for gopry itself: a launched target that exec'd holds its pipes."""
    out, err = Lines(p.stdout), Lines(p.stderr)
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    return rc, out.text(1), err.text(1)


def check_ended(what, rc, out, err, pid, exec_warning):
    """gopry exited 0 with a summary last, records of pid only, and an exec
    warning iff one is expected."""
    recs = records(out)
    if rc is None:
        return f"{what}: gopry still running after its target ended; stderr {tail(err)!r}"
    if rc != 0:
        return f"{what}: gopry exit {rc}; stderr {tail(err)!r}"
    bad = check_session(recs, pid)
    if bad:
        return f"{what}: {bad}"
    warned = [r for r in recs if r["type"] == "warning" and "exec" in r.get("message", "")]
    said = "exec'd" in err
    if exec_warning and not (warned and said):
        return f"{what}: exec not reported (warning record {bool(warned)}, stderr {said})"
    if not exec_warning and (warned or said):
        return f"{what}: an exec was reported but none happened: {tail(err)!r}"
    # A walk of the goroutine list after the exit or exec would read a dead
    # process or the next program's memory (same addresses on a self-exec).
    walked = [r["message"] for r in recs if r["type"] == "warning" and
              "goroutine list" in r.get("message", "")]
    if walked:
        return f"{what}: {walked[0]}"
    return None


def case_exit(mode):
    """The target exits normally mid-trace: by pid and launched."""
    soak = build(VER, "default", "soak")
    res = []
    if mode == "pid":
        t = subprocess.Popen([soak, "-exit-after", "2s"], stdout=subprocess.PIPE, text=True)
        t.stdout.readline()
        g = gopry(["-j", "-p", str(t.pid)])
        t.wait(30)
        t0 = time.monotonic()
        rc, out, err = finish(g, 10)
        pid = t.pid
    else:
        g = gopry(["-j", "--", soak, "-exit-after", "1.5s"])
        t0 = time.monotonic()
        rc, out, err = finish(g, 30)
        recs = records(out)
        pid = recs[0].get("pid") if recs else None
    e = check_ended(f"exit/{mode}", rc, out, err, pid, False)
    if e is None and mode == "pid" and time.monotonic() - t0 > 2:
        e = f"gopry took {time.monotonic() - t0:.1f}s to notice the exit"
    if e is None and "gc_cycles" in out and '"gc_cycles":0,' in out:
        e = "no GC cycle traced before the exit"
    res.append((f"exit/{mode}", e))
    return res


def case_exec(mode, same):
    """The target execs another program (or its own binary again)."""
    soak = build(VER, "default", "soak")
    name = f"exec-{'self' if same else 'other'}/{mode}"
    after = ["-exec-after", "1s"] + ([soak, "-exit-after", "20s"] if same else
                                     ["/bin/sleep", "20"])
    if mode == "pid":
        t = subprocess.Popen([soak] + after, stdout=subprocess.PIPE, text=True)
        t.stdout.readline()
        g = gopry(["-j", "-p", str(t.pid)])
        pid = t.pid
    else:
        g = gopry(["-j", "--", soak] + after)
        pid = None
    t0 = time.monotonic()
    rc, out, err = finish(g, 15)
    took = time.monotonic() - t0
    recs = records(out)
    if pid is None and recs:
        pid = recs[0].get("pid")
    e = check_ended(name, rc, out, err, pid, True)
    if e is None and took > 5:
        e = f"gopry took {took:.1f}s; the exec came after 1s"
    # gopry stops tracing; it must not take the new program down with it.
    if e is None:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1][0] == "Z":
                    e = "the exec'd program died with gopry"
        except (OSError, TypeError):
            e = "the exec'd program died with gopry"
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if mode == "pid":
        t.wait(10)
    return [(name, e)]


def run_gcwork(binary, args, rpath):
    """Starts gcwork -wait with gctrace; returns (Popen, stdout, stderr Lines)."""
    w = subprocess.Popen([binary, "-wait", "-report", rpath] + args, env=e2e.go_env({}),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = Lines(w.stdout), Lines(w.stderr)
    if out.wait_for(lambda l: l.startswith("READY "), 20) is None:
        kill(w)
        raise RuntimeError(f"gcwork never said READY: {tail(err.text(2))!r}")
    return w, out, err


def baseline(binary, args):
    with tempfile.TemporaryDirectory() as d:
        rp = os.path.join(d, "r.json")
        subprocess.run([binary, "-report", rp] + args, check=True, capture_output=True,
                       timeout=60)
        return json.load(open(rp))["Checksum"]


def traced_pair(binary, argsets, kill_first=False):
    """Starts one gcwork per argument set, attaches one gopry to each, then lets
    them all work at once. Returns per target (gopry rc, stdout, gctrace, report)."""
    with tempfile.TemporaryDirectory() as d:
        ws, gs = [], []
        try:
            for i, args in enumerate(argsets):
                ws.append(run_gcwork(binary, args, os.path.join(d, f"r{i}.json")))
            for w, _, _ in ws:
                g = subprocess.Popen([GOPRY, "-j", "-p", str(w.pid)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                gout, gerr = Lines(g.stdout), Lines(g.stderr)
                if gout.wait_for(lambda l: '"attach"' in l, 30) is None:
                    raise RuntimeError(f"no attach record: {tail(gerr.text(2))!r}")
                gs.append((g, gout, gerr))
            for w, _, _ in ws:
                w.send_signal(signal.SIGUSR1)
            out = []
            for i, ((w, _, werr), (g, gout, gerr)) in enumerate(zip(ws, gs)):
                w.wait(60)
                try:
                    rc = g.wait(20)
                except subprocess.TimeoutExpired:
                    rc = None
                rep = json.load(open(os.path.join(d, f"r{i}.json")))
                out.append((rc, gout.text(), gerr.text(), e2e.parse_gctrace(werr.text()), rep))
            return out
        finally:
            for w, _, _ in ws:
                kill(w)
            for g, _, _ in gs:
                kill(g)


def case_two_targets():
    """Two processes of one binary, each traced by its own gopry, working at
    the same time but differently: nothing of one may show up in the other."""
    binary = build(VER, "default", "gcwork")
    argsets = [["-auto", "8", "-forced", "2", "-memstats", "3"],
               ["-auto", "14", "-forced", "5", "-memstats", "7"]]
    sums = [baseline(binary, a) for a in argsets]
    res = []
    for i, (rc, out, err, trace, rep) in enumerate(traced_pair(binary, argsets)):
        name = f"two-targets/{i}"
        if rc != 0:
            res.append((name + "/run", f"gopry exit {rc}: {tail(err)!r}"))
            continue
        res += [(f"{name}/{c}", e) for c, e in e2e.compare(
            name, records(out), trace, rep, 100, e2e.MAX_INT64,
            rep["NumGCAtReady"], sums[i])]
    return res


def case_restart():
    """The target is killed and started again from the same binary: the gopry
    on the old process ends cleanly; a new one on the new process is right."""
    binary = build(VER, "default", "gcwork")
    args = ["-auto", "6", "-forced", "2", "-memstats", "2"]
    res = []
    with tempfile.TemporaryDirectory() as d:
        w, _, _ = run_gcwork(binary, args, os.path.join(d, "old.json"))
        g = gopry(["-j", "-p", str(w.pid)])
        time.sleep(1)
        w.kill()
        w.wait()
        rc, out, err = finish(g, 10)
        res.append(("restart/old-killed", check_ended("restart/old-killed", rc, out, err,
                                                      w.pid, False)))
    sums = baseline(binary, args)
    (rc, out, err, trace, rep), = traced_pair(binary, [args])
    if rc != 0:
        return res + [("restart/new", f"gopry exit {rc}: {tail(err)!r}")]
    bad = [f"{c}: {e}" for c, e in e2e.compare("restart", records(out), trace, rep, 100,
                                              e2e.MAX_INT64, rep["NumGCAtReady"], sums) if e]
    return res + [("restart/new", "; ".join(bad) or None)]


def case_cannot_start():
    """-- CMD whose program cannot start: a clear message and a failure code."""
    res = []
    with tempfile.TemporaryDirectory() as d:
        # A cgo program whose ELF interpreter does not exist: gopry can read
        # and plan it, but the exec itself fails.
        bad = os.path.join(d, "badinterp")
        shutil.copy(build(VER, "cgo", "soak"), bad)
        with open(bad, "r+b") as f:
            data = f.read()
            i = data.find(b"/lib64/ld-linux-x86-64.so.2")
            if i < 0:
                return [("cannot-start/bad-interpreter", "no ld.so path in the cgo binary")]
            f.seek(i)
            f.write(b"/nonexistent/ld.so\0")
        noexec = os.path.join(d, "noexec")
        shutil.copy(build(VER, "default", "soak"), noexec)
        os.chmod(noexec, 0o644)
        cases = [("bad-interpreter", [bad], 1, "cannot start"),
                 ("missing", [os.path.join(d, "missing")], None, "no such file"),
                 ("not-in-path", ["gopry-no-such-command"], None, "no such file"),
                 ("not-executable", [noexec], None, "permission denied")]
        for name, cmd, code, words in cases:
            p = subprocess.run([GOPRY, "-j", "--"] + cmd, capture_output=True, text=True,
                               timeout=30)
            recs = records(p.stdout)
            lines = [l for l in p.stderr.splitlines() if l.startswith("gopry: ")
                     and words in l.lower()]
            e = None
            if p.returncode == 0 or (code is not None and p.returncode != code):
                e = f"exit {p.returncode}, want {code or 'non-zero'}"
            elif not lines:
                e = f"no 'gopry: ... {words}' line: {p.stderr.strip()[-300:]!r}"
            elif any(r["type"] == "summary" for r in recs):
                e = "a summary was printed for a program that never ran"
            elif [r["type"] for r in recs if r["type"] == "error"] != ["error"]:
                e = f"want one error record, got {[r['type'] for r in recs]}"
            res.append((f"cannot-start/{name}", e))
    return res


def main():
    ci = os.environ.get("CI") == "true"
    if os.geteuid() != 0:
        report("root", "not root" + (" (CI=true requires root)" if ci else ""), skip=not ci)
        return report.status()
    go = os.path.join(gopry_e2e.CACHE, "go", VER, "usr", "lib", f"go-{VER}", "bin", "go")
    if not os.access(go, os.X_OK):
        report("toolchain", f"Go {VER} not in {gopry_e2e.CACHE}/go", skip=not ci)
        return report.status()
    global GOPRY
    tmp = tempfile.mkdtemp(prefix="gopry-lifecycle-")
    # A private copy, so that a concurrent rebuild cannot swap it mid-run.
    shutil.copy2(GOPRY, os.path.join(tmp, "gopry"))
    GOPRY = gopry_e2e.GOPRY = os.path.join(tmp, "gopry")
    jobs = [(case_exit, ("pid",)), (case_exit, ("launched",)),
            (case_exec, ("pid", False)), (case_exec, ("launched", False)),
            (case_exec, ("pid", True)), (case_exec, ("launched", True)),
            (case_cannot_start, ()), (case_restart, ()), (case_two_targets, ())]

    def run(job):
        fn, args = job
        try:
            res = fn(*args)
        except Exception as ex:  # a harness bug or a build failure: still a FAIL line
            res = [(f"{fn.__name__}{args}", f"{type(ex).__name__}: {ex}")]
        for n, e in res:
            report(n, e)

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            list(ex.map(run, jobs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
