// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The escape suite: each case runs the escape probe inside a LinuxNamespaceLauncher sandbox,
// which tries one class of escape and reports; the host then checks canaries and that no
// process or cgroup is left behind. Every run is bounded by the sandbox's wall-time limit.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/safe_file.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "tests/sandbox/sandbox_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox::testing {
namespace {

namespace fs = std::filesystem;
using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;

// True when `path` is a mount point on the host (another device than its parent).
bool IsMountPoint(const fs::path& path) {
  struct stat st, parent;
  return stat(path.c_str(), &st) == 0 && stat(path.parent_path().c_str(), &parent) == 0 &&
         st.st_dev != parent.st_dev;
}

class EscapeTest : public ::testing::Test, protected SandboxHarness {
 protected:
  void SetUp() override {
    auto launcher = NewLinuxLauncherForTest();
    if (!launcher.ok()) GTEST_SKIP() << "LinuxNamespaceLauncher unavailable: " << launcher.error();
    launcher_ = std::move(*launcher);
    spec_ = TestSpec(workspace_.path().string());
    spec_.limits.memory_bytes = 96ull << 20;
    spec_.limits.pids = 64;
    spec_.limits.wall_time_ms = 20000;
    chmod(host_.path().c_str(), 0755);
  }

  void TearDown() override {
    StopAndCheck();
    canary_.ExpectIntact(expected_canary_links_);
  }

  RunOutput Probe(std::vector<std::string> args, ProcessOptions options = {}) {
    options.argv = {kProbeInside};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    return RunInSandbox(std::move(options), 1 << 20);
  }

  // The probe blocked every attempt it made (and made some).
  void ExpectAllBlocked(const RunOutput& out) {
    EXPECT_TRUE(out.status.success()) << out.status.ToString() << "\n" << out.stdout_data << out.stderr_data;
    EXPECT_EQ(out.stdout_data.find("ESCAPED"), std::string::npos) << out.stdout_data;
    EXPECT_NE(out.stdout_data.find("BLOCKED"), std::string::npos) << out.stdout_data;
  }

  static int CountLines(const std::string& text, const std::string& prefix) {
    int n = 0;
    for (size_t pos = 0; (pos = text.find(prefix, pos)) != std::string::npos; ++pos) ++n;
    return n;
  }

  TempDir host_;
  HostCanary canary_{host_.path()};
  nlink_t expected_canary_links_ = 1;
};

TEST_F(EscapeTest, HostFilesOutsideTheBindsAreInvisibleAndBindsReadOnly) {
  ExpectAllBlocked(Probe({"host-files", canary_.path().string(), host_.path().string(), "/work",
                          "/run", "/home"}));
}

TEST_F(EscapeTest, NoMountingRemountingOrCgroupfs) { ExpectAllBlocked(Probe({"mounts"})); }

TEST_F(EscapeTest, NoNestedNamespaces) { ExpectAllBlocked(Probe({"namespaces"})); }

TEST_F(EscapeTest, ProcSysAndSysrqAreNotWritable) {
  std::string before = ReadWholeFile("/proc/sys/kernel/core_pattern");
  ExpectAllBlocked(Probe({"proc-sys"}));
  EXPECT_EQ(ReadWholeFile("/proc/sys/kernel/core_pattern"), before);
}

TEST_F(EscapeTest, NoPtraceOrMemoryAccessToOtherProcesses) {
  ExpectAllBlocked(Probe({"ptrace", std::to_string(getpid()), std::to_string(getppid())}));
}

TEST_F(EscapeTest, NoSignalsToProcessesOutside) {
  // A host process the sandbox would love to kill.
  pid_t victim = fork();
  if (victim == 0) {
    pause();
    _exit(0);
  }
  ExpectAllBlocked(Probe({"signals", std::to_string(victim), std::to_string(getpid())}));
  EXPECT_EQ(kill(victim, 0), 0) << "the host process was killed";
  kill(victim, SIGKILL);
  waitpid(victim, nullptr, 0);
}

TEST_F(EscapeTest, NoTerminalInputInjection) {
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  UniqueFd m(master), s(slave);
  ProcessOptions options;
  options.stdin_stdio = Stdio::Fd(s.get());
  options.controlling_terminal = true;
  RunOutput out = Probe({"tiocsti"}, options);
  ExpectAllBlocked(out);
  // Nothing was pushed into the terminal's input queue.
  s.reset();
  int queued = -1;
  int fd = open(ptsname(m.get()), O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd >= 0) {
    ioctl(fd, FIONREAD, &queued);
    close(fd);
    EXPECT_EQ(queued, 0);
  }
}

TEST_F(EscapeTest, KernelAttackSurfaceIsDenied) { ExpectAllBlocked(Probe({"kernel-surface"})); }

TEST_F(EscapeTest, ForeignSyscallAbisKill) {
  for (const char* abi : {"i386", "x32"}) {
    RunOutput out = Probe({"foreign-abi", abi});
    EXPECT_EQ(out.status.signal, SIGSYS) << abi << ": " << out.status.ToString() << out.stdout_data;
    EXPECT_EQ(out.stdout_data.find("ESCAPED"), std::string::npos) << out.stdout_data;
  }
}

TEST_F(EscapeTest, HostLoopbackAndMetadataAreUnreachable) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ExpectAllBlocked(Probe({"network", std::to_string(ntohs(addr.sin_port))}));
  EXPECT_LT(accept(listener, nullptr, nullptr), 0) << "the sandbox reached the host listener";
  close(listener);
}

TEST_F(EscapeTest, NoInheritedDescriptorsOrSupervisorEnvironment) {
  int leaked = open(canary_.path().c_str(), O_RDONLY);  // no O_CLOEXEC on purpose
  setenv("CODESPHERE_SUPERVISOR_TOKEN", "do-not-leak", 1);
  RunOutput fds = Probe({"fds"});
  RunOutput env = Probe({"env"});
  unsetenv("CODESPHERE_SUPERVISOR_TOKEN");
  close(leaked);
  EXPECT_EQ(CountLines(fds.stdout_data, "FD "), 3) << fds.stdout_data;
  EXPECT_EQ(fds.stdout_data.find("canary"), std::string::npos);
  EXPECT_EQ(env.stdout_data.find("do-not-leak"), std::string::npos) << env.stdout_data;
  EXPECT_EQ(env.stdout_data.find("CODESPHERE"), std::string::npos) << env.stdout_data;
}

TEST_F(EscapeTest, ForkBombHitsThePidsLimit) {
  RunOutput out = Probe({"fork-bomb"});
  ExpectAllBlocked(out);
  ASSERT_OK_AND_ASSIGN(SandboxStats stats, sandbox_->Stats());
  EXPECT_LE(stats.pids, spec_.limits.pids);
  // The sandbox still works once the bomb is gone... after a restart; the host is fine now.
  EXPECT_EQ(kill(getpid(), 0), 0);
}

TEST_F(EscapeTest, TenThousandThreadsHitThePidsLimit) {
  RunOutput out = Probe({"threads"});
  ExpectAllBlocked(out);
  size_t pos = out.stdout_data.find("COUNT ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_LT(std::stoul(out.stdout_data.substr(pos + 6)), spec_.limits.pids);
}

TEST_F(EscapeTest, MemoryBombsAreOomKilledInsideTheSandbox) {
  const std::string twice = std::to_string(2 * spec_.limits.memory_bytes);
  spec_.rootfs.shm_size_bytes = 4 * spec_.limits.memory_bytes;  // let tmpfs hit the memory cap
  for (const char* how : {"anon", "memfd", "shm"}) {
    RunOutput out = Probe({"memory-bomb", how, twice});
    EXPECT_TRUE(out.status.oom_killed) << how << ": " << out.status.ToString() << out.stdout_data;
    EXPECT_EQ(out.stdout_data.find("ESCAPED"), std::string::npos) << out.stdout_data;
    ASSERT_OK_AND_ASSIGN(SandboxStats stats, sandbox_->Stats());
    EXPECT_LE(stats.memory_peak_bytes, spec_.limits.memory_bytes + (1 << 20));
    EXPECT_GE(stats.oom_kills, 1u);
    if (std::string(how) == "anon") {  // confined: the sandbox itself lives on
      ProcessOptions options;
      options.argv = {"/bin/true"};
      EXPECT_TRUE(RunInSandbox(options, 0).status.success());
    }
    StopAndCheck();  // a fresh sandbox per bomb (tmpfs pages stay charged)
  }
}

TEST_F(EscapeTest, FillingTmpAndWorkspaceIsCapped) {
  spec_.rootfs.tmp_size_bytes = 8 << 20;
  RunOutput tmp = Probe({"fill", "/tmp/fill", std::to_string(64 << 20)});
  ExpectAllBlocked(tmp);
  EXPECT_NE(tmp.stdout_data.find("(ENOSPC)"), std::string::npos) << tmp.stdout_data;
  StopAndCheck();
  // Without a workspace volume, a single file is capped by RLIMIT_FSIZE.
  spec_.limits.file_size_bytes = 8 << 20;
  RunOutput ws = Probe({"fill", "/workspace/fill", std::to_string(64 << 20)});
  ExpectAllBlocked(ws);
  EXPECT_NE(ws.stdout_data.find("(EFBIG)"), std::string::npos) << ws.stdout_data;
}

// The workspace's total size: many files, each below RLIMIT_FSIZE, hit ENOSPC at the cap of
// the workspace volume; the host sees only the image (no byte lands on the host file system
// under the mount point) and the volume is unmounted once the sandbox stops.
TEST_F(EscapeTest, FillingTheWorkspaceStopsAtItsSizeCap) {
  if (Status probe = ProbeWorkspaceVolumeSupport(); !probe.ok()) {
    GTEST_SKIP() << "workspace volumes unavailable: " << probe;
  }
  const uint64_t cap = 32ull << 20;
  const fs::path image = host_.path() / "workspace.img";
  spec_.rootfs.workspace_size_bytes = cap;
  spec_.rootfs.workspace_image = image.string();
  spec_.limits.file_size_bytes = 4 << 20;
  RunOutput out = Probe({"fill-files", "/workspace", std::to_string(4 << 20),
                         std::to_string(cap)});
  ExpectAllBlocked(out);
  EXPECT_NE(out.stdout_data.find("(ENOSPC)"), std::string::npos) << out.stdout_data;
  EXPECT_TRUE(IsMountPoint(workspace_.path()));
  {
    // The supervisor's writes hit the same cap, as a clear error.
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(workspace_.path().string()));
    EXPECT_THAT(ws.WriteFile("supervisor", std::string(8 << 20, 's')),
                StatusIs(StatusCode::kResourceExhausted));
  }
  StopAndCheck();
  EXPECT_FALSE(IsMountPoint(workspace_.path())) << "the volume outlived its last sandbox";
  EXPECT_TRUE(fs::is_empty(workspace_.path())) << "bytes landed on the host file system";
  struct stat st;
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), cap);
  EXPECT_LE(static_cast<uint64_t>(st.st_blocks) * 512, cap + (1 << 20));
  // What the sandbox wrote is in the image: the next sandbox sees it.
  Start();
  ProcessOptions options;
  options.argv = {"/bin/sh", "-c", "ls /workspace | grep -c '^fill-'"};
  RunOutput again = RunInSandbox(options, 1 << 20);
  EXPECT_TRUE(again.status.success()) << again.stderr_data;
  EXPECT_GE(std::atoi(again.stdout_data.c_str()), 5) << again.stdout_data;
}

TEST_F(EscapeTest, StdoutFloodIsCutAtTheOutputLimit) {
  Start();
  ProcessOptions options;
  options.argv = {"yes"};
  ASSERT_OK_AND_ASSIGN(RunOutput out, RunAndCollect(*sandbox_, options, 4 << 20));
  EXPECT_TRUE(out.status.output_limit_exceeded);
  EXPECT_EQ(out.stdout_data.size(), 4u << 20);
}

TEST_F(EscapeTest, CpuSpinnerIsThrottledAndLimitsFire) {
  // Quota: 0.2 CPU. Wall: 1.5 s. The spinner gets at most ~0.3 s of CPU (plus slack).
  spec_.limits.cpu_millis = 200;
  spec_.limits.wall_time_ms = 1500;
  RunOutput out = Probe({"spin"});
  EXPECT_TRUE(out.status.wall_time_exceeded) << out.status.ToString();
  ASSERT_OK_AND_ASSIGN(SandboxStats stats, sandbox_->Stats());
  EXPECT_LT(stats.cpu_usage_ns, 900'000'000u) << "quota did not hold";
  StopAndCheck();
  // CPU-time limit: 1 s of CPU at full quota.
  spec_.limits.cpu_millis = 1000;
  spec_.limits.cpu_time_seconds = 1;
  spec_.limits.wall_time_ms = 20000;
  RunOutput cpu = Probe({"spin"});
  EXPECT_TRUE(cpu.status.cpu_time_exceeded) << cpu.status.ToString();
}

TEST_F(EscapeTest, DaemonIgnoringSigtermIsGoneAfterStop) {
  std::mt19937_64 rng(static_cast<uint64_t>(getpid()));
  const std::string marker = "100000." + std::to_string(rng() % 1000000000);
  RunOutput out = Probe({"daemon", marker});
  ASSERT_NE(out.stdout_data.find("DAEMON started"), std::string::npos) << out.stdout_data;
  EXPECT_TRUE(HostProcessWithArgument(marker)) << "the daemon is not running";
  std::string id = sandbox_->id();
  ASSERT_OK(sandbox_->Stop());
  EXPECT_FALSE(HostProcessWithArgument(marker)) << "the daemon survived Stop";
  EXPECT_FALSE(SandboxCgroupExists(id));
}

// Symlinks and hard links planted in the workspace (by the sandbox, or left over) never
// redirect a supervisor operation on the workspace: write, chmod, chown, cleanup, snapshot.
TEST_F(EscapeTest, PlantedLinksDoNotRedirectSupervisorOperations) {
  ASSERT_EQ(link(canary_.path().c_str(), (workspace_.path() / "hard").c_str()), 0);
  expected_canary_links_ = 2;
  RunOutput out;
  {
    Start();  // chowns the workspace: must skip the hard link
    ProcessOptions options;
    options.argv = {"sh", "-c",
                    "ln -s " + canary_.path().string() + " file-link && ln -s " + host_.path().string() +
                        " dir-link && ln -s / root-link && mkdir -p d && ln -s /etc/shadow d/x"};
    ASSERT_OK_AND_ASSIGN(out, RunAndCollect(*sandbox_, options, 0));
    ASSERT_TRUE(out.status.success()) << out.stderr_data;
  }
  ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(workspace_.path().string()));
  // write
  EXPECT_THAT(ws.WriteFile("dir-link/canary", "pwned"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ws.WriteFile("root-link/tmp/x", "pwned"), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(ws.WriteFile("file-link", "replaced the link"));
  EXPECT_THAT(ws.ReadFile("hard"), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(ws.WriteFile("hard", "replaced the hard link"));
  expected_canary_links_ = 1;
  canary_.ExpectIntact(expected_canary_links_);
  ASSERT_EQ(link(canary_.path().c_str(), (workspace_.path() / "hard2").c_str()), 0);
  expected_canary_links_ = 2;
  // chmod, chown
  EXPECT_THAT(ws.Chmod("hard2", 0777), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ws.Chmod("d/x", 0777), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ws.Chmod("dir-link/canary", 0777), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(ws.ChownTree("", 4242, 4242));
  // snapshot: walk and read everything readable
  std::function<void(const std::string&)> walk = [&](const std::string& dir) {
    auto entries = ws.List(dir);
    ASSERT_OK(entries);
    for (const DirEntry& e : *entries) {
      std::string path = dir.empty() ? e.name : dir + "/" + e.name;
      if (e.type == FileType::kDirectory) {
        walk(path);
      } else if (e.type == FileType::kRegular) {
        auto data = ws.ReadFile(path);
        if (data.ok()) {
          EXPECT_EQ(data->find("host secret"), std::string::npos) << path;
        }
      } else if (e.type == FileType::kSymlink) {
        EXPECT_THAT(ws.ReadFile(path), StatusIs(StatusCode::kPermissionDenied)) << path;
      }
    }
  };
  walk("");
  // cleanup
  ASSERT_OK(ws.RemoveAll("dir-link"));
  ASSERT_OK(ws.RemoveAll("root-link"));
  ASSERT_OK(ws.RemoveAll("d"));
  ASSERT_OK(ws.RemoveAll("hard2"));
  expected_canary_links_ = 1;
  canary_.ExpectIntact(expected_canary_links_);
  EXPECT_TRUE(fs::exists(host_.path()));
  EXPECT_TRUE(fs::exists("/etc/shadow"));
}

}  // namespace
}  // namespace codesphere::sandbox::testing
