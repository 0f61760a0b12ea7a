// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// crdt_peer: hosts codesphere::crdt::Doc replicas for the Node interop driver. One command per
// line on stdin, tab-separated, one reply line per command ("ok[\t…]" or "err\t…"):
//
//   new D CLIENT GC            create replica D (GC 0/1)
//   apply D HEX                apply a v1 update (origin "remote"); apply2: a v2 update
//   encode2 D                  EncodeStateAsUpdateV2
//   encode D SVHEX|-           EncodeStateAsUpdate against a state vector
//   sv D                       EncodeStateVector
//   json D                     {"t":delta of Text "t","m":Map "m","arr":Array "arr"}
//   drain D                    hex of the local updates emitted since the last drain ("-": none)
//   ti D FRAC STRJSON [ATTRS]  Text "t" insert at a code-point boundary near FRAC*len
//   td D FRAC LENFRAC          Text "t" delete a code-point aligned range
//   tf D FRAC LENFRAC ATTRS    Text "t" format a code-point aligned range
//   ms D KEYJSON VALUEJSON     Map "m" set;    md D KEYJSON: Map "m" delete
//   ai D FRAC VALUESJSON       Array "arr" insert;  ad D FRAC COUNT: delete
//   at D FRAC map|text         Array "arr" insert a nested type
//   nms D FRAC KEYJSON VALUE   set a key on the first nested map at/after FRAC*len
//   nti D FRAC FRAC2 STRJSON   insert into the first nested text at/after FRAC*len
//   replay D TRACE.json.gz     replay a sequential editing trace into Text "text"
//   text D NAME                the UTF-8 string of Text NAME (JSON string)
//   free D
// The Node side (crdt_interop.mjs) implements the same position rules for Yjs peers.

#include <zlib.h>

#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "codesphere/base/any.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"

namespace {

using codesphere::Any;
using codesphere::Bytes;
using codesphere::ByteSpan;
namespace crdt = codesphere::crdt;

struct Replica {
  std::unique_ptr<crdt::Doc> doc;
  std::vector<Bytes> out;
  crdt::Subscription sub;
  std::vector<crdt::Subscription> observers;
  Any::Array events;
};

const char* ActionName(crdt::KeyChange::Action a) {
  switch (a) {
    case crdt::KeyChange::Action::kAdd:
      return "add";
    case crdt::KeyChange::Action::kUpdate:
      return "update";
    default:
      return "delete";
  }
}

std::map<std::string, std::unique_ptr<Replica>> replicas;

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == '\t') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  f.push_back(cur);
  return f;
}

bool IsHigh(char16_t c) { return c >= 0xD800 && c <= 0xDBFF; }

// Index in [0, len] near frac*len that does not fall inside a surrogate pair.
std::uint64_t Snap(const std::u16string& s, double frac, std::uint64_t len) {
  std::uint64_t i = static_cast<std::uint64_t>(std::floor(frac * static_cast<double>(len)));
  if (i > len) i = len;
  if (i > 0 && i < s.size() && IsHigh(s[i - 1])) --i;
  return i;
}

Any Parse(const std::string& json) {
  auto v = codesphere::ParseJson(json);
  return v.ok() ? *v : Any::Undefined();
}

std::string StrOf(const Any& a) { return a.is_string() ? a.as_string() : std::string(); }

// First nested type of `kind` at or after index (wrapping).
std::optional<crdt::Shared> FindNested(crdt::Array arr, double frac, crdt::TypeKind kind) {
  const std::uint64_t n = arr.Length();
  if (n == 0) return std::nullopt;
  std::uint64_t start = static_cast<std::uint64_t>(std::floor(frac * static_cast<double>(n)));
  if (start >= n) start = n - 1;
  for (std::uint64_t k = 0; k < n; ++k) {
    auto v = arr.Get((start + k) % n);
    if (v.has_value() && v->is_shared() && v->shared.kind() == kind) return v->shared;
  }
  return std::nullopt;
}

std::string Handle(const std::vector<std::string>& f) {
  if (f.size() < 2) return "err\tbad command";
  const std::string& cmd = f[0];
  if (cmd == "new") {
    auto r = std::make_unique<Replica>();
    crdt::DocOptions o;
    o.client_id = std::stoull(f[2]);
    o.gc = f.size() < 4 || f[3] != "0";
    r->doc = std::make_unique<crdt::Doc>(o);
    Replica* raw = r.get();
    r->sub = r->doc->OnUpdate([raw](ByteSpan u, const crdt::Transaction& txn) {
      if (txn.origin() != "remote") raw->out.emplace_back(u.begin(), u.end());
    });
    replicas[f[1]] = std::move(r);
    return "ok";
  }
  auto it = replicas.find(f[1]);
  if (it == replicas.end()) return "err\tno such replica";
  Replica& r = *it->second;
  crdt::Doc& doc = *r.doc;
  if (cmd == "free") {
    replicas.erase(it);
    return "ok";
  }
  if (cmd == "apply") {
    auto b = codesphere::FromHex(f[2]);
    if (!b.ok()) return "err\tbad hex";
    codesphere::Status s = crdt::ApplyUpdate(doc, *b, "remote");
    return s.ok() ? "ok" : "err\t" + std::string(s.message());
  }
  if (cmd == "apply2") {
    auto b = codesphere::FromHex(f[2]);
    if (!b.ok()) return "err\tbad hex";
    codesphere::Status s = crdt::ApplyUpdateV2(doc, *b, "remote");
    return s.ok() ? "ok" : "err\t" + std::string(s.message());
  }
  if (cmd == "encode2") return "ok\t" + codesphere::ToHex(crdt::EncodeStateAsUpdateV2(doc));
  if (cmd == "encode") {
    crdt::StateVector sv;
    if (f.size() > 2 && f[2] != "-") {
      auto b = codesphere::FromHex(f[2]);
      if (!b.ok()) return "err\tbad hex";
      auto d = crdt::StateVector::Decode(*b);
      if (!d.ok()) return "err\tbad sv";
      sv = *d;
    }
    return "ok\t" + codesphere::ToHex(crdt::EncodeStateAsUpdate(doc, sv));
  }
  if (cmd == "sv") return "ok\t" + codesphere::ToHex(crdt::EncodeStateVector(doc));
  if (cmd == "json") {
    Any::Object o;
    o.emplace_back("t", doc.GetText("t").ToDelta());
    o.emplace_back("m", doc.GetMap("m").ToJson());
    o.emplace_back("arr", doc.GetArray("arr").ToJson());
    return "ok\t" + codesphere::ToJson(Any(std::move(o)));
  }
  if (cmd == "observe") {
    for (const char* name : {"t", "m", "arr"}) {
      crdt::Shared type = std::string(name) == "t"   ? crdt::Shared(doc.GetText(name))
                          : std::string(name) == "m" ? crdt::Shared(doc.GetMap(name))
                                                     : crdt::Shared(doc.GetArray(name));
      Replica* raw = &r;
      std::string tname = name;
      r.observers.push_back(type.Observe([raw, tname](const crdt::Event& e, const crdt::Transaction&) {
        Any::Array keys;
        for (const auto& [k, c] : e.keys) {
          keys.push_back(Any(Any::Array{Any(k), Any(ActionName(c.action)),
                                        c.old_value.is_undefined() ? Any::Null() : c.old_value}));
        }
        Any::Object o;
        o.emplace_back("target", Any(tname));
        o.emplace_back("delta", e.delta);
        o.emplace_back("keys", Any(std::move(keys)));
        raw->events.push_back(Any(std::move(o)));
      }));
    }
    return "ok";
  }
  if (cmd == "events") {
    std::string out = codesphere::ToJson(Any(std::move(r.events)));
    r.events.clear();
    return "ok\t" + out;
  }
  if (cmd == "text") return "ok\t" + codesphere::ToJson(Any(doc.GetText(f[2]).ToString()));
  if (cmd == "drain") {
    std::string out;
    for (const Bytes& u : r.out) {
      if (!out.empty()) out += " ";
      out += codesphere::ToHex(u);
    }
    r.out.clear();
    return "ok\t" + (out.empty() ? std::string("-") : out);
  }
  if (cmd == "replay") {
    gzFile gz = gzopen(f[2].c_str(), "rb");
    if (gz == nullptr) return "err\tcannot open trace";
    std::string json;
    char buf[1 << 16];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) json.append(buf, n);
    gzclose(gz);
    Any t = Parse(json);
    crdt::Text text = doc.GetText("text");
    for (const Any& txn : t.Find("txns")->as_array()) {
      for (const Any& p : txn.Find("patches")->as_array()) {
        const auto& a = p.as_array();
        crdt::Transaction tx(doc);
        const auto pos = static_cast<std::uint64_t>(a[0].as_number());
        const auto del = static_cast<std::uint64_t>(a[1].as_number());
        if (del > 0 && !text.Delete(tx, pos, del).ok()) return "err\tdelete failed";
        if (!a[2].as_string().empty() && !text.Insert(tx, pos, a[2].as_string()).ok()) {
          return "err\tinsert failed";
        }
      }
    }
    r.out.clear();
    return "ok";
  }
  crdt::Transaction txn(doc);
  crdt::Text t = doc.GetText("t");
  crdt::Array arr = doc.GetArray("arr");
  if (cmd == "ti") {
    const std::u16string s = t.ToUtf16();
    const std::uint64_t i = Snap(s, std::stod(f[2]), s.size());
    if (f.size() > 4) {
      Any attrs = Parse(f[4]);
      crdt::Attributes a = attrs.is_object() ? attrs.as_object() : crdt::Attributes{};
      return t.Insert(txn, i, StrOf(Parse(f[3])), &a).ok() ? "ok" : "err\tinsert";
    }
    return t.Insert(txn, i, StrOf(Parse(f[3]))).ok() ? "ok" : "err\tinsert";
  }
  if (cmd == "td" || cmd == "tf") {
    const std::u16string s = t.ToUtf16();
    const std::uint64_t a = Snap(s, std::stod(f[2]), s.size());
    std::uint64_t b = Snap(s, std::stod(f[2]) + std::stod(f[3]), s.size());
    if (b <= a) return "ok";
    if (cmd == "td") return t.Delete(txn, a, b - a).ok() ? "ok" : "err\tdelete";
    Any attrs = Parse(f[4]);
    return t.Format(txn, a, b - a, attrs.as_object()).ok() ? "ok" : "err\tformat";
  }
  if (cmd == "ms") {
    doc.GetMap("m").Set(txn, StrOf(Parse(f[2])), Parse(f[3]));
    return "ok";
  }
  if (cmd == "md") {
    doc.GetMap("m").Delete(txn, StrOf(Parse(f[2])));
    return "ok";
  }
  if (cmd == "ai") {
    const std::uint64_t n = arr.Length();
    const auto i = static_cast<std::uint64_t>(std::floor(std::stod(f[2]) * static_cast<double>(n + 1)));
    Any vals = Parse(f[3]);
    return arr.Insert(txn, std::min(i, n), vals.as_array()).ok() ? "ok" : "err\tinsert";
  }
  if (cmd == "at") {
    const std::uint64_t n = arr.Length();
    const auto i = static_cast<std::uint64_t>(std::floor(std::stod(f[2]) * static_cast<double>(n + 1)));
    auto kind = f[3] == "map" ? crdt::TypeKind::kMap : crdt::TypeKind::kText;
    return arr.InsertType(txn, std::min(i, n), kind).ok() ? "ok" : "err\tinsert type";
  }
  if (cmd == "ad") {
    const std::uint64_t n = arr.Length();
    if (n == 0) return "ok";
    auto i = static_cast<std::uint64_t>(std::floor(std::stod(f[2]) * static_cast<double>(n)));
    i = std::min(i, n - 1);
    const std::uint64_t c = std::min<std::uint64_t>(std::stoull(f[3]), n - i);
    return arr.Delete(txn, i, c).ok() ? "ok" : "err\tdelete";
  }
  if (cmd == "nms") {
    auto m = FindNested(arr, std::stod(f[2]), crdt::TypeKind::kMap);
    if (m.has_value()) m->AsMap().Set(txn, StrOf(Parse(f[3])), Parse(f[4]));
    return "ok";
  }
  if (cmd == "nti") {
    auto nt = FindNested(arr, std::stod(f[2]), crdt::TypeKind::kText);
    if (!nt.has_value()) return "ok";
    crdt::Text x = nt->AsText();
    const std::u16string s = x.ToUtf16();
    const std::uint64_t i = Snap(s, std::stod(f[3]), s.size());
    return x.Insert(txn, i, StrOf(Parse(f[4]))).ok() ? "ok" : "err\tinsert";
  }
  return "err\tunknown command";
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::cout << Handle(Split(line)) << '\n';
    std::cout.flush();
  }
  return 0;
}
