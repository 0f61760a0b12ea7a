// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "sandbox/linux/user_ns.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox::internal {
namespace {

using ::codesphere::testing::StatusIs;

// Two allocators over one lock directory behave like two supervisor processes (flock locks
// belong to open file descriptions): they never hand out the same slot.
TEST(IdAllocatorTest, SlotsAreDistinctAcrossAllocatorsSharingTheLockDir) {
  codesphere::testing::TempDir locks;
  IdAllocator a(300000, 2, locks.path().string());
  IdAllocator b(300000, 2, locks.path().string());
  ASSERT_OK_AND_ASSIGN(uint32_t first, a.Allocate());
  ASSERT_OK_AND_ASSIGN(uint32_t second, b.Allocate());
  EXPECT_NE(first, second);
  EXPECT_NE(a.UserId(first), b.UserId(second));
  EXPECT_EQ(a.RootId(first) + 1, a.UserId(first));
  EXPECT_THAT(a.Allocate(), StatusIs(StatusCode::kResourceExhausted));
  b.Release(second);
  ASSERT_OK_AND_ASSIGN(uint32_t third, a.Allocate());
  EXPECT_EQ(third, second);
}

}  // namespace
}  // namespace codesphere::sandbox::internal
