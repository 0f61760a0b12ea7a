// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A client's edit as the bytes a peer would send: for tests of rooms and servers.
#pragma once

#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::testing {

// Appends `text` to `doc`'s text "t" and returns the incremental update of that edit.
inline Bytes LocalEdit(crdt::Doc& doc, std::string_view text) {
  Bytes captured;
  auto sub = doc.OnUpdate(
      [&](ByteSpan u, const crdt::Transaction&) { captured.assign(u.begin(), u.end()); });
  {
    crdt::Transaction txn(doc);
    auto t = doc.GetText("t");
    EXPECT_OK(t.Insert(txn, t.Length(), text));
  }
  return captured;
}

}  // namespace codesphere::testing
