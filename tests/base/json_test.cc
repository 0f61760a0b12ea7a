// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <limits>

#include "codesphere/base/any.h"
#include "tests/testing/status_matchers.h"

namespace codesphere {
namespace {

using ::codesphere::testing::StatusIs;

TEST(JsonTest, FormatsNumbersAsJs) {
  EXPECT_EQ(FormatJsNumber(0), "0");
  EXPECT_EQ(FormatJsNumber(-0.0), "0");
  EXPECT_EQ(FormatJsNumber(1), "1");
  EXPECT_EQ(FormatJsNumber(-1.5), "-1.5");
  EXPECT_EQ(FormatJsNumber(100), "100");
  EXPECT_EQ(FormatJsNumber(1e6), "1000000");
  EXPECT_EQ(FormatJsNumber(1e21), "1e+21");
  EXPECT_EQ(FormatJsNumber(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(FormatJsNumber(0.1), "0.1");
  EXPECT_EQ(FormatJsNumber(0.000001), "0.000001");
  EXPECT_EQ(FormatJsNumber(1e-7), "1e-7");
  EXPECT_EQ(FormatJsNumber(1.2345e-10), "1.2345e-10");
  EXPECT_EQ(FormatJsNumber(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatJsNumber(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(FormatJsNumber(9007199254740991.0), "9007199254740991");
}

TEST(JsonTest, StringifyMatchesJsonStringify) {
  Any v(Any::Object{{"a", Any(1)},
                    {"u", Any()},
                    {"s", Any("q\"\\\n\x01")},
                    {"arr", Any(Any::Array{Any(), Any(nullptr), Any(std::nan(""))})},
                    {"b", Any(Bytes{1, 2})}});
  EXPECT_EQ(ToJson(v), R"({"a":1,"s":"q\"\\\n\u0001","arr":[null,null,null],"b":{"0":1,"1":2}})");
}

TEST(JsonTest, ParseRoundTrip) {
  const char* text = R"({"b":[1,2.5,-3e2,true,false,null],"a":{"x":"\u00e9\ud83d\ude00"}})";
  ASSERT_OK_AND_ASSIGN(Any v, ParseJson(text));
  EXPECT_EQ(v.as_object()[0].first, "b");
  EXPECT_EQ(v.Find("b")->as_array()[2].as_number(), -300);
  EXPECT_EQ(v.Find("a")->Find("x")->as_string(), "é\xf0\x9f\x98\x80");
  EXPECT_EQ(ToJson(v), R"({"b":[1,2.5,-300,true,false,null],"a":{"x":"é😀"}})");
}

TEST(JsonTest, LoneSurrogateBecomesReplacementCharacter) {
  ASSERT_OK_AND_ASSIGN(Any v, ParseJson(R"("a\ud83d")"));
  EXPECT_EQ(v.as_string(), "a\xef\xbf\xbd");
}

TEST(JsonTest, RejectsMalformed) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\"1}", "01", "1.", "-", "\"\\x\"", "tru",
                          "[1] 2", "\"a\nb\"", "{\"a\":}", "\"\\ud83", "\"\xff\""}) {
    EXPECT_THAT(ParseJson(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  std::string deep(100000, '[');
  EXPECT_THAT(ParseJson(deep), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace codesphere
