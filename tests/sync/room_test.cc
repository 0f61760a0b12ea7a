// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The y-websocket server protocol of a Room (spec §10.2-§10.3), driven with bytes.
#include "codesphere/sync/room.h"

#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "codesphere/sync/protocol.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/local_edit.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::sync {
namespace {

using ::codesphere::testing::FakeClock;
using ::codesphere::testing::StatusIs;

// A peer that records frames and can play a Yjs client with its own doc.
class RecordingPeer : public Peer {
 public:
  explicit RecordingPeer(crdt::ClientId id) : doc(crdt::DocOptions{.client_id = id}) {}
  void Send(std::shared_ptr<const Bytes> frame) override { frames.push_back(*frame); }

  // Applies every document update the room sent; returns how many frames were of each kind.
  void Drain() {
    for (const Bytes& f : frames) {
      auto m = DecodeMessage(f);
      ASSERT_TRUE(m.ok()) << m.error();
      if (auto* s2 = std::get_if<SyncStep2Message>(&*m)) ASSERT_OK(crdt::ApplyUpdate(doc, s2->update));
      if (auto* u = std::get_if<UpdateMessage>(&*m)) ASSERT_OK(crdt::ApplyUpdate(doc, u->update));
      if (std::holds_alternative<PermissionDeniedMessage>(*m)) ++denied;
      if (std::holds_alternative<AwarenessMessage>(*m)) ++awareness;
    }
    frames.clear();
  }
  std::string Text() { return doc.GetText("t").ToString(); }

  crdt::Doc doc;
  std::vector<Bytes> frames;
  int denied = 0;
  int awareness = 0;
};

using ::codesphere::testing::LocalEdit;

class RoomTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Room room_{"r", clock_};
  std::unique_ptr<DocumentStore> store_ = NewMemoryDocumentStore();
  std::unique_ptr<RoomStorage> storage_ = store_->OpenRoom("r").value().storage;
};

TEST_F(RoomTest, JoinSendsSyncStep1) {
  RecordingPeer a(1);
  room_.Join(a, Access::kReadWrite);
  ASSERT_EQ(a.frames.size(), 1u);
  EXPECT_EQ(ToHex(a.frames[0], " "), "00 00 01 00");  // SyncStep1 with an empty SV
}

TEST_F(RoomTest, UnwrittenRoomSpeaksLikeAnEmptyDocument) {
  // A room nobody wrote to holds no document yet; its answers must be byte-identical to those
  // of a room whose (empty) document exists.
  Room with_doc{"r2", clock_};
  (void)with_doc.doc();
  Bytes step1 = EncodeSyncStep1(crdt::EncodeStateVector(RecordingPeer(5).doc));
  for (Room* room : {&room_, &with_doc}) {
    RecordingPeer a(1);
    PeerId pa = room->Join(a, Access::kReadWrite);
    ASSERT_OK(room->Receive(pa, step1));
    ASSERT_EQ(a.frames.size(), 2u);
    EXPECT_EQ(ToHex(a.frames[0], " "), "00 00 01 00");     // SyncStep1, empty state vector
    EXPECT_EQ(ToHex(a.frames[1], " "), "00 01 02 00 00");  // SyncStep2, empty update
    EXPECT_EQ(ToHex(room->EncodeState(), " "), "00 00");
    room->Leave(pa);
  }
  ASSERT_OK(room_.Load(Bytes{0, 0}));
  EXPECT_EQ(room_.doc().GetText("t").ToString(), "");
}

TEST_F(RoomTest, UpdatesBecomeVisibleOnlyAfterTheyAreDurable) {
  RecordingPeer a(1), b(2);
  PeerId pa = room_.Join(a, Access::kReadWrite);
  room_.Join(b, Access::kReadWrite);
  a.frames.clear();
  b.frames.clear();
  ASSERT_OK(room_.Receive(pa, EncodeUpdate(LocalEdit(a.doc, "hello"))));
  EXPECT_TRUE(room_.HasUnflushed());
  EXPECT_TRUE(b.frames.empty());  // nothing broadcast before the log has it
  EXPECT_EQ(room_.doc().GetText("t").ToString(), "");
  ASSERT_OK(room_.FlushSync(*storage_));
  EXPECT_GT(storage_->log_bytes(), 0u);
  // Echoed to everyone, the sender included (spec §10.2).
  ASSERT_EQ(a.frames.size(), 1u);
  ASSERT_EQ(b.frames.size(), 1u);
  b.Drain();
  EXPECT_EQ(b.Text(), "hello");
  EXPECT_EQ(room_.doc().GetText("t").ToString(), "hello");
}

TEST_F(RoomTest, SyncStep1IsAnsweredWithStep2Diff) {
  RecordingPeer a(1), late(3);
  PeerId pa = room_.Join(a, Access::kReadWrite);
  ASSERT_OK(room_.Receive(pa, EncodeUpdate(LocalEdit(a.doc, "abc"))));
  ASSERT_OK(room_.FlushSync(*storage_));
  PeerId pl = room_.Join(late, Access::kReadWrite);
  late.frames.clear();
  ASSERT_OK(room_.Receive(pl, EncodeSyncStep1(crdt::EncodeStateVector(late.doc))));
  ASSERT_EQ(late.frames.size(), 1u);
  EXPECT_EQ(late.frames[0][0], 0);
  EXPECT_EQ(late.frames[0][1], 1);  // SyncStep2, which marks y-websocket clients synced
  late.Drain();
  EXPECT_EQ(late.Text(), "abc");
}

TEST_F(RoomTest, ReadOnlyPeerIsToldAndIgnored) {
  RecordingPeer viewer(5);
  PeerId pv = room_.Join(viewer, Access::kReadOnly);
  ASSERT_OK(room_.Receive(pv, EncodeUpdate(LocalEdit(viewer.doc, "nope"))));
  EXPECT_FALSE(room_.HasUnflushed());
  viewer.Drain();
  EXPECT_EQ(viewer.denied, 1);
  // An empty SyncStep2 (what every client answers on connect) is not an edit.
  ASSERT_OK(room_.Receive(pv, EncodeSyncStep2(crdt::EncodeStateAsUpdate(crdt::Doc()))));
  viewer.Drain();
  EXPECT_EQ(viewer.denied, 1);
}

TEST_F(RoomTest, MalformedMessagesAreRefusedAndChangeNothing) {
  RecordingPeer a(1);
  PeerId pa = room_.Join(a, Access::kReadWrite);
  ASSERT_OK(room_.Receive(pa, EncodeUpdate(LocalEdit(a.doc, "keep"))));
  ASSERT_OK(room_.FlushSync(*storage_));
  Bytes state = room_.EncodeState();
  for (Bytes bad : {FromHex("00 02 05 01 01").value(), FromHex("09").value(),
                    FromHex("00 00 03 05 05").value(), EncodeUpdate(FromHex("01 01 01").value()),
                    FromHex("01 03 01 0a").value()}) {
    EXPECT_THAT(room_.Receive(pa, bad), StatusIs(StatusCode::kInvalidArgument)) << ToHex(bad);
  }
  EXPECT_FALSE(room_.HasUnflushed());
  EXPECT_EQ(room_.EncodeState(), state);
}

TEST_F(RoomTest, AwarenessIsBroadcastAndRemovedOnLeave) {
  RecordingPeer a(1), b(2);
  PeerId pa = room_.Join(a, Access::kReadWrite);
  room_.Join(b, Access::kReadWrite);
  a.frames.clear();
  b.frames.clear();
  Awareness aw(1, clock_);
  (void)aw.SetLocalState(ParseJson(R"({"user":{"name":"A"}})").value());
  std::uint64_t ids[] = {1};
  ASSERT_OK(room_.Receive(pa, EncodeAwareness(aw.EncodeUpdate(ids))));
  ASSERT_EQ(b.frames.size(), 1u);
  ASSERT_EQ(a.frames.size(), 1u);  // echoed to the sender too
  EXPECT_EQ(room_.awareness().ClientsWithState(), std::vector<std::uint64_t>{1});
  b.frames.clear();
  room_.Leave(pa);
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(ToHex(b.frames[0], " "), "01 08 01 01 01 04 6e 75 6c 6c");  // client 1, clock 1, null
  EXPECT_TRUE(room_.awareness().ClientsWithState().empty());
}

}  // namespace
}  // namespace codesphere::sync
