// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/process_launcher.h"

#include "tests/sandbox/launcher_conformance.h"

namespace codesphere::sandbox::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    ProcessLauncherWithoutIsolation, LauncherConformanceTest,
    ::testing::Values(LauncherParam{
        "ProcessLauncherWithoutIsolation",
        []() -> Result<std::unique_ptr<Launcher>> { return NewProcessLauncherWithoutIsolation(); },
        false}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace codesphere::sandbox::testing
