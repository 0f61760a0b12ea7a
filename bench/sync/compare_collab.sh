#!/usr/bin/env bash
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# Runs the shared collaboration-server load driver (shared/bench-anchors/collab_bench.mjs,
# method in MEASURED.md §2) against codesphere-collab and the two reference Node servers
# (y-websocket 1.5.4, @y/websocket-server 0.1.1) in the same run, and prints a table of
# ratios. Usage:
#   bench/sync/compare_collab.sh [--build build] [--scenarios "a b c"] [--repeat 1] [--no-fsync]
#                                [--quiet-wait N]
# Results (per-run JSON) go to BUILD/bench/collab/results. The driver waits up to 30 x 5 s for
# the machine to be < 15 % busy before every measurement; on a shared machine that is never
# quiet, `--quiet-wait N` caps the wait at N tries (the measurement itself is unchanged; every
# result records how busy the machine was).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=build
scenarios="a b c"
repeat=1
fsync_flag=""
quiet_wait=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --no-fsync) fsync_flag="--no-fsync"; shift ;;
    --quiet-wait) quiet_wait=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
anchors=$root/../shared/bench-anchors
collab=$(cd "$root" && realpath "$build")/examples/collab-server/codesphere-collab
[ -x "$collab" ] || { echo "build $collab first (make build)" >&2; exit 1; }

# The anchors' scripts run from a scratch copy with their own pinned node_modules, so
# shared/ stays untouched.
work=$(cd "$root" && realpath "$build")/bench/collab
mkdir -p "$work"
cp "$anchors"/collab_bench.mjs "$anchors"/collab_load.mjs "$anchors"/package.json \
   "$anchors"/package-lock.json "$work"/
if [ -n "$quiet_wait" ]; then
  sed -i "s/for (let i = 0; i < 30 \&\& quiet > 15; i++)/for (let i = 0; i < $quiet_wait \&\& quiet > 15; i++)/" \
    "$work"/collab_bench.mjs
  grep -q "i < $quiet_wait && quiet > 15" "$work"/collab_bench.mjs || { echo "could not set the quiet wait" >&2; exit 1; }
fi
if [ ! -d "$work/node_modules/y-leveldb" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
data=$(mktemp -d /tmp/codesphere-collab-bench-XXXXXX)
trap 'rm -rf "$data"' EXIT

declare -A cmd
cmd[codesphere]="$collab --host 127.0.0.1 --port {port} --data $data $fsync_flag"
cmd[y-websocket-1.5.4]="node node_modules/y-websocket/bin/server.js"
cmd[y-websocket-server-0.1.1]="node node_modules/@y/websocket-server/src/server.js"

cd "$work"
for sc in $scenarios; do
  for name in codesphere y-websocket-1.5.4 y-websocket-server-0.1.1; do
    echo "== scenario $sc: $name" >&2
    rm -rf "${data:?}"/*
    echo "uptime: $(uptime)" >&2
    node collab_bench.mjs --server-cmd "${cmd[$name]}" --name "$name" --scenario "$sc" \
      --repeat "$repeat" --out-dir "$work/results" >&2
  done
done
node "$here/summarize_collab.mjs" "$work/results" $scenarios
