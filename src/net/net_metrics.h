// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The transport's metric series (label server=<name>), resolved once per server or client so
// that the hot paths only touch atomics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/base/metrics.h"

namespace codesphere::net::internal {

// Thread-safety: thread-safe (all members are thread-safe metric objects or immutable).
struct NetMetrics {
  // Null `registry` gives an object whose series are all null (no-ops).
  static std::shared_ptr<NetMetrics> Create(MetricsRegistry* registry, std::string_view name);

  // Counts a disconnect with `reason` (a short snake_case word).
  void Disconnect(std::string_view reason) const;

  MetricsRegistry* registry = nullptr;
  std::string name;
  Counter* connections_total = nullptr;
  Gauge* connections_open = nullptr;
  Gauge* websockets_open = nullptr;
  Counter* http_requests_total = nullptr;
  Counter* messages_received = nullptr;
  Counter* messages_sent = nullptr;
  Counter* bytes_received = nullptr;
  Counter* bytes_sent = nullptr;
};

inline void Inc(Counter* c, std::uint64_t n = 1) {
  if (c != nullptr) c->Increment(n);
}
inline void Add(Gauge* g, double delta) {
  if (g != nullptr) g->Add(delta);
}

}  // namespace codesphere::net::internal
