// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: the kernel, not a
// check-then-use in user space, guarantees that no symlink and no ".." is followed. The
// fallback walks one component at a time from the directory fd with O_NOFOLLOW, which holds
// the same line: each step is relative to a descriptor already known to be in the tree.
#include "codesphere/base/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "codesphere/base/status_macros.h"

namespace codesphere {
namespace {

constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

std::atomic<bool> g_disabled_for_test{false};

// openat2 exists and is allowed (ENOSYS before 5.6; some container seccomp profiles answer
// EPERM or ENOSYS for syscalls they do not know).
bool HaveOpenat2() {
  static const bool have = [] {
    struct open_how how = {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = kResolve;
    long fd = ::syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
    if (fd >= 0) {
      ::close(static_cast<int>(fd));
      return true;
    }
    return errno != ENOSYS && errno != EPERM;
  }();
  return have && !g_disabled_for_test.load(std::memory_order_relaxed);
}

bool IsSymlinkAt(int dir_fd, const std::string& name) {
  struct stat st;
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// One component at a time, never following a symlink; ".." is an escape (EXDEV).
int WalkBeneath(int dir_fd, const std::string& path, int flags, mode_t mode) {
  std::vector<std::string> segments = Segments(path);
  std::erase(segments, ".");
  if (segments.empty()) return ::openat(dir_fd, ".", flags, mode);
  UniqueFd current;
  int at = dir_fd;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    if (seg == "..") {
      errno = EXDEV;
      return -1;
    }
    const bool last = i + 1 == segments.size();
    int fd = last ? ::openat(at, seg.c_str(), flags, mode)
                  : ::openat(at, seg.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if ((err == ENOTDIR || err == ELOOP) && IsSymlinkAt(at, seg)) err = ELOOP;
      errno = err;
      return -1;
    }
    if (last) return fd;
    current.reset(fd);
    at = fd;
  }
  return -1;  // unreachable: the loop returns at the last segment
}

}  // namespace

void DisableOpenat2ForTest(bool disabled) { g_disabled_for_test.store(disabled); }

Status ValidateRelativePath(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("path is empty");
  if (path.size() > 4096) return InvalidArgumentError("path is longer than 4096 bytes");
  if (path.find('\0') != std::string_view::npos) return InvalidArgumentError("path contains NUL");
  if (path.front() == '/') return InvalidArgumentError("path '" + std::string(path) + "' is absolute");
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("path '" + std::string(path) +
                                  "' is not normalized (empty, '.' or '..' segment)");
    }
    pos = end + 1;
  }
  return OkStatus();
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

int OpenBeneathRaw(int dir_fd, const std::string& path, int flags, mode_t mode) {
  flags |= O_CLOEXEC | O_NOFOLLOW;
  mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  if (!HaveOpenat2()) return WalkBeneath(dir_fd, path, flags, mode);
  struct open_how how = {};
  how.flags = static_cast<std::uint64_t>(flags);
  how.mode = mode;
  how.resolve = kResolve;
  long fd;
  do {
    // EAGAIN: a concurrent rename raced the lookup (the kernel asks for a retry).
    fd = ::syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return static_cast<int>(fd);
}

Status BeneathError(int err, std::string_view op, std::string_view path, int dir_fd) {
  std::string context = std::string(op) + " '" + std::string(path) + "'";
  // ENOTDIR is also what O_DIRECTORY|O_NOFOLLOW yields on a symlink: look for one.
  if (err == ENOTDIR && dir_fd >= 0) {
    std::size_t pos = 0;
    while (pos <= path.size()) {
      std::size_t end = path.find('/', pos);
      if (end == std::string_view::npos) end = path.size();
      int fd = OpenBeneathRaw(dir_fd, std::string(path.substr(0, end)), O_PATH);
      if (fd < 0) {
        if (errno == ELOOP || errno == EXDEV) err = ELOOP;
        break;
      }
      struct stat st;
      bool link = ::fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
      ::close(fd);
      if (link) {
        err = ELOOP;
        break;
      }
      pos = end + 1;
    }
  }
  if (err == ELOOP || err == EXDEV) {
    return PermissionDeniedError(context + ": the path crosses a symlink or leaves the tree");
  }
  return ErrnoToStatus(err, context);
}

Result<UniqueFd> OpenBeneath(int dir_fd, std::string_view path, int flags, mode_t mode) {
  CODESPHERE_RETURN_IF_ERROR(ValidateRelativePath(path));
  int fd = OpenBeneathRaw(dir_fd, std::string(path), flags, mode);
  if (fd < 0) return BeneathError(errno, "open", path, dir_fd);
  return UniqueFd(fd);
}

Result<ParentDir> OpenParentBeneath(int dir_fd, std::string_view path) {
  CODESPHERE_RETURN_IF_ERROR(ValidateRelativePath(path));
  auto [parent, name] = SplitParent(path);
  ParentDir out;
  out.name = std::string(name);
  if (parent.empty()) {
    out.fd = dir_fd;
    return out;
  }
  int fd = OpenBeneathRaw(dir_fd, std::string(parent), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return BeneathError(errno, "open parent of", path, dir_fd);
  out.owned.reset(fd);
  out.fd = fd;
  return out;
}

Status MakeDirectoriesBeneath(int dir_fd, std::string_view path, mode_t mode, bool parents,
                              const std::function<void(int fd)>& on_created) {
  CODESPHERE_RETURN_IF_ERROR(ValidateRelativePath(path));
  UniqueFd current;
  int at = dir_fd;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string seg(path.substr(pos, end - pos));
    const bool last = end == path.size();
    const bool created = ::mkdirat(at, seg.c_str(), mode & 07777) == 0;
    if (!created) {
      if (errno != EEXIST) return BeneathError(errno, "mkdir", path);
      if (last && !parents) return AlreadyExistsError("'" + std::string(path) + "' exists");
    }
    // mkdirat never follows a symlink at `seg`; the open below refuses one that was there.
    int next = OpenBeneathRaw(at, seg, O_RDONLY | O_DIRECTORY);
    if (next < 0) return BeneathError(errno, "open", path.substr(0, end), dir_fd);
    current.reset(next);
    at = next;
    if (created && on_created) on_created(next);
    pos = end + 1;
  }
  return OkStatus();
}

Status MakeDirectories(const std::string& path, mode_t mode) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos == path.size() || path[pos] == '/') {
      std::string prefix = path.substr(0, pos);
      if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
        return ErrnoToStatus(errno, "create directory " + prefix);
      }
    }
  }
  return OkStatus();
}

Result<UniqueFd> OpenDirectory(const std::string& path, bool create) {
  if (path.empty()) return InvalidArgumentError("directory path is empty");
  if (create) CODESPHERE_RETURN_IF_ERROR(MakeDirectories(path));
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) return InvalidArgumentError(path + " is not a directory");
    return ErrnoToStatus(errno, "open directory " + path);
  }
  return UniqueFd(fd);
}

Result<std::size_t> ReadAll(int fd, std::string& out, std::uint64_t max_bytes) {
  std::size_t total = 0;
  for (;;) {
    // Ask for one byte past the limit, so that reaching it exactly is not an error.
    std::uint64_t room = max_bytes - total;
    std::size_t want = room >= (1u << 20) ? (1u << 20) : static_cast<std::size_t>(room) + 1;
    std::size_t old = out.size();
    out.resize(old + want);
    ssize_t n = ::read(fd, out.data() + old, want);
    if (n < 0) {
      out.resize(old);
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read");
    }
    out.resize(old + static_cast<std::size_t>(n));
    if (n == 0) return total;
    if (static_cast<std::uint64_t>(n) > room) {
      out.resize(old + static_cast<std::size_t>(room));
      return ResourceExhaustedError("file is larger than " + std::to_string(max_bytes) +
                                    " bytes");
    }
    total += static_cast<std::size_t>(n);
  }
}

}  // namespace codesphere
