// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Observers (Yjs-shaped deltas and key changes) and UndoManager.

#include <string>
#include <vector>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/undo_manager.h"
#include "codesphere/crdt/update.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::crdt {
namespace {

TEST(EventsTest, TextDeltaForInsertsDeletesAndRemoteChanges) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  std::vector<std::string> deltas;
  auto sub = t.Observe([&](const Event& e, const Transaction&) { deltas.push_back(ToJson(e.delta)); });
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "hello"));
  }
  {
    Transaction txn(doc);
    ASSERT_OK(t.Delete(txn, 1, 2));
    ASSERT_OK(t.Insert(txn, 3, "!"));
  }
  Doc other(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(other, EncodeStateAsUpdate(doc)));
  {
    Transaction txn(other);
    ASSERT_OK(other.GetText("t").Insert(txn, 0, ">"));
  }
  ASSERT_OK(ApplyUpdate(doc, EncodeStateAsUpdate(other)));
  Attributes bold{{"bold", Any(true)}};
  {
    Transaction txn(doc);
    ASSERT_OK(t.Format(txn, 1, 2, bold));
  }
  ASSERT_EQ(deltas.size(), 4u);
  EXPECT_EQ(deltas[0], R"([{"insert":"hello"}])");
  EXPECT_EQ(deltas[1], R"([{"retain":1},{"delete":2},{"retain":2},{"insert":"!"}])");
  EXPECT_EQ(deltas[2], R"([{"insert":">"}])");
  EXPECT_EQ(deltas[3], R"([{"retain":1},{"retain":2,"attributes":{"bold":true}}])");
  EXPECT_EQ(t.ToString(), ">hlo!");
}

TEST(EventsTest, MapKeyChangesAndArrayDelta) {
  Doc doc(DocOptions{.client_id = 1});
  Map m = doc.GetMap("m");
  Array a = doc.GetArray("a");
  std::vector<Event> map_events;
  std::vector<std::string> array_deltas;
  auto s1 = m.Observe([&](const Event& e, const Transaction&) { map_events.push_back(e); });
  auto s2 = a.Observe([&](const Event& e, const Transaction&) { array_deltas.push_back(ToJson(e.delta)); });
  {
    Transaction txn(doc);
    m.Set(txn, "x", Any(1));
    m.Set(txn, "y", Any(2));
    ASSERT_OK(a.Insert(txn, 0, {Any(1), Any(2), Any(3)}));
  }
  {
    Transaction txn(doc);
    m.Set(txn, "x", Any("one"));
    m.Delete(txn, "y");
    ASSERT_OK(a.Delete(txn, 1, 1));
  }
  ASSERT_EQ(map_events.size(), 2u);
  ASSERT_EQ(map_events[0].keys.size(), 2u);
  EXPECT_EQ(map_events[0].keys[0].second.action, KeyChange::Action::kAdd);
  EXPECT_EQ(map_events[1].keys[0].first, "x");
  EXPECT_EQ(map_events[1].keys[0].second.action, KeyChange::Action::kUpdate);
  EXPECT_EQ(map_events[1].keys[0].second.old_value, Any(1));
  EXPECT_EQ(map_events[1].keys[1].second.action, KeyChange::Action::kDelete);
  EXPECT_EQ(map_events[1].keys[1].second.old_value, Any(2));
  ASSERT_EQ(array_deltas.size(), 2u);
  EXPECT_EQ(array_deltas[0], R"([{"insert":[1,2,3]}])");
  EXPECT_EQ(array_deltas[1], R"([{"retain":1},{"delete":1}])");
}

TEST(EventsTest, DeepObserverGetsNestedEventsWithPaths) {
  Doc doc(DocOptions{.client_id = 1});
  Map root = doc.GetMap("root");
  Shared inner;
  {
    Transaction txn(doc);
    inner = root.SetType(txn, "list", TypeKind::kArray);
  }
  std::vector<std::string> seen;
  auto sub = root.ObserveDeep([&](const std::vector<Event>& events, const Transaction&) {
    for (const Event& e : events) seen.push_back(ToJson(Any(e.path)) + " " + ToJson(e.delta));
  });
  {
    Transaction txn(doc);
    ASSERT_OK(inner.AsArray().Push(txn, {Any("a")}));
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], R"(["list"] [{"insert":["a"]}])");
  sub.Reset();
  {
    Transaction txn(doc);
    ASSERT_OK(inner.AsArray().Push(txn, {Any("b")}));
  }
  EXPECT_EQ(seen.size(), 1u);
}

TEST(UndoManagerTest, UndoRedoTextAndMap) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  Map m = doc.GetMap("m");
  UndoManager um(doc, {t, m});
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "hello"));
  }
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 5, " world"));
    m.Set(txn, "k", Any(1));
  }
  {
    Transaction txn(doc);
    ASSERT_OK(t.Delete(txn, 0, 1));
  }
  EXPECT_EQ(t.ToString(), "ello world");
  EXPECT_TRUE(um.Undo());
  EXPECT_EQ(t.ToString(), "hello world");
  EXPECT_TRUE(um.Undo());
  EXPECT_EQ(t.ToString(), "hello");
  EXPECT_FALSE(m.Has("k"));
  EXPECT_TRUE(um.Redo());
  EXPECT_EQ(t.ToString(), "hello world");
  EXPECT_EQ(m.Get("k")->any, Any(1));
  EXPECT_TRUE(um.Redo());
  EXPECT_EQ(t.ToString(), "ello world");
  EXPECT_FALSE(um.Redo());
  // Everything converges with a remote peer.
  Doc peer(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(peer, EncodeStateAsUpdate(doc)));
  EXPECT_EQ(peer.GetText("t").ToString(), "ello world");
}

TEST(UndoManagerTest, RemoteChangesAreNotUndone) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  UndoManager um(doc, {t});
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "abc"));
  }
  Doc peer(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(peer, EncodeStateAsUpdate(doc)));
  {
    Transaction txn(peer);
    ASSERT_OK(peer.GetText("t").Insert(txn, 3, "XYZ"));
  }
  ASSERT_OK(ApplyUpdate(doc, EncodeStateAsUpdate(peer), "remote"));
  EXPECT_EQ(t.ToString(), "abcXYZ");
  EXPECT_TRUE(um.Undo());
  EXPECT_EQ(t.ToString(), "XYZ");
  EXPECT_FALSE(um.CanUndo());
}

TEST(UndoManagerTest, CaptureTimeoutMergesSteps) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  std::uint64_t now = 1000;
  UndoManager um(doc, {t}, UndoManagerOptions{.capture_timeout_ms = 500, .now_ms = [&] { return now; }});
  for (const char* s : {"a", "b", "c"}) {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, t.Length(), s));
    now += 100;
  }
  now += 1000;
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 3, "d"));
  }
  EXPECT_TRUE(um.Undo());
  EXPECT_EQ(t.ToString(), "abc");
  EXPECT_TRUE(um.Undo());
  EXPECT_EQ(t.ToString(), "");
}

}  // namespace
}  // namespace codesphere::crdt
