// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Update format v2 (spec §4; Yjs UpdateEncoderV2/UpdateDecoderV2 and the lib0 column
// encoders RleEncoder, UintOptRleEncoder, IntDiffOptRleEncoder, StringEncoder). v2 is decoded
// into the same validated DUpdate as v1 and encoded from it, so integration is shared.
//
//   updateV2 := u(0) buf(keyClock) buf(client) buf(leftClock) buf(rightClock) buf(info)
//               buf(string) buf(parentInfo) buf(typeRef) buf(len) restBytes

#include <string>
#include <vector>

#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/update.h"
#include "crdt/codec.h"

namespace codesphere::crdt {
namespace internal {
namespace {

Status Bad(std::string_view what) { return InvalidArgumentError(std::string("update v2: ") + std::string(what)); }

// ----------------------------------------------------------------------------- column decoders

class RleByteDecoder {
 public:
  explicit RleByteDecoder(ByteSpan b) : d_(b) {}
  Result<std::uint8_t> Read() {
    if (count_ == 0) {
      CODESPHERE_ASSIGN_OR_RETURN(s_, d_.ReadUint8());
      if (!d_.done()) {
        CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t c, d_.ReadVarUint());
        count_ = static_cast<std::int64_t>(c) + 1;
      } else {
        count_ = -1;  // repeats forever
      }
    }
    --count_;
    return s_;
  }

 private:
  lib0::Decoder d_;
  std::uint8_t s_ = 0;
  std::int64_t count_ = 0;
};

class UintOptRleDecoder {
 public:
  explicit UintOptRleDecoder(ByteSpan b) : d_(b) {}
  Result<std::uint64_t> Read() {
    if (count_ == 0) {
      CODESPHERE_ASSIGN_OR_RETURN(lib0::SignedVarInt v, d_.ReadSignedVarInt());
      s_ = v.magnitude;
      count_ = 1;
      if (v.negative) {
        CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t c, d_.ReadVarUint());
        if (c > (std::uint64_t{1} << 40)) return Bad("run too long");
        count_ = c + 2;
      }
    }
    --count_;
    return s_;
  }
  lib0::Decoder& decoder() { return d_; }

 private:
  lib0::Decoder d_;
  std::uint64_t s_ = 0;
  std::uint64_t count_ = 0;
};

class IntDiffOptRleDecoder {
 public:
  explicit IntDiffOptRleDecoder(ByteSpan b) : d_(b) {}
  Result<std::uint64_t> Read() {
    if (count_ == 0) {
      CODESPHERE_ASSIGN_OR_RETURN(std::int64_t x, d_.ReadVarInt());
      diff_ = x >> 1;  // floor(x / 2)
      count_ = 1;
      if (x & 1) {
        CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t c, d_.ReadVarUint());
        if (c > (std::uint64_t{1} << 40)) return Bad("run too long");
        count_ = c + 2;
      }
    }
    s_ += diff_;
    --count_;
    if (s_ < 0 || static_cast<std::uint64_t>(s_) > lib0::kMaxSafeInteger) return Bad("clock out of range");
    return static_cast<std::uint64_t>(s_);
  }

 private:
  lib0::Decoder d_;
  std::int64_t s_ = 0;
  std::int64_t diff_ = 0;
  std::uint64_t count_ = 0;
};

class StringDecoder {
 public:
  static Result<StringDecoder> Make(ByteSpan b) {
    StringDecoder s(b);
    CODESPHERE_ASSIGN_OR_RETURN(std::string_view all, s.lens_.decoder().ReadVarStringView());
    s.str_ = Utf8ToUtf16(all);
    return s;
  }
  Result<std::u16string_view> Read() {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, lens_.Read());
    if (n > str_.size() - pos_) return Bad("string column exhausted");
    std::u16string_view r = std::u16string_view(str_).substr(pos_, n);
    pos_ += n;
    return r;
  }

 private:
  explicit StringDecoder(ByteSpan b) : lens_(b) {}
  UintOptRleDecoder lens_;
  std::u16string str_;
  std::size_t pos_ = 0;
};

// ----------------------------------------------------------------------------- column encoders

class RleByteEncoder {
 public:
  void Write(std::uint8_t v) {
    if (count_ > 0 && s_ == v) {
      ++count_;
      return;
    }
    if (count_ > 0) e_.WriteVarUint(count_ - 1);
    count_ = 1;
    e_.WriteUint8(v);
    s_ = v;
  }
  Bytes Take() { return e_.Take(); }

 private:
  lib0::Encoder e_;
  std::uint8_t s_ = 0;
  std::uint64_t count_ = 0;
};

class UintOptRleEncoder {
 public:
  void Write(std::uint64_t v) {
    if (count_ > 0 && s_ == v) {
      ++count_;
      return;
    }
    Flush();
    count_ = 1;
    s_ = v;
  }
  Bytes Take() {
    Flush();
    return e_.Take();
  }

 private:
  void Flush() {
    if (count_ == 0) return;
    e_.WriteVarInt(count_ > 1, s_);  // a negative sign (even -0) announces a run length
    if (count_ > 1) e_.WriteVarUint(count_ - 2);
    count_ = 0;
  }
  lib0::Encoder e_;
  std::uint64_t s_ = 0;
  std::uint64_t count_ = 0;
};

class IntDiffOptRleEncoder {
 public:
  void Write(std::uint64_t v) {
    const std::int64_t diff = static_cast<std::int64_t>(v) - s_;
    if (count_ > 0 && diff_ == diff) {
      s_ = static_cast<std::int64_t>(v);
      ++count_;
      return;
    }
    Flush();
    count_ = 1;
    diff_ = diff;
    s_ = static_cast<std::int64_t>(v);
  }
  Bytes Take() {
    Flush();
    return e_.Take();
  }

 private:
  void Flush() {
    if (count_ == 0) return;
    e_.WriteVarInt(diff_ * 2 + (count_ == 1 ? 0 : 1));
    if (count_ > 1) e_.WriteVarUint(count_ - 2);
    count_ = 0;
  }
  lib0::Encoder e_;
  std::int64_t s_ = 0;
  std::int64_t diff_ = 0;
  std::uint64_t count_ = 0;
};

class StringEncoder {
 public:
  void Write(std::u16string_view s) {
    all_.append(s);
    lens_.Write(s.size());
  }
  void Write(std::string_view utf8) { Write(Utf8ToUtf16(utf8)); }
  Bytes Take() {
    lib0::Encoder e;
    std::string utf8;
    AppendUtf8(utf8, all_);
    e.WriteVarString(utf8);
    Bytes lens = lens_.Take();
    e.WriteRaw(lens);
    return e.Take();
  }

 private:
  std::u16string all_;
  UintOptRleEncoder lens_;
};

}  // namespace

Status DecodeUpdateV2Into(ByteSpan bytes, DUpdate& u) {
  u = DUpdate();
  lib0::Decoder top(bytes);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t flag, top.ReadVarUint());
  (void)flag;  // feature flag, always 0 today
  ByteSpan cols[9];
  for (ByteSpan& c : cols) {
    CODESPHERE_ASSIGN_OR_RETURN(c, top.ReadVarUint8Array());
  }
  lib0::Decoder rest(top.rest());
  IntDiffOptRleDecoder key_clock(cols[0]);
  UintOptRleDecoder client_col(cols[1]);
  IntDiffOptRleDecoder left_clock(cols[2]);
  IntDiffOptRleDecoder right_clock(cols[3]);
  RleByteDecoder info_col(cols[4]);
  CODESPHERE_ASSIGN_OR_RETURN(StringDecoder strings, StringDecoder::Make(cols[5]));
  RleByteDecoder parent_info(cols[6]);
  UintOptRleDecoder type_ref(cols[7]);
  UintOptRleDecoder len_col(cols[8]);
  std::vector<std::string> keys;

  auto read_string = [&]() -> Result<std::string> {
    CODESPHERE_ASSIGN_OR_RETURN(std::u16string_view s, strings.Read());
    return Utf16ToUtf8(s);
  };
  auto add_string = [&](std::string s) -> std::uint32_t {
    u.strings.push_back(std::move(s));
    return static_cast<std::uint32_t>(u.strings.size() - 1);
  };
  auto read_key = [&]() -> Result<std::string> {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t kc, key_clock.Read());
    if (kc < keys.size()) return keys[kc];
    CODESPHERE_ASSIGN_OR_RETURN(std::string k, read_string());
    keys.push_back(k);
    return k;
  };
  auto add_payload = [&](Blob b) -> std::uint32_t {
    u.payloads.push_back(std::move(b));
    return static_cast<std::uint32_t>(u.payloads.size() - 1);
  };

  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t groups, rest.ReadVarUint());
  if (groups > rest.remaining()) return Bad("client count exceeds input");
  std::vector<std::uint64_t> seen;
  for (std::uint64_t g = 0; g < groups; ++g) {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, rest.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t client, client_col.Read());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t clock, rest.ReadVarUint());
    if (client > lib0::kMaxSafeInteger) return Bad("client out of range");
    for (std::uint64_t c : seen) {
      if (c == client) return Bad("duplicate client group");
    }
    seen.push_back(client);
    if (n > bytes.size() * 8 + 64) return Bad("struct count exceeds input");
    for (std::uint64_t k = 0; k < n; ++k) {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t info, info_col.Read());
      DStruct s;
      s.client = client;
      s.clock = clock;
      s.ref = info & 0x1F;
      if (s.ref == kGC) {
        CODESPHERE_ASSIGN_OR_RETURN(s.len, len_col.Read());
      } else if (s.ref == kSkip) {
        CODESPHERE_ASSIGN_OR_RETURN(s.len, rest.ReadVarUint());
      } else if (s.ref > kSkip) {
        return Bad("unknown struct ref");
      } else {
        if (info & 0x80) {
          s.has_origin = true;
          CODESPHERE_ASSIGN_OR_RETURN(s.origin_client, client_col.Read());
          CODESPHERE_ASSIGN_OR_RETURN(s.origin_clock, left_clock.Read());
          if (s.origin_client == client && s.origin_clock >= clock) return Bad("origin not before item");
        }
        if (info & 0x40) {
          s.has_right = true;
          CODESPHERE_ASSIGN_OR_RETURN(s.right_client, client_col.Read());
          CODESPHERE_ASSIGN_OR_RETURN(s.right_clock, right_clock.Read());
          if (s.right_client == client && s.right_clock >= clock) return Bad("right origin not before item");
        }
        if ((info & 0xC0) == 0) {
          CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t pi, parent_info.Read());
          if (pi == 1) {
            s.parent_kind = 1;
            CODESPHERE_ASSIGN_OR_RETURN(std::string name, read_string());
            s.parent_name = add_string(std::move(name));
          } else {
            s.parent_kind = 2;
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_client, client_col.Read());
            CODESPHERE_ASSIGN_OR_RETURN(s.parent_clock, left_clock.Read());
            if (s.parent_client == client && s.parent_clock >= clock) return Bad("parent not before item");
          }
          if (info & 0x20) {
            CODESPHERE_ASSIGN_OR_RETURN(std::string sub, read_string());
            s.parent_sub = add_string(std::move(sub));
          }
        }
        switch (s.ref) {
          case kDeleted: {
            CODESPHERE_ASSIGN_OR_RETURN(s.len, len_col.Read());
            break;
          }
          case kJson: {
            CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t m, len_col.Read());
            if (m > bytes.size() * 8 + 64) return Bad("JSON content truncated");
            Blob b;
            for (std::uint64_t q = 0; q < m; ++q) {
              CODESPHERE_ASSIGN_OR_RETURN(std::string t, read_string());
              b.texts.push_back(std::move(t));
            }
            s.len = m;
            s.payload = add_payload(std::move(b));
            break;
          }
          case kBinary: {
            CODESPHERE_ASSIGN_OR_RETURN(ByteSpan bin, rest.ReadVarUint8Array());
            Blob b;
            b.binary.assign(bin.begin(), bin.end());
            s.payload = add_payload(std::move(b));
            s.len = 1;
            break;
          }
          case kString: {
            CODESPHERE_ASSIGN_OR_RETURN(std::u16string_view t, strings.Read());
            s.str = static_cast<std::uint32_t>(u.text.size());
            u.text.append(t);
            s.len = t.size();
            break;
          }
          case kEmbed: {
            CODESPHERE_ASSIGN_OR_RETURN(Any v, ReadAny(rest));
            Blob b;
            b.texts.push_back(ToJson(v));
            s.payload = add_payload(std::move(b));
            s.len = 1;
            break;
          }
          case kFormat: {
            CODESPHERE_ASSIGN_OR_RETURN(std::string key, read_key());
            CODESPHERE_ASSIGN_OR_RETURN(Any v, ReadAny(rest));
            Blob b;
            b.texts = {std::move(key), ToJson(v)};
            s.payload = add_payload(std::move(b));
            s.len = 1;
            break;
          }
          case kType: {
            CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t tr, type_ref.Read());
            if (tr > 6) return Bad("unknown type ref");
            s.type_ref = static_cast<std::uint8_t>(tr);
            if (tr == 3 || tr == 5) {
              CODESPHERE_ASSIGN_OR_RETURN(std::string name, read_key());
              s.type_name = add_string(std::move(name));
            }
            s.len = 1;
            break;
          }
          case kAny: {
            CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t m, len_col.Read());
            if (m > rest.remaining()) return Bad("any content truncated");
            Blob b;
            for (std::uint64_t q = 0; q < m; ++q) {
              CODESPHERE_ASSIGN_OR_RETURN(Any v, ReadAny(rest));
              b.values.push_back(std::move(v));
            }
            s.len = m;
            s.payload = add_payload(std::move(b));
            break;
          }
          case kDoc: {
            Blob b;
            CODESPHERE_ASSIGN_OR_RETURN(std::string guid, read_string());
            b.texts.push_back(std::move(guid));
            CODESPHERE_ASSIGN_OR_RETURN(Any opts, ReadAny(rest));
            b.values.push_back(std::move(opts));
            s.payload = add_payload(std::move(b));
            s.len = 1;
            break;
          }
          default:
            return Bad("unknown content ref");
        }
      }
      if (s.len == 0) return Bad("zero-length struct");
      if (s.ref != kSkip && s.len > 0xFFFFFFFFull) return Bad("struct length exceeds 2^32-1");
      if (clock + s.len > lib0::kMaxSafeInteger) return Bad("clock beyond 2^53");
      clock += s.len;
      u.structs.push_back(s);
    }
  }
  // Delete set, delta-coded per client.
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t nds, rest.ReadVarUint());
  if (nds > rest.remaining()) return Bad("delete set truncated");
  for (std::uint64_t i = 0; i < nds; ++i) {
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t client, rest.ReadVarUint());
    CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t ranges, rest.ReadVarUint());
    if (ranges > rest.remaining()) return Bad("delete set truncated");
    std::uint64_t cur = 0;
    auto& dels = u.ds.clients[client];
    for (std::uint64_t k = 0; k < ranges; ++k) {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t dclock, rest.ReadVarUint());
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t dlen, rest.ReadVarUint());
      if (dclock > lib0::kMaxSafeInteger || dlen > lib0::kMaxSafeInteger) return Bad("delete range out of range");
      cur += dclock;
      const std::uint64_t len = dlen + 1;
      if (cur + len > lib0::kMaxSafeInteger) return Bad("delete range beyond 2^53");
      dels.push_back({cur, len});
      cur += len;
    }
    if (dels.empty()) u.ds.clients.erase(client);
  }
  return OkStatus();
}

Bytes EncodeV2(const DUpdate& u) {
  IntDiffOptRleEncoder key_clock;
  UintOptRleEncoder client_col;
  IntDiffOptRleEncoder left_clock;
  IntDiffOptRleEncoder right_clock;
  RleByteEncoder info_col;
  StringEncoder strings;
  RleByteEncoder parent_info;
  UintOptRleEncoder type_ref;
  UintOptRleEncoder len_col;
  lib0::Encoder rest;
  std::uint64_t key_counter = 0;
  // writeKey: the JS encoder never reuses key indices.
  auto write_key = [&](std::string_view key) {
    key_clock.Write(key_counter++);
    strings.Write(key);
  };
  // Client groups: maximal runs of one client.
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  for (std::size_t i = 0; i < u.structs.size(); ++i) {
    if (groups.empty() || u.structs[groups.back().first].client != u.structs[i].client) groups.push_back({i, i});
    groups.back().second = i + 1;
  }
  rest.WriteVarUint(groups.size());
  for (const auto& [b, e] : groups) {
    rest.WriteVarUint(e - b);
    client_col.Write(u.structs[b].client);
    rest.WriteVarUint(u.structs[b].clock);
    for (std::size_t i = b; i < e; ++i) {
      const DStruct& s = u.structs[i];
      if (s.ref == kGC) {
        info_col.Write(0);
        len_col.Write(s.len);
        continue;
      }
      if (s.ref == kSkip) {
        info_col.Write(kSkip);
        rest.WriteVarUint(s.len);
        continue;
      }
      info_col.Write(static_cast<std::uint8_t>(s.ref | (s.has_origin ? 0x80 : 0) | (s.has_right ? 0x40 : 0) |
                                               (s.parent_sub != kNone ? 0x20 : 0)));
      if (s.has_origin) {
        client_col.Write(s.origin_client);
        left_clock.Write(s.origin_clock);
      }
      if (s.has_right) {
        client_col.Write(s.right_client);
        right_clock.Write(s.right_clock);
      }
      if (!s.has_origin && !s.has_right) {
        if (s.parent_kind == 1) {
          parent_info.Write(1);
          strings.Write(u.strings[s.parent_name]);
        } else {
          parent_info.Write(0);
          client_col.Write(s.parent_client);
          left_clock.Write(s.parent_clock);
        }
        if (s.parent_sub != kNone) strings.Write(u.strings[s.parent_sub]);
      }
      switch (s.ref) {
        case kDeleted:
          len_col.Write(s.len);
          break;
        case kJson:
          len_col.Write(s.len);
          for (std::uint64_t k = s.elem_off; k < s.elem_off + s.len; ++k) strings.Write(u.payloads[s.payload].texts[k]);
          break;
        case kBinary:
          rest.WriteVarUint8Array(u.payloads[s.payload].binary);
          break;
        case kString:
          strings.Write(std::u16string_view(u.text).substr(s.str, s.len));
          break;
        case kEmbed: {
          auto v = ParseJson(u.payloads[s.payload].texts[0]);
          WriteAny(rest, v.ok() ? *v : Any::Null());
          break;
        }
        case kFormat: {
          write_key(u.payloads[s.payload].texts[0]);
          auto v = ParseJson(u.payloads[s.payload].texts[1]);
          WriteAny(rest, v.ok() ? *v : Any::Null());
          break;
        }
        case kType:
          type_ref.Write(s.type_ref);
          if (s.type_ref == 3 || s.type_ref == 5) write_key(u.strings[s.type_name]);
          break;
        case kAny:
          len_col.Write(s.len);
          for (std::uint64_t k = s.elem_off; k < s.elem_off + s.len; ++k) WriteAny(rest, u.payloads[s.payload].values[k]);
          break;
        case kDoc:
          strings.Write(u.payloads[s.payload].texts[0]);
          WriteAny(rest, u.payloads[s.payload].values[0]);
          break;
        default:
          break;
      }
    }
  }
  rest.WriteVarUint(u.ds.clients.size());
  for (const auto& [client, ranges] : u.ds.clients) {
    rest.WriteVarUint(client);
    rest.WriteVarUint(ranges.size());
    std::uint64_t cur = 0;
    for (const DeleteRange& r : ranges) {
      rest.WriteVarUint(r.clock - cur);
      rest.WriteVarUint(r.len - 1);
      cur = r.clock + r.len;
    }
  }
  lib0::Encoder out;
  out.WriteVarUint(0);
  out.WriteVarUint8Array(key_clock.Take());
  out.WriteVarUint8Array(client_col.Take());
  out.WriteVarUint8Array(left_clock.Take());
  out.WriteVarUint8Array(right_clock.Take());
  out.WriteVarUint8Array(info_col.Take());
  out.WriteVarUint8Array(strings.Take());
  out.WriteVarUint8Array(parent_info.Take());
  out.WriteVarUint8Array(type_ref.Take());
  out.WriteVarUint8Array(len_col.Take());
  out.WriteRaw(rest.bytes());
  return out.Take();
}

Bytes EncodeV1(const DUpdate& u) {
  StructWriter w;
  for (const DStruct& s : u.structs) w.Write(u, s, 0);
  lib0::Encoder e;
  w.Finish(e);
  u.ds.Write(e);
  return e.Take();
}

}  // namespace internal

Result<Bytes> ConvertUpdateV1ToV2(ByteSpan update) {
  CODESPHERE_ASSIGN_OR_RETURN(internal::DUpdate u, internal::DecodeUpdate(update));
  return internal::EncodeV2(u);
}

Result<Bytes> ConvertUpdateV2ToV1(ByteSpan update) {
  internal::DUpdate u;
  CODESPHERE_RETURN_IF_ERROR(internal::DecodeUpdateV2Into(update, u));
  return internal::EncodeV1(u);
}

Bytes EncodeStateAsUpdateV2(const Doc& doc, const StateVector& target) {
  auto v2 = ConvertUpdateV1ToV2(EncodeStateAsUpdate(doc, target));
  return v2.ok() ? std::move(*v2) : Bytes{};
}

Status ApplyUpdateV2(Doc& doc, ByteSpan update, std::string origin) {
  internal::DUpdate u;
  CODESPHERE_RETURN_IF_ERROR(internal::DecodeUpdateV2Into(update, u));
  Transaction txn(doc, std::move(origin));
  doc.state().txn->local = false;
  return internal::IntegrateUpdate(doc.state(), u);
}

}  // namespace codesphere::crdt
