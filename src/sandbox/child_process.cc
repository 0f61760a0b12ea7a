// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "sandbox/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "codesphere/base/status_macros.h"
#include "sandbox/linux/child.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace codesphere::sandbox::internal {
namespace {

Result<UniqueFd> OpenDevNull(int flags) {
  int fd = open("/dev/null", flags | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open /dev/null");
  return UniqueFd(fd);
}

Status PrepareOne(const Stdio& stdio, bool is_input, PreparedStdio* out, UniqueFd* parent_end) {
  switch (stdio.kind) {
    case Stdio::Kind::kNull: {
      CODESPHERE_ASSIGN_OR_RETURN(UniqueFd fd, OpenDevNull(is_input ? O_RDONLY : O_WRONLY));
      out->fd_map.push_back(fd.get());
      out->child_ends.push_back(std::move(fd));
      return OkStatus();
    }
    case Stdio::Kind::kPipe: {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
      UniqueFd read_end(fds[0]), write_end(fds[1]);
      if (is_input) {
        out->fd_map.push_back(read_end.get());
        out->child_ends.push_back(std::move(read_end));
        *parent_end = std::move(write_end);
      } else {
        out->fd_map.push_back(write_end.get());
        out->child_ends.push_back(std::move(write_end));
        *parent_end = std::move(read_end);
      }
      return OkStatus();
    }
    case Stdio::Kind::kFd:
      if (stdio.fd < 0 || fcntl(stdio.fd, F_GETFD) < 0) {
        return InvalidArgumentError("stdio descriptor " + std::to_string(stdio.fd) +
                                    " is not open");
      }
      out->fd_map.push_back(stdio.fd);
      return OkStatus();
  }
  return InvalidArgumentError("unknown stdio kind");
}

}  // namespace

Result<PreparedStdio> PrepareStdio(const ProcessOptions& options) {
  PreparedStdio out;
  CODESPHERE_RETURN_IF_ERROR(PrepareOne(options.stdin_stdio, true, &out, &out.parent_stdin));
  CODESPHERE_RETURN_IF_ERROR(PrepareOne(options.stdout_stdio, false, &out, &out.parent_stdout));
  CODESPHERE_RETURN_IF_ERROR(PrepareOne(options.stderr_stdio, false, &out, &out.parent_stderr));
  if (options.extra_fds.size() > 32) return InvalidArgumentError("more than 32 extra fds");
  for (int fd : options.extra_fds) {
    if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
      return InvalidArgumentError("extra descriptor " + std::to_string(fd) + " is not open");
    }
    out.fd_map.push_back(fd);
  }
  return out;
}

Status ValidateProcessOptions(const ProcessOptions& options) {
  auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  if (options.argv.empty()) return InvalidArgumentError("argv is empty");
  for (const std::string& arg : options.argv) {
    if (has_nul(arg)) return InvalidArgumentError("argv contains NUL");
  }
  for (const auto& [k, v] : options.env) {
    if (k.empty() || k.find('=') != std::string::npos || has_nul(k) || has_nul(v)) {
      return InvalidArgumentError("bad environment variable '" + k + "'");
    }
  }
  if (!options.cwd.empty() && (options.cwd[0] != '/' || has_nul(options.cwd))) {
    return InvalidArgumentError("cwd '" + options.cwd + "' is not an absolute path");
  }
  return OkStatus();
}

std::vector<std::string> SandboxEnvironment(const Spec& spec) {
  std::map<std::string, std::string> env(spec.env.begin(), spec.env.end());
  for (const std::string& name : spec.env_passthrough) {
    if (const char* value = getenv(name.c_str()); value != nullptr) env[name] = value;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<std::string> MergeEnvironment(
    const std::vector<std::string>& base,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> env;
  for (const std::string& kv : base) {
    size_t eq = kv.find('=');
    env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<std::string> PathDirectories(const std::vector<std::string>& env) {
  std::vector<std::string> dirs;
  for (const std::string& kv : env) {
    if (kv.rfind("PATH=", 0) != 0) continue;
    size_t pos = 5;
    while (pos <= kv.size()) {
      size_t end = kv.find(':', pos);
      if (end == std::string::npos) end = kv.size();
      std::string dir = kv.substr(pos, end - pos);
      if (!dir.empty() && dir[0] == '/') dirs.push_back(dir);
      pos = end + 1;
    }
  }
  return dirs;
}

std::vector<char*> PointerArray(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Status ReadChildReport(int report_fd, const std::vector<std::string>* details,
                       bool eof_is_success) {
  ChildReport report{};
  size_t got = 0;
  while (got < sizeof(report)) {
    ssize_t n = read(report_fd, reinterpret_cast<char*>(&report) + got, sizeof(report) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "reading the child's report");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got == 0) {
    return eof_is_success ? OkStatus() : InternalError("the sandbox init died during setup");
  }
  if (got != sizeof(report)) return InternalError("truncated report from the child");
  if (report.step == kStepOk) return OkStatus();
  const char* detail = nullptr;
  if (details != nullptr && report.detail >= 0 &&
      static_cast<size_t>(report.detail) < details->size() &&
      (report.step == kStepRootFs || report.step == kStepMaskProc)) {
    detail = (*details)[static_cast<size_t>(report.detail)].c_str();
  }
  return ChildReportToStatus(report, detail);
}

Status ReapPidfd(int pidfd, siginfo_t* info, struct rusage* usage) {
  for (;;) {
    *info = {};
    if (syscall(SYS_waitid, P_PIDFD, pidfd, info, WEXITED, usage) == 0) return OkStatus();
    if (errno == EINTR) continue;
    // A pidfd whose file description is O_NONBLOCK (a caller handed a dup of it to an event
    // loop, which sets that flag on the shared description) makes waitid fail with EAGAIN
    // while the process still runs. Wait for the exit on the pidfd, then reap.
    if (errno == EAGAIN) {
      struct pollfd pfd = {pidfd, POLLIN, 0};
      if (poll(&pfd, 1, -1) < 0 && errno != EINTR) return ErrnoToStatus(errno, "poll pidfd");
      continue;
    }
    return ErrnoToStatus(errno, "waitid");
  }
}

ChildState::ChildState(pid_t pid, UniqueFd pidfd, const Limits& limits, bool kill_group,
                       std::function<uint64_t()> oom_kills)
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      cpu_time_seconds_(limits.cpu_time_seconds),
      kill_group_(kill_group),
      oom_kills_(std::move(oom_kills)),
      oom_kills_at_start_(oom_kills_ ? oom_kills_() : 0),
      deadline_(limits.wall_time_ms == 0
                    ? std::nullopt
                    : std::optional(std::chrono::steady_clock::now() +
                                    std::chrono::milliseconds(limits.wall_time_ms))) {}

Status ChildState::Signal(int signal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reaped_) return FailedPreconditionError("the process has already been reaped");
  if (syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0) {
    return ErrnoToStatus(errno, "pidfd_send_signal");
  }
  if (kill_group_) kill(-pid_, signal);
  return OkStatus();
}

void ChildState::ReapLocked() {
  siginfo_t info;
  struct rusage usage = {};
  if (!ReapPidfd(pidfd_.get(), &info, &usage).ok()) {
    status_.signal = SIGKILL;  // ECHILD: someone else reaped it; report it as killed
    reaped_ = true;
    return;
  }
  reaped_ = true;
  if (info.si_code == CLD_EXITED) {
    status_.exit_code = info.si_status;
  } else {
    status_.signal = info.si_status;
  }
  status_.wall_time_exceeded = wall_time_exceeded_;
  if (status_.signal == SIGKILL && !wall_time_exceeded_ && oom_kills_) {
    status_.oom_killed = oom_kills_() > oom_kills_at_start_;
  }
  if (cpu_time_seconds_ != 0 && (status_.signal == SIGXCPU || status_.signal == SIGKILL)) {
    uint64_t cpu_seconds = static_cast<uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec);
    status_.cpu_time_exceeded = status_.signal == SIGXCPU || cpu_seconds >= cpu_time_seconds_;
  }
}

Result<ExitStatus> ChildState::Wait(std::optional<std::chrono::milliseconds> timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reaped_) return status_;
  }
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    int wait_ms = -1;
    bool deadline_is_wall = false;
    if (deadline_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - now);
      wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
      deadline_is_wall = true;
    }
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + *timeout - now);
      int t = static_cast<int>(std::max<int64_t>(0, left.count()));
      if (wait_ms < 0 || t < wait_ms) {
        wait_ms = t;
        deadline_is_wall = false;
      }
    }
    struct pollfd pfd = {pidfd_.get(), POLLIN, 0};
    int n = poll(&pfd, 1, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "poll pidfd");
    std::lock_guard<std::mutex> lock(mu_);
    if (reaped_) return status_;
    if (n > 0) {
      ReapLocked();
      return status_;
    }
    if (deadline_is_wall) {
      wall_time_exceeded_ = true;
      syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
      if (kill_group_) kill(-pid_, SIGKILL);
      ReapLocked();
      return status_;
    }
    return DeadlineExceededError("the process is still running");
  }
}

void ChildState::KillAndReap() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reaped_) return;
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  if (kill_group_) kill(-pid_, SIGKILL);
  ReapLocked();
}

ChildProcess::ChildProcess(std::shared_ptr<ChildState> state, PreparedStdio stdio)
    : state_(std::move(state)),
      stdin_(std::move(stdio.parent_stdin)),
      stdout_(std::move(stdio.parent_stdout)),
      stderr_(std::move(stdio.parent_stderr)) {}

ChildProcess::~ChildProcess() { state_->KillAndReap(); }

UniqueFd ChildProcess::TakeStdinPipe() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(stdin_);
}
UniqueFd ChildProcess::TakeStdoutPipe() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(stdout_);
}
UniqueFd ChildProcess::TakeStderrPipe() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(stderr_);
}

}  // namespace codesphere::sandbox::internal
