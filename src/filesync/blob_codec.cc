// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/blob_codec.h"

#include <sodium.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace codesphere::filesync::internal {
namespace {

constexpr std::uint8_t kFlagZstd = 1;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

// Chunks of 32 KiB or more are first probed with a sample from their middle (a quarter of the
// chunk, at most 16 KiB): when the sample does not shrink by 2 %, the chunk is stored raw
// without compressing all of it (random and already compressed data made up a tenth of a
// save's CPU time otherwise).
constexpr std::size_t kProbeMinSize = 32 << 10;
constexpr std::size_t kProbeMaxSample = 16 << 10;

bool LooksCompressible(ByteSpan plaintext) {
  if (plaintext.size() < kProbeMinSize) return true;
  const std::size_t sample_size = std::min(kProbeMaxSample, plaintext.size() / 4);
  thread_local std::uint8_t out[ZSTD_COMPRESSBOUND(kProbeMaxSample)];
  const std::uint8_t* sample = plaintext.data() + (plaintext.size() - sample_size) / 2;
  std::size_t n = ZSTD_compressCCtx(ThreadCCtx(), out, sizeof(out), sample, sample_size, 1);
  return !ZSTD_isError(n) && n < sample_size - sample_size / 50;
}

void Derive(const Bytes& key, std::string_view label, std::array<std::uint8_t, 32>& out) {
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(label.data()),
                     label.size(), key.data(), key.size());
}

}  // namespace

BlobCodec::BlobCodec(const std::optional<Bytes>& key, int zstd_level) : level_(zstd_level) {
  if (key) {
    encrypted_ = true;
    Derive(*key, "codesphere/filesync/chunk-id", id_key_);
    Derive(*key, "codesphere/filesync/aead", aead_key_);
  }
}

BlobCodec::~BlobCodec() {
  sodium_memzero(id_key_.data(), id_key_.size());
  sodium_memzero(aead_key_.data(), aead_key_.size());
}

ChunkId BlobCodec::Id(ByteSpan plaintext) const {
  ChunkId id;
  crypto_generichash(id.data(), id.size(), plaintext.data(), plaintext.size(),
                     encrypted_ ? id_key_.data() : nullptr, encrypted_ ? id_key_.size() : 0);
  return id;
}

std::size_t BlobCodec::MaxEncodedSize(std::size_t plaintext_size) const {
  std::size_t body = 1 + std::max(ZSTD_compressBound(plaintext_size), plaintext_size);
  return encrypted_ ? crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + body +
                          crypto_aead_xchacha20poly1305_ietf_ABYTES
                    : body;
}

std::size_t BlobCodec::EncodeBlobTo(ByteSpan plaintext, ByteSpan ad, std::uint8_t* out) const {
  // [flags][payload], built in place after room for the nonce.
  std::size_t header = encrypted_ ? crypto_aead_xchacha20poly1305_ietf_NPUBBYTES : 0;
  std::size_t bound = ZSTD_compressBound(plaintext.size());
  std::uint8_t* flags = out + header;
  std::size_t payload = 0;
  bool try_zstd = plaintext.size() >= 64 && LooksCompressible(plaintext);
  std::size_t n = try_zstd ? ZSTD_compressCCtx(ThreadCCtx(), flags + 1, bound, plaintext.data(),
                                               plaintext.size(), level_)
                           : 0;
  if (try_zstd && !ZSTD_isError(n) && n < plaintext.size()) {
    *flags = kFlagZstd;
    payload = n;
  } else {
    *flags = 0;
    if (!plaintext.empty()) std::memcpy(flags + 1, plaintext.data(), plaintext.size());
    payload = plaintext.size();
  }
  if (!encrypted_) return 1 + payload;
  std::uint8_t* nonce = out;
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(flags, &clen, flags, 1 + payload, ad.data(), ad.size(),
                                             nullptr, nonce, aead_key_.data());
  return header + static_cast<std::size_t>(clen);
}

void BlobCodec::EncodeBlob(ByteSpan plaintext, ByteSpan ad, Bytes& out) const {
  std::size_t base = out.size();
  out.resize(base + MaxEncodedSize(plaintext.size()));
  out.resize(base + EncodeBlobTo(plaintext, ad, out.data() + base));
}

Result<Bytes> BlobCodec::DecodeBlob(ByteSpan stored, ByteSpan ad, std::size_t max_size) const {
  Bytes plain_holder;
  ByteSpan inner = stored;
  if (encrypted_) {
    constexpr std::size_t kN = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    constexpr std::size_t kA = crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (stored.size() < kN + kA + 1) return DataLossError("encrypted blob is truncated");
    plain_holder.resize(stored.size() - kN - kA);
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain_holder.data(), &mlen, nullptr,
                                                   stored.data() + kN, stored.size() - kN,
                                                   ad.data(), ad.size(), stored.data(),
                                                   aead_key_.data()) != 0) {
      return PermissionDeniedError("blob failed authentication (wrong key or corrupted data)");
    }
    plain_holder.resize(mlen);
    inner = plain_holder;
  }
  if (inner.empty()) return DataLossError("blob is empty");
  std::uint8_t flags = inner[0];
  ByteSpan payload = inner.subspan(1);
  if (flags == 0) return Bytes(payload.begin(), payload.end());
  if (flags != kFlagZstd) return DataLossError("blob has unknown flags");
  unsigned long long size = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size) {
    return DataLossError("blob has a bad zstd frame header");
  }
  Bytes out(size);
  std::size_t n = ZSTD_decompressDCtx(ThreadDCtx(), out.data(), out.size(), payload.data(), payload.size());
  if (ZSTD_isError(n) || n != size) return DataLossError("blob failed to decompress");
  return out;
}

void BlobCodec::EncodeChunk(const ChunkId& id, ByteSpan plaintext, Bytes& out) const {
  EncodeBlob(plaintext, id, out);
}

std::size_t BlobCodec::EncodeChunkTo(const ChunkId& id, ByteSpan plaintext, std::uint8_t* out) const {
  return EncodeBlobTo(plaintext, id, out);
}

Result<Bytes> BlobCodec::DecodeChunk(const ChunkId& id, ByteSpan stored, std::size_t raw_size) const {
  auto plain = DecodeBlob(stored, id, raw_size);
  if (!plain.has_value()) return plain;
  if (plain->size() != raw_size || Id(*plain) != id) {
    return DataLossError("chunk " + ToHex(ByteSpan(id.data(), 8)) + " does not match its id");
  }
  return plain;
}

Result<ByteSpan> BlobCodec::DecodeChunkView(const ChunkId& id, ByteSpan stored, std::size_t raw_size,
                                            Bytes& scratch) const {
  ByteSpan plain;
  if (!encrypted_ && !stored.empty() && stored[0] == 0) {
    plain = stored.subspan(1);
  } else {
    auto decoded = DecodeBlob(stored, id, raw_size);
    if (!decoded.has_value()) return decoded.error();
    scratch = std::move(*decoded);
    plain = scratch;
  }
  if (plain.size() != raw_size || Id(plain) != id) {
    return DataLossError("chunk " + ToHex(ByteSpan(id.data(), 8)) + " does not match its id");
  }
  return plain;
}

Bytes BlobCodec::Seal(ByteSpan plaintext, std::string_view kind) const {
  ChunkId sum = Id(plaintext);
  Bytes out(sum.begin(), sum.end());
  EncodeBlob(plaintext, AsBytes(kind), out);
  return out;
}

Result<Bytes> BlobCodec::Unseal(ByteSpan stored, std::string_view kind) const {
  if (stored.size() < 33) return DataLossError(std::string(kind) + " object is truncated");
  auto plain = DecodeBlob(stored.subspan(32), AsBytes(kind), std::size_t{1} << 32);
  if (!plain.has_value()) return plain.error().WithContext(std::string(kind));
  ChunkId sum = Id(*plain);
  if (std::memcmp(sum.data(), stored.data(), 32) != 0) {
    return DataLossError(std::string(kind) + " object fails its checksum");
  }
  return plain;
}

}  // namespace codesphere::filesync::internal
