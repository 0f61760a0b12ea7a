// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// WorkspaceVolume: a sparse image file, formatted ext4 with e2fsprogs, attached to a loop
// device with LOOP_CONFIGURE (autoclear) and mounted on the workspace directory. The image
// is only ever written by the kernel's ext4 driver (a sandbox sees files, never the image),
// and e2fsck checks it before each mount.
#include "codesphere/sandbox/workspace_volume.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "codesphere/base/durable_file.h"
#include "codesphere/base/log.h"
#include "codesphere/base/safe_path.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/sandbox/safe_file.h"
#include "codesphere/sandbox/unique_fd.h"
#include "sandbox/linux/kernel_files.h"

namespace codesphere::sandbox {
namespace {

constexpr uint64_t kMinSize = 16ull << 20;
constexpr uint64_t kRound = 1ull << 20;
constexpr unsigned long kMountFlags = MS_NOSUID | MS_NODEV | MS_NOATIME;
constexpr const char* kMountOptions = "errors=remount-ro";

// The file behind the loop device whose sysfs directory is `sysfs_dir` ("" when none).
std::string ReadBackingFile(const std::string& sysfs_dir) {
  auto text = internal::ReadKernelFile(sysfs_dir + "/loop/backing_file");
  if (!text.ok()) return {};
  std::string file = *text;
  while (!file.empty() && file.back() == '\n') file.pop_back();
  return file;
}

// The loop device (e.g. "/dev/loop3") the image `resolved` is attached to, "" when none:
// after a lazy unmount the file system lives on (and stays attached) until its last user
// lets go, and it must then be mounted again from the same device, never a second one.
std::string AttachedLoopDevice(const std::string& resolved) {
  DIR* dir = opendir("/sys/block");
  if (dir == nullptr) return {};
  std::string found;
  while (struct dirent* e = readdir(dir)) {
    if (strncmp(e->d_name, "loop", 4) != 0) continue;
    if (ReadBackingFile(std::string("/sys/block/") + e->d_name) == resolved) {
      found = std::string("/dev/") + e->d_name;
      break;
    }
  }
  closedir(dir);
  return found;
}

// True when a file system is mounted from block device `dev` (it holds the device
// exclusively). An attached device nobody mounts is merely being auto-cleared.
bool BlockDeviceMounted(const std::string& dev) {
  int fd = open(dev.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd < 0) return errno == EBUSY;
  close(fd);
  return false;
}

bool IsNormalizedAbsolute(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' || path.back() == '/' || path.size() > 4000) return false;
  if (path.find('\0') != std::string::npos) return false;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    std::string_view comp = std::string_view(path).substr(pos, end - pos);
    if (comp.empty() || comp == "." || comp == "..") return false;
    pos = end + 1;
  }
  return true;
}

// The e2fsprogs tool `name` in the usual sbin/bin directories ("" when absent).
std::string FindTool(const char* name) {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

struct ToolResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr, cut at 4 KiB
};

// Runs a tool with a fixed environment, stdin from /dev/null and the output captured.
Result<ToolResult> RunTool(std::vector<std::string> argv) {
  std::string path = FindTool(argv[0].c_str());
  if (path.empty()) {
    return FailedPreconditionError(argv[0] + " not found (install e2fsprogs)");
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char env_lang[] = "LC_ALL=C";
  char* envp[] = {env_path, env_lang, nullptr};
  pid_t pid = -1;
  int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  write_end.reset();
  if (err != 0) return ErrnoToStatus(err, "spawn " + path);
  ToolResult result;
  char buf[4096];
  for (;;) {
    ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.output.size() < 4096) result.output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, "waitpid " + argv[0]);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Status ToolFailed(const std::string& what, const ToolResult& r) {
  return InternalError(what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.output);
}

// e2fsck -p: repairs what is safe to repair without a human. Exit 0/1: clean or fixed.
Status CheckImage(const std::string& image, bool force) {
  std::vector<std::string> argv = {"e2fsck", "-p"};
  if (force) argv.push_back("-f");
  argv.push_back(image);
  CODESPHERE_ASSIGN_OR_RETURN(ToolResult r, RunTool(std::move(argv)));
  if (r.exit_code == 0 || r.exit_code == 1) return OkStatus();
  if (r.exit_code & 4) {
    return DataLossError("workspace image " + image + " is damaged beyond automatic repair: " +
                         r.output);
  }
  return ToolFailed("e2fsck " + image, r);
}

// Formats a fresh file system of `size` bytes into the new file `path` (removed again on
// failure).
Status FormatImage(const WorkspaceVolumeOptions& o, uint64_t size, const std::string& path) {
  unlink(path.c_str());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoToStatus(errno, "create " + path);
  UniqueFd file(fd);
  auto fail = [&](Status s) {
    unlink(path.c_str());
    return s;
  };
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return fail(ErrnoToStatus(errno, "size " + path));
  }
  auto r = RunTool({"mke2fs", "-t", "ext4", "-q", "-F", "-m", "0", "-L", "workspace", "-E",
                    "root_owner=" + std::to_string(o.owner_uid) + ":" +
                        std::to_string(o.owner_gid) +
                        ",lazy_itable_init=1,lazy_journal_init=1,nodiscard",
                    path});
  if (!r.ok()) return fail(r.error());
  if (r->exit_code != 0) return fail(ToolFailed("mke2fs " + path, *r));
  if (fsync(fd) != 0) return fail(ErrnoToStatus(errno, "fsync " + path));
  return OkStatus();
}

// Brings an unmounted image to `size`: grow = extend the file, then resize2fs; shrink =
// resize2fs first (fails when the files need more), then cut the file.
Status ResizeImage(const std::string& image, uint64_t from, uint64_t size) {
  CODESPHERE_RETURN_IF_ERROR(CheckImage(image, /*force=*/true));
  if (size > from && truncate(image.c_str(), static_cast<off_t>(size)) != 0) {
    return ErrnoToStatus(errno, "grow " + image);
  }
  CODESPHERE_ASSIGN_OR_RETURN(
      ToolResult r, RunTool({"resize2fs", image, std::to_string(size >> 10) + "K"}));
  if (r.exit_code != 0) {
    if (size < from) {
      return ResourceExhaustedError("cannot shrink workspace image " + image + " to " +
                                    std::to_string(size) + " bytes: " + r.output);
    }
    return ToolFailed("resize2fs " + image, r);
  }
  if (size < from && truncate(image.c_str(), static_cast<off_t>(size)) != 0) {
    return ErrnoToStatus(errno, "shrink " + image);
  }
  return OkStatus();
}

// Attaches `image_fd` to a free loop device; returns the device's fd and path. The device
// detaches itself when the last user (the mount) lets go (LO_FLAGS_AUTOCLEAR).
Result<std::pair<UniqueFd, std::string>> AttachLoop(int image_fd, const std::string& image) {
  int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0) return ErrnoToStatus(errno, "open /dev/loop-control");
  UniqueFd control(ctl);
  for (int attempt = 0; attempt < 64; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return ErrnoToStatus(errno, "LOOP_CTL_GET_FREE");
    std::string dev = "/dev/loop" + std::to_string(n);
    int fd = open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;  // devtmpfs has not created the node yet
      return ErrnoToStatus(errno, "open " + dev);
    }
    UniqueFd loop(fd);
    struct loop_config config = {};
    config.fd = static_cast<uint32_t>(image_fd);
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
    if (ioctl(loop.get(), LOOP_CONFIGURE, &config) == 0) {
      return std::make_pair(std::move(loop), dev);
    }
    if (errno != EBUSY) return ErrnoToStatus(errno, "LOOP_CONFIGURE " + dev);
    // Another process took this device between GET_FREE and CONFIGURE: ask again.
  }
  return ResourceExhaustedError("no free loop device");
}

// The image behind the loop device `dev` ("" when `dev` is no loop device).
std::string LoopBackingFile(dev_t dev) {
  return ReadBackingFile("/sys/dev/block/" + std::to_string(major(dev)) + ":" +
                         std::to_string(minor(dev)));
}

// True when `path` has no entries; an unreadable directory is an error.
Result<bool> IsEmptyDirectory(const std::string& path) {
  CODESPHERE_ASSIGN_OR_RETURN(SafeDir dir, SafeDir::Open(path));
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, dir.List(""));
  return entries.empty();
}

void CopyAttributes(int fd, const struct stat& st) {
  // Best effort beyond the content: a file the supervisor cannot chown stays its own.
  if (fchown(fd, st.st_uid, st.st_gid) != 0) LogDebug("chown while moving into a volume");
  fchmod(fd, st.st_mode & 07777);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  futimens(fd, times);
}

// Copies what is below the directory `src` into the directory `dst`, never following a
// symlink (links are copied as links): directories, regular files (content, mode, owner,
// times) and symlinks. Sockets, FIFOs and devices are left out.
Status CopyTree(int src, int dst, int depth) {
  if (depth > 256) return ResourceExhaustedError("directory tree too deep to move");
  int dup_fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoToStatus(errno, "dup");
  CODESPHERE_ASSIGN_OR_RETURN(SafeDir dir, SafeDir::FromFd(UniqueFd(dup_fd)));
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, dir.List(""));
  std::vector<char> buf(1 << 20);
  for (const DirEntry& entry : entries) {
    const std::string& name = entry.name;
    struct stat st;
    if (fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoToStatus(errno, "stat " + name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst, name.c_str(), 0700) != 0) return ErrnoToStatus(errno, "mkdir " + name);
      UniqueFd from(OpenBeneathRaw(src, name, O_RDONLY | O_DIRECTORY));
      UniqueFd to(OpenBeneathRaw(dst, name, O_RDONLY | O_DIRECTORY));
      if (!from.valid() || !to.valid()) return BeneathError(errno, "open", name);
      CODESPHERE_RETURN_IF_ERROR(CopyTree(from.get(), to.get(), depth + 1));
      CopyAttributes(to.get(), st);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd from(OpenBeneathRaw(src, name, O_RDONLY | O_NONBLOCK | O_NOCTTY));
      if (!from.valid()) return BeneathError(errno, "open", name);
      UniqueFd to(OpenBeneathRaw(dst, name, O_WRONLY | O_CREAT | O_EXCL, 0600));
      if (!to.valid()) return BeneathError(errno, "create", name);
      for (;;) {
        ssize_t n = read(from.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return ErrnoToStatus(errno, "read " + name);
        if (n == 0) break;
        CODESPHERE_RETURN_IF_ERROR(
            WriteAll(to.get(), ByteSpan(reinterpret_cast<const uint8_t*>(buf.data()),
                                        static_cast<size_t>(n)),
                     name));
      }
      CopyAttributes(to.get(), st);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(src, name.c_str(), target, sizeof(target) - 1);
      if (n < 0) return ErrnoToStatus(errno, "readlink " + name);
      target[n] = '\0';
      if (symlinkat(target, dst, name.c_str()) != 0) return ErrnoToStatus(errno, "symlink " + name);
      fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      utimensat(dst, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }
  return OkStatus();
}

// A new image for a workspace that already holds files: formatted as `<image>.partial`,
// mounted on `<image>.staging`, filled with a copy of the files, unmounted; only then
// renamed to `image` (the commit point: before it, the files are untouched and a crash
// leaves no image), after which the originals are removed from the host directory.
Status CreateImageWithExistingFiles(const WorkspaceVolumeOptions& o, uint64_t size) {
  const std::string partial = o.image + ".partial";
  const std::string staging = o.image + ".staging";
  CODESPHERE_RETURN_IF_ERROR(FormatImage(o, size, partial));
  rmdir(staging.c_str());
  if (mkdir(staging.c_str(), 0700) != 0) {
    unlink(partial.c_str());
    return ErrnoToStatus(errno, "mkdir " + staging);
  }
  bool mounted = false;
  auto cleanup = [&](Status s) {
    if (mounted) umount2(staging.c_str(), UMOUNT_NOFOLLOW);
    rmdir(staging.c_str());
    unlink(partial.c_str());
    return s;
  };
  {
    int fd = open(partial.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return cleanup(ErrnoToStatus(errno, "open " + partial));
    UniqueFd image(fd);
    auto loop = AttachLoop(image.get(), partial);
    if (!loop.ok()) return cleanup(loop.error());
    if (mount(loop->second.c_str(), staging.c_str(), "ext4", kMountFlags, "") != 0) {
      return cleanup(ErrnoToStatus(errno, "mount " + loop->second + " on " + staging));
    }
    mounted = true;
  }
  rmdir((staging + "/lost+found").c_str());
  Status copied;
  {
    auto from = OpenDirectory(o.mount_point, false);
    auto to = OpenDirectory(staging, false);
    if (!from.ok()) return cleanup(from.error());
    if (!to.ok()) return cleanup(to.error());
    copied = CopyTree(from->get(), to->get(), 0);
    struct stat st;
    if (copied.ok() && fstat(from->get(), &st) == 0) CopyAttributes(to->get(), st);
  }
  if (!copied.ok()) {
    return cleanup(copied.WithContext("moving the files of " + o.mount_point + " into its volume"));
  }
  if (umount2(staging.c_str(), UMOUNT_NOFOLLOW) != 0) {
    return cleanup(ErrnoToStatus(errno, "unmount " + staging));
  }
  mounted = false;
  rmdir(staging.c_str());
  if (rename(partial.c_str(), o.image.c_str()) != 0) {
    return cleanup(ErrnoToStatus(errno, "rename " + partial));
  }
  // The copies are safe in the image; the host directory becomes an empty mount point.
  auto workspace = SafeDir::Open(o.mount_point);
  if (!workspace.ok()) return workspace.error();
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, workspace->List(""));
  for (const DirEntry& e : entries) CODESPHERE_RETURN_IF_ERROR(workspace->RemoveAll(e.name));
  LogInfo("moved existing workspace files into a new volume",
          {{"mount_point", o.mount_point}, {"entries", entries.size()}});
  return OkStatus();
}

class LoopWorkspaceVolume final : public WorkspaceVolume {
 public:
  LoopWorkspaceVolume(std::string image, std::string mount_point, uint64_t size, UniqueFd lock)
      : image_(std::move(image)),
        mount_point_(std::move(mount_point)),
        size_(size),
        lock_(std::move(lock)) {}

  // Called by the shared_ptr's deleter, with the registry entry marked busy.
  void Unmount() {
    if (umount2(mount_point_.c_str(), UMOUNT_NOFOLLOW) == 0) return;
    if (errno == EBUSY) {
      LogWarning("workspace volume busy on the host; detaching it lazily",
                 {{"mount_point", mount_point_}});
      if (umount2(mount_point_.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return;
    }
    LogError("cannot unmount workspace volume",
             {{"mount_point", mount_point_}, {"error", strerror(errno)}});
  }

  // sandbox::WorkspaceVolume
  const std::string& image() const override { return image_; }
  const std::string& mount_point() const override { return mount_point_; }
  uint64_t size_bytes() const override { return size_; }
  Status Trim() override {
    int fd = open(mount_point_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return ErrnoToStatus(errno, "open " + mount_point_);
    UniqueFd root(fd);
    // Blocks freed in the running journal transaction are not free for FITRIM until it
    // commits.
    if (syncfs(root.get()) != 0) return ErrnoToStatus(errno, "syncfs " + mount_point_);
    struct fstrim_range range = {};
    range.len = UINT64_MAX;
    if (ioctl(root.get(), FITRIM, &range) != 0) return ErrnoToStatus(errno, "FITRIM " + mount_point_);
    return OkStatus();
  }
  Result<WorkspaceVolumeUsage> Usage() const override {
    struct statvfs vfs;
    if (statvfs(mount_point_.c_str(), &vfs) != 0) {
      return ErrnoToStatus(errno, "statvfs " + mount_point_);
    }
    struct stat st;
    if (fstat(lock_.get(), &st) != 0) return ErrnoToStatus(errno, "fstat " + image_);
    WorkspaceVolumeUsage u;
    u.size_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    u.free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    u.used_bytes = static_cast<uint64_t>(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
    u.inodes_free = vfs.f_favail;
    u.inodes_used = vfs.f_files - vfs.f_ffree;
    u.image_allocated_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
    return u;
  }

 private:
  const std::string image_;
  const std::string mount_point_;
  const uint64_t size_;
  const UniqueFd lock_;  // the image, flock'ed: one supervisor process per image
};

// Volumes this process has mounted, by mount point. An entry is `busy` while its volume is
// being mounted or unmounted (outside the lock: e2fsck, mke2fs and resize2fs can take a
// while, and other workspaces must not wait for them); whoever finds a busy or expiring
// entry waits until it settles, so an unmount never races a new mount of the same
// workspace.
struct Registry {
  struct Entry {
    std::weak_ptr<LoopWorkspaceVolume> volume;
    bool busy = false;
  };
  std::mutex mu;
  std::condition_variable settled;
  std::map<std::string, Entry> volumes;
};
Registry& GetRegistry() {
  static auto* registry = new Registry();
  return *registry;
}

Result<std::unique_ptr<LoopWorkspaceVolume>> MountUnregistered(const WorkspaceVolumeOptions& o,
                                                         uint64_t size) {
  CODESPHERE_RETURN_IF_ERROR(MakeDirectories(o.image.substr(0, o.image.rfind('/'))));
  CODESPHERE_RETURN_IF_ERROR(MakeDirectories(o.mount_point));
  struct stat mp, parent;
  if (lstat(o.mount_point.c_str(), &mp) != 0) return ErrnoToStatus(errno, "stat " + o.mount_point);
  if (!S_ISDIR(mp.st_mode)) {
    return FailedPreconditionError("workspace " + o.mount_point + " is not a directory");
  }
  std::string mp_parent = o.mount_point.substr(0, o.mount_point.rfind('/'));
  if (mp_parent.empty()) mp_parent = "/";
  if (stat(mp_parent.c_str(), &parent) != 0) return ErrnoToStatus(errno, "stat " + mp_parent);
  const bool is_mount_point = mp.st_dev != parent.st_dev;
  const bool image_exists = access(o.image.c_str(), F_OK) == 0;
  if (!image_exists) {
    if (is_mount_point) {
      return FailedPreconditionError("workspace " + o.mount_point +
                                     " is already a mount point of another file system");
    }
    CODESPHERE_ASSIGN_OR_RETURN(bool empty, IsEmptyDirectory(o.mount_point));
    if (empty) {
      CODESPHERE_RETURN_IF_ERROR(FormatImage(o, size, o.image + ".partial"));
      if (rename((o.image + ".partial").c_str(), o.image.c_str()) != 0) {
        return ErrnoToStatus(errno, "rename " + o.image + ".partial");
      }
    } else if (o.move_existing_files) {
      CODESPHERE_RETURN_IF_ERROR(CreateImageWithExistingFiles(o, size));
    } else {
      return FailedPreconditionError("workspace " + o.mount_point +
                                     " holds files but has no image yet: they would be hidden "
                                     "under the new volume (set move_existing_files)");
    }
  }

  // One process owns an image at a time. The lock is on its own open file description (the
  // loop device holds another one, which may outlive us), so it dies with its process and
  // a crashed supervisor's mount can be adopted.
  int raw = open(o.image.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (raw < 0) return ErrnoToStatus(errno, "open " + o.image);
  UniqueFd lock(raw);
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return FailedPreconditionError("workspace image " + o.image +
                                     " is in use by another process");
    }
    return ErrnoToStatus(errno, "flock " + o.image);
  }
  struct stat img;
  if (fstat(lock.get(), &img) != 0) return ErrnoToStatus(errno, "fstat " + o.image);
  if (!S_ISREG(img.st_mode)) return FailedPreconditionError(o.image + " is not a regular file");
  char resolved[PATH_MAX];
  if (realpath(o.image.c_str(), resolved) == nullptr) {
    return ErrnoToStatus(errno, "realpath " + o.image);
  }
  const uint64_t current = static_cast<uint64_t>(img.st_size);

  if (is_mount_point) {
    if (LoopBackingFile(mp.st_dev) != resolved) {
      return FailedPreconditionError("workspace " + o.mount_point +
                                     " is already a mount point of another file system");
    }
    if (current != size) {
      return FailedPreconditionError("workspace volume " + o.mount_point + " is mounted with " +
                                     std::to_string(current) + " bytes; unmount it to resize it");
    }
    LogInfo("adopting a mounted workspace volume", {{"mount_point", o.mount_point}});
    return std::make_unique<LoopWorkspaceVolume>(o.image, o.mount_point, size, std::move(lock));
  }
  // Still attached and mounted: a lazily unmounted file system that a host process keeps
  // open, or, for a moment, the copy a mount namespace being set up elsewhere (a sandbox's
  // clone) took of our mount before it detaches it. Mounting the same device again shares
  // its super block; checking or resizing the image meanwhile would not be safe.
  std::string attached = AttachedLoopDevice(resolved);
  if (!attached.empty() && current != size) {
    // A copy in a starting sandbox goes within milliseconds: wait a little for it.
    for (int i = 0; i < 100 && BlockDeviceMounted(attached); ++i) usleep(10 * 1000);
    if (BlockDeviceMounted(attached)) {
      return FailedPreconditionError("workspace image " + o.image +
                                     " is still in use (lazily unmounted); cannot resize it");
    }
    attached.clear();
  }
  if (!attached.empty() && BlockDeviceMounted(attached)) {
    if (mount(attached.c_str(), o.mount_point.c_str(), "ext4", kMountFlags,
              kMountOptions) == 0) {
      return std::make_unique<LoopWorkspaceVolume>(o.image, o.mount_point, size, std::move(lock));
    }
    // The device let go in the meantime: attach afresh below.
  }
  if (image_exists && current != size) {
    CODESPHERE_RETURN_IF_ERROR(ResizeImage(o.image, current, size));
  } else if (image_exists) {
    CODESPHERE_RETURN_IF_ERROR(CheckImage(o.image, /*force=*/false));
  }
  int image_fd = open(o.image.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (image_fd < 0) return ErrnoToStatus(errno, "open " + o.image);
  UniqueFd image(image_fd);
  CODESPHERE_ASSIGN_OR_RETURN(auto loop, AttachLoop(image.get(), resolved));
  if (mount(loop.second.c_str(), o.mount_point.c_str(), "ext4", kMountFlags,
            kMountOptions) != 0) {
    // Closing the loop fd (on return) detaches the device again (autoclear).
    return ErrnoToStatus(errno, "mount " + loop.second + " on " + o.mount_point);
  }
  if (!image_exists) {
    // mke2fs's lost+found would show up in every new workspace; e2fsck recreates it when it
    // needs one.
    rmdir((o.mount_point + "/lost+found").c_str());
  }
  return std::make_unique<LoopWorkspaceVolume>(o.image, o.mount_point, size, std::move(lock));
}

}  // namespace

std::string DefaultWorkspaceImage(const std::string& workspace) { return workspace + ".img"; }

Result<std::shared_ptr<WorkspaceVolume>> MountWorkspaceVolume(const WorkspaceVolumeOptions& o) {
  if (!IsNormalizedAbsolute(o.image) || !IsNormalizedAbsolute(o.mount_point)) {
    return InvalidArgumentError("workspace volume: image and mount_point must be absolute, "
                                "normalized paths");
  }
  if (o.image.rfind(o.mount_point + "/", 0) == 0 || o.image == o.mount_point) {
    return InvalidArgumentError("workspace image " + o.image + " must not lie inside " +
                                o.mount_point + " (the sandbox would write its own image)");
  }
  if (o.size_bytes < kMinSize || o.size_bytes > (1ull << 50)) {
    return InvalidArgumentError("workspace size must be at least 16 MiB (and below 1 PiB)");
  }
  if (geteuid() != 0) {
    return PermissionDeniedError("workspace volumes need root (loop devices, mount)");
  }
  const uint64_t size = (o.size_bytes + kRound - 1) / kRound * kRound;
  Registry& registry = GetRegistry();
  std::unique_lock<std::mutex> lock(registry.mu);
  for (;;) {
    auto it = registry.volumes.find(o.mount_point);
    if (it == registry.volumes.end()) break;
    std::shared_ptr<LoopWorkspaceVolume> existing = it->second.volume.lock();
    if (it->second.busy || !existing) {
      registry.settled.wait(lock);  // being mounted, or its last holder is unmounting it
      continue;
    }
    if (existing->image() != o.image) {
      return FailedPreconditionError("workspace " + o.mount_point + " is mounted from " +
                                     existing->image());
    }
    if (existing->size_bytes() != size) {
      return FailedPreconditionError("workspace volume " + o.mount_point + " is mounted with " +
                                     std::to_string(existing->size_bytes()) +
                                     " bytes; release it to resize it");
    }
    return std::shared_ptr<WorkspaceVolume>(std::move(existing));
  }
  registry.volumes[o.mount_point].busy = true;
  lock.unlock();
  auto mounted = MountUnregistered(o, size);
  lock.lock();
  if (!mounted.ok()) {
    registry.volumes.erase(o.mount_point);
    registry.settled.notify_all();
    return mounted.error();
  }
  std::shared_ptr<LoopWorkspaceVolume> shared(mounted->release(), [](LoopWorkspaceVolume* v) {
    Registry& registry = GetRegistry();
    {
      std::lock_guard<std::mutex> guard(registry.mu);
      registry.volumes[v->mount_point()].busy = true;
    }
    const std::string mount_point = v->mount_point();
    v->Unmount();
    delete v;  // releases the image's lock before the next mount may take it
    {
      std::lock_guard<std::mutex> guard(registry.mu);
      registry.volumes.erase(mount_point);
    }
    registry.settled.notify_all();
  });
  Registry::Entry& entry = registry.volumes[o.mount_point];
  entry.volume = shared;
  entry.busy = false;
  registry.settled.notify_all();
  return std::shared_ptr<WorkspaceVolume>(std::move(shared));
}

Result<std::shared_ptr<WorkspaceVolume>> MountWorkspaceVolumeForSpec(const Spec& spec) {
  if (spec.rootfs.workspace_size_bytes == 0) return std::shared_ptr<WorkspaceVolume>();
  WorkspaceVolumeOptions options;
  options.mount_point = spec.rootfs.workspace;
  options.image = spec.rootfs.workspace_image.empty()
                      ? DefaultWorkspaceImage(spec.rootfs.workspace)
                      : spec.rootfs.workspace_image;
  options.size_bytes = spec.rootfs.workspace_size_bytes;
  options.owner_uid = spec.user.outside_uid;
  options.owner_gid = spec.user.outside_gid;
  options.move_existing_files = true;
  return MountWorkspaceVolume(options);
}

Status ProbeWorkspaceVolumeSupport() {
  if (geteuid() != 0) return PermissionDeniedError("workspace volumes need root");
  if (access("/dev/loop-control", R_OK | W_OK) != 0) {
    return FailedPreconditionError("no /dev/loop-control (loop devices unavailable)");
  }
  for (const char* tool : {"mke2fs", "e2fsck", "resize2fs"}) {
    if (FindTool(tool).empty()) {
      return FailedPreconditionError(std::string(tool) + " not found (install e2fsprogs)");
    }
  }
  auto filesystems = internal::ReadKernelFile("/proc/filesystems");
  if (!filesystems.ok() || filesystems->find("\text4\n") == std::string::npos) {
    return FailedPreconditionError("the kernel has no ext4 support");
  }
  return OkStatus();
}

}  // namespace codesphere::sandbox
