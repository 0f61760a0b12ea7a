// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// lib0 primitives against the byte vectors of shared/spec/yjs-compat.md §1 and §12.
#include "codesphere/base/encoding.h"

#include <cmath>
#include <limits>

#include "tests/testing/status_matchers.h"

namespace codesphere::lib0 {
namespace {

using ::codesphere::testing::StatusIs;

Bytes Hex(std::string_view h) { return FromHex(h).value(); }

std::string EncodeUint(std::uint64_t v) {
  Encoder e;
  e.WriteVarUint(v);
  return ToHex(e.bytes(), " ");
}
std::string EncodeInt(bool neg, std::uint64_t mag) {
  Encoder e;
  e.WriteVarInt(neg, mag);
  return ToHex(e.bytes(), " ");
}

TEST(EncodingTest, VarUintSpecVectors) {  // §1.1
  const std::pair<std::uint64_t, const char*> cases[] = {
      {0, "00"},           {127, "7f"},
      {128, "80 01"},      {300, "ac 02"},
      {16384, "80 80 01"}, {4294967295ull, "ff ff ff ff 0f"},
      {kMaxSafeInteger, "ff ff ff ff ff ff ff 0f"},
  };
  for (auto [value, hex] : cases) {
    EXPECT_EQ(EncodeUint(value), hex);
    Bytes b = Hex(hex);
    Decoder d(b);
    ASSERT_OK_AND_ASSIGN(auto v, d.ReadVarUint());
    EXPECT_EQ(v, value);
    EXPECT_TRUE(d.done());
  }
}

TEST(EncodingTest, VarIntSpecVectors) {  // §1.2, sign-magnitude
  struct Case {
    bool neg;
    std::uint64_t mag;
    const char* hex;
  };
  const Case cases[] = {
      {false, 0, "00"},       {true, 0, "40"},          {false, 1, "01"},
      {true, 1, "41"},        {false, 63, "3f"},        {true, 63, "7f"},
      {false, 64, "80 01"},   {true, 64, "c0 01"},      {false, 8191, "bf 7f"},
      {false, 8192, "80 80 01"}, {true, 8192, "c0 80 01"},
      {false, 2147483647, "bf ff ff ff 0f"}, {true, 2147483648u, "c0 80 80 80 10"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EncodeInt(c.neg, c.mag), c.hex);
    Bytes b = Hex(c.hex);
    Decoder d(b);
    ASSERT_OK_AND_ASSIGN(auto v, d.ReadSignedVarInt());
    EXPECT_EQ(v.negative, c.neg) << c.hex;
    EXPECT_EQ(v.magnitude, c.mag) << c.hex;
  }
  Encoder e;
  e.WriteVarInt(std::int64_t{-64});
  EXPECT_EQ(ToHex(e.bytes(), " "), "c0 01");
}

TEST(EncodingTest, VarUintRejectsTruncatedAndOutOfRange) {
  for (const char* hex : {"", "80", "ff ff", "ff ff ff ff ff ff ff"}) {
    Bytes b = Hex(hex);
    Decoder d(b);
    EXPECT_THAT(d.ReadVarUint(), StatusIs(StatusCode::kInvalidArgument)) << hex;
  }
  // 2^53 (one above the safe range) and over-long encodings.
  for (const char* hex : {"80 80 80 80 80 80 80 10", "80 80 80 80 80 80 80 80 00",
                          "ff ff ff ff ff ff ff ff ff ff 01"}) {
    Bytes b = Hex(hex);
    Decoder d(b);
    auto r = d.ReadVarUint();
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument)) << hex;
    EXPECT_NE(r.error().message().find("out of range"), std::string_view::npos);
  }
}

TEST(EncodingTest, VarIntRejectsTruncatedAndOutOfRange) {
  for (const char* hex : {"", "c0", "80 80", "ff ff ff ff ff ff ff ff ff 01"}) {
    Bytes b = Hex(hex);
    Decoder d(b);
    EXPECT_THAT(d.ReadVarInt(), StatusIs(StatusCode::kInvalidArgument)) << hex;
  }
}

TEST(EncodingTest, VarUint32RejectsLargeValues) {
  Bytes b = Hex("80 80 80 80 10");  // 2^32
  Decoder d(b);
  EXPECT_THAT(d.ReadVarUint32(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(EncodingTest, VarStringIsUtf8ByteLength) {  // §1.4
  Encoder e;
  e.WriteVarString("é");
  EXPECT_EQ(ToHex(e.bytes(), " "), "02 c3 a9");
  Bytes b = Hex("04 61 ef bf bd");  // "a" + U+FFFD, as JS writes "a\uD83D"
  Decoder d(b);
  ASSERT_OK_AND_ASSIGN(auto s, d.ReadVarString());
  EXPECT_EQ(s, "a\xef\xbf\xbd");
}

TEST(EncodingTest, VarStringRejectsInvalidUtf8AndKeepsBom) {
  for (const char* hex : {"01 80", "02 c0 80", "03 ed a0 80", "04 f4 90 80 80", "02 c3",
                          "05 61 62"}) {
    Bytes b = Hex(hex);
    Decoder d(b);
    EXPECT_THAT(d.ReadVarString(), StatusIs(StatusCode::kInvalidArgument)) << hex;
  }
  Bytes bom = Hex("03 ef bb bf");
  Decoder d(bom);
  ASSERT_OK_AND_ASSIGN(auto s, d.ReadVarString());
  EXPECT_EQ(s, "\xef\xbb\xbf");
}

TEST(EncodingTest, FixedWidthBigEndian) {  // §1.3
  Encoder e;
  e.WriteFloat32(1.5f);
  e.WriteFloat64(0.1);
  e.WriteBigInt64(-1);
  EXPECT_EQ(ToHex(e.bytes(), " "),
            "3f c0 00 00 3f b9 99 99 99 99 99 9a ff ff ff ff ff ff ff ff");
  Decoder d(e.bytes());
  ASSERT_OK_AND_ASSIGN(float f, d.ReadFloat32());
  ASSERT_OK_AND_ASSIGN(double g, d.ReadFloat64());
  ASSERT_OK_AND_ASSIGN(std::int64_t b, d.ReadBigInt64());
  EXPECT_EQ(f, 1.5f);
  EXPECT_EQ(g, 0.1);
  EXPECT_EQ(b, -1);
  EXPECT_THAT(d.ReadFloat32(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(EncodingTest, Uint8ArrayNeverReadsPastTheEnd) {
  Bytes b = Hex("05 01 02");
  Decoder d(b);
  EXPECT_THAT(d.ReadVarUint8Array(), StatusIs(StatusCode::kInvalidArgument));
  Bytes huge = Hex("ff ff ff ff ff ff ff 0f 00");
  Decoder d2(huge);
  EXPECT_THAT(d2.ReadVarUint8Array(), StatusIs(StatusCode::kInvalidArgument));
}

// §12.2: the full update of `getText('t').insert(0, 'abc')`, walked field by field.
TEST(EncodingTest, Spec12_2UpdateDecodesFieldByField) {
  Bytes b = Hex("01 01 01 00 04 01 01 74 03 61 62 63 00");
  Decoder d(b);
  EXPECT_EQ(d.ReadVarUint().value(), 1u);   // client groups
  EXPECT_EQ(d.ReadVarUint().value(), 1u);   // structs
  EXPECT_EQ(d.ReadVarUint().value(), 1u);   // client
  EXPECT_EQ(d.ReadVarUint().value(), 0u);   // clock
  EXPECT_EQ(d.ReadUint8().value(), 0x04);   // info: ContentString
  EXPECT_EQ(d.ReadVarUint().value(), 1u);   // parentInfo: root name follows
  EXPECT_EQ(d.ReadVarString().value(), "t");
  EXPECT_EQ(d.ReadVarString().value(), "abc");
  EXPECT_EQ(d.ReadVarUint().value(), 0u);   // empty delete set
  EXPECT_TRUE(d.done());
}

// §12.17: an awareness message, built from lib0 primitives, byte-identical.
TEST(EncodingTest, Spec12_17AwarenessMessageBytes) {
  Encoder inner;
  inner.WriteVarUint(1);   // one client
  inner.WriteVarUint(10);  // client id
  inner.WriteVarUint(1);   // clock
  inner.WriteVarString(R"({"user":{"name":"A"}})");
  Encoder msg;
  msg.WriteVarUint(1);  // messageAwareness
  msg.WriteVarUint8Array(inner.bytes());
  EXPECT_EQ(ToHex(msg.bytes(), " "),
            "01 19 01 0a 01 15 7b 22 75 73 65 72 22 3a 7b 22 6e 61 6d 65 22 3a 22 41 22 7d 7d");
}

TEST(EncodingTest, Utf16Length) {
  EXPECT_EQ(Utf16Length(""), 0u);
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("é"), 1u);
  EXPECT_EQ(Utf16Length("a\xf0\x9f\x98\x80"), 3u);  // "a😀" (§12.7)
  EXPECT_EQ(Utf16Length("\xe2\x82\xac"), 1u);        // "€"
}

}  // namespace
}  // namespace codesphere::lib0
