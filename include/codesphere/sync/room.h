// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Room`: one shared document, its peers and its awareness, speaking the y-websocket server
// protocol (spec §10.2-§10.3). Transport-free and single-threaded: the caller delivers
// frames and runs the room on one strand.
//
// Durability (DESIGN.md "Data safety"): document updates a peer sends are validated and
// queued; the owner makes them durable (`TakeUnflushed` -> RoomStorage::Append) and only then
// calls `ApplyDurable`, which integrates them and broadcasts the resulting update to every
// peer, the sender included. So the document, and everything any peer receives from the
// room, is always durable. `FlushSync` does the whole cycle synchronously.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/clock.h"
#include "codesphere/base/result.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/sync/awareness.h"
#include "codesphere/sync/document_store.h"

namespace codesphere::sync {

using PeerId = std::uint64_t;

// A connection as the room sees it. Implementations queue and never block.
//
// Thread-safety: called only from the room's thread/strand.
class Peer {
 public:
  virtual ~Peer() = default;
  // Queues one binary frame. The same buffer is shared by every peer of a broadcast.
  virtual void Send(std::shared_ptr<const Bytes> frame) = 0;
};

enum class Access { kReadWrite, kReadOnly };

struct RoomOptions {
  // Garbage-collect deleted content (as the reference server, which always does). Default: true.
  bool gc = true;
  // Largest update or awareness payload accepted from a peer. Default: 16 MiB.
  std::size_t max_update_bytes = 16u << 20;
  AwarenessOptions awareness;
};

// Counters a room keeps (for /metrics).
struct RoomStats {
  std::uint64_t messages_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t updates_applied = 0;
  std::uint64_t refused = 0;
};

// Thread-safety: thread-compatible; use from one strand.
class Room {
 public:
  // `clock` must outlive the room. `server_client_id` is the awareness id of the room itself
  // (never visible: its state is null).
  Room(std::string name, const Clock& clock, RoomOptions options = {},
       std::uint64_t server_client_id = 0);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }

  // Applies stored updates while loading (before any peer joins); not broadcast.
  // Returns kInvalidArgument for a malformed update (the caller decides to skip or fail).
  Status Load(ByteSpan update);

  // Adds `peer` (which must stay valid until Leave) and sends it SyncStep1 and, if any are
  // known, the awareness states. Returns its id.
  PeerId Join(Peer& peer, Access access);
  // Removes a peer; the awareness states it controlled are removed and the removal broadcast.
  void Leave(PeerId peer);
  std::size_t peer_count() const { return peers_.size(); }

  // Handles one frame from `peer`. Returns kInvalidArgument for malformed frames or
  // payloads (the caller closes the connection with that reason; the room is unchanged).
  // A read-only peer's document updates are answered with the protocol's permission-denied
  // message and dropped.
  Status Receive(PeerId peer, ByteSpan frame);

  // Updates received and validated but not yet durable.
  bool HasUnflushed() const { return !unflushed_.empty(); }
  std::vector<Bytes> TakeUnflushed();
  // Integrates updates that are now durable and broadcasts what changed.
  void ApplyDurable(std::vector<Bytes> updates);
  // TakeUnflushed -> storage.Append -> ApplyDurable. On an append error nothing is applied.
  Status FlushSync(RoomStorage& storage);

  // Awareness renewals/timeouts (call every few seconds); broadcasts removals.
  void Tick();

  // The full document state (v1 update), e.g. for snapshots.
  Bytes EncodeState() const;
  // The room's document. It is created on first use (a load, a durable update, or this call),
  // so a room nobody has written to holds no document at all; until then the room answers
  // sync requests with the empty document's state vector and update.
  crdt::Doc& doc();
  const Awareness& awareness() const { return awareness_; }
  const RoomStats& stats() const { return stats_; }

  // Called after every durable update integrated (for change hooks). Runs on the room's strand.
  void set_on_change(std::function<void(ByteSpan update)> fn) { on_change_ = std::move(fn); }

 private:
  struct PeerState {
    Peer* peer;
    Access access;
    std::vector<std::uint64_t> awareness_clients;
  };
  void Broadcast(std::shared_ptr<const Bytes> frame);
  void SendTo(PeerState& p, Bytes frame);
  void BroadcastAwareness(const AwarenessChanges& changes);
  Status ReceiveUpdate(PeerState& p, ByteSpan update);

  std::string name_;
  const Clock& clock_;
  RoomOptions options_;
  std::uint64_t client_id_;
  std::unique_ptr<crdt::Doc> doc_;  // null until first needed (see doc())
  crdt::Subscription update_sub_;
  Awareness awareness_;
  std::map<PeerId, PeerState> peers_;
  PeerId next_peer_ = 1;
  std::vector<Bytes> unflushed_;
  RoomStats stats_;
  std::function<void(ByteSpan)> on_change_;
};

}  // namespace codesphere::sync
