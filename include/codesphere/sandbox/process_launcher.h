// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A launcher that runs programs as plain host processes: NO ISOLATION AT ALL. For
// development on machines without namespaces, and for tests of code above the sandbox.
#pragma once

#include <memory>

#include "codesphere/sandbox/launcher.h"

namespace codesphere::sandbox {

// Returns a launcher whose "sandboxes" are host directories: processes run as the
// supervisor's user, see the whole host filesystem and network, in the workspace directory
// (`RootFs::workspace` as cwd; `Spec::cwd` is mapped onto it when it starts with
// `workspace_target`). What still holds: the environment allow-list, rlimits (CPU time,
// open files, file size), wall time, own session per process, fd hygiene. Memory, pids
// and CPU quota limits are NOT enforced, and `Stop` kills the process groups it started
// (a daemon that calls setsid itself survives). Never use it for untrusted code.
std::unique_ptr<Launcher> NewProcessLauncherWithoutIsolation();

}  // namespace codesphere::sandbox
