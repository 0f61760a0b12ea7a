// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// DocState: arena, per-client chunked struct index and the order-statistic B-tree.

#include "crdt/store.h"

#include <algorithm>
#include <cstring>

#include "codesphere/base/check.h"

namespace codesphere::crdt::internal {
namespace {

constexpr std::size_t kChunkMax = 512;

}  // namespace

DocState::DocState(const DocOptions& opts) : options(opts), client_id(opts.client_id) {
  own_ci = ClientIndex(client_id);
}

std::uint32_t DocState::ClientIndex(std::uint64_t client) {
  auto [it, inserted] = client_index.try_emplace(client, static_cast<std::uint32_t>(clients.size()));
  if (inserted) {
    clients.push_back(client);
    structs.emplace_back();
    if (txn != nullptr) txn->before_state.push_back(0);
  }
  return it->second;
}

void DocState::Unsubscribe(std::uint64_t id) {
  std::erase_if(update_handlers, [&](const auto& h) { return h.first == id; });
  std::erase_if(observers, [&](const Observer& o) { return o.id == id; });
  std::erase_if(after_txn_hooks, [&](const auto& h) { return h.first == id; });
}

std::uint32_t DocState::FindClient(std::uint64_t client) const {
  auto it = client_index.find(client);
  return it == client_index.end() ? kNone : it->second;
}

std::uint64_t DocState::GetState(std::uint64_t client) const {
  std::uint32_t ci = FindClient(client);
  return ci == kNone ? 0 : structs[ci].state;
}

std::uint32_t DocState::InternKey(std::string_view key) {
  auto it = key_index.find(std::string(key));
  if (it != key_index.end()) return it->second;
  std::uint32_t id = static_cast<std::uint32_t>(keys.size());
  keys.emplace_back(key);
  key_index.emplace(std::string(key), id);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Per-client index.

Pos DocState::FindPos(std::uint32_t ci, std::uint64_t clock) const {
  const ClientStructs& cs = structs[ci];
  {
    // Most lookups are at the tail (appends, merges of new structs).
    const std::vector<std::uint32_t>& last = cs.chunks.back();
    if (items[last.back()].clock <= clock) {
      return Pos{static_cast<std::uint32_t>(cs.chunks.size() - 1),
                 static_cast<std::uint32_t>(last.size() - 1)};
    }
  }
  {
    const Pos h = cs.hint;
    if (h.chunk < cs.chunks.size() && h.idx < cs.chunks[h.chunk].size()) {
      const Item& it = items[cs.chunks[h.chunk][h.idx]];
      if (it.clock <= clock && clock < it.clock + it.len) return h;
      Pos n = h;
      if (it.clock <= clock && Next(ci, n)) {
        const Item& x = items[At(ci, n)];
        if (x.clock <= clock && clock < x.clock + x.len) {
          cs.hint = n;
          return n;
        }
      }
    }
  }
  // Last chunk whose start <= clock.
  auto it = std::upper_bound(cs.chunk_start.begin(), cs.chunk_start.end(), clock);
  CODESPHERE_DCHECK(it != cs.chunk_start.begin());
  std::uint32_t c = static_cast<std::uint32_t>(it - cs.chunk_start.begin()) - 1;
  const std::vector<std::uint32_t>& ch = cs.chunks[c];
  // Binary search inside the chunk (Yjs findIndexSS).
  std::size_t lo = 0, hi = ch.size() - 1;
  while (lo < hi) {
    std::size_t mid = (lo + hi + 1) / 2;
    if (items[ch[mid]].clock <= clock) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  cs.hint = Pos{c, static_cast<std::uint32_t>(lo)};
  return cs.hint;
}

bool DocState::Next(std::uint32_t ci, Pos& p) const {
  const ClientStructs& cs = structs[ci];
  if (p.idx + 1 < cs.chunks[p.chunk].size()) {
    ++p.idx;
    return true;
  }
  if (p.chunk + 1 < cs.chunks.size()) {
    ++p.chunk;
    p.idx = 0;
    return true;
  }
  return false;
}

bool DocState::Prev(std::uint32_t ci, Pos& p) const {
  if (p.idx > 0) {
    --p.idx;
    return true;
  }
  if (p.chunk > 0) {
    --p.chunk;
    p.idx = static_cast<std::uint32_t>(structs[ci].chunks[p.chunk].size()) - 1;
    return true;
  }
  return false;
}

void DocState::AddStruct(std::uint32_t item) {
  const Item& it = items[item];
  ClientStructs& cs = structs[it.client];
  CODESPHERE_DCHECK(it.clock == cs.state);
  if (cs.chunks.empty() || cs.chunks.back().size() >= kChunkMax) {
    cs.chunks.emplace_back();
    cs.chunk_start.push_back(it.clock);
  }
  std::vector<std::uint32_t>& ch = cs.chunks.back();
  if (ch.size() == ch.capacity()) ch.reserve(ch.size() + ch.size() / 4 + 8);
  ch.push_back(item);
  cs.state = it.clock + it.len;
}

void DocState::InsertStructAfter(std::uint32_t ci, Pos p, std::uint32_t item) {
  ClientStructs& cs = structs[ci];
  std::vector<std::uint32_t>& ch = cs.chunks[p.chunk];
  if (ch.size() == ch.capacity()) ch.reserve(ch.size() + ch.size() / 4 + 8);
  ch.insert(ch.begin() + p.idx + 1, item);
  if (ch.size() > 2 * kChunkMax) {
    std::vector<std::uint32_t> upper(ch.begin() + kChunkMax, ch.end());
    ch.resize(kChunkMax);
    ch.shrink_to_fit();
    std::uint64_t start = items[upper.front()].clock;
    cs.chunks.insert(cs.chunks.begin() + p.chunk + 1, std::move(upper));
    cs.chunk_start.insert(cs.chunk_start.begin() + p.chunk + 1, start);
  }
}

void DocState::EraseStruct(std::uint32_t ci, Pos p) {
  ClientStructs& cs = structs[ci];
  std::vector<std::uint32_t>& ch = cs.chunks[p.chunk];
  ch.erase(ch.begin() + p.idx);
  if (ch.empty()) {
    cs.chunks.erase(cs.chunks.begin() + p.chunk);
    cs.chunk_start.erase(cs.chunk_start.begin() + p.chunk);
  } else if (p.idx == 0) {
    cs.chunk_start[p.chunk] = items[ch.front()].clock;
  }
}

// ---------------------------------------------------------------------------------------------
// Arena.

std::uint32_t DocState::NewItem() {
  if (!free_items.empty()) {
    std::uint32_t i = free_items.back();
    free_items.pop_back();
    items[i] = Item{};
    return i;
  }
  return items.Append();
}

void DocState::FreeItem(std::uint32_t i) {
  items[i].kind = kSkip;  // marks a free slot
  free_items.push_back(i);
}

void DocState::AppendText(std::u16string_view s) {
  ReserveText(s.size());
  text.append(s);
}

void DocState::ReserveText(std::size_t n) {
  // Grow by 1/8 instead of doubling: the buffer is the largest allocation of a text doc.
  if (text.size() + n > text.capacity()) text.reserve(text.size() + n + text.size() / 8 + 64);
}

void DocState::MaybeCompactText() {
  const std::uint64_t live = text.size() - text_garbage;
  if (text_garbage < 4096 || text_garbage * 8 < live) return;
  TextBuffer fresh;
  fresh.reserve(live + live / 8 + 16);
  for (std::uint32_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    if (it.kind != kString) continue;
    const std::uint32_t off = static_cast<std::uint32_t>(fresh.size());
    fresh.append(text.view(it.content, it.len));
    it.content = off;
  }
  text = std::move(fresh);
  text_garbage = 0;
}

std::uint32_t DocState::NewBlob() {
  if (!free_blobs.empty()) {
    std::uint32_t b = free_blobs.back();
    free_blobs.pop_back();
    return b;
  }
  blobs.emplace_back();
  return static_cast<std::uint32_t>(blobs.size() - 1);
}

void DocState::FreeBlob(std::uint32_t b) {
  blobs[b] = Blob{};
  free_blobs.push_back(b);
}

std::uint32_t DocState::NewType(std::uint8_t type_ref, std::string name, std::uint32_t item) {
  TypeRec t;
  t.type_ref = type_ref;
  t.name = std::move(name);
  t.item = item;
  types.push_back(std::move(t));
  return static_cast<std::uint32_t>(types.size() - 1);
}

std::uint32_t DocState::GetOrCreateRoot(std::string_view name) {
  auto it = roots.find(name);
  if (it != roots.end()) return it->second;
  std::uint32_t t = NewType(kUnknownType, std::string(name), kNone);
  roots.emplace(std::string(name), t);
  return t;
}

std::uint32_t DocState::NewNode(bool leaf) {
  std::uint32_t n;
  if (!free_nodes.empty()) {
    n = free_nodes.back();
    free_nodes.pop_back();
  } else {
    // Grow by 1/4, not by doubling: nodes are a visible share of a document's memory.
    if (nodes.size() == nodes.capacity()) nodes.reserve(nodes.size() + nodes.size() / 4 + 4);
    nodes.emplace_back();
    n = static_cast<std::uint32_t>(nodes.size() - 1);
  }
  Node& node = nodes[n];
  node.parent = kNone;
  node.count = 0;
  node.leaf = leaf;
  node.total = 0;
  return n;
}

void DocState::FreeNode(std::uint32_t n) { free_nodes.push_back(n); }

void DocState::DropContent(std::uint32_t i, std::uint8_t new_kind) {
  Item& it = items[i];
  switch (it.kind) {
    case kString:
      text_garbage += it.len;
      break;
    case kJson:
    case kBinary:
    case kEmbed:
    case kFormat:
    case kAny:
    case kDoc:
      FreeBlob(it.content);
      break;
    default:
      break;
  }
  it.kind = new_kind;
  it.content = 0;
}

// ---------------------------------------------------------------------------------------------
// B-tree. Leaves hold items in list order; `total` is the visible length of a subtree.
// Nodes are split when full and removed when empty (no rebalancing otherwise).

namespace {

int IndexInNode(const Node& n, std::uint32_t child) {
  for (int k = 0; k < n.count; ++k) {
    if (n.child[k] == child) return k;
  }
  return -1;
}

}  // namespace

void DocState::TreeAddWeight(std::uint32_t item, std::int64_t delta) {
  if (delta == 0) return;
  for (std::uint32_t n = items[item].aux; n != kNone; n = nodes[n].parent) {
    nodes[n].total = static_cast<std::uint64_t>(static_cast<std::int64_t>(nodes[n].total) + delta);
  }
}

std::uint32_t DocState::SplitNode(std::uint32_t type, std::uint32_t n, bool appending) {
  if (nodes[n].parent != kNone && nodes[nodes[n].parent].count == kFanout) {
    SplitNode(type, nodes[n].parent, false);
  }
  const std::uint32_t parent = nodes[n].parent;
  const std::uint32_t right = NewNode(nodes[n].leaf);
  Node& ln = nodes[n];
  Node& rn = nodes[right];
  // Appends (loading, typing at the end) keep the left node full instead of half empty.
  const int half = appending ? kFanout - 1 : kFanout / 2;
  rn.count = static_cast<std::uint16_t>(ln.count - half);
  std::memcpy(rn.child, ln.child + half, sizeof(std::uint32_t) * rn.count);
  ln.count = half;
  std::uint64_t moved = 0;
  for (int k = 0; k < rn.count; ++k) {
    const std::uint32_t c = rn.child[k];
    if (rn.leaf) {
      items[c].aux = right;
      moved += items[c].weight();
    } else {
      nodes[c].parent = right;
      moved += nodes[c].total;
    }
  }
  rn.total = moved;
  ln.total -= moved;
  if (parent == kNone) {
    const std::uint32_t root = NewNode(false);
    Node& r = nodes[root];
    r.count = 2;
    r.child[0] = n;
    r.child[1] = right;
    r.total = nodes[n].total + nodes[right].total;
    nodes[n].parent = root;
    nodes[right].parent = root;
    types[type].root = root;
  } else {
    Node& p = nodes[parent];
    const int k = IndexInNode(p, n);
    std::memmove(p.child + k + 2, p.child + k + 1, sizeof(std::uint32_t) * (p.count - k - 1));
    p.child[k + 1] = right;
    ++p.count;
    nodes[right].parent = parent;
  }
  return right;
}

void DocState::TreeInsertAfter(std::uint32_t type, std::uint32_t left, std::uint32_t item) {
  if (left == kNone && types[type].root == kNone) types[type].root = NewNode(true);
  auto locate = [&](std::uint32_t& leaf, int& pos) {
    if (left == kNone) {
      leaf = types[type].root;
      while (!nodes[leaf].leaf) leaf = nodes[leaf].child[0];
      pos = 0;
    } else {
      leaf = items[left].aux;
      pos = IndexInNode(nodes[leaf], left) + 1;
    }
  };
  std::uint32_t leaf;
  int pos;
  locate(leaf, pos);
  if (nodes[leaf].count == kFanout) {
    SplitNode(type, leaf, pos == kFanout);
    locate(leaf, pos);
  }
  Node& l = nodes[leaf];
  std::memmove(l.child + pos + 1, l.child + pos, sizeof(std::uint32_t) * (l.count - pos));
  l.child[pos] = item;
  ++l.count;
  items[item].aux = leaf;
  TreeAddWeight(item, static_cast<std::int64_t>(items[item].weight()));
}

void DocState::TreeRemove(std::uint32_t item) {
  TreeAddWeight(item, -static_cast<std::int64_t>(items[item].weight()));
  std::uint32_t n = items[item].aux;
  std::uint32_t child = item;
  while (true) {
    Node& node = nodes[n];
    int k = IndexInNode(node, child);
    std::memmove(node.child + k, node.child + k + 1, sizeof(std::uint32_t) * (node.count - k - 1));
    --node.count;
    if (node.count == 0 && node.parent == kNone) {
      node.leaf = true;
      node.total = 0;
    }
    if (node.count > 0 || node.parent == kNone) break;
    std::uint32_t parent = node.parent;
    FreeNode(n);
    child = n;
    n = parent;
  }
  items[item].aux = kNone;
}

void DocState::TreeUnlinkFromLeaf(std::uint32_t item) {
  Node& node = nodes[items[item].aux];
  const int k = IndexInNode(node, item);
  std::memmove(node.child + k, node.child + k + 1, sizeof(std::uint32_t) * (node.count - k - 1));
  --node.count;
  items[item].aux = kNone;
}

std::pair<std::uint32_t, std::uint64_t> DocState::TreeFind(std::uint32_t type,
                                                           std::uint64_t index) const {
  std::uint32_t n = types[type].root;
  if (n == kNone) return {kNone, 0};
  while (!nodes[n].leaf) {
    const Node& node = nodes[n];
    int k = 0;
    for (; k < node.count - 1; ++k) {
      std::uint64_t t = nodes[node.child[k]].total;
      if (index < t) break;
      index -= t;
    }
    n = node.child[k];
  }
  const Node& leaf = nodes[n];
  for (int k = 0; k < leaf.count; ++k) {
    std::uint64_t w = items[leaf.child[k]].weight();
    if (index < w) return {leaf.child[k], index};
    index -= w;
  }
  return {kNone, 0};
}

}  // namespace codesphere::crdt::internal
