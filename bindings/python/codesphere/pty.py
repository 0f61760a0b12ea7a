# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.pty: bindings of the C++ module codesphere::pty (API: pty.pyi)."""

from ._submodule import export

__all__ = export(globals(), "pty")
