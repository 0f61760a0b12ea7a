// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/pack_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "codesphere/base/check.h"

namespace codesphere::filesync::internal {
namespace {

std::uint8_t* AllocateAligned(std::size_t size) {
  void* p = nullptr;
  // Rounded up to whole pages: aligned_alloc wants a multiple of the alignment.
  size = (std::max<std::size_t>(size, 1) + PackBuffer::kAlignment - 1) / PackBuffer::kAlignment *
         PackBuffer::kAlignment;
  CODESPHERE_CHECK_MSG(::posix_memalign(&p, PackBuffer::kAlignment, size) == 0, "out of memory");
  return static_cast<std::uint8_t*>(p);
}

}  // namespace

void PackBuffer::Free::operator()(std::uint8_t* p) const { std::free(p); }

PackBuffer::PackBuffer(std::size_t capacity)
    : data_(AllocateAligned(capacity)), capacity_(capacity) {}

std::uint8_t* PackBuffer::Reserve(std::size_t n) {
  if (capacity_ - size_ < n) {
    std::size_t capacity = std::max(capacity_ * 2, size_ + n);
    std::unique_ptr<std::uint8_t, Free> bigger(AllocateAligned(capacity));
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }
  return data_.get() + size_;
}

void PackBuffer::Append(ByteSpan bytes) {
  if (bytes.empty()) return;
  std::memcpy(Reserve(bytes.size()), bytes.data(), bytes.size());
  Commit(bytes.size());
}

std::unique_ptr<PackBuffer> PackBufferPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      std::unique_ptr<PackBuffer> b = std::move(free_.back());
      free_.pop_back();
      b->Clear();
      return b;
    }
  }
  return std::make_unique<PackBuffer>(capacity_);
}

void PackBufferPool::Release(std::unique_ptr<PackBuffer> buffer) {
  if (!buffer) return;
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(std::move(buffer));
}

}  // namespace codesphere::filesync::internal
