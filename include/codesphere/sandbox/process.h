// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Process`: one program running in a `Sandbox`, and `ProcessOptions`, how to start it
// (argv, environment additions, stdio, controlling terminal, extra descriptors).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox {

// Where one of stdin/stdout/stderr of a new process goes.
struct Stdio {
  enum class Kind : int {
    kNull = 0,  // /dev/null.
    kPipe = 1,  // A fresh pipe; the supervisor's end is `Process::stdin_pipe()` etc.
    kFd = 2,    // The caller's descriptor `fd` (e.g. a PTY slave); the caller keeps it.
  };
  Kind kind = Kind::kNull;
  int fd = -1;

  static Stdio Null() { return {}; }
  static Stdio Pipe() { return {Kind::kPipe, -1}; }
  static Stdio Fd(int fd) { return {Kind::kFd, fd}; }
};

// How to start one process in a sandbox.
struct ProcessOptions {
  // argv[0] is looked up in the spec's PATH when it has no '/'. REQUIRES: non-empty.
  std::vector<std::string> argv;
  // Added to (or overriding) the spec's environment for this process only.
  std::vector<std::pair<std::string, std::string>> env;
  // Working directory inside; empty uses `Spec::cwd`. Default: "".
  std::string cwd;
  Stdio stdin_stdio;
  Stdio stdout_stdio;
  Stdio stderr_stdio;
  // Make stdin the controlling terminal (setsid + TIOCSCTTY); for PTY slaves. The process
  // always runs in its own session. Default: false.
  bool controlling_terminal = false;
  // Caller descriptors passed in as fds 3, 4, ... in this order. Nothing else crosses.
  std::vector<int> extra_fds;
};

// How a process ended, with the limit that ended it when one did.
struct ExitStatus {
  // The exit code when the process exited, else -1.
  int exit_code = -1;
  // The terminating signal when it was killed, else 0.
  int signal = 0;
  // Killed by the cgroup OOM killer (the memory limit).
  bool oom_killed = false;
  // Killed because `Limits::wall_time_ms` passed.
  bool wall_time_exceeded = false;
  // Killed by RLIMIT_CPU (SIGXCPU/SIGKILL after `Limits::cpu_time_seconds`).
  bool cpu_time_exceeded = false;
  // Killed by `RunAndCollect` because the output passed `Limits::output_bytes`.
  bool output_limit_exceeded = false;

  bool success() const { return exit_code == 0 && signal == 0; }
  // "exited 0", "killed by signal 9 (oom)", ...
  std::string ToString() const;
};

// A process in a sandbox. Destroying a `Process` that was not waited for kills it (SIGKILL)
// and reaps it.
//
// Thread-safety: thread-safe (Wait from one thread while Signal from another).
class Process {
 public:
  virtual ~Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The host pid (not the pid inside the sandbox's pid namespace).
  virtual pid_t pid() const = 0;
  // A pidfd for the process (poll it for exit, e.g. with asio::posix::stream_descriptor).
  // Owned by the Process.
  virtual int pidfd() const = 0;

  // The supervisor ends of `Stdio::Pipe()` streams; invalid when not a pipe. Taking moves
  // ownership to the caller (call once).
  virtual UniqueFd TakeStdinPipe() = 0;
  virtual UniqueFd TakeStdoutPipe() = 0;
  virtual UniqueFd TakeStderrPipe() = 0;

  // Sends `signal` to the process. Returns kFailedPrecondition once it has been reaped.
  virtual Status Signal(int signal) = 0;

  // Blocks until the process ends (enforcing `Limits::wall_time_ms`), reaps it and returns
  // how it ended. Later calls return the same status.
  virtual Result<ExitStatus> Wait() = 0;
  // As Wait, but gives up after `timeout` with kDeadlineExceeded (the process keeps running).
  virtual Result<ExitStatus> WaitFor(std::chrono::milliseconds timeout) = 0;

 protected:
  Process() = default;
};

}  // namespace codesphere::sandbox
