// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `SafeDir`: file operations on a directory tree that an untrusted party can modify (a
// sandbox's workspace). Every path is resolved relative to a directory descriptor with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): a planted symlink
// anywhere in the path fails the operation instead of redirecting it, and ".." cannot climb
// out. Writes replace files atomically (temp file + rename), so a planted hard link to a
// host file is replaced, never written through; chmod/chown refuse multiply-linked files and
// reads refuse those owned by anyone but the tree's owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox {

enum class FileType : int { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint64_t size = 0;
  uint32_t mode = 0;  // Permission bits only (07777).
  uint64_t nlink = 0;
  int64_t mtime_ns = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct DirEntry {
  std::string name;
  FileType type = FileType::kOther;
};

// A directory opened once by host path; everything below goes through its descriptor.
// Files and directories it creates belong to the owner of the root directory (when the
// process may chown, i.e. runs as root), so a supervisor's writes into a sandbox's
// workspace stay writable by the sandbox user.
// Relative paths are '/'-separated, non-empty, without "." or ".." components and without a
// leading '/'; anything else is kInvalidArgument. A path crossing a symlink (or leaving the
// tree) is kPermissionDenied; a missing component is kNotFound.
//
// Thread-safety: thread-safe (every method is a sequence of *at() syscalls on the fd).
class SafeDir {
 public:
  // Opens `host_path` (which must be a directory; a symlink is refused).
  static Result<SafeDir> Open(const std::string& host_path);
  // Takes ownership of a directory descriptor.
  static Result<SafeDir> FromFd(UniqueFd dir_fd);

  SafeDir(SafeDir&&) noexcept = default;
  SafeDir& operator=(SafeDir&&) noexcept = default;

  int fd() const { return fd_.get(); }

  // Reads a regular file. Returns kResourceExhausted when larger than `max_bytes`, and
  // kPermissionDenied for a multiply-linked file not owned by the owner of the root directory
  // (a planted hard link to someone else's file).
  Result<std::string> ReadFile(std::string_view path, uint64_t max_bytes = 64ull << 20) const;
  // Atomically replaces (or creates) `path` with `data` and permission bits `mode`: writes a
  // temp file in the same directory, optionally fsyncs it, then renames it over `path`.
  Status WriteFile(std::string_view path, std::string_view data, uint32_t mode = 0644,
                   bool fsync = false) const;
  // Creates a directory (and missing parents when `parents`). An existing directory is OK
  // with `parents`, else kAlreadyExists.
  Status MakeDirectory(std::string_view path, uint32_t mode = 0755, bool parents = false) const;
  // Removes a file, symlink or empty directory (the entry itself; links are not followed).
  Status Remove(std::string_view path) const;
  // Removes a tree bottom-up, never following symlinks. A missing `path` is OK.
  Status RemoveAll(std::string_view path) const;
  // Renames within the tree (replacing `to` if it is a file).
  Status Rename(std::string_view from, std::string_view to) const;
  // Sets permission bits. Refuses symlinks and multiply-linked files (kPermissionDenied).
  Status Chmod(std::string_view path, uint32_t mode) const;
  // chowns the whole tree below `path` ("" or "." for the root itself) to uid/gid: symlinks
  // are chowned as links (never followed), multiply-linked files are skipped.
  Status ChownTree(std::string_view path, uid_t uid, gid_t gid) const;
  // Lists a directory (without "." and ".."), sorted by name.
  Result<std::vector<DirEntry>> List(std::string_view path) const;
  // Describes `path` without following a final symlink.
  Result<FileInfo> Stat(std::string_view path) const;
  // Opens a descriptor beneath the root with `flags` (O_NOFOLLOW is always added).
  Result<UniqueFd> OpenAt(std::string_view path, int flags, uint32_t mode = 0) const;

 private:
  explicit SafeDir(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace codesphere::sandbox
