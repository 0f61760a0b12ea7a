// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// cgroup detection (v1, v2, hybrid) from /proc/self/mountinfo and /proc/self/cgroup, and the
// small file helpers both versions share.
#include "sandbox/linux/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "codesphere/base/status_macros.h"

namespace codesphere::sandbox::internal {
namespace {

struct CgroupMount {
  std::string mount_point;
  std::string root;
  std::set<std::string> controllers;  // v1 only
  bool v2 = false;
};

std::vector<CgroupMount> ParseCgroupMounts(const std::string& mountinfo) {
  std::vector<CgroupMount> mounts;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point, tok;
    fields >> id >> parent >> dev >> root >> mount_point;
    while (fields >> tok && tok != "-") {
    }
    std::string fstype, source, options;
    fields >> fstype >> source >> options;
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m{mount_point, root, {}, fstype == "cgroup2"};
    std::istringstream opts(options);
    while (std::getline(opts, tok, ',')) m.controllers.insert(tok);
    mounts.push_back(std::move(m));
  }
  return mounts;
}

// /proc/self/cgroup: "hierarchy-id:controller,list:/path".
std::map<std::string, std::string> ParseOwnCgroups(const std::string& self_cgroup) {
  std::map<std::string, std::string> paths;  // controller (or "" for v2) -> path
  std::istringstream in(self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      paths[""] = path;
      continue;
    }
    std::istringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ',')) paths[c] = path;
  }
  return paths;
}

std::string Join(const CgroupMount& m, const std::string& own) {
  std::string rel = own;
  if (m.root != "/" && rel.rfind(m.root, 0) == 0) rel = rel.substr(m.root.size());
  if (rel == "/") rel.clear();
  return m.mount_point + rel;
}

// The launcher's parent cgroup: created once, then reused.
Status MakeParent(const CgroupDirOps& ops, const std::string& path) {
  Status s = ops.Make(path);
  return s.code() == StatusCode::kAlreadyExists ? OkStatus() : s;
}

}  // namespace

Status CgroupDirOps::Make(const std::string& path) const {
  if (make) return make(path);
  if (mkdir(path.c_str(), 0755) != 0) return ErrnoToStatus(errno, "mkdir " + path);
  return OkStatus();
}

Status CgroupDirOps::Remove(const std::string& path) const {
  return remove ? remove(path) : RemoveCgroupDir(path);
}

Result<uint64_t> ReadCgroupNumber(const std::string& path) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string text, ReadKernelFile(path));
  if (text.rfind("max", 0) == 0) return UINT64_MAX;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str()) return DataLossError("not a number in " + path);
  return static_cast<uint64_t>(v);
}

Result<uint64_t> ReadCgroupKey(const std::string& path, const std::string& key) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string text, ReadKernelFile(path));
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return NotFoundError("no '" + key + "' in " + path);
}

Status RemoveCgroupDir(const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return OkStatus();
    if (errno != EBUSY || attempt >= 2000) return ErrnoToStatus(errno, "rmdir " + path);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<std::unique_ptr<CgroupManager>> DetectCgroups(const std::string& parent_name) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string mountinfo, ReadKernelFile("/proc/self/mountinfo"));
  CODESPHERE_ASSIGN_OR_RETURN(std::string self_cgroup, ReadKernelFile("/proc/self/cgroup"));
  return DetectCgroupsFrom(mountinfo, self_cgroup, parent_name);
}

Result<std::unique_ptr<CgroupManager>> DetectCgroupsFrom(const std::string& mountinfo,
                                                         const std::string& self_cgroup,
                                                         const std::string& parent_name,
                                                         CgroupDirOps ops) {
  std::vector<CgroupMount> mounts = ParseCgroupMounts(mountinfo);
  std::map<std::string, std::string> own = ParseOwnCgroups(self_cgroup);
  // v1 when the memory controller is mounted as its own hierarchy (also on hybrid hosts,
  // where cgroup2 then holds no useful controller).
  std::map<std::string, std::string> v1;
  for (const CgroupMount& m : mounts) {
    if (m.v2) continue;
    for (const char* c : {"memory", "pids", "cpu", "cpuacct"}) {
      if (m.controllers.count(c) && own.count(c) && !v1.count(c)) v1[c] = Join(m, own[c]);
    }
  }
  if (v1.count("memory")) {
    if (!v1.count("pids") || !v1.count("cpu")) {
      return FailedPreconditionError("cgroup v1 without the pids or cpu controller");
    }
    std::map<std::string, std::string> parents;
    for (const auto& [controller, dir] : v1) {
      std::string parent = dir + "/" + parent_name;
      CODESPHERE_RETURN_IF_ERROR(MakeParent(ops, parent));
      parents[controller] = parent;
    }
    return NewCgroupV1Manager(std::move(parents));
  }
  for (const CgroupMount& m : mounts) {
    if (!m.v2 || !own.count("")) continue;
    std::string dir = Join(m, own[""]);
    auto controllers = ReadKernelFile(dir + "/cgroup.controllers");
    if (!controllers.ok() || controllers->find("memory") == std::string::npos ||
        controllers->find("pids") == std::string::npos) {
      continue;
    }
    // Controllers must be enabled for our children; this fails (EBUSY) when our own cgroup
    // holds processes and is not the root: then the supervisor must run in a leaf below a
    // delegated cgroup, as systemd's Delegate= arranges.
    std::string parent = dir + "/" + parent_name;
    CODESPHERE_RETURN_IF_ERROR(MakeParent(ops, parent));
    for (const std::string& d : {dir, parent}) {
      Status s = WriteKernelFile(d + "/cgroup.subtree_control", "+memory +pids +cpu");
      if (!s.ok()) {
        return FailedPreconditionError("cgroup v2: cannot enable memory, pids, cpu in " + d +
                                       " (" + std::string(s.message()) + ")");
      }
    }
    return NewCgroupV2Manager(parent, std::move(ops));
  }
  return FailedPreconditionError("no usable cgroup hierarchy with the memory controller");
}

}  // namespace codesphere::sandbox::internal
