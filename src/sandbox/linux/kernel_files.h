// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Reading and writing the small control files of procfs and cgroupfs (one write() each, as
// the kernel expects).
#pragma once

#include <sys/types.h>

#include <string>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::sandbox::internal {

// Writes `value` to `path` with a single write(2).
Status WriteKernelFile(const std::string& path, const std::string& value);
// Writes /proc/<pid>/<name>.
Status WriteProcFile(pid_t pid, const std::string& name, const std::string& value);
// Reads the whole file.
Result<std::string> ReadKernelFile(const std::string& path);

}  // namespace codesphere::sandbox::internal
