// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Durable file writes: the one place that knows the POSIX dance of "write a temporary file,
// fsync it, rename it over the target, fsync the directory", so a crash leaves either the old
// or the new content, never a torn file, and a reported success survives a power cut.
//
//   AtomicWriteOptions options;
//   options.mode = 0600;
//   CODESPHERE_RETURN_IF_ERROR(WriteFileAtomically("/data/keys", bytes, options));
//
// The directory-fd forms never follow a symlink at `name` (the temporary is created with
// O_EXCL|O_NOFOLLOW and the rename replaces the directory entry itself), so they are safe in
// a directory another party can write to, as long as `dir_fd` itself was opened safely.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere {

// Writes all of `data` to `fd` at its current offset, retrying short writes and EINTR.
// `what` names the file in the error message.
Status WriteAll(int fd, ByteSpan data, std::string_view what);

// fsync(2)s a directory so that entries created, renamed or removed in it are durable.
Status SyncDirectory(int dir_fd, std::string_view what);
Status SyncDirectory(const std::filesystem::path& dir);

struct AtomicWriteOptions {
  // Permission bits of the new file (applied with fchmod, so the umask does not matter).
  mode_t mode = 0644;
  // fsync the file before the rename and the directory after it. Off only for data that can
  // be rebuilt (caches, tests): the rename is still atomic, but may be lost on a power cut.
  bool sync = true;
  // Called with the temporary file's fd after the data is written, before it is renamed into
  // place (e.g. fchown to the tree's owner). An error aborts the write and removes the
  // temporary.
  std::function<Status(int fd)> before_rename;
};

// Atomically replaces `name` (one path component, no '/') in the directory `dir_fd` with a
// file holding the concatenation of `parts`. On error the target is unchanged and no
// temporary file is left behind.
Status WriteFileAtomically(int dir_fd, std::string_view name, std::initializer_list<ByteSpan> parts,
                           const AtomicWriteOptions& options = {});
Status WriteFileAtomically(int dir_fd, std::string_view name, ByteSpan data,
                           const AtomicWriteOptions& options = {});

// True for the names WriteFileAtomically gives its temporaries (".<name>.tmp-" and 16 hex
// digits): for directory watchers that skip them and for cleanups after a crash.
bool IsAtomicWriteTemporary(std::string_view name);

// The same for a path: opens its parent directory (following symlinks in the parent, as
// open(2) does) and writes the last component atomically.
Status WriteFileAtomically(const std::filesystem::path& path, std::initializer_list<ByteSpan> parts,
                           const AtomicWriteOptions& options = {});
Status WriteFileAtomically(const std::filesystem::path& path, ByteSpan data,
                           const AtomicWriteOptions& options = {});

}  // namespace codesphere
