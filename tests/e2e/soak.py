#!/usr/bin/python3
"""Attach/detach soak: gopry attaches to and detaches from running soak
targets (tests/workloads/soak) many times, some cycles ending with -d, some
with SIGINT (or a second SIGINT while it detaches), some with SIGKILL of gopry
after it attached or while it is still attaching.

Pass = every target's own checksums are right and it never died; every
gopry that was not killed exited 0 with a summary whose counters add up;
every BPF program, link and map a gopry held is gone after it ends; the
probed instructions in the target's memory are the binary's own bytes again
(they hold int3 while attached, which is checked too); no tracefs uprobe was
left behind; the kernel never logged "failed to unregister, leaking uprobe"
for a gopry not SIGKILLed (SIGKILL mid-attach leaks one: counted apart).

Usage: tests/e2e/soak.py [-v] [--cycles N] [--targets 1.19/default,1.27/pie]
Prints PASS/FAIL/SKIP lines; exits non-zero iff something failed.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gopry_e2e  # noqa: E402
from gopry_e2e import CACHE, GOPRY, check_session, records  # noqa: E402

TARGETS = ["1.19/default", "1.22/cgo", "1.25/pie", "1.27/stripped"]
CYCLES = 200
UPROBE_EVENTS = "/sys/kernel/tracing/uprobe_events"
# gopry's private copies: the kernel names the task that failed to unregister
# a uprobe by its comm, so the SIGKILL cycles run a copy of their own.
GOPRY_KILL = GOPRY

VERBOSE = False


log = gopry_e2e.logger("soak", lambda: VERBOSE)
note = gopry_e2e.logger("soak")
report = gopry_e2e.Reporter("soak")


def build(ver, mode, wl="soak"):
    return gopry_e2e.build(ver, mode, wl)


def bpf_ids(pid):
    """(prog, link, map) ids of the BPF objects process pid holds open."""
    ids = {"prog_id": set(), "link_id": set(), "map_id": set()}
    d = f"/proc/{pid}/fdinfo"
    try:
        fds = os.listdir(d)
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(os.path.join(d, fd)) as f:
                info = f.read()
        except OSError:
            continue
        kv = dict(l.split(":", 1) for l in info.splitlines() if ":" in l)
        # A link's fdinfo names its program too; count that as the link's.
        for k in ("link_id", "prog_id", "map_id"):
            if k in kv:
                ids[k].add(int(kv[k]))
                break
    return ids


def live_bpf_ids():
    out = {}
    for kind, key in (("prog", "prog_id"), ("link", "link_id"), ("map", "map_id")):
        p = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True,
                           timeout=30)
        try:
            out[key] = {o["id"] for o in json.loads(p.stdout or "[]")}
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"bpftool {kind} show: {p.stdout[:200]!r} {p.stderr[:200]!r}")
    return out


def probe_sites(binary):
    p = subprocess.run([GOPRY, "--dry-run", "-j", "--", binary], capture_output=True,
                       text=True, timeout=60)
    sites = [(r["function"], r["file_offset"]) for r in records(p.stdout)
             if r.get("type") == "probe"]
    if p.returncode != 0 or not sites:
        raise RuntimeError(f"--dry-run: exit {p.returncode}: {p.stderr.strip()[-300:]}")
    return sites


def text_bytes(pid, binary, sites):
    """[(function, file bytes, memory bytes)] at each probed instruction."""
    st = os.stat(binary)
    maps = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6 or int(parts[4]) != st.st_ino or "x" not in parts[1]:
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            maps.append((lo, hi, int(parts[2], 16)))
    out = []
    with open(binary, "rb") as fb, open(f"/proc/{pid}/mem", "rb") as fm:
        for fn, off in sites:
            m = [lo + off - moff for lo, hi, moff in maps if moff <= off < moff + hi - lo]
            if not m:
                raise RuntimeError(f"{fn}: file offset {off:#x} not mapped in pid {pid}")
            fb.seek(off)
            fm.seek(m[0])
            out.append((fn, fb.read(4), fm.read(4)))
    return out


def kmsg_open():
    """/dev/kmsg read from now on (its own position: dmesg -C cannot hide a
    line), or None when unreadable."""
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    os.lseek(fd, 0, os.SEEK_END)
    return fd


def kmsg_leaks(fd, comms):
    """How many "failed to unregister, leaking uprobe" lines each task comm
    caused since kmsg_open."""
    n = dict.fromkeys(comms, 0)
    while True:
        try:
            rec = os.read(fd, 8192)
        except BlockingIOError:
            return n
        except BrokenPipeError:  # records overwritten before we read them: go on
            continue
        if not rec:
            return n
        msg = rec.decode(errors="replace").split(";", 1)[-1]
        for c in comms:
            n[c] += f"uprobe: {c}:" in msg and "leaking uprobe" in msg


def uprobe_events():
    try:
        with open(UPROBE_EVENTS) as f:
            return {l.strip() for l in f if l.strip()}
    except OSError:
        return set()


class Target:
    def __init__(self, name, binary, tmp):
        self.name, self.binary = name, binary
        self.report = os.path.join(tmp, name.replace("/", "-") + ".json")
        self.err = open(os.path.join(tmp, name.replace("/", "-") + ".stderr"), "w+")
        self.p = subprocess.Popen([binary, "-pause", "20ms", "-goroutines", "16",
                                   "-report", self.report],
                                  stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"{name}: soak target did not start: {line!r}")
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None


def one_cycle(t, i, kind, rng, held, stats):
    """One attach/detach of gopry on target t; returns an error or None."""
    args = [GOPRY_KILL if kind.startswith("kill") else GOPRY, "-j", "-p", str(t.pid)]
    if kind == "duration":
        args[2:2] = ["-d", f"{rng.uniform(0.1, 0.4):.2f}"]
    g = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if kind == "kill-early":
            # Anywhere from reading the binary to attaching the probes.
            time.sleep(rng.uniform(0.0, 0.15))
            held.append(bpf_ids(g.pid))
            g.kill()
            g.communicate(timeout=30)
            return None
        line = g.stdout.readline()
        if '"attach"' not in line:
            g.kill()
            _, err = g.communicate(timeout=30)
            return f"cycle {i} ({kind}): no attach record: {line!r} {err.strip()[-300:]!r}"
        ids = bpf_ids(g.pid)
        held.append(ids)
        if not ids["link_id"] or not ids["prog_id"]:
            g.kill()
            g.communicate(timeout=30)
            return f"cycle {i} ({kind}): attached gopry holds no BPF link/program: {ids}"
        if stats.get("int3") is None:
            stats["int3"] = [m[:1] == b"\xcc" for _, _, m in
                             text_bytes(t.pid, t.binary, stats["sites"])]
        if kind == "kill":
            time.sleep(rng.uniform(0.0, 0.3))
            g.kill()
            g.communicate(timeout=30)
            return None
        if kind == "sigint-twice":
            # The second one, mid-detach, has SIGINT's default action: gopry
            # dies (no summary) once its probes are out, leaking none.
            time.sleep(rng.uniform(0.05, 0.3))
            g.send_signal(signal.SIGINT)
            time.sleep(rng.uniform(0.01, 0.3))
            g.send_signal(signal.SIGINT)
            g.communicate(timeout=30)
            return None
        if kind == "sigint":
            time.sleep(rng.uniform(0.05, 0.3))
            g.send_signal(signal.SIGINT)
        out, err = g.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        g.kill()
        g.communicate()
        return f"cycle {i} ({kind}): gopry did not exit within 30s"
    if g.returncode != 0:
        return f"cycle {i} ({kind}): gopry exit {g.returncode}: {err.strip()[-300:]!r}"
    recs = records(line + out)
    bad = check_session(recs, t.pid)
    if bad:
        return f"cycle {i} ({kind}): {bad}"
    s = recs[-1]
    stats["events"] += s["events_received"]
    stats["gc"] += s["gc_cycles"]
    return None


def soak_target(name, ncycles, seed):
    """Runs ncycles on one target; returns [(check, error)]."""
    ver, mode = name.split("/")
    res = []
    binary = build(ver, mode)
    rng = random.Random(seed)
    kinds = ["duration", "duration", "sigint", "sigint-twice", "kill", "kill-early"]
    held = []
    stats = {"events": 0, "gc": 0, "int3": None, "sites": probe_sites(binary)}
    with tempfile.TemporaryDirectory() as tmp:
        t = Target(name, binary, tmp)
        t0 = time.monotonic()
        err = None
        try:
            for i in range(ncycles):
                err = one_cycle(t, i, kinds[i % len(kinds)], rng, held, stats)
                if err is None and not t.alive():
                    err = f"target died during cycle {i} ({kinds[i % len(kinds)]})"
                if err:
                    break
            res.append(("cycles", err))
            log(f"{name}: {ncycles} cycles in {time.monotonic() - t0:.1f}s, "
                f"{stats['events']} events, {stats['gc']} GC cycles seen")
            # A soak in which no probe ever fired proves nothing.
            res.append(("events", None if err or stats["events"] > 0 and stats["gc"] > 0 else
                        f"no events ({stats['events']}) or GC cycles ({stats['gc']}) traced"))
            e = None
            if stats["int3"] is None or not all(stats["int3"]):
                e = f"probed instructions not int3 while attached: {stats['int3']}"
            else:
                bad = [(fn, f.hex(), m.hex()) for fn, f, m in
                       text_bytes(t.pid, binary, stats["sites"]) if f != m]
                if bad:
                    e = f"target text differs from the binary after detach: {bad}"
            res.append(("text-restored", e))
        finally:
            alive = t.alive()
            if alive:
                t.p.send_signal(signal.SIGTERM)
            try:
                tail, _ = t.p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                t.p.kill()
                tail, _ = t.p.communicate()
            t.err.seek(0)
            stderr = t.err.read()
        e = None
        if not alive:
            e = f"target died (status {t.p.returncode}): {stderr.strip()[-400:]!r}"
        elif t.p.returncode != 0:
            e = f"target exit {t.p.returncode}: {tail.strip()[-200:]!r} {stderr.strip()[-300:]!r}"
        else:
            try:
                rep = json.load(open(t.report))
            except (OSError, ValueError) as ex:
                rep, e = None, f"no report: {ex}"
            if rep and (rep["bad"] or rep["checksum"] != rep["expected"] or rep["rounds"] < 10
                        or rep["panics"] == 0):
                e = f"target report: {rep}"
        res.append(("target", e))
    return res, held


def leaks(held, before_events):
    """BPF objects the gopry runs held that still exist after they ended."""
    want = {k: set() for k in ("prog_id", "link_id", "map_id")}
    for ids in held:
        for k, v in ids.items():
            want[k] |= v
    left = {}
    for _ in range(20):  # freeing is deferred (RCU): allow a moment
        live = live_bpf_ids()
        left = {k: sorted(want[k] & live[k]) for k in want if want[k] & live[k]}
        if not left:
            break
        time.sleep(0.25)
    e = None
    if left:
        e = f"BPF objects still present after their gopry ended: {left}"
    elif not want["link_id"]:
        e = "no BPF link ids were collected: the leak check saw nothing"
    new = uprobe_events() - before_events
    if e is None and new:
        e = f"uprobe_events gained {sorted(new)[:5]}"
    return e


def selftest():
    """The checksum can fail: a target told to corrupt a round must say so."""
    p = subprocess.run([build("1.27", "default"), "-rounds", "5", "-pause", "0",
                        "-goroutines", "4", "-corrupt", "3"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode == 1 and "MISMATCH round 3" in p.stderr:
        return None
    return f"corrupted round not detected: exit {p.returncode}, {p.stderr.strip()[-200:]!r}"


def main():
    global VERBOSE, GOPRY, GOPRY_KILL
    ap = argparse.ArgumentParser()
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--cycles", type=int, default=CYCLES, help="attach/detach cycles in all")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("-j", type=int, default=2, help="targets soaked at once")
    a = ap.parse_args()
    VERBOSE = a.v
    ci = os.environ.get("CI") == "true"
    if os.geteuid() != 0:
        report("root", "not root" + (" (CI=true requires root)" if ci else ""), skip=not ci)
        return report.status()
    if not os.access(GOPRY, os.X_OK):
        report("gopry", f"{GOPRY} not built (make all)")
        return 1
    # A private copy: a rebuild during the soak must not swap the binary under it.
    tmp = tempfile.mkdtemp(prefix="gopry-soak-")
    shutil.copy2(GOPRY, os.path.join(tmp, "gopry-soak"))
    shutil.copy2(GOPRY, os.path.join(tmp, "gopry-soak-kill"))  # 15 chars: a whole comm
    GOPRY, GOPRY_KILL = (os.path.join(tmp, n) for n in ("gopry-soak", "gopry-soak-kill"))
    try:
        return soak(a, ci)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def soak(a, ci):
    targets = []
    for t in a.targets.split(","):
        v = t.split("/")[0]
        if os.access(os.path.join(CACHE, "go", v, "usr", "lib", f"go-{v}", "bin", "go"), os.X_OK):
            targets.append(t)
        else:
            report(f"{t}", f"Go {v} not in {CACHE}/go", skip=not ci)
    if not targets:
        return report.status()
    try:
        report("checksum-selftest", selftest())
    except (RuntimeError, subprocess.SubprocessError, OSError) as ex:
        report("checksum-selftest", str(ex))
    before = uprobe_events()
    kmsg = kmsg_open()
    per = [a.cycles // len(targets) + (i < a.cycles % len(targets)) for i in range(len(targets))]
    held = []
    t0 = time.monotonic()

    def run(job):
        name, n, seed = job
        try:
            res, h = soak_target(name, n, seed)
        except Exception as ex:  # a harness bug or a build failure: still a FAIL line
            res, h = [("run", f"{type(ex).__name__}: {ex}")], []
        held.extend(h)
        for c, e in res:
            report(f"{name}/{c}", e)

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as ex:
        list(ex.map(run, [(t, n, i) for i, (t, n) in enumerate(zip(targets, per))]))
    try:
        log(f"leak check over {len(held)} gopry runs")
        report("no-leaks", leaks(held, before))
    except (RuntimeError, subprocess.SubprocessError, OSError) as ex:
        report("no-leaks", str(ex))
    if kmsg is None:
        report("no-leaked-uprobes", "cannot read /dev/kmsg", skip=not ci)
    else:
        # The kernel logs it in the unregistering thread, before gopry is reaped.
        n, killed = kmsg_leaks(kmsg, [os.path.basename(GOPRY),
                                      os.path.basename(GOPRY_KILL)]).values()
        os.close(kmsg)
        report("no-leaked-uprobes", f"the kernel leaked {n} uprobes (and their int3) of gopry "
               "runs that were not killed: 'failed to unregister, leaking uprobe'" if n else None)
        if killed:
            note(f"{killed} uprobes leaked in the kernel by SIGKILLed gopry runs (the "
                 "target's text is text-restored's to check)")
    log(f"{a.cycles} cycles in {time.monotonic() - t0:.0f}s")
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
