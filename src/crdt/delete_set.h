// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Delete sets (Yjs `DeleteSet`): per client, ranges of deleted clocks.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "codesphere/base/encoding.h"
#include "codesphere/base/result.h"

namespace codesphere::crdt::internal {

struct DeleteRange {
  std::uint64_t clock;
  std::uint64_t len;
};

struct DeleteSet {
  // Keyed by client id; std::greater gives the wire order (descending client).
  std::map<std::uint64_t, std::vector<DeleteRange>, std::greater<>> clients;

  void Add(std::uint64_t client, std::uint64_t clock, std::uint64_t len) {
    clients[client].push_back({clock, len});
  }
  bool empty() const { return clients.empty(); }
  // Yjs sortAndMergeDeleteSet: sorts by clock, coalesces overlapping and touching ranges.
  void SortAndMerge();
  // Merges `other` in (Yjs mergeDeleteSets) and normalises.
  void Merge(const DeleteSet& other);
  // Wire layout (v1):  u(numClients) ( u(client) u(numRanges) (u(clock) u(len))* )*
  void Write(lib0::Encoder& e) const;
  static Result<DeleteSet> Read(lib0::Decoder& d);
};

}  // namespace codesphere::crdt::internal
