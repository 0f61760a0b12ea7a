// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `UpdateLog`: an append-only, checksummed, fsync'd file of records (one room's document
// updates). The unit of durability of the collaboration server: an update is acknowledged
// (broadcast) only after `Append` returned OK.
//
// File layout:
//   "CSLOG\x01\n\0"                     8-byte magic
//   record*                             record := fixed32le(len) fixed32le(crc32c(payload)) payload
// A torn or corrupt tail (short header, short payload, bad checksum, oversized length) is cut
// at the last good record when the log is opened, with a warning log line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "codesphere/base/bytes.h"
#include "codesphere/base/durable_file.h"
#include "codesphere/base/result.h"

namespace codesphere::sync {

struct UpdateLogOptions {
  // fdatasync after every Append/AppendBatch. Turn off only in tests/benchmarks. Default: true.
  bool sync = true;
  // Records larger than this are refused on append and treated as corruption on read.
  // Default: 64 MiB.
  std::uint32_t max_record_bytes = 64u << 20;
};

// What opening a log found.
struct UpdateLogRecovery {
  std::uint64_t records = 0;
  // Bytes cut from a torn/corrupt tail (0 when the log was clean).
  std::uint64_t truncated_bytes = 0;
};

// Thread-safety: thread-compatible (external synchronization).
class UpdateLog {
 public:
  // Opens (creating if missing) the log at `path`, calling `on_record` for every good record in
  // order, and cuts a bad tail. Returns kDataLoss if the file exists but is not a log (bad
  // magic), or an errno-mapped status.
  static Result<std::unique_ptr<UpdateLog>> Open(
      const std::filesystem::path& path, UpdateLogOptions options,
      const std::function<Status(ByteSpan record)>& on_record, UpdateLogRecovery* recovery);

  ~UpdateLog();
  UpdateLog(const UpdateLog&) = delete;
  UpdateLog& operator=(const UpdateLog&) = delete;

  // Appends one record and makes it durable. On failure the log is unusable
  // (kFailedPrecondition afterwards) and the caller must reopen it.
  Status Append(ByteSpan record);
  // Appends several records with one write and one fdatasync (group commit).
  Status AppendBatch(std::span<const ByteSpan> records);

  std::filesystem::path path() const { return path_; }
  // File size including the magic.
  std::uint64_t size_bytes() const { return size_; }
  std::uint64_t record_count() const { return records_; }

 private:
  UpdateLog(std::string path, int fd, UpdateLogOptions options, std::uint64_t size,
            std::uint64_t records);
  // A plain string: std::filesystem::path also keeps a parsed list of its components, several
  // hundred bytes per open room.
  std::string path_;
  int fd_;
  UpdateLogOptions options_;
  std::uint64_t size_;
  std::uint64_t records_;
  bool broken_ = false;
};

// Syncs the directory `dir` (after creating, renaming or removing files in it); base's helper,
// kept visible here for existing callers of `sync::SyncDirectory`.
using ::codesphere::SyncDirectory;

}  // namespace codesphere::sync
