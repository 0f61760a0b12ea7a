#!/usr/bin/env bash
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# End-to-end snapshot benchmark: restic (the anchor) and codesphere-snapshot in ONE run of the
# shared anchor script (deterministic trees, hot page cache, medians; see
# ../shared/bench-anchors/MEASURED.md §4). Results: docs/benchmarks/filesync.md.
#
# usage: bench/filesync/run_snapshot_bench.sh BUILD_DIR [OUT_JSON] [extra snapshot_bench.py args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:?usage: run_snapshot_bench.sh BUILD_DIR [OUT_JSON] [args...]}"
out="${2:-$root/bench/filesync/snapshot_bench.json}"
shift $(( $# >= 2 ? 2 : 1 ))
bin="$(cd "$build" && pwd)/examples/workspace-snapshot/codesphere-snapshot"
anchors="${CODESPHERE_BENCH_ANCHORS:-$root/../shared/bench-anchors}"
[ -x "$bin" ] || { echo "missing $bin (build the codesphere-snapshot target)" >&2; exit 1; }
[ -f "$anchors/snapshot_bench.py" ] || { echo "missing $anchors/snapshot_bench.py" >&2; exit 1; }
# CODESPHERE_BENCH_STORE_QUERY="?fsync=false" measures without fsync (MEASURED.md's method says
# no tool fsyncs; our local store fsyncs every pack by default).
q="${CODESPHERE_BENCH_STORE_QUERY:-}"
exec python3 "$anchors/snapshot_bench.py" --repeat 3 --tools restic,custom \
  --custom-name "codesphere-snapshot${q:+-nofsync}" \
  --custom-save "$bin save --quiet --store 'file://{repo}$q' --cache {cache} {src}" \
  --custom-restore "$bin restore --quiet --store 'file://{repo}$q' --cache {cache} {snap} {dst}" \
  --custom-latest "$bin ls --store 'file://{repo}$q' --cache {cache} | tail -1 | cut -d' ' -f1" \
  --out "$out" "$@"
