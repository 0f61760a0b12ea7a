// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Awareness rules of shared/spec/yjs-compat.md §9.3 (y-protocols awareness.js).
#include "codesphere/sync/awareness.h"

#include "codesphere/base/encoding.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::sync {
namespace {

using ::codesphere::testing::FakeClock;
using ::codesphere::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Bytes Entry(std::uint64_t client, std::uint64_t clock, std::string_view json) {
  lib0::Encoder e;
  e.WriteVarUint(1);
  e.WriteVarUint(client);
  e.WriteVarUint(clock);
  e.WriteVarString(json);
  return e.Take();
}

class AwarenessTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Awareness server_{999, clock_};
  void SetUp() override { (void)server_.SetLocalState(std::nullopt); }
};

TEST_F(AwarenessTest, SpecVectorEncodesStateAndRemoval) {  // §12.17
  Awareness a(10, clock_);
  (void)a.SetLocalState(ParseJson(R"({"user":{"name":"A"}})").value());
  std::uint64_t ids[] = {10};
  EXPECT_EQ(ToHex(a.EncodeUpdate(ids), " "),
            "01 0a 01 15 7b 22 75 73 65 72 22 3a 7b 22 6e 61 6d 65 22 3a 22 41 22 7d 7d");
  (void)a.SetLocalState(std::nullopt);
  EXPECT_EQ(ToHex(a.EncodeUpdate(ids), " "), "01 0a 02 04 6e 75 6c 6c");
}

TEST_F(AwarenessTest, UnknownClientAtClockZeroIsIgnored) {
  ASSERT_OK_AND_ASSIGN(auto changes, server_.ApplyUpdate(Entry(5, 0, "{}")));
  EXPECT_TRUE(changes.empty());
  EXPECT_THAT(server_.ClientsWithState(), IsEmpty());
}

TEST_F(AwarenessTest, NewerClockAddsThenUpdates) {
  ASSERT_OK_AND_ASSIGN(auto c1, server_.ApplyUpdate(Entry(5, 1, R"({"a":1})")));
  EXPECT_THAT(c1.added, ElementsAre(5u));
  ASSERT_OK_AND_ASSIGN(auto stale, server_.ApplyUpdate(Entry(5, 1, R"({"a":2})")));
  EXPECT_TRUE(stale.empty());
  ASSERT_OK_AND_ASSIGN(auto c2, server_.ApplyUpdate(Entry(5, 2, R"({"a":1})")));
  EXPECT_THAT(c2.updated, ElementsAre(5u));  // a renewal is an update
  EXPECT_THAT(server_.ClientsWithState(), ElementsAre(5u));
}

TEST_F(AwarenessTest, NullWithEqualClockRemovesStoredState) {
  ASSERT_OK(server_.ApplyUpdate(Entry(5, 3, "{}")));
  ASSERT_OK_AND_ASSIGN(auto c, server_.ApplyUpdate(Entry(5, 3, "null")));
  EXPECT_THAT(c.removed, ElementsAre(5u));
  EXPECT_THAT(server_.ClientsWithState(), IsEmpty());
  // Re-sent state with the same clock is ignored until the next renewal (spec quirk).
  ASSERT_OK_AND_ASSIGN(auto again, server_.ApplyUpdate(Entry(5, 3, "{}")));
  EXPECT_TRUE(again.empty());
  ASSERT_OK_AND_ASSIGN(auto renewed, server_.ApplyUpdate(Entry(5, 4, "{}")));
  EXPECT_THAT(renewed.added, IsEmpty());
  EXPECT_THAT(server_.ClientsWithState(), ElementsAre(5u));
}

TEST_F(AwarenessTest, RemoteCannotRemoveLocalState) {
  Awareness a(7, clock_);
  std::uint64_t self[] = {7};
  ASSERT_OK(a.ApplyUpdate(Entry(7, 5, "null")));
  ASSERT_NE(a.local_state(), nullptr);
  EXPECT_EQ(a.entries().at(7).clock, 6u);  // bumped so the next broadcast re-asserts it
  EXPECT_EQ(ToHex(a.EncodeUpdate(self), " "), "01 07 06 02 7b 7d");
}

TEST_F(AwarenessTest, RemoveStatesKeepsClocks) {
  ASSERT_OK(server_.ApplyUpdate(Entry(5, 4, R"({"x":true})")));
  std::uint64_t ids[] = {5, 6};
  auto c = server_.RemoveStates(ids);
  EXPECT_THAT(c.removed, ElementsAre(5u));
  EXPECT_EQ(ToHex(server_.EncodeUpdate(ids), " "), "01 05 04 04 6e 75 6c 6c");
}

TEST_F(AwarenessTest, TimeoutsRenewLocalAndExpireRemote) {
  Awareness a(1, clock_);
  ASSERT_OK(a.ApplyUpdate(Entry(2, 1, "{}")));
  clock_.Advance(std::chrono::seconds(14));
  EXPECT_TRUE(a.CheckTimeouts().empty());
  clock_.Advance(std::chrono::seconds(1));
  auto renew = a.CheckTimeouts();
  EXPECT_THAT(renew.updated, ElementsAre(1u));
  EXPECT_EQ(a.entries().at(1).clock, 1u);
  clock_.Advance(std::chrono::seconds(15));
  auto expire = a.CheckTimeouts();
  EXPECT_THAT(expire.removed, ElementsAre(2u));
  EXPECT_EQ(a.entries().at(2).clock, 1u);
}

TEST_F(AwarenessTest, MalformedUpdatesChangeNothing) {
  ASSERT_OK(server_.ApplyUpdate(Entry(5, 1, "{}")));
  Bytes good_then_bad = Entry(6, 1, "{}");
  good_then_bad[0] = 2;  // claims two entries, has one
  for (const Bytes& bad : {Entry(5, 9, "{not json"), Entry(5, 9, std::string(70000, ' ')),
                           Bytes{0xff}, good_then_bad}) {
    EXPECT_THAT(server_.ApplyUpdate(bad), StatusIs(StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(server_.ClientsWithState(), ElementsAre(5u));
  EXPECT_EQ(server_.entries().at(5).clock, 1u);
}

}  // namespace
}  // namespace codesphere::sync
