// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The repository's private object formats (cereal portable binary, then BlobCodec::Seal):
// config and index. The manifest codec is public (manifest.h).
#pragma once

#include <string>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/filesync/manifest.h"
#include "codesphere/filesync/repository.h"

namespace codesphere::filesync::internal {

// Where a chunk is stored.
struct IndexEntry {
  ChunkId id{};
  std::string pack;  // Object key of the pack.
  std::uint64_t offset = 0;
  std::uint32_t length = 0;    // Stored (encoded) length.
  std::uint32_t raw_size = 0;  // Plaintext length.
};

struct IndexFile {
  std::uint32_t version = 1;
  std::vector<IndexEntry> entries;
};

// The `config` object (not sealed: it carries what is needed to open the rest).
struct RepoConfig {
  std::uint32_t version = 1;
  std::string repo_id;  // Random hex; names the local cache.
  ChunkerParams chunker;
  bool encrypted = false;
  // Encrypted repositories: Seal("codesphere-key-check:" + repo_id, "config") with the key.
  Bytes key_check;
};

Bytes EncodeIndex(const IndexFile& index);
Result<IndexFile> DecodeIndex(ByteSpan bytes);
Bytes EncodeConfig(const RepoConfig& config);
Result<RepoConfig> DecodeConfig(ByteSpan bytes);

}  // namespace codesphere::filesync::internal
