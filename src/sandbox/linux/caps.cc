// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Capabilities: a sandboxed process keeps none, in any set, and cannot regain them
// (bounding set emptied, securebits locked) (cf. nsjail caps.cc).
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "sandbox/linux/child.h"

namespace codesphere::sandbox::internal {

int ReadCapLastCap() {
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = CAP_LAST_CAP;
  if (f != nullptr) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  return last;
}

int DropPrivileges(uid_t uid, gid_t gid, int cap_last) {
  for (int cap = 0; cap <= cap_last; ++cap) {
    if (syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
  // Root-ness grants nothing and can never be switched back on (no SECBIT_NO_SETUID_FIXUP:
  // the uid change below must clear the permitted set).
  const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                             SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (syscall(SYS_prctl, PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return errno;
  gid_t groups[1] = {gid};
  if (syscall(SYS_setgroups, 1, groups) != 0) return errno;
  if (syscall(SYS_setresgid, gid, gid, gid) != 0) return errno;
  if (syscall(SYS_setresuid, uid, uid, uid) != 0) return errno;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0) return errno;
  if (syscall(SYS_capget, &header, data) != 0) return errno;
  for (const auto& d : data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) return EPERM;
  }
  return 0;
}

}  // namespace codesphere::sandbox::internal
