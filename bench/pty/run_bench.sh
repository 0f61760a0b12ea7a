#!/usr/bin/env bash
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# The terminal benchmark of docs/benchmarks/pty.md: codesphere-term and the seeds' Node
# node-pty + ws relay (shared/bench-anchors/pty_relay_node.mjs), measured in one run with the
# same drivers, rounds interleaved:
#   pty_load.mjs   throughput (200 MiB cooked/raw, with the raw-PTY C limit) and echo p50/p99
#   pty_extra.mjs  echo while another session floods (`yes`), with a breakdown of our round
#                  trips from the server's trace (codesphere-term --trace); memory of 200 idle
#                  sessions; the summary with per-round ratios (ours / relay, ours / raw-PTY C
#                  limit of the same round) and the machine's load during each round
# Usage: bench/pty/run_bench.sh [BUILD_DIR]     (default: build)
#   env REPEAT (rounds, default 5), OUT (results folder, default bench/pty/results),
#       ANCHORS (default ../shared/bench-anchors next to the repository), SESSIONS (200),
#       FLOOD_ITERS (echo round trips per flood-echo test, default 5000),
#       PARTS (which parts run, default "load flood idle"; e.g. PARTS=flood for the echo-under-flood
#       rounds alone),
#       LOAD_ARGS (extra pty_load.mjs options, e.g. "--bytes 52428800" for a quick run),
#       OURS_ARGS (extra codesphere-term options, e.g. "--flood-rate 0" to turn the fair share off)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
term=$(cd "$build" && pwd)/examples/terminal-server/codesphere-term
anchors=${ANCHORS:-$root/../shared/bench-anchors}
repeat=${REPEAT:-5}
sessions=${SESSIONS:-200}
flood_iters=${FLOOD_ITERS:-5000}
parts=" ${PARTS:-load flood idle} "
out=${OUT:-$root/bench/pty/results}
[[ -x $term ]] || { echo "missing $term (build the codesphere-term target)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The anchors folder is read-only and shared: work on a copy with its own node_modules.
work=$(mktemp -d "${TMPDIR:-/tmp}/pty-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$anchors"/. "$work"/
chmod -R u+w "$work"
rm -rf "$work/node_modules" "$work/results" "$work/pty_raw"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null 2>&1)
# node-pty ships a prebuilt addon; if this npm blocked it, build it.
if ! (cd "$work" && node -e "require('node-pty')" 2>/dev/null); then
  (cd "$work" && npm rebuild node-pty >/dev/null 2>&1)
fi
cp "$root/bench/pty/pty_extra.mjs" "$work/"

ours="$term ${OURS_ARGS:-} --port {port} -- bash"
ours_traced="$term ${OURS_ARGS:-} --trace $work/trace.txt --port {port} -- bash"
relay="node pty_relay_node.mjs --port {port}"

# Runs pty_extra.mjs against a fresh server: start_and_run "SERVER CMD with {port}" ARGS...
start_and_run() {
  local cmd=$1; shift
  local port
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  cmd=${cmd//\{port\}/$port}
  (cd "$work" && HOST=127.0.0.1 PORT=$port exec bash -c "exec $cmd") >/dev/null 2>&1 &
  local spid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local url="ws://127.0.0.1:$port"
  node "$work/pty_extra.mjs" --url "$url" --server-pid "$spid" "$@" \
    --sessions-url "http://127.0.0.1:$port/api/sessions" || true
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
}

# The machine's busy share (all CPUs) between two /proc/stat samples, and the load average.
cpu_sample() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
load_json() {  # load_json ROUND "BUSY TOTAL at start" "LOADAVG at start"
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$2"
  read -r b1 t1 <<<"$(cpu_sample)"
  printf '{"round":%s,"cpus":%s,"loadavg_start":"%s","loadavg_end":"%s","cpu_busy_pct":%s}\n' \
    "$1" "$(nproc)" "$3" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(awk -v b="$((b1 - b0))" -v t="$((t1 - t0))" 'BEGIN{printf "%.1f", t ? 100 * b / t : 0}')"
}

for r in $(seq 1 "$repeat"); do
  cpu0=$(cpu_sample)
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  if [[ $parts == *" load "* ]]; then
    echo "== round $r: throughput and echo (load $load0)" >&2
    # shellcheck disable=SC2086
    "$work/pty_bench.sh" "$ours" --repeat 1 --in-prefix 0 ${LOAD_ARGS:-} --out "$out/ours-load-$r.json" >/dev/null
    # shellcheck disable=SC2086
    "$work/pty_bench.sh" "$relay" --repeat 1 --raw-bin none ${LOAD_ARGS:-} --out "$out/relay-load-$r.json" >/dev/null
  fi
  if [[ $parts == *" flood "* ]]; then
    echo "== round $r: echo while another session floods (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    start_and_run "$ours_traced" --mode flood-echo --in-prefix 0 --iters "$flood_iters" \
      --lat-dump "$work/lat.txt" --out "$out/ours-flood-echo-$r.json" >/dev/null
    node "$work/pty_extra.mjs" --mode breakdown --trace "$work/trace.txt" --lat "$work/lat.txt" \
      --out "$out/ours-flood-breakdown-$r.json" >/dev/null || true
    rm -f "$work/trace.txt" "$work/lat.txt"
    start_and_run "$relay" --mode flood-echo --iters "$flood_iters" --out "$out/relay-flood-echo-$r.json" >/dev/null
  fi
  load_json "$r" "$cpu0" "$load0" >"$out/load-$r.json"
done
if [[ $parts == *" idle "* ]]; then
  echo "== idle memory, $sessions sessions" >&2
  start_and_run "$ours" --mode idle-mem --in-prefix 0 --sessions "$sessions" --out "$out/ours-idle-mem.json" >/dev/null
  start_and_run "$relay" --mode idle-mem --sessions "$sessions" --out "$out/relay-idle-mem.json" >/dev/null
fi
node "$work/pty_extra.mjs" --mode summarize --dir "$out" --out "$out/summary.json"
