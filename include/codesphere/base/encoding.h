// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// lib0 binary codecs (the primitives of the Yjs and y-protocols wire formats):
// varUint, varInt (sign-magnitude), varString, varUint8Array, float32/64 and bigint64
// (big-endian). Mirrors lib0 `encoding.js` / `decoding.js`. The `any` codec is in any.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::lib0 {

// Largest integer lib0 accepts in a varUint/varInt magnitude (JS Number.MAX_SAFE_INTEGER).
inline constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

// Appends lib0 encodings to an owned buffer.
//
//   varUint:  7-bit groups, little-endian, bit 7 = "more follows"        300 -> ac 02
//   varInt:   first byte [more|sign|6 magnitude bits], then 7-bit groups  -64 -> c0 01
//   varString / varUint8Array: varUint(byte length) then the bytes
//   float32 / float64 / bigint64: fixed width, big-endian
//
// Thread-safety: thread-compatible (external synchronization).
class Encoder {
 public:
  Encoder() = default;
  explicit Encoder(std::size_t reserve) { buf_.reserve(reserve); }

  void WriteUint8(std::uint8_t v) { buf_.push_back(v); }
  // REQUIRES: v <= kMaxSafeInteger for lib0 peers to read it back (not checked).
  void WriteVarUint(std::uint64_t v);
  void WriteVarInt(std::int64_t v) {
    WriteVarInt(v < 0, v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v));
  }
  // The sign-magnitude form, which can express -0 (`40`).
  void WriteVarInt(bool negative, std::uint64_t magnitude);
  // `s` must be valid UTF-8 (callers holding JS strings with lone surrogates replace them
  // with U+FFFD first, as TextEncoder does).
  void WriteVarString(std::string_view s);
  void WriteVarUint8Array(ByteSpan bytes);
  void WriteRaw(ByteSpan bytes) { buf_.insert(buf_.end(), bytes.begin(), bytes.end()); }
  void WriteFloat32(float v);
  void WriteFloat64(double v);
  void WriteBigInt64(std::int64_t v);

  std::size_t size() const { return buf_.size(); }
  const Bytes& bytes() const { return buf_; }
  // Moves the buffer out; the encoder is empty afterwards.
  Bytes Take() { return std::move(buf_); }

 private:
  Bytes buf_;
};

// A varInt with its sign kept separately, so `-0` survives.
struct SignedVarInt {
  bool negative = false;
  std::uint64_t magnitude = 0;
  std::int64_t value() const {
    return negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  }
};

// Reads lib0 encodings from borrowed bytes. Input is hostile: every read checks bounds and
// returns kInvalidArgument ("unexpected end of input at byte N", "integer out of range at
// byte N", "invalid UTF-8 at byte N") instead of reading past the end. After an error the
// position is unspecified.
//
// Thread-safety: thread-compatible (external synchronization).
class Decoder {
 public:
  explicit Decoder(ByteSpan data) : data_(data) {}

  Result<std::uint8_t> ReadUint8();
  // Rejects values above kMaxSafeInteger and encodings longer than 8 bytes.
  Result<std::uint64_t> ReadVarUint();
  // A varUint that must fit in 32 bits (lengths, counts, info bytes in practice).
  Result<std::uint32_t> ReadVarUint32();
  Result<std::int64_t> ReadVarInt();
  Result<SignedVarInt> ReadSignedVarInt();
  // Rejects invalid UTF-8 (overlong forms, surrogates, > U+10FFFF); keeps a leading BOM.
  Result<std::string> ReadVarString();
  // As ReadVarString, but a view into the input (valid as long as the input).
  Result<std::string_view> ReadVarStringView();
  // A view into the input.
  Result<ByteSpan> ReadVarUint8Array();
  Result<ByteSpan> ReadRaw(std::size_t n);
  Result<float> ReadFloat32();
  Result<double> ReadFloat64();
  Result<std::int64_t> ReadBigInt64();

  // Bytes not yet read.
  ByteSpan rest() const { return data_.subspan(pos_); }
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool done() const { return pos_ >= data_.size(); }

 private:
  Status EndError() const;
  ByteSpan data_;
  std::size_t pos_ = 0;
};

// True if `s` is well-formed UTF-8 by the rules of a fatal TextDecoder.
bool IsValidUtf8(std::string_view s);

// Number of UTF-16 code units `s` (valid UTF-8) occupies in a JS string.
std::size_t Utf16Length(std::string_view s);

}  // namespace codesphere::lib0
