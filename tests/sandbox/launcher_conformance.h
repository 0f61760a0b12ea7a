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

class LauncherConformanceTest : public ::testing::TestWithParam<LauncherParam>,
                                protected SandboxHarness {
 protected:
  void SetUp() override {
    auto launcher = GetParam().make();
    if (!launcher.ok()) GTEST_SKIP() << "launcher unavailable: " << launcher.error();
    launcher_ = std::move(*launcher);
    spec_ = TestSpec(workspace_.path().string());
  }
  void TearDown() override { StopAndCheck(); }

  std::string Probe() const {
    return GetParam().isolated ? kProbeInside : EscapeProbeHostPath();
  }

  RunOutput Run(std::vector<std::string> argv) {
    ProcessOptions options;
    options.argv = std::move(argv);
    return RunInSandbox(std::move(options), spec_.limits.output_bytes);
  }
};

}  // namespace codesphere::sandbox::testing
