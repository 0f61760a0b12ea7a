// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/hub.h"

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::sync {

Status ValidateRoomName(std::string_view name) {
  if (name.empty() || name.size() > 512) {
    return InvalidArgumentError("room name must have 1 to 512 bytes");
  }
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '"' || c == '\'' || c == '<' || c == '>') {
      return InvalidArgumentError("room name has a forbidden character");
    }
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") {
      return InvalidArgumentError("room name has a '..' segment");
    }
    start = end + 1;
  }
  return OkStatus();
}

Hub::Hub(DocumentStore& store, const Clock& clock, HubOptions options, HubHooks hooks)
    : store_(store), clock_(clock), options_(std::move(options)), hooks_(std::move(hooks)) {}

Hub::~Hub() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, entry] : rooms_) {
    Status s = Store(*entry.room);
    if (!s.ok()) LogError("store room at shutdown", {{"room", name}, {"error", s.ToString()}});
  }
}

Result<Access> Hub::Authenticate(const ConnectionInfo& info) const {
  CODESPHERE_RETURN_IF_ERROR(ValidateRoomName(info.room));
  if (!hooks_.authenticate) return Access::kReadWrite;
  return hooks_.authenticate(info);
}

Result<OpenRoom*> Hub::Acquire(std::string_view name) {
  CODESPHERE_RETURN_IF_ERROR(ValidateRoomName(name));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rooms_.find(name);
  if (it != rooms_.end()) {
    ++it->second.refs;
    return it->second.room.get();
  }
  if (rooms_.size() >= options_.max_rooms) {
    return ResourceExhaustedError("too many open rooms (" + std::to_string(options_.max_rooms) +
                                  ")");
  }
  CODESPHERE_ASSIGN_OR_RETURN(StoredRoom stored, store_.OpenRoom(name));
  auto room = std::make_unique<OpenRoom>(std::string(name), clock_, options_.room);
  std::size_t skipped = 0;
  for (const Bytes& u : stored.updates) {
    if (!room->room.Load(u).ok()) ++skipped;
  }
  if (skipped > 0) {
    LogWarning("room load skipped unreadable updates",
               {{"room", std::string(name)}, {"skipped", skipped}});
  }
  room->storage = std::move(stored.storage);
  if (hooks_.on_change) {
    std::string n(name);
    room->room.set_on_change([this, n](ByteSpan u) { hooks_.on_change(n, u); });
  }
  if (hooks_.on_load) hooks_.on_load(name, room->room);
  OpenRoom* out = room.get();
  rooms_.emplace(std::string(name), Entry{std::move(room), 1});
  return out;
}

Status Hub::Release(std::string_view name) {
  std::unique_ptr<OpenRoom> unloaded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(name);
    if (it == rooms_.end()) return NotFoundError("room " + std::string(name) + " is not open");
    if (--it->second.refs > 0) return OkStatus();
    unloaded = std::move(it->second.room);
    rooms_.erase(it);
  }
  return Store(*unloaded);
}

Status Hub::Flush(OpenRoom& room) {
  CODESPHERE_RETURN_IF_ERROR(room.room.FlushSync(*room.storage));
  return MaybeCompact(room);
}

Status Hub::MaybeCompact(OpenRoom& room) {
  if (room.storage->log_bytes() < options_.compact_after_bytes) return OkStatus();
  return Store(room);
}

Status Hub::Store(OpenRoom& room) {
  CODESPHERE_RETURN_IF_ERROR(room.room.FlushSync(*room.storage));
  if (room.storage->log_bytes() == 0) return OkStatus();
  Bytes state = room.room.EncodeState();
  CODESPHERE_RETURN_IF_ERROR(room.storage->Compact(state));
  if (hooks_.on_store) hooks_.on_store(room.room.name(), state);
  return OkStatus();
}

std::size_t Hub::room_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rooms_.size();
}

std::vector<std::string> Hub::RoomNames() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : rooms_) out.push_back(name);
  return out;
}

}  // namespace codesphere::sync
