// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/awareness.h"

#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::sync {
namespace {

struct DecodedEntry {
  std::uint64_t client;
  std::uint64_t clock;
  std::optional<Any> state;
};

Result<std::vector<DecodedEntry>> DecodeEntries(ByteSpan update, const AwarenessOptions& opts) {
  lib0::Decoder d(update);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
  if (n > opts.max_entries) {
    return InvalidArgumentError("awareness update: " + std::to_string(n) + " entries exceed " +
                                std::to_string(opts.max_entries));
  }
  if (n > d.remaining() / 3) return InvalidArgumentError("awareness update: truncated");
  std::vector<DecodedEntry> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    DecodedEntry e;
    CODESPHERE_ASSIGN_OR_RETURN(e.client, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(e.clock, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::string_view json, d.ReadVarStringView());
    if (json.size() > opts.max_state_bytes) {
      return InvalidArgumentError("awareness update: state of client " +
                                  std::to_string(e.client) + " exceeds " +
                                  std::to_string(opts.max_state_bytes) + " bytes");
    }
    auto value = ParseJson(json);
    if (!value) return std::move(value).error().WithContext("awareness update state");
    if (!value->is_null()) e.state = std::move(*value);
    out.push_back(std::move(e));
  }
  if (!d.done()) return InvalidArgumentError("awareness update: trailing bytes");
  return out;
}

}  // namespace

std::vector<std::uint64_t> AwarenessChanges::All() const {
  std::vector<std::uint64_t> out(added);
  out.insert(out.end(), updated.begin(), updated.end());
  out.insert(out.end(), removed.begin(), removed.end());
  return out;
}

Awareness::Awareness(std::uint64_t client_id, const Clock& clock, AwarenessOptions options)
    : client_id_(client_id), clock_(clock), options_(options) {
  (void)SetLocalState(Any(Any::Object{}));
}

AwarenessChanges Awareness::SetLocalState(std::optional<Any> state) {
  AwarenessChanges changes;
  auto it = entries_.find(client_id_);
  const bool had_state = it != entries_.end() && it->second.state.has_value();
  Entry& entry = entries_[client_id_];
  entry.clock = it == entries_.end() ? 0 : entry.clock + 1;
  entry.last_updated = clock_.Now();
  if (!state) {
    changes.removed.push_back(client_id_);
  } else if (!had_state) {
    changes.added.push_back(client_id_);
  } else {
    changes.updated.push_back(client_id_);
  }
  entry.state = std::move(state);
  return changes;
}

const Any* Awareness::local_state() const {
  auto it = entries_.find(client_id_);
  return it != entries_.end() && it->second.state ? &*it->second.state : nullptr;
}

Result<AwarenessChanges> Awareness::ApplyUpdate(ByteSpan update) {
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<DecodedEntry> decoded, DecodeEntries(update, options_));
  AwarenessChanges changes;
  const auto now = clock_.Now();
  for (DecodedEntry& e : decoded) {
    auto it = entries_.find(e.client);
    const bool known = it != entries_.end();
    const std::uint64_t current_clock = known ? it->second.clock : 0;
    const bool has_state = known && it->second.state.has_value();
    if (!(current_clock < e.clock || (current_clock == e.clock && !e.state && has_state))) {
      continue;
    }
    std::uint64_t clock = e.clock;
    Entry& entry = entries_[e.client];
    if (!e.state) {
      if (e.client == client_id_ && entry.state) {
        ++clock;  // never let a remote peer remove our own state: re-assert it
      } else {
        entry.state.reset();
      }
    }
    if (e.state) entry.state = std::move(e.state);
    entry.clock = clock;
    entry.last_updated = now;
    if (!known && entry.state) {
      changes.added.push_back(e.client);
    } else if (known && !entry.state) {
      changes.removed.push_back(e.client);
    } else if (entry.state) {
      changes.updated.push_back(e.client);  // renewals included, as the `update` event does
    }
  }
  return changes;
}

AwarenessChanges Awareness::RemoveStates(std::span<const std::uint64_t> clients) {
  AwarenessChanges changes;
  for (std::uint64_t client : clients) {
    auto it = entries_.find(client);
    if (it == entries_.end() || !it->second.state) continue;
    it->second.state.reset();
    if (client == client_id_) {
      ++it->second.clock;
      it->second.last_updated = clock_.Now();
    }
    changes.removed.push_back(client);
  }
  return changes;
}

AwarenessChanges Awareness::CheckTimeouts() {
  AwarenessChanges changes;
  const auto now = clock_.Now();
  auto local = entries_.find(client_id_);
  if (local != entries_.end() && local->second.state &&
      now - local->second.last_updated >= options_.outdated_timeout / 2) {
    std::optional<Any> same = local->second.state;
    changes = SetLocalState(std::move(same));
  }
  std::vector<std::uint64_t> expired;
  for (const auto& [client, entry] : entries_) {
    if (client != client_id_ && entry.state &&
        now - entry.last_updated >= options_.outdated_timeout) {
      expired.push_back(client);
    }
  }
  AwarenessChanges removed = RemoveStates(expired);
  changes.removed.insert(changes.removed.end(), removed.removed.begin(), removed.removed.end());
  return changes;
}

Bytes Awareness::EncodeUpdate(std::span<const std::uint64_t> clients) const {
  lib0::Encoder e;
  std::vector<const std::pair<const std::uint64_t, Entry>*> known;
  for (std::uint64_t c : clients) {
    auto it = entries_.find(c);
    if (it != entries_.end()) known.push_back(&*it);
  }
  e.WriteVarUint(known.size());
  for (const auto* kv : known) {
    e.WriteVarUint(kv->first);
    e.WriteVarUint(kv->second.clock);
    e.WriteVarString(kv->second.state ? ToJson(*kv->second.state) : std::string("null"));
  }
  return e.Take();
}

std::vector<std::uint64_t> Awareness::ClientsWithState() const {
  std::vector<std::uint64_t> out;
  for (const auto& [client, entry] : entries_) {
    if (entry.state) out.push_back(client);
  }
  return out;
}

}  // namespace codesphere::sync
