// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/any.h"

#include <cmath>

#include "codesphere/base/check.h"
#include "codesphere/base/status_macros.h"

namespace codesphere {
namespace {

// lib0 `any` tags (encoding.js writeAny).
enum AnyTag : std::uint8_t {
  kTagUndefined = 127,
  kTagNull = 126,
  kTagInteger = 125,
  kTagFloat32 = 124,
  kTagFloat64 = 123,
  kTagBigInt = 122,
  kTagFalse = 121,
  kTagTrue = 120,
  kTagString = 119,
  kTagObject = 118,
  kTagArray = 117,
  kTagBinary = 116,
};

void WriteNumber(lib0::Encoder& e, double v) {
  constexpr double kMaxInt31 = 2147483647.0;
  if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) <= kMaxInt31) {
    e.WriteUint8(kTagInteger);
    e.WriteVarInt(std::signbit(v), static_cast<std::uint64_t>(std::fabs(v)));
  } else if (static_cast<double>(static_cast<float>(v)) == v) {  // NaN fails, ±Inf passes
    e.WriteUint8(kTagFloat32);
    e.WriteFloat32(static_cast<float>(v));
  } else {
    e.WriteUint8(kTagFloat64);
    e.WriteFloat64(v);
  }
}

Result<Any> ReadAnyAt(lib0::Decoder& d, int depth) {
  if (depth > kMaxAnyDepth) {
    return InvalidArgumentError("lib0 any: nesting deeper than " +
                                std::to_string(kMaxAnyDepth) + " at byte " +
                                std::to_string(d.position()));
  }
  const std::size_t at = d.position();
  CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t tag, d.ReadUint8());
  switch (tag) {
    case kTagUndefined: return Any();
    case kTagNull: return Any(nullptr);
    case kTagInteger: {
      CODESPHERE_ASSIGN_OR_RETURN(lib0::SignedVarInt v, d.ReadSignedVarInt());
      double m = static_cast<double>(v.magnitude);
      return Any(v.negative ? -m : m);
    }
    case kTagFloat32: {
      CODESPHERE_ASSIGN_OR_RETURN(float f, d.ReadFloat32());
      return Any(static_cast<double>(f));
    }
    case kTagFloat64: {
      CODESPHERE_ASSIGN_OR_RETURN(double f, d.ReadFloat64());
      return Any(f);
    }
    case kTagBigInt: {
      CODESPHERE_ASSIGN_OR_RETURN(std::int64_t b, d.ReadBigInt64());
      return Any::BigInt(b);
    }
    case kTagFalse: return Any(false);
    case kTagTrue: return Any(true);
    case kTagString: {
      CODESPHERE_ASSIGN_OR_RETURN(std::string s, d.ReadVarString());
      return Any(std::move(s));
    }
    case kTagObject: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
      // Each entry takes at least 2 bytes (empty key + tag): bound n by the input first.
      if (n > d.remaining() / 2) {
        return InvalidArgumentError("lib0 any: object length exceeds input at byte " +
                                    std::to_string(at));
      }
      Any::Object obj;
      obj.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        CODESPHERE_ASSIGN_OR_RETURN(std::string key, d.ReadVarString());
        CODESPHERE_ASSIGN_OR_RETURN(Any value, ReadAnyAt(d, depth + 1));
        obj.emplace_back(std::move(key), std::move(value));
      }
      return Any(std::move(obj));
    }
    case kTagArray: {
      CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t n, d.ReadVarUint());
      if (n > d.remaining()) {
        return InvalidArgumentError("lib0 any: array length exceeds input at byte " +
                                    std::to_string(at));
      }
      Any::Array arr;
      arr.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        CODESPHERE_ASSIGN_OR_RETURN(Any value, ReadAnyAt(d, depth + 1));
        arr.push_back(std::move(value));
      }
      return Any(std::move(arr));
    }
    case kTagBinary: {
      CODESPHERE_ASSIGN_OR_RETURN(ByteSpan b, d.ReadVarUint8Array());
      return Any(Bytes(b.begin(), b.end()));
    }
    default:
      return InvalidArgumentError("lib0 any: unknown tag " + std::to_string(tag) + " at byte " +
                                  std::to_string(at));
  }
}

}  // namespace

bool Any::as_bool() const {
  CODESPHERE_CHECK(is_bool());
  return std::get<bool>(v_);
}
double Any::as_number() const {
  CODESPHERE_CHECK(is_number());
  return std::get<double>(v_);
}
std::int64_t Any::as_bigint() const {
  CODESPHERE_CHECK(is_bigint());
  return std::get<BigIntValue>(v_).value;
}
const std::string& Any::as_string() const {
  CODESPHERE_CHECK(is_string());
  return std::get<std::string>(v_);
}
const Bytes& Any::as_binary() const {
  CODESPHERE_CHECK(is_binary());
  return std::get<Bytes>(v_);
}
const Any::Array& Any::as_array() const {
  CODESPHERE_CHECK(is_array());
  return std::get<Array>(v_);
}
Any::Array& Any::as_array() {
  CODESPHERE_CHECK(is_array());
  return std::get<Array>(v_);
}
const Any::Object& Any::as_object() const {
  CODESPHERE_CHECK(is_object());
  return std::get<Object>(v_);
}
Any::Object& Any::as_object() {
  CODESPHERE_CHECK(is_object());
  return std::get<Object>(v_);
}

const Any* Any::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : std::get<Object>(v_)) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool operator==(const Any& a, const Any& b) {
  if (a.kind() != b.kind()) return false;
  if (a.is_number()) {
    double x = a.as_number(), y = b.as_number();
    return x == y || (std::isnan(x) && std::isnan(y));
  }
  return a.v_ == b.v_;
}

void WriteAny(lib0::Encoder& e, const Any& value) {
  switch (value.kind()) {
    case Any::Kind::kUndefined: e.WriteUint8(kTagUndefined); break;
    case Any::Kind::kNull: e.WriteUint8(kTagNull); break;
    case Any::Kind::kBool: e.WriteUint8(value.as_bool() ? kTagTrue : kTagFalse); break;
    case Any::Kind::kNumber: WriteNumber(e, value.as_number()); break;
    case Any::Kind::kBigInt:
      e.WriteUint8(kTagBigInt);
      e.WriteBigInt64(value.as_bigint());
      break;
    case Any::Kind::kString:
      e.WriteUint8(kTagString);
      e.WriteVarString(value.as_string());
      break;
    case Any::Kind::kBinary:
      e.WriteUint8(kTagBinary);
      e.WriteVarUint8Array(value.as_binary());
      break;
    case Any::Kind::kArray:
      e.WriteUint8(kTagArray);
      e.WriteVarUint(value.as_array().size());
      for (const Any& v : value.as_array()) WriteAny(e, v);
      break;
    case Any::Kind::kObject:
      e.WriteUint8(kTagObject);
      e.WriteVarUint(value.as_object().size());
      for (const auto& [k, v] : value.as_object()) {
        e.WriteVarString(k);
        WriteAny(e, v);
      }
      break;
  }
}

Result<Any> ReadAny(lib0::Decoder& decoder) { return ReadAnyAt(decoder, 0); }

}  // namespace codesphere
