// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// UndoManager: a port of Yjs `UndoManager` (afterTransaction capture, popStackItem) and
// `redoItem`. Deleted items in scope get the keep flag so GC leaves their content for redo.

#include "codesphere/crdt/undo_manager.h"

#include <algorithm>
#include <unordered_set>

#include "crdt/store.h"

namespace codesphere::crdt {

using internal::DeleteSet;
using internal::DocState;
using internal::Item;
using internal::kNone;
using internal::Pos;

struct UndoManager::Impl {
  struct StackItem {
    DeleteSet insertions;
    DeleteSet deletions;
  };
  Doc* doc;
  DocState* d;
  std::vector<std::uint32_t> scope;  // type indices
  UndoManagerOptions options;
  std::string origin;
  std::vector<StackItem> undo_stack;
  std::vector<StackItem> redo_stack;
  bool undoing = false;
  bool redoing = false;
  std::uint64_t last_change = 0;
  bool stop_capturing = false;
  std::uint64_t hook_id = 0;

  bool InScope(std::uint32_t item) const {
    // Yjs isParentOf for every scope type.
    std::uint32_t cur = item;
    while (cur != kNone) {
      const std::uint32_t parent = d->items[cur].parent;
      if (parent == kNone) return false;
      for (std::uint32_t s : scope) {
        if (s == parent) return true;
      }
      cur = d->types[parent].item;
    }
    return false;
  }

  bool TypeInScope(std::uint32_t type) const {
    for (std::uint32_t t = type;;) {
      for (std::uint32_t s : scope) {
        if (s == t) return true;
      }
      const std::uint32_t it = d->types[t].item;
      if (it == kNone) return false;
      t = d->items[it].parent;
      if (t == kNone) return false;
    }
  }

  void Keep(std::uint32_t item) {
    while (item != kNone && !(d->items[item].flags & internal::kFlagKeep)) {
      d->items[item].flags |= internal::kFlagKeep;
      const std::uint32_t parent = d->items[item].parent;
      item = parent == kNone ? kNone : d->types[parent].item;
    }
  }

  // Yjs iterateDeletedStructs (splits at the range boundaries).
  template <typename F>
  void IterateDeleted(const DeleteSet& ds, F f) {
    for (const auto& [client, ranges] : ds.clients) {
      const std::uint32_t ci = d->FindClient(client);
      if (ci == kNone) continue;
      for (const auto& r : ranges) {
        const std::uint64_t end = std::min(r.clock + r.len, d->structs[ci].state);
        if (r.clock >= end) continue;
        internal::CleanStart(*d, ci, r.clock);
        if (end < d->structs[ci].state) internal::CleanStart(*d, ci, end);
        std::vector<std::uint32_t> list;
        Pos p = d->FindPos(ci, r.clock);
        do {
          const std::uint32_t s = d->At(ci, p);
          if (d->items[s].clock >= end) break;
          list.push_back(s);
        } while (d->Next(ci, p));
        for (std::uint32_t s : list) f(s);
      }
    }
  }

  static bool DsHas(const DeleteSet& ds, std::uint64_t client, std::uint64_t clock) {
    auto it = ds.clients.find(client);
    if (it == ds.clients.end()) return false;
    for (const auto& r : it->second) {
      if (clock >= r.clock && clock < r.clock + r.len) return true;
    }
    return false;
  }

  // Yjs followRedone.
  std::pair<std::uint32_t, std::uint64_t> FollowRedone(std::uint32_t ci, std::uint64_t clock) {
    std::uint64_t diff = 0;
    std::uint32_t item;
    while (true) {
      clock += diff;
      item = d->Find(ci, clock);
      diff = clock - d->items[item].clock;
      auto r = d->redone.find(item);
      if (r == d->redone.end() || d->items[item].kind == internal::kGC) break;
      ci = r->second.first;
      clock = r->second.second;
    }
    return {item, diff};
  }

  std::uint32_t CopyContent(std::uint32_t src, std::uint32_t dst) {
    const Item s = d->items[src];
    Item& t = d->items[dst];
    t.kind = s.kind;
    switch (s.kind) {
      case internal::kString: {
        std::u16string copy(d->text.view(s.content, s.len));
        d->items[dst].content = static_cast<std::uint32_t>(d->text.size());
        d->AppendText(copy);
        break;
      }
      case internal::kAny:
      case internal::kJson:
      case internal::kBinary:
      case internal::kEmbed:
      case internal::kFormat:
      case internal::kDoc: {
        const std::uint32_t b = d->NewBlob();
        d->blobs[b] = d->blobs[s.content];
        d->items[dst].content = b;
        break;
      }
      case internal::kType: {
        const internal::TypeRec& tr = d->types[s.content];
        const std::uint32_t nt = d->NewType(tr.type_ref, tr.name, dst);
        d->items[dst].content = nt;
        break;
      }
      default:
        break;
    }
    return dst;
  }

  // Yjs redoItem.
  std::uint32_t RedoItem(std::uint32_t item, const std::unordered_set<std::uint32_t>& redo_items,
                         const DeleteSet& items_to_delete) {
    auto rd = d->redone.find(item);
    if (rd != d->redone.end()) return internal::CleanStart(*d, rd->second.first, rd->second.second);
    std::uint32_t parent_item = d->types[d->items[item].parent].item;
    if (parent_item != kNone && d->items[parent_item].deleted()) {
      if (d->redone.find(parent_item) == d->redone.end() &&
          (!redo_items.count(parent_item) || RedoItem(parent_item, redo_items, items_to_delete) == kNone)) {
        return kNone;
      }
      for (auto r = d->redone.find(parent_item); r != d->redone.end(); r = d->redone.find(parent_item)) {
        parent_item = internal::CleanStart(*d, r->second.first, r->second.second);
      }
    }
    const std::uint32_t parent_type =
        parent_item == kNone ? d->items[item].parent : d->items[parent_item].content;
    auto parent_of = [&](std::uint32_t x) { return d->types[d->items[x].parent].item; };
    auto trace = [&](std::uint32_t x) -> std::uint32_t {
      while (x != kNone && parent_of(x) != parent_item) {
        auto r = d->redone.find(x);
        x = r == d->redone.end() ? kNone : internal::CleanStart(*d, r->second.first, r->second.second);
      }
      return x;
    };
    std::uint32_t left = kNone;
    std::uint32_t right = kNone;
    if (!d->items[item].map_entry()) {
      left = d->items[item].left;
      right = item;
      while (left != kNone) {
        const std::uint32_t lt = trace(left);
        if (lt != kNone) {
          left = lt;
          break;
        }
        left = d->items[left].left;
      }
      while (right != kNone) {
        const std::uint32_t rt = trace(right);
        if (rt != kNone) {
          right = rt;
          break;
        }
        right = d->items[right].right;
      }
    } else {
      if (d->items[item].right != kNone) {
        left = item;
        while (left != kNone && d->items[left].right != kNone) {
          const std::uint32_t r = d->items[left].right;
          const Item& ri = d->items[r];
          if (!d->redone.count(r) && !DsHas(items_to_delete, d->clients[ri.client], ri.clock)) break;
          left = r;
          for (auto x = d->redone.find(left); x != d->redone.end(); x = d->redone.find(left)) {
            left = internal::CleanStart(*d, x->second.first, x->second.second);
          }
        }
        if (left != kNone && d->items[left].right != kNone) return kNone;
      } else {
        auto& m = d->types[parent_type].map;
        auto it = m.find(d->keys[d->items[item].aux]);
        left = it == m.end() ? kNone : it->second;
      }
    }
    const std::uint32_t n = d->NewItem();
    {
      Item& it = d->items[n];
      const Item& src = d->items[item];
      it.client = d->own_ci;
      it.clock = d->structs[d->own_ci].state;
      it.len = src.len;
      it.parent = parent_type;
      if (src.map_entry()) {
        it.flags |= internal::kFlagMapEntry;
        it.aux = src.aux;
      }
    }
    CopyContent(item, n);
    if (left != kNone) {
      d->items[n].origin_client = d->items[left].client;
      d->items[n].origin_clock = d->items[left].end() - 1;
    }
    if (right != kNone) {
      d->items[n].right_origin_client = d->items[right].client;
      d->items[n].right_origin_clock = d->items[right].clock;
    }
    d->redone[item] = {d->own_ci, d->items[n].clock};
    Keep(n);
    internal::IntegrateItem(*d, n, left, right);
    return n;
  }

  // Yjs popStackItem.
  bool Pop(std::vector<StackItem>& stack) {
    bool result = false;
    Transaction txn(*doc, origin);
    while (!stack.empty() && !result) {
      StackItem si = std::move(stack.back());
      stack.pop_back();
      std::vector<std::uint32_t> to_delete;
      std::unordered_set<std::uint32_t> to_redo;
      std::vector<std::uint32_t> redo_order;
      IterateDeleted(si.insertions, [&](std::uint32_t s) {
        if (d->items[s].kind == internal::kGC) return;
        if (d->redone.count(s)) {
          auto [it, diff] = FollowRedone(d->items[s].client, d->items[s].clock);
          if (diff > 0) it = internal::CleanStart(*d, d->items[it].client, d->items[it].clock + diff);
          s = it;
        }
        if (!d->items[s].deleted() && InScope(s)) to_delete.push_back(s);
      });
      IterateDeleted(si.deletions, [&](std::uint32_t s) {
        const Item& it = d->items[s];
        if (it.kind == internal::kGC || !InScope(s)) return;
        if (DsHas(si.insertions, d->clients[it.client], it.clock)) return;
        if (to_redo.insert(s).second) redo_order.push_back(s);
      });
      bool performed = false;
      for (std::uint32_t s : redo_order) performed = RedoItem(s, to_redo, si.insertions) != kNone || performed;
      for (auto it = to_delete.rbegin(); it != to_delete.rend(); ++it) {
        if (!d->items[*it].deleted()) {
          internal::DeleteItem(*d, *it);
          performed = true;
        }
      }
      result = performed;
    }
    return result;
  }

  void OnTransaction(Transaction& txn) {
    internal::TxnState& t = *d->txn;
    const bool own = txn.origin() == origin;
    if (!own && !options.tracked_origins.count(txn.origin())) return;
    bool touches = false;
    for (const auto& [type, key] : t.changed) {
      if (TypeInScope(type)) {
        touches = true;
        break;
      }
    }
    if (!touches) return;
    std::vector<StackItem>& stack = undoing ? redo_stack : undo_stack;
    if (undoing) {
      stop_capturing = true;
    } else if (!redoing) {
      redo_stack.clear();
    }
    DeleteSet insertions;
    for (std::uint32_t ci = 0; ci < d->clients.size(); ++ci) {
      const std::uint64_t before = ci < t.before_state.size() ? t.before_state[ci] : 0;
      if (d->structs[ci].state > before) insertions.Add(d->clients[ci], before, d->structs[ci].state - before);
    }
    const std::uint64_t now = options.now_ms ? options.now_ms() : 0;
    const bool merge = options.now_ms && !stop_capturing && last_change > 0 &&
                       now - last_change < options.capture_timeout_ms && !stack.empty() && !undoing && !redoing;
    if (merge) {
      stack.back().deletions.Merge(t.ds);
      stack.back().insertions.Merge(insertions);
    } else {
      stack.push_back({std::move(insertions), t.ds});
    }
    stop_capturing = false;
    if (!undoing && !redoing) last_change = now == 0 ? 1 : now;
    for (const auto& [client, ranges] : t.ds.clients) {
      const std::uint32_t ci = d->FindClient(client);
      for (const auto& r : ranges) {
        Pos p = d->FindPos(ci, r.clock);
        do {
          const std::uint32_t s = d->At(ci, p);
          if (d->items[s].clock >= r.clock + r.len) break;
          if (d->items[s].kind != internal::kGC && InScope(s)) Keep(s);
        } while (d->Next(ci, p));
      }
    }
  }
};

UndoManager::UndoManager(Doc& doc, std::vector<Shared> scope, UndoManagerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->doc = &doc;
  impl_->d = &doc.state();
  for (const Shared& s : scope) impl_->scope.push_back(s.type_index());
  impl_->options = std::move(options);
  impl_->hook_id = impl_->d->next_sub_id++;
  impl_->origin = "codesphere.undo#" + std::to_string(impl_->hook_id);
  Impl* impl = impl_.get();
  impl_->d->after_txn_hooks.emplace_back(impl_->hook_id, [impl](Transaction& txn) { impl->OnTransaction(txn); });
}

UndoManager::~UndoManager() { impl_->d->Unsubscribe(impl_->hook_id); }

bool UndoManager::Undo() {
  impl_->undoing = true;
  const bool r = impl_->Pop(impl_->undo_stack);
  impl_->undoing = false;
  return r;
}

bool UndoManager::Redo() {
  impl_->redoing = true;
  const bool r = impl_->Pop(impl_->redo_stack);
  impl_->redoing = false;
  return r;
}

bool UndoManager::CanUndo() const { return !impl_->undo_stack.empty(); }
bool UndoManager::CanRedo() const { return !impl_->redo_stack.empty(); }
void UndoManager::StopCapturing() { impl_->stop_capturing = true; }
void UndoManager::Clear() {
  impl_->undo_stack.clear();
  impl_->redo_stack.clear();
}
const std::string& UndoManager::origin() const { return impl_->origin; }

}  // namespace codesphere::crdt
