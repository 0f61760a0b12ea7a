// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Awareness`: the y-protocols awareness CRDT (spec §9.3) — ephemeral per-client states
// (cursors, user names) with clocks, renewal and timeouts. Transport-free; time is injected.
//
//   awarenessUpdate := u(n) ( u(clientID) u(clock) s(JSON.stringify(state) | "null") )*n
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "codesphere/base/any.h"
#include "codesphere/base/bytes.h"
#include "codesphere/base/clock.h"
#include "codesphere/base/result.h"

namespace codesphere::sync {

// Client ids whose entries changed. Mirrors the `{added, updated, removed}` of y-protocols.
struct AwarenessChanges {
  std::vector<std::uint64_t> added;
  std::vector<std::uint64_t> updated;
  std::vector<std::uint64_t> removed;
  bool empty() const { return added.empty() && updated.empty() && removed.empty(); }
  // added + updated + removed, in that order.
  std::vector<std::uint64_t> All() const;
};

struct AwarenessOptions {
  // Remote states not renewed for this long are removed; the local state is renewed after
  // half of it. Default: 30 s (y-protocols `outdatedTimeout`).
  std::chrono::milliseconds outdated_timeout{30000};
  // Refuse state JSON longer than this (bytes). Default: 64 KiB.
  std::size_t max_state_bytes = 64 * 1024;
  // Refuse updates with more entries than this. Default: 10,000.
  std::size_t max_entries = 10000;
};

// The awareness of one document: per client a state (a JSON value; absent when offline)
// and meta {clock, last updated}.
//
// Thread-safety: thread-compatible (external synchronization); rooms keep it on their strand.
class Awareness {
 public:
  struct Entry {
    // nullopt when the client is known but offline (state `null`).
    std::optional<Any> state;
    std::uint64_t clock = 0;
    std::chrono::steady_clock::time_point last_updated;
  };

  // `clock` must outlive the Awareness. Like y-protocols, the local state starts as `{}` at
  // clock 0; servers call `SetLocalState(std::nullopt)` to stay invisible.
  Awareness(std::uint64_t client_id, const Clock& clock, AwarenessOptions options = {});

  std::uint64_t client_id() const { return client_id_; }

  // Sets (or with nullopt, removes) the local state; bumps the local clock.
  AwarenessChanges SetLocalState(std::optional<Any> state);
  const Any* local_state() const;

  // Applies a remote awareness update (y-protocols `applyAwarenessUpdate`, same accept rule:
  // newer clock, or equal clock with `null` over a stored state). Returns the changes the
  // `update` event would list (renewals included in `updated`). Returns kInvalidArgument for
  // malformed input (truncation, invalid JSON, limits) and then changes nothing.
  Result<AwarenessChanges> ApplyUpdate(ByteSpan update);

  // Removes the states of `clients` (e.g. those a disconnected connection controlled),
  // keeping their clocks, as `removeAwarenessStates`.
  AwarenessChanges RemoveStates(std::span<const std::uint64_t> clients);

  // Renews the local state when half the timeout has passed and removes remote states older
  // than the timeout. Call every few seconds (y-protocols checks every 3 s).
  AwarenessChanges CheckTimeouts();

  // Encodes the current view of `clients` (state or `null`, with the known clock), as
  // `encodeAwarenessUpdate`. Unknown clients are skipped.
  Bytes EncodeUpdate(std::span<const std::uint64_t> clients) const;
  // All clients that have a state.
  std::vector<std::uint64_t> ClientsWithState() const;

  const std::map<std::uint64_t, Entry>& entries() const { return entries_; }

 private:
  std::uint64_t client_id_;
  const Clock& clock_;
  AwarenessOptions options_;
  std::map<std::uint64_t, Entry> entries_;
};

}  // namespace codesphere::sync
