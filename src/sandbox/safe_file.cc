// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// SafeDir: every lookup goes through base/safe_path.h (openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS from the root descriptor, or its O_NOFOLLOW
// walk), writes through base/durable_file.h; this file adds the ownership rules.
#include "codesphere/sandbox/safe_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "codesphere/base/bytes.h"
#include "codesphere/base/durable_file.h"
#include "codesphere/base/safe_path.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::sandbox {
namespace {

constexpr int kMaxDepth = 256;

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
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
    int fd = OpenBeneathRaw(dir_fd, name, O_RDONLY | O_DIRECTORY);
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
  int dir = OpenBeneathRaw(fd, ".", O_RDONLY | O_DIRECTORY);
  if (dir < 0) return ErrnoToStatus(errno, "open directory");
  UniqueFd dir_fd(dir);
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, ReadEntries(dir_fd.get()));
  for (const DirEntry& e : entries) {
    int child = OpenBeneathRaw(dir_fd.get(), e.name, O_PATH);
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
  return OpenBeneath(fd_.get(), path, flags, mode);
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
  auto read = ReadAll(fd.get(), out, max_bytes);
  if (!read.ok()) return read.error().WithContext("read '" + std::string(path) + "'");
  return out;
}

Status SafeDir::WriteFile(std::string_view path, std::string_view data, uint32_t mode,
                          bool fsync_data) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentDir parent, OpenParentBeneath(fd_.get(), path));
  // The temp file is created O_EXCL|O_NOFOLLOW in the parent and renamed over the entry: a
  // symlink or hard link planted at `path` is replaced, never written through.
  AtomicWriteOptions options;
  options.mode = mode & 07777;
  options.sync = fsync_data;
  const int root = fd_.get();
  options.before_rename = [root](int fd) {
    GiveToTreeOwner(root, fd);
    return OkStatus();
  };
  Status s = WriteFileAtomically(parent.fd, parent.name, AsBytes(data), options);
  if (!s.ok()) return s.WithContext("write '" + std::string(path) + "'");
  return OkStatus();
}

Status SafeDir::MakeDirectory(std::string_view path, uint32_t mode, bool parents) const {
  const int root = fd_.get();
  return MakeDirectoriesBeneath(root, path, mode, parents,
                                [root](int fd) { GiveToTreeOwner(root, fd); });
}

Status SafeDir::Remove(std::string_view path) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentDir parent, OpenParentBeneath(fd_.get(), path));
  struct stat st;
  if (fstatat(parent.fd, parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return BeneathError(errno, "stat", path);
  }
  int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
  if (unlinkat(parent.fd, parent.name.c_str(), flags) != 0) return BeneathError(errno, "remove", path);
  return OkStatus();
}

Status SafeDir::RemoveAll(std::string_view path) const {
  auto parent = OpenParentBeneath(fd_.get(), path);
  if (!parent.ok()) {
    return parent.error().code() == StatusCode::kNotFound ? OkStatus() : parent.error();
  }
  return RemoveTreeAt(parent->fd, parent->name, 0);
}

Status SafeDir::Rename(std::string_view from, std::string_view to) const {
  CODESPHERE_ASSIGN_OR_RETURN(ParentDir a, OpenParentBeneath(fd_.get(), from));
  CODESPHERE_ASSIGN_OR_RETURN(ParentDir b, OpenParentBeneath(fd_.get(), to));
  if (renameat(a.fd, a.name.c_str(), b.fd, b.name.c_str()) != 0) {
    return BeneathError(errno, "rename", from);
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
  if (fchmod(fd.get(), mode & 07777) != 0) return BeneathError(errno, "chmod", path);
  return OkStatus();
}

Status SafeDir::ChownTree(std::string_view path, uid_t uid, gid_t gid) const {
  UniqueFd start;
  if (path.empty() || path == ".") {
    int fd = OpenBeneathRaw(fd_.get(), ".", O_PATH);
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
    int fd = OpenBeneathRaw(fd_.get(), ".", O_RDONLY | O_DIRECTORY);
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
    int raw = OpenBeneathRaw(fd_.get(), ".", O_PATH);
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
