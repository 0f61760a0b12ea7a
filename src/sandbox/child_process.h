// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// What both launchers share about spawned children: stdio preparation, the environment,
// waiting on the exec report, and `ChildProcess`, the `Process` implementation over a pidfd.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/thread_annotations.h"
#include "codesphere/sandbox/process.h"
#include "codesphere/sandbox/spec.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox::internal {

// Descriptors for a new child: `fd_map[i]` becomes its fd i. `child_ends` are closed in the
// parent once the child has them; `parent_*` are the supervisor ends of pipes.
struct PreparedStdio {
  std::vector<int> fd_map;
  std::vector<UniqueFd> child_ends;
  UniqueFd parent_stdin, parent_stdout, parent_stderr;
};
Result<PreparedStdio> PrepareStdio(const ProcessOptions& options);

// kInvalidArgument for an empty argv, NULs in strings, bad environment names, or a cwd that
// is neither empty nor absolute.
Status ValidateProcessOptions(const ProcessOptions& options);

// The environment of the sandbox: `spec.env` plus the `env_passthrough` variables present in
// the supervisor's environment now, as "KEY=VALUE" strings.
std::vector<std::string> SandboxEnvironment(const Spec& spec);
// `base` with `extra` added or overriding, sorted by key.
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& base,
                                          const std::vector<std::pair<std::string, std::string>>& extra);
// The PATH entries of an environment (absolute ones only).
std::vector<std::string> PathDirectories(const std::vector<std::string>& env);
// NUL-terminated pointer array over `strings` (which must outlive it).
std::vector<char*> PointerArray(const std::vector<std::string>& strings);

// Reads the child's report pipe until a `ChildReport` or EOF. A report with a failed step
// becomes a Status (`details` maps its detail index to a description; may be null). EOF
// without a report is OK when `eof_is_success` (exec closed the O_CLOEXEC pipe), else an
// error (the child died).
Status ReadChildReport(int report_fd, const std::vector<std::string>* details,
                       bool eof_is_success);

// Blocking waitid(P_PIDFD) that also returns the child's rusage.
Status ReapPidfd(int pidfd, siginfo_t* info, struct rusage* usage);

// The state of one spawned child, shared by its `Process` handle and its sandbox (which reaps
// everything on Stop).
//
// Thread-safety: thread-safe.
class ChildState {
 public:
  // `oom_kills` reads the sandbox's OOM kill counter (may be empty).
  ChildState(pid_t pid, UniqueFd pidfd, const Limits& limits, bool kill_group,
             std::function<uint64_t()> oom_kills);

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }

  Status Signal(int signal);
  // Waits up to `timeout` (nullopt: until exit), killing at the wall-time deadline.
  Result<ExitStatus> Wait(std::optional<std::chrono::milliseconds> timeout);
  // SIGKILL (when not reaped yet) and reap.
  void KillAndReap();

 private:
  void ReapLocked() CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t pid_;
  const UniqueFd pidfd_;
  const uint64_t cpu_time_seconds_;
  const bool kill_group_;
  const std::function<uint64_t()> oom_kills_;
  const uint64_t oom_kills_at_start_;
  const std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::mutex mu_;
  bool reaped_ CODESPHERE_GUARDED_BY(mu_) = false;
  bool wall_time_exceeded_ CODESPHERE_GUARDED_BY(mu_) = false;
  ExitStatus status_ CODESPHERE_GUARDED_BY(mu_);
};

// `Process` over a ChildState.
class ChildProcess final : public Process {
 public:
  ChildProcess(std::shared_ptr<ChildState> state, PreparedStdio stdio);
  ~ChildProcess() override;

  // sandbox::Process
  pid_t pid() const override { return state_->pid(); }
  int pidfd() const override { return state_->pidfd(); }
  UniqueFd TakeStdinPipe() override;
  UniqueFd TakeStdoutPipe() override;
  UniqueFd TakeStderrPipe() override;
  Status Signal(int signal) override { return state_->Signal(signal); }
  Result<ExitStatus> Wait() override { return state_->Wait(std::nullopt); }
  Result<ExitStatus> WaitFor(std::chrono::milliseconds timeout) override {
    return state_->Wait(timeout);
  }

 private:
  const std::shared_ptr<ChildState> state_;
  std::mutex mu_;
  UniqueFd stdin_ CODESPHERE_GUARDED_BY(mu_);
  UniqueFd stdout_ CODESPHERE_GUARDED_BY(mu_);
  UniqueFd stderr_ CODESPHERE_GUARDED_BY(mu_);
};

}  // namespace codesphere::sandbox::internal
