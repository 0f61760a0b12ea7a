// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A scratch directory removed (recursively) when the object is destroyed.
#pragma once

#include <filesystem>
#include <string>

namespace codesphere::testing {

// Thread-safety: thread-compatible (external synchronization).
class TempDir {
 public:
  // Creates a fresh directory under $TMPDIR (or /tmp) named `<prefix>XXXXXX`. CHECKs on failure.
  explicit TempDir(const std::string& prefix = "codesphere-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The source tree root (CODESPHERE_SOURCE_DIR, set by ctest), for test data files.
std::filesystem::path SourceDir();

}  // namespace codesphere::testing
