// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "sandbox/linux/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/testing/status_matchers.h"

namespace codesphere::sandbox::internal {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

pid_t SpawnPause() {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  return pid;
}

TEST(CgroupTest, DetectedHierarchyLimitsKillsAndRemoves) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
  auto manager = DetectCgroups("codesphere-sandboxes");
  if (!manager.ok()) GTEST_SKIP() << "no usable cgroups: " << manager.error();
  CgroupLimits limits{64ull << 20, 16, 500};
  std::string id = "cs-cgroup-test-" + std::to_string(getpid());
  ASSERT_OK_AND_ASSIGN(auto cgroup, (*manager)->Create(id, limits));
  pid_t pid = SpawnPause();
  ASSERT_GT(pid, 0);
  ASSERT_OK(cgroup->AddProcess(pid));
  ASSERT_OK_AND_ASSIGN(CgroupUsage usage, cgroup->Usage());
  EXPECT_EQ(usage.pids, 1u);
  ASSERT_OK(cgroup->KillAll());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_OK(cgroup->Remove());
  EXPECT_OK(cgroup->Remove());  // idempotent
}

// cgroup v2 code path on whatever unified hierarchy this host has (on hybrid hosts it holds
// no memory/pids/cpu controllers: membership, kill and removal are still real).
TEST(CgroupTest, V2MembershipKillAndRemoval) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
  std::string root;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    if (line.find(" - cgroup2 ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string a, b, c, r;
    fields >> a >> b >> c >> r >> root;
    break;
  }
  if (root.empty()) GTEST_SKIP() << "no cgroup2 mount on this host";
  std::string parent = root + "/codesphere-v2-test-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  auto manager = NewCgroupV2Manager(parent);
  EXPECT_EQ(manager->version(), 2);
  ASSERT_OK_AND_ASSIGN(auto cgroup, manager->Create("sandbox", CgroupLimits{}));
  EXPECT_TRUE(IsDir(parent + "/sandbox"));
  ASSERT_OK_AND_ASSIGN(auto procs, cgroup->OpenProcs());
  EXPECT_EQ(procs.size(), 1u);
  pid_t pid = SpawnPause();
  ASSERT_OK(cgroup->AddProcess(pid));
  ASSERT_OK(cgroup->KillAll());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_OK(cgroup->Remove());
  EXPECT_FALSE(IsDir(parent + "/sandbox"));
  ASSERT_EQ(rmdir(parent.c_str()), 0);
}

TEST(CgroupTest, ReadsKeyedAndPlainFiles) {
  char tmpl[] = "/tmp/cgroup-files-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  std::ofstream(dir + "/memory.events") << "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n";
  std::ofstream(dir + "/pids.max") << "max\n";
  std::ofstream(dir + "/pids.current") << "17\n";
  EXPECT_EQ(*ReadCgroupKey(dir + "/memory.events", "oom_kill"), 2u);
  EXPECT_THAT(ReadCgroupKey(dir + "/memory.events", "nope"),
              ::codesphere::testing::StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(*ReadCgroupNumber(dir + "/pids.max"), UINT64_MAX);
  EXPECT_EQ(*ReadCgroupNumber(dir + "/pids.current"), 17u);
  for (const char* f : {"/memory.events", "/pids.max", "/pids.current"}) unlink((dir + f).c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace codesphere::sandbox::internal
