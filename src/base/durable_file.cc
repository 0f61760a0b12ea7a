// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/durable_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "codesphere/base/status_macros.h"
#include "codesphere/base/unique_fd.h"

namespace codesphere {
namespace {

// close(2) reports the last write error on some file systems: check it for the file we wrote.
int CloseChecked(UniqueFd& fd) { return ::close(fd.release()); }

Status ValidateName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("atomic write: '" + std::string(name) +
                                "' is not a single file name");
  }
  return OkStatus();
}

// A temporary name next to the target, unpredictable so that nobody can plant it first
// (O_EXCL would refuse it anyway) and hidden so that directory listings skip it.
Result<std::string> TempName(std::string_view name) {
  std::uint64_t random = 0;
  if (::getrandom(&random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
    return ErrnoToStatus(errno, "getrandom");
  }
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".tmp-%016llx", static_cast<unsigned long long>(random));
  return "." + std::string(name.substr(0, 200)) + suffix;
}

}  // namespace

bool IsAtomicWriteTemporary(std::string_view name) {
  constexpr std::string_view kMarker = ".tmp-";
  constexpr std::size_t kHexDigits = 16;
  if (name.size() < 1 + 1 + kMarker.size() + kHexDigits || name.front() != '.') return false;
  const std::string_view digits = name.substr(name.size() - kHexDigits);
  const std::string_view marker = name.substr(name.size() - kHexDigits - kMarker.size(), kMarker.size());
  return marker == kMarker && std::all_of(digits.begin(), digits.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status WriteAll(int fd, ByteSpan data, std::string_view what) {
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "write " + std::string(what));
    if (n == 0) return InternalError("write " + std::string(what) + ": wrote nothing");
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Status SyncDirectory(int dir_fd, std::string_view what) {
  if (::fsync(dir_fd) != 0) return ErrnoToStatus(errno, "fsync directory " + std::string(what));
  return OkStatus();
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  UniqueFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoToStatus(errno, "open directory " + d.string());
  return SyncDirectory(fd.get(), d.string());
}

Status WriteFileAtomically(int dir_fd, std::string_view name, std::initializer_list<ByteSpan> parts,
                           const AtomicWriteOptions& options) {
  CODESPHERE_RETURN_IF_ERROR(ValidateName(name));
  Result<std::string> tmp = TempName(name);
  if (!tmp.has_value()) return tmp.error();
  const std::string target(name);
  UniqueFd fd(::openat(dir_fd, tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600));
  if (fd.get() < 0) return ErrnoToStatus(errno, "create temporary file for " + target);
  Status status;
  for (ByteSpan part : parts) {
    status = WriteAll(fd.get(), part, target);
    if (!status.ok()) break;
  }
  if (status.ok() && ::fchmod(fd.get(), options.mode & 07777) != 0) {
    status = ErrnoToStatus(errno, "chmod " + target);
  }
  if (status.ok() && options.before_rename) status = options.before_rename(fd.get());
  if (status.ok() && options.sync && ::fsync(fd.get()) != 0) {
    status = ErrnoToStatus(errno, "fsync " + target);
  }
  if (CloseChecked(fd) != 0 && status.ok()) status = ErrnoToStatus(errno, "close " + target);
  if (status.ok() && ::renameat(dir_fd, tmp->c_str(), dir_fd, target.c_str()) != 0) {
    status = ErrnoToStatus(errno, "rename over " + target);
  }
  if (!status.ok()) {
    ::unlinkat(dir_fd, tmp->c_str(), 0);
    return status;
  }
  return options.sync ? SyncDirectory(dir_fd, target) : OkStatus();
}

Status WriteFileAtomically(int dir_fd, std::string_view name, ByteSpan data,
                           const AtomicWriteOptions& options) {
  return WriteFileAtomically(dir_fd, name, {data}, options);
}

Status WriteFileAtomically(const std::filesystem::path& path, std::initializer_list<ByteSpan> parts,
                           const AtomicWriteOptions& options) {
  const std::filesystem::path parent =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return ErrnoToStatus(errno, "open directory " + parent.string());
  return WriteFileAtomically(dir.get(), path.filename().string(), parts, options);
}

Status WriteFileAtomically(const std::filesystem::path& path, ByteSpan data,
                           const AtomicWriteOptions& options) {
  return WriteFileAtomically(path, {data}, options);
}

}  // namespace codesphere
