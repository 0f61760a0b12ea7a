// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Observer events (Yjs YEvent.changes/keys, YTextEvent.delta, callEventHandlers). Events are
// computed at the end of a transaction, before GC and merging, from the transaction's delete
// set and before-state, as Yjs does.

#include <algorithm>
#include <map>

#include "codesphere/crdt/types.h"
#include "crdt/store.h"

namespace codesphere::crdt::internal {
namespace {

bool Adds(const DocState&, const TxnState& t, const Item& it) {
  return it.client >= t.before_state.size() || it.clock >= t.before_state[it.client];
}

bool Deletes(const DocState& d, const TxnState& t, const Item& it) {
  return TxnDeletes(d, t, it.client, it.clock);
}

const std::string& FormatKeyOf(const DocState& d, const Item& it) { return d.blobs[it.content].texts[0]; }

Any FormatValueOf(const DocState& d, const Item& it) {
  auto v = ParseJson(d.blobs[it.content].texts[1]);
  return v.ok() ? *v : Any::Null();
}

using AttrMap = std::vector<std::pair<std::string, Any>>;
Any Get(const AttrMap& m, const std::string& k) {
  for (const auto& [key, v] : m) {
    if (key == k) return v;
  }
  return Any::Null();
}
bool Has(const AttrMap& m, const std::string& k) {
  for (const auto& [key, v] : m) {
    if (key == k) return true;
  }
  return false;
}
void Set(AttrMap& m, const std::string& k, Any v) {
  for (auto& [key, val] : m) {
    if (key == k) {
      val = std::move(v);
      return;
    }
  }
  m.emplace_back(k, std::move(v));
}
void Erase(AttrMap& m, const std::string& k) {
  m.erase(std::remove_if(m.begin(), m.end(), [&](auto& p) { return p.first == k; }), m.end());
}

// Yjs YTextEvent.delta (without the clean-up side effects).
Any TextDelta(DocState& d, const TxnState& t, std::uint32_t type) {
  Any::Array delta;
  AttrMap current;
  AttrMap old_attrs;
  AttrMap attributes;
  enum class Action { kNone, kInsert, kRetain, kDelete } action = Action::kNone;
  std::u16string insert;
  Any insert_value;
  bool insert_is_value = false;
  std::uint64_t retain = 0;
  std::uint64_t del = 0;
  auto add_op = [&]() {
    if (action == Action::kNone) return;
    Any::Object op;
    switch (action) {
      case Action::kDelete:
        if (del > 0) op.emplace_back("delete", Any(static_cast<double>(del)));
        del = 0;
        break;
      case Action::kInsert:
        if (insert_is_value || !insert.empty()) {
          op.emplace_back("insert", insert_is_value ? insert_value : Any(Utf16ToUtf8(insert)));
          Any::Object attrs;
          for (const auto& [k, v] : current) {
            if (!v.is_null()) attrs.emplace_back(k, v);
          }
          if (!current.empty()) op.emplace_back("attributes", Any(std::move(attrs)));
        }
        insert.clear();
        insert_is_value = false;
        break;
      case Action::kRetain:
        if (retain > 0) {
          op.emplace_back("retain", Any(static_cast<double>(retain)));
          if (!attributes.empty()) {
            Any::Object attrs(attributes.begin(), attributes.end());
            op.emplace_back("attributes", Any(std::move(attrs)));
          }
        }
        retain = 0;
        break;
      default:
        break;
    }
    if (!op.empty()) delta.emplace_back(std::move(op));
    action = Action::kNone;
  };
  for (std::uint32_t i = d.types[type].start; i != kNone; i = d.items[i].right) {
    const Item& it = d.items[i];
    switch (it.kind) {
      case kType:
      case kEmbed:
        if (Adds(d, t, it)) {
          if (!Deletes(d, t, it)) {
            add_op();
            action = Action::kInsert;
            insert_is_value = true;
            insert_value = ElementJson(&d, i, 0);
            add_op();
          }
        } else if (Deletes(d, t, it)) {
          if (action != Action::kDelete) {
            add_op();
            action = Action::kDelete;
          }
          del += 1;
        } else if (!it.deleted()) {
          if (action != Action::kRetain) {
            add_op();
            action = Action::kRetain;
          }
          retain += 1;
        }
        break;
      case kString:
      case kDeleted:
        if (Adds(d, t, it)) {
          if (!Deletes(d, t, it) && it.kind == kString) {
            if (action != Action::kInsert) {
              add_op();
              action = Action::kInsert;
            }
            insert.append(d.text.view(it.content, it.len));
          }
        } else if (Deletes(d, t, it)) {
          if (action != Action::kDelete) {
            add_op();
            action = Action::kDelete;
          }
          del += it.len;
        } else if (!it.deleted()) {
          if (action != Action::kRetain) {
            add_op();
            action = Action::kRetain;
          }
          retain += it.len;
        }
        break;
      case kFormat: {
        const std::string key = FormatKeyOf(d, it);
        const Any value = FormatValueOf(d, it);
        if (Adds(d, t, it)) {
          if (!Deletes(d, t, it)) {
            if (!(Get(current, key) == value)) {
              if (action == Action::kRetain) add_op();
              if (value == Get(old_attrs, key)) {
                Erase(attributes, key);
              } else {
                Set(attributes, key, value);
              }
            }
          }
        } else if (Deletes(d, t, it)) {
          Set(old_attrs, key, value);
          const Any cur = Get(current, key);
          if (!(cur == value)) {
            if (action == Action::kRetain) add_op();
            Set(attributes, key, cur);
          }
        } else if (!it.deleted()) {
          Set(old_attrs, key, value);
          if (Has(attributes, key)) {
            const Any attr = Get(attributes, key);
            if (!(attr == value)) {
              if (action == Action::kRetain) add_op();
              if (value.is_null()) {
                Erase(attributes, key);
              } else {
                Set(attributes, key, value);
              }
            }
          }
        }
        if (!it.deleted()) {
          if (action == Action::kInsert) add_op();
          if (value.is_null()) {
            Erase(current, key);
          } else {
            Set(current, key, value);
          }
        }
        break;
      }
      default:
        break;
    }
  }
  add_op();
  while (!delta.empty()) {
    const Any& last = delta.back();
    if (last.Find("retain") != nullptr && last.Find("attributes") == nullptr) {
      delta.pop_back();
    } else {
      break;
    }
  }
  return Any(std::move(delta));
}

// Yjs YEvent.changes.delta for list types.
Any ListDelta(DocState& d, const TxnState& t, std::uint32_t type) {
  Any::Array delta;
  Any::Object op;
  std::string kind;
  auto pack = [&]() {
    if (!kind.empty()) delta.emplace_back(std::move(op));
    op = Any::Object();
    kind.clear();
  };
  for (std::uint32_t i = d.types[type].start; i != kNone; i = d.items[i].right) {
    const Item& it = d.items[i];
    if (it.deleted()) {
      if (Deletes(d, t, it) && !Adds(d, t, it)) {
        if (kind != "delete") {
          pack();
          kind = "delete";
          op.emplace_back("delete", Any(0.0));
        }
        op[0].second = Any(op[0].second.as_number() + it.len);
      }
    } else if (IsCountable(it.kind)) {
      if (Adds(d, t, it)) {
        if (kind != "insert") {
          pack();
          kind = "insert";
          op.emplace_back("insert", Any(Any::Array()));
        }
        for (std::uint64_t k = 0; k < it.len; ++k) op[0].second.as_array().push_back(ElementJson(&d, i, k));
      } else {
        if (kind != "retain") {
          pack();
          kind = "retain";
          op.emplace_back("retain", Any(0.0));
        }
        op[0].second = Any(op[0].second.as_number() + it.len);
      }
    }
  }
  if (kind != "retain") pack();
  return Any(std::move(delta));
}

Any LastValue(DocState& d, std::uint32_t i) {
  const Item& it = d.items[i];
  if (it.kind == kDeleted || it.kind == kGC || it.kind == kType) return Any::Undefined();
  return ElementJson(&d, i, it.len - 1);
}

// Yjs YEvent.keys.
std::vector<std::pair<std::string, KeyChange>> Keys(DocState& d, const TxnState& t, std::uint32_t type,
                                                   const std::vector<std::uint32_t>& keys) {
  std::vector<std::pair<std::string, KeyChange>> out;
  for (std::uint32_t key : keys) {
    const std::string& name = d.keys[key];
    auto found = d.types[type].map.find(name);
    if (found == d.types[type].map.end()) continue;
    const std::uint32_t i = found->second;
    const Item& it = d.items[i];
    KeyChange c;
    if (Adds(d, t, it)) {
      std::uint32_t prev = it.left;
      while (prev != kNone && Adds(d, t, d.items[prev])) prev = d.items[prev].left;
      const bool prev_deleted = prev != kNone && Deletes(d, t, d.items[prev]);
      if (Deletes(d, t, it)) {
        if (!prev_deleted) continue;
        c.action = KeyChange::Action::kDelete;
        c.old_value = LastValue(d, prev);
      } else if (prev_deleted) {
        c.action = KeyChange::Action::kUpdate;
        c.old_value = LastValue(d, prev);
      } else {
        c.action = KeyChange::Action::kAdd;
      }
    } else if (Deletes(d, t, it)) {
      c.action = KeyChange::Action::kDelete;
      c.old_value = LastValue(d, i);
    } else {
      continue;
    }
    out.emplace_back(name, std::move(c));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

bool TypeDeleted(const DocState& d, std::uint32_t type) {
  const TypeRec& t = d.types[type];
  return t.gcd || (t.item != kNone && d.items[t.item].deleted());
}

// Yjs getPathTo(parent, child).
Any::Array PathTo(const DocState& d, std::uint32_t parent, std::uint32_t child) {
  Any::Array path;
  while (d.types[child].item != kNone && child != parent) {
    const Item& it = d.items[d.types[child].item];
    if (it.map_entry()) {
      path.insert(path.begin(), Any(d.keys[it.aux]));
    } else {
      std::uint64_t idx = 0;
      for (std::uint32_t c = d.types[it.parent].start; c != kNone && c != d.types[child].item; c = d.items[c].right) {
        idx += d.items[c].weight();
      }
      path.insert(path.begin(), Any(static_cast<double>(idx)));
    }
    child = it.parent;
  }
  return path;
}

}  // namespace

bool TxnDeletes(const DocState& d, const TxnState& t, std::uint32_t ci, std::uint64_t clock) {
  auto it = t.ds.clients.find(d.clients[ci]);
  if (it == t.ds.clients.end()) return false;
  const auto& r = it->second;
  auto pos = std::upper_bound(r.begin(), r.end(), clock,
                              [](std::uint64_t c, const DeleteRange& x) { return c < x.clock; });
  if (pos == r.begin()) return false;
  --pos;
  return clock < pos->clock + pos->len;
}

void AddChanged(DocState& d, std::uint32_t type, std::uint32_t key) {
  const TypeRec& t = d.types[type];
  if (t.item != kNone) {
    const Item& it = d.items[t.item];
    if (t.gcd || it.deleted()) return;
    if (it.client < d.txn->before_state.size() && it.clock >= d.txn->before_state[it.client]) return;
    if (it.client >= d.txn->before_state.size()) return;
  }
  d.txn->changed.push_back({type, key});
}

void DispatchEvents(DocState& d, Transaction& txn) {
  TxnState& t = *d.txn;
  std::map<std::uint32_t, std::vector<std::uint32_t>> changed;  // type -> keys (kNone: list)
  for (const auto& [type, key] : t.changed) {
    auto& v = changed[type];
    if (std::find(v.begin(), v.end(), key) == v.end()) v.push_back(key);
  }
  std::map<std::uint32_t, std::vector<Event>> by_ancestor;
  std::vector<Observer> observers = d.observers;  // handlers may unsubscribe
  for (const auto& [type, keys] : changed) {
    if (TypeDeleted(d, type)) continue;
    Event e;
    e.target = Shared::FromIndex(&d, type);
    const bool list_changed = std::find(keys.begin(), keys.end(), kNone) != keys.end();
    std::vector<std::uint32_t> map_keys;
    for (std::uint32_t k : keys) {
      if (k != kNone) map_keys.push_back(k);
    }
    const std::uint8_t ref = d.types[type].type_ref;
    e.delta = !list_changed ? Any(Any::Array()) : (ref == 2 || ref == 6) ? TextDelta(d, t, type) : ListDelta(d, t, type);
    e.keys = Keys(d, t, type, map_keys);
    for (std::uint32_t a = type;;) {
      by_ancestor[a].push_back(e);
      if (d.types[a].item == kNone) break;
      a = d.items[d.types[a].item].parent;
    }
    for (const Observer& o : observers) {
      if (!o.deep && o.type == type) o.shallow(e, txn);
    }
  }
  for (auto& [type, events] : by_ancestor) {
    if (TypeDeleted(d, type)) continue;
    bool any = false;
    for (const Observer& o : observers) any |= o.deep && o.type == type;
    if (!any) continue;
    for (Event& e : events) e.path = PathTo(d, type, e.target.type_index());
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.path.size() < b.path.size(); });
    for (const Observer& o : observers) {
      if (o.deep && o.type == type) o.deep_fn(events, txn);
    }
  }
}

}  // namespace codesphere::crdt::internal
