// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Integration (Yjs `Item.integrate`, `integrateStructs`, `readAndApplyDeleteSet`), splitting,
// deletion, and the end-of-transaction work (GC, merging, update emission; Yjs
// `cleanupTransactions`). See spec §7.

#include <algorithm>
#include <optional>

#include "codesphere/base/check.h"
#include "codesphere/crdt/update.h"
#include "crdt/codec.h"
#include "crdt/store.h"

namespace codesphere::crdt::internal {
namespace {

bool IsHighSurrogate(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }

std::uint32_t LeftmostOfChain(const DocState& d, std::uint32_t type, std::uint32_t key) {
  const TypeRec& t = d.types[type];
  auto it = t.map.find(d.keys[key]);
  if (it == t.map.end()) return kNone;
  std::uint32_t o = it->second;
  while (d.items[o].left != kNone) o = d.items[o].left;
  return o;
}

bool SameOrigin(const Item& a, const Item& b) {
  if (a.origin_client == kNone || b.origin_client == kNone) {
    return a.origin_client == b.origin_client;
  }
  return a.origin_client == b.origin_client && a.origin_clock == b.origin_clock;
}

bool SameRightOrigin(const Item& a, const Item& b) {
  if (a.right_origin_client == kNone || b.right_origin_client == kNone) {
    return a.right_origin_client == b.right_origin_client;
  }
  return a.right_origin_client == b.right_origin_client &&
         a.right_origin_clock == b.right_origin_clock;
}

}  // namespace

std::uint32_t SplitItem(DocState& d, std::uint32_t i, std::uint64_t diff, Pos at) {
  const std::uint32_t r = d.NewItem();
  Item& L = d.items[i];
  Item& R = d.items[r];
  R.client = L.client;
  R.clock = L.clock + diff;
  R.len = static_cast<std::uint32_t>(L.len - diff);
  R.origin_client = L.client;
  R.origin_clock = L.clock + diff - 1;
  R.right_origin_client = L.right_origin_client;
  R.right_origin_clock = L.right_origin_clock;
  R.parent = L.parent;
  R.kind = L.kind;
  R.flags = L.flags;
  switch (L.kind) {
    case kString: {
      R.content = static_cast<std::uint32_t>(L.content + diff);
      if (IsHighSurrogate(d.text[L.content + diff - 1])) {
        d.text[L.content + diff - 1] = 0xFFFD;
        d.text[R.content] = 0xFFFD;
      }
      break;
    }
    case kAny:
    case kJson: {
      const std::uint32_t b = d.NewBlob();
      Blob& lb = d.blobs[d.items[i].content];
      Blob& rb = d.blobs[b];
      if (L.kind == kAny) {
        rb.values.assign(std::make_move_iterator(lb.values.begin() + diff),
                         std::make_move_iterator(lb.values.end()));
        lb.values.resize(diff);
      } else {
        rb.texts.assign(std::make_move_iterator(lb.texts.begin() + diff),
                        std::make_move_iterator(lb.texts.end()));
        lb.texts.resize(diff);
      }
      d.items[r].content = b;
      break;
    }
    default:
      break;
  }
  Item& L2 = d.items[i];
  Item& R2 = d.items[r];
  R2.left = i;
  R2.right = L2.right;
  L2.right = r;
  if (R2.right != kNone) d.items[R2.right].left = r;
  if (R2.map_entry()) {
    R2.aux = L2.aux;
    if (R2.right == kNone) d.types[R2.parent].map[d.keys[R2.aux]] = r;
    L2.len = static_cast<std::uint32_t>(diff);
  } else {
    const std::int64_t wr = static_cast<std::int64_t>(R2.weight());
    L2.len = static_cast<std::uint32_t>(diff);
    d.TreeAddWeight(i, -wr);
    d.TreeInsertAfter(d.items[i].parent, i, r);
  }
  d.InsertStructAfter(d.items[i].client, at, r);
  if (!d.redone.empty()) {
    auto rd = d.redone.find(i);
    if (rd != d.redone.end()) d.redone[r] = {rd->second.first, rd->second.second + diff};
  }
  if (d.txn != nullptr) {
    d.txn->merge_structs.push_back({d.items[r].client, d.items[r].clock});
  }
  return r;
}

std::uint32_t CleanStart(DocState& d, std::uint32_t ci, std::uint64_t clock) {
  Pos p = d.FindPos(ci, clock);
  std::uint32_t s = d.At(ci, p);
  if (d.items[s].clock < clock && d.items[s].kind != kGC) {
    return SplitItem(d, s, clock - d.items[s].clock, p);
  }
  return s;
}

std::uint32_t CleanEnd(DocState& d, std::uint32_t ci, std::uint64_t clock) {
  Pos p = d.FindPos(ci, clock);
  std::uint32_t s = d.At(ci, p);
  if (clock != d.items[s].end() - 1 && d.items[s].kind != kGC) {
    SplitItem(d, s, clock - d.items[s].clock + 1, p);
  }
  return s;
}

void DeleteItem(DocState& d, std::uint32_t first) {
  std::vector<std::uint32_t> work{first};
  while (!work.empty()) {
    const std::uint32_t i = work.back();
    work.pop_back();
    Item& it = d.items[i];
    if (it.deleted()) continue;
    const std::int64_t w = static_cast<std::int64_t>(it.weight());
    it.flags |= kFlagDeleted;
    if (w != 0) d.TreeAddWeight(i, -w);
    d.txn->deletions.push_back({it.client, it.len, it.clock});
    if (d.tracking()) AddChanged(d, it.parent, it.map_entry() ? it.aux : kNone);
    if (it.kind == kType) {
      // Yjs ContentType.delete: delete all children; remember deleted old ones for merging.
      const TypeRec& t = d.types[it.content];
      auto visit = [&](std::uint32_t c) {
        const Item& ci = d.items[c];
        if (!ci.deleted()) {
          work.push_back(c);
        } else if (ci.clock < d.txn->before_state[ci.client]) {
          d.txn->merge_structs.push_back({ci.client, ci.clock});
        }
      };
      for (std::uint32_t c = t.start; c != kNone; c = d.items[c].right) visit(c);
      for (const auto& [key, c] : t.map) visit(c);
    }
  }
}

void IntegrateItem(DocState& d, std::uint32_t i, std::uint32_t left, std::uint32_t right) {
  const std::uint32_t parent = d.items[i].parent;
  const bool sub = d.items[i].map_entry();
  const bool need_scan = (left == kNone && (right == kNone || d.items[right].left != kNone)) ||
                         (left != kNone && d.items[left].right != right);
  if (need_scan) {
    std::uint32_t l = left;
    std::uint32_t o;
    if (left != kNone) {
      o = d.items[left].right;
    } else if (sub) {
      o = LeftmostOfChain(d, parent, d.items[i].aux);
    } else {
      o = d.types[parent].start;
    }
    std::unordered_set<std::uint32_t> conflicting;
    std::unordered_set<std::uint32_t> before_origin;
    const Item& me = d.items[i];
    const std::uint64_t my_client = d.clients[me.client];
    while (o != kNone && o != right) {
      before_origin.insert(o);
      conflicting.insert(o);
      const Item& oi = d.items[o];
      if (SameOrigin(me, oi)) {
        if (d.clients[oi.client] < my_client) {
          l = o;
          conflicting.clear();
        } else if (SameRightOrigin(me, oi)) {
          break;
        }
      } else if (oi.origin_client != kNone) {
        const std::uint32_t oo = d.Find(oi.origin_client, oi.origin_clock);
        if (before_origin.count(oo)) {
          if (!conflicting.count(oo)) {
            l = o;
            conflicting.clear();
          }
        } else {
          break;
        }
      } else {
        break;
      }
      o = oi.right;
    }
    left = l;
  }
  std::uint32_t r;
  if (left != kNone) {
    r = d.items[left].right;
    d.items[left].right = i;
  } else if (sub) {
    r = LeftmostOfChain(d, parent, d.items[i].aux);
  } else {
    r = d.types[parent].start;
    d.types[parent].start = i;
  }
  d.items[i].left = left;
  d.items[i].right = r;
  if (r != kNone) {
    d.items[r].left = i;
  } else if (sub) {
    d.types[parent].map[d.keys[d.items[i].aux]] = i;
    if (left != kNone) DeleteItem(d, left);
  }
  if (d.items[i].kind == kDeleted) d.items[i].flags |= kFlagDeleted;
  if (!sub) d.TreeInsertAfter(parent, left, i);
  d.AddStruct(i);
  const Item& it = d.items[i];
  if (it.kind == kDeleted) {
    d.txn->deletions.push_back({it.client, it.len, it.clock});
  } else if (it.kind == kFormat) {
    d.types[parent].format_count++;
  }
  if (d.tracking()) AddChanged(d, parent, sub ? d.items[i].aux : kNone);
  const std::uint32_t pitem = d.types[parent].item;
  if ((pitem != kNone && (d.types[parent].gcd || d.items[pitem].deleted())) ||
      (sub && d.items[i].right != kNone)) {
    DeleteItem(d, i);
  }
}

// ---------------------------------------------------------------------------------------------
// Remote integration.

namespace {

struct Resolved {
  std::uint32_t left = kNone;
  std::uint32_t right = kNone;
  std::uint32_t parent = kNone;
  std::uint32_t key = kNone;  // interned parentSub
};

// Yjs Item.getMissing, first half: a client whose missing clock blocks `s`.
std::optional<std::uint64_t> MissingClient(const DocState& d, const DStruct& s) {
  if (s.ref == kGC || s.ref == kSkip) return std::nullopt;
  if (s.has_origin && s.origin_client != s.client && s.origin_clock >= d.GetState(s.origin_client)) {
    return s.origin_client;
  }
  if (s.has_right && s.right_client != s.client && s.right_clock >= d.GetState(s.right_client)) {
    return s.right_client;
  }
  if (s.parent_kind == 2 && s.parent_client != s.client &&
      s.parent_clock >= d.GetState(s.parent_client)) {
    return s.parent_client;
  }
  return std::nullopt;
}

// Yjs Item.getMissing, second half: resolve neighbours and parent (may split).
Resolved Resolve(DocState& d, const DUpdate& u, DStruct& s) {
  Resolved r;
  if (s.ref == kGC) return r;
  if (s.has_origin) {
    const std::uint32_t ci = d.ClientIndex(s.origin_client);
    r.left = CleanEnd(d, ci, s.origin_clock);
    s.origin_clock = d.items[r.left].end() - 1;
  }
  if (s.has_right) {
    const std::uint32_t ci = d.ClientIndex(s.right_client);
    r.right = CleanStart(d, ci, s.right_clock);
    s.right_clock = d.items[r.right].clock;
  }
  const bool left_gc = r.left != kNone && d.items[r.left].kind == kGC;
  const bool right_gc = r.right != kNone && d.items[r.right].kind == kGC;
  if (left_gc || right_gc) {
    r.parent = kNone;
  } else if (s.parent_kind == 0) {
    const std::uint32_t from = r.left != kNone ? r.left : r.right;
    if (from != kNone) {
      r.parent = d.items[from].parent;
      if (d.items[from].map_entry()) r.key = d.items[from].aux;
    }
  } else if (s.parent_kind == 2) {
    const std::uint32_t ci = d.FindClient(s.parent_client);
    const std::uint32_t p = d.Find(ci, s.parent_clock);
    if (d.items[p].kind == kType) r.parent = d.items[p].content;
  } else {
    r.parent = d.GetOrCreateRoot(u.strings[s.parent_name]);
    if (s.parent_sub != kNone) r.key = d.InternKey(u.strings[s.parent_sub]);
  }
  if (s.parent_kind == 2 && r.parent != kNone && s.parent_sub != kNone) {
    r.key = d.InternKey(u.strings[s.parent_sub]);
  }
  return r;
}

// Yjs Item.integrate / GC.integrate with `offset`.
void IntegrateStruct(DocState& d, DUpdate& u, DStruct& s, const Resolved& res, std::uint64_t offset) {
  const std::uint32_t ci = d.ClientIndex(s.client);
  const std::uint32_t i = d.NewItem();
  {
    Item& it = d.items[i];
    it.client = ci;
    it.clock = s.clock + offset;
    it.len = static_cast<std::uint32_t>(s.len - offset);
  }
  if (s.ref == kGC || res.parent == kNone) {
    d.items[i].kind = kGC;
    d.AddStruct(i);
    return;
  }
  std::uint32_t left = res.left;
  if (offset > 0) {
    left = CleanEnd(d, ci, s.clock + offset - 1);
  }
  Item& it = d.items[i];
  if (offset > 0) {
    it.origin_client = ci;
    it.origin_clock = s.clock + offset - 1;
  } else if (s.has_origin) {
    it.origin_client = d.ClientIndex(s.origin_client);
    it.origin_clock = s.origin_clock;
  }
  if (s.has_right) {
    d.items[i].right_origin_client = d.ClientIndex(s.right_client);
    d.items[i].right_origin_clock = s.right_clock;
  }
  Item& it2 = d.items[i];
  it2.parent = res.parent;
  if (res.key != kNone) {
    it2.flags |= kFlagMapEntry;
    it2.aux = res.key;
  }
  it2.kind = s.ref;
  switch (s.ref) {
    case kString: {
      it2.content = static_cast<std::uint32_t>(d.text.size());
      std::u16string_view src = std::u16string_view(u.text).substr(s.str + offset, s.len - offset);
      d.AppendText(src);
      if (offset > 0 && IsHighSurrogate(u.text[s.str + offset - 1])) d.text[it2.content] = 0xFFFD;
      break;
    }
    case kAny:
    case kJson: {
      const std::uint32_t b = d.NewBlob();
      Blob& src = u.payloads[s.payload];
      const std::size_t from = s.elem_off + offset;
      const std::size_t to = s.elem_off + s.len;
      if (s.ref == kAny) {
        d.blobs[b].values.assign(std::make_move_iterator(src.values.begin() + from),
                                 std::make_move_iterator(src.values.begin() + to));
      } else {
        d.blobs[b].texts.assign(std::make_move_iterator(src.texts.begin() + from),
                                std::make_move_iterator(src.texts.begin() + to));
      }
      d.items[i].content = b;
      break;
    }
    case kBinary:
    case kEmbed:
    case kFormat:
    case kDoc: {
      const std::uint32_t b = d.NewBlob();
      d.blobs[b] = std::move(u.payloads[s.payload]);
      d.items[i].content = b;
      break;
    }
    case kType: {
      std::string name = s.type_name != kNone ? u.strings[s.type_name] : std::string();
      const std::uint32_t t = d.NewType(s.type_ref, std::move(name), i);
      d.items[i].content = t;
      break;
    }
    default:
      break;
  }
  IntegrateItem(d, i, left, res.right);
}

// Yjs integrateStructs. Returns the structs that could not be integrated (as an update) and
// the missing clocks.
std::optional<std::pair<Bytes, std::map<std::uint64_t, std::uint64_t>>> IntegrateStructs(
    DocState& d, DUpdate& u) {
  if (u.structs.empty()) return std::nullopt;
  // One group per client (the decoder rejects duplicates), sorted by client.
  std::vector<ClientRefs>& refs = d.scratch_refs;
  refs.clear();
  for (std::uint32_t k = 0; k < u.structs.size(); ++k) {
    if (refs.empty() || refs.back().client != u.structs[k].client) {
      refs.push_back({u.structs[k].client, k, k, k});
    }
    refs.back().end = k + 1;
  }
  std::sort(refs.begin(), refs.end(), [](auto& a, auto& b) { return a.client < b.client; });
  auto find_refs = [&](std::uint64_t client) -> ClientRefs* {
    auto it = std::lower_bound(refs.begin(), refs.end(), client,
                               [](const ClientRefs& e, std::uint64_t c) { return e.client < c; });
    return it != refs.end() && it->client == client ? &*it : nullptr;
  };
  // Clients still to process, ascending; the back is processed first.
  std::vector<std::uint64_t>& ids = d.scratch_ids;
  ids.clear();
  for (const ClientRefs& r : refs) ids.push_back(r.client);

  auto next_target = [&]() -> ClientRefs* {
    while (!ids.empty()) {
      ClientRefs& t = *find_refs(ids.back());
      if (t.i < t.end) return &t;
      ids.pop_back();
    }
    return nullptr;
  };
  ClientRefs* cur = next_target();
  if (cur == nullptr) return std::nullopt;

  std::map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>, std::greater<>> rest;
  std::map<std::uint64_t, std::uint64_t> missing_sv;
  auto update_missing = [&](std::uint64_t client, std::uint64_t clock) {
    auto it = missing_sv.find(client);
    if (it == missing_sv.end() || it->second > clock) missing_sv[client] = clock;
  };
  std::vector<std::uint32_t>& stack = d.scratch_stack;
  stack.clear();
  std::vector<std::pair<std::uint64_t, std::uint64_t>>& state = d.scratch_state;  // getState cache
  state.clear();
  auto state_of = [&](std::uint64_t client) -> std::uint64_t& {
    for (auto& e : state) {
      if (e.first == client) return e.second;
    }
    state.emplace_back(client, d.GetState(client));
    return state.back().second;
  };
  std::uint32_t head = cur->i++;

  auto add_stack_to_rest = [&]() {
    for (std::uint32_t sidx : stack) {
      const std::uint64_t client = u.structs[sidx].client;
      ClientRefs* cr = find_refs(client);
      if (cr != nullptr && cr->end > cr->begin) {
        --cr->i;
        rest[client] = {cr->i, cr->end};
        cr->begin = cr->end = cr->i = 0;
      } else {
        rest[client] = {sidx, sidx + 1};
      }
      ids.erase(std::remove(ids.begin(), ids.end(), client), ids.end());
    }
    stack.clear();
  };

  while (true) {
    DStruct& s = u.structs[head];
    if (s.ref != kSkip) {
      const std::uint64_t local_clock = state_of(s.client);
      if (local_clock < s.clock) {
        stack.push_back(head);
        update_missing(s.client, s.clock - 1);
        add_stack_to_rest();
      } else {
        std::optional<std::uint64_t> missing = MissingClient(d, s);
        if (missing.has_value()) {
          stack.push_back(head);
          ClientRefs* mr = find_refs(*missing);
          if (mr == nullptr || mr->i >= mr->end) {
            update_missing(*missing, d.GetState(*missing));
            add_stack_to_rest();
          } else {
            head = mr->i++;
            continue;
          }
        } else {
          const std::uint64_t offset = local_clock - s.clock;
          Resolved res = Resolve(d, u, s);
          if (offset == 0 || offset < s.len) {
            IntegrateStruct(d, u, s, res, offset);
            state_of(s.client) = s.clock + s.len;
          }
        }
      }
    }
    if (!stack.empty()) {
      head = stack.back();
      stack.pop_back();
    } else if (cur != nullptr && cur->i < cur->end) {
      head = cur->i++;
    } else {
      cur = next_target();
      if (cur == nullptr) break;
      head = cur->i++;
    }
  }
  if (rest.empty()) return std::nullopt;
  StructWriter w;
  for (const auto& [client, range] : rest) {
    for (std::uint32_t sidx = range.first; sidx < range.second; ++sidx) w.Write(u, u.structs[sidx], 0);
  }
  lib0::Encoder e;
  w.Finish(e);
  e.WriteVarUint(0);
  return std::make_pair(e.Take(), std::move(missing_sv));
}

// Yjs readAndApplyDeleteSet. Returns the ranges that refer to unknown clocks.
DeleteSet ApplyDeleteSet(DocState& d, const DeleteSet& ds) {
  DeleteSet unapplied;
  for (const auto& [client, ranges] : ds.clients) {
    const std::uint32_t ci = d.FindClient(client);
    const std::uint64_t state = ci == kNone ? 0 : d.structs[ci].state;
    for (const DeleteRange& r : ranges) {
      const std::uint64_t clock = r.clock;
      const std::uint64_t end = r.clock + r.len;
      if (clock >= state) {
        unapplied.Add(client, clock, end - clock);
        continue;
      }
      if (state < end) unapplied.Add(client, state, end - state);
      Pos p = d.FindPos(ci, clock);
      std::uint32_t s = d.At(ci, p);
      if (!d.items[s].deleted() && d.items[s].clock < clock) {
        s = SplitItem(d, s, clock - d.items[s].clock, p);
        p = d.FindPos(ci, clock);
      }
      while (true) {
        s = d.At(ci, p);
        if (d.items[s].clock >= end) break;
        if (!d.items[s].deleted()) {
          if (end < d.items[s].end()) {
            SplitItem(d, s, end - d.items[s].clock, p);
            p = d.FindPos(ci, d.items[s].clock);
          }
          DeleteItem(d, s);
        }
        if (!d.Next(ci, p)) break;
      }
    }
  }
  return unapplied;
}

}  // namespace

Status IntegrateUpdate(DocState& d, DUpdate& first) {
  DUpdate* u = &first;
  DUpdate retry_update;
  // Yjs retries by applying the pending update recursively; we loop instead, so adversarial
  // dependency chains cannot exhaust the stack.
  while (true) {
    bool retry = false;
    d.ReserveText(u->text.size());
    auto rest = IntegrateStructs(d, *u);
    if (!d.pending_structs.empty()) {
      for (const auto& [client, clock] : d.pending_missing) {
        if (clock < d.GetState(client)) {
          retry = true;
          break;
        }
      }
      if (rest.has_value()) {
        for (const auto& [client, clock] : rest->second) {
          auto it = d.pending_missing.find(client);
          if (it == d.pending_missing.end() || it->second > clock) d.pending_missing[client] = clock;
        }
        auto merged = MergeUpdates({ByteSpan(d.pending_structs), ByteSpan(rest->first)});
        if (!merged.ok()) return merged.error();
        d.pending_structs = std::move(*merged);
      }
    } else if (rest.has_value()) {
      d.pending_structs = std::move(rest->first);
      d.pending_missing = std::move(rest->second);
    }
    DeleteSet ds_rest = ApplyDeleteSet(d, u->ds);
    if (!d.pending_ds.empty()) {
      DeleteSet old = std::move(d.pending_ds);
      d.pending_ds = DeleteSet();
      DeleteSet ds_rest2 = ApplyDeleteSet(d, old);
      ds_rest.Merge(ds_rest2);
    } else {
      ds_rest.SortAndMerge();
    }
    d.pending_ds = std::move(ds_rest);
    if (!retry) return OkStatus();
    Bytes pending = std::move(d.pending_structs);
    d.pending_structs.clear();
    d.pending_missing.clear();
    DUpdate next;
    if (!DecodeUpdateInto(pending, next).ok()) return InternalError("crdt: pending structs failed to decode");
    retry_update = std::move(next);
    u = &retry_update;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding from the store.

namespace {

void WriteItem(const DocState& d, lib0::Encoder& e, const Item& it, std::uint64_t offset) {
  if (it.kind == kGC) {
    e.WriteUint8(0);
    e.WriteVarUint(it.len - offset);
    return;
  }
  const bool origin = offset > 0 || it.origin_client != kNone;
  const bool right = it.right_origin_client != kNone;
  e.WriteUint8(static_cast<std::uint8_t>(it.kind | (origin ? 0x80 : 0) | (right ? 0x40 : 0) |
                                         (it.map_entry() ? 0x20 : 0)));
  if (offset > 0) {
    e.WriteVarUint(d.clients[it.client]);
    e.WriteVarUint(it.clock + offset - 1);
  } else if (origin) {
    e.WriteVarUint(d.clients[it.origin_client]);
    e.WriteVarUint(it.origin_clock);
  }
  if (right) {
    e.WriteVarUint(d.clients[it.right_origin_client]);
    e.WriteVarUint(it.right_origin_clock);
  }
  if (!origin && !right) {
    const TypeRec& p = d.types[it.parent];
    if (p.item == kNone) {
      e.WriteVarUint(1);
      e.WriteVarString(p.name);
    } else {
      const Item& pi = d.items[p.item];
      e.WriteVarUint(0);
      e.WriteVarUint(d.clients[pi.client]);
      e.WriteVarUint(pi.clock);
    }
    if (it.map_entry()) e.WriteVarString(d.keys[it.aux]);
  }
  switch (it.kind) {
    case kDeleted:
      e.WriteVarUint(it.len - offset);
      break;
    case kString: {
      std::u16string_view s = d.text.view(it.content + offset, it.len - offset);
      // ASCII fast path.
      bool ascii = true;
      for (char16_t c : s) {
        if (c >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        e.WriteVarUint(s.size());
        for (char16_t c : s) e.WriteUint8(static_cast<std::uint8_t>(c));
      } else {
        std::string utf8;
        AppendUtf8(utf8, s);
        e.WriteVarString(utf8);
      }
      break;
    }
    case kJson: {
      const Blob& b = d.blobs[it.content];
      e.WriteVarUint(it.len - offset);
      for (std::size_t k = offset; k < b.texts.size(); ++k) e.WriteVarString(b.texts[k]);
      break;
    }
    case kAny: {
      const Blob& b = d.blobs[it.content];
      e.WriteVarUint(it.len - offset);
      for (std::size_t k = offset; k < b.values.size(); ++k) WriteAny(e, b.values[k]);
      break;
    }
    case kBinary:
      e.WriteVarUint8Array(d.blobs[it.content].binary);
      break;
    case kEmbed:
      e.WriteVarString(d.blobs[it.content].texts[0]);
      break;
    case kFormat:
      e.WriteVarString(d.blobs[it.content].texts[0]);
      e.WriteVarString(d.blobs[it.content].texts[1]);
      break;
    case kType: {
      const TypeRec& t = d.types[it.content];
      e.WriteVarUint(t.type_ref);
      if (t.type_ref == 3 || t.type_ref == 5) e.WriteVarString(t.name);
      break;
    }
    case kDoc:
      e.WriteVarString(d.blobs[it.content].texts[0]);
      WriteAny(e, d.blobs[it.content].values[0]);
      break;
    default:
      break;
  }
}

}  // namespace

void WriteStoreStructs(const DocState& d, lib0::Encoder& e,
                       const std::function<std::uint64_t(std::uint64_t)>& target) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> todo;  // (client, ci)
  for (std::uint32_t ci = 0; ci < d.clients.size(); ++ci) {
    if (d.structs[ci].state > target(d.clients[ci])) todo.push_back({d.clients[ci], ci});
  }
  std::sort(todo.begin(), todo.end(), [](auto& a, auto& b) { return a.first > b.first; });
  e.WriteVarUint(todo.size());
  for (const auto& [client, ci] : todo) {
    const ClientStructs& cs = d.structs[ci];
    const std::uint64_t clock = target(client);
    Pos p = d.FindPos(ci, clock);
    std::uint64_t count = cs.chunks[p.chunk].size() - p.idx;
    for (std::size_t c = p.chunk + 1; c < cs.chunks.size(); ++c) count += cs.chunks[c].size();
    e.WriteVarUint(count);
    e.WriteVarUint(client);
    e.WriteVarUint(clock);
    const Item& first = d.items[d.At(ci, p)];
    WriteItem(d, e, first, clock - first.clock);
    while (d.Next(ci, p)) WriteItem(d, e, d.items[d.At(ci, p)], 0);
  }
}

DeleteSet DeleteSetFromStore(const DocState& d) {
  DeleteSet ds;
  for (std::uint32_t ci = 0; ci < d.clients.size(); ++ci) {
    const ClientStructs& cs = d.structs[ci];
    std::vector<DeleteRange> ranges;
    bool open = false;
    for (const auto& chunk : cs.chunks) {
      for (std::uint32_t i : chunk) {
        const Item& it = d.items[i];
        if (it.deleted()) {
          if (open) {
            ranges.back().len += it.len;
          } else {
            ranges.push_back({it.clock, it.len});
            open = true;
          }
        } else {
          open = false;
        }
      }
    }
    if (!ranges.empty()) ds.clients[d.clients[ci]] = std::move(ranges);
  }
  return ds;
}

// ---------------------------------------------------------------------------------------------
// End of transaction.

namespace {

// Yjs Item.mergeWith / GC.mergeWith for `a` directly before `b` in the client's structs.
bool TryMerge(DocState& d, std::uint32_t a, std::uint32_t b) {
  Item& A = d.items[a];
  Item& B = d.items[b];
  if (A.deleted() != B.deleted()) return false;
  if (!d.redone.empty() && (d.redone.count(a) || d.redone.count(b))) return false;
  if (A.kind == kGC || B.kind == kGC) {
    if (A.kind != B.kind) return false;
    A.len += B.len;
    return true;
  }
  if (A.kind != B.kind || !IsMergeable(A.kind)) return false;
  if (B.origin_client != A.client || B.origin_clock != A.end() - 1) return false;
  if (A.right != b) return false;
  if (A.right_origin_client != B.right_origin_client) return false;
  if (A.right_origin_client != kNone && A.right_origin_clock != B.right_origin_clock) return false;
  if (A.end() != B.clock) return false;
  if (static_cast<std::uint64_t>(A.len) + B.len > 0xFFFFFFFFull) return false;
  switch (A.kind) {
    case kString:
      if (A.content + A.len != B.content) {
        d.ReserveText(A.len + B.len);
        const std::size_t off = d.text.size();
        d.text.append_self(A.content, A.len);
        d.text.append_self(B.content, B.len);
        d.text_garbage += A.len + B.len;
        d.items[a].content = static_cast<std::uint32_t>(off);
      }
      break;
    case kAny: {
      auto& av = d.blobs[A.content].values;
      auto& bv = d.blobs[B.content].values;
      av.insert(av.end(), std::make_move_iterator(bv.begin()), std::make_move_iterator(bv.end()));
      d.FreeBlob(B.content);
      break;
    }
    case kJson: {
      auto& av = d.blobs[A.content].texts;
      auto& bv = d.blobs[B.content].texts;
      av.insert(av.end(), std::make_move_iterator(bv.begin()), std::make_move_iterator(bv.end()));
      d.FreeBlob(B.content);
      break;
    }
    default:
      break;
  }
  Item& A2 = d.items[a];
  Item& B2 = d.items[b];
  if (B2.flags & kFlagKeep) A2.flags |= kFlagKeep;
  A2.right = B2.right;
  if (A2.right != kNone) d.items[A2.right].left = a;
  if (A2.map_entry()) {
    A2.len += B2.len;
    auto& m = d.types[A2.parent].map;
    auto it = m.find(d.keys[A2.aux]);
    if (it != m.end() && it->second == b) it->second = a;
  } else if (A2.aux == B2.aux) {
    // Same leaf: the subtree totals do not change.
    d.TreeUnlinkFromLeaf(b);
    d.items[a].len += d.items[b].len;
  } else {
    const std::int64_t w = static_cast<std::int64_t>(B2.weight());
    d.TreeRemove(b);
    d.items[a].len += d.items[b].len;
    d.TreeAddWeight(a, w);
  }
  return true;
}

// Yjs tryToMergeWithLefts: merges the struct at `p` into its left neighbours while possible.
// Returns the position of the resulting struct (positions left of `p` stay valid).
Pos MergeWithLefts(DocState& d, std::uint32_t ci, Pos p, int* merged) {
  *merged = 0;
  while (true) {
    Pos lp = p;
    if (!d.Prev(ci, lp)) break;
    const std::uint32_t a = d.At(ci, lp);
    const std::uint32_t b = d.At(ci, p);
    if (!TryMerge(d, a, b)) break;
    d.EraseStruct(ci, p);
    d.FreeItem(b);
    ++*merged;
    p = lp;
  }
  return p;
}

bool IsFirst(Pos p) { return p.chunk == 0 && p.idx == 0; }

void FreeTree(DocState& d, std::uint32_t n) {
  if (n == kNone) return;
  std::vector<std::uint32_t> stack{n};
  while (!stack.empty()) {
    const std::uint32_t x = stack.back();
    stack.pop_back();
    if (!d.nodes[x].leaf) {
      for (int k = 0; k < d.nodes[x].count; ++k) stack.push_back(d.nodes[x].child[k]);
    }
    d.FreeNode(x);
  }
}

// Yjs Item.gc(store, false) including ContentType.gc of all descendants.
void GcItem(DocState& d, std::uint32_t i) {
  std::vector<std::uint32_t> types;
  if (d.items[i].kind == kType) types.push_back(d.items[i].content);
  d.DropContent(i, kDeleted);
  while (!types.empty()) {
    const std::uint32_t t = types.back();
    types.pop_back();
    TypeRec& tr = d.types[t];
    tr.gcd = true;
    std::vector<std::uint32_t> children;
    for (std::uint32_t c = tr.start; c != kNone; c = d.items[c].right) children.push_back(c);
    for (const auto& [key, last] : tr.map) {
      for (std::uint32_t c = last; c != kNone; c = d.items[c].left) children.push_back(c);
    }
    FreeTree(d, tr.root);
    tr.root = kNone;
    tr.start = kNone;
    tr.map.clear();
    for (std::uint32_t c : children) {
      if (d.items[c].kind == kType) types.push_back(d.items[c].content);
      if (d.items[c].kind != kGC) d.DropContent(c, kGC);
      Item& ci = d.items[c];
      ci.flags = 0;
      ci.left = ci.right = kNone;
      ci.parent = kNone;
      ci.aux = kNone;
      ci.origin_client = ci.right_origin_client = kNone;
    }
  }
}

std::uint64_t NextClientId(std::uint64_t id) {
  // splitmix64; deterministic (the module has no randomness, spec §7.8 step 5).
  std::uint64_t z = id + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z & 0xFFFFFFFFull;
}

}  // namespace

void BeginTxn(DocState& d, TxnState& t) {
  t.ds.clients.clear();
  t.deletions.clear();
  t.merge_structs.clear();
  t.changed.clear();
  t.local = true;
  t.before_state.resize(d.clients.size());
  for (std::uint32_t ci = 0; ci < d.clients.size(); ++ci) t.before_state[ci] = d.structs[ci].state;
  d.txn = &t;
}

void CommitTxn(DocState& d, Transaction& txn) {
  TxnState& t = *d.txn;
  for (const TxnState::Deletion& del : t.deletions) t.ds.Add(d.clients[del.ci], del.clock, del.len);
  t.ds.SortAndMerge();
  // Observers, then after-transaction hooks (UndoManager), before GC (Yjs order).
  if (!d.observers.empty() && !t.changed.empty()) DispatchEvents(d, txn);
  if (!d.after_txn_hooks.empty()) {
    auto hooks = d.after_txn_hooks;
    for (auto& [id, h] : hooks) h(txn);
  }
  // GC (Yjs tryGcDeleteSet).
  if (d.options.gc) {
    for (const auto& [client, ranges] : t.ds.clients) {
      const std::uint32_t ci = d.FindClient(client);
      for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
        const std::uint64_t end = r->clock + r->len;
        Pos p = d.FindPos(ci, r->clock);
        while (true) {
          const std::uint32_t s = d.At(ci, p);
          if (d.items[s].clock >= end) break;
          const Item& it = d.items[s];
          if (it.kind != kGC && it.kind != kDeleted && (it.flags & kFlagDeleted) &&
              !(it.flags & kFlagKeep)) {
            GcItem(d, s);
          } else if (it.kind == kDeleted && !(it.flags & kFlagKeep)) {
            // Already content-free.
          }
          if (!d.Next(ci, p)) break;
        }
      }
    }
  }
  // Merge (Yjs tryMergeDeleteSet).
  int merged;
  for (const auto& [client, ranges] : t.ds.clients) {
    const std::uint32_t ci = d.FindClient(client);
    for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
      Pos p = d.FindPos(ci, r->clock + r->len - 1);
      Pos q = p;
      if (d.Next(ci, q)) p = q;
      while (!IsFirst(p) && d.items[d.At(ci, p)].clock >= r->clock) {
        p = MergeWithLefts(d, ci, p, &merged);
        if (!d.Prev(ci, p)) break;
      }
    }
  }
  // Merge new structs of every changed client, right to left.
  for (std::uint32_t ci = 0; ci < d.clients.size(); ++ci) {
    const std::uint64_t before = ci < t.before_state.size() ? t.before_state[ci] : 0;
    if (d.structs[ci].state == before) continue;
    Pos fp = d.FindPos(ci, before);
    if (IsFirst(fp) && !d.Next(ci, fp)) continue;
    const std::uint64_t stop = d.items[d.At(ci, fp)].clock;
    const ClientStructs& cs = d.structs[ci];
    Pos p{static_cast<std::uint32_t>(cs.chunks.size() - 1),
          static_cast<std::uint32_t>(cs.chunks.back().size() - 1)};
    while (d.items[d.At(ci, p)].clock >= stop) {
      p = MergeWithLefts(d, ci, p, &merged);
      if (!d.Prev(ci, p)) break;
    }
  }
  // Merge split points (Yjs _mergeStructs).
  for (auto m = t.merge_structs.rbegin(); m != t.merge_structs.rend(); ++m) {
    const std::uint32_t ci = m->first;
    Pos p = d.FindPos(ci, m->second);
    Pos n = p;
    if (d.Next(ci, n)) {
      MergeWithLefts(d, ci, n, &merged);
      if (merged > 1) continue;
    }
    if (!IsFirst(p)) MergeWithLefts(d, ci, p, &merged);
  }
  if (!t.local && d.structs[d.own_ci].state != t.before_state[d.own_ci]) {
    d.client_id = NextClientId(d.client_id);
    d.own_ci = d.ClientIndex(d.client_id);
  }
  // Emit the update (Yjs writeUpdateMessageFromTransaction).
  bool changed = !t.ds.empty();
  for (std::uint32_t ci = 0; ci < d.clients.size() && !changed; ++ci) {
    const std::uint64_t before = ci < t.before_state.size() ? t.before_state[ci] : 0;
    changed = d.structs[ci].state != before;
  }
  d.MaybeCompactText();
  d.txn = nullptr;
  if (changed && !d.update_handlers.empty()) {
    lib0::Encoder e;
    WriteStoreStructs(d, e, [&](std::uint64_t c) -> std::uint64_t {
      const std::uint32_t ci = d.FindClient(c);
      return ci < t.before_state.size() ? t.before_state[ci] : 0;
    });
    t.ds.Write(e);
    const Bytes update = e.Take();
    auto handlers = d.update_handlers;
    for (auto& [id, h] : handlers) h(update, txn);
  }
}

}  // namespace codesphere::crdt::internal
