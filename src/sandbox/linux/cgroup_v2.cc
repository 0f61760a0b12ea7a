// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// cgroup v2: one directory in the unified hierarchy; cgroup.kill ends everything in it.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <sstream>

#include "codesphere/base/status_macros.h"
#include "sandbox/linux/cgroup.h"

namespace codesphere::sandbox::internal {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class CgroupV2 final : public SandboxCgroup {
 public:
  CgroupV2(std::string dir, CgroupDirOps ops) : dir_(std::move(dir)), ops_(std::move(ops)) {}

  // SandboxCgroup
  Result<std::vector<UniqueFd>> OpenProcs() override {
    std::string path = dir_ + "/cgroup.procs";
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, "open " + path);
    std::vector<UniqueFd> fds;
    fds.emplace_back(fd);
    return fds;
  }
  Status AddProcess(pid_t pid) override {
    return WriteKernelFile(dir_ + "/cgroup.procs", std::to_string(pid));
  }
  Result<CgroupUsage> Usage() override {
    CgroupUsage usage;
    CODESPHERE_ASSIGN_OR_RETURN(usage.memory_bytes, ReadCgroupNumber(dir_ + "/memory.current"));
    usage.memory_peak_bytes = ReadCgroupNumber(dir_ + "/memory.peak").value_or(0);
    usage.oom_kills = OomKills();
    CODESPHERE_ASSIGN_OR_RETURN(usage.pids, ReadCgroupNumber(dir_ + "/pids.current"));
    usage.cpu_usage_ns = ReadCgroupKey(dir_ + "/cpu.stat", "usage_usec").value_or(0) * 1000;
    return usage;
  }
  uint64_t OomKills() override {
    return ReadCgroupKey(dir_ + "/memory.events", "oom_kill").value_or(0);
  }
  Status KillAll() override {
    if (Exists(dir_ + "/cgroup.kill")) return WriteKernelFile(dir_ + "/cgroup.kill", "1");
    CODESPHERE_ASSIGN_OR_RETURN(std::string procs, ReadKernelFile(dir_ + "/cgroup.procs"));
    std::istringstream in(procs);
    pid_t pid;
    while (in >> pid) kill(pid, SIGKILL);
    return OkStatus();
  }
  Status Remove() override { return ops_.Remove(dir_); }

 private:
  const std::string dir_;
  const CgroupDirOps ops_;
};

class CgroupV2Manager final : public CgroupManager {
 public:
  CgroupV2Manager(std::string parent, CgroupDirOps ops)
      : parent_(std::move(parent)), ops_(std::move(ops)) {}

  // CgroupManager
  int version() const override { return 2; }
  Result<std::unique_ptr<SandboxCgroup>> Create(const std::string& id,
                                                const CgroupLimits& l) override {
    std::string dir = parent_ + "/" + id;
    CODESPHERE_RETURN_IF_ERROR(ops_.Make(dir));
    auto cgroup = std::make_unique<CgroupV2>(dir, ops_);
    Status s = Apply(dir, l);
    if (!s.ok()) {
      cgroup->Remove().ok();
      return s;
    }
    return std::unique_ptr<SandboxCgroup>(std::move(cgroup));
  }

 private:
  static Status Apply(const std::string& dir, const CgroupLimits& l) {
    if (l.memory_bytes != 0) {
      CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(dir + "/memory.max", std::to_string(l.memory_bytes)));
      if (Exists(dir + "/memory.swap.max")) {
        CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(dir + "/memory.swap.max", "0"));
      }
    }
    if (l.pids != 0) {
      CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(dir + "/pids.max", std::to_string(l.pids)));
    }
    if (l.cpu_millis != 0) {
      CODESPHERE_RETURN_IF_ERROR(
          WriteKernelFile(dir + "/cpu.max", std::to_string(l.cpu_millis * 100) + " 100000"));
    }
    return OkStatus();
  }

  const std::string parent_;
  const CgroupDirOps ops_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV2Manager(std::string parent, CgroupDirOps ops) {
  return std::make_unique<CgroupV2Manager>(std::move(parent), std::move(ops));
}

}  // namespace codesphere::sandbox::internal
