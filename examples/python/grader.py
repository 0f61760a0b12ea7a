#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Grades untrusted code: runs a submission in a sandbox, with limits, on test cases.

    grader.py SUBMISSION.py CASES.json [--memory 256M] [--seconds 2] [--output 64k]
              [--unsafe-no-isolation]

CASES.json is a list of {"name": ..., "stdin": ..., "expected": ...}. Each case runs
`python3 submission.py < stdin` in a fresh sandbox (own user, pid, mount and network
namespaces, cgroup memory/pids/CPU limits, wall-time and output limits); the report (JSON on
stdout) has per case the verdict (pass, wrong-answer, runtime-error, time-limit,
memory-limit, output-limit), the exit status and the first bytes of stdout/stderr.

Isolation needs the Linux namespace launcher (root, cgroups). `--unsafe-no-isolation` uses
the process launcher instead: limits on time and output still hold, but the code runs as a
plain host process; use it only for code you trust (e.g. to try the grader).
"""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import codesphere
from codesphere import sandbox

PREVIEW = 2000


def verdict(result, expected):
    status = result["status"]
    if status.output_limit_exceeded:
        return "output-limit"
    if status.wall_time_exceeded or status.cpu_time_exceeded:
        return "time-limit"
    if status.oom_killed:
        return "memory-limit"
    if not status.success:
        return "runtime-error"
    out = result["stdout"].decode("utf-8", "replace")
    return "pass" if out.strip() == expected.strip() else "wrong-answer"


def grade(launcher, submission, cases, limits):
    report = []
    for i, case in enumerate(cases):
        with tempfile.TemporaryDirectory(prefix="grader-") as workspace:
            shutil.copy(submission, Path(workspace, "submission.py"))
            Path(workspace, "stdin.txt").write_text(case.get("stdin", ""))
            spec = sandbox.Spec.default(workspace)
            spec.limits.memory_bytes = limits["memory"]
            spec.limits.pids = 32
            spec.limits.cpu_millis = 1000
            spec.limits.cpu_time_seconds = max(1, int(limits["seconds"]) + 1)
            spec.limits.wall_time_ms = int(limits["seconds"] * 1000)
            spec.limits.file_size_bytes = 16 << 20
            with launcher.start(spec) as box:
                result = box.run(["sh", "-c", "exec python3 submission.py < stdin.txt"],
                                 output_limit=limits["output"])
            report.append({
                "name": case.get("name", "case %d" % (i + 1)),
                "verdict": verdict(result, case.get("expected", "")),
                "status": str(result["status"]),
                "stdout": result["stdout"][:PREVIEW].decode("utf-8", "replace"),
                "stderr": result["stderr"][:PREVIEW].decode("utf-8", "replace"),
            })
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("submission")
    ap.add_argument("cases")
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--output", default="64k")
    ap.add_argument("--unsafe-no-isolation", action="store_true")
    args = ap.parse_args()
    limits = {"memory": sandbox.parse_byte_size(args.memory), "seconds": args.seconds,
              "output": sandbox.parse_byte_size(args.output)}
    if args.unsafe_no_isolation:
        launcher = sandbox.process_launcher_without_isolation()
    else:
        try:
            sandbox.probe_linux_namespace_support()
        except codesphere.Error as e:
            print("grader: this host cannot isolate untrusted code: %s\n"
                  "(run as root with cgroups, or pass --unsafe-no-isolation for trusted code)"
                  % e, file=sys.stderr)
            return 2
        launcher = sandbox.linux_namespace_launcher()
    cases = json.loads(Path(args.cases).read_text())
    report = grade(launcher, args.submission, cases, limits)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0 if all(r["verdict"] == "pass" for r in report) else 1


if __name__ == "__main__":
    sys.exit(main())
