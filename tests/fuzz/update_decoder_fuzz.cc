// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the crdt update decoder and the Doc-free update operations. Invariants:
// no crash, no sanitizer report; an update that fails to apply leaves the Doc unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"

namespace crdt = codesphere::crdt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  codesphere::ByteSpan input(data, size);
  // A doc with some content of its own, so that integration against existing items runs.
  crdt::Doc doc(crdt::DocOptions{.client_id = 7, .gc = (size & 1) == 0});
  {
    crdt::Transaction txn(doc);
    (void)doc.GetText("t").Insert(txn, 0, "hello");
    doc.GetMap("m").Set(txn, "k", codesphere::Any(1));
  }
  const codesphere::Bytes before = crdt::EncodeStateAsUpdate(doc);
  const codesphere::Status s = crdt::ApplyUpdate(doc, input);
  if (!s.ok() && crdt::EncodeStateAsUpdate(doc) != before) std::abort();
  if (s.ok()) {
    // Whatever integrated must re-encode and load again.
    crdt::Doc copy(crdt::DocOptions{.client_id = 8});
    if (!crdt::ApplyUpdate(copy, crdt::EncodeStateAsUpdate(doc)).ok()) std::abort();
    (void)doc.GetText("t").ToDelta();
    (void)doc.GetMap("m").ToJson();
    for (const std::string& name : doc.RootNames()) (void)doc.GetArray(name).ToJson();
    crdt::Transaction txn(doc);
    crdt::Text t = doc.GetText("t");
    if (t.Length() > 2) (void)t.Delete(txn, 1, t.Length() / 2);
  }
  (void)crdt::MergeUpdates({input, before});
  (void)crdt::DiffUpdate(input, crdt::EncodeStateVector(doc));
  (void)crdt::EncodeStateVectorFromUpdate(input);
  return 0;
}
