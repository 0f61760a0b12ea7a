// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// User namespace: two mapped ids per sandbox (inside root for setup, the unprivileged
// inside user for everything it runs), each a host id no other sandbox uses.
#include "sandbox/linux/user_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

#include "sandbox/linux/kernel_files.h"

namespace codesphere::sandbox::internal {

Result<uint32_t> IdAllocator::Allocate() {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t n = static_cast<uint32_t>(locks_.size());
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t slot = (next_ + i) % n;
    if (locks_[slot].valid()) continue;
    std::string path = lock_dir_ + "/" + std::to_string(start_) + "-" + std::to_string(slot) + ".lock";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return ErrnoToStatus(errno, "open " + path);
    UniqueFd held(fd);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) continue;  // another supervisor holds it
      return ErrnoToStatus(errno, "flock " + path);
    }
    locks_[slot] = std::move(held);
    next_ = (slot + 1) % n;
    return slot;
  }
  return ResourceExhaustedError("all sandbox id slots are in use");
}

void IdAllocator::Release(uint32_t slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot < locks_.size()) locks_[slot].reset();
}

Status WriteIdMaps(pid_t pid, const IdMapping& m) {
  // We are privileged in the parent namespace, so setgroups may stay allowed (the inside
  // user gets exactly one group; see DropPrivileges).
  std::string uid_map = "0 " + std::to_string(m.outside_root_uid) + " 1\n" +
                        std::to_string(m.inside_uid) + " " +
                        std::to_string(m.outside_user_uid) + " 1\n";
  std::string gid_map = "0 " + std::to_string(m.outside_root_gid) + " 1\n" +
                        std::to_string(m.inside_gid) + " " +
                        std::to_string(m.outside_user_gid) + " 1\n";
  if (Status s = WriteProcFile(pid, "uid_map", uid_map); !s.ok()) return s;
  return WriteProcFile(pid, "gid_map", gid_map);
}

}  // namespace codesphere::sandbox::internal
