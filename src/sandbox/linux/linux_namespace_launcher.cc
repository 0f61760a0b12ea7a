// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// LinuxNamespaceLauncher: a sandbox is an init process in fresh user/pid/mount/net/ipc/uts/
// cgroup namespaces plus its cgroup(s). Processes are spawned into it by joining those
// namespaces through the init's pidfd; Stop kills the init, which takes the whole pid
// namespace down.
#include "codesphere/sandbox/linux_namespace_launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "codesphere/base/check.h"
#include "codesphere/base/log.h"
#include "codesphere/base/safe_path.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/sandbox/safe_file.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "sandbox/child_process.h"
#include "sandbox/linux/cgroup.h"
#include "sandbox/linux/child.h"
#include "sandbox/linux/kernel_files.h"
#include "sandbox/linux/net_ns.h"
#include "sandbox/linux/spawner.h"
#include "sandbox/linux/user_ns.h"

namespace codesphere::sandbox {
namespace {

using internal::ChildState;

constexpr unsigned long kInitNamespaces =
    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;

Result<std::pair<UniqueFd, UniqueFd>> Pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// What all sandboxes of one launcher share. Sandboxes keep it alive: the spawner thread is
// the parent of their inits, which die with it (PR_SET_PDEATHSIG).
struct LauncherCore {
  LinuxNamespaceLauncherOptions options;
  std::unique_ptr<internal::CgroupManager> cgroups;
  internal::SeccompProgram seccomp;
  internal::IdAllocator ids;
  int cap_last = 0;
  UniqueFd host_pidns;
  UniqueFd init_memfd;  // the embedded reaper (invalid: the forked init reaps)
  std::atomic<uint64_t> next_id{0};
  internal::Spawner spawner;  // last: joined first on destruction

  LauncherCore(const LinuxNamespaceLauncherOptions& o)
      : options(o), ids(o.id_range_start, o.id_range_slots, o.id_lock_dir) {}
};

class LinuxSandbox final : public Sandbox {
 public:
  LinuxSandbox(std::shared_ptr<LauncherCore> core, const Spec& spec)
      : core_(std::move(core)),
        spec_(spec),
        id_("cs-" + std::to_string(getpid()) + "-" + std::to_string(core_->next_id++)),
        env_(internal::SandboxEnvironment(spec)) {}

  ~LinuxSandbox() override { Stop().ok(); }

  Status Init();

  // sandbox::Sandbox
  const std::string& id() const override { return id_; }
  Result<std::unique_ptr<Process>> Spawn(const ProcessOptions& options) override;
  Result<UniqueFd> Connect(uint16_t port, std::chrono::milliseconds timeout) override;
  Result<SandboxStats> Stats() override;
  Status Stop() override;

 private:
  Status StopLocked() CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<LauncherCore> core_;
  const Spec spec_;
  const std::string id_;
  const std::vector<std::string> env_;
  std::mutex mu_;
  bool started_ CODESPHERE_GUARDED_BY(mu_) = false;
  bool stopped_ CODESPHERE_GUARDED_BY(mu_) = false;
  std::optional<uint32_t> slot_ CODESPHERE_GUARDED_BY(mu_);
  std::shared_ptr<internal::SandboxCgroup> cgroup_ CODESPHERE_GUARDED_BY(mu_);
  std::vector<UniqueFd> cgroup_procs_ CODESPHERE_GUARDED_BY(mu_);
  pid_t init_pid_ CODESPHERE_GUARDED_BY(mu_) = -1;
  UniqueFd init_pidfd_ CODESPHERE_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<ChildState>> children_ CODESPHERE_GUARDED_BY(mu_);
  std::shared_ptr<WorkspaceVolume> volume_ CODESPHERE_GUARDED_BY(mu_);
};

Status LinuxSandbox::Init() {
  std::lock_guard<std::mutex> lock(mu_);
  CODESPHERE_ASSIGN_OR_RETURN(uint32_t slot, core_->ids.Allocate());
  slot_ = slot;
  internal::IdMapping ids;
  ids.inside_uid = spec_.user.uid;
  ids.inside_gid = spec_.user.gid;
  ids.outside_root_uid = ids.outside_root_gid = core_->ids.RootId(slot);
  ids.outside_user_uid = spec_.user.outside_uid ? spec_.user.outside_uid : core_->ids.UserId(slot);
  ids.outside_user_gid = spec_.user.outside_gid ? spec_.user.outside_gid : core_->ids.UserId(slot);

  // The capped workspace is mounted on the host before anything looks at it (chown, bind).
  CODESPHERE_ASSIGN_OR_RETURN(volume_, MountWorkspaceVolumeForSpec(spec_));
  if (core_->options.chown_workspace && !spec_.rootfs.workspace.empty()) {
    CODESPHERE_ASSIGN_OR_RETURN(SafeDir workspace, SafeDir::Open(spec_.rootfs.workspace));
    CODESPHERE_RETURN_IF_ERROR(
        workspace.ChownTree("", ids.outside_user_uid, ids.outside_user_gid));
  }
  CODESPHERE_ASSIGN_OR_RETURN(internal::RootPlan root,
                              internal::BuildRootPlan(spec_, core_->options.staging_dir));

  internal::CgroupLimits limits{spec_.limits.memory_bytes, spec_.limits.pids,
                                spec_.limits.cpu_millis};
  CODESPHERE_ASSIGN_OR_RETURN(std::unique_ptr<internal::SandboxCgroup> cgroup,
                              core_->cgroups->Create(id_, limits));
  cgroup_ = std::move(cgroup);
  CODESPHERE_ASSIGN_OR_RETURN(cgroup_procs_, cgroup_->OpenProcs());

  CODESPHERE_ASSIGN_OR_RETURN(auto sync, Pipe());
  CODESPHERE_ASSIGN_OR_RETURN(auto report, Pipe());
  internal::InitPlan plan;
  plan.sync_fd = sync.first.get();
  plan.report_fd = report.second.get();
  plan.root = &root;
  plan.hostname = spec_.hostname.c_str();
  plan.init_exec_fd = core_->init_memfd.get();
  pid_t pid = -1;
  int pidfd = -1;
  int clone_errno = 0;
  core_->spawner.Run([&] {
    pid = internal::CloneWithPidfd(kInitNamespaces, &pidfd);
    if (pid == 0) internal::RunInitSteps(plan);
    clone_errno = errno;
  });
  sync.first.reset();
  report.second.reset();
  if (pid < 0) return ErrnoToStatus(clone_errno, "clone the sandbox init");
  init_pid_ = pid;
  init_pidfd_.reset(pidfd);
  started_ = true;

  Status status = internal::WriteIdMaps(pid, ids);
  if (status.ok()) status = cgroup_->AddProcess(pid);
  // The OOM killer should pick the offender, never pid 1 (whose death ends the sandbox).
  // Best effort: lowering the score needs CAP_SYS_RESOURCE, which some hosts withhold; the
  // reaper's tiny footprint keeps it last in line anyway.
  if (status.ok() && !internal::WriteProcFile(pid, "oom_score_adj", "-1000").ok()) {
    LogDebug("cannot protect the sandbox init from the OOM killer", {{"sandbox", id_}});
  }
  if (status.ok() && !internal::WriteFully(sync.second.get(), "x", 1)) {
    status = ErrnoToStatus(errno, "releasing the sandbox init");
  }
  sync.second.reset();
  if (status.ok()) status = internal::ReadChildReport(report.first.get(), &root.descriptions, false);
  if (!status.ok()) {
    StopLocked().ok();
    return status;
  }
  return OkStatus();
}

Result<std::unique_ptr<Process>> LinuxSandbox::Spawn(const ProcessOptions& options) {
  CODESPHERE_RETURN_IF_ERROR(internal::ValidateProcessOptions(options));
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || !started_) return FailedPreconditionError("the sandbox is stopped");

  CODESPHERE_ASSIGN_OR_RETURN(internal::PreparedStdio stdio, internal::PrepareStdio(options));
  const std::vector<std::string> env = internal::MergeEnvironment(env_, options.env);
  const std::vector<std::string> argv = options.argv;
  internal::ExecPlan plan;
  for (const UniqueFd& fd : cgroup_procs_) plan.cgroup_procs_fds.push_back(fd.get());
  plan.ns_pidfd = init_pidfd_.get();
  plan.fd_map = stdio.fd_map;
  plan.cwd = options.cwd.empty() ? spec_.cwd.c_str() : options.cwd.c_str();
  plan.controlling_terminal = options.controlling_terminal;
  const Limits& l = spec_.limits;
  plan.rlimits.push_back({RLIMIT_CORE, {0, 0}});
  if (l.open_files) plan.rlimits.push_back({RLIMIT_NOFILE, {l.open_files, l.open_files}});
  if (l.file_size_bytes) {
    plan.rlimits.push_back({RLIMIT_FSIZE, {l.file_size_bytes, l.file_size_bytes}});
  }
  if (l.cpu_time_seconds) {
    plan.rlimits.push_back({RLIMIT_CPU, {l.cpu_time_seconds, l.cpu_time_seconds + 1}});
  }
  plan.drop_privileges = true;
  plan.uid = spec_.user.uid;
  plan.gid = spec_.user.gid;
  plan.cap_last = core_->cap_last;
  plan.seccomp = &core_->seccomp;
  plan.argv = internal::PointerArray(argv);
  plan.envp = internal::PointerArray(env);
  plan.path_dirs = internal::PathDirectories(env);
  CODESPHERE_ASSIGN_OR_RETURN(auto report, Pipe());
  plan.report_fd = report.second.get();

  pid_t pid = -1;
  int pidfd = -1;
  int err = 0;
  const int init_pidfd = init_pidfd_.get();
  const int host_pidns = core_->host_pidns.get();
  core_->spawner.Run([&] {
    if (setns(init_pidfd, CLONE_NEWPID) != 0) {
      err = errno;
      return;
    }
    pid = internal::CloneWithPidfd(0, &pidfd);
    if (pid == 0) internal::RunExecSteps(plan);
    err = errno;
    CODESPHERE_CHECK_MSG(setns(host_pidns, CLONE_NEWPID) == 0,
                         "spawner thread cannot return to the host pid namespace");
  });
  report.second.reset();
  stdio.child_ends.clear();
  if (pid < 0) return ErrnoToStatus(err, "spawning into the sandbox");
  UniqueFd child_pidfd(pidfd);
  Status status = internal::ReadChildReport(report.first.get(), nullptr, true);
  if (!status.ok()) {
    siginfo_t info;
    struct rusage usage;
    internal::ReapPidfd(child_pidfd.get(), &info, &usage).ok();
    return status;
  }
  std::shared_ptr<internal::SandboxCgroup> cgroup = cgroup_;
  auto state = std::make_shared<ChildState>(pid, std::move(child_pidfd), spec_.limits, false,
                                            [cgroup] { return cgroup->OomKills(); });
  std::erase_if(children_, [](const std::weak_ptr<ChildState>& w) { return w.expired(); });
  children_.push_back(state);
  return std::unique_ptr<Process>(
      std::make_unique<internal::ChildProcess>(std::move(state), std::move(stdio)));
}

Result<UniqueFd> LinuxSandbox::Connect(uint16_t port, std::chrono::milliseconds timeout) {
  int pidfd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || !started_) return FailedPreconditionError("the sandbox is stopped");
    pidfd = fcntl(init_pidfd_.get(), F_DUPFD_CLOEXEC, 0);
    if (pidfd < 0) return ErrnoToStatus(errno, "dup pidfd");
  }
  UniqueFd keep(pidfd);
  return internal::ConnectInNetns(keep.get(), port, timeout);
}

Result<SandboxStats> LinuxSandbox::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || !cgroup_) return FailedPreconditionError("the sandbox is stopped");
  CODESPHERE_ASSIGN_OR_RETURN(internal::CgroupUsage usage, cgroup_->Usage());
  SandboxStats stats;
  stats.memory_bytes = usage.memory_bytes;
  stats.memory_peak_bytes = usage.memory_peak_bytes;
  stats.pids = usage.pids;
  stats.cpu_usage_ns = usage.cpu_usage_ns;
  stats.oom_kills = usage.oom_kills;
  if (volume_) {
    CODESPHERE_ASSIGN_OR_RETURN(WorkspaceVolumeUsage disk, volume_->Usage());
    stats.workspace_size_bytes = disk.size_bytes;
    stats.workspace_used_bytes = disk.used_bytes;
  }
  return stats;
}

Status LinuxSandbox::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  return StopLocked();
}

Status LinuxSandbox::StopLocked() {
  if (stopped_) return OkStatus();
  stopped_ = true;
  Status first;
  if (init_pidfd_.valid()) {
    // Killing pid 1 makes the kernel SIGKILL everything else in the namespace. Our direct
    // children (spawned processes) must be reaped before the init can finish exiting.
    syscall(SYS_pidfd_send_signal, init_pidfd_.get(), SIGKILL, nullptr, 0);
  }
  if (cgroup_) {
    Status s = cgroup_->KillAll();
    if (first.ok() && !s.ok()) first = s;
  }
  for (const std::weak_ptr<ChildState>& weak : children_) {
    if (std::shared_ptr<ChildState> child = weak.lock()) child->KillAndReap();
  }
  children_.clear();
  if (init_pidfd_.valid()) {
    siginfo_t info;
    struct rusage usage;
    Status s = internal::ReapPidfd(init_pidfd_.get(), &info, &usage);
    if (first.ok() && !s.ok()) first = s;
    init_pidfd_.reset();
  }
  cgroup_procs_.clear();
  if (cgroup_) {
    Status s = cgroup_->Remove();
    if (first.ok() && !s.ok()) first = s;
    cgroup_.reset();
  }
  if (slot_) {
    core_->ids.Release(*slot_);
    slot_.reset();
  }
  // Last: every process (and with it the sandbox's mount namespace) is gone. Unmounts when
  // no other sandbox of this workspace (nor the platform) holds the volume.
  volume_.reset();
  return first;
}

class LinuxNamespaceLauncher final : public Launcher {
 public:
  explicit LinuxNamespaceLauncher(std::shared_ptr<LauncherCore> core) : core_(std::move(core)) {}

  // sandbox::Launcher
  Result<std::unique_ptr<Sandbox>> Start(const Spec& spec) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateSpec(spec));
    if (spec.network != NetworkMode::kNone) {
      return UnimplementedError("LinuxNamespaceLauncher offers network mode 'none' only");
    }
    auto sandbox = std::make_unique<LinuxSandbox>(core_, spec);
    CODESPHERE_RETURN_IF_ERROR(sandbox->Init());
    return std::unique_ptr<Sandbox>(std::move(sandbox));
  }

 private:
  const std::shared_ptr<LauncherCore> core_;
};

Result<std::shared_ptr<LauncherCore>> MakeCore(const LinuxNamespaceLauncherOptions& options) {
  if (options.id_range_slots == 0 || options.id_range_start == 0 ||
      static_cast<uint64_t>(options.id_range_start) + 2ull * options.id_range_slots >
          0xfffffffeull) {
    return InvalidArgumentError("bad id range");
  }
  for (const std::string* dir : {&options.staging_dir, &options.id_lock_dir}) {
    if (dir->empty() || (*dir)[0] != '/') {
      return InvalidArgumentError("staging_dir and id_lock_dir must be absolute paths");
    }
  }
  auto core = std::make_shared<LauncherCore>(options);
  CODESPHERE_ASSIGN_OR_RETURN(core->cgroups, internal::DetectCgroups(options.cgroup_parent));
  CODESPHERE_ASSIGN_OR_RETURN(core->seccomp, internal::BuildSeccompDenyList());
  CODESPHERE_RETURN_IF_ERROR(MakeDirectories(options.staging_dir));
  CODESPHERE_RETURN_IF_ERROR(MakeDirectories(options.id_lock_dir));
  core->cap_last = internal::ReadCapLastCap();
  int fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open /proc/self/ns/pid");
  core->host_pidns.reset(fd);
  CODESPHERE_ASSIGN_OR_RETURN(core->init_memfd, internal::CreateInitMemfd());
  return core;
}

}  // namespace

Status ProbeLinuxNamespaceSupport(const LinuxNamespaceLauncherOptions& options) {
  if (geteuid() != 0) {
    return PermissionDeniedError("LinuxNamespaceLauncher needs root (uid maps, cgroups)");
  }
  CODESPHERE_ASSIGN_OR_RETURN(auto core, MakeCore(options));
  // Can we create all the namespaces?
  int pidfd = -1;
  pid_t pid = internal::CloneWithPidfd(kInitNamespaces | CLONE_NEWCGROUP, &pidfd);
  if (pid == 0) syscall(SYS_exit_group, 0);
  if (pid < 0) return ErrnoToStatus(errno, "clone with all namespaces");
  UniqueFd keep(pidfd);
  siginfo_t info;
  struct rusage usage;
  return internal::ReapPidfd(keep.get(), &info, &usage);
}

Result<std::unique_ptr<Launcher>> NewLinuxNamespaceLauncher(
    const LinuxNamespaceLauncherOptions& options) {
  if (geteuid() != 0) {
    return PermissionDeniedError("LinuxNamespaceLauncher needs root (uid maps, cgroups)");
  }
  CODESPHERE_ASSIGN_OR_RETURN(auto core, MakeCore(options));
  return std::unique_ptr<Launcher>(std::make_unique<LinuxNamespaceLauncher>(std::move(core)));
}

}  // namespace codesphere::sandbox
