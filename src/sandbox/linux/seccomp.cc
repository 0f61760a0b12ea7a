// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// seccomp: a deny-list compiled once with libseccomp and exported as classic BPF, so the
// child installs it with one prctl (no allocation after clone). Everything not listed is
// allowed; foreign syscall ABIs (i386 `int 0x80`, x32) kill the process (cf. nsjail's
// kafel policies, Docker's default profile).
#include <errno.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>

#include "codesphere/base/status_macros.h"
#include "codesphere/sandbox/unique_fd.h"
#include "sandbox/linux/child.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace codesphere::sandbox::internal {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

Status Deny(scmp_filter_ctx ctx, const char* name, int err) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return OkStatus();  // not a syscall on this architecture
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
  if (rc != 0) return ErrnoToStatus(-rc, std::string("seccomp rule for ") + name);
  return OkStatus();
}

}  // namespace

Result<SeccompProgram> BuildSeccompDenyList() {
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return InternalError("seccomp_init failed");
  scmp_filter_ctx c = ctx.get();
  // Only the native ABI: a syscall arriving through int 0x80 (i386) or the x32 ABI kills.
  int rc = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc != 0) return ErrnoToStatus(-rc, "seccomp bad-arch action");

  // Filesystem and namespace manipulation.
  for (const char* name :
       {"mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
        "open_by_handle_at", "name_to_handle_at",
        // Kernel attack surface with a long CVE history.
        "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "keyctl", "add_key", "request_key",
        // Looking into or controlling other processes.
        "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
        // The machine itself.
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog",
        "settimeofday", "clock_settime", "clock_adjtime", "iopl", "ioperm", "vhangup",
        "lookup_dcookie", "nfsservctl", "uselib", "_sysctl"}) {
    CODESPHERE_RETURN_IF_ERROR(Deny(c, name, EPERM));
  }
  // clone3 passes its flags in memory that seccomp cannot inspect: ENOSYS makes libc fall
  // back to clone, whose flags we can check.
  CODESPHERE_RETURN_IF_ERROR(Deny(c, "clone3", ENOSYS));
  for (scmp_datum_t flag : std::initializer_list<scmp_datum_t>{
           CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
           CLONE_NEWCGROUP, CLONE_NEWTIME}) {
    rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    if (rc != 0) return ErrnoToStatus(-rc, "seccomp rule for clone");
  }
  // Terminal input injection. The kernel compares the request as 32 bits, so only the low
  // 32 bits are matched (a set high bit must not slip past).
  for (scmp_datum_t request : std::initializer_list<scmp_datum_t>{TIOCSTI, TIOCLINUX}) {
    rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request));
    if (rc != 0) return ErrnoToStatus(-rc, "seccomp rule for ioctl");
  }
  // Sockets that reach past the namespace (vsock: the hypervisor) or into the kernel's
  // configuration (netlink).
  for (int family : {AF_VSOCK, AF_NETLINK}) {
    rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                          SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
    if (rc != 0) return ErrnoToStatus(-rc, "seccomp rule for socket");
  }

  // Export the BPF into memory (libseccomp 2.5 exports to a descriptor only).
  int mfd = memfd_create("codesphere-seccomp", MFD_CLOEXEC);
  if (mfd < 0) return ErrnoToStatus(errno, "memfd_create");
  UniqueFd mem(mfd);
  rc = seccomp_export_bpf(c, mem.get());
  if (rc != 0) return ErrnoToStatus(-rc, "seccomp_export_bpf");
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) return InternalError("bad seccomp BPF size");
  SeccompProgram program;
  program.filter.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(mem.get(), program.filter.data(), static_cast<size_t>(size), 0) != size) {
    return ErrnoToStatus(errno, "reading seccomp BPF");
  }
  return program;
}

int InstallSeccomp(const SeccompProgram& program) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return errno;
  return 0;
}

}  // namespace codesphere::sandbox::internal
