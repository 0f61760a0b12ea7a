// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The byte buffer a pack is assembled in: page-aligned (a local store writes it with O_DIRECT
// without copying), never zero-filled, grown by hand, and recycled across packs through a
// pool, so a save does not fault in fresh memory for every 16 MiB it writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/thread_annotations.h"

namespace codesphere::filesync::internal {

// Thread-safety: thread-compatible.
class PackBuffer {
 public:
  static constexpr std::size_t kAlignment = 4096;

  explicit PackBuffer(std::size_t capacity);
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  ByteSpan span() const { return ByteSpan(data_.get(), size_); }

  // Returns room for at least `n` more bytes at the end (growing the buffer if needed); make
  // them part of the buffer with Commit.
  std::uint8_t* Reserve(std::size_t n);
  void Commit(std::size_t n) { size_ += n; }
  void Append(ByteSpan bytes);
  void Clear() { size_ = 0; }

 private:
  struct Free {
    void operator()(std::uint8_t* p) const;
  };
  std::unique_ptr<std::uint8_t, Free> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Recycles PackBuffers of one capacity.
//
// Thread-safety: thread-safe.
class PackBufferPool {
 public:
  explicit PackBufferPool(std::size_t capacity) : capacity_(capacity) {}

  // A cleared buffer: a recycled one or a new one.
  std::unique_ptr<PackBuffer> Acquire();
  void Release(std::unique_ptr<PackBuffer> buffer);

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::vector<std::unique_ptr<PackBuffer>> free_ CODESPHERE_GUARDED_BY(mu_);
};

}  // namespace codesphere::filesync::internal
