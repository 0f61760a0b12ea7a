// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Launcher-independent helpers: ExitStatus formatting and RunAndCollect.
#include "codesphere/sandbox/launcher.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "codesphere/base/status_macros.h"

namespace codesphere::sandbox {

std::string ExitStatus::ToString() const {
  std::string out = signal == 0 ? "exited " + std::to_string(exit_code)
                                : "killed by signal " + std::to_string(signal) + " (" +
                                      std::string(sigabbrev_np(signal) ? sigabbrev_np(signal) : "?") + ")";
  if (oom_killed) out += " [out of memory]";
  if (wall_time_exceeded) out += " [wall time limit]";
  if (cpu_time_exceeded) out += " [cpu time limit]";
  if (output_limit_exceeded) out += " [output limit]";
  return out;
}

Result<ExitStatus> RunAndStream(Sandbox& sandbox, ProcessOptions options, uint64_t output_limit,
                                OutputSink sink) {
  options.stdout_stdio = Stdio::Pipe();
  options.stderr_stdio = Stdio::Pipe();
  CODESPHERE_ASSIGN_OR_RETURN(std::unique_ptr<Process> process, sandbox.Spawn(options));
  process->TakeStdinPipe().reset();  // a piped stdin reads EOF: nobody here writes to it
  UniqueFd pipes[2] = {process->TakeStdoutPipe(), process->TakeStderrPipe()};
  bool over_limit = false;
  uint64_t total = 0;
  char buf[65536];
  // Reads once from pipe `i` into the sink; false at EOF or past the limit.
  auto consume = [&](int i) {
    ssize_t r;
    do {
      r = read(pipes[i].get(), buf, sizeof(buf));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
      pipes[i].reset();
      return false;
    }
    uint64_t keep = static_cast<uint64_t>(r);
    if (output_limit != 0) keep = std::min(keep, output_limit - std::min(total, output_limit));
    if (keep > 0) sink(i + 1, std::string_view(buf, keep));
    total += static_cast<uint64_t>(r);
    if (output_limit != 0 && total > output_limit) {
      over_limit = true;
      process->Signal(SIGKILL).ok();
      pipes[0].reset();
      pipes[1].reset();
      return false;
    }
    return true;
  };
  // Until exit; the poll timeout gives WaitFor a chance to enforce the wall-time limit.
  bool exited = false;
  while ((pipes[0].valid() || pipes[1].valid()) && !exited) {
    struct pollfd fds[3] = {{pipes[0].get(), POLLIN, 0}, {pipes[1].get(), POLLIN, 0},
                            {process->pidfd(), POLLIN, 0}};
    int n = poll(fds, 3, 100);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "poll");
    if (n == 0) {
      exited = process->WaitFor(std::chrono::milliseconds(0)).ok();
      continue;
    }
    exited = (fds[2].revents & POLLIN) != 0;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents != 0) consume(i);
    }
  }
  // After exit: only what is already buffered.
  for (int i = 0; i < 2; ++i) {
    for (;;) {
      struct pollfd one = {pipes[i].get(), POLLIN, 0};
      if (!pipes[i].valid() || poll(&one, 1, 0) <= 0 || !consume(i)) break;
    }
  }
  CODESPHERE_ASSIGN_OR_RETURN(ExitStatus status, process->Wait());
  status.output_limit_exceeded = over_limit;
  return status;
}

Result<RunOutput> RunAndCollect(Sandbox& sandbox, ProcessOptions options, uint64_t output_limit) {
  RunOutput result;
  CODESPHERE_ASSIGN_OR_RETURN(
      result.status,
      RunAndStream(sandbox, std::move(options), output_limit, [&](int stream, std::string_view d) {
        (stream == 1 ? result.stdout_data : result.stderr_data).append(d);
      }));
  return result;
}

}  // namespace codesphere::sandbox
