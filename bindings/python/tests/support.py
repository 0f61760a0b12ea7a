# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the test suites."""


def utf16_offsets(s):
    """UTF-16 offsets of the code point boundaries of `s` (0 … len in UTF-16 units), the
    positions at which Yjs text may be edited without splitting a surrogate pair."""
    offsets, n = [0], 0
    for ch in s:
        n += 2 if ord(ch) > 0xFFFF else 1
        offsets.append(n)
    return offsets
