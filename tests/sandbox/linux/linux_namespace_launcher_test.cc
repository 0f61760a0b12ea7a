// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/linux_namespace_launcher.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/sandbox/launcher_conformance.h"

namespace codesphere::sandbox::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(
    LinuxNamespaceLauncher, LauncherConformanceTest,
    ::testing::Values(LauncherParam{"LinuxNamespaceLauncher", NewLinuxLauncherForTest, true}),
    [](const auto& info) { return info.param.name; });

class LinuxNamespaceLauncherTest : public LauncherConformanceTest {};

INSTANTIATE_TEST_SUITE_P(
    Linux, LinuxNamespaceLauncherTest,
    ::testing::Values(LauncherParam{"LinuxNamespaceLauncher", NewLinuxLauncherForTest, true}),
    [](const auto& info) { return info.param.name; });

TEST_P(LinuxNamespaceLauncherTest, ProcessesRunUnprivilegedInFreshNamespaces) {
  Start();
  RunOutput out = Run({"sh", "-c",
                       "id -u; id -g; hostname; echo $$; "
                       "grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; "
                       "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; "
                       "touch /rootfs-write 2>/dev/null || echo root-ro; "
                       "touch /usr/x 2>/dev/null || echo usr-ro; "
                       "touch /tmp/x && echo tmp-rw; "
                       "cat /etc/passwd | grep -c ^user:; "
                       "ls /dev | tr '\\n' ' '"});
  EXPECT_TRUE(out.status.success()) << out.stderr_data;
  const std::string& o = out.stdout_data;
  EXPECT_EQ(o.rfind("1000\n1000\nsandbox\n", 0), 0u) << o;
  EXPECT_NE(o.find("CapEff:\t0000000000000000"), std::string::npos) << o;
  EXPECT_NE(o.find("CapBnd:\t0000000000000000"), std::string::npos) << o;
  EXPECT_NE(o.find("NoNewPrivs:\t1"), std::string::npos) << o;
  EXPECT_NE(o.find("Seccomp:\t2"), std::string::npos) << o;
  EXPECT_NE(o.find("\nlo\nroot-ro\n"), std::string::npos) << o;  // only loopback
  EXPECT_NE(o.find("usr-ro\ntmp-rw\n1\n"), std::string::npos) << o;
  EXPECT_NE(o.find("full null ptmx pts random shm stderr stdin stdout tty urandom zero"),
            std::string::npos)
      << o;
}

TEST_P(LinuxNamespaceLauncherTest, SandboxUserMapsToADistinctHostUidPerSandbox) {
  Start();
  RunOutput out = Run({"sh", "-c", "echo a > mine"});
  ASSERT_TRUE(out.status.success()) << out.stderr_data;
  struct stat st;
  ASSERT_EQ(stat((workspace_.path() / "mine").c_str(), &st), 0);
  EXPECT_NE(st.st_uid, 0u);
  EXPECT_NE(st.st_uid, 1000u);
  // A second sandbox on the same workspace takes it over with its own host uid.
  auto other = launcher_->Start(spec_);
  ASSERT_OK(other);
  ProcessOptions options;
  options.argv = {"sh", "-c", "echo b > theirs"};
  ASSERT_OK_AND_ASSIGN(RunOutput out2, RunAndCollect(**other, options, 0));
  ASSERT_TRUE(out2.status.success()) << out2.stderr_data;
  struct stat st2;
  ASSERT_EQ(stat((workspace_.path() / "theirs").c_str(), &st2), 0);
  EXPECT_NE(st.st_uid, st2.st_uid);
  EXPECT_OK((*other)->Stop());
}

TEST_P(LinuxNamespaceLauncherTest, StatsReportTheCgroup) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"sleep", "30"};
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  ASSERT_OK_AND_ASSIGN(SandboxStats stats, sandbox.Stats());
  EXPECT_GE(stats.pids, 2u);  // init + sleep
  EXPECT_GT(stats.memory_bytes, 0u);
  EXPECT_EQ(stats.oom_kills, 0u);
  EXPECT_TRUE(SandboxCgroupExists(sandbox.id()));
}

TEST_P(LinuxNamespaceLauncherTest, BadBindSourceFailsCleanly) {
  spec_.rootfs.binds.push_back({"/no/such/dir", "/opt/x", true, false});
  EXPECT_THAT(launcher_->Start(spec_), StatusIs(StatusCode::kNotFound));
  spec_.rootfs.binds.back().optional = true;
  auto sandbox = launcher_->Start(spec_);
  EXPECT_OK(sandbox);
}

TEST_P(LinuxNamespaceLauncherTest, AllowlistNetworkIsNotOfferedYet) {
  spec_.network = NetworkMode::kAllowlist;
  EXPECT_THAT(launcher_->Start(spec_), StatusIs(StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace codesphere::sandbox::testing
