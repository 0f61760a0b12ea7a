// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/hub.h"

#include <filesystem>
#include <fstream>

#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "codesphere/sync/protocol.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sync {
namespace {

using ::codesphere::testing::FakeClock;
using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;

struct NullPeer : Peer {
  void Send(std::shared_ptr<const Bytes>) override {}
};

Bytes Insert(crdt::Doc& doc, std::string_view text) {
  Bytes out;
  auto sub = doc.OnUpdate([&](ByteSpan u, const crdt::Transaction&) { out.assign(u.begin(), u.end()); });
  {
    crdt::Transaction txn(doc);
    auto t = doc.GetText("t");
    EXPECT_OK(t.Insert(txn, t.Length(), text));
  }
  return out;
}

std::string Text(Room& room) { return room.doc().GetText("t").ToString(); }

TEST(RoomNameTest, Validation) {
  EXPECT_OK(ValidateRoomName("my-room"));
  EXPECT_OK(ValidateRoomName("project/src/main.py"));
  EXPECT_OK(ValidateRoomName("a..b"));
  for (std::string bad : {std::string(), std::string(513, 'a'), std::string("a b"),
                          std::string("../x"), std::string("a/../b"), std::string("a\nb"),
                          std::string("\xc3\xa9")}) {
    EXPECT_THAT(ValidateRoomName(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

class HubTest : public ::testing::Test {
 protected:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<DocumentStore> Store() {
    auto s = NewFileDocumentStore(dir_.path() / "rooms");
    EXPECT_TRUE(s.ok()) << s.error();
    return std::move(s).value();
  }
  // Stores one edit of `client` in `room` through a hub of its own, released at the end
  // (which flushes and snapshots); `flush_first` flushes the log before the peer leaves.
  void StoreOneEdit(const std::string& room_name, crdt::Doc& client, const std::string& text,
                    bool flush_first) {
    auto store = Store();
    Hub hub(*store, clock_);
    ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire(room_name));
    NullPeer peer;
    PeerId p = room->room.Join(peer, Access::kReadWrite);
    ASSERT_OK(room->room.Receive(p, EncodeUpdate(Insert(client, text))));
    if (flush_first) ASSERT_OK(hub.Flush(*room));
    room->room.Leave(p);
    ASSERT_OK(hub.Release(room_name));
  }
};

TEST_F(HubTest, RoomsSurviveRestartThroughLogAndSnapshot) {
  crdt::Doc client(crdt::DocOptions{.client_id = 42});
  {
    auto store = Store();
    HubOptions opts;
    opts.compact_after_bytes = 1u << 30;  // keep everything in the log
    Hub hub(*store, clock_, opts);
    ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire("notes"));
    NullPeer peer;
    PeerId p = room->room.Join(peer, Access::kReadWrite);
    ASSERT_OK(room->room.Receive(p, EncodeUpdate(Insert(client, "one "))));
    ASSERT_OK(hub.Flush(*room));
    ASSERT_OK(room->room.Receive(p, EncodeUpdate(Insert(client, "two"))));
    ASSERT_OK(hub.Flush(*room));
    EXPECT_GT(room->storage->log_bytes(), 0u);
    // Simulate a crash: the hub is never told; the log alone must carry the state.
    room->room.Leave(p);
    // Re-open the same directory with a second store while the first still exists: the
    // log is already durable.
    auto store2 = Store();
    Hub hub2(*store2, clock_);
    ASSERT_OK_AND_ASSIGN(OpenRoom * again, hub2.Acquire("notes"));
    EXPECT_EQ(Text(again->room), "one two");
    ASSERT_OK(hub2.Release("notes"));  // compacts into a snapshot
    ASSERT_OK(hub.Release("notes"));
  }
  auto store = Store();
  Hub hub(*store, clock_);
  ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire("notes"));
  EXPECT_EQ(Text(room->room), "one two");
  EXPECT_EQ(crdt::EncodeStateVector(room->room.doc()), crdt::EncodeStateVector(client));
  ASSERT_OK_AND_ASSIGN(auto rooms, store->ListRooms());
  EXPECT_EQ(rooms, std::vector<std::string>{"notes"});
  ASSERT_OK(hub.Release("notes"));
}

TEST_F(HubTest, InterruptedSnapshotTemporariesAreRemovedOnLoad) {
  namespace fs = std::filesystem;
  crdt::Doc client(crdt::DocOptions{.client_id = 43});
  ASSERT_NO_FATAL_FAILURE(StoreOneEdit("notes", client, "kept", /*flush_first=*/true));
  fs::path rdir;
  for (const auto& e : fs::directory_iterator(dir_.path() / "rooms")) {
    if (e.is_directory()) rdir = e.path();
  }
  ASSERT_FALSE(rdir.empty());
  // What a crash in the middle of a snapshot write leaves (WriteFileAtomically's temporary,
  // and the older ".tmp" form), next to a file that is not the store's.
  { std::ofstream(rdir / ".snapshot-9.tmp-0123456789abcdef") << "torn"; }
  { std::ofstream(rdir / "snapshot-9.tmp") << "old style"; }
  { std::ofstream(rdir / ".notes.tmp-backup") << "not ours"; }
  auto store = Store();
  Hub hub(*store, clock_);
  ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire("notes"));
  EXPECT_EQ(Text(room->room), "kept");
  EXPECT_FALSE(fs::exists(rdir / ".snapshot-9.tmp-0123456789abcdef"));
  EXPECT_FALSE(fs::exists(rdir / "snapshot-9.tmp"));
  EXPECT_TRUE(fs::exists(rdir / ".notes.tmp-backup"));
  ASSERT_OK(hub.Release("notes"));
}

TEST_F(HubTest, CompactionKeepsContentAndShrinksLog) {
  crdt::Doc client(crdt::DocOptions{.client_id = 7});
  auto store = Store();
  HubOptions opts;
  opts.compact_after_bytes = 64;
  Hub hub(*store, clock_, opts);
  ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire("c"));
  NullPeer peer;
  PeerId p = room->room.Join(peer, Access::kReadWrite);
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string piece = "line " + std::to_string(i) + "\n";
    expected += piece;
    ASSERT_OK(room->room.Receive(p, EncodeUpdate(Insert(client, piece))));
    ASSERT_OK(hub.Flush(*room));
    EXPECT_LT(room->storage->log_bytes(), 64u + 64u);
  }
  room->room.Leave(p);
  ASSERT_OK(hub.Release("c"));
  auto store2 = Store();
  Hub hub2(*store2, clock_);
  ASSERT_OK_AND_ASSIGN(OpenRoom * again, hub2.Acquire("c"));
  EXPECT_EQ(Text(again->room), expected);
  ASSERT_OK(hub2.Release("c"));
}

TEST_F(HubTest, RoomFilesAreCreatedByTheFirstWriteOnly) {
  crdt::Doc client(crdt::DocOptions{.client_id = 9});
  auto store = Store();
  Hub hub(*store, clock_);
  ASSERT_OK_AND_ASSIGN(OpenRoom * room, hub.Acquire("idle"));
  NullPeer peer;
  PeerId p = room->room.Join(peer, Access::kReadWrite);
  // Joined and synced, never written: no directory, no log, nothing to list.
  ASSERT_OK(hub.Flush(*room));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "rooms"));
  ASSERT_OK_AND_ASSIGN(auto none, store->ListRooms());
  EXPECT_TRUE(none.empty());
  ASSERT_OK(room->room.Receive(p, EncodeUpdate(Insert(client, "first"))));
  ASSERT_OK(hub.Flush(*room));
  ASSERT_OK_AND_ASSIGN(auto rooms, store->ListRooms());
  EXPECT_EQ(rooms, std::vector<std::string>{"idle"});
  // A second store sees the write (the log is durable without any compaction).
  auto store2 = Store();
  Hub hub2(*store2, clock_);
  ASSERT_OK_AND_ASSIGN(OpenRoom * again, hub2.Acquire("idle"));
  EXPECT_EQ(Text(again->room), "first");
  ASSERT_OK(hub2.Release("idle"));
  room->room.Leave(p);
  ASSERT_OK(hub.Release("idle"));
}

TEST_F(HubTest, LimitsAndAuthenticateHook) {
  auto store = NewMemoryDocumentStore();
  HubOptions opts;
  opts.max_rooms = 1;
  HubHooks hooks;
  hooks.authenticate = [](const ConnectionInfo& info) -> Result<Access> {
    if (info.target.find("token=ok") == std::string::npos) return UnauthenticatedError("no token");
    return Access::kReadOnly;
  };
  Hub hub(*store, clock_, opts, hooks);
  ASSERT_OK(hub.Acquire("a"));
  EXPECT_THAT(hub.Acquire("b"), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(hub.Acquire("../etc"), StatusIs(StatusCode::kInvalidArgument));
  ConnectionInfo info{"a", "/a?token=ok", "127.0.0.1:1", {}};
  ASSERT_OK_AND_ASSIGN(Access access, hub.Authenticate(info));
  EXPECT_EQ(access, Access::kReadOnly);
  info.target = "/a";
  EXPECT_THAT(hub.Authenticate(info), StatusIs(StatusCode::kUnauthenticated));
  ASSERT_OK(hub.Release("a"));
  EXPECT_EQ(hub.room_count(), 0u);
  EXPECT_THAT(hub.Release("a"), StatusIs(StatusCode::kNotFound));
}

TEST_F(HubTest, CorruptSnapshotIsDataLossNotSilentReset) {
  crdt::Doc client(crdt::DocOptions{.client_id = 9});
  ASSERT_NO_FATAL_FAILURE(StoreOneEdit("x", client, "data", /*flush_first=*/false));
  std::filesystem::path snap;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.path().filename().string().starts_with("snapshot-")) snap = e.path();
  }
  ASSERT_FALSE(snap.empty());
  {
    std::FILE* f = std::fopen(snap.c_str(), "r+b");
    std::fseek(f, -1, SEEK_END);
    std::fputc('!', f);
    std::fclose(f);
  }
  auto store = Store();
  Hub hub(*store, clock_);
  EXPECT_THAT(hub.Acquire("x"), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace codesphere::sync
