// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Doc and Transaction: a Yjs-compatible (13.6) document. Every change happens inside a
// Transaction; when the outermost Transaction ends, the document garbage-collects, merges
// runs and emits the transaction's incremental v1 update to `OnUpdate` handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/status.h"
#include "codesphere/crdt/state_vector.h"

namespace codesphere::crdt {

namespace internal {
class DocState;
struct TxnState;
}  // namespace internal

class Text;
class Map;
class Array;
class XmlFragment;
class Transaction;
class Shared;
class UndoManager;

// Options of a Doc.
struct DocOptions {
  // This replica's client id. Must be unique among the peers editing the document and
  // at most 2^53-1. The module has no randomness: callers pick the id (Yjs uses a random uint32).
  // Default: 1.
  ClientId client_id = 1;
  // Garbage-collect deleted content at the end of each transaction (spec §7.8). Turn off to
  // keep deleted content (snapshots/version history). Default: true.
  bool gc = true;
};

// Handle returned by subscriptions; unsubscribes when destroyed. Movable.
class Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& other) noexcept;
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();
  // Removes the handler now. Idempotent.
  void Reset();

 private:
  friend class Doc;
  friend class Shared;
  friend class UndoManager;
  Subscription(std::weak_ptr<internal::DocState> doc, std::uint64_t id);
  std::weak_ptr<internal::DocState> doc_;
  std::uint64_t id_ = 0;
};

// A Yjs-compatible document: root types by name, a struct store, pending updates.
//
// Thread-safety: not thread-safe; a Doc and its type handles must be used from one thread
// at a time (or under the caller's lock). No background work happens.
class Doc {
 public:
  explicit Doc(DocOptions options = {});
  ~Doc();
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;

  // This replica's client id. May change after a remote update uses our id (spec §7.8 step 5;
  // the new id is derived deterministically from the old one).
  ClientId client_id() const;
  bool gc() const;

  // Root types by name, created on first use. A root first seen in a remote update has an
  // unknown kind; the first Get* call declares it. Calling a different Get* for an existing
  // name returns a handle on the same underlying type (as Yjs' `get` upgrade does).
  Text GetText(std::string_view name);
  Map GetMap(std::string_view name);
  Array GetArray(std::string_view name);
  XmlFragment GetXmlFragment(std::string_view name);

  // Names of all root types (declared or seen on the wire), sorted.
  std::vector<std::string> RootNames() const;

  // The state vector of integrated structs (pending structs are not included).
  StateVector GetStateVector() const;

  // Registers `handler` to receive the v1 update of every transaction that changed the
  // document (spec §3.10); it runs when the transaction ends. The handler must not start a
  // new transaction on this doc.
  Subscription OnUpdate(std::function<void(ByteSpan update, const Transaction& txn)> handler);

  // True if the doc holds structs or deletions waiting for missing dependencies.
  bool HasPending() const;

  // Internal: the implementation state (used by the module's own code, not an API).
  internal::DocState& state() { return *state_; }
  const internal::DocState& state() const { return *state_; }

 private:
  std::shared_ptr<internal::DocState> state_;
};

// A unit of change (RAII): constructing it opens a transaction on `doc`, destroying it
// commits (GC, merging, update emission). Nested Transactions on the same Doc join the
// outermost one. `origin` is an application tag (e.g. for UndoManager tracked origins).
//
// Thread-safety: same as Doc.
class Transaction {
 public:
  explicit Transaction(Doc& doc, std::string origin = {});
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Doc& doc() const { return *doc_; }
  const std::string& origin() const;
  // False while applying a remote update.
  bool local() const;

 private:
  Doc* doc_;
  internal::TxnState* state_;
  std::unique_ptr<internal::TxnState> owned_;
};

}  // namespace codesphere::crdt
