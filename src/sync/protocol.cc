// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/protocol.h"

#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::sync {
namespace {

Bytes Frame(std::uint64_t type, std::uint64_t sub, ByteSpan payload) {
  lib0::Encoder e(payload.size() + 8);
  e.WriteVarUint(type);
  e.WriteVarUint(sub);
  e.WriteVarUint8Array(payload);
  return e.Take();
}

Result<Message> DecodeBody(lib0::Decoder& d) {
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t type, d.ReadVarUint());
  switch (type) {
    case kMessageSync: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t sub, d.ReadVarUint());
      CODESPHERE_ASSIGN_OR_RETURN(ByteSpan payload, d.ReadVarUint8Array());
      switch (sub) {
        case kSyncStep1: return Message(SyncStep1Message{payload});
        case kSyncStep2: return Message(SyncStep2Message{payload});
        case kSyncUpdate: return Message(UpdateMessage{payload});
        default:
          return InvalidArgumentError("unknown sync message type " + std::to_string(sub));
      }
    }
    case kMessageAwareness: {
      CODESPHERE_ASSIGN_OR_RETURN(ByteSpan payload, d.ReadVarUint8Array());
      return Message(AwarenessMessage{payload});
    }
    case kMessageAuth: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t sub, d.ReadVarUint());
      if (sub != kAuthPermissionDenied) {
        return InvalidArgumentError("unknown auth message type " + std::to_string(sub));
      }
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view reason, d.ReadVarStringView());
      return Message(PermissionDeniedMessage{reason});
    }
    case kMessageQueryAwareness: return Message(QueryAwarenessMessage{});
    default: return InvalidArgumentError("unknown message type " + std::to_string(type));
  }
}

}  // namespace

Result<Message> DecodeMessage(ByteSpan frame) {
  lib0::Decoder d(frame);
  auto message = DecodeBody(d);
  if (!message) return std::move(message).error().WithContext("decode y-protocols message");
  if (!d.done()) {
    return InvalidArgumentError("decode y-protocols message: " + std::to_string(d.remaining()) +
                                " trailing bytes");
  }
  return message;
}

Bytes EncodeSyncStep1(ByteSpan sv) { return Frame(kMessageSync, kSyncStep1, sv); }
Bytes EncodeSyncStep2(ByteSpan update) { return Frame(kMessageSync, kSyncStep2, update); }
Bytes EncodeUpdate(ByteSpan update) { return Frame(kMessageSync, kSyncUpdate, update); }

Bytes EncodeAwareness(ByteSpan awareness_update) {
  lib0::Encoder e(awareness_update.size() + 6);
  e.WriteVarUint(kMessageAwareness);
  e.WriteVarUint8Array(awareness_update);
  return e.Take();
}

Bytes EncodePermissionDenied(std::string_view reason) {
  lib0::Encoder e;
  e.WriteVarUint(kMessageAuth);
  e.WriteVarUint(kAuthPermissionDenied);
  e.WriteVarString(reason);
  return e.Take();
}

Bytes EncodeQueryAwareness() { return Bytes{static_cast<std::uint8_t>(kMessageQueryAwareness)}; }

Bytes EncodeMessage(const Message& message) {
  struct Visitor {
    Bytes operator()(const SyncStep1Message& m) { return EncodeSyncStep1(m.state_vector); }
    Bytes operator()(const SyncStep2Message& m) { return EncodeSyncStep2(m.update); }
    Bytes operator()(const UpdateMessage& m) { return EncodeUpdate(m.update); }
    Bytes operator()(const AwarenessMessage& m) { return EncodeAwareness(m.update); }
    Bytes operator()(const PermissionDeniedMessage& m) { return EncodePermissionDenied(m.reason); }
    Bytes operator()(const QueryAwarenessMessage&) { return EncodeQueryAwareness(); }
  };
  return std::visit(Visitor{}, message);
}

std::string_view MessageName(const Message& message) {
  static constexpr std::string_view kNames[] = {"sync-step1", "sync-step2",        "update",
                                                "awareness",  "permission-denied", "query-awareness"};
  return kNames[message.index()];
}

}  // namespace codesphere::sync
