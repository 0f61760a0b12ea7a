// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "tests/testing/temp_dir.h"

#include <cstdlib>
#include <system_error>
#include <vector>

#include "codesphere/base/check.h"

namespace codesphere::testing {

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  CODESPHERE_CHECK_MSG(mkdtemp(buf.data()) != nullptr, "mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path SourceDir() {
  const char* dir = std::getenv("CODESPHERE_SOURCE_DIR");
  if (dir && *dir) return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

}  // namespace codesphere::testing
