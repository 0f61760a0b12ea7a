// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Mount namespace: composes the sandbox root on a tmpfs (binds, generated files, fresh
// /proc, minimal /dev with its own devpts, private /tmp and /dev/shm), pivots into it and
// masks the writable corners of /proc. The plan is computed in the parent; the child walks
// it with raw mount(2) calls (cf. nsjail mnt.cc, bubblewrap's setup_newroot).
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>

#include "sandbox/linux/child.h"

namespace codesphere::sandbox::internal {
namespace {

// The flags a bind mount in a user namespace must keep from its source (the kernel locks
// them: a remount without them fails with EPERM).
unsigned long LockedFlags(const std::string& source) {
  struct statvfs st;
  if (statvfs(source.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  return flags;
}

size_t Depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

class PlanBuilder {
 public:
  PlanBuilder(RootPlan* plan, std::string staging) : plan_(plan), staging_(std::move(staging)) {
    plan_->staging = Keep(staging_);
  }

  const char* Keep(std::string s) {
    plan_->strings.push_back(std::move(s));
    return plan_->strings.back().c_str();
  }
  std::string Inside(const std::string& path) const { return staging_ + path; }

  void Add(MountOp op, std::string description) {
    plan_->ops.push_back(op);
    plan_->descriptions.push_back(std::move(description));
  }

  // mkdir every missing ancestor of `path` (and `path` itself when `self`).
  void Dirs(const std::string& path, bool self) {
    std::string prefix;
    size_t pos = 1;
    while (true) {
      size_t end = path.find('/', pos);
      bool last = end == std::string::npos;
      if (last && !self) break;
      prefix = path.substr(0, last ? path.size() : end);
      if (made_.insert(prefix).second) {
        MountOp op{MountOp::kMkdir};
        op.target = Keep(Inside(prefix));
        op.mode = 0755;
        Add(op, "mkdir " + prefix);
      }
      if (last) break;
      pos = end + 1;
    }
  }

  void Bind(const std::string& source, const std::string& target, unsigned long flags,
            bool optional) {
    struct stat st;
    bool is_dir = stat(source.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
    Dirs(target, is_dir);
    if (!is_dir && made_.insert(target).second) {
      MountOp touch{MountOp::kTouch};
      touch.target = Keep(Inside(target));
      touch.mode = 0644;
      Add(touch, "create " + target);
    }
    MountOp op{MountOp::kBind};
    op.source = Keep(source);
    op.target = Keep(Inside(target));
    op.flags = flags | LockedFlags(source);
    op.optional = optional;
    Add(op, "bind " + source + " -> " + target);
  }

  void Tmpfs(const std::string& target, unsigned long flags, const std::string& data) {
    Dirs(target, true);
    MountOp op{MountOp::kTmpfs};
    op.target = Keep(Inside(target));
    op.flags = flags;
    op.data = Keep(data);
    Add(op, "tmpfs " + target);
  }

  void Link(const std::string& link_target, const std::string& path) {
    Dirs(path, false);
    made_.insert(path);
    MountOp op{MountOp::kSymlink};
    op.source = Keep(link_target);
    op.target = Keep(Inside(path));
    Add(op, "symlink " + path + " -> " + link_target);
  }

  void AfterPivot(MountOp op, std::string description) {
    plan_->after_pivot.push_back(op);
    plan_->descriptions.push_back(std::move(description));
  }

 private:
  RootPlan* plan_;
  std::string staging_;
  std::set<std::string> made_;
};

int Touch(const char* path, uint32_t mode) {
  int fd = static_cast<int>(
      syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd < 0) return errno;
  syscall(SYS_close, fd);
  return 0;
}

int RunOp(const MountOp& op) {
  switch (op.kind) {
    case MountOp::kMkdir:
      if (syscall(SYS_mkdirat, AT_FDCWD, op.target, op.mode) != 0 && errno != EEXIST) return errno;
      return 0;
    case MountOp::kTouch:
      return Touch(op.target, op.mode);
    case MountOp::kBind:
      if (syscall(SYS_mount, op.source, op.target, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        if (op.optional && errno == ENOENT) return 0;
        return errno;
      }
      if (syscall(SYS_mount, nullptr, op.target, nullptr, MS_REMOUNT | MS_BIND | op.flags,
                  nullptr) != 0) {
        return errno;
      }
      return 0;
    case MountOp::kTmpfs:
      if (syscall(SYS_mount, "tmpfs", op.target, "tmpfs", op.flags, op.data) != 0) return errno;
      return 0;
    case MountOp::kProc:
      if (syscall(SYS_mount, "proc", op.target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  nullptr) != 0) {
        return errno;
      }
      return 0;
    case MountOp::kDevpts:
      if (syscall(SYS_mount, "devpts", op.target, "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620") != 0) {
        return errno;
      }
      return 0;
    case MountOp::kSymlink:
      if (syscall(SYS_symlinkat, op.source, AT_FDCWD, op.target) != 0 && errno != EEXIST) {
        return errno;
      }
      return 0;
    case MountOp::kWriteFile: {
      int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, op.target,
                                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                                        op.mode));
      if (fd < 0) return errno;
      bool ok = WriteFully(fd, op.data, op.size);
      int err = errno;
      syscall(SYS_close, fd);
      return ok ? 0 : err;
    }
  }
  return EINVAL;
}

}  // namespace

Result<RootPlan> BuildRootPlan(const Spec& spec, const std::string& staging) {
  RootPlan plan;
  PlanBuilder b(&plan, staging);
  const RootFs& fs = spec.rootfs;

  // The root: a small tmpfs that holds mount points and generated files only.
  {
    MountOp root{MountOp::kTmpfs};
    root.target = b.Keep(staging);
    root.flags = MS_NOSUID | MS_NODEV;
    root.data = b.Keep("mode=0755,size=8m");
    b.Add(root, "tmpfs /");
  }

  // Host binds and the workspace, shallowest target first so that nested ones stay visible.
  struct PendingBind {
    std::string source, target;
    unsigned long flags;
    bool optional;
  };
  std::vector<PendingBind> binds;
  for (const BindMount& m : fs.binds) {
    struct stat st;
    if (stat(m.source.c_str(), &st) != 0) {
      if (m.optional) continue;
      return NotFoundError("bind source '" + m.source + "' does not exist");
    }
    unsigned long flags = MS_NOSUID | MS_NODEV | (m.read_only ? MS_RDONLY : 0);
    binds.push_back({m.source, m.target, flags, m.optional});
  }
  if (!fs.workspace.empty()) {
    struct stat st;
    if (lstat(fs.workspace.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return NotFoundError("workspace '" + fs.workspace + "' is not a directory");
    }
    binds.push_back({fs.workspace, fs.workspace_target, MS_NOSUID | MS_NODEV, false});
  }
  std::stable_sort(binds.begin(), binds.end(), [](const PendingBind& a, const PendingBind& c) {
    return Depth(a.target) < Depth(c.target);
  });
  for (const PendingBind& bind : binds) b.Bind(bind.source, bind.target, bind.flags, bind.optional);

  for (const Symlink& link : fs.symlinks) b.Link(link.link_target, link.path);
  for (const GeneratedFile& file : fs.files) {
    b.Dirs(file.path, false);
    MountOp op{MountOp::kWriteFile};
    op.target = b.Keep(b.Inside(file.path));
    const char* data = b.Keep(file.contents);
    op.data = data;
    op.size = file.contents.size();
    op.mode = file.mode;
    b.Add(op, "write " + file.path);
  }

  // Fresh /proc for the new pid namespace.
  b.Dirs("/proc", true);
  {
    MountOp proc{MountOp::kProc};
    proc.target = b.Keep(b.Inside("/proc"));
    b.Add(proc, "proc /proc");
  }

  // Minimal /dev: host device nodes bound one by one (a user namespace cannot mknod),
  // our own devpts instance, and symlinks.
  b.Tmpfs("/dev", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string path = std::string("/dev/") + dev;
    b.Bind(path, path, MS_NOSUID | MS_NOEXEC, false);
  }
  b.Dirs("/dev/pts", true);
  {
    MountOp pts{MountOp::kDevpts};
    pts.target = b.Keep(b.Inside("/dev/pts"));
    b.Add(pts, "devpts /dev/pts");
  }
  b.Link("pts/ptmx", "/dev/ptmx");
  b.Link("/proc/self/fd", "/dev/fd");
  b.Link("/proc/self/fd/0", "/dev/stdin");
  b.Link("/proc/self/fd/1", "/dev/stdout");
  b.Link("/proc/self/fd/2", "/dev/stderr");
  b.Tmpfs("/dev/shm", MS_NOSUID | MS_NODEV,
          "mode=1777,size=" + std::to_string(fs.shm_size_bytes ? fs.shm_size_bytes : 1ull << 40));
  b.Tmpfs("/tmp", MS_NOSUID | MS_NODEV,
          "mode=1777,size=" + std::to_string(fs.tmp_size_bytes ? fs.tmp_size_bytes : 1ull << 40));

  // After pivot_root: the writable corners of /proc become read-only (cf. the masked
  // paths of OCI runtimes); the user namespace already denies most writes, this is depth.
  for (const char* path : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"}) {
    MountOp op{MountOp::kBind};
    op.source = b.Keep(path);
    op.target = op.source;
    op.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    op.optional = true;
    b.AfterPivot(op, std::string("read-only ") + path);
  }
  return plan;
}

int RunRootOps(const RootPlan& plan, int* failed) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    if (int err = RunOp(plan.ops[i]); err != 0) {
      *failed = static_cast<int>(i);
      return err;
    }
  }
  return 0;
}

int PivotRoot(const char* staging) {
  if (syscall(SYS_chdir, staging) != 0) return errno;
  // pivot_root(".", "."): the old root ends up stacked on top of the new one; detaching
  // it leaves the new root alone (as in runc and bubblewrap).
  if (syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  if (syscall(SYS_umount2, ".", MNT_DETACH) != 0) return errno;
  if (syscall(SYS_chdir, "/") != 0) return errno;
  if (syscall(SYS_mount, nullptr, "/", nullptr,
              MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    return errno;
  }
  return 0;
}

int RunAfterPivotOps(const RootPlan& plan, int* failed) {
  for (size_t i = 0; i < plan.after_pivot.size(); ++i) {
    if (int err = RunOp(plan.after_pivot[i]); err != 0) {
      *failed = static_cast<int>(plan.ops.size() + i);
      return err;
    }
  }
  return 0;
}

}  // namespace codesphere::sandbox::internal
