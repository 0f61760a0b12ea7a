// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The document store: an arena of run-length items, a per-client index searchable by clock,
// and per-type order-statistic B-trees over the visible (UTF-16) length. Invariants are
// written down in docs/crdt.md; every function here mirrors a Yjs 13.6 function named in
// its comment.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "codesphere/base/any.h"
#include "codesphere/base/bytes.h"
#include "codesphere/base/status.h"
#include "codesphere/crdt/doc.h"
#include "crdt/delete_set.h"

namespace codesphere::crdt {
struct Event;
}  // namespace codesphere::crdt

namespace codesphere::crdt::internal {

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// Content refs as on the wire (spec §3.5); kGC is the GC struct.
enum Kind : std::uint8_t {
  kGC = 0,
  kDeleted = 1,
  kJson = 2,
  kBinary = 3,
  kString = 4,
  kEmbed = 5,
  kFormat = 6,
  kType = 7,
  kAny = 8,
  kDoc = 9,
  kSkip = 10,
};

inline bool IsCountable(std::uint8_t kind) {
  return kind != kGC && kind != kDeleted && kind != kFormat && kind != kSkip;
}
inline bool IsMergeable(std::uint8_t kind) {
  return kind == kString || kind == kAny || kind == kJson || kind == kDeleted;
}

enum ItemFlags : std::uint8_t {
  kFlagDeleted = 1,
  kFlagKeep = 2,
  kFlagMapEntry = 4,  // has a parentSub (aux = key id)
};

// One run of content (Yjs `Item`) or a GC struct. 64 bytes. Clients are indices into
// DocState::clients. For list items `aux` is the B-tree leaf holding the item; for map
// entries it is the interned key id.
struct Item {
  std::uint64_t clock = 0;
  std::uint64_t origin_clock = 0;
  std::uint64_t right_origin_clock = 0;
  std::uint32_t client = 0;
  std::uint32_t origin_client = kNone;
  std::uint32_t right_origin_client = kNone;
  std::uint32_t len = 0;
  std::uint32_t left = kNone;
  std::uint32_t right = kNone;
  std::uint32_t parent = kNone;  // type index
  std::uint32_t content = 0;     // kString: offset in text buffer; kType: type index; else blob
  std::uint32_t aux = kNone;
  std::uint8_t kind = kGC;
  std::uint8_t flags = 0;

  bool deleted() const { return (flags & kFlagDeleted) != 0 || kind == kGC; }
  bool map_entry() const { return (flags & kFlagMapEntry) != 0; }
  std::uint64_t end() const { return clock + len; }
  std::uint64_t weight() const {
    return (flags & kFlagDeleted) == 0 && IsCountable(kind) && !map_entry() ? len : 0;
  }
};

// Content that is neither a string nor deleted nor a type (Yjs ContentAny, ContentJSON,
// ContentBinary, ContentEmbed, ContentFormat, ContentDoc).
struct Blob {
  std::vector<Any> values;         // kAny elements; kDoc: [options]
  std::vector<std::string> texts;  // kJson elements; kEmbed: [json]; kFormat: [key, json]; kDoc: [guid]
  Bytes binary;                    // kBinary
};

// Order-statistic B-tree node. Leaves hold item indices, inner nodes child node indices.
inline constexpr int kFanout = 64;
struct Node {
  std::uint32_t parent = kNone;
  std::uint16_t count = 0;
  bool leaf = true;
  std::uint64_t total = 0;
  std::uint32_t child[kFanout];
};

// Type kinds (spec §3.6), plus kUnknownType for roots not declared yet.
inline constexpr std::uint8_t kUnknownType = 255;

struct TypeRec {
  std::uint32_t item = kNone;  // the Item holding this type's ContentType; kNone for roots
  std::uint8_t type_ref = kUnknownType;
  std::string name;            // root name, or XmlElement nodeName / XmlHook hook name
  std::uint32_t start = kNone; // first item of the list part
  std::uint32_t root = kNone;  // B-tree root node
  std::uint32_t format_count = 0;  // format markers ever integrated (Yjs `_hasFormatting`)
  bool gcd = false;                // the type's item was garbage-collected
  std::map<std::string, std::uint32_t, std::less<>> map;  // key -> rightmost item of chain
};

struct Pos {
  std::uint32_t chunk = 0;
  std::uint32_t idx = 0;
};

// Items of one client in clock order, chunked so that a split inserts in O(chunk).
struct ClientStructs {
  std::vector<std::vector<std::uint32_t>> chunks;
  std::vector<std::uint64_t> chunk_start;
  std::uint64_t state = 0;
  mutable Pos hint;  // last position found (searches are local)
};

struct TxnState;
struct DUpdate;

// The structs of one client in an update: u.structs[begin, end); `i` is the next one.
struct ClientRefs {
  std::uint64_t client;
  std::uint32_t begin;
  std::uint32_t end;
  std::uint32_t i;
};
struct DUpdateDeleter {
  void operator()(DUpdate* u) const;
};

// UTF-16 storage of all ContentString payloads. A vector, not a std::u16string, so that
// reserve() allocates exactly what is asked for (libstdc++ strings double).
class TextBuffer {
 public:
  std::size_t size() const { return buf_.size(); }
  std::size_t capacity() const { return buf_.capacity(); }
  void reserve(std::size_t n) { buf_.reserve(n); }
  char16_t& operator[](std::size_t i) { return buf_[i]; }
  char16_t operator[](std::size_t i) const { return buf_[i]; }
  std::u16string_view view(std::size_t pos, std::size_t len) const {
    return std::u16string_view(buf_.data() + pos, len);
  }
  void append(std::u16string_view s) { buf_.insert(buf_.end(), s.begin(), s.end()); }
  // Appends a copy of [pos, pos+len) of this buffer.
  void append_self(std::size_t pos, std::size_t len) {
    buf_.reserve(buf_.size() + len);
    buf_.insert(buf_.end(), buf_.begin() + pos, buf_.begin() + pos + len);
  }

 private:
  std::vector<char16_t> buf_;
};

// Items in fixed-size blocks: indices stay valid, references survive growth, and there is
// no doubling slack (at most one partly used block).
class ItemArena {
 public:
  static constexpr std::uint32_t kBlockBits = 8;
  static constexpr std::uint32_t kBlock = 1u << kBlockBits;
  Item& operator[](std::uint32_t i) { return blocks_[i >> kBlockBits][i & (kBlock - 1)]; }
  const Item& operator[](std::uint32_t i) const { return blocks_[i >> kBlockBits][i & (kBlock - 1)]; }
  std::uint32_t size() const { return size_; }
  std::uint32_t Append() {
    if ((size_ & (kBlock - 1)) == 0) blocks_.push_back(std::make_unique<Item[]>(kBlock));
    return size_++;
  }

 private:
  std::vector<std::unique_ptr<Item[]>> blocks_;
  std::uint32_t size_ = 0;
};

// A registered type observer.
struct Observer {
  std::uint64_t id;
  std::uint32_t type;
  bool deep;
  std::function<void(const Event&, const Transaction&)> shallow;
  std::function<void(const std::vector<Event>&, const Transaction&)> deep_fn;
};

class DocState : public std::enable_shared_from_this<DocState> {
 public:
  explicit DocState(const DocOptions& options);

  // --- clients --------------------------------------------------------------------------
  std::uint32_t ClientIndex(std::uint64_t client);  // interns
  std::uint32_t FindClient(std::uint64_t client) const;  // kNone if unknown
  std::uint64_t GetState(std::uint64_t client) const;
  std::uint64_t StateOf(std::uint32_t ci) const { return structs[ci].state; }

  // --- per-client index (Yjs StructStore) -------------------------------------------------
  Pos FindPos(std::uint32_t ci, std::uint64_t clock) const;  // REQUIRES clock < state
  std::uint32_t At(std::uint32_t ci, Pos p) const { return structs[ci].chunks[p.chunk][p.idx]; }
  bool Next(std::uint32_t ci, Pos& p) const;
  bool Prev(std::uint32_t ci, Pos& p) const;
  std::uint32_t Find(std::uint32_t ci, std::uint64_t clock) const { return At(ci, FindPos(ci, clock)); }
  void AddStruct(std::uint32_t item);
  void InsertStructAfter(std::uint32_t ci, Pos p, std::uint32_t item);
  void EraseStruct(std::uint32_t ci, Pos p);

  // --- sequence B-tree ----------------------------------------------------------------------
  void TreeInsertAfter(std::uint32_t type, std::uint32_t left, std::uint32_t item);
  void TreeRemove(std::uint32_t item);
  // Removes `item` from its leaf without touching totals (REQUIRES: its weight moves to a
  // neighbour in the same leaf, and the leaf keeps another item).
  void TreeUnlinkFromLeaf(std::uint32_t item);
  std::uint32_t SplitNode(std::uint32_t type, std::uint32_t node, bool appending);
  void TreeAddWeight(std::uint32_t item, std::int64_t delta);
  // Item containing visible position `index` (< total) and the offset inside it.
  std::pair<std::uint32_t, std::uint64_t> TreeFind(std::uint32_t type, std::uint64_t index) const;
  std::uint64_t TypeLength(std::uint32_t type) const {
    const TypeRec& t = types[type];
    return t.root == kNone ? 0 : nodes[t.root].total;
  }

  // --- arena --------------------------------------------------------------------------------
  std::uint32_t NewItem();
  void FreeItem(std::uint32_t i);
  std::uint32_t NewBlob();
  void FreeBlob(std::uint32_t b);
  std::uint32_t NewType(std::uint8_t type_ref, std::string name, std::uint32_t item);
  std::uint32_t GetOrCreateRoot(std::string_view name);
  std::uint32_t NewNode(bool leaf);
  void FreeNode(std::uint32_t n);

  // --- content helpers -------------------------------------------------------------------------
  // Releases the content of `i` (blob, string space) and turns it into kDeleted or kGC.
  void DropContent(std::uint32_t i, std::uint8_t new_kind);
  // Rewrites the text buffer without garbage when it has grown mostly garbage.
  void MaybeCompactText();
  void AppendText(std::u16string_view s);  // `s` must not point into `text`
  void ReserveText(std::size_t n);
  std::u16string scratch16;

  DocOptions options;
  std::uint64_t client_id;
  std::uint32_t own_ci;
  std::vector<std::uint64_t> clients;  // ci -> client id
  std::unordered_map<std::uint64_t, std::uint32_t> client_index;
  std::vector<ClientStructs> structs;  // by ci

  ItemArena items;
  std::vector<std::uint32_t> free_items;
  std::vector<Blob> blobs;
  std::vector<std::uint32_t> free_blobs;
  std::vector<Node> nodes;
  std::vector<std::uint32_t> free_nodes;
  std::vector<TypeRec> types;
  std::map<std::string, std::uint32_t, std::less<>> roots;
  TextBuffer text;  // all ContentString payloads, addressed by Item::content
  std::uint64_t text_garbage = 0;
  std::vector<std::string> keys;  // interned map keys
  std::unordered_map<std::string, std::uint32_t> key_index;
  std::uint32_t InternKey(std::string_view key);

  // Pending data (spec §7.2): structs as a v1 update, with the missing clock per client.
  Bytes pending_structs;
  std::map<std::uint64_t, std::uint64_t> pending_missing;
  DeleteSet pending_ds;

  TxnState* txn = nullptr;
  std::unique_ptr<TxnState> spare_txn;  // reused to avoid allocating per transaction
  std::unique_ptr<DUpdate, DUpdateDeleter> scratch_update;  // reused by ApplyUpdate
  // Scratch of integrateStructs (not re-entered: retries run after it returns).
  std::vector<ClientRefs> scratch_refs;
  std::vector<std::uint64_t> scratch_ids;
  std::vector<std::uint32_t> scratch_stack;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> scratch_state;
  std::uint64_t next_sub_id = 1;
  std::vector<std::pair<std::uint64_t, std::function<void(ByteSpan, const Transaction&)>>>
      update_handlers;
  std::vector<Observer> observers;
  // Yjs Item.redone, by item index: the id of the item that redid it (UndoManager).
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::uint64_t>> redone;
  bool tracking() const { return !observers.empty() || !after_txn_hooks.empty(); }
  // Hooks run at the end of every transaction before GC (UndoManager), by subscription id.
  std::vector<std::pair<std::uint64_t, std::function<void(Transaction&)>>> after_txn_hooks;
  void Unsubscribe(std::uint64_t id);
};

// What a transaction recorded (Yjs `Transaction`).
struct TxnState {
  std::vector<std::uint64_t> before_state;  // by ci, at transaction start
  DeleteSet ds;  // built from `deletions` at commit
  struct Deletion {
    std::uint32_t ci;
    std::uint32_t len;
    std::uint64_t clock;
  };
  std::vector<Deletion> deletions;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> merge_structs;  // (ci, clock)
  // Types changed by this transaction with the map key (kNone: the list part); only
  // recorded while observers exist (Yjs transaction.changed).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> changed;
  std::string origin;
  bool local = true;
};

// --- integration primitives (src/crdt/integrate.cc) -------------------------------------------
// Yjs splitItem: splits `i` at `diff` (0 < diff < len); returns the right half.
std::uint32_t SplitItem(DocState& d, std::uint32_t i, std::uint64_t diff, Pos at);
// Yjs getItemCleanStart / getItemCleanEnd.
std::uint32_t CleanStart(DocState& d, std::uint32_t ci, std::uint64_t clock);
std::uint32_t CleanEnd(DocState& d, std::uint32_t ci, std::uint64_t clock);
// Yjs Item.delete.
void DeleteItem(DocState& d, std::uint32_t i);
// Yjs Item.integrate for a new item whose fields are set; `left`/`right` are the resolved
// neighbours (origin and right origin items).
void IntegrateItem(DocState& d, std::uint32_t i, std::uint32_t left, std::uint32_t right);
// The JSON value of element `k` of item `i` (nested types as their ToJson()).
Any ElementJson(DocState* d, std::uint32_t i, std::uint64_t k);
// Yjs addChangedTypeToTransaction.
void AddChanged(DocState& d, std::uint32_t type, std::uint32_t key);
// Builds and dispatches the events of the committing transaction (src/crdt/events.cc).
void DispatchEvents(DocState& d, Transaction& txn);
// True if (client index, clock) is in the transaction's sorted delete set.
bool TxnDeletes(const DocState& d, const TxnState& t, std::uint32_t ci, std::uint64_t clock);
// Starts/ends transactions.
void BeginTxn(DocState& d, TxnState& t);
void CommitTxn(DocState& d, Transaction& txn);
// Encodes structs of the store after `sv` (by ci) plus the delete set `ds` (Yjs writeClientsStructs).
void WriteStoreStructs(const DocState& d, lib0::Encoder& e,
                       const std::function<std::uint64_t(std::uint64_t)>& target);
DeleteSet DeleteSetFromStore(const DocState& d);
// Integrates a decoded update inside the open transaction (Yjs readUpdateV2).
Status IntegrateUpdate(DocState& d, DUpdate& u);

// UTF conversions. Lone surrogates become U+FFFD in UTF-8.
std::u16string Utf8ToUtf16(std::string_view s);
std::string Utf16ToUtf8(std::u16string_view s);
void AppendUtf8(std::string& out, std::u16string_view s);

}  // namespace codesphere::crdt::internal
