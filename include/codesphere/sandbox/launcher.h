// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Launcher` starts a `Sandbox` from a `Spec`; a `Sandbox` lives until stopped and runs any
// number of `Process`es (a shell, a run command, a language server). Implementations:
// `LinuxNamespaceLauncher` (linux_namespace_launcher.h) and, for development only,
// `ProcessLauncherWithoutIsolation` (process_launcher.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/sandbox/process.h"
#include "codesphere/sandbox/spec.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox {

// Resource usage of a whole sandbox, as far as the launcher can measure it (0 when not).
struct SandboxStats {
  uint64_t memory_bytes = 0;       // Current memory charge of the sandbox's cgroup.
  uint64_t memory_peak_bytes = 0;  // Peak charge.
  uint64_t pids = 0;               // Tasks (processes + threads) now.
  uint64_t cpu_usage_ns = 0;       // CPU time consumed by all its processes.
  uint64_t oom_kills = 0;          // Processes killed by the OOM killer.
  // With a capped workspace (`RootFs::workspace_size_bytes`): the file system's usable size
  // and the bytes in use (statvfs of the volume); 0 without a cap.
  uint64_t workspace_size_bytes = 0;
  uint64_t workspace_used_bytes = 0;
};

// A running sandbox.
//
// Thread-safety: thread-safe.
class Sandbox {
 public:
  virtual ~Sandbox() = default;  // Stops the sandbox (see Stop).
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // A unique id (also the cgroup name), e.g. "cs-4f2a91c0-3".
  virtual const std::string& id() const = 0;

  // Starts a process. Returns kInvalidArgument for bad options (empty argv, bad fds),
  // kNotFound when argv[0] does not exist inside, kPermissionDenied when it is not
  // executable, kFailedPrecondition after Stop, and errno-mapped errors otherwise.
  virtual Result<std::unique_ptr<Process>> Spawn(const ProcessOptions& options) = 0;

  // Opens a TCP connection to `port` on the sandbox's own loopback (127.0.0.1), from the
  // host side, without giving the sandbox any network. Returns the connected socket, or
  // kUnavailable when nothing listens there, kDeadlineExceeded after `timeout`.
  virtual Result<UniqueFd> Connect(uint16_t port, std::chrono::milliseconds timeout) = 0;

  // Current usage of the whole sandbox.
  virtual Result<SandboxStats> Stats() = 0;

  // Kills every process in the sandbox (daemons included), waits until they are gone, and
  // releases its kernel objects (namespaces, cgroups). Idempotent.
  virtual Status Stop() = 0;

 protected:
  Sandbox() = default;
};

// Starts sandboxes. Sandboxes keep alive what they need of their launcher: destroying the
// launcher does not stop them.
//
// Thread-safety: thread-safe.
class Launcher {
 public:
  virtual ~Launcher() = default;
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Starts a sandbox for `spec`. Returns kInvalidArgument for an invalid spec,
  // kUnimplemented for options this launcher lacks, errno-mapped errors otherwise.
  virtual Result<std::unique_ptr<Sandbox>> Start(const Spec& spec) = 0;

 protected:
  Launcher() = default;
};

// Receives output chunks: `stream` is 1 for stdout, 2 for stderr. Runs on the caller's thread.
using OutputSink = unique_function<void(int stream, std::string_view data)>;

// Runs `options.argv` in `sandbox` with piped stdout/stderr (stdin as in `options`; a
// `Stdio::Pipe()` stdin reads EOF) and hands
// every chunk to `sink` as it arrives, until the process exits; then returns its status.
// When the output passes `output_limit` bytes (0: unlimited) the process is killed, the
// chunk is cut at the limit and `output_limit_exceeded` is set. Output still buffered at exit
// is delivered; a daemon left holding the pipes does not keep this call waiting.
Result<ExitStatus> RunAndStream(Sandbox& sandbox, ProcessOptions options, uint64_t output_limit,
                                OutputSink sink);

// What `RunAndCollect` gathered.
struct RunOutput {
  ExitStatus status;
  std::string stdout_data;
  std::string stderr_data;
};

// `RunAndStream` into two strings.
Result<RunOutput> RunAndCollect(Sandbox& sandbox, ProcessOptions options, uint64_t output_limit);

}  // namespace codesphere::sandbox
