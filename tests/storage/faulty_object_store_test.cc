// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/storage/faulty_object_store.h"

#include "codesphere/storage/memory_object_store.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::storage {
namespace {

using ::codesphere::testing::StatusIs;

TEST(FaultyObjectStoreTest, FailsChosenOperationsAfterSkipping) {
  auto mem = NewMemoryObjectStore();
  FaultyObjectStore faulty(*mem);
  faulty.FailOps(ObjectStoreOp::kPut, "packs/", UnavailableError("injected"), 1);
  ASSERT_OK(faulty.Put("packs/1", ToBytes("a")));
  EXPECT_THAT(faulty.Put("packs/2", ToBytes("b")), StatusIs(StatusCode::kUnavailable));
  ASSERT_OK(faulty.Put("other", ToBytes("c")));
  EXPECT_EQ(faulty.puts(), 2);
  EXPECT_THAT(mem->Stat("packs/2"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(faulty.Get("packs/1"));
  faulty.SetInjector(nullptr);
  ASSERT_OK(faulty.Put("packs/2", ToBytes("b")));
}

TEST(FaultyObjectStoreTest, InjectorSeesOperationAndKey) {
  auto mem = NewMemoryObjectStore();
  FaultyObjectStore faulty(*mem);
  std::vector<std::string> seen;
  faulty.SetInjector([&](ObjectStoreOp op, std::string_view key) {
    seen.push_back(std::to_string(static_cast<int>(op)) + ":" + std::string(key));
    return op == ObjectStoreOp::kList ? PermissionDeniedError("no listing") : OkStatus();
  });
  ASSERT_OK(faulty.Put("x", ToBytes("1")));
  EXPECT_THAT(faulty.List("x"), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(faulty.Delete("x"));
  EXPECT_EQ(seen, (std::vector<std::string>{"1:x", "3:x", "2:x"}));
}

}  // namespace
}  // namespace codesphere::storage
