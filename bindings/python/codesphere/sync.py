# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.sync: bindings of the C++ module codesphere::sync (API: sync.pyi)."""

from ._submodule import export

__all__ = export(globals(), "sync")
