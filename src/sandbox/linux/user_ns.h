// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// User namespace, supervisor side: which host ids a sandbox maps to, and writing the maps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/thread_annotations.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox::internal {

// The identity mapping of one sandbox: inside root -> `outside_root_*`, the inside user ->
// `outside_user_*`. Nothing else is mapped (the host's root is overflow inside).
struct IdMapping {
  uint32_t inside_uid = 1000;
  uint32_t inside_gid = 1000;
  uint32_t outside_root_uid = 0;
  uint32_t outside_root_gid = 0;
  uint32_t outside_user_uid = 0;
  uint32_t outside_user_gid = 0;
};

// Hands out distinct pairs of host ids, `start + 2*slot` and `+1`, distinct host-wide: a slot
// is held through an flock()ed file `<lock_dir>/<start>-<slot>.lock`, so several supervisor
// processes using the same range never share ids.
//
// Thread-safety: thread-safe.
class IdAllocator {
 public:
  IdAllocator(uint32_t start, uint32_t slots, std::string lock_dir)
      : start_(start), lock_dir_(std::move(lock_dir)), locks_(slots) {}
  // Returns a free slot, or kResourceExhausted.
  Result<uint32_t> Allocate();
  void Release(uint32_t slot);
  uint32_t RootId(uint32_t slot) const { return start_ + 2 * slot; }
  uint32_t UserId(uint32_t slot) const { return start_ + 2 * slot + 1; }

 private:
  const uint32_t start_;
  const std::string lock_dir_;
  std::mutex mu_;
  std::vector<UniqueFd> locks_ CODESPHERE_GUARDED_BY(mu_);  // valid: slot held by us
  uint32_t next_ CODESPHERE_GUARDED_BY(mu_) = 0;
};

// Writes /proc/<pid>/{setgroups,uid_map,gid_map} for a child that created a user namespace.
Status WriteIdMaps(pid_t pid, const IdMapping& mapping);

}  // namespace codesphere::sandbox::internal
