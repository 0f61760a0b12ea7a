// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Invariant checks for our own bugs. Untrusted input never reaches these: it gets a Status.
#pragma once

namespace codesphere::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);
}  // namespace codesphere::internal

// Aborts with file, line and the condition when `cond` is false. Always on.
#define CODESPHERE_CHECK(cond)                                                  \
  do {                                                                          \
    if (!(cond)) [[unlikely]] {                                                 \
      ::codesphere::internal::CheckFailed(__FILE__, __LINE__, #cond, nullptr);  \
    }                                                                           \
  } while (0)

// As CODESPHERE_CHECK, with a fixed message.
#define CODESPHERE_CHECK_MSG(cond, msg)                                         \
  do {                                                                          \
    if (!(cond)) [[unlikely]] {                                                 \
      ::codesphere::internal::CheckFailed(__FILE__, __LINE__, #cond, msg);      \
    }                                                                           \
  } while (0)

// Debug-only check; compiled out with NDEBUG.
#ifdef NDEBUG
#define CODESPHERE_DCHECK(cond) \
  do {                          \
  } while (false && (cond))
#else
#define CODESPHERE_DCHECK(cond) CODESPHERE_CHECK(cond)
#endif
