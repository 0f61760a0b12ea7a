// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Byte buffers: `Bytes` owns, `ByteSpan` borrows. Plus hex helpers for logs and tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/result.h"

namespace codesphere {

// An owned, contiguous byte buffer.
using Bytes = std::vector<std::uint8_t>;
// A borrowed, read-only view of bytes.
using ByteSpan = std::span<const std::uint8_t>;

// Views the bytes of `s` (no copy). The view lives as long as `s`'s storage.
inline ByteSpan AsBytes(std::string_view s) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
// Views `b` as characters (no copy).
inline std::string_view AsStringView(ByteSpan b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
// Copies `s` into a new buffer.
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lower-case hex without separators ("0a1b"). With `separator`, bytes are joined by it.
std::string ToHex(ByteSpan bytes, std::string_view separator = "");

// Parses hex; whitespace between byte pairs is ignored ("01 02 0a" and "01020A" both work).
// Returns kInvalidArgument on an odd digit count or a non-hex character.
Result<Bytes> FromHex(std::string_view hex);

}  // namespace codesphere
