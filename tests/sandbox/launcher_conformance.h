// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The conformance suite every `Launcher` passes (STYLE.md §11); the tests live in
// launcher_conformance.cc. Instantiate it with
// INSTANTIATE_TEST_SUITE_P(Name, LauncherConformanceTest, ::testing::Values(LauncherParam{…})).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <functional>
#include <memory>
#include <string>

#include "codesphere/sandbox/launcher.h"
#include "tests/sandbox/sandbox_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox::testing {

using ::codesphere::testing::StatusIs;

struct LauncherParam {
  std::string name;
  std::function<Result<std::unique_ptr<Launcher>>()> make;
  bool isolated = false;
};
inline void PrintTo(const LauncherParam& param, std::ostream* os) { *os << param.name; }

class LauncherConformanceTest : public ::testing::TestWithParam<LauncherParam> {
 protected:
  void SetUp() override {
    auto launcher = GetParam().make();
    if (!launcher.ok()) GTEST_SKIP() << "launcher unavailable: " << launcher.error();
    launcher_ = std::move(*launcher);
    spec_ = TestSpec(workspace_.path().string());
  }

  void TearDown() override {
    if (sandbox_) {
      std::string id = sandbox_->id();
      EXPECT_OK(sandbox_->Stop());
      EXPECT_FALSE(SandboxCgroupExists(id)) << "cgroup of " << id << " left behind";
    }
  }

  Sandbox& Start() {
    auto sandbox = launcher_->Start(spec_);
    EXPECT_OK(sandbox);
    CODESPHERE_CHECK(sandbox.ok());
    sandbox_ = std::move(*sandbox);
    return *sandbox_;
  }

  std::string Probe() const {
    return GetParam().isolated ? kProbeInside : EscapeProbeHostPath();
  }

  RunOutput Run(std::vector<std::string> argv) {
    ProcessOptions options;
    options.argv = std::move(argv);
    auto out = RunAndCollect(*sandbox_, options, spec_.limits.output_bytes);
    EXPECT_OK(out);
    return out.ok() ? *out : RunOutput{};
  }

  codesphere::testing::TempDir workspace_;
  Spec spec_;
  std::unique_ptr<Launcher> launcher_;
  std::unique_ptr<Sandbox> sandbox_;
};

}  // namespace codesphere::sandbox::testing
