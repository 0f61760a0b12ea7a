// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/bytes.h"

#include "tests/testing/status_matchers.h"

namespace codesphere {
namespace {

using ::codesphere::testing::StatusIs;

TEST(BytesTest, HexRoundTrip) {
  Bytes b{0x00, 0x0a, 0xff};
  EXPECT_EQ(ToHex(b), "000aff");
  EXPECT_EQ(ToHex(b, " "), "00 0a ff");
  EXPECT_EQ(FromHex("00 0A\nff").value(), b);
  EXPECT_THAT(FromHex("0"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(FromHex("zz"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(AsStringView(AsBytes("hi")), "hi");
  EXPECT_EQ(ToBytes("hi"), (Bytes{'h', 'i'}));
}

}  // namespace
}  // namespace codesphere
