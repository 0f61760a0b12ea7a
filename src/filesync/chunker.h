// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// FastCDC content-defined chunking (Xia et al., "FastCDC: a Fast and Efficient Content-Defined
// Chunking Approach for Data Deduplication", USENIX ATC 2016): a gear rolling hash, cut-point
// skipping below `min_size`, and normalized chunking (level 2): a stricter mask (2 more bits)
// before `avg_size` and a looser one (2 fewer bits) after it, which narrows the size spread.
// A cut happens where the hash's top bits under the mask are all zero; boundaries depend only
// on the bytes near them, so an insertion moves at most the chunks around it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codesphere/filesync/repository.h"

namespace codesphere::filesync::internal {

// Thread-safety: thread-safe (immutable after construction).
class Chunker {
 public:
  // REQUIRES: params validated by ValidateChunkerParams.
  explicit Chunker(const ChunkerParams& params);

  // Length of the next chunk at the start of `data`. When `data` is shorter than `max_size`
  // and `at_eof` is false, returns 0 if no cut point was found (more data needed); at EOF the
  // rest is one chunk.
  std::size_t NextCut(std::span<const std::uint8_t> data, bool at_eof) const;

  const ChunkerParams& params() const { return params_; }

 private:
  ChunkerParams params_;
  std::uint64_t mask_small_;  // Stricter: used before avg_size.
  std::uint64_t mask_large_;  // Looser: used after avg_size.
};

Status ValidateChunkerParams(const ChunkerParams& params);

// The 256-entry gear table (splitmix64 of a fixed seed; part of the format).
const std::uint64_t* GearTable();

}  // namespace codesphere::filesync::internal
