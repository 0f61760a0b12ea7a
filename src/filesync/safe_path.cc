// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace codesphere::filesync::internal {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Status ValidateRelativePath(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("path is empty");
  if (path.size() > 4096) return InvalidArgumentError("path is longer than 4096 bytes");
  if (path.front() == '/') return InvalidArgumentError("path " + std::string(path) + " is absolute");
  if (path.find('\0') != std::string_view::npos) return InvalidArgumentError("path contains NUL");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("path " + std::string(path) + " has an empty, '.' or '..' segment");
    }
    start = end + 1;
  }
  return OkStatus();
}

Result<UniqueFd> OpenBeneath(int dirfd, std::string_view path, int flags, mode_t mode) {
  if (Status s = ValidateRelativePath(path); !s.ok()) return s;
  std::string p(path);
  struct open_how how = {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof(how));
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) {
    if (errno == ELOOP) return PermissionDeniedError("symlink in path " + p + " refused");
    if (errno == EXDEV) return PermissionDeniedError("path " + p + " escapes its root");
    return ErrnoToStatus(errno, "open " + p);
  }
  return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> OpenRootDir(const std::string& dir, bool create) {
  if (dir.empty()) return InvalidArgumentError("directory is empty");
  if (create) {
    for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
      if (pos == dir.size() || dir[pos] == '/') {
        std::string part = dir.substr(0, pos);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
          return ErrnoToStatus(errno, "create directory " + part);
        }
      }
    }
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR) return InvalidArgumentError(dir + " is not a directory");
    return ErrnoToStatus(errno, "open directory " + dir);
  }
  return UniqueFd(fd);
}

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<std::size_t> ReadAll(int fd, std::string& out) {
  std::size_t total = 0;
  while (true) {
    std::size_t old = out.size();
    out.resize(old + (1 << 20));
    ssize_t n = ::read(fd, out.data() + old, 1 << 20);
    if (n < 0) {
      out.resize(old);
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read");
    }
    out.resize(old + static_cast<std::size_t>(n));
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  return total;
}

Status PwriteAll(int fd, const void* data, std::size_t size, off_t offset, std::string_view what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "write " + std::string(what));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return OkStatus();
}

}  // namespace codesphere::filesync::internal
