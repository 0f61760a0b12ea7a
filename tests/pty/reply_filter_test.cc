// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "pty/reply_filter.h"

#include <string>

#include <gtest/gtest.h>

namespace codesphere::pty::internal {
namespace {

std::string Strip(std::string_view s) {
  return std::string(AsStringView(StripTerminalReplies(AsBytes(s))));
}

TEST(ReplyFilterTest, RemovesQueryReplies) {
  EXPECT_EQ(Strip("\x1b[?1;2c"), "");          // DA1 (xterm.js)
  EXPECT_EQ(Strip("\x1b[>0;276;0c"), "");      // DA2
  EXPECT_EQ(Strip("\x1b[24;80R"), "");         // CPR
  EXPECT_EQ(Strip("\x1b[0n"), "");             // DSR
  EXPECT_EQ(Strip("\x1b[?2004;1$y"), "");      // DECRPM
  EXPECT_EQ(Strip("\x1b[8;24;80t"), "");       // window size report
  EXPECT_EQ(Strip("\x1b]11;rgb:0000/0000/0000\x1b\\"), "");  // OSC colour (ST)
  EXPECT_EQ(Strip("\x1b]10;rgb:ffff/ffff/ffff\x07"), "");     // OSC colour (BEL)
  EXPECT_EQ(Strip("\x1bP1$r0m\x1b\\"), "");    // DECRQSS
  EXPECT_EQ(Strip("a\x1b[?1;2cb\x1b[3;1Rc"), "abc");
}

TEST(ReplyFilterTest, KeepsKeysAndIncompleteSequences) {
  for (std::string_view keep :
       {"ls -l\r", "\x1b[A", "\x1b[1;5C", "\x1b[3~", "\x1bOP", "\x1b[<0;10;5M", "\x1b[200~x\x1b[201~",
        "\x1b", "\x1b[", "\x1b[?1;2", "\x1b]11;rgb", "\x03", "\x1b[I", "\xe2\x82\xac"}) {
    EXPECT_EQ(Strip(keep), keep);
  }
}

}  // namespace
}  // namespace codesphere::pty::internal
