// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// libFuzzer target for the crdt update decoder and the Doc-free update operations. Invariants:
// no crash, no sanitizer report; an update that fails to apply leaves the Doc unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/undo_manager.h"
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
  // Observers and an UndoManager see whatever the update integrates.
  std::size_t events = 0;
  auto s1 = doc.GetText("t").Observe([&](const crdt::Event& e, const crdt::Transaction&) {
    events += e.delta.is_array() ? e.delta.as_array().size() : 0;
  });
  auto s2 = doc.GetMap("m").ObserveDeep([&](const std::vector<crdt::Event>& es, const crdt::Transaction&) {
    events += es.size();
  });
  crdt::UndoManager um(doc, {doc.GetText("t"), doc.GetMap("m")},
                       crdt::UndoManagerOptions{.tracked_origins = {"", "fuzz"}});
  const codesphere::Status s = crdt::ApplyUpdate(doc, input, "fuzz");
  if (!s.ok() && crdt::EncodeStateAsUpdate(doc) != before) std::abort();
  if (s.ok()) {
    // Whatever integrated must re-encode and load again.
    crdt::Doc copy(crdt::DocOptions{.client_id = 8});
    if (!crdt::ApplyUpdate(copy, crdt::EncodeStateAsUpdate(doc)).ok()) std::abort();
    (void)doc.GetText("t").ToDelta();
    (void)doc.GetMap("m").ToJson();
    for (const std::string& name : doc.RootNames()) (void)doc.GetArray(name).ToJson();
    {
      crdt::Transaction txn(doc);
      crdt::Text t = doc.GetText("t");
      if (t.Length() > 2) (void)t.Delete(txn, 1, t.Length() / 2);
    }
    while (um.Undo()) {
    }
    (void)um.Redo();
    crdt::Doc again(crdt::DocOptions{.client_id = 9});
    if (!crdt::ApplyUpdate(again, crdt::EncodeStateAsUpdate(doc)).ok()) std::abort();
  }
  {
    // The same bytes as a v2 update.
    crdt::Doc v2doc(crdt::DocOptions{.client_id = 11});
    const codesphere::Bytes empty = crdt::EncodeStateAsUpdate(v2doc);
    if (!crdt::ApplyUpdateV2(v2doc, input).ok() && crdt::EncodeStateAsUpdate(v2doc) != empty) std::abort();
    auto v1 = crdt::ConvertUpdateV2ToV1(input);
    if (v1.ok() && !crdt::ConvertUpdateV1ToV2(*v1).ok()) std::abort();
  }
  (void)crdt::MergeUpdates({input, before});
  (void)crdt::DiffUpdate(input, crdt::EncodeStateVector(doc));
  (void)crdt::EncodeStateVectorFromUpdate(input);
  return 0;
}
