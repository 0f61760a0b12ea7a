# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere: the Python face of the codesphere C++ SDK for collaborative cloud IDEs.

Submodules (each a thin view of the C++ module of the same name):
  codesphere.crdt      Yjs-compatible documents: Doc, Text, Map, Array, updates
  codesphere.sync      y-protocols codecs, Awareness, Room
  codesphere.storage   object stores (memory, local directory)
  codesphere.filesync  snapshot repositories (save, list, restore, fork)
  codesphere.sandbox   sandboxes: Spec, launchers, processes
  codesphere.pty       pseudo-terminals you can read and write

Every error the SDK raises is a `codesphere.Error` carrying `.code` (a `StatusCode`);
`InvalidArgumentError` is also a `ValueError`, `NotFoundError` a `LookupError`,
`DeadlineExceededError` a `TimeoutError`, `PermissionDeniedError` a `PermissionError`.
"""

from . import _codesphere
from ._codesphere import (
    AbortedError,
    AlreadyExistsError,
    CancelledError,
    DataLossError,
    DeadlineExceededError,
    Error,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    StatusCode,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
    __version__,
)
from . import crdt

StatusCode.__module__ = __name__

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "CancelledError",
    "DataLossError",
    "DeadlineExceededError",
    "Error",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "StatusCode",
    "UnauthenticatedError",
    "UnavailableError",
    "UnimplementedError",
    "__version__",
    "crdt",
]


def available_modules():
    """Names of the C++ modules compiled into this build (e.g. ['crdt', 'sync', ...])."""
    return [m for m in ("crdt", "sync", "storage", "filesync", "sandbox", "pty")
            if hasattr(_codesphere, m)]
