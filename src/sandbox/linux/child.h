// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Plans for the code that runs between clone() and exec(), and the async-signal-safe
// helpers it uses. The parent computes everything (paths, strings, BPF, argv/envp) into
// these plain structs; the child only walks them with raw syscalls, never allocating.
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/spec.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox::internal {

// Steps the child may fail at; the parent turns (step, errno) into a Status message.
enum ChildStep : int32_t {
  kStepOk = 0,
  kStepSync,
  kStepIdentity,
  kStepCgroupNs,
  kStepPrivateMounts,
  kStepRootFs,
  kStepPivotRoot,
  kStepMaskProc,
  kStepHostname,
  kStepLoopback,
  kStepJoinCgroup,
  kStepJoinNamespaces,
  kStepStdio,
  kStepChdir,
  kStepSession,
  kStepRlimits,
  kStepDropPrivileges,
  kStepNoNewPrivs,
  kStepSeccomp,
  kStepExec,
};
const char* ChildStepName(int32_t step);

// What a failing child writes on its report pipe before _exit(127).
struct ChildReport {
  int32_t step;
  int32_t err;
  int32_t detail;  // e.g. the index of the failing root-filesystem operation.
};

// Async-signal-safe helpers.
bool WriteFully(int fd, const void* data, size_t size);
[[noreturn]] void ChildFail(int report_fd, int32_t step, int32_t err, int32_t detail = 0);
// Closes every descriptor >= 3 except those in keep[0..n) (n <= 8).
void CloseAllExcept(const int* keep, int n);
// Turns a child report into a Status ("sandbox setup failed at <step>: <strerror>").
Status ChildReportToStatus(const ChildReport& report, const char* what_detail);

// Forks a child that shares nothing (a raw clone(2), so no atfork handlers run) with
// `extra_flags` (namespace flags); stores a pidfd in *pidfd. Returns 0 in the child, the pid
// in the parent, -1 with errno on failure.
pid_t CloneWithPidfd(unsigned long extra_flags, int* pidfd);

// ---------------------------------------------------------------- mount namespace (mount_ns.cc)
struct MountOp {
  enum Kind : int {
    kMkdir,       // mkdir(target, mode); EEXIST is fine.
    kTouch,       // create an empty file `target` (a bind target for a file).
    kBind,        // bind source -> target (recursive), then remount with `flags`.
    kTmpfs,       // tmpfs at target, options `data`, mount flags `flags`.
    kProc,        // fresh procfs at target.
    kDevpts,      // own devpts instance at target.
    kSymlink,     // symlink(source, target).
    kWriteFile,   // write `data` (length `size`) to target with `mode`.
  };
  Kind kind;
  const char* source = nullptr;
  const char* target = nullptr;
  const char* data = nullptr;
  size_t size = 0;
  unsigned long flags = 0;
  uint32_t mode = 0;
  bool optional = false;  // a kBind whose source may be missing.
};

struct RootPlan {
  std::deque<std::string> strings;  // backing storage for the ops' pointers
  std::vector<MountOp> ops;         // executed in order before pivot_root
  std::vector<MountOp> after_pivot; // executed in order after pivot_root (absolute paths)
  const char* staging = nullptr;
  std::vector<std::string> descriptions;  // one per op (ops then after_pivot), for errors
};

// Computes the mount operations for `spec` with the new root assembled at `staging`.
// Runs in the parent (stats bind sources to keep their locked mount flags).
Result<RootPlan> BuildRootPlan(const Spec& spec, const std::string& staging);
// Child side: runs the plan's `ops`. Returns 0, or an errno with *failed set to the op index.
int RunRootOps(const RootPlan& plan, int* failed);
// Child side: pivot_root into the staging dir, drop the old root, remount "/" read-only.
int PivotRoot(const char* staging);
// Child side: runs `after_pivot` (proc masking). Returns 0 or errno, *failed = index.
int RunAfterPivotOps(const RootPlan& plan, int* failed);

// ---------------------------------------------------------------- network namespace (net_ns.cc)
// Child side: brings `lo` up in the current network namespace. Returns 0 or errno.
int BringUpLoopback();

// ---------------------------------------------------------------- pid namespace (pid_ns.cc)
// Child side: pid 1 of the sandbox. Execs the embedded reaper from `init_exec_fd` (if valid)
// and otherwise, or if that fails, reaps in this forked process. Reaps every process that
// ends up as its child and never returns; dies (taking the namespace with it) when killed
// by the supervisor.
[[noreturn]] void RunInit(int init_exec_fd);

// The embedded reaper (linux/init/sandbox_init.c, generated sandbox_init_blob.cc);
// kSandboxInitSize is 0 where it is not built.
extern const unsigned char kSandboxInit[];
extern const size_t kSandboxInitSize;
// Parent side: a sealed memfd holding the embedded reaper, or an invalid fd when there is none.
Result<UniqueFd> CreateInitMemfd();

// ---------------------------------------------------------------- capabilities (caps.cc)
// Child side: empties the bounding and ambient sets, locks securebits, switches to uid/gid
// (groups: just gid), and verifies that no capability is left. Returns 0 or errno.
int DropPrivileges(uid_t uid, gid_t gid, int cap_last);
// Parent side: /proc/sys/kernel/cap_last_cap (CAP_LAST_CAP of the headers when unreadable).
int ReadCapLastCap();

// ---------------------------------------------------------------- seccomp (seccomp.cc)
struct SeccompProgram {
  std::vector<sock_filter> filter;
};
// Builds the deny-list filter with libseccomp and exports it as classic BPF.
Result<SeccompProgram> BuildSeccompDenyList();
// Child side: installs `program` (REQUIRES no_new_privs). Returns 0 or errno.
int InstallSeccomp(const SeccompProgram& program);

// ---------------------------------------------------------------- launch steps (launch_steps.cc)
// Everything the sandbox's init process needs.
struct InitPlan {
  int sync_fd = -1;    // read end: one byte = "maps written, cgroups joined: go"
  int report_fd = -1;  // write end: a ChildReport (step 0 = ready)
  const RootPlan* root = nullptr;
  const char* hostname = nullptr;
  int init_exec_fd = -1;  // the embedded reaper's memfd (-1: reap in the forked child)
};
[[noreturn]] void RunInitSteps(const InitPlan& plan);

// Everything a process spawned into a sandbox (or, without isolation, onto the host) needs.
struct ExecPlan {
  int report_fd = -1;  // write end, O_CLOEXEC: EOF means exec succeeded
  // Join these namespaces of this pid's pidfd first (-1: stay where we are).
  int ns_pidfd = -1;
  // cgroup.procs descriptors to write "0" into, before joining namespaces.
  std::vector<int> cgroup_procs_fds;
  // Descriptors to install as 0, 1, 2, 3, ... (all are valid).
  std::vector<int> fd_map;
  const char* cwd = nullptr;
  bool controlling_terminal = false;
  std::vector<std::pair<int, rlimit>> rlimits;
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
  int cap_last = 0;
  const SeccompProgram* seccomp = nullptr;
  // argv[0] as given; when it has no '/', it is searched in `path_dirs`.
  std::vector<char*> argv;      // null-terminated
  std::vector<char*> envp;      // null-terminated
  std::vector<std::string> path_dirs;
};
[[noreturn]] void RunExecSteps(const ExecPlan& plan);

}  // namespace codesphere::sandbox::internal
