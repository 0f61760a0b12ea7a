// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// GoogleTest helpers for Status and Result<T>: ASSERT_OK, EXPECT_OK, ASSERT_OK_AND_ASSIGN,
// and the StatusIs(code) matcher.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.error();
}

// Matches a Status or Result whose code is `code`.
MATCHER_P(StatusIs, code, "has status code " + ::codesphere::StatusCodeName(code)) {
  const auto& st = ::codesphere::testing::GetStatus(arg);
  *result_listener << "status is " << st.ToString();
  return st.code() == code;
}

}  // namespace codesphere::testing

#define EXPECT_OK(expr) EXPECT_TRUE(::codesphere::testing::GetStatus(expr).ok()) \
    << ::codesphere::testing::GetStatus(expr).ToString()
#define ASSERT_OK(expr)                                                       \
  do {                                                                        \
    const auto& codesphere_ao_ = (expr);                                      \
    ASSERT_TRUE(::codesphere::testing::GetStatus(codesphere_ao_).ok())        \
        << ::codesphere::testing::GetStatus(codesphere_ao_).ToString();       \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                                  \
  CODESPHERE_TESTING_ASSIGN_OR_FAIL(CODESPHERE_INTERNAL_CONCAT(codesphere_aoa_, __LINE__), \
                                    lhs, expr)
#define CODESPHERE_TESTING_ASSIGN_OR_FAIL(tmp, lhs, expr) \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.has_value()) << tmp.error().ToString(); \
  lhs = std::move(*tmp)
