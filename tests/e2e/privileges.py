#!/usr/bin/python3
"""gopry run as an unprivileged user (nobody) with exactly the capabilities
the README's PRIVILEGES section names, and with less.

With CAP_SYS_ADMIN alone it must trace a program it starts, and with
CAP_SYS_ADMIN + CAP_SYS_PTRACE a root-owned process by pid, with the same
numbers as gctrace (tests/e2e/e2e.py's checks). Without them it must exit 6
and name what is missing. setpriv sets the capabilities as ambient ones, with
the bounding set cut to the same list, so nothing else can be gained.

Prints PASS/FAIL/SKIP lines; exits non-zero iff something failed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the record checks against gctrace)
from gopry_e2e import CACHE, GOPRY, Lines, Reporter, build, kill, records, tail  # noqa: E402

VER = "1.24"
NOBODY = 65534
WORK_ARGS = ["-auto", "4", "-forced", "2", "-memstats", "2"]
report = Reporter("privileges")


def as_nobody(caps):
    """A setpriv prefix: uid/gid nobody, no groups, exactly caps (e.g. ["sys_admin"])."""
    spec = ",".join(["-all"] + ["+" + c for c in caps])
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            f"--inh-caps={spec}", f"--ambient-caps={spec}", f"--bounding-set={spec}", "--"]


def effective_caps(prefix):
    """The CapEff a process started with prefix gets, as a set of bit numbers."""
    p = subprocess.run(prefix + ["grep", "CapEff", "/proc/self/status"], capture_output=True,
                       text=True, timeout=10)
    if p.returncode != 0:
        return None
    v = int(p.stdout.split()[1], 16)
    return {i for i in range(64) if v >> i & 1}


CAP_BITS = {"sys_ptrace": 19, "sys_admin": 21, "perfmon": 38, "bpf": 39}


def denied(name, prefix, args, words):
    p = subprocess.run(prefix + args, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    lines = [l for l in p.stderr.splitlines() if l.startswith("gopry: ")]
    errs = [r for r in records(p.stdout) if r["type"] == "error"]
    if p.returncode != 6:
        return f"exit {p.returncode}, want 6; stderr {p.stderr.strip()[-300:]!r}"
    for w in words:
        if not any(w in l for l in lines):
            return f"no 'gopry: ' line naming {w!r}: {p.stderr.strip()[-300:]!r}"
    if len(errs) != 1 or "privilege" not in errs[0].get("message", ""):
        return f"want one JSON error record about privilege, got {errs}"
    return None


def main():
    ci = os.environ.get("CI") == "true"
    if os.geteuid() != 0:
        report("root", "not root" + (" (CI=true requires root)" if ci else ""), skip=not ci)
        return report.status()
    if not shutil.which("setpriv"):
        report("setpriv", "setpriv (util-linux) not installed", skip=not ci)
        return report.status()
    go = os.path.join(CACHE, "go", VER, "usr", "lib", f"go-{VER}", "bin", "go")
    if not os.access(go, os.X_OK):
        report("toolchain", f"Go {VER} not in {CACHE}/go", skip=not ci)
        return report.status()

    d = tempfile.mkdtemp(prefix="gopry-priv-")
    try:
        os.chmod(d, 0o777)
        gp, wl = os.path.join(d, "gopry"), os.path.join(d, "gcwork")
        shutil.copy(GOPRY, gp)
        shutil.copy(build(VER, "default", "gcwork"), wl)
        os.chmod(gp, 0o755)
        os.chmod(wl, 0o755)
        rp = os.path.join(d, "base.json")
        subprocess.run([wl, "-report", rp] + WORK_ARGS, check=True, capture_output=True,
                       timeout=60)
        base = json.load(open(rp))["Checksum"]

        # The harness itself: setpriv must give exactly what was asked.
        want = {CAP_BITS["sys_admin"], CAP_BITS["sys_ptrace"]}
        got = effective_caps(as_nobody(["sys_admin", "sys_ptrace"]))
        report("setpriv-caps", None if got == want else f"CapEff bits {got}, want {want}")

        # 1. A program it starts, as the same user: CAP_SYS_ADMIN only.
        rp = os.path.join(d, "launched.json")
        p = subprocess.run(as_nobody(["sys_admin"]) + [gp, "-j", "--", wl, "-report", rp] +
                           WORK_ARGS, capture_output=True, text=True, timeout=60,
                           env=e2e.go_env({}))
        if p.returncode != 0:
            report("sys_admin/launched", f"exit {p.returncode}: {tail(p.stderr)!r}")
        else:
            rep = json.load(open(rp))
            bad = [f"{c}: {e}" for c, e in e2e.compare(
                "launched", records(p.stdout), e2e.parse_gctrace(p.stderr), rep,
                100, e2e.MAX_INT64, 0, base) if e]
            report("sys_admin/launched", "; ".join(bad) or None)

        # 2. A root-owned process by pid: CAP_SYS_ADMIN + CAP_SYS_PTRACE.
        rp = os.path.join(d, "bypid.json")
        w = subprocess.Popen([wl, "-wait", "-report", rp] + WORK_ARGS, env=e2e.go_env({}),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        g = None
        try:
            wout, werr = Lines(w.stdout), Lines(w.stderr)
            if wout.wait_for(lambda l: l.startswith("READY"), 20) is None:
                raise RuntimeError("gcwork never said READY")
            # Without CAP_SYS_PTRACE, another user's process is out of reach.
            report("no-sys_ptrace/by-pid", denied(
                "no-sys_ptrace", as_nobody(["sys_admin"]), [gp, "-j", "-p", str(w.pid)],
                ["privilege", "CAP_SYS_PTRACE"]))
            g = subprocess.Popen(as_nobody(["sys_admin", "sys_ptrace"]) + [gp, "-j", "-p",
                                 str(w.pid)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            gout, gerr = Lines(g.stdout), Lines(g.stderr)
            if gout.wait_for(lambda l: '"attach"' in l, 30) is None:
                raise RuntimeError(f"no attach record: {tail(gerr.text(2))!r}")
            w.send_signal(signal.SIGUSR1)
            w.wait(60)
            rc = g.wait(20)
            if rc != 0:
                raise RuntimeError(f"gopry exit {rc}: {tail(gerr.text())!r}")
            rep = json.load(open(rp))
            bad = [f"{c}: {e}" for c, e in e2e.compare(
                "by-pid", records(gout.text()), e2e.parse_gctrace(werr.text()), rep,
                100, e2e.MAX_INT64, rep["NumGCAtReady"], base) if e]
            report("sys_admin+sys_ptrace/by-pid", "; ".join(bad) or None)
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as ex:
            report("sys_admin+sys_ptrace/by-pid", str(ex))
        finally:
            kill(w)
            kill(g)

        # 3. Less than that: exit 6 and a message that says what is needed.
        launch = [gp, "-j", "--", wl] + WORK_ARGS
        report("no-caps", denied("no-caps", as_nobody([]), launch, ["privilege", "CAP_SYS_ADMIN"]))
        # On this kernel family (CVE-2025-38466 fixed) uprobes need CAP_SYS_ADMIN.
        report("bpf+perfmon", denied("bpf+perfmon", as_nobody(["bpf", "perfmon"]), launch,
                                     ["privilege", "CAP_SYS_ADMIN"]))
        # --dry-run needs no privilege at all.
        p = subprocess.run(as_nobody([]) + [gp, "--dry-run", "--", wl], capture_output=True,
                           text=True, timeout=30)
        report("no-caps/dry-run", None if p.returncode == 0 and "probe plan" in p.stdout else
               f"exit {p.returncode}: {p.stderr.strip()[-300:]!r}")
    except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as ex:
        report("setup", f"{type(ex).__name__}: {ex}")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
