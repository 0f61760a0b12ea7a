// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Chunk ids (BLAKE2b-256, keyed when encrypted) and the stored form of chunks and metadata:
//
//   plain repository:      [flags:1][payload]
//   encrypted repository:  [nonce:24][XChaCha20-Poly1305([flags:1][payload]) + tag:16]
//   flags bit 0: payload is a zstd frame (else raw; incompressible data is stored raw)
//
// The AEAD's associated data binds a chunk to its id (and metadata to its kind), so a stored
// blob cannot be swapped for another. Metadata objects are `[BLAKE2b-256 of plaintext:32]
// [blob]` and are verified on read.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/filesync/manifest.h"

namespace codesphere::filesync::internal {

// Thread-safety: thread-safe (zstd contexts are per thread).
class BlobCodec {
 public:
  // `key`: 32 bytes or none.
  BlobCodec(const std::optional<Bytes>& key, int zstd_level);
  ~BlobCodec();

  bool encrypted() const { return encrypted_; }

  ChunkId Id(ByteSpan plaintext) const;

  // Appends the stored form of chunk `id` = `plaintext` to `out`.
  void EncodeChunk(const ChunkId& id, ByteSpan plaintext, Bytes& out) const;

  // The largest stored form of a chunk of `plaintext_size` bytes.
  std::size_t MaxEncodedSize(std::size_t plaintext_size) const;
  // Writes the stored form of chunk `id` = `plaintext` to `out`, which has room for
  // MaxEncodedSize(plaintext.size()) bytes; returns its length.
  std::size_t EncodeChunkTo(const ChunkId& id, ByteSpan plaintext, std::uint8_t* out) const;

  // Decodes a stored chunk, checks its length and id; kDataLoss / kPermissionDenied (wrong key).
  Result<Bytes> DecodeChunk(const ChunkId& id, ByteSpan stored, std::size_t raw_size) const;

  // Same, without copying when possible: returns a view into `stored` (raw chunks of a plain
  // repository) or into `scratch` (decompressed or decrypted), valid while both live.
  Result<ByteSpan> DecodeChunkView(const ChunkId& id, ByteSpan stored, std::size_t raw_size,
                                   Bytes& scratch) const;

  // Metadata objects (manifests, indexes): compressed, encrypted with `kind` as associated
  // data, checksummed.
  Bytes Seal(ByteSpan plaintext, std::string_view kind) const;
  Result<Bytes> Unseal(ByteSpan stored, std::string_view kind) const;

 private:
  void EncodeBlob(ByteSpan plaintext, ByteSpan ad, Bytes& out) const;
  std::size_t EncodeBlobTo(ByteSpan plaintext, ByteSpan ad, std::uint8_t* out) const;
  Result<Bytes> DecodeBlob(ByteSpan stored, ByteSpan ad, std::size_t max_size) const;

  bool encrypted_ = false;
  int level_;
  std::array<std::uint8_t, 32> id_key_{};
  std::array<std::uint8_t, 32> aead_key_{};
};

}  // namespace codesphere::filesync::internal
