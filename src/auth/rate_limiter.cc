// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/rate_limiter.h"

#include <string>

#include "codesphere/base/check.h"

namespace codesphere::auth {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

std::int64_t RateDecision::RetryAfterSeconds() const {
  if (allowed) return 0;
  const std::int64_t ms = retry_after.count();
  return ms <= 0 ? 1 : (ms + 999) / 1000;
}

Status RateDecision::ToStatus() const {
  if (allowed) return OkStatus();
  return ResourceExhaustedError("rate limited; retry after " +
                                std::to_string(RetryAfterSeconds()) + " s");
}

RateLimiter::RateLimiter(const Clock& clock, RateLimiterOptions options)
    : clock_(clock), options_(options) {
  CODESPHERE_CHECK(options_.burst >= 1);
  CODESPHERE_CHECK(options_.refill_interval.count() > 0);
  CODESPHERE_CHECK(options_.max_buckets >= 1);
}

Duration RateLimiter::CreditAt(const Bucket& b, TimePoint now) const {
  const Duration capacity = options_.refill_interval * options_.burst;
  // A clock that stepped backwards refills nothing rather than draining the bucket.
  const Duration elapsed = now > b.updated ? now - b.updated : Duration::zero();
  return elapsed >= capacity - b.credit ? capacity : b.credit + elapsed;
}

RateDecision RateLimiter::Decide(Duration credit) const {
  const Duration cost = options_.refill_interval;
  RateDecision d;
  if (credit >= cost) {
    d.allowed = true;
    d.remaining = static_cast<std::uint32_t>((credit - cost) / cost);
  } else {
    d.allowed = false;
    const Duration missing = cost - credit;
    d.retry_after = std::chrono::ceil<std::chrono::milliseconds>(missing);
  }
  return d;
}

void RateLimiter::DropIdle(TimePoint now) {
  // Least recently used buckets are the most likely to have refilled; a full bucket carries no
  // state, so dropping it changes no future decision.
  const Duration capacity = options_.refill_interval * options_.burst;
  while (!lru_.empty()) {
    auto it = buckets_.find(*lru_.back());
    if (CreditAt(it->second, now) < capacity) break;
    lru_.pop_back();
    buckets_.erase(it);
  }
}

RateDecision RateLimiter::Acquire(std::string_view key) {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  DropIdle(now);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_buckets) {
      buckets_.erase(*lru_.back());
      lru_.pop_back();
    }
    it = buckets_
             .emplace(std::string(key),
                      Bucket{options_.refill_interval * options_.burst, now, lru_.end()})
             .first;
    lru_.push_front(&it->first);
  } else {
    lru_.erase(it->second.lru);
    lru_.push_front(&it->first);
  }
  Bucket& b = it->second;
  b.lru = lru_.begin();
  b.credit = CreditAt(b, now);
  b.updated = now;
  RateDecision d = Decide(b.credit);
  if (d.allowed) b.credit -= options_.refill_interval;
  return d;
}

RateDecision RateLimiter::Peek(std::string_view key) const {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) return Decide(options_.refill_interval * options_.burst);
  return Decide(CreditAt(it->second, now));
}

void RateLimiter::Reset(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) return;
  lru_.erase(it->second.lru);
  buckets_.erase(it);
}

std::size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace codesphere::auth
