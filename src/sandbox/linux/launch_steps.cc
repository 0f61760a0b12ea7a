// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The steps between clone() and exec(), listed flatly and in order (cf. nsjail
// contain.cc:containProc). Only async-signal-safe calls: raw syscalls on data the parent
// prepared (child.h). Any failure is reported as (step, errno) on the report pipe.
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "sandbox/linux/child.h"

namespace codesphere::sandbox::internal {

const char* ChildStepName(int32_t step) {
  switch (step) {
    case kStepOk: return "ok";
    case kStepSync: return "waiting for the supervisor";
    case kStepIdentity: return "setting the inside identity";
    case kStepCgroupNs: return "creating the cgroup namespace";
    case kStepPrivateMounts: return "making mounts private";
    case kStepRootFs: return "composing the root filesystem";
    case kStepPivotRoot: return "pivot_root";
    case kStepMaskProc: return "masking /proc";
    case kStepHostname: return "setting the hostname";
    case kStepLoopback: return "bringing up loopback";
    case kStepJoinCgroup: return "joining the cgroups";
    case kStepJoinNamespaces: return "joining the namespaces";
    case kStepStdio: return "installing stdio";
    case kStepChdir: return "changing to the working directory";
    case kStepSession: return "creating a session";
    case kStepRlimits: return "setting rlimits";
    case kStepDropPrivileges: return "dropping privileges";
    case kStepNoNewPrivs: return "setting no_new_privs";
    case kStepSeccomp: return "installing seccomp";
    case kStepExec: return "exec";
    default: return "unknown step";
  }
}

Status ChildReportToStatus(const ChildReport& report, const char* what_detail) {
  std::string context = std::string("sandbox setup failed at ") + ChildStepName(report.step);
  if (what_detail != nullptr && *what_detail != '\0') context += std::string(" (") + what_detail + ")";
  return ErrnoToStatus(report.err, context);
}

bool WriteFully(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = syscall(SYS_write, fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void ChildFail(int report_fd, int32_t step, int32_t err, int32_t detail) {
  ChildReport report{step, err, detail};
  WriteFully(report_fd, &report, sizeof(report));
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

void CloseAllExcept(const int* keep, int n) {
  int sorted[8];
  int count = 0;
  for (int i = 0; i < n && count < 8; ++i) {
    if (keep[i] < 3) continue;
    int j = count++;
    while (j > 0 && sorted[j - 1] > keep[i]) {
      sorted[j] = sorted[j - 1];
      --j;
    }
    sorted[j] = keep[i];
  }
  unsigned int from = 3;
  for (int i = 0; i < count; ++i) {
    if (static_cast<unsigned int>(sorted[i]) > from) {
      syscall(SYS_close_range, from, static_cast<unsigned int>(sorted[i]) - 1, 0);
    }
    from = static_cast<unsigned int>(sorted[i]) + 1;
  }
  syscall(SYS_close_range, from, ~0u, 0);
}

pid_t CloneWithPidfd(unsigned long extra_flags, int* pidfd) {
  // x86_64 and aarch64 argument order: flags, stack, parent_tid, child_tid, tls. A null stack
  // makes the child continue on a copy of ours, like fork(); CLONE_PIDFD stores the pidfd
  // through the parent_tid pointer.
  return static_cast<pid_t>(
      syscall(SYS_clone, extra_flags | CLONE_PIDFD | SIGCHLD, nullptr, pidfd, nullptr, 0));
}

namespace {

// The kernel's struct sigaction (glibc's has a different layout).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

void ResetSignals() {
  KernelSigaction sa = {};  // SIG_DFL, no flags, empty mask
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &sa, nullptr, 8);
  }
  uint64_t empty = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, nullptr, 8);
}

// execve(argv[0]) or, when argv[0] has no '/', each PATH directory in turn (like execvp,
// without allocating). Returns the most telling errno.
int ExecSearch(const ExecPlan& plan) {
  const char* file = plan.argv[0];
  if (strchr(file, '/') != nullptr || plan.path_dirs.empty()) {
    syscall(SYS_execve, file, plan.argv.data(), plan.envp.data());
    return errno;
  }
  int result = ENOENT;
  char buf[4096];
  size_t file_len = strlen(file);
  for (const std::string& dir : plan.path_dirs) {
    if (dir.size() + 1 + file_len + 1 > sizeof(buf)) continue;
    memcpy(buf, dir.data(), dir.size());
    buf[dir.size()] = '/';
    memcpy(buf + dir.size() + 1, file, file_len + 1);
    syscall(SYS_execve, buf, plan.argv.data(), plan.envp.data());
    if (errno != ENOENT && errno != ENOTDIR) result = errno;
  }
  return result;
}

}  // namespace

void RunInitSteps(const InitPlan& plan) {
  const int report = plan.report_fd;
  // 1. Keep only the two pipes and the reaper's memfd: the supervisor's other descriptors
  //    (listening sockets, files, its stdio) must not live on in the sandbox's pid 1.
  int keep[3] = {plan.sync_fd, plan.report_fd, plan.init_exec_fd};
  CloseAllExcept(keep, 3);
  for (int fd = 0; fd < 3; ++fd) {
    if (fd != keep[0] && fd != keep[1] && fd != keep[2]) syscall(SYS_close, fd);
  }
  ResetSignals();
  syscall(SYS_umask, 022);  // the generated root must not depend on the supervisor's umask
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // 2. Wait until the supervisor wrote our uid/gid maps and put us into the cgroups.
  char go = 0;
  ssize_t n;
  do {
    n = syscall(SYS_read, plan.sync_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) syscall(SYS_exit_group, 1);  // the supervisor gave up on us
  syscall(SYS_close, plan.sync_fd);
  // 3. Become the mapped inside root.
  if (syscall(SYS_setresgid, 0, 0, 0) != 0 || syscall(SYS_setresuid, 0, 0, 0) != 0 ||
      syscall(SYS_setgroups, 0, nullptr) != 0) {
    ChildFail(report, kStepIdentity, errno);
  }
  // 4. A cgroup namespace rooted at the sandbox's own cgroup (joined in step 2).
  if (syscall(SYS_unshare, CLONE_NEWCGROUP) != 0) ChildFail(report, kStepCgroupNs, errno);
  // 5. Nothing we mount may propagate back to the host.
  if (syscall(SYS_mount, "none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    ChildFail(report, kStepPrivateMounts, errno);
  }
  // 6. Compose the new root under the staging directory.
  int failed = 0;
  if (int err = RunRootOps(*plan.root, &failed); err != 0) {
    ChildFail(report, kStepRootFs, err, failed);
  }
  // 7. Switch to it, detach the host's root, make "/" read-only.
  if (int err = PivotRoot(plan.root->staging); err != 0) ChildFail(report, kStepPivotRoot, err);
  // 8. Read-only /proc/sys and friends.
  if (int err = RunAfterPivotOps(*plan.root, &failed); err != 0) {
    ChildFail(report, kStepMaskProc, err, failed);
  }
  // 9. UTS.
  if (syscall(SYS_sethostname, plan.hostname, strlen(plan.hostname)) != 0 ||
      syscall(SYS_setdomainname, "sandbox", 7) != 0) {
    ChildFail(report, kStepHostname, errno);
  }
  // 10. Network: loopback only.
  if (int err = BringUpLoopback(); err != 0) ChildFail(report, kStepLoopback, err);
  // 11. Ready: tell the supervisor and become the reaper (exec'ing the small embedded one, so
  //     that this copy of the supervisor's address space is dropped).
  ChildReport ok{kStepOk, 0, 0};
  WriteFully(report, &ok, sizeof(ok));
  syscall(SYS_close, report);
  RunInit(plan.init_exec_fd);
}

void RunExecSteps(const ExecPlan& plan) {
  const int report = plan.report_fd;
  ResetSignals();
  syscall(SYS_umask, 022);
  // 1. Join the sandbox's cgroups (the descriptors were opened by the supervisor).
  for (int fd : plan.cgroup_procs_fds) {
    if (syscall(SYS_write, fd, "0", 1) != 1) ChildFail(report, kStepJoinCgroup, errno);
  }
  // 2. Join its namespaces, all at once through the init's pidfd. The pid namespace was
  //    already chosen by the spawning thread (setns(CLONE_NEWPID) applies to children).
  if (plan.ns_pidfd >= 0) {
    if (syscall(SYS_setns, plan.ns_pidfd,
                CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                    CLONE_NEWCGROUP) != 0) {
      ChildFail(report, kStepJoinNamespaces, errno);
    }
  }
  // 3. stdio and declared descriptors become 0, 1, 2, 3, ...; everything else is closed.
  //    First lift the sources above the targets so that no dup2 clobbers a later source.
  int lifted[64];
  const int count = static_cast<int>(plan.fd_map.size());
  if (count > 64) ChildFail(report, kStepStdio, EMFILE);
  for (int i = 0; i < count; ++i) {
    lifted[i] = static_cast<int>(syscall(SYS_fcntl, plan.fd_map[i], F_DUPFD_CLOEXEC, 64 + count));
    if (lifted[i] < 0) ChildFail(report, kStepStdio, errno);
  }
  int report_fd = report;
  if (report_fd < 64 + 2 * count) {
    int moved = static_cast<int>(syscall(SYS_fcntl, report_fd, F_DUPFD_CLOEXEC, 64 + 2 * count));
    if (moved < 0) ChildFail(report, kStepStdio, errno);
    report_fd = moved;
  }
  for (int i = 0; i < count; ++i) {
    if (syscall(SYS_dup2, lifted[i], i) < 0) ChildFail(report_fd, kStepStdio, errno);
  }
  syscall(SYS_close_range, static_cast<unsigned int>(count),
          static_cast<unsigned int>(report_fd) - 1, 0);
  syscall(SYS_close_range, static_cast<unsigned int>(report_fd) + 1, ~0u, 0);
  // 4. Working directory (inside the new mount namespace when we joined one).
  if (plan.cwd != nullptr && syscall(SYS_chdir, plan.cwd) != 0) {
    ChildFail(report_fd, kStepChdir, errno);
  }
  // 5. Own session; optionally stdin becomes the controlling terminal.
  if (syscall(SYS_setsid) < 0) ChildFail(report_fd, kStepSession, errno);
  if (plan.controlling_terminal && syscall(SYS_ioctl, 0, TIOCSCTTY, 0) != 0) {
    ChildFail(report_fd, kStepSession, errno);
  }
  // 6. rlimits (lowered while still privileged, so they cannot be raised again).
  for (const auto& [resource, limit] : plan.rlimits) {
    if (syscall(SYS_prlimit64, 0, resource, &limit, nullptr) != 0) {
      ChildFail(report_fd, kStepRlimits, errno);
    }
  }
  // 7. Become the unprivileged inside user with no capabilities at all.
  if (plan.drop_privileges) {
    if (int err = DropPrivileges(plan.uid, plan.gid, plan.cap_last); err != 0) {
      ChildFail(report_fd, kStepDropPrivileges, err);
    }
  }
  // 8. no_new_privs: setuid binaries and file capabilities grant nothing from here on.
  if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    ChildFail(report_fd, kStepNoNewPrivs, errno);
  }
  // 9. The seccomp deny-list, last, so that the steps above may use what it denies.
  if (plan.seccomp != nullptr) {
    if (int err = InstallSeccomp(*plan.seccomp); err != 0) {
      ChildFail(report_fd, kStepSeccomp, err);
    }
  }
  // 10. exec; the report pipe is O_CLOEXEC, so the supervisor reads EOF on success.
  ChildFail(report_fd, kStepExec, ExecSearch(plan));
}

}  // namespace codesphere::sandbox::internal
