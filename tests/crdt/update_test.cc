// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// ApplyUpdate / MergeUpdates / DiffUpdate behaviour beyond the spec vectors: out-of-order
// delivery, pending delete sets, and hostile input (errors, never crashes, Doc unchanged).

#include <string>
#include <vector>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::crdt {
namespace {

Bytes H(std::string_view hex) {
  std::string clean;
  for (char c : hex) {
    if (c != ' ') clean.push_back(c);
  }
  auto b = FromHex(clean);
  return b.ok() ? *b : Bytes{};
}

std::vector<Bytes> RecordEdits(Doc& doc, const std::vector<std::pair<int, std::string>>& inserts) {
  std::vector<Bytes> out;
  auto sub = doc.OnUpdate([&](ByteSpan u, const Transaction&) { out.emplace_back(u.begin(), u.end()); });
  Text t = doc.GetText("t");
  for (const auto& [i, s] : inserts) {
    Transaction txn(doc);
    EXPECT_OK(t.Insert(txn, i, s));
  }
  return out;
}

void ExpectRejectedAndUnchanged(ByteSpan update) {
  Doc doc(DocOptions{.client_id = 5});
  {
    Transaction txn(doc);
    ASSERT_OK(doc.GetText("t").Insert(txn, 0, "keep"));
  }
  const Bytes before = EncodeStateAsUpdate(doc);
  EXPECT_THAT(ApplyUpdate(doc, update), testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(EncodeStateAsUpdate(doc), before);
  EXPECT_EQ(doc.GetText("t").ToString(), "keep");
}

TEST(UpdateTest, OutOfOrderUpdatesIntegrateOnceTheGapIsFilled) {
  Doc src(DocOptions{.client_id = 1});
  auto u = RecordEdits(src, {{0, "a"}, {1, "b"}, {2, "c"}, {1, "X"}});
  Doc dst(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(dst, u[3]));
  ASSERT_OK(ApplyUpdate(dst, u[2]));
  EXPECT_EQ(dst.GetText("t").ToString(), "");
  EXPECT_TRUE(dst.HasPending());
  ASSERT_OK(ApplyUpdate(dst, u[2]));  // duplicate
  ASSERT_OK(ApplyUpdate(dst, u[0]));
  EXPECT_EQ(dst.GetText("t").ToString(), "a");
  ASSERT_OK(ApplyUpdate(dst, u[1]));
  EXPECT_EQ(dst.GetText("t").ToString(), "aXbc");
  EXPECT_FALSE(dst.HasPending());
  EXPECT_EQ(EncodeStateAsUpdate(dst), EncodeStateAsUpdate(src));
}

TEST(UpdateTest, ReverseDeliveryOfManyUpdatesConverges) {
  Doc src(DocOptions{.client_id = 1});
  std::vector<std::pair<int, std::string>> edits;
  for (int i = 0; i < 500; ++i) edits.push_back({i / 3, std::string(1, static_cast<char>('a' + i % 26))});
  auto u = RecordEdits(src, edits);
  Doc dst(DocOptions{.client_id = 2});
  for (auto it = u.rbegin(); it != u.rend(); ++it) ASSERT_OK(ApplyUpdate(dst, *it));
  EXPECT_FALSE(dst.HasPending());
  EXPECT_EQ(dst.GetText("t").ToString(), src.GetText("t").ToString());
  EXPECT_EQ(EncodeStateVector(dst), EncodeStateVector(src));
}

TEST(UpdateTest, PendingDeleteAppliesWhenContentArrives) {
  Doc src(DocOptions{.client_id = 1});
  std::vector<Bytes> u;
  auto sub = src.OnUpdate([&](ByteSpan b, const Transaction&) { u.emplace_back(b.begin(), b.end()); });
  {
    Transaction txn(src);
    ASSERT_OK(src.GetText("t").Insert(txn, 0, "abc"));
  }
  {
    Transaction txn(src);
    ASSERT_OK(src.GetText("t").Delete(txn, 1, 1));
  }
  Doc dst(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(dst, u[1]));
  EXPECT_TRUE(dst.HasPending());
  // The pending delete set is part of the full state.
  Doc relay(DocOptions{.client_id = 3});
  ASSERT_OK(ApplyUpdate(relay, EncodeStateAsUpdate(dst)));
  ASSERT_OK(ApplyUpdate(dst, u[0]));
  EXPECT_EQ(dst.GetText("t").ToString(), "ac");
  EXPECT_FALSE(dst.HasPending());
  ASSERT_OK(ApplyUpdate(relay, u[0]));
  EXPECT_EQ(relay.GetText("t").ToString(), "ac");
}

TEST(UpdateTest, IncrementalUpdatesMatchFullStateAfterMerge) {
  Doc src(DocOptions{.client_id = 1});
  auto u = RecordEdits(src, {{0, "hello"}, {5, " world"}, {0, ">"}});
  std::vector<ByteSpan> spans(u.begin(), u.end());
  ASSERT_OK_AND_ASSIGN(Bytes merged, MergeUpdates(spans));
  Doc a(DocOptions{.client_id = 9});
  ASSERT_OK(ApplyUpdate(a, merged));
  EXPECT_EQ(a.GetText("t").ToString(), ">hello world");
  ASSERT_OK_AND_ASSIGN(Bytes sv, EncodeStateVectorFromUpdate(merged));
  EXPECT_EQ(sv, EncodeStateVector(src));
  ASSERT_OK_AND_ASSIGN(Bytes diff, DiffUpdate(merged, H("01 01 05")));
  Doc b(DocOptions{.client_id = 8});
  ASSERT_OK(ApplyUpdate(b, u[0]));
  ASSERT_OK(ApplyUpdate(b, diff));
  EXPECT_EQ(b.GetText("t").ToString(), ">hello world");
}

TEST(UpdateTest, EveryTruncationIsRejectedOrHarmless) {
  const Bytes full = H("02 02 02 00 81 01 05 02 84 02 01 01 5a 04 01 00 01 01 01 74 01 84 01 00 01 62 81 01 01 01 "
                       "84 01 02 03 64 65 66 02 02 01 00 02 01 02 00 01 02 01");
  for (std::size_t n = 0; n < full.size(); ++n) {
    Doc doc(DocOptions{.client_id = 5});
    const Bytes before = EncodeStateAsUpdate(doc);
    Status s = ApplyUpdate(doc, ByteSpan(full.data(), n));
    if (!s.ok()) {
      EXPECT_EQ(EncodeStateAsUpdate(doc), before) << n;
    }
  }
}

TEST(UpdateTest, HostileHeadersAreRejected) {
  ExpectRejectedAndUnchanged(H("ff ff ff ff ff ff ff 0f"));                 // 2^53-1 client groups
  ExpectRejectedAndUnchanged(H("01 ff ff ff ff ff ff ff 0f 01 00"));        // huge struct count
  ExpectRejectedAndUnchanged(H("01 01 01 00 04 01 01 74 ff ff ff 0f 61"));  // string length
  ExpectRejectedAndUnchanged(H("01 01 01 00 0b 00"));                      // unknown ref 11
  ExpectRejectedAndUnchanged(H("01 01 01 00 00 00 00"));                   // zero-length GC
  ExpectRejectedAndUnchanged(H("01 01 01 00 01 01 01 74 00 00"));          // zero-length deleted
  ExpectRejectedAndUnchanged(H("01 01 01 00 04 01 01 74 02 c3 28 00"));    // invalid UTF-8
  ExpectRejectedAndUnchanged(H("01 01 01 00 08 01 01 74 01 05 00"));       // any tag 5
  ExpectRejectedAndUnchanged(H("01 01 01 00 07 01 01 74 09 00"));          // type ref 9
  // A client id above 2^53-1 (varUint out of range).
  ExpectRejectedAndUnchanged(H("01 01 80 80 80 80 80 80 80 10 00 04 01 01 74 01 61 00"));
  // Duplicate client group.
  ExpectRejectedAndUnchanged(H("02 01 01 00 04 01 01 74 01 61 01 01 01 84 01 00 01 62 00"));
  // An origin at or after the item itself (a cycle within one client).
  ExpectRejectedAndUnchanged(H("01 01 01 00 84 01 00 01 61 00"));
  ExpectRejectedAndUnchanged(H("01 01 01 03 84 01 05 01 61 00"));
  // A clock beyond 2^53.
  ExpectRejectedAndUnchanged(H("01 01 01 fe ff ff ff ff ff ff 0f 00 05 00"));
  // Trailing delete set garbage.
  ExpectRejectedAndUnchanged(H("00 01 01 05"));
}

// Fuzzer crasher: a far-future pending GC run of our own client plus a huge pending delete
// range; the full-state encoding (with a long Skip) must load again.
TEST(UpdateTest, PendingFarFutureStructReencodesLoadably) {
  const Bytes u = H("01 01 07 ff ff ff ff ff ff ff 07 00 28 01 01 01 07 ff ff ff ff ff ff ff 07 00 28 01 "
                    "01 6d 01 6b 01 7d 2a ff ff ff ff ff ff ff ff ff ff ff ff 00");
  Doc doc(DocOptions{.client_id = 7, .gc = false});
  {
    Transaction txn(doc);
    ASSERT_OK(doc.GetText("t").Insert(txn, 0, "hello"));
    doc.GetMap("m").Set(txn, "k", Any(1));
  }
  ASSERT_OK(ApplyUpdate(doc, u));
  EXPECT_TRUE(doc.HasPending());
  Doc copy(DocOptions{.client_id = 8});
  ASSERT_OK(ApplyUpdate(copy, EncodeStateAsUpdate(doc)));
  EXPECT_EQ(copy.GetText("t").ToString(), "hello");
  EXPECT_EQ(EncodeStateAsUpdate(copy), EncodeStateAsUpdate(doc));
}

TEST(UpdateTest, MaxClientIdIsSupported) {
  // Client 2^53-1 inserts "a" into root "t".
  const Bytes u = H("01 01 ff ff ff ff ff ff ff 0f 00 04 01 01 74 01 61 00");
  Doc doc(DocOptions{.client_id = 1});
  ASSERT_OK(ApplyUpdate(doc, u));
  EXPECT_EQ(doc.GetText("t").ToString(), "a");
  EXPECT_EQ(doc.GetStateVector().Get((std::uint64_t{1} << 53) - 1), 1u);
  EXPECT_EQ(EncodeStateAsUpdate(doc), u);
}

TEST(UpdateTest, CrossClientOriginCycleStaysPending) {
  // Client 1's item has origin (2,0); client 2's item has origin (1,0): neither can integrate.
  const Bytes u = H("02 01 02 00 84 01 00 01 62 01 01 00 84 02 00 01 61 00");
  Doc doc(DocOptions{.client_id = 3});
  ASSERT_OK(ApplyUpdate(doc, u));
  EXPECT_TRUE(doc.HasPending());
  EXPECT_EQ(EncodeStateVector(doc), H("00"));
  ASSERT_OK(ApplyUpdate(doc, u));
  EXPECT_TRUE(doc.HasPending());
}

TEST(UpdateTest, DeepNestingDeletesWithoutRecursion) {
  Doc doc(DocOptions{.client_id = 1});
  {
    Transaction txn(doc);
    Shared cur = doc.GetMap("m").SetType(txn, "k", TypeKind::kMap);
    for (int i = 0; i < 20000; ++i) cur = cur.AsMap().SetType(txn, "k", TypeKind::kMap);
  }
  Doc copy(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(copy, EncodeStateAsUpdate(doc)));
  {
    Transaction txn(copy);
    copy.GetMap("m").Delete(txn, "k");
  }
  EXPECT_EQ(ToJson(copy.GetMap("m").ToJson()), "{}");
  Doc third(DocOptions{.client_id = 4});
  ASSERT_OK(ApplyUpdate(third, EncodeStateAsUpdate(copy)));
  EXPECT_EQ(ToJson(third.GetMap("m").ToJson()), "{}");
}

TEST(UpdateTest, ItemsInsertedIntoDeletedTypeAreDeleted) {
  Doc a(DocOptions{.client_id = 1});
  Shared nested;
  {
    Transaction txn(a);
    nested = a.GetMap("m").SetType(txn, "sub", TypeKind::kArray);
  }
  Doc b(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
  {
    Transaction txn(a);
    a.GetMap("m").Delete(txn, "sub");
  }
  {
    Transaction txn(b);
    Array arr = b.GetMap("m").Get("sub")->shared.AsArray();
    ASSERT_OK(arr.Push(txn, {Any(1), Any(2)}));
  }
  ASSERT_OK(ApplyUpdate(a, EncodeStateAsUpdate(b)));
  ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
  EXPECT_EQ(ToJson(a.GetMap("m").ToJson()), "{}");
  EXPECT_EQ(EncodeStateVector(a), EncodeStateVector(b));
  EXPECT_EQ(EncodeStateAsUpdate(a), EncodeStateAsUpdate(b));
}

TEST(UpdateTest, RemoteUseOfOwnClientIdSwitchesId) {
  Doc a(DocOptions{.client_id = 1});
  Doc b(DocOptions{.client_id = 1});
  {
    Transaction txn(a);
    ASSERT_OK(a.GetText("t").Insert(txn, 0, "x"));
  }
  ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
  EXPECT_NE(b.client_id(), 1u);
}

}  // namespace
}  // namespace codesphere::crdt
