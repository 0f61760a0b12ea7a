#!/usr/bin/env bash
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# The Python bindings' test driver (ctest label "python"): creates a fresh virtual
# environment of the default `python3`, runs `pip install ./bindings/python` (offline: the
# in-tree build backend needs nothing from an index; the CMake build directory is reused, so
# later runs only relink), then runs the stdlib unittest suites in this folder.
#
#   bindings/python/tests/run_tests.sh [unittest discover args...]
#
# Environment: CODESPHERE_PY_BUILD_DIR (default: bindings/python/build/<wheel tag>, reused),
# CODESPHERE_SOURCE_DIR (default: this checkout), PYTHON (default: python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
python="${PYTHON:-python3}"
export CODESPHERE_SOURCE_DIR="${CODESPHERE_SOURCE_DIR:-$root}"

venv="$(mktemp -d "${TMPDIR:-/tmp}/codesphere-pytest.XXXXXX")"
trap 'rm -rf "$venv"' EXIT
"$python" -m venv "$venv"
# No index is reachable: never let pip try one.
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$venv/bin/python" -m pip install --quiet "$CODESPHERE_SOURCE_DIR/bindings/python"
# Run from a directory without the source package, so the installed one is imported.
cd "$venv"
"$venv/bin/python" -c 'import codesphere, sys; print("codesphere", codesphere.__version__,
  "modules:", ",".join(codesphere.available_modules()), "python", sys.version.split()[0])'
exec "$venv/bin/python" -m unittest discover -s "$here" -t "$here" -v "$@"
