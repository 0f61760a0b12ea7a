// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/result.h"

#include <memory>
#include <string>

#include "codesphere/base/status_macros.h"
#include "tests/testing/status_matchers.h"

namespace codesphere {
namespace {

using ::codesphere::testing::StatusIs;

Result<int> Parse(std::string_view s) {
  if (s.empty()) return InvalidArgumentError("empty");
  return static_cast<int>(s.size());
}

Result<int> Twice(std::string_view s) {
  CODESPHERE_ASSIGN_OR_RETURN(int n, Parse(s));
  return 2 * n;
}

Status Check(std::string_view s) {
  CODESPHERE_RETURN_IF_ERROR(Parse(s));
  CODESPHERE_RETURN_IF_ERROR(OkStatus());
  return OkStatus();
}

struct Base {
  virtual ~Base() = default;
};
struct Derived : Base {};

TEST(ResultTest, HoldsValueOrError) {
  Result<std::string> ok = std::string("v");
  EXPECT_TRUE(ok.has_value());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, "v");
  EXPECT_EQ(ok->size(), 1u);
  EXPECT_TRUE(ok.error().ok());
  Result<std::string> err = NotFoundError("x");
  EXPECT_FALSE(err.has_value());
  EXPECT_THAT(err, StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(err.value_or("fallback"), "fallback");
}

TEST(ResultTest, MacrosPropagate) {
  EXPECT_EQ(Twice("abc").value(), 6);
  EXPECT_THAT(Twice(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(Check("a"));
  EXPECT_THAT(Check(""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(ResultTest, MoveOnlyAndConvertingValues) {
  Result<std::unique_ptr<Base>> r = std::make_unique<Derived>();
  ASSERT_TRUE(r.has_value());
  std::unique_ptr<Base> p = std::move(r).value();
  EXPECT_NE(p, nullptr);
  Result<std::unique_ptr<int>> a = std::make_unique<int>(3);
  Result<std::unique_ptr<int>> b = std::move(a);
  EXPECT_EQ(**b, 3);
  b = InternalError("gone");
  EXPECT_FALSE(b.has_value());
}

TEST(ResultTest, CopyAndAssign) {
  Result<std::string> a = std::string("x");
  Result<std::string> b = a;
  EXPECT_EQ(*b, "x");
  Result<std::string> c = DataLossError("bad");
  c = b;
  EXPECT_EQ(*c, "x");
  b = DataLossError("bad");
  EXPECT_THAT(b, StatusIs(StatusCode::kDataLoss));
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  Result<int> r = InternalError("x");
  EXPECT_DEATH({ (void)r.value(); }, "Result::value\\(\\) called on an error");
}

}  // namespace
}  // namespace codesphere
