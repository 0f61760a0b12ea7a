// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Doc, Transaction, Subscription and the update entry points (Yjs `applyUpdate`,
// `encodeStateAsUpdate`, `encodeStateVector`).

#include "codesphere/crdt/doc.h"

#include <algorithm>
#include <unordered_map>

#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "crdt/codec.h"
#include "crdt/store.h"

namespace codesphere::crdt {

using internal::DocState;

Subscription::Subscription(std::weak_ptr<DocState> doc, std::uint64_t id)
    : doc_(std::move(doc)), id_(id) {}
Subscription::Subscription(Subscription&& other) noexcept
    : doc_(std::move(other.doc_)), id_(std::exchange(other.id_, 0)) {}
Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    doc_ = std::move(other.doc_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}
Subscription::~Subscription() { Reset(); }
void Subscription::Reset() {
  if (id_ == 0) return;
  if (auto d = doc_.lock()) d->Unsubscribe(id_);
  id_ = 0;
}

Doc::Doc(DocOptions options) : state_(std::make_shared<DocState>(options)) {}
Doc::~Doc() = default;

ClientId Doc::client_id() const { return state_->client_id; }
bool Doc::gc() const { return state_->options.gc; }

namespace {
std::uint32_t DeclareRoot(DocState& d, std::string_view name, TypeKind kind) {
  const std::uint32_t t = d.GetOrCreateRoot(name);
  if (d.types[t].type_ref == internal::kUnknownType) d.types[t].type_ref = static_cast<std::uint8_t>(kind);
  return t;
}
}  // namespace

Text Doc::GetText(std::string_view name) {
  return Text(Shared::FromIndex(state_.get(), DeclareRoot(*state_, name, TypeKind::kText)));
}
Map Doc::GetMap(std::string_view name) {
  return Map(Shared::FromIndex(state_.get(), DeclareRoot(*state_, name, TypeKind::kMap)));
}
Array Doc::GetArray(std::string_view name) {
  return Array(Shared::FromIndex(state_.get(), DeclareRoot(*state_, name, TypeKind::kArray)));
}
XmlFragment Doc::GetXmlFragment(std::string_view name) {
  return XmlFragment(
      Shared::FromIndex(state_.get(), DeclareRoot(*state_, name, TypeKind::kXmlFragment)));
}

std::vector<std::string> Doc::RootNames() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : state_->roots) out.push_back(name);
  return out;
}

StateVector Doc::GetStateVector() const {
  StateVector sv;
  for (std::uint32_t ci = 0; ci < state_->clients.size(); ++ci) {
    sv.Set(state_->clients[ci], state_->structs[ci].state);
  }
  return sv;
}

Subscription Doc::OnUpdate(std::function<void(ByteSpan, const Transaction&)> handler) {
  const std::uint64_t id = state_->next_sub_id++;
  state_->update_handlers.emplace_back(id, std::move(handler));
  return Subscription(state_, id);
}

bool Doc::HasPending() const {
  return !state_->pending_structs.empty() || !state_->pending_ds.empty();
}

Transaction::Transaction(Doc& doc, std::string origin) : doc_(&doc) {
  DocState& d = doc.state();
  if (d.txn != nullptr) {
    state_ = d.txn;
    return;
  }
  owned_ = d.spare_txn != nullptr ? std::move(d.spare_txn) : std::make_unique<internal::TxnState>();
  owned_->origin = std::move(origin);
  state_ = owned_.get();
  internal::BeginTxn(d, *owned_);
}

Transaction::~Transaction() {
  if (owned_ == nullptr) return;
  internal::CommitTxn(doc_->state(), *this);
  doc_->state().spare_txn = std::move(owned_);
}

const std::string& Transaction::origin() const { return state_->origin; }
bool Transaction::local() const { return state_->local; }

Status ApplyUpdate(Transaction& txn, ByteSpan update) {
  CODESPHERE_ASSIGN_OR_RETURN(internal::DUpdate u, internal::DecodeUpdate(update));
  DocState& d = txn.doc().state();
  const bool was_local = d.txn->local;
  d.txn->local = false;
  Status s = internal::IntegrateUpdate(d, u);
  d.txn->local = was_local && d.txn->local;
  return s;
}

Status ApplyUpdate(Doc& doc, ByteSpan update, std::string origin) {
  DocState& d = doc.state();
  if (d.txn != nullptr) {
    Transaction txn(doc);
    return ApplyUpdate(txn, update);
  }
  std::unique_ptr<internal::DUpdate, internal::DUpdateDeleter> u = std::move(d.scratch_update);
  if (u == nullptr) u.reset(new internal::DUpdate());
  CODESPHERE_RETURN_IF_ERROR(internal::DecodeUpdateInto(update, *u));
  Status s;
  {
    Transaction txn(doc, std::move(origin));
    d.txn->local = false;
    s = internal::IntegrateUpdate(d, *u);
  }
  // Keep the buffers only when small: a big load must not pin its decoded copy.
  if (u->structs.capacity() <= 64 && u->text.capacity() <= 1024) d.scratch_update = std::move(u);
  return s;
}

Bytes EncodeStateAsUpdate(const Doc& doc, const StateVector& target) {
  const DocState& d = doc.state();
  lib0::Encoder e;
  internal::WriteStoreStructs(d, e, [&](std::uint64_t c) { return target.Get(c); });
  internal::DeleteSet ds = internal::DeleteSetFromStore(d);
  ds.Write(e);
  Bytes out = e.Take();
  if (d.pending_structs.empty() && d.pending_ds.empty()) return out;
  std::vector<Bytes> parts{out};
  if (!d.pending_ds.empty()) {
    lib0::Encoder pe;
    pe.WriteVarUint(0);
    d.pending_ds.Write(pe);
    parts.push_back(pe.Take());
  }
  if (!d.pending_structs.empty()) {
    auto diff = DiffUpdate(d.pending_structs, target.Encode());
    if (diff.ok()) parts.push_back(std::move(*diff));
  }
  std::vector<ByteSpan> spans(parts.begin(), parts.end());
  auto merged = MergeUpdates(spans);
  return merged.ok() ? std::move(*merged) : out;
}

Bytes EncodeStateVector(const Doc& doc) { return doc.GetStateVector().Encode(); }

}  // namespace codesphere::crdt
