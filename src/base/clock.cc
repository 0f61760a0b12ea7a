// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/clock.h"

namespace codesphere {
namespace {
class RealClockImpl final : public Clock {
 public:
  // Clock
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
};
}  // namespace

Clock& RealClock() {
  static RealClockImpl* clock = new RealClockImpl();  // never destroyed: usable at exit
  return *clock;
}

}  // namespace codesphere
