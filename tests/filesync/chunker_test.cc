// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/chunker.h"

#include <random>
#include <set>

#include <gtest/gtest.h>

namespace codesphere::filesync::internal {
namespace {

Bytes Random(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

std::vector<std::size_t> Cuts(const Chunker& c, const Bytes& data) {
  std::vector<std::size_t> cuts;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t n = c.NextCut(ByteSpan(data.data() + pos, data.size() - pos), true);
    pos += n;
    cuts.push_back(pos);
  }
  return cuts;
}

TEST(ChunkerTest, ChunksRespectMinAndMaxAndAverageIsNearTarget) {
  ChunkerParams p{4096, 16384, 65536};
  Chunker c(p);
  Bytes data = Random(8u << 20, 1);
  auto cuts = Cuts(c, data);
  std::size_t prev = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    std::size_t len = cuts[i] - prev;
    if (i + 1 < cuts.size()) {
      EXPECT_GE(len, p.min_size);
    }
    EXPECT_LE(len, p.max_size);
    prev = cuts[i];
  }
  double avg = static_cast<double>(data.size()) / static_cast<double>(cuts.size());
  EXPECT_GT(avg, p.avg_size * 0.5);
  EXPECT_LT(avg, p.avg_size * 2.0);
}

TEST(ChunkerTest, BoundariesResynchronizeAfterAnInsertion) {
  Chunker c(ChunkerParams{4096, 16384, 65536});
  Bytes data = Random(2u << 20, 2);
  Bytes edited = data;
  edited.insert(edited.begin() + 100000, {1, 2, 3, 4, 5, 6, 7});
  auto a = Cuts(c, data), b = Cuts(c, edited);
  // Cut points after the edit are the old ones shifted by 7: most chunks are shared.
  std::set<std::size_t> shifted;
  for (std::size_t x : a) {
    if (x > 100000) shifted.insert(x + 7);
  }
  std::size_t same = 0;
  for (std::size_t x : b) same += shifted.count(x);
  EXPECT_GE(same + 3, shifted.size());
}

TEST(ChunkerTest, NeedsMoreDataBeforeEofAndIsDeterministic) {
  Chunker c(ChunkerParams{4096, 16384, 65536});
  Bytes small = Random(1000, 3);
  EXPECT_EQ(c.NextCut(small, false), 0u);
  EXPECT_EQ(c.NextCut(small, true), 1000u);
  Bytes data = Random(1u << 20, 4);
  EXPECT_EQ(Cuts(c, data), Cuts(Chunker(ChunkerParams{4096, 16384, 65536}), data));
}

TEST(ChunkerTest, ParamsAreValidated) {
  EXPECT_FALSE(ValidateChunkerParams({4096, 10000, 65536}).ok());
  EXPECT_FALSE(ValidateChunkerParams({65536, 16384, 4096}).ok());
  EXPECT_TRUE(ValidateChunkerParams(ChunkerParams{}).ok());
}

}  // namespace
}  // namespace codesphere::filesync::internal
