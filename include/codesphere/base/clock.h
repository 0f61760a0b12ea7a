// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// An injectable clock, so that timeouts (awareness, idle policies, tokens) are testable.
#pragma once

#include <chrono>
#include <cstdint>

namespace codesphere {

// A source of time. Inject it; never read the system clock directly in logic that tests
// must control.
//
// Thread-safety: thread-safe (implementations must be).
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an unspecified epoch.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock time (for tokens, logs, timestamps shown to users).
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

// The real clocks. Returns a process-lifetime object.
Clock& RealClock();

// Milliseconds since the Unix epoch of `t`.
inline std::int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace codesphere
