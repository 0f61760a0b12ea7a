// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Restoring a file with O_DIRECT although its chunks end at arbitrary offsets and arrive in any
// order, from any thread: whole 4 KiB blocks inside a chunk are written at once; the partial
// blocks at a chunk's two ends are collected until every byte of the block has arrived, then
// written; Finish cuts the zero padding of the file's last block off again. Memory stays
// bounded by two blocks per chunk in flight, whatever the file's size.
//
// Why: in this VM, buffered writes of freshly allocated page-cache pages were the largest CPU
// cost of a restore (more than decompressing and verifying every chunk).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "codesphere/base/bytes.h"
#include "codesphere/base/status.h"
#include "codesphere/base/thread_annotations.h"

namespace codesphere::filesync::internal {

// Thread-safety: thread-safe (Write may run concurrently for disjoint ranges).
class DirectFileWriter {
 public:
  static constexpr std::size_t kBlock = 4096;

  explicit DirectFileWriter(std::uint64_t file_size) : size_(file_size) {}
  DirectFileWriter(const DirectFileWriter&) = delete;
  DirectFileWriter& operator=(const DirectFileWriter&) = delete;

  // Writes `data` at `offset` through `fd` (opened on this file, with or without O_DIRECT). Each
  // byte of the file must be written exactly once. If the filesystem refuses an O_DIRECT write
  // (EINVAL), `fd` is switched to buffered I/O and the write is repeated.
  Status Write(int fd, std::uint64_t offset, ByteSpan data, std::string_view what);

  // After every byte was written: trims the padding of the last block (ftruncate).
  Status Finish(int fd, std::string_view what);

 private:
  struct alignas(kBlock) Block {
    std::uint8_t bytes[kBlock] = {};
    std::size_t covered = 0;
  };

  // Adds [offset, offset + n) (inside one block) to that block; writes it when complete.
  Status AddToBlock(int fd, std::uint64_t offset, const std::uint8_t* data, std::size_t n,
                    std::string_view what);

  const std::uint64_t size_;
  std::mutex mu_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Block>> partial_ CODESPHERE_GUARDED_BY(mu_);
};

}  // namespace codesphere::filesync::internal
