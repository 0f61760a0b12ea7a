#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""The automerge-paper editing trace replayed through the Python API vs the C++ replay.

    replay.py [--trace automerge-paper.json.gz] [--cpp path/to/yjs-replay] [--yjs] [--runs 5]

Python variants (one transaction per patch, as examples/yjs-replay does):
  batched    text.splice_many(patches): all 259,778 patches in one call
  per_call   text.splice(pos, del, ins) once per patch from a Python loop
The C++ figure is yjs-replay's `replay_ms` (same trace, same Doc, same transactions), run
as a separate process. `--yjs` adds the anchor: the real Yjs (Node, yjs_replay.mjs) on the
same trace, in the same run. Prints JSON; docs/benchmarks/python.md records the figures.
"""

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from codesphere import crdt

DEFAULT_TRACE = "/work/shared/data/editing-traces/sequential_traces/automerge-paper.json.gz"


def load(path):
    trace = json.loads(gzip.open(path).read())
    patches = [(p[0], p[1], p[2]) for t in trace["txns"] for p in t["patches"]]
    return patches, trace["endContent"]


def run_batched(patches):
    doc = crdt.Doc(client_id=1234567890)
    text = doc.get_text("text")
    start = time.perf_counter()
    text.splice_many(patches)
    return (time.perf_counter() - start) * 1000, str(text)


def run_per_call(patches):
    doc = crdt.Doc(client_id=1234567890)
    text = doc.get_text("text")
    splice = text.splice
    start = time.perf_counter()
    for pos, delete, ins in patches:
        splice(pos, delete, ins)
    return (time.perf_counter() - start) * 1000, str(text)


def run_cpp(binary, trace):
    out = subprocess.run([binary, trace], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["replay_ms"]


def run_yjs(trace):
    script = Path(__file__).with_name("yjs_replay.mjs")
    out = subprocess.run(["node", str(script), trace], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)["replay_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", default=DEFAULT_TRACE)
    ap.add_argument("--cpp", help="yjs-replay binary (examples/yjs-replay)")
    ap.add_argument("--yjs", action="store_true", help="also replay in Node Yjs (anchor)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    patches, end = load(args.trace)
    results = {"trace": Path(args.trace).name, "patches": len(patches), "runs": args.runs}
    for name, fn in (("batched", run_batched), ("per_call", run_per_call)):
        times = []
        for _ in range(args.runs):
            ms, final = fn(patches)
            if final != end:
                sys.exit("replay.py: %s replay diverged from endContent" % name)
            times.append(ms)
        results[name + "_ms"] = round(statistics.median(times), 1)
    if args.cpp:
        results["cpp_ms"] = round(statistics.median(run_cpp(args.cpp, args.trace)
                                                    for _ in range(args.runs)), 1)
        results["batched_overhead"] = round(results["batched_ms"] / results["cpp_ms"], 2)
        results["per_call_overhead"] = round(results["per_call_ms"] / results["cpp_ms"], 2)
    if args.yjs:
        results["yjs_ms"] = round(statistics.median(run_yjs(args.trace)
                                                    for _ in range(args.runs)), 1)
        results["yjs_over_python_batched"] = round(results["yjs_ms"] / results["batched_ms"], 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
