#!/usr/bin/python3
"""gopry's answers to bad input: each case checks the exit code and that a
stderr line starts with "gopry: " and says what went wrong.

Prints PASS/FAIL/SKIP lines; exits non-zero iff something failed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gopry_e2e import GOPRY, Reporter, build, need_root, run_gopry as run  # noqa: E402

report = Reporter("errors")


def expect(name, args, code, words, prefix=(), gopry=None, usage=False, json_error=False):
    """words: one of them must appear in a "gopry: " line on stderr."""
    p = run(args, prefix, gopry)
    if p is None:
        return report(name, f"gopry {' '.join(args)} did not exit within 30s")
    lines = [l for l in p.stderr.splitlines() if l.startswith("gopry: ")]
    said = [l for l in lines if any(w.lower() in l.lower() for w in words)]
    if p.returncode != code:
        return report(name, f"exit {p.returncode}, want {code}; stderr: {p.stderr.strip()[-400:]!r}")
    if not said:
        return report(name, f"no 'gopry: ' stderr line containing {' or '.join(map(repr, words))}; "
                      f"stderr: {p.stderr.strip()[-400:]!r}")
    if usage and "usage" not in (p.stderr + p.stdout).lower():
        return report(name, f"no usage text; stderr: {p.stderr.strip()[-400:]!r}")
    if json_error:
        recs = []
        for l in p.stdout.splitlines():
            try:
                recs.append(json.loads(l))
            except ValueError:
                pass
        errs = [r for r in recs if isinstance(r, dict) and r.get("type") == "error"]
        if len(errs) != 1 or not any(w.lower() in str(errs[0].get("message", "")).lower()
                                     for w in words):
            return report(name, f"want one JSON error record naming the problem, stdout: "
                          f"{p.stdout.strip()[-400:]!r}")
    report(name, None)


def dead_pid():
    """The PID of a child that has been reaped, checked to be unused."""
    for _ in range(10):
        p = subprocess.Popen(["true"])
        p.wait()
        try:
            os.kill(p.pid, 0)
        except ProcessLookupError:
            return p.pid
    raise RuntimeError("could not find an unused PID")


def main():
    ci = os.environ.get("CI") == "true"
    status = need_root(report)
    if status is not None:
        return status
    if not os.access(GOPRY, os.X_OK):
        report("gopry", f"{GOPRY} not built (make all)")
        return 1

    # Usage errors.
    expect("no-target", [], 2, ["usage", "target", "-p"], usage=True)
    expect("unknown-flag", ["--bogus-flag", "-p", "1"], 2, ["bogus", "unrecognized", "unknown",
                                                            "invalid", "usage"], usage=True)
    expect("bad-pid", ["-p", "notapid"], 2, ["notapid", "pid", "invalid"], usage=True)
    expect("pid-and-cmd", ["-p", "1", "--", "true"], 2, ["usage", "both", "-p", "either"],
           usage=True)

    pid = dead_pid()
    expect("no-such-process", ["-p", str(pid)], 3, ["no such process"])
    expect("no-such-process-json", ["-j", "-p", str(pid)], 3, ["no such process"], json_error=True)

    sl = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.1)
        expect("not-go-pid", ["-p", str(sl.pid)], 4, ["not a Go program"])
    finally:
        sl.kill()
        sl.wait()

    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        script = os.path.join(d, "script.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho not go\n")
        os.chmod(script, 0o755)
        expect("not-elf", ["--", script], 4, ["not a Go program"])

        try:
            hello19 = build("1.19", "default", "hello")
            hello = build("1.27", "pie", "hello")
        except (RuntimeError, OSError, subprocess.SubprocessError) as ex:
            report("build", f"cannot build hello: {ex}")
            return 1

        # Go 1.18: the same binary with its version strings rewritten.
        data = open(hello19, "rb").read()
        ver = subprocess.run([hello19], capture_output=True).returncode  # runs at all
        old = b"go1.19."
        if ver != 0 or data.count(old) == 0:
            report("go1.18", "1.19 hello does not run or lacks a go1.19 version string")
        else:
            old18 = os.path.join(d, "hello118")
            with open(old18, "wb") as f:
                f.write(data.replace(old, b"go1.18."))
            os.chmod(old18, 0o755)
            expect("go1.18", ["--", old18], 5, ["Go 1.19"])

        # A newer Go than the offsets table, without DWARF: say so, name what is
        # unavailable, and still trace what needs no offsets (the STW pauses).
        try:
            gc27 = build("1.27", "stripped", "gcwork")
        except (RuntimeError, OSError, subprocess.SubprocessError) as ex:
            report("newer-go", f"cannot build gcwork: {ex}")
            gc27 = None
        if gc27:
            data = open(gc27, "rb").read()
            newer = os.path.join(d, "gcwork128")
            with open(newer, "wb") as f:
                f.write(data.replace(b"go1.27.", b"go1.99."))
            os.chmod(newer, 0o755)
            p = run(["-j", "--", newer, "-auto", "2", "-forced", "1", "-memstats", "2"])
            recs = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{"type"')]
            stws = [r for r in recs if r["type"] == "stw" and r.get("reason") == "read mem stats"]
            err = None
            if p.returncode != 0:
                err = f"exit {p.returncode}: {p.stderr[-300:]!r}"
            elif "newer Go" not in p.stderr or "unavailable" not in p.stderr:
                err = f"no 'newer Go ... unavailable' warning: {p.stderr[:300]!r}"
            elif "go1.99" not in p.stderr or "heap0" not in p.stderr:
                err = f"warning does not name the version and the missing fields: {p.stderr[:300]!r}"
            elif len(stws) < 3:
                err = f"{len(stws)} 'read mem stats' STW records, want >= 3 (2 + the final report)"
            report("newer-go-no-dwarf", err)

        # A kernel without BTF, then one without the uprobe PMU: GOPRY_SYSFS
        # stands in for /sys with only part of it present.
        sysd = os.path.join(d, "sys")
        os.makedirs(os.path.join(sysd, "bus/event_source/devices/uprobe"))
        with open(os.path.join(sysd, "bus/event_source/devices/uprobe/type"), "w") as f:
            f.write("8\n")
        os.environ["GOPRY_SYSFS"] = sysd
        try:
            expect("kernel-no-btf", ["--", hello], 7, ["BTF"])
            os.makedirs(os.path.join(sysd, "kernel/btf"))
            shutil.copy("/sys/kernel/btf/vmlinux", os.path.join(sysd, "kernel/btf/vmlinux"))
            os.remove(os.path.join(sysd, "bus/event_source/devices/uprobe/type"))
            expect("kernel-no-uprobes", ["--", hello], 7, ["uprobe"])
        finally:
            del os.environ["GOPRY_SYSFS"]

        # A Go binary cut short: headers point past the end of the file.
        trunc = os.path.join(d, "truncated")
        size = os.path.getsize(hello)
        with open(hello, "rb") as src, open(trunc, "wb") as dst:
            dst.write(src.read(size // 2))
        os.chmod(trunc, 0o755)
        expect("truncated", ["--", trunc], 8, ["cannot read"])

        # Unprivileged: copies that user nobody can reach.
        gp = os.path.join(d, "gopry")
        shutil.copy(GOPRY, gp)
        hc = os.path.join(d, "hello")
        shutil.copy(hello, hc)
        os.chmod(gp, 0o755)
        os.chmod(hc, 0o755)
        # setpriv (util-linux) drops uid, gid, groups and capabilities at once.
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                  "--inh-caps=-all"]
        p = subprocess.run(prefix + ["true"], capture_output=True, text=True) \
            if shutil.which("setpriv") else None
        if p is None or p.returncode != 0:
            report("unprivileged", "setpriv missing or not working: "
                   f"{p.stderr.strip() if p else ''}", skip=not ci)
        else:
            expect("unprivileged", ["--", hc], 6, ["privilege"], prefix=prefix, gopry=gp)
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
