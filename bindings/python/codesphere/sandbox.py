# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.sandbox: bindings of the C++ module codesphere::sandbox (API: sandbox.pyi)."""

from ._submodule import export

__all__ = export(globals(), "sandbox")
