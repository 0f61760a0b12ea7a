// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Update encoding v1 (spec §3): applying, encoding, merging and diffing updates. These are
// the bytes y-websocket carries; they interoperate with yjs 13.6.
//
// Thread-safety: the Doc-free functions (MergeUpdates, DiffUpdate, ...) are thread-safe; the
// others follow the Doc's rule (one thread at a time per Doc).
#pragma once

#include <string_view>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/state_vector.h"

namespace codesphere::crdt {

// Applies a v1 update (Yjs `applyUpdate`). The update is decoded and validated completely
// before anything is integrated; structs and deletions whose dependencies are missing are
// kept as pending and integrate once the gap is filled. Duplicates are no-ops.
// Returns kInvalidArgument for malformed input (truncated, bad varints, invalid UTF-8,
// unknown refs, zero lengths, clocks beyond 2^53, ...); the Doc is then unchanged.
// `origin` tags the transaction (see Transaction).
Status ApplyUpdate(Doc& doc, ByteSpan update, std::string origin = {});
// Same, inside an open transaction.
Status ApplyUpdate(Transaction& txn, ByteSpan update);

// Encodes the document state missing from `target` (Yjs `encodeStateAsUpdate`), including
// pending structs (as Skip-separated structs) and pending deletions. An empty `target`
// encodes everything.
Bytes EncodeStateAsUpdate(const Doc& doc, const StateVector& target = {});

// Encodes the state vector (Yjs `encodeStateVector`).
Bytes EncodeStateVector(const Doc& doc);

// Merges updates without a Doc (Yjs `mergeUpdates`): overlapping structs are removed, gaps
// become Skip structs, delete sets are merged. Returns kInvalidArgument on malformed input.
Result<Bytes> MergeUpdates(const std::vector<ByteSpan>& updates);

// The part of `update` not covered by the state vector `sv` (Yjs `diffUpdate`).
// Returns kInvalidArgument on malformed input.
Result<Bytes> DiffUpdate(ByteSpan update, ByteSpan state_vector);

// The state vector an update would produce on an empty doc (Yjs
// `encodeStateVectorFromUpdate`). Returns kInvalidArgument on malformed input.
Result<Bytes> EncodeStateVectorFromUpdate(ByteSpan update);

// Update format v2 (spec §4; what Yjs' `*V2` functions use, e.g. for persistence). Same
// semantics as the v1 functions above; the bytes match Yjs' v2 encoder.
Status ApplyUpdateV2(Doc& doc, ByteSpan update, std::string origin = {});
Bytes EncodeStateAsUpdateV2(const Doc& doc, const StateVector& target = {});
// Converts between the formats (Yjs `convertUpdateFormatV1ToV2` / `V2ToV1`). Returns
// kInvalidArgument on malformed input.
Result<Bytes> ConvertUpdateV1ToV2(ByteSpan update);
Result<Bytes> ConvertUpdateV2ToV1(ByteSpan update);

// Checks that `update` is a well-formed v1 update. Returns kInvalidArgument otherwise.
Status ValidateUpdate(ByteSpan update);

}  // namespace codesphere::crdt
