// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/document_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "codesphere/base/crc32c.h"
#include "codesphere/base/durable_file.h"
#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/sync/update_log.h"

namespace codesphere::sync {
namespace fs = std::filesystem;
namespace {

// Snapshot file: "CSSNAP\x01\n" fixed32le(crc32c(payload)) fixed64le(len) payload.
constexpr char kSnapMagic[8] = {'C', 'S', 'S', 'N', 'A', 'P', '\x01', '\n'};

Result<Bytes> ReadSnapshot(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open " + path.string());
  Bytes data;
  std::uint8_t buf[65536];
  while (true) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "read " + path.string());
    }
    if (r == 0) break;
    data.insert(data.end(), buf, buf + r);
  }
  ::close(fd);
  if (data.size() < 20 || std::memcmp(data.data(), kSnapMagic, 8) != 0) {
    return DataLossError("snapshot " + path.string() + ": bad header");
  }
  std::uint32_t crc = 0;
  std::uint64_t len = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<std::uint32_t>(data[8 + i]) << (8 * i);
  for (int i = 0; i < 8; ++i) len |= static_cast<std::uint64_t>(data[12 + i]) << (8 * i);
  if (len != data.size() - 20) return DataLossError("snapshot " + path.string() + ": bad length");
  ByteSpan payload(data.data() + 20, len);
  if (Crc32c(payload) != crc) return DataLossError("snapshot " + path.string() + ": bad checksum");
  return Bytes(payload.begin(), payload.end());
}

std::string HexName(std::string_view room) { return ToHex(AsBytes(room)); }

// Parses "<prefix><decimal>" file names.
bool ParseGen(const std::string& name, std::string_view prefix, std::uint64_t* gen) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  std::uint64_t v = 0;
  for (std::size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX / 10 - 10)) return false;
    v = v * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  *gen = v;
  return true;
}

// A room's files. The update log is opened on the first append (or at load, if the room has
// one): an idle room that was never written costs no file, no fd and no fsync, and its
// directory is created only when something is stored.
class FileRoomStorage final : public RoomStorage {
 public:
  FileRoomStorage(std::string dir, FileDocumentStoreOptions options, std::uint64_t gen,
                  std::unique_ptr<UpdateLog> log, std::uint64_t appended)
      : dir_(std::move(dir)), options_(options), gen_(gen), log_(std::move(log)),
        appended_(appended) {}

  // sync::RoomStorage
  Status Append(std::span<const ByteSpan> updates) override {
    if (log_ == nullptr) {
      CODESPHERE_RETURN_IF_ERROR(EnsureDirectory());
      CODESPHERE_ASSIGN_OR_RETURN(log_, OpenEmptyLog(gen_));
    }
    std::uint64_t before = log_->size_bytes();
    CODESPHERE_RETURN_IF_ERROR(log_->AppendBatch(updates));
    appended_ += log_->size_bytes() - before;
    return OkStatus();
  }

  Status Compact(ByteSpan state) override {
    CODESPHERE_RETURN_IF_ERROR(EnsureDirectory());
    const std::uint64_t next = gen_ + 1;
    std::uint8_t header[20];
    std::memcpy(header, kSnapMagic, 8);
    std::uint32_t crc = Crc32c(state);
    std::uint64_t len = state.size();
    for (int i = 0; i < 4; ++i) header[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    for (int i = 0; i < 8; ++i) header[12 + i] = static_cast<std::uint8_t>(len >> (8 * i));
    AtomicWriteOptions write_options;
    write_options.sync = options_.sync;
    CODESPHERE_RETURN_IF_ERROR(WriteFileAtomically(
        fs::path(dir_) / ("snapshot-" + std::to_string(next)), {ByteSpan(header, 20), state},
        write_options));
    // The next log (log-<next>) is created by the next append.
    log_.reset();
    gen_ = next;
    appended_ = 0;
    RemoveOlderThan(dir_, next);
    return options_.sync ? SyncDirectory(fs::path(dir_)) : OkStatus();
  }

  std::uint64_t log_bytes() const override { return appended_; }

  static void RemoveOlderThan(const fs::path& dir, std::uint64_t gen) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      std::uint64_t g;
      bool stale = (ParseGen(name, "snapshot-", &g) || ParseGen(name, "log-", &g)) && g < gen;
      // Temporaries of an interrupted snapshot write (WriteFileAtomically's, or ".tmp" from
      // older versions).
      bool temporary = name.ends_with(".tmp") || IsAtomicWriteTemporary(name);
      if (stale || temporary) fs::remove(entry.path(), ec);
    }
  }

 private:
  // Creates the room's directory on its first write, and makes its entry durable.
  Status EnsureDirectory() {
    if (dir_ready_) return OkStatus();
    fs::path dir(dir_);
    std::error_code ec;
    bool created = fs::create_directories(dir, ec);
    if (ec) return ErrnoToStatus(ec.value(), "create " + dir_);
    if (created && options_.sync) CODESPHERE_RETURN_IF_ERROR(SyncDirectory(dir.parent_path()));
    dir_ready_ = true;
    return OkStatus();
  }

  Result<std::unique_ptr<UpdateLog>> OpenEmptyLog(std::uint64_t gen) {
    UpdateLogOptions o;
    o.sync = options_.sync;
    o.max_record_bytes = options_.max_update_bytes;
    return UpdateLog::Open(fs::path(dir_) / ("log-" + std::to_string(gen)), o,
                           [](ByteSpan) { return OkStatus(); }, nullptr);
  }

  std::string dir_;  // a string, not a path: see UpdateLog::path_
  FileDocumentStoreOptions options_;
  std::uint64_t gen_;
  std::unique_ptr<UpdateLog> log_;  // null until the first append after a load or compaction
  std::uint64_t appended_;
  bool dir_ready_ = false;
};

class FileDocumentStore final : public DocumentStore {
 public:
  FileDocumentStore(fs::path dir, FileDocumentStoreOptions options)
      : dir_(std::move(dir)), options_(options) {}

  // sync::DocumentStore
  Result<StoredRoom> OpenRoom(std::string_view room) override {
    fs::path rdir = dir_ / HexName(room);
    StoredRoom out;
    std::error_code ec;
    if (!fs::exists(rdir, ec)) {
      if (ec) return ErrnoToStatus(ec.value(), "stat " + rdir.string());
      // Never stored: nothing to load, and nothing is created until the first write.
      out.storage = std::make_unique<FileRoomStorage>(rdir.string(), options_, 0, nullptr, 0);
      return out;
    }
    std::set<std::uint64_t, std::greater<>> snapshots;
    std::set<std::uint64_t> logs;
    for (const auto& entry : fs::directory_iterator(rdir, ec)) {
      std::string name = entry.path().filename().string();
      std::uint64_t g;
      if (ParseGen(name, "snapshot-", &g)) snapshots.insert(g);
      if (ParseGen(name, "log-", &g)) logs.insert(g);
    }
    if (ec) return ErrnoToStatus(ec.value(), "list " + rdir.string());
    std::uint64_t base = 0;
    if (!snapshots.empty()) {
      // Older snapshots and logs are removed once a newer snapshot is durable, so only the
      // newest one can be complete: an unreadable newest snapshot is data loss, not a fallback.
      base = *snapshots.begin();
      auto snap = ReadSnapshot(rdir / ("snapshot-" + std::to_string(base)));
      if (!snap) return std::move(snap).error().WithContext("room " + std::string(room));
      out.updates.push_back(std::move(*snap));
    }
    UpdateLogOptions log_options;
    log_options.sync = options_.sync;
    log_options.max_record_bytes = options_.max_update_bytes;
    std::unique_ptr<UpdateLog> current;
    std::uint64_t current_gen = base;
    std::uint64_t appended = 0;
    for (std::uint64_t g : logs) {
      if (g < base) continue;
      UpdateLogRecovery rec;
      CODESPHERE_ASSIGN_OR_RETURN(
          auto log, UpdateLog::Open(rdir / ("log-" + std::to_string(g)), log_options,
                                    [&](ByteSpan r) {
                                      out.updates.emplace_back(r.begin(), r.end());
                                      return OkStatus();
                                    },
                                    &rec));
      current = std::move(log);
      current_gen = g;
      appended += current->size_bytes();
    }
    FileRoomStorage::RemoveOlderThan(rdir, base);
    out.storage = std::make_unique<FileRoomStorage>(rdir.string(), options_, current_gen,
                                                    std::move(current), appended);
    return out;
  }

  Result<std::vector<std::string>> ListRooms() override {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      if (!entry.is_directory()) continue;
      auto name = FromHex(entry.path().filename().string());
      if (name) out.emplace_back(AsStringView(*name));
    }
    if (ec) return ErrnoToStatus(ec.value(), "list " + dir_.string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path dir_;
  FileDocumentStoreOptions options_;
};

// In-memory: a room's "durable" state is a list of updates shared with the store.
struct MemoryRooms {
  std::mutex mu;
  std::map<std::string, std::vector<Bytes>, std::less<>> rooms;
};

class MemoryRoomStorage final : public RoomStorage {
 public:
  MemoryRoomStorage(std::shared_ptr<MemoryRooms> rooms, std::string name)
      : rooms_(std::move(rooms)), name_(std::move(name)) {}
  // sync::RoomStorage
  Status Append(std::span<const ByteSpan> updates) override {
    std::lock_guard<std::mutex> lock(rooms_->mu);
    auto& list = rooms_->rooms[name_];
    for (ByteSpan u : updates) {
      list.emplace_back(u.begin(), u.end());
      bytes_ += u.size();
    }
    return OkStatus();
  }
  Status Compact(ByteSpan state) override {
    std::lock_guard<std::mutex> lock(rooms_->mu);
    rooms_->rooms[name_] = {Bytes(state.begin(), state.end())};
    bytes_ = 0;
    return OkStatus();
  }
  std::uint64_t log_bytes() const override { return bytes_; }

 private:
  std::shared_ptr<MemoryRooms> rooms_;
  std::string name_;
  std::uint64_t bytes_ = 0;
};

class MemoryDocumentStore final : public DocumentStore {
 public:
  // sync::DocumentStore
  Result<StoredRoom> OpenRoom(std::string_view room) override {
    StoredRoom out;
    {
      std::lock_guard<std::mutex> lock(rooms_->mu);
      auto it = rooms_->rooms.find(room);
      if (it != rooms_->rooms.end()) out.updates = it->second;
    }
    out.storage = std::make_unique<MemoryRoomStorage>(rooms_, std::string(room));
    return out;
  }
  Result<std::vector<std::string>> ListRooms() override {
    std::lock_guard<std::mutex> lock(rooms_->mu);
    std::vector<std::string> out;
    for (const auto& [name, updates] : rooms_->rooms) out.push_back(name);
    return out;
  }

 private:
  std::shared_ptr<MemoryRooms> rooms_ = std::make_shared<MemoryRooms>();
};

}  // namespace

Result<std::unique_ptr<DocumentStore>> NewFileDocumentStore(const fs::path& dir,
                                                            FileDocumentStoreOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), "create " + dir.string());
  return std::unique_ptr<DocumentStore>(new FileDocumentStore(dir, options));
}

std::unique_ptr<DocumentStore> NewMemoryDocumentStore() {
  return std::make_unique<MemoryDocumentStore>();
}

}  // namespace codesphere::sync
