#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Prints the markdown table of docs/benchmarks/filesync.md from snapshot_bench.py JSON files:
medians per run plus every repetition, restic vs codesphere-snapshot, ratios (ours vs restic).

usage: summarize_snapshot_bench.py RUN.json [RUN.json ...] [--load FILE]
  --load FILE: lines "HH:MM:SS load1 load5 load15" sampled during the run (printed as a range)
"""
import json
import sys


def fmt(v, unit):
    return "–" if v is None else f"{v} {unit}".strip()


def ratio(ours, theirs, higher_is_better):
    if not ours or not theirs:
        return "–"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"**{r:.2f}×**"


def table(path):
    d = json.load(open(path))
    runs = d["runs"]
    ours_name = next(n for n in runs if n != "restic")
    r, o = runs["restic"], runs[ours_name]
    rows = [
        ("big tree (1.064 GB, 10,000 files): snapshot", "big", "save_MBps", "MB/s", True),
        ("big tree: restore", "big", "restore_MBps", "MB/s", True),
        ("big tree: snapshot CPU", "big", "save_cpu_s", "s", False),
        ("big tree: restore CPU", "big", "restore_cpu_s", "s", False),
        ("big tree: incremental, 1 file changed", "big", "incr_one_file_s", "s", False),
        ("big tree: snapshot with no change", "big", "incr_nochange_s", "s", False),
        ("small tree (40.5 MB, 10,000 files): snapshot", "small", "save_MBps", "MB/s", True),
        ("small tree: restore", "small", "restore_MBps", "MB/s", True),
        ("small tree: incremental, 1 file changed", "small", "incr_one_file_s", "s", False),
        ("small tree: snapshot with no change", "small", "incr_nochange_s", "s", False),
    ]
    out = [f"Run {d['date']}, kernel {d['kernel']}, {d['filesystem']['mount']}, repeat {d['repeat']}", "",
           f"| metric | restic {r['version'].split()[1] if ' ' in r['version'] else r['version']} | {ours_name} | ratio (ours vs restic) |",
           "|---|---|---|---|"]
    for label, tree, key, unit, hib in rows:
        a, b = r[tree]["median"].get(key), o[tree]["median"].get(key)
        out.append(f"| {label} | {fmt(a, unit)} | {fmt(b, unit)} | {ratio(b, a, hib)} |")
    out.append(f"| stored (big tree) | {r['big']['median']['stored_MB']} MB | {o['big']['median']['stored_MB']} MB | |")
    out.append(f"| restore identical (`diff -rq`) | {r['big']['median']['restore_identical']} | "
               f"{o['big']['median']['restore_identical']} | |")
    out.append("")
    for tree in ("big", "small"):
        for key, name in (("save_s", "snapshot s"), ("restore_s", "restore s"), ("incr_one_file_s", "incremental s")):
            mine = [x.get(key) for x in o[tree]["runs"]]
            theirs = [x.get(key) for x in r[tree]["runs"]]
            out.append(f"- {tree} tree, {name} per repetition: {ours_name} {mine}; restic {theirs}")
    return "\n".join(out)


def main():
    args = sys.argv[1:]
    load = None
    if "--load" in args:
        i = args.index("--load")
        load = args[i + 1]
        del args[i:i + 2]
    for p in args:
        print(table(p))
        print()
    if load:
        vals = [float(line.split()[1]) for line in open(load) if len(line.split()) >= 2]
        if vals:
            print(f"Load average (1 min) sampled every 20 s during the run: {min(vals)}–{max(vals)}")


if __name__ == "__main__":
    main()
