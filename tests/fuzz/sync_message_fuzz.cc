// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target: y-protocols frames from a hostile peer. Every frame goes through the
// codec and then a Room (awareness, sync steps, durable flush into memory storage); a frame
// that is refused must leave the room's document and awareness unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "codesphere/base/clock.h"
#include "codesphere/sync/document_store.h"
#include "codesphere/sync/protocol.h"
#include "codesphere/sync/room.h"

namespace {

struct NullPeer : codesphere::sync::Peer {
  void Send(std::shared_ptr<const codesphere::Bytes>) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace codesphere;
  ByteSpan input(data, size);
  auto message = sync::DecodeMessage(input);
  if (message.ok()) {
    // Re-encoding is canonical: decoding the re-encoded frame and encoding it again gives
    // the same bytes (the input itself may use over-long varints, which lib0 accepts).
    Bytes again = sync::EncodeMessage(*message);
    auto reparsed = sync::DecodeMessage(again);
    if (!reparsed.ok() || sync::EncodeMessage(*reparsed) != again) std::abort();
  }
  // Treat the input as a sequence of frames: [len:u8][frame]...
  auto store = sync::NewMemoryDocumentStore();
  auto storage = store->OpenRoom("fuzz").value().storage;
  sync::Room room("fuzz", RealClock());
  NullPeer peer;
  sync::PeerId id = room.Join(peer, sync::Access::kReadWrite);
  std::size_t pos = 0;
  while (pos < size) {
    std::size_t len = data[pos++];
    if (len > size - pos) len = size - pos;
    Bytes before = room.EncodeState();
    auto clients_before = room.awareness().ClientsWithState();
    Status s = room.Receive(id, ByteSpan(data + pos, len));
    if (!s.ok()) {
      if (room.HasUnflushed() || room.EncodeState() != before ||
          room.awareness().ClientsWithState() != clients_before) {
        std::abort();  // a refused frame changed the room
      }
    }
    if (!room.FlushSync(*storage).ok()) std::abort();
    pos += len;
  }
  room.Leave(id);
  return 0;
}
