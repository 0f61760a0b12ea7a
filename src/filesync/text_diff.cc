// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/text_diff.h"

#include <algorithm>
#include <cstdint>

namespace codesphere::filesync::internal {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::vector<std::string_view> SplitLines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? s.size() : nl + 1;
    lines.push_back(s.substr(start, end - start));
    start = end;
  }
  return lines;
}

// One edit for a[a0, a1) -> b[b0, b1) with common prefix/suffix bytes removed.
void TrimmedEdit(std::string_view a, std::size_t a0, std::size_t a1, std::string_view b,
                 std::size_t b0, std::size_t b1, std::vector<TextEdit>& out) {
  std::size_t p = 0;
  while (a0 + p < a1 && b0 + p < b1 && a[a0 + p] == b[b0 + p]) ++p;
  while (p > 0 && a0 + p < a.size() && IsContinuation(static_cast<unsigned char>(a[a0 + p]))) --p;
  std::size_t s = 0;
  while (a1 - s > a0 + p && b1 - s > b0 + p && a[a1 - s - 1] == b[b1 - s - 1]) ++s;
  while (s > 0 && IsContinuation(static_cast<unsigned char>(a[a1 - s]))) --s;
  if (a1 - s == a0 + p && b1 - s == b0 + p) return;
  out.push_back(TextEdit{a0 + p, (a1 - s) - (a0 + p), std::string(b.substr(b0 + p, (b1 - s) - (b0 + p)))});
}

}  // namespace

std::vector<TextEdit> DiffText(std::string_view a, std::string_view b, std::size_t max_d) {
  std::vector<TextEdit> out;
  if (a == b) return out;
  auto la = SplitLines(a), lb = SplitLines(b);
  const long n = static_cast<long>(la.size()), m = static_cast<long>(lb.size());
  const long max = std::min<long>(n + m, static_cast<long>(max_d));
  // Myers' greedy forward pass, keeping each round's V for the traceback.
  std::vector<std::vector<long>> trace;
  std::vector<long> v(static_cast<std::size_t>(2 * max + 3), 0);
  const long off = max + 1;
  long found_d = -1;
  for (long d = 0; d <= max && found_d < 0; ++d) {
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && v[k - 1 + off] < v[k + 1 + off])) ? v[k + 1 + off] : v[k - 1 + off] + 1;
      long y = x - k;
      while (x < n && y < m && la[x] == lb[y]) {
        ++x;
        ++y;
      }
      v[k + off] = x;
      if (x >= n && y >= m) {
        found_d = d;
        break;
      }
    }
    trace.push_back(v);
  }
  if (found_d < 0) {  // Too different: one trimmed replacement.
    TrimmedEdit(a, 0, a.size(), b, 0, b.size(), out);
    return out;
  }
  // Traceback: collect (x, y) snake boundaries from the end.
  struct Step {
    long x0, y0, x1, y1;  // An insertion/deletion from (x0,y0) to (x1,y1).
  };
  std::vector<Step> steps;
  long x = n, y = m;
  for (long d = found_d; d > 0; --d) {
    const auto& pv = trace[static_cast<std::size_t>(d - 1)];
    long k = x - y;
    long pk = (k == -d || (k != d && pv[k - 1 + off] < pv[k + 1 + off])) ? k + 1 : k - 1;
    long px = pv[pk + off], py = px - pk;
    // Snake from the step's end back to (x, y) is equal lines; the step itself is one line.
    long sx = pk == k + 1 ? px : px + 1;
    long sy = sx - k;
    steps.push_back(Step{px, py, sx, sy});
    x = px;
    y = py;
  }
  std::reverse(steps.begin(), steps.end());
  // Byte offsets of line starts.
  std::vector<std::size_t> ao(static_cast<std::size_t>(n) + 1, 0), bo(static_cast<std::size_t>(m) + 1, 0);
  for (long i = 0; i < n; ++i) ao[i + 1] = ao[i] + la[i].size();
  for (long j = 0; j < m; ++j) bo[j + 1] = bo[j] + lb[j].size();
  // Merge adjacent steps into hunks, then trim each hunk.
  std::size_t i = 0;
  while (i < steps.size()) {
    long hx0 = steps[i].x0, hy0 = steps[i].y0, hx1 = steps[i].x1, hy1 = steps[i].y1;
    while (i + 1 < steps.size() && steps[i + 1].x0 == hx1 && steps[i + 1].y0 == hy1) {
      ++i;
      hx1 = steps[i].x1;
      hy1 = steps[i].y1;
    }
    TrimmedEdit(a, ao[hx0], ao[hx1], b, bo[hy0], bo[hy1], out);
    ++i;
  }
  return out;
}

std::size_t Utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if (IsContinuation(c)) continue;
    n += c >= 0xF0 ? 2 : 1;
  }
  return n;
}

bool IsBindableText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (c == 0 || len == 0 || i + len > s.size()) return false;
    if (len == 2 && c < 0xC2) return false;  // Overlong.
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if (!IsContinuation(cc)) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace codesphere::filesync::internal
