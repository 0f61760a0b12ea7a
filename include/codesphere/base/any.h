// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Any`: a JS-like value (undefined, null, bool, number, bigint, string, Uint8Array, array,
// object with ordered string keys) and its lib0 `any` codec (tags 127…116), as Yjs stores
// map values, array elements and embeds. Mirrors lib0 `writeAny` / `readAny`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/encoding.h"
#include "codesphere/base/result.h"

namespace codesphere {

// A JS value. Numbers are doubles, as in JS; integers up to 2^53 are exact.
//
// Thread-safety: thread-compatible (external synchronization).
class Any {
 public:
  enum class Kind : std::uint8_t {
    kUndefined,
    kNull,
    kBool,
    kNumber,
    kBigInt,
    kString,
    kBinary,
    kArray,
    kObject,
  };
  using Array = std::vector<Any>;
  // Keys in insertion (JS property) order; duplicates are not merged.
  using Object = std::vector<std::pair<std::string, Any>>;
  struct BigIntValue {
    std::int64_t value;
    friend bool operator==(BigIntValue a, BigIntValue b) { return a.value == b.value; }
  };
  struct NullValue {
    friend bool operator==(NullValue, NullValue) { return true; }
  };
  struct UndefinedValue {
    friend bool operator==(UndefinedValue, UndefinedValue) { return true; }
  };

  // undefined
  Any() = default;
  Any(std::nullptr_t) : v_(NullValue{}) {}  // NOLINT(runtime/explicit)
  Any(bool b) : v_(b) {}                    // NOLINT(runtime/explicit)
  Any(double d) : v_(d) {}                  // NOLINT(runtime/explicit)
  Any(int i) : v_(static_cast<double>(i)) {}  // NOLINT(runtime/explicit)
  Any(std::int64_t i) : v_(static_cast<double>(i)) {}  // NOLINT(runtime/explicit)
  Any(std::uint32_t i) : v_(static_cast<double>(i)) {}  // NOLINT(runtime/explicit)
  Any(std::uint64_t i) : v_(static_cast<double>(i)) {}  // NOLINT(runtime/explicit)
  Any(std::string s) : v_(std::move(s)) {}  // NOLINT(runtime/explicit)
  Any(std::string_view s) : v_(std::string(s)) {}  // NOLINT(runtime/explicit)
  Any(const char* s) : v_(std::string(s)) {}  // NOLINT(runtime/explicit)
  Any(Bytes b) : v_(std::move(b)) {}        // NOLINT(runtime/explicit)
  Any(Array a) : v_(std::move(a)) {}        // NOLINT(runtime/explicit)
  Any(Object o) : v_(std::move(o)) {}       // NOLINT(runtime/explicit)
  Any(BigIntValue b) : v_(b) {}             // NOLINT(runtime/explicit)

  static Any Undefined() { return Any(); }
  static Any Null() { return Any(nullptr); }
  static Any BigInt(std::int64_t v) { return Any(BigIntValue{v}); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_bigint() const { return kind() == Kind::kBigInt; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_binary() const { return kind() == Kind::kBinary; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Typed access. REQUIRES: the matching kind (CHECK).
  bool as_bool() const;
  double as_number() const;
  std::int64_t as_bigint() const;
  const std::string& as_string() const;
  const Bytes& as_binary() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // For objects: the first value under `key`, or nullptr (also for non-objects).
  const Any* Find(std::string_view key) const;

  // Deep, JS-`===`-on-leaves equality, except that NaN equals NaN and key order matters.
  friend bool operator==(const Any& a, const Any& b);

 private:
  std::variant<UndefinedValue, NullValue, bool, double, BigIntValue, std::string, Bytes, Array,
               Object>
      v_;
};

// Appends the lib0 `any` encoding of `value`. Numbers are canonicalised as lib0 does:
// an integer (incl. -0) with |v| <= 2^31-1 -> tag 125 varInt; else exact as float32 -> 124;
// else 123 float64. Strings must be valid UTF-8.
void WriteAny(lib0::Encoder& encoder, const Any& value);

// Reads one lib0 `any`. Returns kInvalidArgument on unknown tags (0…115), truncation,
// invalid UTF-8, or nesting deeper than `kMaxAnyDepth`.
inline constexpr int kMaxAnyDepth = 256;
Result<Any> ReadAny(lib0::Decoder& decoder);

// The JSON text of `value` as JS `JSON.stringify` writes it (undefined members omitted,
// undefined array elements, NaN and ±Infinity as null, numbers in JS shortest form,
// Uint8Array as an index-keyed object, BigInt as its decimal digits).
std::string ToJson(const Any& value);

// Parses strict JSON (RFC 8259) into an Any; numbers become doubles, object key order is kept.
// Returns kInvalidArgument with the byte offset on malformed input or nesting deeper than
// kMaxAnyDepth.
Result<Any> ParseJson(std::string_view json);

// JS `Number.prototype.toString()` of `v` ("1", "1.5", "1e+21", "NaN", "-Infinity").
std::string FormatJsNumber(double v);

}  // namespace codesphere
