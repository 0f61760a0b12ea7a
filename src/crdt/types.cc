// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Shared types: Text (Yjs YText.js: insertText, formatText, deleteText, toDelta), Map
// (typeMapSet/Delete/Get), Array (typeListInsertGenerics/Delete) and the XML types. Plain
// text without format markers takes the B-tree fast path; formatted text walks the list
// exactly as Yjs does, because attribute bookkeeping needs every marker on the way.

#include "codesphere/crdt/types.h"

#include <algorithm>

#include "codesphere/base/status_macros.h"
#include "crdt/store.h"

namespace codesphere::crdt {

using internal::Blob;
using internal::DocState;
using internal::Item;
using internal::kNone;
using internal::TypeRec;

namespace {

// Attribute map with JS Map semantics (insertion order).
using AttrMap = std::vector<std::pair<std::string, Any>>;

const Any* AttrGet(const AttrMap& m, std::string_view k) {
  for (const auto& [key, v] : m) {
    if (key == k) return &v;
  }
  return nullptr;
}
void AttrSet(AttrMap& m, std::string_view k, Any v) {
  for (auto& [key, val] : m) {
    if (key == k) {
      val = std::move(v);
      return;
    }
  }
  m.emplace_back(std::string(k), std::move(v));
}
void AttrDelete(AttrMap& m, std::string_view k) {
  m.erase(std::remove_if(m.begin(), m.end(), [&](auto& p) { return p.first == k; }), m.end());
}
Any AttrGetOrNull(const AttrMap& m, std::string_view k) {
  const Any* v = AttrGet(m, k);
  return v == nullptr || v->is_undefined() ? Any::Null() : *v;
}
bool EqualAttrs(const Any& a, const Any& b) { return a == b; }

Any ParseJsonText(const std::string& s) {
  if (s == "undefined") return Any::Undefined();
  auto v = ParseJson(s);
  return v.ok() ? std::move(*v) : Any::Undefined();
}

const std::string& FormatKey(const DocState& d, std::uint32_t i) {
  return d.blobs[d.items[i].content].texts[0];
}
Any FormatValue(const DocState& d, std::uint32_t i) {
  return ParseJsonText(d.blobs[d.items[i].content].texts[1]);
}

void UpdateCurrentAttributes(const DocState& d, AttrMap& attrs, std::uint32_t fmt) {
  Any v = FormatValue(d, fmt);
  if (v.is_null()) {
    AttrDelete(attrs, FormatKey(d, fmt));
  } else {
    AttrSet(attrs, FormatKey(d, fmt), std::move(v));
  }
}

std::uint32_t NewLocalItem(DocState& d, std::uint32_t parent, std::uint32_t left, std::uint32_t right,
                           std::uint8_t kind, std::uint32_t len) {
  const std::uint32_t i = d.NewItem();
  Item& it = d.items[i];
  it.client = d.own_ci;
  it.clock = d.structs[d.own_ci].state;
  it.len = len;
  it.parent = parent;
  it.kind = kind;
  if (left != kNone) {
    it.origin_client = d.items[left].client;
    it.origin_clock = d.items[left].end() - 1;
  }
  if (right != kNone) {
    it.right_origin_client = d.items[right].client;
    it.right_origin_clock = d.items[right].clock;
  }
  return i;
}

void SplitAt(DocState& d, std::uint32_t i, std::uint64_t diff) {
  const Item& it = d.items[i];
  internal::SplitItem(d, i, diff, d.FindPos(it.client, it.clock));
}

Status CheckTxn(const DocState* d, Transaction& txn) {
  if (&txn.doc().state() != d) return InvalidArgumentError("crdt: transaction of another doc");
  return OkStatus();
}

// Yjs ItemTextListPosition.
struct TextPos {
  std::uint32_t left = kNone;
  std::uint32_t right = kNone;
  std::uint64_t index = 0;
  AttrMap attrs;
};

void Forward(const DocState& d, TextPos& p) {
  const Item& r = d.items[p.right];
  if (r.kind == internal::kFormat) {
    if (!r.deleted()) UpdateCurrentAttributes(d, p.attrs, p.right);
  } else if (!r.deleted()) {
    p.index += r.len;
  }
  p.left = p.right;
  p.right = r.right;
}

// Yjs findPosition (no markers).
TextPos FindPosition(DocState& d, std::uint32_t type, std::uint64_t index) {
  TextPos p;
  p.right = d.types[type].start;
  if (d.types[type].format_count == 0) {
    // Fast path: no format markers, so the attributes are empty.
    if (index == 0) return p;
    auto [x, off] = d.TreeFind(type, index - 1);
    if (off + 1 < d.items[x].len) SplitAt(d, x, off + 1);
    p.left = x;
    p.right = d.items[x].right;
    p.index = index;
    return p;
  }
  std::uint64_t count = index;
  while (p.right != kNone && count > 0) {
    const Item& r = d.items[p.right];
    if (r.kind == internal::kFormat) {
      if (!r.deleted()) UpdateCurrentAttributes(d, p.attrs, p.right);
    } else if (!r.deleted()) {
      if (count < r.len) SplitAt(d, p.right, count);
      const std::uint64_t l = d.items[p.right].len;
      p.index += l;
      count -= l;
    }
    p.left = p.right;
    p.right = d.items[p.right].right;
  }
  return p;
}

std::uint32_t NewFormatBlob(DocState& d, const std::string& key, const Any& value) {
  const std::uint32_t b = d.NewBlob();
  d.blobs[b].texts = {key, ToJson(value)};
  return b;
}

void InsertItemAtPos(DocState& d, std::uint32_t, TextPos& p, std::uint32_t i) {
  internal::IntegrateItem(d, i, p.left, p.right);
  p.right = i;
  Forward(d, p);
}

void MinimizeAttributeChanges(const DocState& d, TextPos& p, const AttrMap& attrs) {
  while (p.right != kNone) {
    const Item& r = d.items[p.right];
    if (r.deleted() ||
        (r.kind == internal::kFormat &&
         EqualAttrs(AttrGetOrNull(attrs, FormatKey(d, p.right)), FormatValue(d, p.right)))) {
      Forward(d, p);
    } else {
      break;
    }
  }
}

AttrMap InsertAttributes(DocState& d, std::uint32_t type, TextPos& p, const AttrMap& attrs) {
  AttrMap negated;
  for (const auto& [key, val] : attrs) {
    Any cur = AttrGetOrNull(p.attrs, key);
    if (!EqualAttrs(cur, val)) {
      AttrSet(negated, key, cur);
      const std::uint32_t i = NewLocalItem(d, type, p.left, p.right, internal::kFormat, 1);
      d.items[i].content = NewFormatBlob(d, key, val);
      InsertItemAtPos(d, type, p, i);
    }
  }
  return negated;
}

void InsertNegatedAttributes(DocState& d, std::uint32_t type, TextPos& p, AttrMap& negated) {
  while (p.right != kNone) {
    const Item& r = d.items[p.right];
    bool skip = r.deleted();
    if (!skip && r.kind == internal::kFormat) {
      const Any* nv = AttrGet(negated, FormatKey(d, p.right));
      skip = nv != nullptr && EqualAttrs(*nv, FormatValue(d, p.right));
    }
    if (!skip) break;
    if (!r.deleted()) AttrDelete(negated, FormatKey(d, p.right));
    Forward(d, p);
  }
  for (const auto& [key, val] : negated) {
    const std::uint32_t i = NewLocalItem(d, type, p.left, p.right, internal::kFormat, 1);
    d.items[i].content = NewFormatBlob(d, key, val);
    InsertItemAtPos(d, type, p, i);
  }
}

// Yjs insertText. `make` creates the content item given (left, right).
template <typename Make>
void InsertContent(DocState& d, std::uint32_t type, TextPos& p, AttrMap attrs, Make make) {
  for (const auto& [key, v] : p.attrs) {
    if (AttrGet(attrs, key) == nullptr) attrs.emplace_back(key, Any::Null());
  }
  MinimizeAttributeChanges(d, p, attrs);
  AttrMap negated = InsertAttributes(d, type, p, attrs);
  const std::uint32_t i = make(p.left, p.right);
  InsertItemAtPos(d, type, p, i);
  InsertNegatedAttributes(d, type, p, negated);
}

// Yjs cleanupFormattingGap.
void CleanupFormattingGap(DocState& d, std::uint32_t start, std::uint32_t curr,
                          const AttrMap& start_attrs, AttrMap& curr_attrs) {
  std::uint32_t end = start;
  std::vector<std::pair<std::string, std::uint32_t>> end_formats;
  while (end != kNone && (!internal::IsCountable(d.items[end].kind) || d.items[end].deleted())) {
    if (!d.items[end].deleted() && d.items[end].kind == internal::kFormat) {
      const std::string& k = FormatKey(d, end);
      bool found = false;
      for (auto& [ek, ei] : end_formats) {
        if (ek == k) {
          ei = end;
          found = true;
        }
      }
      if (!found) end_formats.emplace_back(k, end);
    }
    end = d.items[end].right;
  }
  bool reached = false;
  while (start != end) {
    if (curr == start) reached = true;
    if (!d.items[start].deleted() && d.items[start].kind == internal::kFormat) {
      const std::string key = FormatKey(d, start);
      const Any value = FormatValue(d, start);
      const Any start_val = AttrGetOrNull(start_attrs, key);
      std::uint32_t ef = kNone;
      for (auto& [ek, ei] : end_formats) {
        if (ek == key) ef = ei;
      }
      if (ef != start || start_val == value) {
        internal::DeleteItem(d, start);
        if (!reached && AttrGetOrNull(curr_attrs, key) == value && !(start_val == value)) {
          if (start_val.is_null()) {
            AttrDelete(curr_attrs, key);
          } else {
            AttrSet(curr_attrs, key, start_val);
          }
        }
      }
      if (!reached && !d.items[start].deleted()) UpdateCurrentAttributes(d, curr_attrs, start);
    }
    start = d.items[start].right;
  }
}

AttrMap ToAttrMap(const Attributes* attrs) {
  AttrMap m;
  if (attrs != nullptr) {
    for (const auto& [k, v] : *attrs) m.emplace_back(k, v);
  }
  return m;
}

Any ItemValue(const DocState& d, std::uint32_t i, std::uint64_t k) {
  const Item& it = d.items[i];
  switch (it.kind) {
    case internal::kAny:
      return d.blobs[it.content].values[k];
    case internal::kJson:
      return ParseJsonText(d.blobs[it.content].texts[k]);
    case internal::kBinary:
      return Any(d.blobs[it.content].binary);
    case internal::kEmbed:
      return ParseJsonText(d.blobs[it.content].texts[0]);
    case internal::kDoc:
      return Any(d.blobs[it.content].texts[0]);
    case internal::kString:
      return Any(internal::Utf16ToUtf8(d.text.view(it.content + k, 1)));
    default:
      return Any::Undefined();
  }
}

Value ItemElement(DocState* d, std::uint32_t i, std::uint64_t k) {
  Value v;
  if (d->items[i].kind == internal::kType) {
    v.shared = Shared::FromIndex(d, d->items[i].content);
  } else {
    v.any = ItemValue(*d, i, k);
  }
  return v;
}

Any TypeToJson(DocState* d, std::uint32_t type, int depth);

Any ValueToJson(DocState* d, const Value& v, int depth) {
  if (v.is_shared()) return TypeToJson(d, v.shared.type_index(), depth + 1);
  return v.any;
}

Status ListInsert(DocState& d, std::uint32_t type, std::uint64_t index, const std::vector<Any>& values,
                  std::uint32_t* out_item, std::uint8_t type_ref, std::string_view name) {
  if (index > d.TypeLength(type)) return InvalidArgumentError("crdt: index out of range");
  std::uint32_t left = kNone;
  if (index > 0) {
    auto [x, off] = d.TreeFind(type, index - 1);
    if (off + 1 < d.items[x].len) SplitAt(d, x, off + 1);
    left = x;
  }
  const std::uint32_t right = left == kNone ? d.types[type].start : d.items[left].right;
  std::vector<Any> pack;
  auto flush = [&]() {
    if (pack.empty()) return;
    const std::uint32_t i =
        NewLocalItem(d, type, left, right, internal::kAny, static_cast<std::uint32_t>(pack.size()));
    const std::uint32_t b = d.NewBlob();
    d.blobs[b].values = std::move(pack);
    pack.clear();
    d.items[i].content = b;
    internal::IntegrateItem(d, i, left, right);
    left = i;
  };
  for (const Any& v : values) {
    if (v.is_binary()) {
      flush();
      const std::uint32_t i = NewLocalItem(d, type, left, right, internal::kBinary, 1);
      const std::uint32_t b = d.NewBlob();
      d.blobs[b].binary = v.as_binary();
      d.items[i].content = b;
      internal::IntegrateItem(d, i, left, right);
      left = i;
    } else {
      pack.push_back(v);
    }
  }
  flush();
  if (out_item != nullptr) {
    const std::uint32_t i = NewLocalItem(d, type, left, right, internal::kType, 1);
    d.items[i].content = d.NewType(type_ref, std::string(name), i);
    internal::IntegrateItem(d, i, left, right);
    *out_item = i;
  }
  return OkStatus();
}

Status ListDelete(DocState& d, std::uint32_t type, std::uint64_t index, std::uint64_t len) {
  if (len == 0) return OkStatus();
  if (index + len > d.TypeLength(type)) return InvalidArgumentError("crdt: range out of bounds");
  auto [x, off] = d.TreeFind(type, index);
  if (off > 0) {
    SplitAt(d, x, off);
    x = d.items[x].right;
  }
  std::uint32_t cur = x;
  while (len > 0 && cur != kNone) {
    const Item& it = d.items[cur];
    if (!it.deleted() && internal::IsCountable(it.kind)) {
      if (len < it.len) SplitAt(d, cur, len);
      len -= d.items[cur].len;
      internal::DeleteItem(d, cur);
    }
    cur = d.items[cur].right;
  }
  return OkStatus();
}

std::uint32_t MapSetItem(DocState& d, std::uint32_t type, std::string_view key, std::uint8_t kind,
                         std::uint32_t len) {
  const TypeRec& t = d.types[type];
  auto it = t.map.find(key);
  const std::uint32_t left = it == t.map.end() ? kNone : it->second;
  const std::uint32_t i = NewLocalItem(d, type, left, kNone, kind, len);
  d.items[i].flags |= internal::kFlagMapEntry;
  d.items[i].aux = d.InternKey(key);
  return i;
}

std::string XmlToString(DocState* d, std::uint32_t type, int depth);

Any TypeToJson(DocState* d, std::uint32_t type, int depth) {
  if (depth > 512) return Any::Undefined();
  const TypeRec& t = d->types[type];
  switch (t.type_ref) {
    case 2:  // Text
      return Any(Text(Shared::FromIndex(d, type)).ToString());
    case 1:  // Map
    case 5: {  // XmlHook
      Any::Object obj;
      for (const auto& [key, i] : d->types[type].map) {
        if (d->items[i].deleted()) continue;
        obj.emplace_back(key, ValueToJson(d, ItemElement(d, i, d->items[i].len - 1), depth));
      }
      return Any(std::move(obj));
    }
    case 0: {  // Array
      Any::Array arr;
      for (std::uint32_t i = d->types[type].start; i != kNone; i = d->items[i].right) {
        const Item& it = d->items[i];
        if (it.deleted() || !internal::IsCountable(it.kind)) continue;
        for (std::uint64_t k = 0; k < it.len; ++k) arr.push_back(ValueToJson(d, ItemElement(d, i, k), depth));
      }
      return Any(std::move(arr));
    }
    case 3:
    case 4:
    case 6:
      return Any(XmlToString(d, type, depth));
    default: {
      // Unknown root: show whichever part is populated.
      if (!t.map.empty()) {
        Any::Object obj;
        for (const auto& [key, i] : t.map) {
          if (d->items[i].deleted()) continue;
          obj.emplace_back(key, ValueToJson(d, ItemElement(d, i, d->items[i].len - 1), depth));
        }
        return Any(std::move(obj));
      }
      return Any(Text(Shared::FromIndex(d, type)).ToString());
    }
  }
}

std::string XmlToString(DocState* d, std::uint32_t type, int depth) {
  const TypeRec& t = d->types[type];
  if (depth > 512) return {};
  if (t.type_ref == 6) {
    // Yjs YXmlText.toString: formatting attributes become nested tags.
    std::string out;
    Any delta = Text(Shared::FromIndex(d, type)).ToDelta();
    for (const Any& op : delta.as_array()) {
      const Any* ins = op.Find("insert");
      const Any* attrs = op.Find("attributes");
      std::vector<std::pair<std::string, const Any*>> nodes;
      if (attrs != nullptr) {
        for (const auto& [k, v] : attrs->as_object()) nodes.emplace_back(k, &v);
      }
      std::sort(nodes.begin(), nodes.end(), [](auto& a, auto& b) { return a.first < b.first; });
      for (const auto& [k, v] : nodes) {
        out += "<" + k;
        if (v->is_object()) {
          for (const auto& [ak, av] : v->as_object()) {
            out += " " + ak + "=\"" + (av.is_string() ? av.as_string() : ToJson(av)) + "\"";
          }
        }
        out += ">";
      }
      if (ins != nullptr) out += ins->is_string() ? ins->as_string() : ToJson(*ins);
      for (auto k = nodes.rbegin(); k != nodes.rend(); ++k) out += "</" + k->first + ">";
    }
    return out;
  }
  std::string children;
  for (std::uint32_t i = t.start; i != kNone; i = d->items[i].right) {
    const Item& it = d->items[i];
    if (it.deleted() || it.kind != internal::kType) continue;
    children += XmlToString(d, it.content, depth + 1);
  }
  if (t.type_ref != 3) return children;
  std::vector<std::pair<std::string, std::string>> attrs =
      XmlElement(Shared::FromIndex(d, type)).GetAttributes();
  std::string name = t.name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string out = "<" + name;
  for (const auto& [k, v] : attrs) out += " " + k + "=\"" + v + "\"";
  return out + ">" + children + "</" + name + ">";
}

}  // namespace

namespace {
std::size_t Utf8SeqLen(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }
}  // namespace

std::uint64_t Utf16OffsetFromUtf8(std::string_view utf8, std::uint64_t byte_offset) {
  std::uint64_t units = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::size_t n = Utf8SeqLen(static_cast<unsigned char>(utf8[i]));
    if (i + n > byte_offset) break;
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return units;
}

std::uint64_t Utf8OffsetFromUtf16(std::string_view utf8, std::uint64_t utf16_offset) {
  std::uint64_t units = 0;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const std::size_t n = Utf8SeqLen(static_cast<unsigned char>(utf8[i]));
    const std::uint64_t w = n == 4 ? 2 : 1;
    if (units + w > utf16_offset) break;
    units += w;
    i += n;
  }
  return std::min<std::uint64_t>(i, utf8.size());
}

Any internal::ElementJson(DocState* d, std::uint32_t i, std::uint64_t k) {
  return ValueToJson(d, ItemElement(d, i, k), 0);
}

// ---------------------------------------------------------------------------------------------
// Shared

Subscription Shared::Observe(std::function<void(const Event&, const Transaction&)> fn) const {
  if (doc_ == nullptr) return Subscription();
  const std::uint64_t id = doc_->next_sub_id++;
  doc_->observers.push_back({id, type_, false, std::move(fn), nullptr});
  return Subscription(doc_->weak_from_this(), id);
}

Subscription Shared::ObserveDeep(
    std::function<void(const std::vector<Event>&, const Transaction&)> fn) const {
  if (doc_ == nullptr) return Subscription();
  const std::uint64_t id = doc_->next_sub_id++;
  doc_->observers.push_back({id, type_, true, nullptr, std::move(fn)});
  return Subscription(doc_->weak_from_this(), id);
}

TypeKind Shared::kind() const {
  if (doc_ == nullptr) return TypeKind::kUnknown;
  return static_cast<TypeKind>(doc_->types[type_].type_ref);
}

Any Shared::ToJson() const {
  if (doc_ == nullptr) return Any::Undefined();
  return TypeToJson(doc_, type_, 0);
}

bool Shared::deleted() const {
  if (doc_ == nullptr) return false;
  const TypeRec& t = doc_->types[type_];
  return t.gcd || (t.item != kNone && doc_->items[t.item].deleted());
}

Text Shared::AsText() const { return Text(*this); }
Map Shared::AsMap() const { return Map(*this); }
Array Shared::AsArray() const { return Array(*this); }
XmlFragment Shared::AsXmlFragment() const { return XmlFragment(*this); }
XmlElement Shared::AsXmlElement() const { return XmlElement(*this); }
XmlText Shared::AsXmlText() const { return XmlText(*this); }

// ---------------------------------------------------------------------------------------------
// Text

std::uint64_t Text::Length() const { return doc_->TypeLength(type_); }

std::u16string Text::ToUtf16() const {
  std::u16string out;
  out.reserve(Length());
  for (std::uint32_t i = doc_->types[type_].start; i != kNone; i = doc_->items[i].right) {
    const Item& it = doc_->items[i];
    if (it.kind == internal::kString && !it.deleted()) out.append(doc_->text.view(it.content, it.len));
  }
  return out;
}

std::string Text::ToString() const {
  std::string out;
  std::u16string chunk;
  for (std::uint32_t i = doc_->types[type_].start; i != kNone; i = doc_->items[i].right) {
    const Item& it = doc_->items[i];
    if (it.kind == internal::kString && !it.deleted()) chunk.append(doc_->text.view(it.content, it.len));
  }
  internal::AppendUtf8(out, chunk);
  return out;
}

Status Text::Insert(Transaction& txn, std::uint64_t index, std::string_view text,
                    const Attributes* attrs) {
  if (!lib0::IsValidUtf8(text)) return InvalidArgumentError("crdt: text is not valid UTF-8");
  std::u16string& s16 = doc_->scratch16;
  s16.clear();
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    s16.append(text.begin(), text.end());
  } else {
    s16 = internal::Utf8ToUtf16(text);
  }
  return InsertUtf16(txn, index, s16, attrs);
}

Status Text::InsertUtf16(Transaction& txn, std::uint64_t index, std::u16string_view text,
                         const Attributes* attrs) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  if (index > Length()) return InvalidArgumentError("crdt: index out of range");
  if (text.empty()) return OkStatus();
  if (text.size() > 0xFFFFFFFFull) return InvalidArgumentError("crdt: text too long");
  DocState& d = *doc_;
  TextPos p = FindPosition(d, type_, index);
  AttrMap a = attrs != nullptr ? ToAttrMap(attrs) : p.attrs;
  InsertContent(d, type_, p, std::move(a), [&](std::uint32_t left, std::uint32_t right) {
    const std::uint32_t i =
        NewLocalItem(d, type_, left, right, internal::kString, static_cast<std::uint32_t>(text.size()));
    d.items[i].content = static_cast<std::uint32_t>(d.text.size());
    d.AppendText(text);
    return i;
  });
  return OkStatus();
}

Status Text::InsertEmbed(Transaction& txn, std::uint64_t index, const Any& embed,
                         const Attributes* attrs) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  if (index > Length()) return InvalidArgumentError("crdt: index out of range");
  DocState& d = *doc_;
  TextPos p = FindPosition(d, type_, index);
  AttrMap a = attrs != nullptr ? ToAttrMap(attrs) : p.attrs;
  InsertContent(d, type_, p, std::move(a), [&](std::uint32_t left, std::uint32_t right) {
    const std::uint32_t i = NewLocalItem(d, type_, left, right, internal::kEmbed, 1);
    const std::uint32_t b = d.NewBlob();
    d.blobs[b].texts = {codesphere::ToJson(embed)};
    d.items[i].content = b;
    return i;
  });
  return OkStatus();
}

Status Text::Delete(Transaction& txn, std::uint64_t index, std::uint64_t len) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  if (len == 0) return OkStatus();
  if (index + len > Length()) return InvalidArgumentError("crdt: range out of bounds");
  DocState& d = *doc_;
  if (d.types[type_].format_count == 0) return ListDelete(d, type_, index, len);
  // Yjs deleteText.
  TextPos p = FindPosition(d, type_, index);
  const AttrMap start_attrs = p.attrs;
  const std::uint32_t start = p.right;
  while (len > 0 && p.right != kNone) {
    const Item& r = d.items[p.right];
    if (!r.deleted() && (r.kind == internal::kString || r.kind == internal::kEmbed ||
                         r.kind == internal::kType)) {
      if (len < r.len) SplitAt(d, p.right, len);
      len -= d.items[p.right].len;
      internal::DeleteItem(d, p.right);
    }
    Forward(d, p);
  }
  if (start != kNone) CleanupFormattingGap(d, start, p.right, start_attrs, p.attrs);
  return OkStatus();
}

Status Text::Format(Transaction& txn, std::uint64_t index, std::uint64_t len,
                    const Attributes& attributes) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  if (len == 0) return OkStatus();
  if (index + len > Length()) return InvalidArgumentError("crdt: range out of bounds");
  DocState& d = *doc_;
  TextPos p = FindPosition(d, type_, index);
  if (p.right == kNone) return OkStatus();
  // Yjs formatText.
  AttrMap attrs = ToAttrMap(&attributes);
  MinimizeAttributeChanges(d, p, attrs);
  AttrMap negated = InsertAttributes(d, type_, p, attrs);
  while (p.right != kNone &&
         (len > 0 || (!negated.empty() && (d.items[p.right].deleted() ||
                                            d.items[p.right].kind == internal::kFormat)))) {
    const Item& r = d.items[p.right];
    if (!r.deleted()) {
      if (r.kind == internal::kFormat) {
        const std::string key = FormatKey(d, p.right);
        const Any value = FormatValue(d, p.right);
        const Any* attr = AttrGet(attrs, key);
        if (attr != nullptr) {
          if (EqualAttrs(*attr, value)) {
            AttrDelete(negated, key);
          } else {
            if (len == 0) break;
            AttrSet(negated, key, value);
          }
          internal::DeleteItem(d, p.right);
        } else {
          AttrSet(p.attrs, key, value);
        }
      } else {
        if (len < r.len) SplitAt(d, p.right, len);
        len -= d.items[p.right].len;
      }
    }
    Forward(d, p);
  }
  InsertNegatedAttributes(d, type_, p, negated);
  return OkStatus();
}

Any Text::ToDelta() const {
  const DocState& d = *doc_;
  Any::Array ops;
  AttrMap cur;
  std::u16string str;
  auto attrs_obj = [&]() {
    Any::Object o;
    for (const auto& [k, v] : cur) o.emplace_back(k, v);
    return o;
  };
  auto pack = [&]() {
    if (str.empty()) return;
    Any::Object op;
    op.emplace_back("insert", Any(internal::Utf16ToUtf8(str)));
    if (!cur.empty()) op.emplace_back("attributes", Any(attrs_obj()));
    ops.emplace_back(std::move(op));
    str.clear();
  };
  for (std::uint32_t i = d.types[type_].start; i != kNone; i = d.items[i].right) {
    const Item& it = d.items[i];
    if (it.deleted()) continue;
    switch (it.kind) {
      case internal::kString:
        str.append(d.text.view(it.content, it.len));
        break;
      case internal::kEmbed:
      case internal::kType: {
        pack();
        Any::Object op;
        if (it.kind == internal::kEmbed) {
          op.emplace_back("insert", ItemValue(d, i, 0));
        } else {
          op.emplace_back("insert", TypeToJson(doc_, it.content, 1));
        }
        if (!cur.empty()) op.emplace_back("attributes", Any(attrs_obj()));
        ops.emplace_back(std::move(op));
        break;
      }
      case internal::kFormat:
        pack();
        UpdateCurrentAttributes(d, cur, i);
        break;
      default:
        break;
    }
  }
  pack();
  return Any(std::move(ops));
}

Status Text::ApplyDelta(Transaction& txn, const Any& delta) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  if (!delta.is_array()) return InvalidArgumentError("crdt: delta must be an array");
  // Yjs applyDelta: walk with a position; inserts, retains (optionally formatting) and deletes.
  DocState& d = *doc_;
  std::uint64_t index = 0;
  for (const Any& op : delta.as_array()) {
    if (!op.is_object()) return InvalidArgumentError("crdt: delta op must be an object");
    const Any* attrs_any = op.Find("attributes");
    Attributes attrs;
    if (attrs_any != nullptr) {
      if (!attrs_any->is_object()) return InvalidArgumentError("crdt: attributes must be an object");
      attrs = attrs_any->as_object();
    }
    if (const Any* ins = op.Find("insert")) {
      if (ins->is_string()) {
        // Yjs applyDelta inserts with `op.attributes || {}`: no inheritance.
        CODESPHERE_RETURN_IF_ERROR(Insert(txn, index, ins->as_string(), &attrs));
        index += lib0::Utf16Length(ins->as_string());
      } else {
        CODESPHERE_RETURN_IF_ERROR(InsertEmbed(txn, index, *ins, &attrs));
        index += 1;
      }
    } else if (const Any* ret = op.Find("retain")) {
      if (!ret->is_number() || ret->as_number() < 0) return InvalidArgumentError("crdt: bad retain");
      const auto n = static_cast<std::uint64_t>(ret->as_number());
      if (index + n > Length()) return InvalidArgumentError("crdt: retain beyond end");
      if (attrs_any != nullptr) CODESPHERE_RETURN_IF_ERROR(Format(txn, index, n, attrs));
      index += n;
    } else if (const Any* del = op.Find("delete")) {
      if (!del->is_number() || del->as_number() < 0) return InvalidArgumentError("crdt: bad delete");
      CODESPHERE_RETURN_IF_ERROR(Delete(txn, index, static_cast<std::uint64_t>(del->as_number())));
    } else {
      return InvalidArgumentError("crdt: unknown delta op");
    }
  }
  (void)d;
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Map

std::uint64_t Map::Size() const {
  std::uint64_t n = 0;
  for (const auto& [k, i] : doc_->types[type_].map) n += doc_->items[i].deleted() ? 0 : 1;
  return n;
}

void Map::Set(Transaction& txn, std::string_view key, const Any& value) {
  if (!CheckTxn(doc_, txn).ok()) return;
  DocState& d = *doc_;
  std::uint32_t i;
  if (value.is_binary()) {
    i = MapSetItem(d, type_, key, internal::kBinary, 1);
    const std::uint32_t b = d.NewBlob();
    d.blobs[b].binary = value.as_binary();
    d.items[i].content = b;
  } else {
    i = MapSetItem(d, type_, key, internal::kAny, 1);
    const std::uint32_t b = d.NewBlob();
    d.blobs[b].values = {value};
    d.items[i].content = b;
  }
  const std::uint32_t left = d.items[i].origin_client == kNone
                                 ? kNone
                                 : d.Find(d.items[i].origin_client, d.items[i].origin_clock);
  internal::IntegrateItem(d, i, left, kNone);
}

Shared Map::SetType(Transaction& txn, std::string_view key, TypeKind kind, std::string_view name) {
  if (!CheckTxn(doc_, txn).ok()) return Shared();
  DocState& d = *doc_;
  const std::uint32_t i = MapSetItem(d, type_, key, internal::kType, 1);
  const std::uint32_t t = d.NewType(static_cast<std::uint8_t>(kind), std::string(name), i);
  d.items[i].content = t;
  const std::uint32_t left = d.items[i].origin_client == kNone
                                 ? kNone
                                 : d.Find(d.items[i].origin_client, d.items[i].origin_clock);
  internal::IntegrateItem(d, i, left, kNone);
  return Shared::FromIndex(doc_, t);
}

void Map::Delete(Transaction& txn, std::string_view key) {
  if (!CheckTxn(doc_, txn).ok()) return;
  auto& m = doc_->types[type_].map;
  auto it = m.find(key);
  if (it != m.end()) internal::DeleteItem(*doc_, it->second);
}

std::optional<Value> Map::Get(std::string_view key) const {
  const auto& m = doc_->types[type_].map;
  auto it = m.find(key);
  if (it == m.end() || doc_->items[it->second].deleted()) return std::nullopt;
  return ItemElement(doc_, it->second, doc_->items[it->second].len - 1);
}

bool Map::Has(std::string_view key) const { return Get(key).has_value(); }

std::vector<std::string> Map::Keys() const {
  std::vector<std::string> out;
  for (const auto& [k, i] : doc_->types[type_].map) {
    if (!doc_->items[i].deleted()) out.push_back(k);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Array

std::uint64_t Array::Length() const { return doc_->TypeLength(type_); }

Status Array::Insert(Transaction& txn, std::uint64_t index, const std::vector<Any>& values) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  return ListInsert(*doc_, type_, index, values, nullptr, 0, {});
}

Status Array::Push(Transaction& txn, const std::vector<Any>& values) {
  return Insert(txn, Length(), values);
}

Result<Shared> Array::InsertType(Transaction& txn, std::uint64_t index, TypeKind kind,
                                 std::string_view name) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  std::uint32_t item;
  CODESPHERE_RETURN_IF_ERROR(
      ListInsert(*doc_, type_, index, {}, &item, static_cast<std::uint8_t>(kind), name));
  return Shared::FromIndex(doc_, doc_->items[item].content);
}

Status Array::Delete(Transaction& txn, std::uint64_t index, std::uint64_t len) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  return ListDelete(*doc_, type_, index, len);
}

std::optional<Value> Array::Get(std::uint64_t index) const {
  if (index >= Length()) return std::nullopt;
  auto [x, off] = doc_->TreeFind(type_, index);
  return ItemElement(doc_, x, off);
}

std::vector<Value> Array::Slice(std::uint64_t start, std::uint64_t end) const {
  std::vector<Value> out;
  end = std::min(end, Length());
  if (start >= end) return out;
  auto [x, off] = doc_->TreeFind(type_, start);
  std::uint64_t need = end - start;
  for (std::uint32_t i = x; i != kNone && need > 0; i = doc_->items[i].right) {
    const Item& it = doc_->items[i];
    if (it.deleted() || !internal::IsCountable(it.kind)) continue;
    for (std::uint64_t k = (i == x ? off : 0); k < it.len && need > 0; ++k, --need) {
      out.push_back(ItemElement(doc_, i, k));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML

std::uint64_t XmlFragment::Length() const { return doc_->TypeLength(type_); }

Result<XmlElement> XmlFragment::InsertElement(Transaction& txn, std::uint64_t index,
                                              std::string_view name) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  std::uint32_t item;
  CODESPHERE_RETURN_IF_ERROR(ListInsert(*doc_, type_, index, {}, &item, 3, name));
  return XmlElement(Shared::FromIndex(doc_, doc_->items[item].content));
}

Result<XmlText> XmlFragment::InsertText(Transaction& txn, std::uint64_t index) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  std::uint32_t item;
  CODESPHERE_RETURN_IF_ERROR(ListInsert(*doc_, type_, index, {}, &item, 6, {}));
  return XmlText(Shared::FromIndex(doc_, doc_->items[item].content));
}

Status XmlFragment::Delete(Transaction& txn, std::uint64_t index, std::uint64_t len) {
  CODESPHERE_RETURN_IF_ERROR(CheckTxn(doc_, txn));
  return ListDelete(*doc_, type_, index, len);
}

std::optional<Shared> XmlFragment::Get(std::uint64_t index) const {
  if (index >= Length()) return std::nullopt;
  auto [x, off] = doc_->TreeFind(type_, index);
  if (doc_->items[x].kind != internal::kType) return std::nullopt;
  return Shared::FromIndex(doc_, doc_->items[x].content);
}

std::string XmlFragment::ToString() const { return XmlToString(doc_, type_, 0); }

std::string XmlElement::NodeName() const { return doc_->types[type_].name; }

void XmlElement::SetAttribute(Transaction& txn, std::string_view key, std::string_view value) {
  Map(*this).Set(txn, key, Any(std::string(value)));
}

void XmlElement::RemoveAttribute(Transaction& txn, std::string_view key) {
  Map(*this).Delete(txn, key);
}

std::optional<std::string> XmlElement::GetAttribute(std::string_view key) const {
  auto v = Map(*this).Get(key);
  if (!v.has_value() || v->is_shared()) return std::nullopt;
  return v->any.is_string() ? v->any.as_string() : codesphere::ToJson(v->any);
}

std::vector<std::pair<std::string, std::string>> XmlElement::GetAttributes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& k : Map(*this).Keys()) {
    auto v = GetAttribute(k);
    if (v.has_value()) out.emplace_back(k, *v);
  }
  return out;
}

}  // namespace codesphere::crdt
