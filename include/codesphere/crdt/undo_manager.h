// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// UndoManager (Yjs `Y.UndoManager`): undo/redo of the local changes made to a set of shared
// types, selected by transaction origin.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"

namespace codesphere::crdt {

struct UndoManagerOptions {
  // Transactions whose origin is in this set are captured. Default: {""} (untagged local
  // transactions). The manager's own undo/redo transactions are always captured.
  std::set<std::string> tracked_origins = {""};
  // Changes less than this many milliseconds apart are merged into one stack item, using
  // `now_ms` as the clock (the module has no clock of its own). Default: 500.
  std::uint64_t capture_timeout_ms = 500;
  // Returns the current time in milliseconds. Default: none, so every captured transaction
  // is its own stack item unless the caller groups them (one Transaction per undo step).
  std::function<std::uint64_t()> now_ms;
};

// Undo/redo for changes to `scope` (types of one Doc, nested types included).
//
// Thread-safety: same as Doc. The manager must not outlive its Doc.
class UndoManager {
 public:
  UndoManager(Doc& doc, std::vector<Shared> scope, UndoManagerOptions options = {});
  ~UndoManager();
  UndoManager(const UndoManager&) = delete;
  UndoManager& operator=(const UndoManager&) = delete;

  // Reverts the last captured change (deletes what it inserted, restores what it deleted).
  // Returns true if the document changed. Must not be called inside a transaction.
  bool Undo();
  // Re-applies the last undone change. Returns true if the document changed.
  bool Redo();
  bool CanUndo() const;
  bool CanRedo() const;
  // The next captured change starts a new stack item even within the capture timeout.
  void StopCapturing();
  // Drops both stacks.
  void Clear();
  // The origin of the manager's own transactions.
  const std::string& origin() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace codesphere::crdt
