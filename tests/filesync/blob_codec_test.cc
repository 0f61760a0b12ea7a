// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/blob_codec.h"

#include <sodium.h>

#include "tests/testing/status_matchers.h"

namespace codesphere::filesync::internal {
namespace {

using ::codesphere::testing::StatusIs;

Bytes Key(std::uint8_t v) { return Bytes(32, v); }

TEST(BlobCodecTest, ChunksRoundTripPlainAndEncrypted) {
  ASSERT_GE(sodium_init(), 0);
  std::string text(100000, 'a');
  for (auto key : {std::optional<Bytes>(), std::optional<Bytes>(Key(7))}) {
    BlobCodec codec(key, 1);
    for (const std::string& s : {std::string(), std::string("short"), text}) {
      ChunkId id = codec.Id(AsBytes(s));
      Bytes stored;
      codec.EncodeChunk(id, AsBytes(s), stored);
      if (s == text) {
        EXPECT_LT(stored.size(), text.size() / 10);  // Compressed.
      }
      ASSERT_OK_AND_ASSIGN(Bytes back, codec.DecodeChunk(id, stored, s.size()));
      EXPECT_EQ(std::string(AsStringView(back)), s);
      // Any flipped bit is detected.
      if (!stored.empty()) {
        stored[stored.size() / 2] ^= 1;
        EXPECT_FALSE(codec.DecodeChunk(id, stored, s.size()).has_value());
      }
    }
  }
}

TEST(BlobCodecTest, KeyedIdsDifferAndWrongKeyFails) {
  BlobCodec plain(std::nullopt, 1), a(Key(1), 1), b(Key(2), 1);
  Bytes data = ToBytes("same content");
  EXPECT_NE(plain.Id(data), a.Id(data));
  EXPECT_NE(a.Id(data), b.Id(data));
  Bytes stored = a.Seal(data, "manifest");
  ASSERT_OK_AND_ASSIGN(Bytes back, a.Unseal(stored, "manifest"));
  EXPECT_EQ(back, data);
  EXPECT_THAT(b.Unseal(stored, "manifest"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_FALSE(a.Unseal(stored, "index").has_value());  // Bound to its kind.
  EXPECT_THAT(plain.Unseal(Bytes(10), "manifest"), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace codesphere::filesync::internal
