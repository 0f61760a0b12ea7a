// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/room.h"

#include <algorithm>
#include <array>

#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/state_vector.h"
#include "codesphere/crdt/update.h"
#include "codesphere/sync/protocol.h"

namespace codesphere::sync {
namespace {

constexpr std::uint64_t kDefaultServerClientId = (std::uint64_t{1} << 53) - 1;

// Yjs v1 encodings of an empty document: a state vector with no clients, and an update with no
// structs and an empty delete set (what Y.encodeStateVector / Y.encodeStateAsUpdate give for a
// new Y.Doc).
constexpr std::array<std::uint8_t, 1> kEmptyStateVector = {0};
constexpr std::array<std::uint8_t, 2> kEmptyUpdate = {0, 0};

bool IsEmptyUpdate(ByteSpan update) {
  return update.size() == 2 && update[0] == 0 && update[1] == 0;
}

void Forget(std::vector<std::uint64_t>& list, std::uint64_t id) {
  list.erase(std::remove(list.begin(), list.end(), id), list.end());
}

}  // namespace

Room::Room(std::string name, const Clock& clock, RoomOptions options,
           std::uint64_t server_client_id)
    : name_(std::move(name)),
      clock_(clock),
      options_(options),
      client_id_(server_client_id ? server_client_id : kDefaultServerClientId),
      awareness_(client_id_, clock, options.awareness) {
  (void)awareness_.SetLocalState(std::nullopt);  // the room itself is never a user
}

crdt::Doc& Room::doc() {
  if (doc_ == nullptr) {
    doc_ = std::make_unique<crdt::Doc>(crdt::DocOptions{.client_id = client_id_, .gc = options_.gc});
    update_sub_ = doc_->OnUpdate([this](ByteSpan update, const crdt::Transaction&) {
      ++stats_.updates_applied;
      Broadcast(std::make_shared<const Bytes>(EncodeUpdate(update)));
      if (on_change_) on_change_(update);
    });
  }
  return *doc_;
}

Room::~Room() = default;

Status Room::Load(ByteSpan update) {
  if (doc_ == nullptr && IsEmptyUpdate(update)) return OkStatus();
  return crdt::ApplyUpdate(doc(), update, "load");
}

PeerId Room::Join(Peer& peer, Access access) {
  PeerId id = next_peer_++;
  PeerState& p = peers_[id];
  p.peer = &peer;
  p.access = access;
  SendTo(p, EncodeSyncStep1(doc_ != nullptr ? crdt::EncodeStateVector(*doc_)
                                            : Bytes(kEmptyStateVector.begin(),
                                                    kEmptyStateVector.end())));
  std::vector<std::uint64_t> clients = awareness_.ClientsWithState();
  if (!clients.empty()) SendTo(p, EncodeAwareness(awareness_.EncodeUpdate(clients)));
  return id;
}

void Room::Leave(PeerId id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  std::vector<std::uint64_t> controlled = std::move(it->second.awareness_clients);
  peers_.erase(it);
  BroadcastAwareness(awareness_.RemoveStates(controlled));
}

Status Room::Receive(PeerId id, ByteSpan frame) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return NotFoundError("room " + name_ + ": unknown peer");
  PeerState& p = it->second;
  ++stats_.messages_in;
  CODESPHERE_ASSIGN_OR_RETURN(Message message, DecodeMessage(frame));
  if (auto* m = std::get_if<SyncStep1Message>(&message)) {
    auto sv = crdt::StateVector::Decode(m->state_vector);
    if (!sv) return std::move(sv).error().WithContext("sync step 1 state vector");
    SendTo(p, EncodeSyncStep2(doc_ != nullptr ? crdt::EncodeStateAsUpdate(*doc_, *sv)
                                              : Bytes(kEmptyUpdate.begin(), kEmptyUpdate.end())));
    return OkStatus();
  }
  if (auto* m = std::get_if<SyncStep2Message>(&message)) return ReceiveUpdate(p, m->update);
  if (auto* m = std::get_if<UpdateMessage>(&message)) return ReceiveUpdate(p, m->update);
  if (auto* m = std::get_if<AwarenessMessage>(&message)) {
    if (m->update.size() > options_.max_update_bytes) {
      return InvalidArgumentError("awareness update too large");
    }
    CODESPHERE_ASSIGN_OR_RETURN(AwarenessChanges changes, awareness_.ApplyUpdate(m->update));
    for (std::uint64_t c : changes.added) p.awareness_clients.push_back(c);
    for (std::uint64_t c : changes.removed) Forget(p.awareness_clients, c);
    BroadcastAwareness(changes);
    return OkStatus();
  }
  if (std::holds_alternative<QueryAwarenessMessage>(message)) {
    SendTo(p, EncodeAwareness(awareness_.EncodeUpdate(awareness_.ClientsWithState())));
    return OkStatus();
  }
  return OkStatus();  // permission-denied is a server->client message; nothing to do
}

Status Room::ReceiveUpdate(PeerState& p, ByteSpan update) {
  if (update.size() > options_.max_update_bytes) {
    return InvalidArgumentError("update of " + std::to_string(update.size()) +
                                " bytes exceeds the room's limit");
  }
  CODESPHERE_RETURN_IF_ERROR(crdt::ValidateUpdate(update).WithContext("document update"));
  if (IsEmptyUpdate(update)) return OkStatus();
  if (p.access == Access::kReadOnly) {
    ++stats_.refused;
    SendTo(p, EncodePermissionDenied("read-only access: document updates are not accepted"));
    return OkStatus();
  }
  unflushed_.emplace_back(update.begin(), update.end());
  return OkStatus();
}

std::vector<Bytes> Room::TakeUnflushed() { return std::exchange(unflushed_, {}); }

void Room::ApplyDurable(std::vector<Bytes> updates) {
  if (updates.empty()) return;
  // One transaction: peers get one merged update per durable batch.
  crdt::Transaction txn(doc(), "remote");
  for (const Bytes& u : updates) {
    // Validated before it was logged; a failure here is a bug in validation, not input.
    (void)crdt::ApplyUpdate(txn, u);
  }
}

Status Room::FlushSync(RoomStorage& storage) {
  if (unflushed_.empty()) return OkStatus();
  std::vector<ByteSpan> spans(unflushed_.begin(), unflushed_.end());
  CODESPHERE_RETURN_IF_ERROR(storage.Append(spans));
  ApplyDurable(TakeUnflushed());
  return OkStatus();
}

void Room::Tick() { BroadcastAwareness(awareness_.CheckTimeouts()); }

Bytes Room::EncodeState() const {
  if (doc_ == nullptr) return Bytes(kEmptyUpdate.begin(), kEmptyUpdate.end());
  return crdt::EncodeStateAsUpdate(*doc_);
}

void Room::Broadcast(std::shared_ptr<const Bytes> frame) {
  for (auto& [id, p] : peers_) {
    ++stats_.frames_out;
    stats_.bytes_out += frame->size();
    p.peer->Send(frame);
  }
}

void Room::SendTo(PeerState& p, Bytes frame) {
  ++stats_.frames_out;
  stats_.bytes_out += frame.size();
  p.peer->Send(std::make_shared<const Bytes>(std::move(frame)));
}

void Room::BroadcastAwareness(const AwarenessChanges& changes) {
  if (changes.empty() || peers_.empty()) return;
  Broadcast(std::make_shared<const Bytes>(EncodeAwareness(awareness_.EncodeUpdate(changes.All()))));
}

}  // namespace codesphere::sync
