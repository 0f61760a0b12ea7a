// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Error propagation for `Status` and `Result<T>`, with `co_return` variants for coroutines.
#pragma once

#include <utility>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

#define CODESPHERE_INTERNAL_CONCAT2(a, b) a##b
#define CODESPHERE_INTERNAL_CONCAT(a, b) CODESPHERE_INTERNAL_CONCAT2(a, b)

// Evaluates `expr` (a Status or a Result<T>); returns its error if it is not OK.
#define CODESPHERE_RETURN_IF_ERROR(expr)                                   \
  do {                                                                     \
    if (auto&& codesphere_rie_ = (expr); !codesphere_rie_.ok()) [[unlikely]] { \
      return ::codesphere::Status(codesphere_rie_.error());                \
    }                                                                      \
  } while (0)

// Evaluates `expr` (a Result<T>); on error returns it, else assigns the value to `lhs`,
// which may be a declaration: `CODESPHERE_ASSIGN_OR_RETURN(auto x, Parse(b));`
#define CODESPHERE_ASSIGN_OR_RETURN(lhs, expr)                                             \
  CODESPHERE_INTERNAL_ASSIGN_OR(CODESPHERE_INTERNAL_CONCAT(codesphere_aor_, __LINE__), lhs, \
                                expr, return)

// Coroutine variants: `co_return` instead of `return`.
#define CODESPHERE_CO_RETURN_IF_ERROR(expr)                                \
  do {                                                                     \
    if (auto&& codesphere_rie_ = (expr); !codesphere_rie_.ok()) [[unlikely]] { \
      co_return ::codesphere::Status(codesphere_rie_.error());             \
    }                                                                      \
  } while (0)
#define CODESPHERE_CO_ASSIGN_OR_RETURN(lhs, expr)                                          \
  CODESPHERE_INTERNAL_ASSIGN_OR(CODESPHERE_INTERNAL_CONCAT(codesphere_aor_, __LINE__), lhs, \
                                expr, co_return)

#define CODESPHERE_INTERNAL_ASSIGN_OR(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                       \
  if (!tmp.has_value()) [[unlikely]] {                     \
    ret std::move(tmp).error();                            \
  }                                                        \
  lhs = std::move(*tmp)
