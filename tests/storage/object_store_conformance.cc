// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The conformance tests every ObjectStore backend must pass (see object_store_conformance.h).
#include "tests/storage/object_store_conformance.h"

namespace codesphere::storage::testing {

using ::codesphere::testing::StatusIs;

TEST_P(ObjectStoreConformanceTest, PutThenGetReturnsExactBytes) {
  Bytes binary;
  for (int i = 0; i < 70000; ++i) binary.push_back(static_cast<std::uint8_t>((i * 131) ^ (i >> 8)));
  ASSERT_OK_AND_ASSIGN(Generation g, store().Put("dir/sub/blob", binary));
  EXPECT_FALSE(g.empty());
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("dir/sub/blob"));
  EXPECT_EQ(r.value, binary);
  EXPECT_EQ(r.info.size, binary.size());
  EXPECT_EQ(r.info.generation, g);
  EXPECT_EQ(r.info.key, "dir/sub/blob");
}

TEST_P(ObjectStoreConformanceTest, EmptyValueRoundTrips) {
  ASSERT_OK(store().Put("empty", {}));
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("empty"));
  EXPECT_TRUE(r.value.empty());
  ASSERT_OK_AND_ASSIGN(ObjectInfo info, store().Stat("empty"));
  EXPECT_EQ(info.size, 0u);
}

TEST_P(ObjectStoreConformanceTest, MissingObjectIsNotFound) {
  EXPECT_THAT(store().Get("nope"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store().Stat("nope/deeper"), StatusIs(StatusCode::kNotFound));
}

TEST_P(ObjectStoreConformanceTest, OverwriteReplacesValueAndGeneration) {
  ASSERT_OK_AND_ASSIGN(Generation g1, store().Put("k", B("one")));
  ASSERT_OK_AND_ASSIGN(Generation g2, store().Put("k", B("two!")));
  EXPECT_NE(g1, g2);
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("k"));
  EXPECT_EQ(r.value, B("two!"));
  EXPECT_EQ(r.info.generation, g2);
}

TEST_P(ObjectStoreConformanceTest, IfNoneMatchWritesOnlyWhenAbsent) {
  PutOptions create;
  create.if_none_match = true;
  ASSERT_OK(store().Put("once", B("first"), create));
  EXPECT_THAT(store().Put("once", B("second"), create), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("once"));
  EXPECT_EQ(r.value, B("first"));
}

TEST_P(ObjectStoreConformanceTest, IfMatchWritesOnlyOnCurrentGeneration) {
  ASSERT_OK_AND_ASSIGN(Generation g1, store().Put("cas", B("v1")));
  PutOptions opt;
  opt.if_match = g1;
  ASSERT_OK_AND_ASSIGN(Generation g2, store().Put("cas", B("v2"), opt));
  // g1 is stale now.
  EXPECT_THAT(store().Put("cas", B("v3"), opt), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("cas"));
  EXPECT_EQ(r.value, B("v2"));
  EXPECT_EQ(r.info.generation, g2);
  // A condition on a missing object fails too.
  EXPECT_THAT(store().Put("absent", B("x"), opt), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store().Stat("absent"), StatusIs(StatusCode::kNotFound));
}

TEST_P(ObjectStoreConformanceTest, GetIfMatchChecksGeneration) {
  ASSERT_OK_AND_ASSIGN(Generation g1, store().Put("g", B("v1")));
  ASSERT_OK(store().Put("g", B("v2")));
  GetOptions opt;
  opt.if_match = g1;
  EXPECT_THAT(store().Get("g", opt), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(ObjectStoreConformanceTest, DeleteIsIdempotentAndConditional) {
  EXPECT_OK(store().Delete("never-existed"));
  ASSERT_OK_AND_ASSIGN(Generation g1, store().Put("d", B("v1")));
  ASSERT_OK(store().Put("d", B("v2")));
  DeleteOptions stale;
  stale.if_match = g1;
  EXPECT_THAT(store().Delete("d", stale), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(ObjectInfo info, store().Stat("d"));
  DeleteOptions current;
  current.if_match = info.generation;
  ASSERT_OK(store().Delete("d", current));
  EXPECT_THAT(store().Get("d"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store().Delete("d", current), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(ObjectStoreConformanceTest, ListFiltersByPrefixAndSorts) {
  for (const char* k : {"b/x", "a/2", "ab", "a/1", "a/sub/3", "c"}) ASSERT_OK(store().Put(k, B(k)));
  auto keys = [&](std::string_view prefix) {
    std::vector<std::string> out;
    auto r = store().List(prefix);
    EXPECT_TRUE(r.has_value()) << r.error();
    if (r.has_value()) {
      for (const ObjectInfo& i : *r) out.push_back(i.key);
    }
    return out;
  };
  EXPECT_EQ(keys("a/"), (std::vector<std::string>{"a/1", "a/2", "a/sub/3"}));
  EXPECT_EQ(keys("a"), (std::vector<std::string>{"a/1", "a/2", "a/sub/3", "ab"}));
  EXPECT_EQ(keys(""), (std::vector<std::string>{"a/1", "a/2", "a/sub/3", "ab", "b/x", "c"}));
  EXPECT_TRUE(keys("zzz").empty());
  EXPECT_TRUE(keys("a/s/").empty());
}

TEST_P(ObjectStoreConformanceTest, ListAndStatAgreeWithPut) {
  ASSERT_OK_AND_ASSIGN(Generation g, store().Put("meta/obj", B("12345")));
  ASSERT_OK_AND_ASSIGN(ObjectInfo st, store().Stat("meta/obj"));
  EXPECT_EQ(st.size, 5u);
  EXPECT_EQ(st.generation, g);
  ASSERT_OK_AND_ASSIGN(auto list, store().List("meta/"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].size, 5u);
  EXPECT_EQ(list[0].generation, g);
}

TEST_P(ObjectStoreConformanceTest, RangeReads) {
  ASSERT_OK(store().Put("r", B("0123456789")));
  GetOptions opt;
  opt.offset = 3;
  opt.length = 4;
  ASSERT_OK_AND_ASSIGN(GetResult a, store().Get("r", opt));
  EXPECT_EQ(a.value, B("3456"));
  EXPECT_EQ(a.info.size, 10u);
  opt.length.reset();
  opt.offset = 7;
  ASSERT_OK_AND_ASSIGN(GetResult b, store().Get("r", opt));
  EXPECT_EQ(b.value, B("789"));
  opt.offset = 20;
  ASSERT_OK_AND_ASSIGN(GetResult c, store().Get("r", opt));
  EXPECT_TRUE(c.value.empty());
  opt.offset = 2;
  opt.length = 0;
  ASSERT_OK_AND_ASSIGN(GetResult d, store().Get("r", opt));
  EXPECT_TRUE(d.value.empty());
}

TEST_P(ObjectStoreConformanceTest, InvalidKeysAreRejected) {
  for (std::string_view k : {"", "/abs", "../up", "a/../b", "a//b", "a/./b", "trailing/",
                             ".codesphere-tmp/x", "nul\x01"}) {
    EXPECT_THAT(store().Put(k, B("x")), StatusIs(StatusCode::kInvalidArgument)) << k;
    EXPECT_THAT(store().Get(k), StatusIs(StatusCode::kInvalidArgument)) << k;
    EXPECT_THAT(store().Delete(k), StatusIs(StatusCode::kInvalidArgument)) << k;
  }
  EXPECT_THAT(store().List("/x"), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(ObjectStoreConformanceTest, LargeValueRoundTrips) {
  Bytes big(11u << 20);
  std::uint64_t x = 88172645463325252ull;
  for (auto& b : big) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  ASSERT_OK_AND_ASSIGN(Generation g, store().Put("big/value", big));
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("big/value"));
  EXPECT_TRUE(r.value == big);
  EXPECT_EQ(r.info.generation, g);
  PutOptions create;
  create.if_none_match = true;
  EXPECT_THAT(store().Put("big/value", big, create), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_P(ObjectStoreConformanceTest, ConcurrentCreateHasExactlyOneWinner) {
  const int n = GetParam().threads;
  std::atomic<int> ok{0}, lost{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      PutOptions create;
      create.if_none_match = true;
      Result<Generation> r = store().Put("race", B("writer" + std::to_string(i)), create);
      if (r.has_value()) {
        ++ok;
      } else if (r.error().code() == StatusCode::kFailedPrecondition) {
        ++lost;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(lost.load(), n - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_P(ObjectStoreConformanceTest, CompareAndSwapCounterLosesNoIncrement) {
  const int n = GetParam().threads / 2 + 1;
  const int per_thread = 5;
  ASSERT_OK(store().Put("counter", B("0")));
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&] {
      for (int done = 0; done < per_thread;) {
        auto cur = store().Get("counter");
        if (!cur.has_value()) {
          ++errors;
          return;
        }
        int v = std::stoi(std::string(AsStringView(cur->value)));
        PutOptions opt;
        opt.if_match = cur->info.generation;
        auto w = store().Put("counter", B(std::to_string(v + 1)), opt);
        if (w.has_value()) {
          ++done;
        } else if (w.error().code() != StatusCode::kFailedPrecondition) {
          ++errors;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_OK_AND_ASSIGN(GetResult r, store().Get("counter"));
  EXPECT_EQ(std::string(AsStringView(r.value)), std::to_string(n * per_thread));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ObjectStoreConformanceTest);

}  // namespace codesphere::storage::testing
