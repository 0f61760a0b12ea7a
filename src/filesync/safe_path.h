// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// filesync's names for the safe-path helpers of base (codesphere/base/safe_path.h): reading
// and writing a workspace through a directory fd with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), never leaving it or following a symlink. The sandbox's `SafeDir`
// builds on the same helpers; filesync may not depend on sandbox (STYLE.md §2).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "codesphere/base/result.h"
#include "codesphere/base/safe_path.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_fd.h"

namespace codesphere::filesync::internal {

using ::codesphere::OpenBeneath;
using ::codesphere::ReadAll;
using ::codesphere::SplitParent;
using ::codesphere::UniqueFd;
using ::codesphere::ValidateRelativePath;

// Opens (creating it and missing parents when `create`) the directory `dir` as the root of
// later OpenBeneath calls. `dir` itself may be any path the caller chose.
inline Result<UniqueFd> OpenRootDir(const std::string& dir, bool create) {
  return OpenDirectory(dir, create);
}

// Writes all of `data` at `offset`.
Status PwriteAll(int fd, const void* data, std::size_t size, off_t offset, std::string_view what);

}  // namespace codesphere::filesync::internal
