// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The Launcher conformance tests (instantiated in process_launcher_test.cc and
// linux/linux_namespace_launcher_test.cc).
#include "tests/sandbox/launcher_conformance.h"

#include <sys/stat.h>

#include "codesphere/sandbox/workspace_volume.h"

namespace codesphere::sandbox::testing {

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LauncherConformanceTest);

TEST_P(LauncherConformanceTest, RunsCommandAndReportsExitCode) {
  Start();
  RunOutput out = Run({"sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(out.status.exit_code, 7);
  EXPECT_EQ(out.status.signal, 0);
  EXPECT_EQ(out.stdout_data, "out\n");
  EXPECT_EQ(out.stderr_data, "err\n");
}

TEST_P(LauncherConformanceTest, ReportsTerminatingSignal) {
  Start();
  RunOutput out = Run({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(out.status.signal, SIGTERM);
  EXPECT_FALSE(out.status.success());
}

TEST_P(LauncherConformanceTest, MissingProgramIsNotFoundAndBadOptionsInvalid) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"/no/such/program"};
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kNotFound));
  options.argv = {"no-such-program-in-path"};
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kNotFound));
  options.argv = {};
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kInvalidArgument));
  options.argv = {"true"};
  options.cwd = "relative";
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kInvalidArgument));
  options.cwd = "";
  options.env = {{"A=B", "c"}};
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kInvalidArgument));
  options.env = {};
  options.stdout_stdio = Stdio::Fd(987654);
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(LauncherConformanceTest, PipesStdinThrough) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"cat"};
  options.stdin_stdio = Stdio::Pipe();
  options.stdout_stdio = Stdio::Pipe();
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  UniqueFd in = process->TakeStdinPipe();
  UniqueFd out = process->TakeStdoutPipe();
  ASSERT_EQ(write(in.get(), "ping", 4), 4);
  in.reset();
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = read(out.get(), buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(got, "ping");
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST_P(LauncherConformanceTest, CallerDescriptorsBecomeStdioAndExtraFds) {
  Sandbox& sandbox = Start();
  int out_pipe[2], extra_pipe[2];
  ASSERT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(extra_pipe, O_CLOEXEC), 0);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), extra_r(extra_pipe[0]), extra_w(extra_pipe[1]);
  ProcessOptions options;
  options.argv = {"sh", "-c", "echo to-stdout; echo to-fd3 >&3"};
  options.stdout_stdio = Stdio::Fd(out_w.get());
  options.extra_fds = {extra_w.get()};
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  out_w.reset();
  extra_w.reset();
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_TRUE(status.success()) << status.ToString();
  char buf[64] = {};
  EXPECT_EQ(read(out_r.get(), buf, sizeof(buf)), 10);
  EXPECT_STREQ(buf, "to-stdout\n");
  char buf3[64] = {};
  EXPECT_EQ(read(extra_r.get(), buf3, sizeof(buf3)), 7);
  EXPECT_STREQ(buf3, "to-fd3\n");
}

TEST_P(LauncherConformanceTest, OnlyStdioAndDeclaredDescriptorsCross) {
  Start();
  // A descriptor the supervisor leaks carelessly (no O_CLOEXEC) must not cross either.
  int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  RunOutput out = Run({Probe(), "fds"});
  close(leaked);
  EXPECT_TRUE(out.status.success()) << out.status.ToString() << out.stderr_data;
  std::istringstream lines(out.stdout_data);
  std::string line;
  std::vector<int> fds;
  while (std::getline(lines, line)) {
    if (line.rfind("FD ", 0) == 0) fds.push_back(std::stoi(line.substr(3)));
  }
  EXPECT_EQ(fds, (std::vector<int>{0, 1, 2})) << out.stdout_data;
}

TEST_P(LauncherConformanceTest, EnvironmentIsAllowListOnly) {
  setenv("CODESPHERE_SUPERVISOR_SECRET", "hunter2", 1);
  setenv("TERM", "xterm-test", 1);
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {Probe(), "env"};
  options.env = {{"EXTRA", "1"}, {"USER", "override"}};
  ASSERT_OK_AND_ASSIGN(RunOutput out, RunAndCollect(sandbox, options, 0));
  unsetenv("CODESPHERE_SUPERVISOR_SECRET");
  EXPECT_EQ(out.stdout_data.find("hunter2"), std::string::npos) << out.stdout_data;
  EXPECT_NE(out.stdout_data.find("ENV TERM=xterm-test\n"), std::string::npos);
  EXPECT_NE(out.stdout_data.find("ENV EXTRA=1\n"), std::string::npos);
  EXPECT_NE(out.stdout_data.find("ENV USER=override\n"), std::string::npos);
  EXPECT_NE(out.stdout_data.find("ENV HOME=/workspace\n"), std::string::npos);
  // Exactly the allow-listed names.
  size_t count = 0;
  for (size_t pos = 0; (pos = out.stdout_data.find("ENV ", pos)) != std::string::npos; ++pos) {
    ++count;
  }
  EXPECT_EQ(count, spec_.env.size() + 2) << out.stdout_data;
}

TEST_P(LauncherConformanceTest, RunsInTheWorkspace) {
  Start();
  RunOutput out = Run({"sh", "-c", "echo made > created-inside && pwd"});
  EXPECT_TRUE(out.status.success()) << out.stderr_data;
  std::ifstream created(workspace_.path() / "created-inside");
  std::string text;
  std::getline(created, text);
  EXPECT_EQ(text, "made");
}

// RootFs::workspace_size_bytes: the workspace is a volume of that size while the sandbox
// runs (both launchers: it is a host mount), and unmounted after Stop.
TEST_P(LauncherConformanceTest, CappedWorkspaceFillsUpAtItsSize) {
  if (Status s = ProbeWorkspaceVolumeSupport(); !s.ok()) {
    GTEST_SKIP() << "workspace volumes unavailable: " << s;
  }
  codesphere::testing::TempDir images("codesphere-images-");
  spec_.rootfs.workspace_size_bytes = 16ull << 20;
  spec_.rootfs.workspace_image = (images.path() / "ws.img").string();
  Start();
  struct stat ws, parent;
  ASSERT_EQ(stat(workspace_.path().c_str(), &ws), 0);
  ASSERT_EQ(stat(workspace_.path().parent_path().c_str(), &parent), 0);
  EXPECT_NE(ws.st_dev, parent.st_dev) << "the workspace is not the volume";
  RunOutput out = Run({"sh", "-c", "head -c 32M /dev/zero > big"});
  EXPECT_FALSE(out.status.success());
  EXPECT_NE(out.stderr_data.find("No space left"), std::string::npos) << out.stderr_data;
  ASSERT_OK_AND_ASSIGN(SandboxStats stats, sandbox_->Stats());
  EXPECT_GT(stats.workspace_size_bytes, 8u << 20);
  EXPECT_LE(stats.workspace_size_bytes, 16u << 20);
  EXPECT_GT(stats.workspace_used_bytes, stats.workspace_size_bytes / 2);
  StopAndCheck();
  ASSERT_EQ(stat(workspace_.path().c_str(), &ws), 0);
  EXPECT_EQ(ws.st_dev, parent.st_dev) << "the volume outlived the sandbox";
}

TEST_P(LauncherConformanceTest, RunReturnsWhenTheProcessExitsEvenIfAChildHoldsItsPipes) {
  Start();
  auto start = std::chrono::steady_clock::now();
  RunOutput out = Run({"sh", "-c", "sleep 30 & echo done"});
  EXPECT_TRUE(out.status.success()) << out.status.ToString();
  EXPECT_EQ(out.stdout_data, "done\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(25));
}

TEST_P(LauncherConformanceTest, WallTimeLimitKills) {
  spec_.limits.wall_time_ms = 200;
  Start();
  RunOutput out = Run({"sleep", "30"});
  EXPECT_EQ(out.status.signal, SIGKILL);
  EXPECT_TRUE(out.status.wall_time_exceeded) << out.status.ToString();
}

TEST_P(LauncherConformanceTest, CpuTimeLimitFires) {
  spec_.limits.cpu_time_seconds = 1;
  Start();
  RunOutput out = Run({Probe(), "spin"});
  EXPECT_TRUE(out.status.cpu_time_exceeded) << out.status.ToString();
  EXPECT_FALSE(out.status.wall_time_exceeded);
}

TEST_P(LauncherConformanceTest, OutputLimitStopsAFlood) {
  spec_.limits.output_bytes = 1 << 20;
  Start();
  RunOutput out = Run({"yes"});
  EXPECT_TRUE(out.status.output_limit_exceeded);
  EXPECT_EQ(out.stdout_data.size(), 1u << 20);
  EXPECT_EQ(out.status.signal, SIGKILL);
}

TEST_P(LauncherConformanceTest, WaitForTimesOutWhileRunning) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"sleep", "30"};
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  EXPECT_THAT(process->WaitFor(std::chrono::milliseconds(10)),
              StatusIs(StatusCode::kDeadlineExceeded));
  ASSERT_OK(process->Signal(SIGKILL));
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_THAT(process->Signal(SIGKILL), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(LauncherConformanceTest, ProcessesShareTheSandboxAndConnectReachesThem) {
  Sandbox& sandbox = Start();
  // A server prints its port and answers each connection with a greeting.
  ProcessOptions server;
  server.argv = {"python3", "-c",
                 "import socket\n"
                 "s = socket.socket()\n"
                 "s.bind(('127.0.0.1', 0))\n"
                 "s.listen()\n"
                 "print(s.getsockname()[1], flush=True)\n"
                 "while True:\n"
                 "    c, _ = s.accept()\n"
                 "    c.sendall(b'hello')\n"
                 "    c.close()\n"};
  server.stdout_stdio = Stdio::Pipe();
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(server));
  UniqueFd out = process->TakeStdoutPipe();
  std::string port;
  char c;
  while (read(out.get(), &c, 1) == 1 && c != '\n') port += c;
  ASSERT_FALSE(port.empty());
  // From the host side.
  ASSERT_OK_AND_ASSIGN(UniqueFd conn, sandbox.Connect(static_cast<uint16_t>(std::stoi(port)),
                                                      std::chrono::seconds(5)));
  char buf[16] = {};
  EXPECT_EQ(read(conn.get(), buf, sizeof(buf)), 5);
  EXPECT_STREQ(buf, "hello");
  // From a second process in the same sandbox.
  RunOutput client = Run({"python3", "-c",
                          "import socket\n"
                          "c = socket.create_connection(('127.0.0.1', " + port + "))\n"
                          "print(c.recv(16).decode())\n"});
  EXPECT_EQ(client.stdout_data, "hello\n") << client.stderr_data;
}

TEST_P(LauncherConformanceTest, ConnectToClosedPortIsUnavailable) {
  Sandbox& sandbox = Start();
  // Find a port nothing listens on (inside; on the host for the unisolated launcher).
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  EXPECT_THAT(sandbox.Connect(port, std::chrono::seconds(5)), StatusIs(StatusCode::kUnavailable));
  close(probe);
}

TEST_P(LauncherConformanceTest, ControllingTerminalOnCallerPty) {
  Sandbox& sandbox = Start();
  int master = -1, slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  UniqueFd m(master), s(slave);
  ProcessOptions options;
  options.argv = {"python3", "-c",
                  "import os; print('ctty', os.tcgetpgrp(0) == os.getpgrp(), os.isatty(1))"};
  options.stdin_stdio = Stdio::Fd(s.get());
  options.stdout_stdio = Stdio::Fd(s.get());
  options.stderr_stdio = Stdio::Fd(s.get());
  options.controlling_terminal = true;
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  s.reset();
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_TRUE(status.success()) << status.ToString();
  std::string got;
  char buf[256];
  struct pollfd pfd = {m.get(), POLLIN, 0};
  while (poll(&pfd, 1, 0) > 0) {
    ssize_t n = read(m.get(), buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("ctty True True"), std::string::npos) << got;
}

TEST_P(LauncherConformanceTest, StopKillsEverythingAndIsIdempotent) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"sleep", "30"};
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  ASSERT_OK(sandbox.Stop());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_OK(sandbox.Stop());
  EXPECT_THAT(sandbox.Spawn(options), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(LauncherConformanceTest, DestroyingASandboxStopsIt) {
  Sandbox& sandbox = Start();
  ProcessOptions options;
  options.argv = {"sleep", "30"};
  ASSERT_OK_AND_ASSIGN(auto process, sandbox.Spawn(options));
  const std::string id = sandbox.id();
  sandbox_.reset();
  ASSERT_OK_AND_ASSIGN(ExitStatus status, process->Wait());
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_FALSE(SandboxCgroupExists(id));
}

TEST_P(LauncherConformanceTest, RejectsInvalidSpec) {
  spec_.cwd = "relative";
  EXPECT_THAT(launcher_->Start(spec_), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace codesphere::sandbox::testing
