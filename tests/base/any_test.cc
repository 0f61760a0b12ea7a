// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The lib0 `any` codec against shared/spec/yjs-compat.md §1.6 and §12.10.
#include "codesphere/base/any.h"

#include <cmath>
#include <limits>

#include "tests/testing/status_matchers.h"

namespace codesphere {
namespace {

using ::codesphere::testing::StatusIs;

std::string Enc(const Any& v) {
  lib0::Encoder e;
  WriteAny(e, v);
  return ToHex(e.bytes(), " ");
}

Any Dec(std::string_view hex) {
  Bytes b = FromHex(hex).value();
  lib0::Decoder d(b);
  auto r = ReadAny(d);
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(d.done()) << hex;
  return r.ok() ? *r : Any();
}

TEST(AnyTest, NumberCanonicalisation) {  // §1.6
  EXPECT_EQ(Enc(Any(0)), "7d 00");
  EXPECT_EQ(Enc(Any(-0.0)), "7d 40");
  EXPECT_EQ(Enc(Any(42)), "7d 2a");
  EXPECT_EQ(Enc(Any(2147483648.0)), "7c 4f 00 00 00");
  EXPECT_EQ(Enc(Any(-2147483648.0)), "7c cf 00 00 00");
  EXPECT_EQ(Enc(Any(0.5)), "7c 3f 00 00 00");
  EXPECT_EQ(Enc(Any(1.5)), "7c 3f c0 00 00");
  EXPECT_EQ(Enc(Any(0.1)), "7b 3f b9 99 99 99 99 99 9a");
  EXPECT_EQ(Enc(Any(std::numeric_limits<double>::quiet_NaN())), "7b 7f f8 00 00 00 00 00 00");
  EXPECT_EQ(Enc(Any(std::numeric_limits<double>::infinity())), "7c 7f 80 00 00");
  EXPECT_EQ(Enc(Any(16777217.0)), "7d 81 80 80 10");
  EXPECT_EQ(Enc(Any(9007199254740992.0)), "7c 5a 00 00 00");
}

TEST(AnyTest, SpecExamples) {  // §1.6
  EXPECT_EQ(Enc(Any(Any::Object{})), "76 00");
  EXPECT_EQ(Enc(Any(Any::Array{})), "75 00");
  Any obj(Any::Object{{"b", Any(1)}, {"a", Any(Any::Array{Any(true), Any(nullptr)})}});
  EXPECT_EQ(Enc(obj), "76 02 01 62 7d 01 01 61 75 02 78 7e");
  EXPECT_EQ(Enc(Any("é")), "77 02 c3 a9");
  EXPECT_EQ(Enc(Any(Bytes{})), "74 00");
  EXPECT_EQ(Enc(Any::BigInt(10)), "7a 00 00 00 00 00 00 00 0a");
  EXPECT_EQ(Enc(Any::BigInt(-1)), "7a ff ff ff ff ff ff ff ff");
  EXPECT_EQ(Enc(Any()), "7f");
  EXPECT_EQ(Enc(Any(false)), "79");
  EXPECT_EQ(Dec("76 02 01 62 7d 01 01 61 75 02 78 7e"), obj);
  // Key order is preserved, not sorted.
  EXPECT_EQ(Dec("76 02 01 62 7d 01 01 61 75 02 78 7e").as_object()[0].first, "b");
}

TEST(AnyTest, Spec12_10ArrayElementsRoundTrip) {
  // The six elements of ContentAny in §12.10, then {"k": [-1]}.
  const char* elems[] = {"7d 01", "77 01 78", "78", "7e", "7c 3f c0 00 00",
                         "76 01 01 6b 75 01 7d 41"};
  Any expected[] = {Any(1), Any("x"), Any(true), Any(nullptr), Any(1.5),
                    Any(Any::Object{{"k", Any(Any::Array{Any(-1)})}})};
  for (int i = 0; i < 6; ++i) {
    Any v = Dec(elems[i]);
    EXPECT_EQ(v, expected[i]) << elems[i];
    EXPECT_EQ(Enc(v), elems[i]);
  }
}

TEST(AnyTest, NegativeZeroSurvivesDecode) {
  Any v = Dec("7d 40");
  ASSERT_TRUE(v.is_number());
  EXPECT_TRUE(std::signbit(v.as_number()));
  EXPECT_EQ(Enc(v), "7d 40");
}

TEST(AnyTest, RejectsUnknownTagsAndHostileLengths) {
  for (const char* hex : {"00", "73", "75 05 7e", "76 ff ff ff 0f", "77 05 61",
                          "75 ff ff ff ff ff ff ff 0f", "74 03 01", "7b 00"}) {
    Bytes b = FromHex(hex).value();
    lib0::Decoder d(b);
    EXPECT_THAT(ReadAny(d), StatusIs(StatusCode::kInvalidArgument)) << hex;
  }
}

TEST(AnyTest, RejectsDeepNesting) {
  Bytes b;
  for (int i = 0; i < 10000; ++i) {
    b.push_back(0x75);
    b.push_back(0x01);
  }
  b.push_back(0x7e);
  lib0::Decoder d(b);
  auto r = ReadAny(d);
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_NE(r.error().message().find("nesting"), std::string_view::npos);
}

TEST(AnyTest, TypedAccessorsAndFind) {
  Any o(Any::Object{{"name", Any("x")}, {"n", Any(2)}});
  ASSERT_NE(o.Find("n"), nullptr);
  EXPECT_EQ(o.Find("n")->as_number(), 2);
  EXPECT_EQ(o.Find("missing"), nullptr);
  EXPECT_EQ(Any("s").Find("n"), nullptr);
  EXPECT_EQ(Any(std::numeric_limits<double>::quiet_NaN()),
            Any(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(Any(1) == Any("1"));
}

}  // namespace
}  // namespace codesphere
