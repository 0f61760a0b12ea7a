// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Shared types (spec §8): Text, Map, Array and the XML types, as lightweight handles into
// a Doc. Indices and lengths are in UTF-16 code units for Text (as in JS Yjs) and elements
// for Array. Handles stay valid while their Doc lives; using one after its type was deleted
// is safe (reads see an empty type, edits insert into the deleted type and are discarded,
// as in Yjs). Edits take the open Transaction of the same Doc; Map/XmlElement setters ignore
// a Transaction of another Doc, the Status-returning ones report kInvalidArgument.
//
// Thread-safety: same as Doc (handles are views into it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesphere/base/any.h"
#include "codesphere/base/status.h"
#include "codesphere/crdt/doc.h"

namespace codesphere::crdt {

// Kind of a shared type; values are the wire type refs (spec §3.6).
enum class TypeKind : std::uint8_t {
  kArray = 0,
  kMap = 1,
  kText = 2,
  kXmlElement = 3,
  kXmlFragment = 4,
  kXmlHook = 5,
  kXmlText = 6,
  kUnknown = 255,  // a root seen on the wire whose kind the application has not declared
};

// Formatting attributes of Text (key -> JSON value; null removes the attribute).
using Attributes = Any::Object;

class Text;
class Map;
class Array;
class XmlFragment;
class XmlElement;
class XmlText;

struct Event;

// Base of all type handles. Default-constructed handles are invalid.
class Shared {
 public:
  Shared() = default;
  bool valid() const { return doc_ != nullptr; }
  TypeKind kind() const;
  // Yjs `toJSON`: Text -> string, Map -> object, Array -> array, XML -> XML string.
  Any ToJson() const;
  // True if this type is nested and its item was deleted.
  bool deleted() const;

  Text AsText() const;
  Map AsMap() const;
  Array AsArray() const;
  XmlFragment AsXmlFragment() const;
  XmlElement AsXmlElement() const;
  XmlText AsXmlText() const;

  // Calls `fn` at the end of every transaction that changed this type itself (Yjs `observe`).
  // The handler must not start a transaction on this doc.
  Subscription Observe(std::function<void(const Event&, const Transaction&)> fn) const;
  // Calls `fn` with the events of this type and of all nested types below it (Yjs
  // `observeDeep`); each event's `path` leads from this type to the event's target.
  Subscription ObserveDeep(
      std::function<void(const std::vector<Event>&, const Transaction&)> fn) const;

  friend bool operator==(const Shared& a, const Shared& b) {
    return a.doc_ == b.doc_ && a.type_ == b.type_;
  }

 protected:
  friend class Doc;
  Shared(internal::DocState* doc, std::uint32_t type) : doc_(doc), type_(type) {}
  internal::DocState* doc_ = nullptr;
  std::uint32_t type_ = 0;

 public:
  // Internal: the type's index in its Doc.
  std::uint32_t type_index() const { return type_; }
  static Shared FromIndex(internal::DocState* doc, std::uint32_t type) { return Shared(doc, type); }
};

// An element of an Array/XmlFragment or a Map value: either a JSON-like value (`any`: lib0
// any values, Uint8Array as binary, embeds, subdocument guids) or a nested type (`shared`).
struct Value {
  Any any;
  Shared shared;
  bool is_shared() const { return shared.valid(); }
};

// How a map key changed in a transaction (Yjs `event.keys`).
struct KeyChange {
  enum class Action { kAdd, kUpdate, kDelete };
  Action action = Action::kAdd;
  Any old_value;  // undefined for kAdd; a nested type's old value is reported as undefined
};

// A change event (Yjs YEvent / YTextEvent / YArrayEvent / YMapEvent).
struct Event {
  Shared target;
  // From the observed type to `target`: map keys as strings, list indices as numbers.
  Any::Array path;
  // List and text changes as a Yjs delta: [{"insert": [...]|"text", "attributes"?},
  // {"retain": n}, {"delete": n}]. Array inserts list the values (nested types as their JSON).
  Any delta;
  // Changed map keys (Y.Map, XmlElement attributes, Y.Text attributes), sorted by key.
  std::vector<std::pair<std::string, KeyChange>> keys;
};

// Y.Text: a string with formatting attributes and embeds.
class Text : public Shared {
 public:
  Text() = default;
  explicit Text(const Shared& s) : Shared(s) {}

  // Length in UTF-16 code units (formats and deleted content do not count).
  std::uint64_t Length() const;
  // The text as UTF-8 (embeds and format markers are skipped; lone surrogates become U+FFFD).
  std::string ToString() const;
  std::u16string ToUtf16() const;

  // Inserts UTF-8 `text` at UTF-16 `index`. Without `attrs` the text inherits the
  // attributes in effect at `index` (Yjs `insert`). Returns kInvalidArgument if `index` >
  // Length() or `text` is not valid UTF-8.
  Status Insert(Transaction& txn, std::uint64_t index, std::string_view text,
                const Attributes* attrs = nullptr);
  Status InsertUtf16(Transaction& txn, std::uint64_t index, std::u16string_view text,
                     const Attributes* attrs = nullptr);
  // Inserts an embed (length 1). Returns kInvalidArgument if `index` > Length().
  Status InsertEmbed(Transaction& txn, std::uint64_t index, const Any& embed,
                     const Attributes* attrs = nullptr);
  // Deletes `len` units from `index`. Returns kInvalidArgument if the range exceeds Length().
  Status Delete(Transaction& txn, std::uint64_t index, std::uint64_t len);
  // Applies `attrs` to [index, index+len) (Yjs `format`). Returns kInvalidArgument if the
  // range exceeds Length().
  Status Format(Transaction& txn, std::uint64_t index, std::uint64_t len, const Attributes& attrs);
  // Yjs `toDelta`: [{insert, attributes?}, ...]; inserts are strings or embeds.
  Any ToDelta() const;
  // Yjs `applyDelta` with ops {insert, attributes?} / {retain, attributes?} / {delete}.
  // Returns kInvalidArgument for malformed ops or ranges beyond the end.
  Status ApplyDelta(Transaction& txn, const Any& delta);
};

// Y.Map: string keys to values; concurrent writes resolve by client id (spec §7.5).
class Map : public Shared {
 public:
  Map() = default;
  explicit Map(const Shared& s) : Shared(s) {}

  std::uint64_t Size() const;
  // Sets `key` to a JSON-like value (binary Any -> ContentBinary, as Yjs does for Uint8Array).
  void Set(Transaction& txn, std::string_view key, const Any& value);
  // Sets `key` to a new nested type of `kind` (XmlElement/XmlHook take `name`); returns it.
  Shared SetType(Transaction& txn, std::string_view key, TypeKind kind, std::string_view name = {});
  // Deletes `key`; no-op if absent.
  void Delete(Transaction& txn, std::string_view key);
  std::optional<Value> Get(std::string_view key) const;
  bool Has(std::string_view key) const;
  // Live keys, sorted.
  std::vector<std::string> Keys() const;
};

// Y.Array: a list of JSON-like values and nested types.
class Array : public Shared {
 public:
  Array() = default;
  explicit Array(const Shared& s) : Shared(s) {}

  std::uint64_t Length() const;
  // Inserts values at `index` (consecutive JSON-like values share one item; binary values
  // get their own). Returns kInvalidArgument if `index` > Length().
  Status Insert(Transaction& txn, std::uint64_t index, const std::vector<Any>& values);
  Status Push(Transaction& txn, const std::vector<Any>& values);
  // Inserts a new nested type at `index` and returns it (invalid handle if out of range).
  Result<Shared> InsertType(Transaction& txn, std::uint64_t index, TypeKind kind,
                            std::string_view name = {});
  // Deletes `len` elements from `index`. Returns kInvalidArgument if out of range.
  Status Delete(Transaction& txn, std::uint64_t index, std::uint64_t len);
  // Element at `index`; nullopt if out of range.
  std::optional<Value> Get(std::uint64_t index) const;
  // Elements [start, end) (clamped).
  std::vector<Value> Slice(std::uint64_t start, std::uint64_t end) const;
};

// Y.XmlFragment: a list of XmlElement / XmlText / XmlHook children.
class XmlFragment : public Shared {
 public:
  XmlFragment() = default;
  explicit XmlFragment(const Shared& s) : Shared(s) {}

  std::uint64_t Length() const;
  Result<XmlElement> InsertElement(Transaction& txn, std::uint64_t index, std::string_view name);
  Result<XmlText> InsertText(Transaction& txn, std::uint64_t index);
  Status Delete(Transaction& txn, std::uint64_t index, std::uint64_t len);
  std::optional<Shared> Get(std::uint64_t index) const;
  // Yjs `toString`: children serialised as XML.
  std::string ToString() const;
};

// Y.XmlElement: a named XmlFragment with string attributes.
class XmlElement : public XmlFragment {
 public:
  XmlElement() = default;
  explicit XmlElement(const Shared& s) : XmlFragment(s) {}
  std::string NodeName() const;
  void SetAttribute(Transaction& txn, std::string_view key, std::string_view value);
  void RemoveAttribute(Transaction& txn, std::string_view key);
  std::optional<std::string> GetAttribute(std::string_view key) const;
  std::vector<std::pair<std::string, std::string>> GetAttributes() const;
};

// Y.XmlText: a Text inside XML.
class XmlText : public Text {
 public:
  XmlText() = default;
  explicit XmlText(const Shared& s) : Text(s) {}
};

// UTF-8 helpers for C++ callers: shared-type offsets are UTF-16 code units (as in JS).
// Converts a byte offset into the UTF-8 string `utf8` to the UTF-16 offset of the same
// position (an offset inside a multi-byte sequence maps to the sequence's start; offsets past
// the end are clamped).
std::uint64_t Utf16OffsetFromUtf8(std::string_view utf8, std::uint64_t byte_offset);
// Converts a UTF-16 offset into `utf8` to a byte offset (an offset between the two halves of
// a surrogate pair maps to the start of the 4-byte sequence; past the end is clamped).
std::uint64_t Utf8OffsetFromUtf16(std::string_view utf8, std::uint64_t utf16_offset);

}  // namespace codesphere::crdt
