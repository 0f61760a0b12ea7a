// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/encoding.h"

#include <bit>
#include <cstring>

namespace codesphere::lib0 {
namespace {

Status RangeError(std::size_t pos) {
  return InvalidArgumentError("lib0: integer out of range at byte " + std::to_string(pos));
}

template <typename T>
T LoadBigEndian(const std::uint8_t* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
  return v;
}

template <typename T>
void StoreBigEndian(Bytes& out, T v) {
  for (int i = sizeof(T) - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

void Encoder::WriteVarUint(std::uint64_t v) {
  while (v > 0x7f) {
    buf_.push_back(static_cast<std::uint8_t>(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  buf_.push_back(static_cast<std::uint8_t>(v));
}

void Encoder::WriteVarInt(bool negative, std::uint64_t magnitude) {
  std::uint8_t first = static_cast<std::uint8_t>((magnitude & 0x3f) | (negative ? 0x40 : 0));
  magnitude >>= 6;
  if (magnitude > 0) first |= 0x80;
  buf_.push_back(first);
  while (magnitude > 0) {
    buf_.push_back(static_cast<std::uint8_t>((magnitude > 0x7f ? 0x80 : 0) | (magnitude & 0x7f)));
    magnitude >>= 7;
  }
}

void Encoder::WriteVarString(std::string_view s) {
  WriteVarUint(s.size());
  buf_.insert(buf_.end(), s.begin(), s.end());
}

void Encoder::WriteVarUint8Array(ByteSpan bytes) {
  WriteVarUint(bytes.size());
  WriteRaw(bytes);
}

void Encoder::WriteFloat32(float v) { StoreBigEndian(buf_, std::bit_cast<std::uint32_t>(v)); }
void Encoder::WriteFloat64(double v) { StoreBigEndian(buf_, std::bit_cast<std::uint64_t>(v)); }
void Encoder::WriteBigInt64(std::int64_t v) {
  StoreBigEndian(buf_, static_cast<std::uint64_t>(v));
}

Status Decoder::EndError() const {
  return InvalidArgumentError("lib0: unexpected end of input at byte " + std::to_string(pos_));
}

Result<std::uint8_t> Decoder::ReadUint8() {
  if (pos_ >= data_.size()) return EndError();
  return data_[pos_++];
}

Result<std::uint64_t> Decoder::ReadVarUint() {
  const std::size_t start = pos_;
  std::uint64_t value = 0;
  for (int shift = 0; shift < 56; shift += 7) {
    if (pos_ >= data_.size()) return EndError();
    std::uint8_t b = data_[pos_++];
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      if (value > kMaxSafeInteger) return RangeError(start);
      return value;
    }
  }
  return RangeError(start);  // more than 8 groups: over-long or > 2^53-1
}

Result<std::uint32_t> Decoder::ReadVarUint32() {
  const std::size_t start = pos_;
  auto v = ReadVarUint();
  if (!v) return std::move(v).error();
  if (*v > 0xffffffffu) return RangeError(start);
  return static_cast<std::uint32_t>(*v);
}

Result<SignedVarInt> Decoder::ReadSignedVarInt() {
  const std::size_t start = pos_;
  if (pos_ >= data_.size()) return EndError();
  std::uint8_t b = data_[pos_++];
  SignedVarInt out;
  out.negative = (b & 0x40) != 0;
  out.magnitude = b & 0x3f;
  if (b < 0x80) return out;
  for (int shift = 6; shift < 55; shift += 7) {
    if (pos_ >= data_.size()) return EndError();
    b = data_[pos_++];
    out.magnitude |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      if (out.magnitude > kMaxSafeInteger) return RangeError(start);
      return out;
    }
  }
  return RangeError(start);
}

Result<std::int64_t> Decoder::ReadVarInt() {
  auto v = ReadSignedVarInt();
  if (!v) return std::move(v).error();
  return v->value();
}

Result<std::string_view> Decoder::ReadVarStringView() {
  const std::size_t start = pos_;
  auto len = ReadVarUint();
  if (!len) return std::move(len).error();
  if (*len > remaining()) return EndError();
  std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), *len);
  if (!IsValidUtf8(s)) {
    return InvalidArgumentError("lib0: invalid UTF-8 in string at byte " + std::to_string(start));
  }
  pos_ += *len;
  return s;
}

Result<std::string> Decoder::ReadVarString() {
  auto v = ReadVarStringView();
  if (!v) return std::move(v).error();
  return std::string(*v);
}

Result<ByteSpan> Decoder::ReadVarUint8Array() {
  auto len = ReadVarUint();
  if (!len) return std::move(len).error();
  return ReadRaw(*len);
}

Result<ByteSpan> Decoder::ReadRaw(std::size_t n) {
  if (n > remaining()) return EndError();
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<float> Decoder::ReadFloat32() {
  if (remaining() < 4) return EndError();
  auto v = LoadBigEndian<std::uint32_t>(data_.data() + pos_);
  pos_ += 4;
  return std::bit_cast<float>(v);
}

Result<double> Decoder::ReadFloat64() {
  if (remaining() < 8) return EndError();
  auto v = LoadBigEndian<std::uint64_t>(data_.data() + pos_);
  pos_ += 8;
  return std::bit_cast<double>(v);
}

Result<std::int64_t> Decoder::ReadBigInt64() {
  if (remaining() < 8) return EndError();
  auto v = LoadBigEndian<std::uint64_t>(data_.data() + pos_);
  pos_ += 8;
  return static_cast<std::int64_t>(v);
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    std::uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint8_t lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;  // no UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;  // <= U+10FFFF
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::size_t Utf16Length(std::string_view s) {
  std::size_t units = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) != 0x80) ++units;  // a lead byte starts a code point
    if (c >= 0xf0) ++units;           // astral: a surrogate pair
  }
  return units;
}

}  // namespace codesphere::lib0
