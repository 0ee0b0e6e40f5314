#!/usr/bin/python3
"""`make demo` does what the README says: tools/demo.sh traces the bundled
demo (tests/workloads/demo) and shows GC cycles, stop-the-world pauses, the
goroutine counts and, as the top leak suspect, the goroutines the demo leaks
at its DEMO:leak line -- as many as the demo itself counted.

Usage: tests/e2e/demo.py
"""
import os
import re
import subprocess
import sys

import gopry_e2e
from gopry_e2e import TOP, tail

report = gopry_e2e.Reporter("demo")
SRC = os.path.join(TOP, "tests", "workloads", "demo", "main.go")


def marker_line(tag):
    with open(SRC) as f:
        for n, line in enumerate(f, 1):
            if f"// {tag}" in line:
                return n
    return None


def main():
    status = gopry_e2e.need_root(report)
    if status is not None:
        return status
    line = marker_line("DEMO:leak")
    p = subprocess.run(["bash", os.path.join(TOP, "tools", "demo.sh")], capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = p.stdout
    if p.returncode != 0:
        report("run", f"exit {p.returncode}: {tail(p.stderr)}")
        return 1
    report("run", None)
    m = re.search(r"^demo: (\d+) GC cycles, \d+ forced, [\d.]+ ms total pause; "
                  r"\d+ goroutines, (\d+) leaked$", out, re.M)
    if not m:
        report("workload", f"no demo summary line: {tail(out)}")
        return 1
    ngc, nleaked = int(m.group(1)), int(m.group(2))
    gcs = re.findall(r"^gc (\d+) @", out, re.M)
    report("gc-lines", None if gcs and int(gcs[-1]) >= ngc else
           f"{len(gcs)} gc lines (last {gcs[-1] if gcs else None}), the demo counted {ngc}")
    report("stw-lines", None if re.search(r'^stw "read mem stats": pause', out, re.M)
           else "no stw line for ReadMemStats")
    report("goroutine-lines",
           None if len(re.findall(r"^goroutines after ", out, re.M)) >= 5
           else "fewer than 5 interval goroutine lines")
    sus = re.search(r"^leak suspects \(final\): (\d+)\n  #1 (\S+) \((\S+):(\d+)\) -> \S+: "
                    r"(\d+) alive, .* parked on (chan send)", out, re.M)
    if not sus:
        report("leak", "no final #1 suspect parked on chan send: " +
               tail(out[out.find("leak suspects (final)"):], 4))
    else:
        where = (sus.group(3).endswith("demo/main.go"), int(sus.group(4)), int(sus.group(5)))
        report("leak", None if where == (True, line, nleaked) else
               f"#1 at {sus.group(3)}:{sus.group(4)} with {sus.group(5)} alive, want "
               f"demo/main.go:{line} with {nleaked} (the demo's own count)")
    report("summary", None if "--- gopry summary" in out and " 0 dropped" in out
           else f"no summary with 0 dropped: {tail(out, 3)}")
    return report.status()


if __name__ == "__main__":
    sys.exit(main())
