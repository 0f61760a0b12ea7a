// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the sandbox tests: the escape probe's location, privilege probing,
// and host-side checks that nothing (process, cgroup) was left behind.
#pragma once

#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/spec.h"

namespace codesphere::sandbox::testing {

// Host path of the escape probe binary, and where tests bind it inside sandboxes.
std::string EscapeProbeHostPath();
inline constexpr const char* kProbeInside = "/opt/escape-probe";

// A LinuxNamespaceLauncher, or the reason this host cannot run one (for GTEST_SKIP).
Result<std::unique_ptr<Launcher>> NewLinuxLauncherForTest();

// A spec for tests: DefaultSpec(workspace), the probe bound read-only at kProbeInside,
// small limits (128 MiB, 128 pids, 1 CPU) and a 30 s wall-time limit per process.
Spec TestSpec(const std::string& workspace);

// True when a cgroup directory named `id` exists below any hierarchy's sandbox parent.
bool SandboxCgroupExists(const std::string& id);

// True when some host process has `token` as one of its argv strings.
bool HostProcessWithArgument(const std::string& token);

}  // namespace codesphere::sandbox::testing
