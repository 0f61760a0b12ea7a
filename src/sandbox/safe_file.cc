// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// SafeDir: every lookup is openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS) from the root descriptor, so the kernel (not a check-then-use in
// user space) guarantees that no symlink and no ".." is followed.
#include "codesphere/sandbox/safe_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "codesphere/base/status_macros.h"

namespace codesphere::sandbox {
namespace {

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
constexpr int kMaxDepth = 256;

int OpenBeneath(int root, const std::string& path, uint64_t flags, uint64_t mode = 0);

// Maps the errno of an operation on `path` (relative to `root`) to a Status. ENOTDIR is what
// O_DIRECTORY|O_NOFOLLOW yields on a symlink, so a symlinked component is looked for then.
Status PathError(int err, std::string_view op, std::string_view shown, int root = -1,
                 std::string_view lookup = {}) {
  std::string context = std::string(op) + " '" + std::string(shown) + "'";
  std::string_view path = lookup.empty() ? shown : lookup;
  if (err == ENOTDIR && root >= 0) {
    std::string prefix;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string_view::npos) end = path.size();
      prefix = std::string(path.substr(0, end));
      int fd = OpenBeneath(root, prefix, O_PATH);
      if (fd < 0) {
        if (errno == ELOOP || errno == EXDEV) err = ELOOP;
        break;
      }
      struct stat st;
      bool link = fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
      close(fd);
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

Status CheckRelative(std::string_view path) {
  if (path.empty()) return InvalidArgumentError("empty path");
  if (path.size() > 4000) return InvalidArgumentError("path too long");
  if (path.front() == '/') return InvalidArgumentError("'" + std::string(path) + "' is absolute");
  if (path.find('\0') != std::string_view::npos) return InvalidArgumentError("path contains NUL");
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(pos, end - pos);
    if (comp.empty() || comp == "." || comp == "..") {
      return InvalidArgumentError("'" + std::string(path) + "' is not a normalized relative path");
    }
    pos = end + 1;
  }
  return OkStatus();
}

int OpenBeneath(int root, const std::string& path, uint64_t flags, uint64_t mode) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC | O_NOFOLLOW;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = kResolve;
  long fd;
  do {
    fd = syscall(SYS_openat2, root, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EAGAIN);
  return static_cast<int>(fd);
}

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

// The directory holding `path` (opened beneath `root`) and the last component.
struct ParentAndName {
  UniqueFd owned;  // invalid when the parent is the root itself
  int fd = -1;
  std::string name;
};

Result<ParentAndName> OpenParent(int root, std::string_view path) {
  CODESPHERE_RETURN_IF_ERROR(CheckRelative(path));
  ParentAndName out;
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    out.fd = root;
    out.name = std::string(path);
    return out;
  }
  std::string parent(path.substr(0, slash));
  int fd = OpenBeneath(root, parent, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return PathError(errno, "open parent of", path, root, parent);
  out.owned.reset(fd);
  out.fd = fd;
  out.name = std::string(path.substr(slash + 1));
  return out;
}

Result<std::vector<DirEntry>> ReadEntries(int dir_fd) {
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return ErrnoToStatus(errno, "dup");
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    close(dup_fd);
    return ErrnoToStatus(errno, "fdopendir");
  }
  rewinddir(dir);
  std::vector<DirEntry> entries;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    FileType type = FileType::kOther;
    switch (e->d_type) {
      case DT_REG: type = FileType::kRegular; break;
      case DT_DIR: type = FileType::kDirectory; break;
      case DT_LNK: type = FileType::kSymlink; break;
      case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) type = TypeOf(st.st_mode);
        break;
      }
      default: break;
    }
    entries.push_back({std::move(name), type});
  }
  int err = errno;
  closedir(dir);
  if (err != 0) return ErrnoToStatus(err, "readdir");
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

// Removes entry `name` of `dir_fd` and, for a directory, everything below it.
Status RemoveTreeAt(int dir_fd, const std::string& name, int depth) {
  if (depth > kMaxDepth) return ResourceExhaustedError("directory tree too deep to remove");
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoToStatus(errno, "stat " + name);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = OpenBeneath(dir_fd, name, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      UniqueFd sub(fd);
      CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadEntries(sub.get()));
      for (const DirEntry& e : entries) {
        CODESPHERE_RETURN_IF_ERROR(RemoveTreeAt(sub.get(), e.name, depth + 1));
      }
      if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
        return OkStatus();
      }
      return ErrnoToStatus(errno, "rmdir " + name);
    }
    // Swapped for a symlink or file since the stat: remove that entry itself below.
  }
  if (unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return OkStatus();
  if (errno == EISDIR) return RemoveTreeAt(dir_fd, name, depth + 1);
  return ErrnoToStatus(errno, "unlink " + name);
}

// chowns the object behind `fd` (an O_PATH descriptor) unless it is a multiply-linked file,
// then recurses into it when it is a directory.
Status ChownFd(int fd, uid_t uid, gid_t gid, int depth) {
  if (depth > kMaxDepth) return ResourceExhaustedError("directory tree too deep to chown");
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoToStatus(errno, "fstat");
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) return OkStatus();  // maybe a planted link
  if (st.st_uid != uid || st.st_gid != gid) {
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoToStatus(errno, "chown");
    }
  }
  if (!S_ISDIR(st.st_mode)) return OkStatus();
  int dir = OpenBeneath(fd, ".", O_RDONLY | O_DIRECTORY);
  if (dir < 0) return ErrnoToStatus(errno, "open directory");
  UniqueFd dir_fd(dir);
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadEntries(dir_fd.get()));
  for (const DirEntry& e : entries) {
    int child = OpenBeneath(dir_fd.get(), e.name, O_PATH);
    if (child < 0) {
      if (errno == ENOENT) continue;
      return ErrnoToStatus(errno, "open " + e.name);
    }
    UniqueFd child_fd(child);
    CODESPHERE_RETURN_IF_ERROR(ChownFd(child_fd.get(), uid, gid, depth + 1));
  }
  return OkStatus();
}

// New files and directories belong to the tree's owner (the owner of the root directory),
// so what the supervisor writes into a sandbox's workspace stays writable by the sandbox.
// Only a privileged supervisor can give files away; otherwise they stay its own.
void GiveToTreeOwner(int root_fd, int fd) {
  if (geteuid() != 0) return;
  struct stat root, st;
  if (fstat(root_fd, &root) != 0 || fstat(fd, &st) != 0) return;
  if (st.st_uid != root.st_uid || st.st_gid != root.st_gid) {
    if (fchown(fd, root.st_uid, root.st_gid) != 0) return;
  }
}

}  // namespace

Result<SafeDir> SafeDir::Open(const std::string& host_path) {
  int fd = open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return ErrnoToStatus(errno, "open directory " + host_path);
  return SafeDir(UniqueFd(fd));
}

Result<SafeDir> SafeDir::FromFd(UniqueFd dir_fd) {
  struct stat st;
  if (!dir_fd.valid() || fstat(dir_fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return InvalidArgumentError("not a directory descriptor");
  }
  return SafeDir(std::move(dir_fd));
}

Result<UniqueFd> SafeDir::OpenAt(std::string_view path, int flags, uint32_t mode) const {
  CODESPHERE_RETURN_IF_ERROR(CheckRelative(path));
  int fd = OpenBeneath(fd_.get(), std::string(path), static_cast<uint64_t>(flags), mode);
  if (fd < 0) return PathError(errno, "open", path, fd_.get());
  return UniqueFd(fd);
}

Result<std::string> SafeDir::ReadFile(std::string_view path, uint64_t max_bytes) const {
  CODESPHERE_ASSIGN_OR_RETURN(UniqueFd fd, OpenAt(path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "fstat");
  if (!S_ISREG(st.st_mode)) {
    return FailedPreconditionError("'" + std::string(path) + "' is not a regular file");
  }
  // A hard link planted into the tree must not leak a foreign file's contents (e.g. into a
  // snapshot): multiply-linked files are read only when owned by the tree's owner.
  struct stat root_st;
  if (st.st_nlink > 1 && (fstat(fd_.get(), &root_st) != 0 || st.st_uid != root_st.st_uid)) {
    return PermissionDeniedError("'" + std::string(path) +
                                 "' is a hard link to a file the tree's owner does not own");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return ResourceExhaustedError("'" + std::string(path) + "' is larger than the limit");
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "read '" + std::string(path) + "'");
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return ResourceExhaustedError("'" + std::string(path) + "' is larger than the limit");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status SafeDir::WriteFile(std::string_view path, std::string_view data, uint32_t mode,
                          bool fsync_data) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentAndName parent, OpenParent(fd_.get(), path));
  uint64_t random = 0;
  if (getrandom(&random, sizeof(random), 0) != sizeof(random)) {
    return ErrnoToStatus(errno, "getrandom");
  }
  char suffix[32];
  snprintf(suffix, sizeof(suffix), ".cs-tmp-%016llx", static_cast<unsigned long long>(random));
  std::string tmp = "." + parent.name.substr(0, 200) + suffix;
  int fd = OpenBeneath(parent.fd, tmp, O_WRONLY | O_CREAT | O_EXCL, mode & 07777);
  if (fd < 0) return PathError(errno, "create temp file for", path);
  UniqueFd file(fd);
  auto fail = [&](Status s) {
    unlinkat(parent.fd, tmp.c_str(), 0);
    return s;
  };
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(file.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrnoToStatus(errno, "write '" + std::string(path) + "'"));
    off += static_cast<size_t>(n);
  }
  GiveToTreeOwner(fd_.get(), file.get());
  if (fchmod(file.get(), mode & 07777) != 0) return fail(ErrnoToStatus(errno, "fchmod"));
  if (fsync_data && fsync(file.get()) != 0) return fail(ErrnoToStatus(errno, "fsync"));
  // rename replaces the directory entry: a symlink or hard link planted at `path` is
  // replaced, never written through.
  if (renameat(parent.fd, tmp.c_str(), parent.fd, parent.name.c_str()) != 0) {
    return fail(PathError(errno, "rename into", path));
  }
  if (fsync_data) fsync(parent.fd);
  return OkStatus();
}

Status SafeDir::MakeDirectory(std::string_view path, uint32_t mode, bool parents) const {
  CODESPHERE_RETURN_IF_ERROR(CheckRelative(path));
  UniqueFd current;
  int dir = fd_.get();
  size_t pos = 0;
  while (pos < path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string comp(path.substr(pos, end - pos));
    bool last = end == path.size();
    bool created = mkdirat(dir, comp.c_str(), mode & 07777) == 0;
    if (!created) {
      if (errno != EEXIST) return PathError(errno, "mkdir", path);
      if (last && !parents) return AlreadyExistsError("'" + std::string(path) + "' exists");
    }
    int next = OpenBeneath(dir, comp, O_RDONLY | O_DIRECTORY);
    if (next < 0) return PathError(errno, "open", path, dir, comp);
    current.reset(next);
    dir = next;
    if (created) GiveToTreeOwner(fd_.get(), next);
    pos = end + 1;
  }
  return OkStatus();
}

Status SafeDir::Remove(std::string_view path) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentAndName parent, OpenParent(fd_.get(), path));
  struct stat st;
  if (fstatat(parent.fd, parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return PathError(errno, "stat", path);
  }
  int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
  if (unlinkat(parent.fd, parent.name.c_str(), flags) != 0) return PathError(errno, "remove", path);
  return OkStatus();
}

Status SafeDir::RemoveAll(std::string_view path) const {
  auto parent = OpenParent(fd_.get(), path);
  if (!parent.ok()) {
    return parent.error().code() == StatusCode::kNotFound ? OkStatus() : parent.error();
  }
  return RemoveTreeAt(parent->fd, parent->name, 0);
}

Status SafeDir::Rename(std::string_view from, std::string_view to) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentAndName a, OpenParent(fd_.get(), from));
  CODESPHERE_ASSIGN_OR_RETURN(ParentAndName b, OpenParent(fd_.get(), to));
  if (renameat(a.fd, a.name.c_str(), b.fd, b.name.c_str()) != 0) {
    return PathError(errno, "rename", from);
  }
  return OkStatus();
}

Status SafeDir::Chmod(std::string_view path, uint32_t mode) const {
  CODESPHERE_ASSIGN_OR_RETURN(UniqueFd fd, OpenAt(path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "fstat");
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    return PermissionDeniedError("'" + std::string(path) + "' has more than one hard link");
  }
  if (fchmod(fd.get(), mode & 07777) != 0) return PathError(errno, "chmod", path);
  return OkStatus();
}

Status SafeDir::ChownTree(std::string_view path, uid_t uid, gid_t gid) const {
  UniqueFd start;
  if (path.empty() || path == ".") {
    int fd = OpenBeneath(fd_.get(), ".", O_PATH);
    if (fd < 0) return ErrnoToStatus(errno, "open root");
    start.reset(fd);
  } else {
    CODESPHERE_ASSIGN_OR_RETURN(start, OpenAt(path, O_PATH));
  }
  return ChownFd(start.get(), uid, gid, 0);
}

Result<std::vector<DirEntry>> SafeDir::List(std::string_view path) const {
  UniqueFd dir;
  if (path.empty() || path == ".") {
    int fd = OpenBeneath(fd_.get(), ".", O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ErrnoToStatus(errno, "open root");
    dir.reset(fd);
  } else {
    CODESPHERE_ASSIGN_OR_RETURN(dir, OpenAt(path, O_RDONLY | O_DIRECTORY));
  }
  return ReadEntries(dir.get());
}

Result<FileInfo> SafeDir::Stat(std::string_view path) const {
  UniqueFd fd;
  if (path.empty() || path == ".") {
    int raw = OpenBeneath(fd_.get(), ".", O_PATH);
    if (raw < 0) return ErrnoToStatus(errno, "open root");
    fd.reset(raw);
  } else {
    CODESPHERE_ASSIGN_OR_RETURN(fd, OpenAt(path, O_PATH));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "fstat");
  FileInfo info;
  info.type = TypeOf(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mode = st.st_mode & 07777;
  info.nlink = st.st_nlink;
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  return info;
}

}  // namespace codesphere::sandbox
