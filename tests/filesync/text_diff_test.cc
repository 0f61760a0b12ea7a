// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/text_diff.h"

#include <random>

#include <gtest/gtest.h>

namespace codesphere::filesync::internal {
namespace {

std::string Apply(std::string a, const std::vector<TextEdit>& edits) {
  for (auto it = edits.rbegin(); it != edits.rend(); ++it) a.replace(it->pos, it->erase, it->insert);
  return a;
}

TEST(TextDiffTest, SmallChangesGiveSmallEdits) {
  std::string a = "alpha\nbeta\ngamma\ndelta\n";
  std::string b = "alpha\nbeta\nGAMMA\ndelta\n";
  auto edits = DiffText(a, b);
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].pos, 11u);
  EXPECT_EQ(edits[0].erase, 5u);
  EXPECT_EQ(edits[0].insert, "GAMMA");
  EXPECT_TRUE(DiffText(a, a).empty());
}

TEST(TextDiffTest, SeparateHunksStaySeparate) {
  std::string a, b;
  for (int i = 0; i < 100; ++i) a += "line " + std::to_string(i) + "\n";
  b = a;
  b.replace(b.find("line 10\n"), 8, "line ten\n");
  b.replace(b.find("line 90\n"), 8, "");
  b += "appended\n";
  auto edits = DiffText(a, b);
  EXPECT_EQ(edits.size(), 3u);
  EXPECT_EQ(Apply(a, edits), b);
  std::size_t touched = 0;
  for (const auto& e : edits) touched += e.erase + e.insert.size();
  EXPECT_LT(touched, 30u);
}

TEST(TextDiffTest, RandomEditsRoundTripIncludingUnicode) {
  std::mt19937 rng(5);
  const std::vector<std::string> pieces = {"a", "b\n", "é", "😀", "\n", "xyz", "ß\n"};
  for (int round = 0; round < 200; ++round) {
    std::string a, b;
    for (int i = 0; i < 40; ++i) a += pieces[rng() % pieces.size()];
    for (int i = 0; i < 40; ++i) b += pieces[rng() % pieces.size()];
    if (round % 2) b = a.substr(0, a.size() / 2) + "😀 mid\n" + a.substr(a.size() / 2);
    if (!IsBindableText(b)) continue;
    auto edits = DiffText(a, b);
    EXPECT_EQ(Apply(a, edits), b);
    for (const auto& e : edits) {
      // Edits start and end on code point boundaries.
      EXPECT_TRUE(e.pos == a.size() || (static_cast<unsigned char>(a[e.pos]) & 0xC0) != 0x80);
      std::size_t end = e.pos + e.erase;
      EXPECT_TRUE(end == a.size() || (static_cast<unsigned char>(a[end]) & 0xC0) != 0x80);
    }
  }
}

TEST(TextDiffTest, Utf16LengthAndTextDetection) {
  EXPECT_EQ(Utf16Length("abc"), 3u);
  EXPECT_EQ(Utf16Length("é"), 1u);
  EXPECT_EQ(Utf16Length("😀"), 2u);
  EXPECT_TRUE(IsBindableText("hello é 😀\n"));
  EXPECT_FALSE(IsBindableText(std::string("a\0b", 3)));
  EXPECT_FALSE(IsBindableText("\xff\xfe"));
  EXPECT_FALSE(IsBindableText("\xc0\x80"));
  EXPECT_FALSE(IsBindableText("\xed\xa0\x80"));  // Surrogate.
}

}  // namespace
}  // namespace codesphere::filesync::internal
