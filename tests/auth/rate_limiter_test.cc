// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::auth {
namespace {

using ::codesphere::testing::FakeClock;
using ::codesphere::testing::StatusIs;
using std::chrono::milliseconds;
using std::chrono::seconds;

RateLimiterOptions Options(std::uint32_t burst, milliseconds refill, std::size_t max = 1000) {
  RateLimiterOptions o;
  o.burst = burst;
  o.refill_interval = refill;
  o.max_buckets = max;
  return o;
}

TEST(RateLimiterTest, BurstThenRefusedWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(3, seconds(10)));
  for (std::uint32_t i = 0; i < 3; ++i) {
    RateDecision d = limiter.Acquire("login:alice@10.0.0.1");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 2 - i);
  }
  RateDecision refused = limiter.Acquire("login:alice@10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(10));
  EXPECT_EQ(refused.RetryAfterSeconds(), 10);
  EXPECT_THAT(refused.ToStatus(), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_NE(refused.ToStatus().message().find("retry after 10 s"), std::string_view::npos);

  clock.Advance(seconds(4));
  refused = limiter.Acquire("login:alice@10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(6));
  clock.Advance(seconds(6));
  EXPECT_TRUE(limiter.Acquire("login:alice@10.0.0.1").allowed);
  EXPECT_FALSE(limiter.Acquire("login:alice@10.0.0.1").allowed);
}

TEST(RateLimiterTest, RetryAfterRoundsUpToWholeSeconds) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(1, milliseconds(2500)));
  EXPECT_TRUE(limiter.Acquire("k").allowed);
  clock.Advance(milliseconds(1));
  RateDecision d = limiter.Acquire("k");
  EXPECT_EQ(d.retry_after, milliseconds(2499));
  EXPECT_EQ(d.RetryAfterSeconds(), 3);
  clock.Advance(std::chrono::microseconds(2498500));
  d = limiter.Acquire("k");
  EXPECT_EQ(d.retry_after, milliseconds(1));  // 0.5 ms rounds up
  EXPECT_EQ(d.RetryAfterSeconds(), 1);
}

TEST(RateLimiterTest, KeysAreIndependentAndRefillCapsAtBurst) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(2, seconds(1)));
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_FALSE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("b").allowed);
  clock.Advance(seconds(3600));
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_FALSE(limiter.Acquire("a").allowed);
}

TEST(RateLimiterTest, PeekDoesNotConsumeAndResetRefills) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(1, seconds(60)));
  EXPECT_TRUE(limiter.Peek("k").allowed);
  EXPECT_TRUE(limiter.Peek("k").allowed);
  EXPECT_TRUE(limiter.Acquire("k").allowed);
  EXPECT_FALSE(limiter.Peek("k").allowed);
  EXPECT_EQ(limiter.Peek("k").retry_after, seconds(60));
  limiter.Reset("k");
  EXPECT_TRUE(limiter.Acquire("k").allowed);
  limiter.Reset("never-seen");
}

TEST(RateLimiterTest, IdleBucketsAreDroppedAndMemoryIsBounded) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(2, seconds(1), /*max=*/100));
  for (int i = 0; i < 1000; ++i) limiter.Acquire("key-" + std::to_string(i));
  EXPECT_EQ(limiter.size(), 100u);
  // Once they have refilled they carry no state and go at the next call.
  clock.Advance(seconds(2));
  limiter.Acquire("fresh");
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiterTest, EvictionIsLeastRecentlyUsed) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(1, seconds(100), /*max=*/2));
  EXPECT_TRUE(limiter.Acquire("a").allowed);
  EXPECT_TRUE(limiter.Acquire("b").allowed);
  EXPECT_FALSE(limiter.Acquire("a").allowed);  // a is now the most recent
  EXPECT_TRUE(limiter.Acquire("c").allowed);   // evicts b
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.Acquire("a").allowed);  // a kept its state
  EXPECT_TRUE(limiter.Acquire("b").allowed);   // b started afresh
}

TEST(RateLimiterTest, ConcurrentCallersGetExactlyTheBurst) {
  FakeClock clock;
  RateLimiter limiter(clock, Options(37, seconds(60)));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (limiter.Acquire("shared").allowed) ++allowed;
        limiter.Acquire("other-" + std::to_string(i));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 37);
}

TEST(RateLimiterTest, AllowedDecisionIsOk) {
  FakeClock clock;
  RateLimiter limiter(clock);
  const RateDecision d = limiter.Acquire("sandbox:user-1");
  EXPECT_OK(d.ToStatus());
  EXPECT_EQ(d.RetryAfterSeconds(), 0);
  EXPECT_EQ(d.remaining, 4u);
}

}  // namespace
}  // namespace codesphere::auth
