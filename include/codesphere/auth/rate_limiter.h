// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `RateLimiter`: token buckets keyed by strings ("login:alice@10.0.0.7", "sandbox:user-42"),
// with an injected clock and a bounded number of buckets. A refusal carries the time after
// which the next attempt will pass (HTTP 429 + `Retry-After`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "codesphere/base/clock.h"
#include "codesphere/base/status.h"

namespace codesphere::auth {

struct RateLimiterOptions {
  // Bucket size: how many attempts may pass in a burst. Default: 5.
  std::uint32_t burst = 5;
  // One attempt is refilled every `refill_interval`. Default: 12 s (5 per minute sustained).
  std::chrono::milliseconds refill_interval = std::chrono::seconds(12);
  // Most buckets kept. A bucket that has refilled completely is the same as no bucket and is
  // dropped first; beyond that, the least recently used bucket is evicted (that key starts
  // afresh). Default: 100000 (a few MB).
  std::size_t max_buckets = 100000;
};

// The answer to one attempt.
struct RateDecision {
  bool allowed = true;
  // When refused: how long until one attempt is available again (rounded up to the ms).
  std::chrono::milliseconds retry_after{0};
  // Attempts left in the bucket after this one (rounded down).
  std::uint32_t remaining = 0;

  // OK when allowed, else kResourceExhausted "rate limited; retry after N s" (N rounded up to
  // whole seconds, as `Retry-After` wants).
  Status ToStatus() const;
  // `retry_after` rounded up to whole seconds (at least 1 when refused).
  std::int64_t RetryAfterSeconds() const;
};

// Token-bucket rate limiter.
//
// Thread-safety: thread-safe.
class RateLimiter {
 public:
  // `clock` must outlive the limiter. REQUIRES: burst >= 1, refill_interval > 0, max_buckets >= 1.
  RateLimiter(const Clock& clock, RateLimiterOptions options = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one attempt from `key`'s bucket (a new key starts full).
  RateDecision Acquire(std::string_view key);
  // What `Acquire` would answer, without taking anything.
  RateDecision Peek(std::string_view key) const;
  // Refills `key`'s bucket (e.g. after a successful login).
  void Reset(std::string_view key);

  // Buckets currently held.
  std::size_t size() const;
  const RateLimiterOptions& options() const { return options_; }

 private:
  struct Bucket {
    // Credit measured in time: one attempt costs `refill_interval`, the bucket holds at most
    // `burst * refill_interval`, and it refills one unit per unit of elapsed time. Integer
    // arithmetic on clock ticks, so decisions are exact and deterministic.
    std::chrono::steady_clock::duration credit;
    std::chrono::steady_clock::time_point updated;
    std::list<const std::string*>::iterator lru;  // position in lru_ (front = most recent)
  };
  std::chrono::steady_clock::duration CreditAt(const Bucket& b,
                                               std::chrono::steady_clock::time_point now) const;
  RateDecision Decide(std::chrono::steady_clock::duration credit) const;
  void DropIdle(std::chrono::steady_clock::time_point now);

  const Clock& clock_;
  const RateLimiterOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  std::list<const std::string*> lru_;  // keys of buckets_, guarded by mu_
};

}  // namespace codesphere::auth
