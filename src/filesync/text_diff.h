// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A minimal text diff for turning an external file edit into CRDT operations: Myers' O(ND)
// diff on lines (E. Myers, "An O(ND) Difference Algorithm and Its Variations", 1986), then each
// changed hunk trimmed to its differing characters (UTF-8 safe). Small edits become small
// operations, so collaborators' cursors and concurrent typing elsewhere survive.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace codesphere::filesync::internal {

// Replace old_text[pos, pos + erase) with `insert`. Offsets are UTF-8 byte offsets in the old
// text, on code point boundaries.
struct TextEdit {
  std::size_t pos = 0;
  std::size_t erase = 0;
  std::string insert;
};

// Edits turning `a` into `b`, ascending and non-overlapping. Falls back to one edit (common
// prefix/suffix trimmed) when the line diff exceeds `max_d` changed lines.
std::vector<TextEdit> DiffText(std::string_view a, std::string_view b, std::size_t max_d = 4000);

// Number of UTF-16 code units in UTF-8 `s` (4-byte sequences count 2).
std::size_t Utf16Length(std::string_view s);

// True if `s` is valid UTF-8 without NUL bytes (what we bind as text).
bool IsBindableText(std::string_view s);

}  // namespace codesphere::filesync::internal
