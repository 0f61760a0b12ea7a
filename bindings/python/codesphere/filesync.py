# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.filesync: bindings of the C++ module codesphere::filesync (API: filesync.pyi)."""

from ._submodule import export

__all__ = export(globals(), "filesync")
