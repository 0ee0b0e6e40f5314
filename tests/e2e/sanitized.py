#!/usr/bin/python3
"""gopry built with ASan and UBSan (`make asan`: .output/asan/gopry) traces
real programs: a program with no GC at all, GC/STW with the default
goroutine collection, every goroutine option, heap and allocation profiles,
and an attach by PID ended with SIGINT. The unit tests run under the
sanitizers too, but only these runs pass through main, the collectors'
reports and the detach.

Pass = gopry exits 0, its JSON session is whole (attach first, one summary,
sent = received + dropped) and stderr has no sanitizer report (a finding
aborts the run: -fno-sanitize-recover=all; leaks are reported at exit).

Usage: tests/e2e/sanitized.py [-v]
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import gopry_e2e
from gopry_e2e import CACHE, TOP, build, check_session, records, tail

SAN_GOPRY = os.path.join(os.environ.get("OUTPUT") or os.path.join(TOP, ".output"),
                         "asan", "gopry")
VERSIONS = ["1.19", "1.27"]
SAN_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")
TIMEOUT = 120

report = gopry_e2e.Reporter("sanitized")
VERBOSE = False
log = gopry_e2e.logger("sanitized", lambda: VERBOSE)


def verdict(rc, out, err, pid=None, json_out=True):
    """What is wrong with one run, or None."""
    found = [m for m in SAN_MARKS if m in err]
    if found:
        return f"{found[0]}: {tail(err, 12)}"
    if rc != 0:
        return f"exit {rc}: {tail(err)}"
    if json_out:
        return check_session(records(out), pid)
    if "--- gopry summary" not in out:
        return f"no summary: {tail(out)}"
    return None


def run(args, json_out=True):
    p = gopry_e2e.run_gopry(args, gopry=SAN_GOPRY, timeout=TIMEOUT)
    if p is None:
        return f"no exit within {TIMEOUT}s"
    log(f"{args[:6]}: exit {p.returncode}")
    return verdict(p.returncode, p.stdout, p.stderr, json_out=json_out)


def case_nogc(ver):
    """hello ends before any GC: no pause to sort, no goroutine but main."""
    return run(["-j", "--", build(ver, "default", "hello")])


def case_text(ver):
    """GC/STW and the default goroutine lines, text output."""
    return run(["--", build(ver, "stripped", "gcwork"), "-auto", "8", "-forced", "2",
                "-memstats", "3"], json_out=False)


def case_goroutines(ver):
    with tempfile.TemporaryDirectory() as d:
        return run(["-j", "--goroutines", "--leaks", "--waits", "--goroutine-profile",
                    os.path.join(d, "g.pb.gz"), "--", build(ver, "pie", "goleak"),
                    "-n", "200", "-m", "8", "-pre", "2", "-hold", "1500ms"])


def case_heap(ver):
    with tempfile.TemporaryDirectory() as d:
        return run(["-j", "--heap", "--allocs", os.path.join(d, "a.pb.gz"), "--allocs-folded",
                    os.path.join(d, "a.folded"), "--", build(ver, "cgo", "allocs/prof"),
                    "-d", "1.5s", "-gc", "400ms", "-rate", "150"])


def case_attach(ver):
    """By PID, every goroutine option, ended by SIGINT: the detach path."""
    w = subprocess.Popen([build(ver, "default", "soak"), "-pause", "20ms", "-goroutines", "8"],
                         stdout=subprocess.PIPE, text=True)
    g = None
    try:
        ready = w.stdout.readline()
        if not ready.startswith("READY"):
            return f"workload said {ready!r}"
        g = subprocess.Popen([SAN_GOPRY, "-j", "--leaks", "-i", "0.2", "-p", str(w.pid)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        g.send_signal(signal.SIGINT)
        out, err = g.communicate(timeout=TIMEOUT)
        return verdict(g.returncode, out, err, pid=w.pid)
    finally:
        gopry_e2e.kill(g)
        gopry_e2e.kill(w)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true")
    VERBOSE = ap.parse_args().v
    status = gopry_e2e.need_root(report)
    if status is not None:
        return status
    if not os.access(SAN_GOPRY, os.X_OK):
        report("gopry", f"{SAN_GOPRY} not built (make asan)")
        return 1
    vers = [v for v in VERSIONS if os.access(gopry_e2e.gotool(v), os.X_OK)]
    if not vers:
        report("toolchains", f"none of {VERSIONS} in {CACHE}")
        return 1
    for v in vers:
        for fn in (case_nogc, case_text, case_goroutines, case_heap, case_attach):
            try:
                err = fn(v)
            except Exception as ex:
                err = f"{type(ex).__name__}: {ex}"
            report(f"{v}/{fn.__name__[5:]}", err)
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
