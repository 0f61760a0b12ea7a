// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Durable storage of room documents. `DocumentStore` opens a room's storage and returns what
// was stored; `RoomStorage` appends updates durably and compacts them into a snapshot.
// `NewFileDocumentStore` is the embedded default: per room a snapshot plus an UpdateLog.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::sync {

// One room's durable storage. Appends and compactions are ordered by the caller.
//
// Thread-safety: thread-compatible (external synchronization); callers use one thread or a
// serialized queue per room.
class RoomStorage {
 public:
  virtual ~RoomStorage() = default;

  // Makes `updates` durable (in order) before returning OK. After an error the storage is
  // unusable for appends and the room must be reopened.
  virtual Status Append(std::span<const ByteSpan> updates) = 0;

  // Replaces everything appended so far with `state` (the merged document state, which must
  // contain every appended update), atomically: a crash at any point leaves either the old
  // snapshot + logs or the new snapshot (+ an empty log) to be loaded.
  virtual Status Compact(ByteSpan state) = 0;

  // Bytes appended since the last compaction (to decide when to compact).
  virtual std::uint64_t log_bytes() const = 0;
};

// What a room's storage held when opened: apply `updates` in order to an empty doc.
struct StoredRoom {
  std::unique_ptr<RoomStorage> storage;
  std::vector<Bytes> updates;
};

// Opens room storages by room name.
//
// Thread-safety: thread-safe.
class DocumentStore {
 public:
  virtual ~DocumentStore() = default;
  // Opens (creating if new) the storage of `room` and loads what it holds. A room must be open
  // at most once at a time. Returns kDataLoss if stored data is unreadable beyond a torn tail.
  virtual Result<StoredRoom> OpenRoom(std::string_view room) = 0;
  // Names of rooms with stored data.
  virtual Result<std::vector<std::string>> ListRooms() = 0;
};

struct FileDocumentStoreOptions {
  // fdatasync appends and snapshots. Only tests and benchmarks turn it off. Default: true.
  bool sync = true;
  // Largest update accepted. Default: 64 MiB.
  std::uint32_t max_update_bytes = 64u << 20;
};

// The embedded default under `dir`:
//   dir/<hex(room)>/snapshot-<G>   CRC-checked merged state covering every log with gen < G
//   dir/<hex(room)>/log-<G>        UpdateLog of updates appended after snapshot G
// Compaction writes snapshot-<G+1> (temp file, fsync, rename, dir fsync), starts log-<G+1> and
// then removes older files; loading picks the newest valid snapshot and replays the logs
// with gen >= its gen, so a crash at any step loses nothing.
Result<std::unique_ptr<DocumentStore>> NewFileDocumentStore(const std::filesystem::path& dir,
                                                            FileDocumentStoreOptions options = {});

// An in-memory DocumentStore (tests, ephemeral rooms).
std::unique_ptr<DocumentStore> NewMemoryDocumentStore();

}  // namespace codesphere::sync
