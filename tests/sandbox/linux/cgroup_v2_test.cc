// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The cgroup v2 code path against a fake cgroupfs (a temp directory whose "mkdir" populates
// the interface files the kernel would), so that what it writes is checked on any host,
// including hybrid ones whose cgroup2 mount has no controllers (this machine).
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "sandbox/linux/cgroup.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox::internal {
namespace {

namespace fs = std::filesystem;
using ::codesphere::testing::StatusIs;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// A cgroupfs look-alike: `Ops()` create cgroups with empty limit files (so every write is
// visible as written) and the read-only counters a kernel shows; removal fails with EBUSY
// while cgroup.procs lists a task, as rmdir does on cgroupfs.
class FakeCgroupFs {
 public:
  bool with_kill = true;       // cgroup.kill (Linux >= 5.14)
  bool with_swap = true;       // memory.swap.max (swap accounting on)

  const fs::path& root() const { return dir_.path(); }

  CgroupDirOps Ops() {
    CgroupDirOps ops;
    ops.make = [this](const std::string& path) -> Status {
      if (mkdir(path.c_str(), 0755) != 0) return ErrnoToStatus(errno, "mkdir " + path);
      std::map<std::string, std::string> files = {
          {"cgroup.procs", ""},
          {"cgroup.controllers", "cpu memory pids\n"},
          {"cgroup.subtree_control", ""},
          {"memory.max", ""},
          {"pids.max", ""},
          {"cpu.max", ""},
          {"memory.current", "4096\n"},
          {"memory.peak", "8192\n"},
          {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"},
          {"pids.current", "0\n"},
          {"cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n"},
      };
      if (with_kill) files["cgroup.kill"] = "";
      if (with_swap) files["memory.swap.max"] = "";
      for (const auto& [name, text] : files) Write(fs::path(path) / name, text);
      return OkStatus();
    };
    ops.remove = [](const std::string& path) -> Status {
      if (!fs::exists(path)) return OkStatus();
      if (!Read(fs::path(path) / "cgroup.procs").empty()) return ErrnoToStatus(EBUSY, "rmdir " + path);
      fs::remove_all(path);
      return OkStatus();
    };
    return ops;
  }

 private:
  codesphere::testing::TempDir dir_{"codesphere-fake-cgroupfs-"};
};

class CgroupV2Test : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directory(parent_); }
  std::unique_ptr<CgroupManager> Manager() { return NewCgroupV2Manager(parent_, fake_.Ops()); }

  FakeCgroupFs fake_;
  const std::string parent_ = (fake_.root() / "codesphere-sandboxes").string();
};

TEST_F(CgroupV2Test, WritesEachLimitToItsInterfaceFile) {
  auto manager = Manager();
  EXPECT_EQ(manager->version(), 2);
  ASSERT_OK_AND_ASSIGN(auto cgroup, manager->Create("cs-1", CgroupLimits{256ull << 20, 64, 1500}));
  const fs::path dir = fs::path(parent_) / "cs-1";
  EXPECT_EQ(Read(dir / "memory.max"), "268435456");
  EXPECT_EQ(Read(dir / "memory.swap.max"), "0");
  EXPECT_EQ(Read(dir / "pids.max"), "64");
  EXPECT_EQ(Read(dir / "cpu.max"), "150000 100000");  // 1.5 CPUs per 100 ms period
}

TEST_F(CgroupV2Test, UnlimitedFieldsAreLeftAlone) {
  ASSERT_OK_AND_ASSIGN(auto cgroup, Manager()->Create("cs-2", CgroupLimits{}));
  const fs::path dir = fs::path(parent_) / "cs-2";
  for (const char* file : {"memory.max", "memory.swap.max", "pids.max", "cpu.max"}) {
    EXPECT_EQ(Read(dir / file), "") << file;
  }
}

TEST_F(CgroupV2Test, SwapLimitOnlyWhereSwapIsAccounted) {
  fake_.with_swap = false;
  ASSERT_OK_AND_ASSIGN(auto cgroup, Manager()->Create("cs-3", CgroupLimits{64ull << 20, 0, 0}));
  EXPECT_EQ(Read(fs::path(parent_) / "cs-3" / "memory.max"), "67108864");
  EXPECT_FALSE(fs::exists(fs::path(parent_) / "cs-3" / "memory.swap.max"));
}

TEST_F(CgroupV2Test, CreateFailsCleanlyWhenAControllerIsMissing) {
  auto ops = fake_.Ops();
  auto make = ops.make;
  ops.make = [make](const std::string& path) {
    Status s = make(path);
    fs::remove(fs::path(path) / "pids.max");  // pids not enabled in the parent
    return s;
  };
  auto manager = NewCgroupV2Manager(parent_, ops);
  EXPECT_THAT(manager->Create("cs-4", CgroupLimits{64ull << 20, 16, 0}),
              StatusIs(StatusCode::kNotFound));
  EXPECT_FALSE(fs::exists(fs::path(parent_) / "cs-4")) << "a half-made cgroup was left";
  EXPECT_OK(Manager()->Create("cs-4", {}));
  EXPECT_THAT(Manager()->Create("cs-4", {}), StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(CgroupV2Test, ReadsUsageCounters) {
  ASSERT_OK_AND_ASSIGN(auto cgroup, Manager()->Create("cs-5", {}));
  const fs::path dir = fs::path(parent_) / "cs-5";
  Write(dir / "pids.current", "3\n");
  Write(dir / "memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n");
  ASSERT_OK_AND_ASSIGN(CgroupUsage usage, cgroup->Usage());
  EXPECT_EQ(usage.memory_bytes, 4096u);
  EXPECT_EQ(usage.memory_peak_bytes, 8192u);
  EXPECT_EQ(usage.pids, 3u);
  EXPECT_EQ(usage.cpu_usage_ns, 1500u * 1000);
  EXPECT_EQ(usage.oom_kills, 2u);
  EXPECT_EQ(cgroup->OomKills(), 2u);
}

TEST_F(CgroupV2Test, MembershipKillAndRemoval) {
  ASSERT_OK_AND_ASSIGN(auto cgroup, Manager()->Create("cs-6", {}));
  const fs::path dir = fs::path(parent_) / "cs-6";
  ASSERT_OK_AND_ASSIGN(auto procs, cgroup->OpenProcs());
  ASSERT_EQ(procs.size(), 1u);
  struct stat a, b;
  ASSERT_EQ(fstat(procs[0].get(), &a), 0);
  ASSERT_EQ(stat((dir / "cgroup.procs").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "OpenProcs must open the cgroup's cgroup.procs";
  ASSERT_OK(cgroup->AddProcess(4242));
  EXPECT_EQ(Read(dir / "cgroup.procs"), "4242");
  ASSERT_OK(cgroup->KillAll());
  EXPECT_EQ(Read(dir / "cgroup.kill"), "1");
  EXPECT_THAT(cgroup->Remove(), StatusIs(StatusCode::kInternal));  // EBUSY: a task is left
  Write(dir / "cgroup.procs", "");
  ASSERT_OK(cgroup->Remove());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_OK(cgroup->Remove());
}

// Kernels before 5.14 have no cgroup.kill: every listed task gets SIGKILL instead.
TEST_F(CgroupV2Test, KillAllWithoutCgroupKillSignalsEveryTask) {
  fake_.with_kill = false;
  ASSERT_OK_AND_ASSIGN(auto cgroup, Manager()->Create("cs-7", {}));
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  ASSERT_OK(cgroup->AddProcess(pid));
  ASSERT_OK(cgroup->KillAll());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_FALSE(fs::exists(fs::path(parent_) / "cs-7" / "cgroup.kill"));
}

std::string Cgroup2MountLine(const fs::path& root) {
  return "35 24 0:30 / " + root.string() +
         " rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
}

TEST_F(CgroupV2Test, DetectOnAUnifiedHostEnablesControllersForItsChildren) {
  const fs::path own = fake_.root() / "supervisor.service";
  ASSERT_OK(fake_.Ops().make(own.string()));
  ASSERT_OK_AND_ASSIGN(auto manager,
                       DetectCgroupsFrom(Cgroup2MountLine(fake_.root()),
                                         "0::/supervisor.service\n", "sandboxes", fake_.Ops()));
  EXPECT_EQ(manager->version(), 2);
  EXPECT_EQ(Read(own / "cgroup.subtree_control"), "+memory +pids +cpu");
  EXPECT_EQ(Read(own / "sandboxes" / "cgroup.subtree_control"), "+memory +pids +cpu");
  ASSERT_OK_AND_ASSIGN(auto cgroup, manager->Create("cs-8", CgroupLimits{32ull << 20, 8, 0}));
  EXPECT_EQ(Read(own / "sandboxes" / "cs-8" / "pids.max"), "8");
  // A second launcher reuses the parent.
  EXPECT_OK(DetectCgroupsFrom(Cgroup2MountLine(fake_.root()), "0::/supervisor.service\n",
                              "sandboxes", fake_.Ops()));
}

TEST_F(CgroupV2Test, DetectRefusesUnifiedHostsWithoutUsableControllers) {
  const fs::path own = fake_.root() / "svc";
  ASSERT_OK(fake_.Ops().make(own.string()));
  Write(own / "cgroup.controllers", "cpu io\n");  // no memory, no pids
  EXPECT_THAT(DetectCgroupsFrom(Cgroup2MountLine(fake_.root()), "0::/svc\n", "sandboxes",
                                fake_.Ops()),
              StatusIs(StatusCode::kFailedPrecondition));
  // Controllers present but not delegable (no writable subtree_control).
  Write(own / "cgroup.controllers", "cpu memory pids\n");
  fs::remove(own / "cgroup.subtree_control");
  EXPECT_THAT(DetectCgroupsFrom(Cgroup2MountLine(fake_.root()), "0::/svc\n", "sandboxes",
                                fake_.Ops()),
              StatusIs(StatusCode::kFailedPrecondition));
}

// Hybrid hosts (like this machine): v1 controllers win over a controller-less cgroup2.
TEST_F(CgroupV2Test, DetectOnAHybridHostUsesV1) {
  std::string mountinfo = Cgroup2MountLine(fake_.root() / "unified");
  for (const char* c : {"memory", "pids", "cpu,cpuacct"}) {
    fs::path dir = fake_.root() / c / "user.slice";
    fs::create_directories(dir);
    mountinfo += "40 24 0:40 / " + (fake_.root() / c).string() +
                 " rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw," + c + "\n";
  }
  ASSERT_OK_AND_ASSIGN(
      auto manager,
      DetectCgroupsFrom(mountinfo,
                        "12:memory:/user.slice\n11:pids:/user.slice\n"
                        "10:cpu,cpuacct:/user.slice\n0::/user.slice\n",
                        "sandboxes", fake_.Ops()));
  EXPECT_EQ(manager->version(), 1);
  EXPECT_TRUE(fs::is_directory(fake_.root() / "memory" / "user.slice" / "sandboxes"));
  EXPECT_TRUE(fs::is_directory(fake_.root() / "cpu,cpuacct" / "user.slice" / "sandboxes"));
}

}  // namespace
}  // namespace codesphere::sandbox::internal
