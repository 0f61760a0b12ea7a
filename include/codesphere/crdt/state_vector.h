// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// StateVector: for each client, the next clock this side expects (Yjs `encodeStateVector`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::crdt {

// A client id: 53-bit unsigned (JS generates uint32; the wire allows up to 2^53-1).
using ClientId = std::uint64_t;

// Maps client -> clock (number of clocks of that client known). Value type.
//
// Wire layout (spec §5.1), clients in descending order:
//   u(n) ( u(client) u(clock) )*n
class StateVector {
 public:
  StateVector() = default;

  // Returns the clock for `client`, 0 if absent.
  std::uint64_t Get(ClientId client) const {
    auto it = clocks_.find(client);
    return it == clocks_.end() ? 0 : it->second;
  }
  // Sets the clock for `client` (0 removes the entry).
  void Set(ClientId client, std::uint64_t clock) {
    if (clock == 0) {
      clocks_.erase(client);
    } else {
      clocks_[client] = clock;
    }
  }
  const std::map<ClientId, std::uint64_t, std::greater<>>& entries() const { return clocks_; }
  bool empty() const { return clocks_.empty(); }

  // Encodes in the v1 wire layout.
  Bytes Encode() const;
  // Decodes the v1 wire layout. Returns kInvalidArgument on malformed or truncated input.
  static Result<StateVector> Decode(ByteSpan bytes);

  friend bool operator==(const StateVector& a, const StateVector& b) {
    return a.clocks_ == b.clocks_;
  }

 private:
  std::map<ClientId, std::uint64_t, std::greater<>> clocks_;
};

}  // namespace codesphere::crdt
