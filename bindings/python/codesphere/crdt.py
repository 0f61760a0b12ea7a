# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.crdt: bindings of the C++ module codesphere::crdt (API: crdt.pyi)."""

from ._submodule import export

__all__ = export(globals(), "crdt")
