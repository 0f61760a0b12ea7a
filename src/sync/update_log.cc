// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/update_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "codesphere/base/crc32c.h"
#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::sync {
namespace {

constexpr char kMagic[8] = {'C', 'S', 'L', 'O', 'G', '\x01', '\n', '\0'};
constexpr std::size_t kHeader = 8;

void PutFixed32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t GetFixed32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

Result<Bytes> ReadWholeFile(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, "stat " + path);
  Bytes data(static_cast<std::size_t>(st.st_size));
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t r = ::pread(fd, data.data() + off, data.size() - off, static_cast<off_t>(off));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read " + path);
    }
    if (r == 0) break;
    off += static_cast<std::size_t>(r);
  }
  data.resize(off);
  return data;
}

}  // namespace

Result<std::unique_ptr<UpdateLog>> UpdateLog::Open(
    const std::filesystem::path& path, UpdateLogOptions options,
    const std::function<Status(ByteSpan record)>& on_record, UpdateLogRecovery* recovery) {
  const std::string name = path.string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "open log " + name);
  auto fail = [fd](Status s) {
    ::close(fd);
    return s;
  };
  auto data = ReadWholeFile(fd, name);
  if (!data) return fail(std::move(data).error());
  UpdateLogRecovery rec;
  std::uint64_t good = 0;
  if (data->empty()) {
    Status s = WriteAll(fd, AsBytes(std::string_view(kMagic, kHeader)), "write " + name);
    if (!s.ok()) return fail(s);
    if (options.sync && ::fdatasync(fd) != 0) return fail(ErrnoToStatus(errno, "fsync " + name));
    if (options.sync) {
      Status ds = SyncDirectory(path.parent_path().empty() ? "." : path.parent_path());
      if (!ds.ok()) return fail(ds);
    }
    good = kHeader;
  } else {
    if (data->size() < kHeader || std::memcmp(data->data(), kMagic, kHeader) != 0) {
      // A file shorter than the magic that is a prefix of it is a torn creation: restart it.
      if (data->size() < kHeader && std::memcmp(data->data(), kMagic, data->size()) == 0) {
        if (::ftruncate(fd, 0) != 0) return fail(ErrnoToStatus(errno, "truncate " + name));
        ::close(fd);
        return Open(path, options, on_record, recovery);
      }
      return fail(DataLossError("open log " + name + ": not an update log (bad magic)"));
    }
    std::size_t pos = kHeader;
    while (pos + 8 <= data->size()) {
      std::uint32_t len = GetFixed32(data->data() + pos);
      std::uint32_t crc = GetFixed32(data->data() + pos + 4);
      if (len > options.max_record_bytes || pos + 8 + len > data->size()) break;
      ByteSpan payload(data->data() + pos + 8, len);
      if (Crc32c(payload) != crc) break;
      Status s = on_record(payload);
      if (!s.ok()) return fail(s.WithContext("replay " + name));
      ++rec.records;
      pos += 8 + len;
    }
    good = pos;
    if (good < data->size()) {
      rec.truncated_bytes = data->size() - good;
      LogWarning("update log: cut torn or corrupt tail",
                 {{"path", name}, {"good_bytes", good}, {"cut_bytes", rec.truncated_bytes},
                  {"records", rec.records}});
      if (::ftruncate(fd, static_cast<off_t>(good)) != 0) {
        return fail(ErrnoToStatus(errno, "truncate " + name));
      }
      if (::fdatasync(fd) != 0) return fail(ErrnoToStatus(errno, "fsync " + name));
    }
  }
  if (::lseek(fd, static_cast<off_t>(good), SEEK_SET) < 0) {
    return fail(ErrnoToStatus(errno, "seek " + name));
  }
  if (recovery) *recovery = rec;
  return std::unique_ptr<UpdateLog>(new UpdateLog(name, fd, options, good, rec.records));
}

UpdateLog::UpdateLog(std::string path, int fd, UpdateLogOptions options,
                     std::uint64_t size, std::uint64_t records)
    : path_(std::move(path)), fd_(fd), options_(options), size_(size), records_(records) {}

UpdateLog::~UpdateLog() { ::close(fd_); }

Status UpdateLog::Append(ByteSpan record) { return AppendBatch(std::span<const ByteSpan>(&record, 1)); }

Status UpdateLog::AppendBatch(std::span<const ByteSpan> records) {
  if (broken_) return FailedPreconditionError("update log " + path_ + " failed earlier");
  std::size_t total = 0;
  for (ByteSpan r : records) {
    if (r.size() > options_.max_record_bytes) {
      return InvalidArgumentError("update log: record of " + std::to_string(r.size()) +
                                  " bytes exceeds the limit");
    }
    total += 8 + r.size();
  }
  Bytes buf(total);
  std::size_t off = 0;
  for (ByteSpan r : records) {
    PutFixed32(buf.data() + off, static_cast<std::uint32_t>(r.size()));
    PutFixed32(buf.data() + off + 4, Crc32c(r));
    if (!r.empty()) std::memcpy(buf.data() + off + 8, r.data(), r.size());
    off += 8 + r.size();
  }
  Status s = WriteAll(fd_, buf, "append " + path_);
  if (s.ok() && options_.sync && ::fdatasync(fd_) != 0) {
    s = ErrnoToStatus(errno, "fsync " + path_);
  }
  if (!s.ok()) {
    broken_ = true;
    // Cut whatever part of the batch reached the file so a reopen sees a clean tail.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
    return s;
  }
  size_ += total;
  records_ += records.size();
  return OkStatus();
}

}  // namespace codesphere::sync
