// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Update v1 decoding/validation, delete sets, state vectors, and the Doc-free update
// operations (mergeUpdates, diffUpdate, encodeStateVectorFromUpdate) ported from Yjs
// `src/utils/updates.js`.

#include "crdt/codec.h"

#include <algorithm>
#include <set>

#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/update.h"

namespace codesphere::crdt {
namespace internal {

// ---------------------------------------------------------------------------------------------
// UTF helpers.

std::u16string Utf8ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0, n = s.size();
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      out.push_back(static_cast<char16_t>(c));
      ++i;
      continue;
    }
    std::uint32_t cp;
    int extra;
    if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      extra = 2;
    } else {
      cp = c & 0x07;
      extra = 3;
    }
    ++i;
    for (int k = 0; k < extra && i < n; ++k, ++i) cp = (cp << 6) | (p[i] & 0x3F);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void AppendUtf8(std::string& out, std::u16string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::uint32_t c = s[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // lone surrogate, as TextEncoder does
    }
    if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

std::string Utf16ToUtf8(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendUtf8(out, s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Delete sets.

void DeleteSet::SortAndMerge() {
  for (auto& [client, dels] : clients) {
    std::sort(dels.begin(), dels.end(),
              [](const DeleteRange& a, const DeleteRange& b) { return a.clock < b.clock; });
    std::size_t j = 1;
    for (std::size_t i = 1; i < dels.size(); ++i) {
      DeleteRange& left = dels[j - 1];
      const DeleteRange& right = dels[i];
      if (left.clock + left.len >= right.clock) {
        left.len = std::max(left.len, right.clock + right.len - left.clock);
      } else {
        if (j < i) dels[j] = right;
        ++j;
      }
    }
    if (!dels.empty()) dels.resize(j);
  }
}

void DeleteSet::Merge(const DeleteSet& other) {
  for (const auto& [client, dels] : other.clients) {
    auto& mine = clients[client];
    mine.insert(mine.end(), dels.begin(), dels.end());
  }
  SortAndMerge();
}

void DeleteSet::Write(lib0::Encoder& e) const {
  e.WriteVarUint(clients.size());
  for (const auto& [client, dels] : clients) {
    e.WriteVarUint(client);
    e.WriteVarUint(dels.size());
    for (const DeleteRange& r : dels) {
      e.WriteVarUint(r.clock);
      e.WriteVarUint(r.len);
    }
  }
}

Result<DeleteSet> DeleteSet::Read(lib0::Decoder& d) {
  DeleteSet ds;
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
  for (std::uint64_t i = 0; i < n; ++i) {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t client, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t ranges, d.ReadVarUint());
    if (ranges > d.remaining()) return InvalidArgumentError("update: delete set truncated");
    std::vector<DeleteRange>& dels = ds.clients[client];
    for (std::uint64_t k = 0; k < ranges; ++k) {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t clock, d.ReadVarUint());
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t len, d.ReadVarUint());
      if (clock + len > lib0::kMaxSafeInteger) {
        return InvalidArgumentError("update: delete range beyond 2^53");
      }
      if (len > 0) dels.push_back({clock, len});
    }
    if (dels.empty()) ds.clients.erase(client);
  }
  return ds;
}

// ---------------------------------------------------------------------------------------------
// Decoding.

namespace {

Status Bad(std::string_view what) { return InvalidArgumentError(std::string("update: ") + std::string(what)); }

Result<std::uint32_t> ReadStringIndex(lib0::Decoder& d, DUpdate& u) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string_view s, d.ReadVarStringView());
  u.strings.emplace_back(s);
  return static_cast<std::uint32_t>(u.strings.size() - 1);
}

Status ReadContent(lib0::Decoder& d, DUpdate& u, DStruct& s) {
  switch (s.ref) {
    case kDeleted: {
      CODESPHERE_ASSIGN_OR_RETURN(s.len, d.ReadVarUint());
      return OkStatus();
    }
    case kJson: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
      if (n > d.remaining()) return Bad("JSON content truncated");
      Blob b;
      for (std::uint64_t k = 0; k < n; ++k) {
        CODESPHERE_ASSIGN_OR_RETURN(std::string_view t, d.ReadVarStringView());
        b.texts.emplace_back(t);
      }
      s.len = n;
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      return OkStatus();
    }
    case kBinary: {
      CODESPHERE_ASSIGN_OR_RETURN(ByteSpan bin, d.ReadVarUint8Array());
      Blob b;
      b.binary.assign(bin.begin(), bin.end());
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      s.len = 1;
      return OkStatus();
    }
    case kString: {
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view t, d.ReadVarStringView());
      s.str = static_cast<std::uint32_t>(u.text.size());
      std::size_t before = u.text.size();
      // ASCII fast path.
      bool ascii = true;
      for (char c : t) {
        if (static_cast<unsigned char>(c) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        u.text.append(t.begin(), t.end());
      } else {
        u.text += Utf8ToUtf16(t);
      }
      s.len = u.text.size() - before;
      return OkStatus();
    }
    case kEmbed: {
      Blob b;
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view t, d.ReadVarStringView());
      b.texts.emplace_back(t);
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      s.len = 1;
      return OkStatus();
    }
    case kFormat: {
      Blob b;
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view k, d.ReadVarStringView());
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view v, d.ReadVarStringView());
      b.texts.emplace_back(k);
      b.texts.emplace_back(v);
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      s.len = 1;
      return OkStatus();
    }
    case kType: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t tr, d.ReadVarUint());
      if (tr > 6) return Bad("unknown type ref");
      s.type_ref = static_cast<std::uint8_t>(tr);
      if (tr == 3 || tr == 5) {
        CODESPHERE_ASSIGN_OR_RETURN(s.type_name, ReadStringIndex(d, u));
      }
      s.len = 1;
      return OkStatus();
    }
    case kAny: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
      if (n > d.remaining()) return Bad("any content truncated");
      Blob b;
      b.values.reserve(n);
      for (std::uint64_t k = 0; k < n; ++k) {
        CODESPHERE_ASSIGN_OR_RETURN(Any v, ReadAny(d));
        b.values.push_back(std::move(v));
      }
      s.len = n;
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      return OkStatus();
    }
    case kDoc: {
      Blob b;
      CODESPHERE_ASSIGN_OR_RETURN(std::string_view guid, d.ReadVarStringView());
      b.texts.emplace_back(guid);
      CODESPHERE_ASSIGN_OR_RETURN(Any opts, ReadAny(d));
      b.values.push_back(std::move(opts));
      u.payloads.push_back(std::move(b));
      s.payload = static_cast<std::uint32_t>(u.payloads.size() - 1);
      s.len = 1;
      return OkStatus();
    }
    default:
      return Bad("unknown content ref");
  }
}

}  // namespace

Result<DUpdate> DecodeUpdate(ByteSpan bytes) {
  DUpdate u;
  CODESPHERE_RETURN_IF_ERROR(DecodeUpdateInto(bytes, u));
  return u;
}

void DUpdateDeleter::operator()(DUpdate* u) const { delete u; }

Status DecodeUpdateInto(ByteSpan bytes, DUpdate& u) {
  u.structs.clear();
  u.text.clear();
  u.strings.clear();
  u.payloads.clear();
  u.ds.clients.clear();
  lib0::Decoder d(bytes);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t num_clients, d.ReadVarUint());
  if (num_clients > d.remaining()) return Bad("client count exceeds input");
  std::set<std::uint64_t> seen;
  for (std::uint64_t g = 0; g < num_clients; ++g) {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t num_structs, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t client, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t clock, d.ReadVarUint());
    if (num_structs > d.remaining()) return Bad("struct count exceeds input");
    if (!seen.insert(client).second) return Bad("duplicate client group");
    for (std::uint64_t k = 0; k < num_structs; ++k) {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t info, d.ReadUint8());
      DStruct s;
      s.client = client;
      s.clock = clock;
      s.ref = info & 0x1F;
      if (s.ref == kGC || s.ref == kSkip) {
        if ((info & 0xE0) != 0) return Bad("GC/Skip with flag bits");
        CODESPHERE_ASSIGN_OR_RETURN(s.len, d.ReadVarUint());
      } else if (s.ref > kSkip) {
        return Bad("unknown struct ref");
      } else {
        if (info & 0x80) {
          s.has_origin = true;
          CODESPHERE_ASSIGN_OR_RETURN(s.origin_client, d.ReadVarUint());
          CODESPHERE_ASSIGN_OR_RETURN(s.origin_clock, d.ReadVarUint());
          if (s.origin_client == client && s.origin_clock >= clock) return Bad("origin not before item");
        }
        if (info & 0x40) {
          s.has_right = true;
          CODESPHERE_ASSIGN_OR_RETURN(s.right_client, d.ReadVarUint());
          CODESPHERE_ASSIGN_OR_RETURN(s.right_clock, d.ReadVarUint());
          if (s.right_client == client && s.right_clock >= clock) {
            return Bad("right origin not before item");
          }
        }
        if ((info & 0xC0) == 0) {
          CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t pinfo, d.ReadVarUint());
          if (pinfo == 1) {
            s.parent_kind = 1;
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_name, ReadStringIndex(d, u));
          } else {
            s.parent_kind = 2;
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_client, d.ReadVarUint());
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_clock, d.ReadVarUint());
            if (s.parent_client == client && s.parent_clock >= clock) {
              return Bad("parent not before item");
            }
          }
          if (info & 0x20) {
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_sub, ReadStringIndex(d, u));
          }
        }
        CODESPHERE_RETURN_IF_ERROR(ReadContent(d, u, s));
      }
      if (s.len == 0) return Bad("zero-length struct");
      // Items and GC runs are stored with 32-bit lengths; a Skip is never stored.
      if (s.ref != kSkip && s.len > 0xFFFFFFFFull) return Bad("struct length exceeds 2^32-1");
      if (clock + s.len > lib0::kMaxSafeInteger) return Bad("clock beyond 2^53");
      clock += s.len;
      u.structs.push_back(s);
    }
  }
  CODESPHERE_ASSIGN_OR_RETURN(u.ds, DeleteSet::Read(d));
  return OkStatus();
}

DStruct SliceStruct(DUpdate& u, const DStruct& s, std::uint64_t diff) {
  DStruct r = s;
  r.clock = s.clock + diff;
  r.len = s.len - diff;
  if (s.ref == kGC || s.ref == kSkip || s.ref == kDeleted) return r;
  r.has_origin = true;
  r.origin_client = s.client;
  r.origin_clock = s.clock + diff - 1;
  if (s.ref == kString) {
    char16_t last = u.text[s.str + diff - 1];
    if (last >= 0xD800 && last <= 0xDBFF) {
      // Yjs ContentString.splice: never leave a split surrogate pair.
      std::u16string tail = u.text.substr(s.str + diff, r.len);
      tail[0] = 0xFFFD;
      r.str = static_cast<std::uint32_t>(u.text.size());
      u.text += tail;
    } else {
      r.str = static_cast<std::uint32_t>(s.str + diff);
    }
  } else if (s.ref == kAny || s.ref == kJson) {
    r.elem_off = static_cast<std::uint32_t>(s.elem_off + diff);
  }
  return r;
}

void WriteDStruct(lib0::Encoder& e, const DUpdate& u, const DStruct& s, std::uint64_t offset) {
  if (s.ref == kGC || s.ref == kSkip) {
    e.WriteUint8(s.ref);
    e.WriteVarUint(s.len - offset);
    return;
  }
  const bool origin = offset > 0 || s.has_origin;
  std::uint8_t info = s.ref | (origin ? 0x80 : 0) | (s.has_right ? 0x40 : 0) |
                      (s.parent_sub != kNone ? 0x20 : 0);
  e.WriteUint8(info);
  if (offset > 0) {
    e.WriteVarUint(s.client);
    e.WriteVarUint(s.clock + offset - 1);
  } else if (s.has_origin) {
    e.WriteVarUint(s.origin_client);
    e.WriteVarUint(s.origin_clock);
  }
  if (s.has_right) {
    e.WriteVarUint(s.right_client);
    e.WriteVarUint(s.right_clock);
  }
  if (!origin && !s.has_right) {
    if (s.parent_kind == 1) {
      e.WriteVarUint(1);
      e.WriteVarString(u.strings[s.parent_name]);
    } else {
      e.WriteVarUint(0);
      e.WriteVarUint(s.parent_client);
      e.WriteVarUint(s.parent_clock);
    }
    if (s.parent_sub != kNone) e.WriteVarString(u.strings[s.parent_sub]);
  }
  switch (s.ref) {
    case kDeleted:
      e.WriteVarUint(s.len - offset);
      break;
    case kJson: {
      const Blob& b = u.payloads[s.payload];
      e.WriteVarUint(s.len - offset);
      for (std::uint64_t k = s.elem_off + offset; k < s.elem_off + s.len; ++k) {
        e.WriteVarString(b.texts[k]);
      }
      break;
    }
    case kBinary:
      e.WriteVarUint8Array(u.payloads[s.payload].binary);
      break;
    case kString: {
      std::string utf8;
      AppendUtf8(utf8, std::u16string_view(u.text).substr(s.str + offset, s.len - offset));
      e.WriteVarString(utf8);
      break;
    }
    case kEmbed:
      e.WriteVarString(u.payloads[s.payload].texts[0]);
      break;
    case kFormat:
      e.WriteVarString(u.payloads[s.payload].texts[0]);
      e.WriteVarString(u.payloads[s.payload].texts[1]);
      break;
    case kType:
      e.WriteVarUint(s.type_ref);
      if (s.type_ref == 3 || s.type_ref == 5) e.WriteVarString(u.strings[s.type_name]);
      break;
    case kAny: {
      const Blob& b = u.payloads[s.payload];
      e.WriteVarUint(s.len - offset);
      for (std::uint64_t k = s.elem_off + offset; k < s.elem_off + s.len; ++k) {
        WriteAny(e, b.values[k]);
      }
      break;
    }
    case kDoc:
      e.WriteVarString(u.payloads[s.payload].texts[0]);
      WriteAny(e, u.payloads[s.payload].values[0]);
      break;
    default:
      break;
  }
}

void StructWriter::Write(const DUpdate& u, const DStruct& s, std::uint64_t offset) {
  if (written_ > 0 && cur_client_ != s.client) Flush();
  if (written_ == 0) {
    cur_client_ = s.client;
    cur_.WriteVarUint(s.client);
    cur_.WriteVarUint(s.clock + offset);
  }
  WriteDStruct(cur_, u, s, offset);
  ++written_;
}

void StructWriter::Flush() {
  if (written_ == 0) return;
  groups_.WriteVarUint(written_);
  groups_.WriteRaw(cur_.bytes());
  cur_ = lib0::Encoder();
  written_ = 0;
  ++num_groups_;
}

void StructWriter::Finish(lib0::Encoder& e) {
  Flush();
  e.WriteVarUint(num_groups_);
  e.WriteRaw(groups_.bytes());
}

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// StateVector.

Bytes StateVector::Encode() const {
  lib0::Encoder e;
  e.WriteVarUint(clocks_.size());
  for (const auto& [client, clock] : clocks_) {
    e.WriteVarUint(client);
    e.WriteVarUint(clock);
  }
  return e.Take();
}

Result<StateVector> StateVector::Decode(ByteSpan bytes) {
  lib0::Decoder d(bytes);
  StateVector sv;
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
  if (n > d.remaining()) return InvalidArgumentError("state vector: count exceeds input");
  for (std::uint64_t i = 0; i < n; ++i) {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t client, d.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t clock, d.ReadVarUint());
    sv.Set(client, clock);
  }
  return sv;
}

// ---------------------------------------------------------------------------------------------
// Doc-free update operations.

using internal::DStruct;
using internal::DUpdate;
using internal::kSkip;
using internal::kGC;

Status ValidateUpdate(ByteSpan update) {
  auto u = internal::DecodeUpdate(update);
  return u.ok() ? OkStatus() : u.error();
}

Result<Bytes> MergeUpdates(const std::vector<ByteSpan>& updates) {
  if (updates.size() == 1) {
    CODESPHERE_RETURN_IF_ERROR(ValidateUpdate(updates[0]));
    return Bytes(updates[0].begin(), updates[0].end());
  }
  std::vector<DUpdate> decoded;
  decoded.reserve(updates.size());
  for (ByteSpan b : updates) {
    CODESPHERE_ASSIGN_OR_RETURN(DUpdate u, internal::DecodeUpdate(b));
    decoded.push_back(std::move(u));
  }
  // Cursors over the non-Skip structs of every update (Yjs LazyStructReader, filterSkips).
  struct Cursor {
    std::size_t u;
    std::size_t i;
    DStruct cur;
    bool has;
  };
  auto advance = [&](Cursor& c) {
    const auto& v = decoded[c.u].structs;
    while (c.i < v.size() && v[c.i].ref == kSkip) ++c.i;
    if (c.i < v.size()) {
      c.cur = v[c.i++];
      c.has = true;
    } else {
      c.has = false;
    }
  };
  std::vector<Cursor> cursors;
  for (std::size_t k = 0; k < decoded.size(); ++k) {
    Cursor c{k, 0, {}, false};
    advance(c);
    cursors.push_back(c);
  }
  internal::StructWriter writer;
  // The struct being written, with the update that owns its payload.
  bool have_write = false;
  DStruct cw;
  std::size_t cw_u = 0;
  DUpdate skip_owner;
  auto write_cw = [&]() { writer.Write(cw.ref == kSkip ? skip_owner : decoded[cw_u], cw, 0); };
  while (true) {
    std::vector<Cursor*> live;
    for (Cursor& c : cursors) {
      if (c.has) live.push_back(&c);
    }
    if (live.empty()) break;
    std::stable_sort(live.begin(), live.end(), [](const Cursor* a, const Cursor* b) {
      if (a->cur.client == b->cur.client) return a->cur.clock < b->cur.clock;
      return a->cur.client > b->cur.client;
    });
    // Keep `cursors` order equal to the sorted order (JS re-sorts its array in place).
    {
      std::vector<Cursor> sorted;
      for (Cursor* c : live) sorted.push_back(*c);
      for (Cursor& c : cursors) {
        if (!c.has) sorted.push_back(c);
      }
      cursors = std::move(sorted);
    }
    Cursor& cd = cursors[0];
    const std::uint64_t first_client = cd.cur.client;
    if (have_write) {
      bool iterated = false;
      while (cd.has && cd.cur.end() <= cw.end() && cd.cur.client >= cw.client) {
        advance(cd);
        iterated = true;
      }
      if (!cd.has || cd.cur.client != first_client ||
          (iterated && cd.cur.clock > cw.end())) {
        continue;
      }
      if (first_client != cw.client) {
        write_cw();
        cw = cd.cur;
        cw_u = cd.u;
        advance(cd);
      } else if (cw.end() < cd.cur.clock) {
        if (cw.ref == kSkip) {
          cw.len = cd.cur.end() - cw.clock;
        } else {
          write_cw();
          DStruct skip;
          skip.client = first_client;
          skip.clock = cw.end();
          skip.len = cd.cur.clock - cw.end();
          skip.ref = kSkip;
          cw = skip;
        }
      } else {
        const std::uint64_t diff = cw.end() - cd.cur.clock;
        if (diff > 0) {
          if (cw.ref == kSkip) {
            cw.len -= diff;
          } else {
            cd.cur = internal::SliceStruct(decoded[cd.u], cd.cur, diff);
          }
        }
        // Only GC+GC and Skip+Skip merge here (Items have no left/right links).
        const bool merge = (cw.ref == kGC && cd.cur.ref == kGC) || (cw.ref == kSkip && cd.cur.ref == kSkip);
        if (merge) {
          cw.len += cd.cur.len;
          // JS does not advance the decoder after a merge; the merged struct is then skipped
          // as covered on the next round.
        } else {
          write_cw();
          cw = cd.cur;
          cw_u = cd.u;
          advance(cd);
        }
      }
    } else {
      cw = cd.cur;
      cw_u = cd.u;
      have_write = true;
      advance(cd);
    }
    while (cd.has && cd.cur.client == first_client && cd.cur.clock == cw.end() && cd.cur.ref != kSkip) {
      write_cw();
      cw = cd.cur;
      cw_u = cd.u;
      advance(cd);
    }
  }
  if (have_write) write_cw();
  lib0::Encoder e;
  writer.Finish(e);
  internal::DeleteSet ds;
  for (const DUpdate& u : decoded) ds.Merge(u.ds);
  ds.Write(e);
  return e.Take();
}

Result<Bytes> DiffUpdate(ByteSpan update, ByteSpan state_vector) {
  CODESPHERE_ASSIGN_OR_RETURN(StateVector sv, StateVector::Decode(state_vector));
  CODESPHERE_ASSIGN_OR_RETURN(DUpdate u, internal::DecodeUpdate(update));
  internal::StructWriter writer;
  std::size_t i = 0;
  const auto& v = u.structs;
  while (i < v.size()) {
    const DStruct& curr = v[i];
    const std::uint64_t client = curr.client;
    const std::uint64_t sv_clock = sv.Get(client);
    if (curr.ref == kSkip) {
      ++i;
      continue;
    }
    if (curr.end() > sv_clock) {
      writer.Write(u, curr, sv_clock > curr.clock ? sv_clock - curr.clock : 0);
      ++i;
      while (i < v.size() && v[i].client == client) {
        writer.Write(u, v[i], 0);
        ++i;
      }
    } else {
      while (i < v.size() && v[i].client == client && v[i].end() <= sv_clock) ++i;
    }
  }
  lib0::Encoder e;
  writer.Finish(e);
  u.ds.Write(e);
  return e.Take();
}

Result<Bytes> EncodeStateVectorFromUpdate(ByteSpan update) {
  CODESPHERE_ASSIGN_OR_RETURN(DUpdate u, internal::DecodeUpdate(update));
  lib0::Encoder body;
  std::uint64_t size = 0;
  if (!u.structs.empty()) {
    std::uint64_t cur_client = u.structs[0].client;
    bool stop = u.structs[0].clock != 0;
    std::uint64_t cur_clock = stop ? 0 : u.structs[0].end();
    for (std::size_t i = 0; i < u.structs.size(); ++i) {
      const DStruct& s = u.structs[i];
      if (cur_client != s.client) {
        if (cur_clock != 0) {
          ++size;
          body.WriteVarUint(cur_client);
          body.WriteVarUint(cur_clock);
        }
        cur_client = s.client;
        cur_clock = 0;
        stop = s.clock != 0;
      }
      if (s.ref == kSkip) stop = true;
      if (!stop) cur_clock = s.end();
    }
    if (cur_clock != 0) {
      ++size;
      body.WriteVarUint(cur_client);
      body.WriteVarUint(cur_clock);
    }
  }
  lib0::Encoder e;
  e.WriteVarUint(size);
  e.WriteRaw(body.bytes());
  return e.Take();
}

}  // namespace codesphere::crdt
