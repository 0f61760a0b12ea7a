// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// LocalDirObjectStore: one file per object; writes are temp file + fsync + rename + dir fsync.
// Large objects are written with O_DIRECT (see WriteObject).
#include "codesphere/storage/local_dir_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "codesphere/base/durable_file.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/base/thread_annotations.h"
#include "codesphere/base/unique_fd.h"

namespace codesphere::storage {
namespace {

constexpr char kTmpDir[] = ".codesphere-tmp";
constexpr char kLockFile[] = ".codesphere-lock";
// O_DIRECT alignment of memory, file offsets and lengths. 4096 satisfies every block device
// and filesystem in use (logical blocks of 512 or 4096 bytes); a filesystem that wants more
// fails the write with EINVAL, and the object is then written through the page cache.
constexpr std::size_t kDirectAlign = 4096;
// Objects at least this large go through O_DIRECT; smaller ones are not worth it.
constexpr std::size_t kDirectMinSize = 1 << 20;
// Unaligned input is copied through a bounce buffer of this size.
constexpr std::size_t kBounceSize = 4 << 20;

// Opens `path` beneath `dirfd`, refusing symlinks and escapes (the store never creates either).
int OpenBeneath(int dirfd, const std::string& path, int flags, mode_t mode = 0) {
  struct open_how how = {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how)));
}

Generation GenerationOf(const struct stat& st) {
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%llx-%llx.%lx-%llx", static_cast<unsigned long long>(st.st_ino),
                static_cast<unsigned long long>(st.st_mtim.tv_sec),
                static_cast<long>(st.st_mtim.tv_nsec),
                static_cast<unsigned long long>(st.st_size));
  return Generation(buf);
}

ObjectInfo InfoOf(std::string key, const struct stat& st) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.generation = GenerationOf(st);
  info.mtime_unix_ms =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  return info;
}

// pwrite(2)s all of `data` at `offset`. Returns the errno of a failure (0 on success).
int PwriteAll(int fd, const std::uint8_t* data, std::size_t size, off_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, std::min<std::size_t>(size - done, 1 << 30),
                         offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

struct FreeDeleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<std::uint8_t, FreeDeleter>;

AlignedBuffer NewAlignedBuffer(std::size_t size) {
  void* p = nullptr;
  if (::posix_memalign(&p, kDirectAlign, size) != 0) return nullptr;
  return AlignedBuffer(static_cast<std::uint8_t*>(p));
}

// Writes `data` to the new empty file `fd`, opened with O_DIRECT: whole blocks straight from
// `data` when it is aligned (else through a bounce buffer), the last partial block padded
// with zeros and cut off again with ftruncate. Returns the errno of a failure.
//
// Why: in this VM a buffered write of a large object costs more CPU than everything else a
// snapshot does per byte (the page-cache copy into freshly allocated pages), and the pages
// are written back and fsynced anyway; O_DIRECT hands the buffer to the device instead.
// The fsync that follows still makes the file's size, extents and the device cache durable.
int WriteDirect(int fd, ByteSpan data) {
  const std::size_t whole = data.size() / kDirectAlign * kDirectAlign;
  const bool aligned = reinterpret_cast<std::uintptr_t>(data.data()) % kDirectAlign == 0;
  if (aligned && whole > 0) {
    if (int err = PwriteAll(fd, data.data(), whole, 0)) return err;
  } else if (whole > 0) {
    thread_local AlignedBuffer bounce = NewAlignedBuffer(kBounceSize);
    if (!bounce) return ENOMEM;
    for (std::size_t off = 0; off < whole; off += kBounceSize) {
      std::size_t n = std::min(kBounceSize, whole - off);
      std::memcpy(bounce.get(), data.data() + off, n);
      if (int err = PwriteAll(fd, bounce.get(), n, static_cast<off_t>(off))) return err;
    }
  }
  if (whole < data.size()) {
    thread_local AlignedBuffer tail = NewAlignedBuffer(kDirectAlign);
    if (!tail) return ENOMEM;
    std::size_t rest = data.size() - whole;
    std::memcpy(tail.get(), data.data() + whole, rest);
    std::memset(tail.get() + rest, 0, kDirectAlign - rest);
    if (int err = PwriteAll(fd, tail.get(), kDirectAlign, static_cast<off_t>(whole))) return err;
    if (::ftruncate(fd, static_cast<off_t>(data.size())) != 0) return errno;
  }
  return 0;
}

class LocalDirObjectStore : public ObjectStore {
 public:
  LocalDirObjectStore(std::string root, UniqueFd root_fd, UniqueFd tmp_fd, UniqueFd lock_fd, bool fsync,
                      bool direct_io)
      : root_(std::move(root)),
        root_fd_(std::move(root_fd)),
        tmp_fd_(std::move(tmp_fd)),
        lock_fd_(std::move(lock_fd)),
        fsync_(fsync),
        direct_io_(direct_io) {
    std::random_device rd;
    tmp_salt_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid());
  }

  // storage::ObjectStore
  Result<GetResult> Get(std::string_view key, const GetOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::string k(key);
    UniqueFd fd(OpenBeneath(root_fd_.get(), k, O_RDONLY));
    if (!fd.valid()) return OpenError(errno, k);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "stat object " + k);
    if (!S_ISREG(st.st_mode)) return NotFoundError("object " + k + " not found");
    GetResult result;
    result.info = InfoOf(k, st);
    if (options.if_match && *options.if_match != result.info.generation) {
      return FailedPreconditionError("get " + k + ": generation mismatch");
    }
    std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t begin = std::min(options.offset, size);
    std::uint64_t end = size;
    if (options.length) end = std::min(end, begin + *options.length);
    result.value.resize(end - begin);
    std::size_t done = 0;
    while (done < result.value.size()) {
      ssize_t n = ::pread(fd.get(), result.value.data() + done, result.value.size() - done,
                          static_cast<off_t>(begin + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "read object " + k);
      }
      if (n == 0) break;  // Truncated underneath us; cannot happen with rename-only writers.
      done += static_cast<std::size_t>(n);
    }
    result.value.resize(done);
    return result;
  }

  Result<Generation> Put(std::string_view key, ByteSpan value,
                         const PutOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::string k(key);
    std::string tmp_name = "t" + std::to_string(tmp_salt_) + "-" + std::to_string(++tmp_counter_);
    UniqueFd fd;
    auto cleanup = [&] { ::unlinkat(tmp_fd_.get(), tmp_name.c_str(), 0); };
    Status s = WriteObject(tmp_name, value, fd, "object " + k);
    if (!fd.valid()) return s;
    if (s.ok() && fsync_ && ::fsync(fd.get()) != 0) s = ErrnoToStatus(errno, "fsync object " + k);
    struct stat st;
    if (s.ok() && ::fstat(fd.get(), &st) != 0) s = ErrnoToStatus(errno, "stat object " + k);
    if (s.ok()) s = MakeParents(k);
    if (!s.ok()) {
      cleanup();
      return s;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      FileLock flock_guard(lock_fd_.get());
      if (options.if_match) {
        struct stat cur;
        if (::fstatat(root_fd_.get(), k.c_str(), &cur, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(cur.st_mode) || GenerationOf(cur) != *options.if_match) {
          cleanup();
          return FailedPreconditionError("put " + k + ": generation mismatch");
        }
      }
      unsigned int flags = options.if_none_match ? RENAME_NOREPLACE : 0;
      if (::renameat2(tmp_fd_.get(), tmp_name.c_str(), root_fd_.get(), k.c_str(), flags) != 0) {
        int err = errno;
        cleanup();
        if (err == EEXIST) return FailedPreconditionError("put " + k + ": object already exists");
        return ErrnoToStatus(err, "rename object " + k);
      }
    }
    if (fsync_) CODESPHERE_RETURN_IF_ERROR(SyncParent(k));
    return GenerationOf(st);
  }

  Status Delete(std::string_view key, const DeleteOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::string k(key);
    {
      std::lock_guard<std::mutex> lock(mu_);
      FileLock flock_guard(lock_fd_.get());
      if (options.if_match) {
        struct stat cur;
        if (::fstatat(root_fd_.get(), k.c_str(), &cur, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(cur.st_mode) || GenerationOf(cur) != *options.if_match) {
          return FailedPreconditionError("delete " + k + ": generation mismatch");
        }
      }
      if (::unlinkat(root_fd_.get(), k.c_str(), 0) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return OkStatus();
        return ErrnoToStatus(errno, "delete object " + k);
      }
    }
    if (fsync_) return SyncParent(k);
    return OkStatus();
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    CODESPHERE_RETURN_IF_ERROR(ValidatePrefix(prefix));
    // Start at the deepest directory the prefix names, then filter by the rest.
    std::string p(prefix);
    std::string dir;
    std::size_t slash = p.rfind('/');
    if (slash != std::string::npos) dir = p.substr(0, slash);
    std::vector<ObjectInfo> out;
    if (!dir.empty()) {
      if (Status s = ValidateKey(dir); !s.ok()) return out;  // No valid key can match.
      UniqueFd dfd(OpenBeneath(root_fd_.get(), dir, O_RDONLY | O_DIRECTORY));
      if (!dfd.valid()) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return out;
        return ErrnoToStatus(errno, "open directory " + dir);
      }
      CODESPHERE_RETURN_IF_ERROR(Walk(std::move(dfd), dir + "/", p, out));
    } else {
      UniqueFd dfd(::openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dfd.valid()) return ErrnoToStatus(errno, "open store root " + root_);
      CODESPHERE_RETURN_IF_ERROR(Walk(std::move(dfd), "", p, out));
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::string k(key);
    UniqueFd fd(OpenBeneath(root_fd_.get(), k, O_PATH));
    if (!fd.valid()) return OpenError(errno, k);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "stat object " + k);
    if (!S_ISREG(st.st_mode)) return NotFoundError("object " + k + " not found");
    return InfoOf(k, st);
  }

 private:
  // flock(2) on the shared lock file, excluding other processes (mu_ excludes our threads).
  class FileLock {
   public:
    explicit FileLock(int fd) : fd_(fd) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
    ~FileLock() { ::flock(fd_, LOCK_UN); }

   private:
    int fd_;
  };

  // Creates the temp file `name` and writes `value` to it: with O_DIRECT when enabled, the
  // object is large and the filesystem takes it, else buffered. On return `fd` is the open
  // file if it was created (also on a write error, for the caller to clean up).
  Status WriteObject(const std::string& name, ByteSpan value, UniqueFd& fd, const std::string& what) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
    if (direct_io_ && direct_works_.load(std::memory_order_relaxed) &&
        value.size() >= kDirectMinSize) {
      fd = UniqueFd(::openat(tmp_fd_.get(), name.c_str(), kFlags | O_DIRECT, 0644));
      if (!fd.valid() && errno != EINVAL) return ErrnoToStatus(errno, "create temp file for " + what);
      if (fd.valid()) {
        int err = WriteDirect(fd.get(), value);
        if (err == 0) return OkStatus();
        if (err != EINVAL) return ErrnoToStatus(err, "write " + what);
        // The filesystem wants other alignment: rewrite the file through the page cache.
        int flags = ::fcntl(fd.get(), F_GETFL);
        if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_DIRECT) != 0 ||
            ::ftruncate(fd.get(), 0) != 0) {
          return ErrnoToStatus(errno, "write " + what);
        }
      }
      // EINVAL: no O_DIRECT on this filesystem (or not with our alignment); stop trying.
      direct_works_.store(false, std::memory_order_relaxed);
    }
    if (!fd.valid()) {
      fd = UniqueFd(::openat(tmp_fd_.get(), name.c_str(), kFlags, 0644));
      if (!fd.valid()) return ErrnoToStatus(errno, "create temp file for " + what);
    }
    return WriteAll(fd.get(), value, what);
  }

  Status OpenError(int err, const std::string& key) {
    if (err == ENOENT || err == ENOTDIR || err == EISDIR) {
      return NotFoundError("object " + key + " not found");
    }
    if (err == ELOOP || err == EXDEV) return NotFoundError("object " + key + " not found");
    return ErrnoToStatus(err, "open object " + key);
  }

  Status MakeParents(const std::string& key) {
    std::size_t pos = 0;
    while ((pos = key.find('/', pos)) != std::string::npos) {
      std::string dir = key.substr(0, pos);
      if (::mkdirat(root_fd_.get(), dir.c_str(), 0755) != 0) {
        if (errno != EEXIST) return ErrnoToStatus(errno, "create directory " + dir);
      } else if (fsync_) {
        CODESPHERE_RETURN_IF_ERROR(SyncParent(dir));
      }
      ++pos;
    }
    return OkStatus();
  }

  Status SyncParent(const std::string& key) {
    std::size_t slash = key.rfind('/');
    std::string dir = slash == std::string::npos ? "." : key.substr(0, slash);
    UniqueFd dfd(::openat(root_fd_.get(), dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd.valid()) return ErrnoToStatus(errno, "open directory " + dir);
    return SyncDirectory(dfd.get(), "directory " + dir);
  }

  // Appends every regular file below `dfd` (whose key prefix is `base`) matching `prefix`.
  Status Walk(UniqueFd dfd, const std::string& base, const std::string& prefix,
              std::vector<ObjectInfo>& out) {
    DIR* d = ::fdopendir(dfd.get());
    if (d == nullptr) return ErrnoToStatus(errno, "read directory " + base);
    int fd = dfd.release();  // Owned by `d` from here on.
    std::unique_ptr<DIR, int (*)(DIR*)> dir_guard(d, ::closedir);
    while (true) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) return ErrnoToStatus(errno, "read directory " + base);
        break;
      }
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (base.empty() && name.starts_with(".codesphere")) continue;
      std::string key = base + name;
      // Skip subtrees that cannot contain a match.
      std::size_t n = std::min(key.size(), prefix.size());
      if (key.compare(0, n, prefix, 0, n) != 0) continue;
      struct stat st;
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // Deleted concurrently.
        return ErrnoToStatus(errno, "stat " + key);
      }
      if (S_ISDIR(st.st_mode)) {
        UniqueFd sub(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.valid()) {
          if (errno == ENOENT) continue;
          return ErrnoToStatus(errno, "open directory " + key);
        }
        CODESPHERE_RETURN_IF_ERROR(Walk(std::move(sub), key + "/", prefix, out));
      } else if (S_ISREG(st.st_mode) && key.starts_with(prefix)) {
        out.push_back(InfoOf(key, st));
      }
    }
    return OkStatus();
  }

  const std::string root_;
  UniqueFd root_fd_;
  UniqueFd tmp_fd_;
  UniqueFd lock_fd_;
  const bool fsync_;
  const bool direct_io_;
  std::atomic<bool> direct_works_{true};
  std::uint64_t tmp_salt_ = 0;
  std::atomic<std::uint64_t> tmp_counter_{0};
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> NewLocalDirObjectStore(
    const std::string& root, const LocalDirObjectStoreOptions& options) {
  if (root.empty()) return InvalidArgumentError("local store root is empty");
  if (options.create) {
    // mkdir -p
    for (std::size_t pos = 1; pos <= root.size(); ++pos) {
      if (pos == root.size() || root[pos] == '/') {
        std::string part = root.substr(0, pos);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
          return ErrnoToStatus(errno, "create store directory " + part);
        }
      }
    }
  }
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    if (errno == ENOTDIR) return InvalidArgumentError("store root " + root + " is not a directory");
    if (errno == ENOENT) return NotFoundError("store root " + root + " does not exist");
    return ErrnoToStatus(errno, "open store root " + root);
  }
  if (::mkdirat(root_fd.get(), kTmpDir, 0700) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "create " + root + "/" + kTmpDir);
  }
  UniqueFd tmp_fd(OpenBeneath(root_fd.get(), kTmpDir, O_RDONLY | O_DIRECTORY));
  if (!tmp_fd.valid()) return ErrnoToStatus(errno, "open " + root + "/" + kTmpDir);
  UniqueFd lock_fd(OpenBeneath(root_fd.get(), kLockFile, O_RDWR | O_CREAT, 0644));
  if (!lock_fd.valid()) return ErrnoToStatus(errno, "open " + root + "/" + kLockFile);
  return std::unique_ptr<ObjectStore>(new LocalDirObjectStore(
      root, std::move(root_fd), std::move(tmp_fd), std::move(lock_fd), options.fsync,
      options.direct_io));
}

}  // namespace codesphere::storage
