// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The no-isolation launcher: the same exec steps as the Linux launcher minus namespaces,
// cgroups, identity change and seccomp. For development only (see process_launcher.h).
#include "codesphere/sandbox/process_launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "sandbox/child_process.h"
#include "sandbox/linux/child.h"
#include "sandbox/linux/net_ns.h"

namespace codesphere::sandbox {
namespace {

using internal::ChildState;

class HostSandbox final : public Sandbox {
 public:
  HostSandbox(const Spec& spec, std::string id, std::shared_ptr<WorkspaceVolume> volume)
      : spec_(spec),
        id_(std::move(id)),
        env_(internal::SandboxEnvironment(spec)),
        volume_(std::move(volume)) {}
  ~HostSandbox() override { Stop().ok(); }

  // sandbox::Sandbox
  const std::string& id() const override { return id_; }

  Result<std::unique_ptr<Process>> Spawn(const ProcessOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(internal::ValidateProcessOptions(options));
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return FailedPreconditionError("the sandbox is stopped");
    CODESPHERE_ASSIGN_OR_RETURN(internal::PreparedStdio stdio, internal::PrepareStdio(options));
    const std::vector<std::string> env = internal::MergeEnvironment(env_, options.env);
    const std::vector<std::string> argv = options.argv;
    const std::string cwd = HostCwd(options.cwd.empty() ? spec_.cwd : options.cwd);
    internal::ExecPlan plan;
    plan.fd_map = stdio.fd_map;
    plan.cwd = cwd.empty() ? nullptr : cwd.c_str();
    plan.controlling_terminal = options.controlling_terminal;
    const Limits& l = spec_.limits;
    if (l.open_files) plan.rlimits.push_back({RLIMIT_NOFILE, {l.open_files, l.open_files}});
    if (l.file_size_bytes) {
      plan.rlimits.push_back({RLIMIT_FSIZE, {l.file_size_bytes, l.file_size_bytes}});
    }
    if (l.cpu_time_seconds) {
      plan.rlimits.push_back({RLIMIT_CPU, {l.cpu_time_seconds, l.cpu_time_seconds + 1}});
    }
    plan.argv = internal::PointerArray(argv);
    plan.envp = internal::PointerArray(env);
    plan.path_dirs = internal::PathDirectories(env);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
    UniqueFd report_read(fds[0]), report_write(fds[1]);
    plan.report_fd = report_write.get();
    int pidfd = -1;
    pid_t pid = internal::CloneWithPidfd(0, &pidfd);
    if (pid == 0) internal::RunExecSteps(plan);
    int err = errno;
    report_write.reset();
    stdio.child_ends.clear();
    if (pid < 0) return ErrnoToStatus(err, "clone");
    UniqueFd child_pidfd(pidfd);
    Status status = internal::ReadChildReport(report_read.get(), nullptr, true);
    if (!status.ok()) {
      siginfo_t info;
      struct rusage usage;
      internal::ReapPidfd(child_pidfd.get(), &info, &usage).ok();
      return status;
    }
    auto state = std::make_shared<ChildState>(pid, std::move(child_pidfd), spec_.limits,
                                              /*kill_group=*/true, nullptr);
    std::erase_if(children_, [](const std::weak_ptr<ChildState>& w) { return w.expired(); });
    children_.push_back(state);
    return std::unique_ptr<Process>(
        std::make_unique<internal::ChildProcess>(std::move(state), std::move(stdio)));
  }

  Result<UniqueFd> Connect(uint16_t port, std::chrono::milliseconds timeout) override {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return ErrnoToStatus(errno, "socket");
    return internal::ConnectLoopback(UniqueFd(fd), port, timeout);
  }

  Result<SandboxStats> Stats() override {
    std::lock_guard<std::mutex> lock(mu_);
    SandboxStats stats;
    if (volume_) {
      CODESPHERE_ASSIGN_OR_RETURN(WorkspaceVolumeUsage disk, volume_->Usage());
      stats.workspace_size_bytes = disk.size_bytes;
      stats.workspace_used_bytes = disk.used_bytes;
    }
    return stats;
  }

  Status Stop() override {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    for (const std::weak_ptr<ChildState>& weak : children_) {
      if (std::shared_ptr<ChildState> child = weak.lock()) child->KillAndReap();
    }
    children_.clear();
    volume_.reset();
    return OkStatus();
  }

 private:
  // `Spec::cwd` below `workspace_target` maps onto the workspace directory.
  std::string HostCwd(const std::string& cwd) const {
    const RootFs& fs = spec_.rootfs;
    if (fs.workspace.empty()) return "";
    if (cwd == fs.workspace_target) return fs.workspace;
    if (cwd.rfind(fs.workspace_target + "/", 0) == 0) {
      return fs.workspace + cwd.substr(fs.workspace_target.size());
    }
    return fs.workspace;
  }

  const Spec spec_;
  const std::string id_;
  const std::vector<std::string> env_;
  std::mutex mu_;
  bool stopped_ CODESPHERE_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<ChildState>> children_ CODESPHERE_GUARDED_BY(mu_);
  std::shared_ptr<WorkspaceVolume> volume_ CODESPHERE_GUARDED_BY(mu_);
};

class ProcessLauncherWithoutIsolation final : public Launcher {
 public:
  // sandbox::Launcher
  Result<std::unique_ptr<Sandbox>> Start(const Spec& spec) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateSpec(spec));
    LogWarning("starting a sandbox WITHOUT ISOLATION (ProcessLauncherWithoutIsolation)",
               {{"workspace", spec.rootfs.workspace}});
    // The size cap is a host mount, so it holds here too (the processes write through it).
    CODESPHERE_ASSIGN_OR_RETURN(std::shared_ptr<WorkspaceVolume> volume,
                                MountWorkspaceVolumeForSpec(spec));
    std::string id = "host-" + std::to_string(getpid()) + "-" + std::to_string(next_id_++);
    return std::unique_ptr<Sandbox>(
        std::make_unique<HostSandbox>(spec, std::move(id), std::move(volume)));
  }

 private:
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace

std::unique_ptr<Launcher> NewProcessLauncherWithoutIsolation() {
  return std::make_unique<ProcessLauncherWithoutIsolation>();
}

}  // namespace codesphere::sandbox
