// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "pty/reply_filter.h"

#include <cstddef>
#include <string_view>

namespace codesphere::pty::internal {
namespace {

constexpr std::uint8_t kEsc = 0x1b;
constexpr std::uint8_t kBel = 0x07;

bool AllDigitsOrSemicolons(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == ';')) return false;
  }
  return true;
}

bool IsReplyCsi(std::string_view params, std::string_view inter, char final) {
  const char lead = params.empty() ? '\0' : params[0];
  switch (final) {
    case 'c':
      return inter.empty() && (lead == '?' || lead == '>' || lead == '=');
    case 'R': {
      std::string_view p = lead == '?' ? params.substr(1) : params;
      return inter.empty() && AllDigitsOrSemicolons(p) && p.find(';') != std::string_view::npos;
    }
    case 'n':
      return inter.empty() && AllDigitsOrSemicolons(params);
    case 'y':
      return inter == "$";
    case 't':
      return inter.empty() && AllDigitsOrSemicolons(params);
    case 'u':
      return inter.empty() && lead == '?';
    default:
      return false;
  }
}

// Length of the string sequence (OSC/DCS) starting at `i` (ESC + introducer), or 0 if it is
// not terminated within `in`.
std::size_t StringSequenceLength(ByteSpan in, std::size_t i, bool bel_ends) {
  for (std::size_t j = i + 2; j < in.size(); ++j) {
    if (bel_ends && in[j] == kBel) return j + 1 - i;
    if (in[j] == kEsc && j + 1 < in.size() && in[j + 1] == '\\') return j + 2 - i;
  }
  return 0;
}

}  // namespace

Bytes StripTerminalReplies(ByteSpan in) {
  Bytes out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    if (in[i] != kEsc || i + 1 >= in.size()) {
      out.push_back(in[i++]);
      continue;
    }
    const std::uint8_t kind = in[i + 1];
    if (kind == ']' || kind == 'P') {
      const std::size_t n = StringSequenceLength(in, i, kind == ']');
      if (n > 0) {
        i += n;
        continue;
      }
    } else if (kind == '[') {
      std::size_t j = i + 2;
      const std::size_t p0 = j;
      while (j < in.size() && in[j] >= 0x30 && in[j] <= 0x3f) ++j;
      const std::size_t i0 = j;
      while (j < in.size() && in[j] >= 0x20 && in[j] <= 0x2f) ++j;
      if (j < in.size() && in[j] >= 0x40 && in[j] <= 0x7e) {
        const std::string_view all = AsStringView(in);
        if (IsReplyCsi(all.substr(p0, i0 - p0), all.substr(i0, j - i0),
                       static_cast<char>(in[j]))) {
          i = j + 1;
          continue;
        }
      }
    }
    out.push_back(in[i++]);
  }
  return out;
}

}  // namespace codesphere::pty::internal
