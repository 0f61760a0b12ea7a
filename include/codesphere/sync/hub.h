// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Hub`: the rooms of a collaboration server by name. Loads a room from the DocumentStore on
// first use, unloads it (compacting its log into a snapshot) when the last user releases it,
// enforces limits, and carries the extension points (hooks) in the spirit of Hocuspocus:
// authenticate a connection, observe loads, stores and changes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/clock.h"
#include "codesphere/base/result.h"
#include "codesphere/base/thread_annotations.h"
#include "codesphere/sync/document_store.h"
#include "codesphere/sync/room.h"

namespace codesphere::sync {

// What the transport knows about a connection, for the authenticate hook.
struct ConnectionInfo {
  std::string room;
  // The request target as received ("/room?token=…").
  std::string target;
  std::string remote_address;
  // Request headers, lower-cased names.
  std::map<std::string, std::string> headers;
};

struct HubHooks {
  // Decides whether and how a connection may use a room. Return kUnauthenticated or
  // kPermissionDenied to refuse. Default (unset): read-write for everyone.
  std::function<Result<Access>(const ConnectionInfo&)> authenticate;
  // After a room was loaded from the store (before the first peer joins).
  std::function<void(std::string_view room, Room& loaded)> on_load;
  // After a room's state was stored as a snapshot (compaction or unload).
  std::function<void(std::string_view room, ByteSpan state)> on_store;
  // After every durable change integrated into a room (runs on the room's strand).
  std::function<void(std::string_view room, ByteSpan update)> on_change;
};

struct HubOptions {
  // At most this many rooms open at once (kResourceExhausted beyond). Default: 100,000.
  std::size_t max_rooms = 100000;
  // At most this many peers per room (enforced by the transport via `peer_limit`).
  // Default: 10,000.
  std::size_t max_peers_per_room = 10000;
  // Compact a room's log into a snapshot once it holds this many bytes. Default: 8 MiB.
  std::uint64_t compact_after_bytes = 8u << 20;
  RoomOptions room;
};

// A loaded room with its storage. Owned by the Hub; valid while acquired.
struct OpenRoom {
  Room room;
  std::unique_ptr<RoomStorage> storage;
  OpenRoom(std::string name, const Clock& clock, RoomOptions options)
      : room(std::move(name), clock, options) {}
};

// Room names are the URL path as y-websocket uses it (not percent-decoded): 1-512 bytes of
// printable ASCII without spaces, backslashes, quotes or `..` segments.
Status ValidateRoomName(std::string_view name);

// Thread-safety: thread-safe for Acquire/Release/queries. The returned OpenRoom must be used
// from one strand at a time (its Room is single-threaded).
class Hub {
 public:
  // `store` and `clock` must outlive the Hub.
  Hub(DocumentStore& store, const Clock& clock, HubOptions options = {}, HubHooks hooks = {});
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Runs the authenticate hook (read-write when unset).
  Result<Access> Authenticate(const ConnectionInfo& info) const;

  // Returns the open room `name`, loading it on first use; every Acquire needs one Release.
  // Returns kInvalidArgument for a bad name, kResourceExhausted when max_rooms are open, or
  // the store's error (the room is then not opened).
  Result<OpenRoom*> Acquire(std::string_view name);

  // Drops one reference. The last one flushes pending updates, compacts the log into a
  // snapshot and unloads the room. REQUIRES: no other thread uses the room any more.
  Status Release(std::string_view name);

  // Flushes the room's unflushed updates durably and applies them (synchronous group commit),
  // then compacts when the log is large. Call on the room's strand.
  Status Flush(OpenRoom& room);
  // Compacts when the log passed `compact_after_bytes`. Call on the room's strand.
  Status MaybeCompact(OpenRoom& room);

  std::size_t room_count() const;
  std::vector<std::string> RoomNames() const;
  const HubOptions& options() const { return options_; }

 private:
  struct Entry {
    std::unique_ptr<OpenRoom> room;
    std::size_t refs = 0;
  };
  Status Store(OpenRoom& room);

  DocumentStore& store_;
  const Clock& clock_;
  HubOptions options_;
  HubHooks hooks_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> rooms_ CODESPHERE_GUARDED_BY(mu_);
};

}  // namespace codesphere::sync
