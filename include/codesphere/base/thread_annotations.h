// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Clang thread-safety annotations (no-ops elsewhere).
#pragma once

#if defined(__clang__)
#define CODESPHERE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CODESPHERE_THREAD_ANNOTATION(x)
#endif

#define CODESPHERE_GUARDED_BY(x) CODESPHERE_THREAD_ANNOTATION(guarded_by(x))
#define CODESPHERE_PT_GUARDED_BY(x) CODESPHERE_THREAD_ANNOTATION(pt_guarded_by(x))
#define CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(...) \
  CODESPHERE_THREAD_ANNOTATION(exclusive_locks_required(__VA_ARGS__))
#define CODESPHERE_LOCKS_EXCLUDED(...) CODESPHERE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
