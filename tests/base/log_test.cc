// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/log.h"

#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace codesphere {
namespace {

class CapturingSink : public LogSink {
 public:
  void Write(const LogRecord& record) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(FormatLogfmt(record));
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink(&sink_);
    SetMinLogLevel(LogLevel::kInfo);
  }
  void TearDown() override { SetLogSink(nullptr); }
  CapturingSink sink_;
};

TEST_F(LogTest, WritesLogfmtWithFields) {
  LogInfo("room loaded", {{"room", "notes"}, {"bytes", 812}, {"ok", true}, {"ratio", 0.5}});
  ASSERT_EQ(sink_.lines.size(), 1u);
  const std::string& line = sink_.lines[0];
  EXPECT_EQ(line.rfind("ts=", 0), 0u);
  EXPECT_NE(line.find(" level=info msg=\"room loaded\" room=notes bytes=812 ok=true ratio=0.5"),
            std::string::npos)
      << line;
}

TEST_F(LogTest, QuotesAndEscapesValues) {
  LogWarning("x", {{"path", "a b\"c\n"}, {"empty", ""}});
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_NE(sink_.lines[0].find(R"(path="a b\"c\n" empty="")"), std::string::npos)
      << sink_.lines[0];
}

TEST_F(LogTest, DropsBelowMinimumLevel) {
  LogDebug("hidden");
  SetMinLogLevel(LogLevel::kError);
  LogWarning("hidden too");
  LogError("shown");
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_NE(sink_.lines[0].find("level=error"), std::string::npos);
}

TEST(LogLevelTest, Parse) {
  LogLevel l;
  EXPECT_TRUE(ParseLogLevel("DEBUG", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("warn", &l));
  EXPECT_EQ(l, LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

}  // namespace
}  // namespace codesphere
