// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// y-protocols messages (spec §9): the framing y-websocket speaks. Pure codecs: bytes in,
// bytes out, no transport, no document.
//
//   message := u(messageType) payload            (one WebSocket binary frame each)
//     0 sync           u(syncType) buf(payload)  0 = SyncStep1(SV), 1 = SyncStep2(update),
//                                                2 = Update(update)
//     1 awareness      buf(awarenessUpdate)
//     2 auth           u(0) s(reason)            permission denied
//     3 queryAwareness (nothing)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::sync {

// Outer message types (y-protocols `messageSync`, `messageAwareness`, `messageAuth`,
// `messageQueryAwareness`).
inline constexpr std::uint64_t kMessageSync = 0;
inline constexpr std::uint64_t kMessageAwareness = 1;
inline constexpr std::uint64_t kMessageAuth = 2;
inline constexpr std::uint64_t kMessageQueryAwareness = 3;
// Sync sub-types (y-protocols `messageYjsSyncStep1`, `messageYjsSyncStep2`, `messageYjsUpdate`).
inline constexpr std::uint64_t kSyncStep1 = 0;
inline constexpr std::uint64_t kSyncStep2 = 1;
inline constexpr std::uint64_t kSyncUpdate = 2;
// Auth sub-type (y-protocols `messagePermissionDenied`).
inline constexpr std::uint64_t kAuthPermissionDenied = 0;

// Decoded messages hold views into the decoded buffer: they are valid as long as it is.
struct SyncStep1Message {
  ByteSpan state_vector;
};
struct SyncStep2Message {
  ByteSpan update;
};
struct UpdateMessage {
  ByteSpan update;
};
struct AwarenessMessage {
  ByteSpan update;
};
struct PermissionDeniedMessage {
  std::string_view reason;
};
struct QueryAwarenessMessage {};

using Message = std::variant<SyncStep1Message, SyncStep2Message, UpdateMessage, AwarenessMessage,
                             PermissionDeniedMessage, QueryAwarenessMessage>;

// Decodes one message. Returns kInvalidArgument for truncated input, unknown message or
// sub-message types ("unknown message type 7"), and trailing bytes after the message (stock
// clients never send them; we refuse rather than guess). The payloads are not interpreted here.
Result<Message> DecodeMessage(ByteSpan frame);

// Encoders; each returns one complete frame.
Bytes EncodeSyncStep1(ByteSpan state_vector);
Bytes EncodeSyncStep2(ByteSpan update);
Bytes EncodeUpdate(ByteSpan update);
Bytes EncodeAwareness(ByteSpan awareness_update);
Bytes EncodePermissionDenied(std::string_view reason);
Bytes EncodeQueryAwareness();
Bytes EncodeMessage(const Message& message);

// A short name for logs ("sync-step1", "awareness", …).
std::string_view MessageName(const Message& message);

}  // namespace codesphere::sync
