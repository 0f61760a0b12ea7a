// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/crc32c.h"

#include <gtest/gtest.h>

namespace codesphere {
namespace {

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c(AsBytes("")), 0u);
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xe3069283u);
  Bytes zeros(32, 0);
  EXPECT_EQ(Crc32c(zeros), 0x8a9136aau);  // RFC 3720 B.4
  Bytes ones(32, 0xff);
  EXPECT_EQ(Crc32c(ones), 0x62a8ab43u);
}

TEST(Crc32cTest, Incremental) {
  std::string s = "The quick brown fox jumps over the lazy dog";
  std::uint32_t whole = Crc32c(AsBytes(s));
  std::uint32_t part = Crc32c(AsBytes(s.substr(0, 13)));
  EXPECT_EQ(Crc32c(AsBytes(s.substr(13)), part), whole);
}

}  // namespace
}  // namespace codesphere
