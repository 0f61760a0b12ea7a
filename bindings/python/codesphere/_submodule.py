# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Builds the public `codesphere.<m>` modules from the extension's submodules."""

import importlib


def export(module_globals, name):
    """Copies the public names of `_codesphere.<name>` into `module_globals` (a module's
    globals()), marks the classes as defined there, and returns the names for `__all__`.
    Raises ImportError when the extension was built without that C++ module."""
    extension = importlib.import_module("codesphere._codesphere")
    impl = getattr(extension, name, None)
    if impl is None:
        raise ImportError("codesphere was built without the '%s' module" % name)
    names = [n for n in dir(impl) if not n.startswith("_")]
    for n in names:
        value = getattr(impl, n)
        if isinstance(value, type):
            value.__module__ = module_globals["__name__"]
        module_globals[n] = value
    return names
