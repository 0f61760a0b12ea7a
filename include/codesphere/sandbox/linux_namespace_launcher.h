// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The Linux launcher: each sandbox gets user, pid, mount, network, IPC, UTS and cgroup
// namespaces, a pivot_root'ed composed root, cgroup (v1 or v2, detected) limits, a seccomp
// deny-list, no_new_privs and no capabilities. Needs root (or CAP_SYS_ADMIN + cgroup write
// access) on the host. See docs/sandbox.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/launcher.h"

namespace codesphere::sandbox {

struct LinuxNamespaceLauncherOptions {
  // Host ids handed out to sandboxes whose `User::outside_uid` is 0: sandbox n gets
  // `id_range_start + 2n` for its inside root and `+1` for its user. Default: 200000.
  uint32_t id_range_start = 200000;
  // How many sandboxes may hold ids at once. Default: 10000.
  uint32_t id_range_slots = 10000;
  // Where slots are locked (flock), so that every supervisor process on the host using the
  // same range hands out distinct ids. Default: "/run/codesphere-sandbox-ids".
  std::string id_lock_dir = "/run/codesphere-sandbox-ids";
  // Name of the cgroup created under the supervisor's own cgroup (in each hierarchy), which
  // holds one child cgroup per sandbox. Default: "codesphere-sandboxes".
  std::string cgroup_parent = "codesphere-sandboxes";
  // An empty host directory used as the mount point of new roots (only inside each
  // sandbox's private mount namespace; the host never sees anything mounted there).
  // Created when missing. Default: "/run/codesphere-sandbox-root".
  std::string staging_dir = "/run/codesphere-sandbox-root";
  // chown the workspace tree to the sandbox user's outside ids at Start (through `SafeDir`,
  // never following symlinks; files with more than one hard link are skipped).
  // Default: true.
  bool chown_workspace = true;
};

// Returns kOk when this host can run `LinuxNamespaceLauncher` sandboxes (namespaces,
// cgroup write access, seccomp), else kFailedPrecondition/kPermissionDenied saying what is
// missing. Tests use it to skip with a reason.
Status ProbeLinuxNamespaceSupport(const LinuxNamespaceLauncherOptions& options = {});

// Creates the launcher. Returns the errors of `ProbeLinuxNamespaceSupport`.
Result<std::unique_ptr<Launcher>> NewLinuxNamespaceLauncher(
    const LinuxNamespaceLauncherOptions& options = {});

}  // namespace codesphere::sandbox
