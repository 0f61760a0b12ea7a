// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Update v1 decoding into a validated, Doc-free representation, and the struct writer used
// by encodeStateAsUpdate, mergeUpdates and diffUpdate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/encoding.h"
#include "codesphere/base/result.h"
#include "crdt/delete_set.h"
#include "crdt/store.h"

namespace codesphere::crdt::internal {

// One decoded struct (Item, GC or Skip) with unresolved references.
struct DStruct {
  std::uint64_t client = 0;
  std::uint64_t clock = 0;
  std::uint64_t len = 0;
  std::uint8_t ref = 0;  // Kind
  bool has_origin = false;
  bool has_right = false;
  std::uint64_t origin_client = 0, origin_clock = 0;
  std::uint64_t right_client = 0, right_clock = 0;
  std::uint8_t parent_kind = 0;  // 0: copy from neighbour, 1: root name, 2: parent item id
  std::uint64_t parent_client = 0, parent_clock = 0;
  std::uint32_t parent_name = kNone;  // index into DUpdate::strings
  std::uint32_t parent_sub = kNone;   // index into DUpdate::strings
  std::uint32_t str = 0;              // kString: offset into DUpdate::text
  std::uint32_t payload = kNone;      // index into DUpdate::payloads
  std::uint32_t elem_off = 0;         // kAny/kJson: first element of the payload
  std::uint8_t type_ref = 0;          // kType
  std::uint32_t type_name = kNone;    // kType XmlElement/XmlHook name (strings index)
  std::uint64_t end() const { return clock + len; }
};

struct DUpdate {
  std::vector<DStruct> structs;  // wire order
  std::u16string text;
  std::vector<std::string> strings;
  std::vector<Blob> payloads;
  DeleteSet ds;
};

// Decodes and validates a complete v1 update. Returns kInvalidArgument on any defect.
Result<DUpdate> DecodeUpdate(ByteSpan update);
// Same, into `u` (cleared first; its buffers are reused).
Status DecodeUpdateInto(ByteSpan update, DUpdate& u);

// Decodes and validates a complete v2 update into `u`.
Status DecodeUpdateV2Into(ByteSpan update, DUpdate& u);
// Encodes `u` as a v2 / v1 update (structs in their order, delete set).
Bytes EncodeV2(const DUpdate& u);
Bytes EncodeV1(const DUpdate& u);

// Yjs sliceStruct: the part of `s` from `diff` on (0 < diff < len).
DStruct SliceStruct(DUpdate& u, const DStruct& s, std::uint64_t diff);

// Yjs LazyStructWriter: groups consecutive structs of one client.
//   group := u(numStructs) u(client) u(startClock) struct*
//   structs part := u(numGroups) group*
class StructWriter {
 public:
  void Write(const DUpdate& u, const DStruct& s, std::uint64_t offset);
  // Appends u(numGroups) and the groups to `e`.
  void Finish(lib0::Encoder& e);

 private:
  void Flush();
  lib0::Encoder groups_;
  lib0::Encoder cur_;
  std::uint64_t cur_client_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t num_groups_ = 0;
};

// Writes one decoded struct with `offset` (spec §3.7).
void WriteDStruct(lib0::Encoder& e, const DUpdate& u, const DStruct& s, std::uint64_t offset);

}  // namespace codesphere::crdt::internal
