# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.storage: bindings of the C++ module codesphere::storage (API: storage.pyi)."""

from ._submodule import export

__all__ = export(globals(), "storage")
