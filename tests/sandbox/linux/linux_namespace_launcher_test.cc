// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/linux_namespace_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

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

// Reads the PTY master until `want` shows up or the shell side hangs up.
bool ReadUntil(int master, const std::string& want, std::string* got) {
  char buf[512];
  while (got->find(want) == std::string::npos) {
    struct pollfd pfd = {master, POLLIN, 0};
    if (poll(&pfd, 1, 30000) <= 0) return false;
    ssize_t n = read(master, buf, sizeof(buf));
    if (n <= 0) return false;
    got->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// True when this process has a child that exited and nobody reaped (a zombie of ours).
bool HasUnreapedChild() {
  siginfo_t info = {};
  if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) return false;
  return info.si_pid != 0;
}

// The platform's terminal life cycle: an interactive shell on a caller PTY as controlling
// terminal, its pidfd watched by an event loop, the terminal closed and nobody waits for it,
// then Stop. Stop must return, reap the shell and its background child, and leave no zombie.
TEST_P(LinuxNamespaceLauncherTest, StopReapsAClosedTerminalsShellNobodyWaitedFor) {
  Sandbox& sandbox = Start();
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  UniqueFd m(master), s(slave);
  ProcessOptions options;
  options.argv = {"/bin/bash", "--noprofile", "--norc", "-i"};
  options.env = {{"PS1", "ready$ "}};
  options.stdin_stdio = Stdio::Fd(s.get());
  options.stdout_stdio = Stdio::Fd(s.get());
  options.stderr_stdio = Stdio::Fd(s.get());
  options.controlling_terminal = true;
  ASSERT_OK_AND_ASSIGN(auto shell, sandbox.Spawn(options));
  // The server watches the pidfd on its event loop through a dup, and the loop makes the
  // shared file description O_NONBLOCK: waitid on it then says EAGAIN while the shell runs
  // (which Stop once took for "already reaped", leaving a zombie that kept the init alive).
  UniqueFd watched(dup(shell->pidfd()));
  ASSERT_TRUE(watched.valid());
  ASSERT_EQ(fcntl(watched.get(), F_SETFL, O_NONBLOCK), 0);
  // A second process nobody ever waits for, which exits by itself.
  ProcessOptions quick;
  quick.argv = {"sh", "-c", "exit 3"};
  quick.stdout_stdio = Stdio::Pipe();
  ASSERT_OK_AND_ASSIGN(auto unwaited, sandbox.Spawn(quick));
  {
    UniqueFd out = unwaited->TakeStdoutPipe();
    char c;
    ASSERT_EQ(read(out.get(), &c, 1), 0);  // EOF: it has exited
  }
  s.reset();
  std::string got;
  ASSERT_TRUE(ReadUntil(m.get(), "ready$ ", &got)) << got;
  ASSERT_EQ(write(m.get(), "sleep 300 &\necho bg-$!\n", 23), 23);
  ASSERT_TRUE(ReadUntil(m.get(), "bg-", &got)) << got;
  m.reset();  // the terminal goes away: the shell gets SIGHUP; its sleep lives on
  auto stop = std::async(std::launch::async, [&sandbox] { return sandbox.Stop(); });
  ASSERT_EQ(stop.wait_for(std::chrono::seconds(60)), std::future_status::ready)
      << "Sandbox::Stop hangs";
  EXPECT_OK(stop.get());
  EXPECT_FALSE(HasUnreapedChild());
  EXPECT_FALSE(SandboxCgroupExists(sandbox.id()));
  ASSERT_OK_AND_ASSIGN(ExitStatus unwaited_status, unwaited->Wait());
  EXPECT_EQ(unwaited_status.exit_code, 3);
  ASSERT_OK_AND_ASSIGN(ExitStatus shell_status, shell->Wait());
  EXPECT_FALSE(shell_status.success());
}

TEST_P(LinuxNamespaceLauncherTest, AllowlistNetworkIsNotOfferedYet) {
  spec_.network = NetworkMode::kAllowlist;
  EXPECT_THAT(launcher_->Start(spec_), StatusIs(StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace codesphere::sandbox::testing
