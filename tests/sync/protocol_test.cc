// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// y-protocols framing against shared/spec/yjs-compat.md §12.17.
#include "codesphere/sync/protocol.h"

#include "tests/testing/status_matchers.h"

namespace codesphere::sync {
namespace {

using ::codesphere::testing::StatusIs;

const char kDoc12_2[] = "01 01 01 00 04 01 01 74 03 61 62 63 00";

Bytes Hex(std::string_view h) { return FromHex(h).value(); }

TEST(ProtocolTest, SpecVectors) {
  EXPECT_EQ(ToHex(EncodeSyncStep1(Hex("00")), " "), "00 00 01 00");
  EXPECT_EQ(ToHex(EncodeSyncStep1(Hex("01 01 03")), " "), "00 00 03 01 01 03");
  EXPECT_EQ(ToHex(EncodeSyncStep2(Hex(kDoc12_2)), " "), std::string("00 01 0d ") + kDoc12_2);
  EXPECT_EQ(ToHex(EncodeUpdate(Hex(kDoc12_2)), " "), std::string("00 02 0d ") + kDoc12_2);
  EXPECT_EQ(ToHex(EncodeQueryAwareness(), " "), "03");
  EXPECT_EQ(ToHex(EncodePermissionDenied("no"), " "), "02 00 02 6e 6f");
  EXPECT_EQ(ToHex(EncodeAwareness(Hex("01 0a 02 04 6e 75 6c 6c")), " "),
            "01 08 01 0a 02 04 6e 75 6c 6c");
}

TEST(ProtocolTest, DecodesEveryKindAndReencodesIdentically) {
  for (std::string hex : {std::string("00 00 01 00"), std::string("00 01 0d ") + kDoc12_2,
                          std::string("00 02 0d ") + kDoc12_2, std::string("03"),
                          std::string("02 00 02 6e 6f"),
                          std::string("01 08 01 0a 02 04 6e 75 6c 6c")}) {
    Bytes frame = Hex(hex);
    ASSERT_OK_AND_ASSIGN(Message m, DecodeMessage(frame));
    EXPECT_EQ(ToHex(EncodeMessage(m), " "), hex);
  }
  Bytes step2 = Hex(std::string("00 01 0d ") + kDoc12_2);
  ASSERT_OK_AND_ASSIGN(Message m, DecodeMessage(step2));
  ASSERT_TRUE(std::holds_alternative<SyncStep2Message>(m));
  EXPECT_EQ(ToHex(std::get<SyncStep2Message>(m).update, " "), kDoc12_2);
  EXPECT_EQ(MessageName(m), "sync-step2");
}

TEST(ProtocolTest, RejectsMalformedFrames) {
  for (const char* hex : {"", "00", "00 00", "00 00 05 01", "00 07 00", "07", "02 01 00",
                          "01 ff ff ff ff ff ff ff ff 01", "00 02 01 00 ff", "02 00 02 ff fe"}) {
    Bytes frame = Hex(hex);
    auto m = DecodeMessage(frame);
    EXPECT_THAT(m, StatusIs(StatusCode::kInvalidArgument)) << hex;
  }
  Bytes unknown = Hex("07");
  EXPECT_NE(DecodeMessage(unknown).error().message().find("unknown message type 7"),
            std::string_view::npos);
}

}  // namespace
}  // namespace codesphere::sync
