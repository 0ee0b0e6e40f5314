"""Helpers the end-to-end scripts share: where things are, PASS/FAIL/SKIP
lines, building a workload, gopry's JSON records, running gopry with a
timeout, reading a child's pipe with a timeout.

Test convention: every script prints `PASS name`, `FAIL name: why` or
`SKIP name: why` lines and exits non-zero iff something failed.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# $GOPRY overrides which gopry binary is tested.
GOPRY = os.environ.get("GOPRY") or os.path.join(TOP, ".output", "gopry")
BUILD = os.path.join(TOP, "tests", "build-go.sh")
CACHE = os.environ.get("GOPRY_CACHE", os.path.join(TOP, ".cache"))
BUILD_TIMEOUT = 900


class Reporter:
    """PASS/FAIL/SKIP lines named "<suite>/<name>" (just "<name>" when suite is
    None), safe from threads; remembers whether anything failed for the exit
    status."""

    def __init__(self, suite=None):
        self.suite = suite
        self.failed = False
        self.lock = threading.Lock()

    def __call__(self, name, err, skip=False):
        if self.suite is not None:
            name = f"{self.suite}/{name}"
        with self.lock:
            if skip:
                print(f"SKIP {name}: {err}", flush=True)
            elif err is None:
                print(f"PASS {name}", flush=True)
            else:
                self.failed = True
                print(f"FAIL {name}: {err}", flush=True)

    def status(self):
        return 1 if self.failed else 0


def need_root(report, name="root"):
    """None when running as root. Else reports name -- SKIP, or FAIL under
    CI=true, which must run the real probes -- and returns the exit status
    the script should end with."""
    if os.geteuid() == 0:
        return None
    ci = os.environ.get("CI") == "true"
    report(name, "not root (CI=true requires root)" if ci else "needs root", skip=not ci)
    return report.status()


def logger(prefix, enabled=lambda: True):
    """A log function writing "prefix: msg" to stderr while enabled() is true."""
    def log(msg):
        if enabled():
            print(f"{prefix}: {msg}", file=sys.stderr, flush=True)
    return log


def gotool(ver):
    """The go binary of cached toolchain ver (tools/fetch-go.sh)."""
    return os.path.join(CACHE, "go", ver, "usr", "lib", f"go-{ver}", "bin", "go")


def build(ver, mode, wl):
    """tests/build-go.sh: the path of workload wl built by Go ver in mode."""
    p = subprocess.run([BUILD, ver, mode, wl], capture_output=True, text=True,
                       timeout=BUILD_TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError(f"build-go.sh {ver} {mode} {wl} failed: {p.stderr.strip()[-600:]}")
    return p.stdout.strip().splitlines()[-1]


def records(text):
    """gopry's JSON records; the program's own stdout lines are skipped."""
    recs = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and "type" in r:
            recs.append(r)
    return recs


def check_session(recs, pid=None):
    """What every ended gopry session's JSON must look like: the attach
    record first, one summary last, every record about pid (when given) and
    the summary's counters adding up (sent = received + dropped). Returns
    what is wrong, or None."""
    types = [r["type"] for r in recs]
    if not types or types[0] != "attach" or types[-1] != "summary" or types.count("summary") != 1:
        return f"want attach first and one summary last, got {types[:3]}...{types[-3:]}"
    wrong = [r for r in recs if pid is not None and r.get("pid") != pid]
    if wrong:
        return f"a {wrong[0]['type']} record has pid {wrong[0].get('pid')}, target {pid}"
    s = recs[-1]
    if s["events_sent"] != s["events_received"] + s["dropped_events"]:
        return (f"events sent {s['events_sent']} != received {s['events_received']} + "
                f"dropped {s['dropped_events']}")
    return None


def tail(text, n=8):
    lines = [l for l in text.splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def run_gopry(args, prefix=(), gopry=None, timeout=30, **kw):
    """Runs [prefix...] gopry args to the end; the CompletedProcess, or None
    when it did not exit within timeout seconds (it is killed then)."""
    try:
        return subprocess.run(list(prefix) + [gopry or GOPRY] + list(args), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    except subprocess.TimeoutExpired:
        return None


def start_gopry(args, **kw):
    """gopry in the background with stdout and stderr piped."""
    return subprocess.Popen([GOPRY] + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


class Lines:
    """Reads a pipe in a thread, so a case can wait for one line with a timeout."""

    def __init__(self, f):
        self.q, self.buf = queue.Queue(), []
        self.t = threading.Thread(target=self._run, args=(f,), daemon=True)
        self.t.start()

    def _run(self, f):
        for line in f:
            self.buf.append(line)
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        while True:
            try:
                line = self.q.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return None
            if line is None:
                return None
            if pred(line):
                return line

    def text(self, timeout=10):
        self.t.join(timeout)
        return "".join(self.buf)


def kill(p):
    if p and p.poll() is None:
        p.kill()
        p.wait()
