// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A manually advanced Clock for deterministic tests of timeouts and expiry.
#pragma once

#include <atomic>
#include <chrono>

#include "codesphere/base/clock.h"

namespace codesphere::testing {

// Starts at an arbitrary fixed point; only Advance() moves it.
// Thread-safety: thread-safe.
class FakeClock : public Clock {
 public:
  FakeClock() = default;
  // Clock
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now_ns_.load()));
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(wall_ns_.load())));
  }
  void Advance(std::chrono::nanoseconds d) {
    now_ns_ += d.count();
    wall_ns_ += d.count();
  }

 private:
  std::atomic<long long> now_ns_{1'000'000'000'000LL};
  std::atomic<long long> wall_ns_{1'790'000'000'000'000'000LL};  // late 2026
};

}  // namespace codesphere::testing
