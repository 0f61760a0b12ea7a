// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Minimal openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) helpers for reading and writing a
// workspace without ever leaving it or following a symlink. Private to filesync: the sandbox
// module has the full safe-file API, but filesync may not depend on sandbox (STYLE.md §2).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::filesync::internal {

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// Checks a relative path from a manifest or a caller: non-empty, not absolute, no empty, `.`
// or `..` segments, no NUL. kInvalidArgument otherwise.
Status ValidateRelativePath(std::string_view path);

// Opens `path` (relative, validated) beneath `dirfd` with openat2: no `..` escape, no symlink
// anywhere in the path (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
// A symlinked parent or final component fails with kPermissionDenied ("symlink in path").
Result<UniqueFd> OpenBeneath(int dirfd, std::string_view path, int flags, mode_t mode = 0);

// Opens (creating it and missing parents when `create`) the directory `dir` as the root of
// later OpenBeneath calls. `dir` itself may be any path the caller chose.
Result<UniqueFd> OpenRootDir(const std::string& dir, bool create);

// Splits "a/b/c" into ("a/b", "c"); ("", "c") for a single segment.
std::pair<std::string_view, std::string_view> SplitParent(std::string_view path);

// Reads all of `fd` into `out` (appending); returns the number of bytes read.
Result<std::size_t> ReadAll(int fd, std::string& out);

// Writes all of `data` at `offset`.
Status PwriteAll(int fd, const void* data, std::size_t size, off_t offset, std::string_view what);

}  // namespace codesphere::filesync::internal
