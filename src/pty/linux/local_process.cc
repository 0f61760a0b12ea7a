// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `NewLocalProcessStarter`: a plain child process on a PTY slave (posix_spawn with
// POSIX_SPAWN_SETSID; opening the slave then makes it the controlling terminal), waited for
// through a pidfd so that no SIGCHLD handler is needed.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/base/status_macros.h"
#include "codesphere/pty/pty.h"

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace codesphere::pty {
namespace {

class LocalPtyProcess final : public PtyProcess {
 public:
  LocalPtyProcess(pid_t pid, asio::posix::stream_descriptor pidfd)
      : pid_(pid), pidfd_(std::move(pidfd)) {}

  ~LocalPtyProcess() override {
    if (!reaped_) {
      // The child is a session leader, so its process group id is its pid.
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      // Reaping a SIGKILLed child is immediate; no need for a thread.
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    std::error_code ec;
    pidfd_.close(ec);
  }

  // pty::PtyProcess
  int pid() const override { return pid_; }

  Status Kill(int signo) override {
    if (reaped_) return NotFoundError("kill: process " + std::to_string(pid_) + " was reaped");
    if (signo < 0 || signo >= NSIG) return InvalidArgumentError("kill: bad signal number");
    if (::kill(pid_, signo) != 0) return ErrnoToStatus(errno, "kill");
    return OkStatus();
  }

  asio::awaitable<Result<ExitStatus>> Wait() override {
    if (reaped_) co_return FailedPreconditionError("wait: process already reaped");
    for (;;) {
      siginfo_t info = {};
      if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.native_handle()),
                   &info, WEXITED | WNOHANG) != 0) {
        if (errno == EINTR) continue;
        co_return ErrnoToStatus(errno, "wait for process " + std::to_string(pid_));
      }
      if (info.si_pid != 0) {
        reaped_ = true;
        ExitStatus st;
        if (info.si_code == CLD_EXITED) {
          st.code = info.si_status;
        } else {
          st.signal = info.si_status;
        }
        co_return st;
      }
      std::error_code ec;
      co_await pidfd_.async_wait(asio::posix::descriptor_base::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return CancelledError("wait: cancelled");
      if (ec) co_return InternalError("wait: " + ec.message());
    }
  }

 private:
  pid_t pid_;
  asio::posix::stream_descriptor pidfd_;
  bool reaped_ = false;
};

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

Result<std::unique_ptr<PtyProcess>> SpawnOnSlave(const LocalProcessOptions& options,
                                                 const PtySlave& slave) {
  if (options.argv.empty()) return InvalidArgumentError("spawn: empty argv");
  SpawnSetup s;
  // Setsid first (glibc runs it before the file actions), so opening the slave without
  // O_NOCTTY makes it the new session's controlling terminal.
  int rc = posix_spawnattr_setflags(
      &s.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&s.attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&s.attr, &all);
  if (rc == 0 && !options.cwd.empty()) {
    rc = posix_spawn_file_actions_addchdir_np(&s.actions, options.cwd.c_str());
  }
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&s.actions, 0, slave.path.c_str(), O_RDWR, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&s.actions, 0, 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&s.actions, 0, 2);
  if (rc != 0) return ErrnoToStatus(rc, "spawn: setup");

  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  if (options.env.empty()) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::string_view(*e).substr(0, 5) != "TERM=") env_storage.emplace_back(*e);
    }
    env_storage.emplace_back("TERM=xterm-256color");
  }
  const auto& env_src = options.env.empty() ? env_storage : options.env;
  std::vector<char*> envp;
  for (const auto& e : env_src) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  rc = posix_spawnp(&pid, argv[0], &s.actions, &s.attr, argv.data(), envp.data());
  if (rc != 0) return ErrnoToStatus(rc, "spawn " + options.argv[0]);

  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return ErrnoToStatus(err, "spawn: pidfd_open");
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  asio::posix::stream_descriptor descriptor(slave.executor);
  std::error_code ec;
  descriptor.assign(pidfd, ec);
  if (ec) {
    ::close(pidfd);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return InternalError("spawn: register pidfd: " + ec.message());
  }
  return std::unique_ptr<PtyProcess>(
      std::make_unique<LocalPtyProcess>(pid, std::move(descriptor)));
}

}  // namespace

ProcessStarter NewLocalProcessStarter(LocalProcessOptions options) {
  return [options = std::move(options)](const PtySlave& slave) {
    return SpawnOnSlave(options, slave);
  };
}

}  // namespace codesphere::pty
