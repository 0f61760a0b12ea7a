// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/pack_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace codesphere::filesync::internal {
namespace {

bool Aligned(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % PackBuffer::kAlignment == 0;
}

TEST(PackBufferTest, GrowsKeepingBytesAndAlignment) {
  PackBuffer b(10);
  EXPECT_TRUE(b.empty());
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string piece(static_cast<std::size_t>(i * 37 + 1), static_cast<char>('a' + i % 26));
    b.Append(AsBytes(piece));
    expected += piece;
  }
  ASSERT_EQ(b.size(), expected.size());
  EXPECT_GE(b.capacity(), b.size());
  EXPECT_TRUE(Aligned(b.span().data()));
  EXPECT_EQ(std::memcmp(b.span().data(), expected.data(), expected.size()), 0);
  // Reserve + Commit appends in place.
  std::uint8_t* p = b.Reserve(5000);
  std::memset(p, 'z', 3);
  b.Commit(3);
  EXPECT_EQ(b.size(), expected.size() + 3);
  EXPECT_EQ(b.span()[expected.size() + 2], 'z');
}

TEST(PackBufferTest, PoolRecyclesClearedBuffers) {
  PackBufferPool pool(1 << 16);
  std::unique_ptr<PackBuffer> a = pool.Acquire();
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(Aligned(a->span().data()));
  a->Append(AsBytes(std::string("hello")));
  const PackBuffer* first = a.get();
  pool.Release(std::move(a));
  std::unique_ptr<PackBuffer> b = pool.Acquire();
  EXPECT_EQ(b.get(), first);
  EXPECT_TRUE(b->empty());
  std::unique_ptr<PackBuffer> c = pool.Acquire();  // The pool is empty: a new one.
  EXPECT_NE(c.get(), first);
  EXPECT_EQ(c->capacity(), 1u << 16);
}

}  // namespace
}  // namespace codesphere::filesync::internal
