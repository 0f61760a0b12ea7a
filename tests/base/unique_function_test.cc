// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/unique_function.h"

#include <memory>

#include <gtest/gtest.h>

namespace codesphere {
namespace {

TEST(UniqueFunctionTest, HoldsMoveOnlyCallables) {
  auto p = std::make_unique<int>(41);
  unique_function<int(int)> f = [p = std::move(p)](int x) { return *p + x; };
  EXPECT_TRUE(static_cast<bool>(f));
  EXPECT_EQ(f(1), 42);
  unique_function<int(int)> g = std::move(f);
  EXPECT_EQ(g(2), 43);
  unique_function<void()> empty;
  EXPECT_FALSE(static_cast<bool>(empty));
}

TEST(UniqueFunctionTest, ForwardsArguments) {
  unique_function<std::unique_ptr<int>(std::unique_ptr<int>)> f =
      [](std::unique_ptr<int> v) { return v; };
  auto out = f(std::make_unique<int>(5));
  EXPECT_EQ(*out, 5);
}

}  // namespace
}  // namespace codesphere
