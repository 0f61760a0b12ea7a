// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `ScrollbackRing`: a session's recent output, addressed by absolute stream offsets, so each
// viewer is just a cursor into it. Memory grows with use up to the capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codesphere/base/bytes.h"

namespace codesphere::pty::internal {

// Holds the output bytes [begin(), end()) of a stream, at most `capacity` of them.
//
//   offset o lives at buf_[o % capacity]; while the buffer is still growing
//   (buf_.size() < capacity) no offset has wrapped, so o % capacity == o.
//
// Thread-safety: thread-compatible (external synchronization).
class ScrollbackRing {
 public:
  // REQUIRES: capacity > 0.
  explicit ScrollbackRing(std::size_t capacity);

  std::uint64_t begin() const { return begin_; }
  std::uint64_t end() const { return end_; }
  std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
  std::size_t capacity() const { return capacity_; }
  // Bytes of memory the ring holds now.
  std::size_t allocated() const { return buf_.capacity(); }

  // Returns a contiguous span of at most `max` bytes where the next output goes (at end()).
  // Old bytes the span covers are dropped at once (begin() advances), so nobody reads them
  // while they are being overwritten. Follow with `Commit`. REQUIRES: max > 0.
  std::span<std::uint8_t> Prepare(std::size_t max);
  // Makes `n` bytes of the prepared span part of the stream. REQUIRES: n <= prepared size.
  void Commit(std::size_t n);
  // Prepare + copy + Commit, for any length (only the last `capacity` bytes stay).
  void Append(ByteSpan data);

  // Appends to `out` up to `max` bytes starting at offset `from`; returns how many.
  // REQUIRES: begin() <= from <= end().
  std::size_t CopyOut(std::uint64_t from, std::size_t max, Bytes& out) const;
  // The byte at offset `o`. REQUIRES: begin() <= o < end().
  std::uint8_t At(std::uint64_t o) const;

 private:
  std::size_t capacity_;
  Bytes buf_;
  std::uint64_t begin_ = 0;
  std::uint64_t end_ = 0;
  std::size_t prepared_ = 0;
};

}  // namespace codesphere::pty::internal
