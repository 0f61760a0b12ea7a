// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the sandbox tests: the escape probe's location, privilege probing,
// and host-side checks that nothing (process, cgroup) was left behind.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/spec.h"
#include "tests/testing/temp_dir.h"

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

// The whole content of a host file ("" when unreadable).
std::string ReadWholeFile(const std::filesystem::path& path);

// A host file (mode 0600, known content, owned by the test's user) that attacks aim at.
class HostCanary {
 public:
  explicit HostCanary(const std::filesystem::path& dir);
  const std::filesystem::path& path() const { return path_; }
  // Content, mode, owner and link count unchanged (`links` hard links expected).
  void ExpectIntact(nlink_t links = 1) const;

 private:
  std::filesystem::path path_;
};

// A launcher, a spec over a fresh workspace and, once started, one sandbox, which is
// stopped at the end with a check that its cgroup is gone.
class SandboxHarness {
 protected:
  Sandbox& Start();
  RunOutput RunInSandbox(ProcessOptions options, uint64_t output_limit);
  // Stops the sandbox (if any) and checks that no cgroup is left.
  void StopAndCheck();

  codesphere::testing::TempDir workspace_;
  Spec spec_;
  std::unique_ptr<Launcher> launcher_;
  std::unique_ptr<Sandbox> sandbox_;
};

}  // namespace codesphere::sandbox::testing
