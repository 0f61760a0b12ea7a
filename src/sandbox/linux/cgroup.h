// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// cgroups: one cgroup per sandbox (per hierarchy on v1) below a parent cgroup the launcher
// creates under its own. v1 (per-controller hierarchies) and v2 (unified) are detected at
// runtime from /proc/self/mountinfo; hybrid hosts use v1 when the memory controller is there.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/unique_fd.h"
#include "sandbox/linux/kernel_files.h"

namespace codesphere::sandbox::internal {

struct CgroupLimits {
  uint64_t memory_bytes = 0;  // 0: unlimited
  uint64_t pids = 0;
  uint64_t cpu_millis = 0;
};

struct CgroupUsage {
  uint64_t memory_bytes = 0;
  uint64_t memory_peak_bytes = 0;
  uint64_t pids = 0;
  uint64_t cpu_usage_ns = 0;
  uint64_t oom_kills = 0;
};

// The cgroup(s) of one sandbox.
//
// Thread-safety: thread-safe (each call is a few file operations).
class SandboxCgroup {
 public:
  virtual ~SandboxCgroup() = default;
  // Opens each hierarchy's cgroup.procs for writing; a child joins by writing "0" to each.
  virtual Result<std::vector<UniqueFd>> OpenProcs() = 0;
  // Moves `pid` in.
  virtual Status AddProcess(pid_t pid) = 0;
  virtual Result<CgroupUsage> Usage() = 0;
  // Processes killed by the OOM killer so far (0 when unreadable); one small read.
  virtual uint64_t OomKills() = 0;
  // SIGKILLs every task in the cgroup(s) (v2: cgroup.kill).
  virtual Status KillAll() = 0;
  // Removes the cgroup directories; REQUIRES: no task left (retries briefly on EBUSY).
  virtual Status Remove() = 0;
};

// Creates sandbox cgroups.
//
// Thread-safety: thread-safe.
class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual int version() const = 0;
  virtual Result<std::unique_ptr<SandboxCgroup>> Create(const std::string& id,
                                                        const CgroupLimits& limits) = 0;
};

// How cgroup directories come and go. On cgroupfs, mkdir makes the kernel populate the new
// cgroup's interface files and rmdir removes a cgroup without tasks; a fake cgroupfs (a
// temp directory in tests) does both itself.
struct CgroupDirOps {
  // Creates the cgroup directory `path`: kAlreadyExists when it exists. Empty: mkdir(2).
  std::function<Status(const std::string& path)> make;
  // Removes it (a missing one is fine). Empty: `RemoveCgroupDir`.
  std::function<Status(const std::string& path)> remove;

  Status Make(const std::string& path) const;
  Status Remove(const std::string& path) const;
};

// Finds the hierarchies this process lives in and creates `parent_name` below its own cgroup
// in each. Returns kFailedPrecondition when no usable memory+pids(+cpu) setup exists.
Result<std::unique_ptr<CgroupManager>> DetectCgroups(const std::string& parent_name);
// The same from the text of /proc/self/mountinfo and /proc/self/cgroup.
Result<std::unique_ptr<CgroupManager>> DetectCgroupsFrom(const std::string& mountinfo,
                                                         const std::string& self_cgroup,
                                                         const std::string& parent_name,
                                                         CgroupDirOps ops = {});

// For tests and for Detect: managers over explicit parent directories.
// v1: controller name ("memory", "pids", "cpu", "cpuacct") -> parent directory.
std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::map<std::string, std::string> parents);
// v2: the parent directory (its cgroup.subtree_control must enable memory, pids, cpu).
std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string parent, CgroupDirOps ops = {});

// File helpers for cgroupfs (over kernel_files.h).
// Reads "key value" lines (memory.events, cpu.stat, memory.oom_control) for `key`.
Result<uint64_t> ReadCgroupKey(const std::string& path, const std::string& key);
Result<uint64_t> ReadCgroupNumber(const std::string& path);
// rmdir with a short bounded retry on EBUSY (task exit is asynchronous to the reaping).
Status RemoveCgroupDir(const std::string& path);

}  // namespace codesphere::sandbox::internal
