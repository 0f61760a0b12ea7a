// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The Python-side state of a `crdt::Doc`, shared with other binding files (sync's Room
// exposes its document as a `codesphere.crdt.Doc`).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <memory>

#include "codesphere/crdt/doc.h"
#include "status.h"

namespace codesphere::python {

// A Doc as Python holds it: the document (owned, or borrowed from a sync Room whose Python
// object `owner` keeps it alive), the transaction opened by a `with doc.transaction()` block,
// and the update subscriptions (kept until unsubscribed, as Python users expect).
//
// Thread-safety: Requires GIL (every method runs with it held; the GIL serialises access).
struct PyDoc {
  explicit PyDoc(crdt::DocOptions options)
      : owned(std::make_unique<crdt::Doc>(options)), doc(owned.get()) {}
  PyDoc(crdt::Doc& borrowed, py::object owner_object)
      : doc(&borrowed), owner(std::move(owner_object)) {}
  ~PyDoc() {
    subscriptions.clear();
    txn.reset();
  }

  std::unique_ptr<crdt::Doc> owned;
  crdt::Doc* doc;
  py::object owner;
  std::unique_ptr<crdt::Transaction> txn;
  // >0 while update callbacks run; edits are refused then (the C++ contract).
  int in_callback = 0;
  PendingPythonError callback_error;
  std::map<std::uint64_t, crdt::Subscription> subscriptions;
  std::uint64_t next_subscription = 1;
};

// Registers `codesphere.crdt` on `m`.
void RegisterCrdt(py::module_& m);

// Wraps a Doc owned elsewhere (`owner` keeps it alive) as a `codesphere.crdt.Doc`.
py::object WrapBorrowedDoc(crdt::Doc& doc, py::object owner);

}  // namespace codesphere::python
