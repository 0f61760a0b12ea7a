// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// cgroup v1: one directory per controller hierarchy (memory, pids, cpu, cpuacct).
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <sstream>

#include "codesphere/base/status_macros.h"
#include "sandbox/linux/cgroup.h"

namespace codesphere::sandbox::internal {
namespace {

class CgroupV1 final : public SandboxCgroup {
 public:
  explicit CgroupV1(std::map<std::string, std::string> dirs) : dirs_(std::move(dirs)) {}
  ~CgroupV1() override = default;

  // SandboxCgroup
  Result<std::vector<UniqueFd>> OpenProcs() override {
    std::vector<UniqueFd> fds;
    for (const auto& [controller, dir] : dirs_) {
      std::string path = dir + "/cgroup.procs";
      int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return ErrnoToStatus(errno, "open " + path);
      fds.emplace_back(fd);
    }
    return fds;
  }
  Status AddProcess(pid_t pid) override {
    for (const auto& [controller, dir] : dirs_) {
      CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(dir + "/cgroup.procs", std::to_string(pid)));
    }
    return OkStatus();
  }
  Result<CgroupUsage> Usage() override {
    CgroupUsage usage;
    const std::string& mem = dirs_.at("memory");
    CODESPHERE_ASSIGN_OR_RETURN(usage.memory_bytes, ReadCgroupNumber(mem + "/memory.usage_in_bytes"));
    CODESPHERE_ASSIGN_OR_RETURN(usage.memory_peak_bytes,
                                ReadCgroupNumber(mem + "/memory.max_usage_in_bytes"));
    usage.oom_kills = OomKills();
    CODESPHERE_ASSIGN_OR_RETURN(usage.pids, ReadCgroupNumber(dirs_.at("pids") + "/pids.current"));
    if (dirs_.count("cpuacct")) {
      usage.cpu_usage_ns = ReadCgroupNumber(dirs_.at("cpuacct") + "/cpuacct.usage").value_or(0);
    }
    return usage;
  }
  uint64_t OomKills() override {
    return ReadCgroupKey(dirs_.at("memory") + "/memory.oom_control", "oom_kill").value_or(0);
  }
  Status KillAll() override {
    for (int round = 0; round < 100; ++round) {
      CODESPHERE_ASSIGN_OR_RETURN(std::string procs,
                                  ReadKernelFile(dirs_.at("pids") + "/cgroup.procs"));
      std::istringstream in(procs);
      pid_t pid;
      bool any = false;
      while (in >> pid) {
        any = true;
        kill(pid, SIGKILL);
      }
      if (!any) return OkStatus();
    }
    return OkStatus();
  }
  Status Remove() override {
    Status first;
    for (const auto& [controller, dir] : dirs_) {
      Status s = RemoveCgroupDir(dir);
      if (first.ok() && !s.ok()) first = s;
    }
    return first;
  }

 private:
  const std::map<std::string, std::string> dirs_;
};

class CgroupV1Manager final : public CgroupManager {
 public:
  explicit CgroupV1Manager(std::map<std::string, std::string> parents)
      : parents_(std::move(parents)) {}

  // CgroupManager
  int version() const override { return 1; }
  Result<std::unique_ptr<SandboxCgroup>> Create(const std::string& id,
                                                const CgroupLimits& limits) override {
    std::map<std::string, std::string> dirs;
    for (const auto& [controller, parent] : parents_) {
      std::string dir = parent + "/" + id;
      if (mkdir(dir.c_str(), 0755) != 0) {
        Status s = ErrnoToStatus(errno, "mkdir " + dir);
        for (const auto& [c, d] : dirs) RemoveCgroupDir(d).ok();
        return s;
      }
      dirs[controller] = dir;
    }
    auto cgroup = std::make_unique<CgroupV1>(dirs);
    Status s = Apply(dirs, limits);
    if (!s.ok()) {
      cgroup->Remove().ok();
      return s;
    }
    return std::unique_ptr<SandboxCgroup>(std::move(cgroup));
  }

 private:
  static Status Apply(const std::map<std::string, std::string>& dirs, const CgroupLimits& l) {
    if (l.memory_bytes != 0) {
      const std::string& mem = dirs.at("memory");
      CODESPHERE_RETURN_IF_ERROR(
          WriteKernelFile(mem + "/memory.limit_in_bytes", std::to_string(l.memory_bytes)));
      // With swap accounting, memory+swap gets the same cap: no swapping past the limit.
      struct stat st;
      std::string memsw = mem + "/memory.memsw.limit_in_bytes";
      if (stat(memsw.c_str(), &st) == 0) {
        CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(memsw, std::to_string(l.memory_bytes)));
      }
    }
    if (l.pids != 0) {
      CODESPHERE_RETURN_IF_ERROR(
          WriteKernelFile(dirs.at("pids") + "/pids.max", std::to_string(l.pids)));
    }
    if (l.cpu_millis != 0) {
      const std::string& cpu = dirs.at("cpu");
      CODESPHERE_RETURN_IF_ERROR(WriteKernelFile(cpu + "/cpu.cfs_period_us", "100000"));
      CODESPHERE_RETURN_IF_ERROR(
          WriteKernelFile(cpu + "/cpu.cfs_quota_us", std::to_string(l.cpu_millis * 100)));
    }
    return OkStatus();
  }

  const std::map<std::string, std::string> parents_;
};

}  // namespace

std::unique_ptr<CgroupManager> NewCgroupV1Manager(std::map<std::string, std::string> parents) {
  return std::make_unique<CgroupV1Manager>(std::move(parents));
}

}  // namespace codesphere::sandbox::internal
