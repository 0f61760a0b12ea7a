// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/direct_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "codesphere/base/status_macros.h"
#include "filesync/pack_buffer.h"

namespace codesphere::filesync::internal {
namespace {

// pwrite(2)s all of `data`; on EINVAL (O_DIRECT refused) switches `fd` to buffered I/O once and
// retries.
Status PwriteFull(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset,
                  std::string_view what) {
  bool retried = false;
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      int flags = errno == EINVAL && !retried ? ::fcntl(fd, F_GETFL) : -1;
      if (flags >= 0 && (flags & O_DIRECT) && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0) {
        retried = true;
        continue;
      }
      return ErrnoToStatus(errno, "write " + std::string(what));
    }
    if (n == 0) return InternalError("write " + std::string(what) + ": no progress");
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Status DirectFileWriter::Write(int fd, std::uint64_t offset, ByteSpan data, std::string_view what) {
  const std::uint64_t end = offset + data.size();
  if (end > size_)
    return InternalError("write " + std::string(what) + ": past the end of the file");
  std::uint64_t pos = offset;
  while (pos < end) {
    std::uint64_t block_start = pos / kBlock * kBlock;
    const std::uint8_t* src = data.data() + (pos - offset);
    if (pos == block_start && end - pos >= kBlock) {
      // A run of whole blocks: copied to aligned memory (chunks sit anywhere) and written.
      std::uint64_t run_end = end / kBlock * kBlock;
      std::size_t n = static_cast<std::size_t>(run_end - pos);
      thread_local std::unique_ptr<PackBuffer> aligned;
      if (!aligned) aligned = std::make_unique<PackBuffer>(n);
      aligned->Clear();
      std::memcpy(aligned->Reserve(n), src, n);
      CODESPHERE_RETURN_IF_ERROR(PwriteFull(fd, aligned->span().data(), n, pos, what));
      pos = run_end;
    } else {
      std::uint64_t piece_end = std::min(end, block_start + kBlock);
      CODESPHERE_RETURN_IF_ERROR(
          AddToBlock(fd, pos, src, static_cast<std::size_t>(piece_end - pos), what));
      pos = piece_end;
    }
  }
  return OkStatus();
}

Status DirectFileWriter::AddToBlock(int fd, std::uint64_t offset, const std::uint8_t* data,
                                    std::size_t n, std::string_view what) {
  const std::uint64_t block_start = offset / kBlock * kBlock;
  // The file's last block is complete at the end of the file; zeros pad it to a whole block.
  const std::size_t needed =
      static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, size_ - block_start));
  std::unique_ptr<Block> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Block>& b = partial_[block_start];
    if (!b) b = std::make_unique<Block>();
    std::memcpy(b->bytes + (offset - block_start), data, n);
    b->covered += n;
    if (b->covered < needed) return OkStatus();
    done = std::move(b);
    partial_.erase(block_start);
  }
  return PwriteFull(fd, done->bytes, kBlock, block_start, what);
}

Status DirectFileWriter::Finish(int fd, std::string_view what) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!partial_.empty())
      return InternalError("restore " + std::string(what) + ": blocks left incomplete");
  }
  if (size_ % kBlock != 0 && ::ftruncate(fd, static_cast<off_t>(size_)) != 0) {
    return ErrnoToStatus(errno, "truncate " + std::string(what));
  }
  return OkStatus();
}

}  // namespace codesphere::filesync::internal
