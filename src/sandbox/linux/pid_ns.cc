// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Pid namespace: the sandbox's pid 1. It only reaps: orphans (double-forked daemons) are
// reparented to it, and when the supervisor kills it the kernel kills everything else in
// the namespace (zap_pid_ns_processes), which is how `Sandbox::Stop` takes daemons down.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "sandbox/linux/child.h"

namespace codesphere::sandbox::internal {
namespace {

void OnChild(int) {}

}  // namespace

Result<UniqueFd> CreateInitMemfd() {
  if (kSandboxInitSize == 0) return UniqueFd();
  int fd = memfd_create("codesphere-sandbox-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return ErrnoToStatus(errno, "memfd_create");
  UniqueFd memfd(fd);
  if (!WriteFully(fd, kSandboxInit, kSandboxInitSize)) return ErrnoToStatus(errno, "write init");
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return ErrnoToStatus(errno, "sealing the init memfd");
  }
  return memfd;
}

void RunInit(int init_exec_fd) {
  if (init_exec_fd >= 0) {
    char name[] = "codesphere-sandbox-init";
    char* argv[] = {name, nullptr};
    char* envp[] = {nullptr};
    syscall(SYS_execveat, init_exec_fd, "", argv, envp, AT_EMPTY_PATH);
    // Fall through: reap here.
  }
  // SIGCHLD gets a no-op handler so that sigsuspend wakes up; it is blocked outside of it,
  // so no exit is missed between the reap loop and the wait.
  // (sigaction, sigprocmask and sigsuspend are async-signal-safe.)
  struct sigaction sa = {};
  sa.sa_handler = OnChild;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, nullptr);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_SETMASK, &blocked, nullptr);
  sigset_t during_wait;
  sigemptyset(&during_wait);
  for (;;) {
    int status;
    while (syscall(SYS_wait4, -1, &status, WNOHANG | __WALL, nullptr) > 0) {
    }
    sigsuspend(&during_wait);
  }
}

}  // namespace codesphere::sandbox::internal
