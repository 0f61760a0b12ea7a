// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Paths inside a directory tree that someone else can modify (a sandbox's workspace, a
// restore target): every lookup goes through a directory descriptor with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), so a symlink planted
// anywhere in a path fails the operation instead of redirecting it, and ".." cannot climb
// out. Where openat2 is unavailable (kernels before 5.6, or a seccomp profile that hides it)
// the same guarantee comes from a walk one component at a time with O_NOFOLLOW.
//
//   CODESPHERE_ASSIGN_OR_RETURN(UniqueFd fd, OpenBeneath(root.get(), "src/main.cc", O_RDONLY));
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_fd.h"

namespace codesphere {

// Checks a relative path from a manifest, a client or a caller: non-empty, at most 4096
// bytes, not absolute, no NUL, no empty, "." or ".." segment ("a//b", "./a", "a/" fail).
// Returns kInvalidArgument naming the path otherwise.
Status ValidateRelativePath(std::string_view path);

// Splits "a/b/c" into ("a/b", "c"); ("", "c") for a single segment.
std::pair<std::string_view, std::string_view> SplitParent(std::string_view path);

// Opens `path` (validated as above) beneath `dir_fd` without following any symlink and
// without leaving the tree. O_CLOEXEC and O_NOFOLLOW are always added; `mode` applies with
// O_CREAT/O_TMPFILE. Returns kPermissionDenied when the path crosses a symlink or leaves the
// tree, kInvalidArgument for a bad path, and errno-mapped errors otherwise (kNotFound for a
// missing component).
Result<UniqueFd> OpenBeneath(int dir_fd, std::string_view path, int flags, mode_t mode = 0);

// The raw form, for walks over names read from the tree itself: `path` is not validated
// beyond refusing ".." segments ("." is `dir_fd` itself). Returns the fd, or -1 with errno
// (ELOOP for a symlink, EXDEV for an escape).
int OpenBeneathRaw(int dir_fd, const std::string& path, int flags, mode_t mode = 0);

// Maps the errno of operation `op` on `path` (beneath `dir_fd`) to a Status: ELOOP/EXDEV and
// an ENOTDIR caused by a symlinked component become kPermissionDenied ("crosses a symlink or
// leaves the tree"). With `dir_fd` < 0 no component is examined.
Status BeneathError(int err, std::string_view op, std::string_view path, int dir_fd = -1);

// The directory holding `path` (validated), opened beneath `dir_fd`, and the last segment.
struct ParentDir {
  UniqueFd owned;  // invalid when the parent is `dir_fd` itself
  int fd = -1;     // the parent directory: `owned` or `dir_fd`
  std::string name;
};
Result<ParentDir> OpenParentBeneath(int dir_fd, std::string_view path);

// mkdir beneath `dir_fd`: creates `path` (validated) and, with `parents`, missing parents.
// An existing directory is fine with `parents`, else kAlreadyExists. A symlink anywhere is
// kPermissionDenied. `on_created` (may be empty) sees each directory this call made, as an
// open descriptor (e.g. to chown it).
Status MakeDirectoriesBeneath(int dir_fd, std::string_view path, mode_t mode, bool parents,
                              const std::function<void(int fd)>& on_created = {});

// mkdir -p for a host path the caller controls (symlinks in it are followed, as mkdir(1)
// does). Existing directories are fine.
Status MakeDirectories(const std::string& path, mode_t mode = 0755);

// Opens the directory `path` (creating it and missing parents when `create`) as the root of
// later *Beneath calls. The path itself is the caller's choice and may contain symlinks.
// Returns kInvalidArgument when it is not a directory.
Result<UniqueFd> OpenDirectory(const std::string& path, bool create);

// Reads `fd` to its end, appending to `out`. Returns the number of bytes read, or
// kResourceExhausted once more than `max_bytes` would be appended (`out` then holds what
// was read up to the limit).
Result<std::size_t> ReadAll(int fd, std::string& out, std::uint64_t max_bytes = UINT64_MAX);

// For tests: pretend openat2 is missing (true) so that the fallback walk is exercised.
void DisableOpenat2ForTest(bool disabled);

}  // namespace codesphere
