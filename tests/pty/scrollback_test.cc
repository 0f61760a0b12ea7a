// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "pty/scrollback.h"

#include <string>

#include <gtest/gtest.h>

namespace codesphere::pty::internal {
namespace {

std::string Read(const ScrollbackRing& r, std::uint64_t from, std::size_t max = 1 << 30) {
  Bytes out;
  r.CopyOut(from, max, out);
  return std::string(AsStringView(out));
}

TEST(ScrollbackRingTest, KeepsEverythingUntilFull) {
  ScrollbackRing r(16);
  r.Append(AsBytes("hello "));
  r.Append(AsBytes("world"));
  EXPECT_EQ(r.begin(), 0u);
  EXPECT_EQ(r.end(), 11u);
  EXPECT_EQ(Read(r, 0), "hello world");
  EXPECT_EQ(Read(r, 6, 3), "wor");
}

TEST(ScrollbackRingTest, DropsTheOldestBytesAndWraps) {
  ScrollbackRing r(8);
  r.Append(AsBytes("0123456789abc"));
  EXPECT_EQ(r.begin(), 5u);
  EXPECT_EQ(r.end(), 13u);
  EXPECT_EQ(Read(r, 5), "56789abc");
  r.Append(AsBytes("XYZ"));
  EXPECT_EQ(Read(r, r.begin()), "89abcXYZ");
  EXPECT_EQ(r.At(r.begin()), '8');
  EXPECT_EQ(r.size(), 8u);
}

TEST(ScrollbackRingTest, PrepareDropsWhatItWillOverwrite) {
  ScrollbackRing r(8);
  r.Append(AsBytes("abcdefgh"));
  auto span = r.Prepare(3);
  ASSERT_EQ(span.size(), 3u);
  EXPECT_EQ(r.begin(), 3u);  // a, b, c are being overwritten
  span[0] = '1';
  r.Commit(1);
  EXPECT_EQ(Read(r, r.begin()), "defgh1");
}

TEST(ScrollbackRingTest, MemoryGrowsWithUseOnly) {
  ScrollbackRing r(1 << 20);
  r.Append(AsBytes("$ "));
  EXPECT_LT(r.allocated(), 8u << 10);
  auto span = r.Prepare(4096);
  EXPECT_EQ(span.size(), 4096u);
  r.Commit(0);
  EXPECT_LE(r.allocated(), 8u << 10);
  for (int i = 0; i < 100; ++i) r.Append(Bytes(50000, 'x'));
  EXPECT_EQ(r.allocated(), 1u << 20);
  EXPECT_EQ(r.size(), 1u << 20);
}

}  // namespace
}  // namespace codesphere::pty::internal
