// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/chunker.h"

#include <array>
#include <bit>

namespace codesphere::filesync::internal {
namespace {

std::array<std::uint64_t, 256> MakeGear() {
  std::array<std::uint64_t, 256> t{};
  std::uint64_t x = 0x636f646573706865ull;  // "codesphe"
  for (auto& v : t) {
    x += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    v = z ^ (z >> 31);
  }
  return t;
}

// The top `bits` bits set: they depend on the last 64 bytes hashed (the gear hash shifts left).
std::uint64_t TopBits(int bits) { return bits <= 0 ? 0 : ~0ull << (64 - bits); }

}  // namespace

const std::uint64_t* GearTable() {
  static const std::array<std::uint64_t, 256> table = MakeGear();
  return table.data();
}

Status ValidateChunkerParams(const ChunkerParams& p) {
  if (p.min_size < 64 || !(p.min_size < p.avg_size && p.avg_size < p.max_size)) {
    return InvalidArgumentError("chunker sizes must satisfy 64 <= min < avg < max");
  }
  if (!std::has_single_bit(p.avg_size)) return InvalidArgumentError("chunker avg_size must be a power of two");
  if (p.max_size > (64u << 20)) return InvalidArgumentError("chunker max_size above 64 MiB");
  return OkStatus();
}

Chunker::Chunker(const ChunkerParams& params) : params_(params) {
  int bits = std::countr_zero(params.avg_size);
  mask_small_ = TopBits(bits + 2);
  mask_large_ = TopBits(bits - 2);
}

std::size_t Chunker::NextCut(std::span<const std::uint8_t> data, bool at_eof) const {
  const std::size_t n = data.size();
  if (n <= params_.min_size) return at_eof ? n : 0;
  const std::uint64_t* gear = GearTable();
  const std::size_t normal = std::min<std::size_t>(params_.avg_size, n);
  const std::size_t limit = std::min<std::size_t>(params_.max_size, n);
  std::uint64_t h = 0;
  std::size_t i = params_.min_size;  // Cut-point skipping.
  for (; i < normal; ++i) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask_small_) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask_large_) == 0) return i + 1;
  }
  if (limit == params_.max_size) return limit;
  return at_eof ? n : 0;
}

}  // namespace codesphere::filesync::internal
