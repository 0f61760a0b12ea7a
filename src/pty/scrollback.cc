// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "pty/scrollback.h"

#include <algorithm>
#include <cstring>

#include "codesphere/base/check.h"

namespace codesphere::pty::internal {

ScrollbackRing::ScrollbackRing(std::size_t capacity) : capacity_(capacity) {
  CODESPHERE_CHECK(capacity > 0);
}

std::span<std::uint8_t> ScrollbackRing::Prepare(std::size_t max) {
  CODESPHERE_CHECK(max > 0);
  const std::size_t pos = static_cast<std::size_t>(end_ % capacity_);
  if (buf_.size() < capacity_) {
    // Still growing: pos == end_. Grow geometrically, never past the capacity.
    const std::size_t need = std::min(capacity_, pos + max);
    if (need > buf_.size()) {
      const std::size_t grown = std::min(capacity_, std::max(need, buf_.size() * 2));
      buf_.reserve(grown);
      buf_.resize(grown);
    }
  }
  const std::size_t n = std::min(max, buf_.size() - pos);
  if (end_ + n > capacity_) begin_ = std::max(begin_, end_ + n - capacity_);
  prepared_ = n;
  return std::span<std::uint8_t>(buf_.data() + pos, n);
}

void ScrollbackRing::Commit(std::size_t n) {
  CODESPHERE_CHECK(n <= prepared_);
  end_ += n;
  prepared_ = 0;
  if (end_ - begin_ > capacity_) begin_ = end_ - capacity_;
}

void ScrollbackRing::Append(ByteSpan data) {
  if (data.size() > capacity_) {
    // Only the tail survives; the skipped bytes still count as stream offsets.
    const std::size_t skip = data.size() - capacity_;
    buf_.resize(capacity_);
    end_ += skip;
    begin_ = end_;
    data = data.subspan(skip);
  }
  while (!data.empty()) {
    auto span = Prepare(data.size());
    std::memcpy(span.data(), data.data(), span.size());
    Commit(span.size());
    data = data.subspan(span.size());
  }
}

std::size_t ScrollbackRing::CopyOut(std::uint64_t from, std::size_t max, Bytes& out) const {
  CODESPHERE_CHECK(from >= begin_ && from <= end_);
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(max, end_ - from));
  std::size_t copied = 0;
  while (copied < n) {
    const std::size_t pos = static_cast<std::size_t>((from + copied) % capacity_);
    const std::size_t run = std::min(n - copied, buf_.size() - pos);
    out.insert(out.end(), buf_.begin() + static_cast<std::ptrdiff_t>(pos),
               buf_.begin() + static_cast<std::ptrdiff_t>(pos + run));
    copied += run;
  }
  return n;
}

std::uint8_t ScrollbackRing::At(std::uint64_t o) const {
  CODESPHERE_CHECK(o >= begin_ && o < end_);
  return buf_[static_cast<std::size_t>(o % capacity_)];
}

}  // namespace codesphere::pty::internal
