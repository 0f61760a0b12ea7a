#!/usr/bin/env bash
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# Runs our yjs-replay and the real Yjs (shared/bench-anchors/yjs_traces.mjs) on the same
# traces on this machine, interleaved run by run so both see the same load, and prints the
# medians and ratios per metric.
#
#   bench/crdt/compare_yjs.sh [--runs N] [--build DIR] [TRACE.json.gz ...]
#
# Defaults: 5 runs, build dir ./build, the automerge-paper trace. Needs node and the
# node_modules of tests/interop (npm ci there); Yjs runs with client id 1234567890, as we do.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=5
BUILD="$ROOT/build"
TRACES=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    *) TRACES+=("$1"); shift ;;
  esac
done
ANCHORS="$ROOT/../shared/bench-anchors"
if [[ ${#TRACES[@]} -eq 0 ]]; then
  TRACES=("$ROOT/../shared/data/editing-traces/sequential_traces/automerge-paper.json.gz")
fi
REPLAY="$BUILD/examples/yjs-replay/yjs-replay"
[[ -x "$REPLAY" ]] || { echo "build yjs-replay first (ninja -C $BUILD yjs-replay)" >&2; exit 2; }
[[ -d "$ROOT/tests/interop/node_modules/yjs" ]] || { echo "run npm ci in tests/interop first" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$ANCHORS/yjs_traces.mjs" "$TMP/"
ln -s "$ROOT/tests/interop/node_modules" "$TMP/node_modules"

for t in "${TRACES[@]}"; do
  name=$(basename "$t" .json.gz)
  for i in $(seq 1 "$RUNS"); do
    "$REPLAY" --check "$t" > "$TMP/ours_${name}_$i.json"
    node "$TMP/yjs_traces.mjs" --runs 1 --out "$TMP/yjs_${name}_$i.json" "$t" > /dev/null 2> "$TMP/yjs.log" \
      || { cat "$TMP/yjs.log" >&2; exit 1; }
  done
done

python3 - "$TMP" "$RUNS" "${TRACES[@]}" <<'PY'
import json, os, statistics, sys
tmp, runs, traces = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
metrics = [  # (label, ours key, yjs (phase, key), better)
    ("local replay ms", "replay_ms", ("local", "replay_ms"), "lower"),
    ("apply per-edit updates ms", "remote_stream_apply_ms", ("stream", "remote_stream_apply_ms"), "lower"),
    ("load v1 ms", "load_v1_ms", ("local", "load_v1_ms"), "lower"),
    ("encode v1 ms", "encode_v1_ms", ("local", "encode_v1_ms"), "lower"),
    ("v1 bytes", "update_v1_bytes", ("local", "update_v1_bytes"), "lower"),
    ("doc heap bytes (replayed)", "doc_heap_bytes", ("local", "doc_heap_bytes"), "lower"),
    ("doc heap bytes (loaded)", "loaded_doc_heap_bytes", ("local", "loaded_doc_heap_bytes"), "lower"),
]
print(f"runs per side: {runs} (interleaved); medians; ratio = Yjs / ours (higher is better for us)")
for t in traces:
    name = os.path.basename(t).replace(".json.gz", "")
    ours = [json.load(open(f"{tmp}/ours_{name}_{i}.json")) for i in range(1, runs + 1)]
    yjs = [json.load(open(f"{tmp}/yjs_{name}_{i}.json"))["results"][0] for i in range(1, runs + 1)]
    print(f"\n{name}")
    print(f"| metric | ours | Yjs 13.6.33 | ratio |")
    print(f"|---|---:|---:|---:|")
    for label, ok, (phase, yk), _ in metrics:
        o = statistics.median(r[ok] for r in ours)
        y = statistics.median(r[phase][yk] for r in yjs)
        fmt = (lambda v: f"{v:,.0f}") if "bytes" in label else (lambda v: f"{v:.2f}")
        print(f"| {label} | {fmt(o)} | {fmt(y)} | {y / o:.1f}x |")
    print(f"| all texts equal endContent | {all(r['final_ok'] and r['load_ok'] and r['remote_stream_ok'] for r in ours)} | "
          f"{all(r['local']['final_ok'] and r['local']['load_ok'] for r in yjs)} | |")
PY
