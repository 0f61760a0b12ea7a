// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The snapshot manifest: everything needed to restore a directory tree exactly (paths, types,
// modes, sizes, times, symlink targets and each file's chunk list).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::filesync {

// BLAKE2b-256 of a chunk's plaintext (keyed when the repository is encrypted).
using ChunkId = std::array<std::uint8_t, 32>;

// One chunk of a file, in file order.
struct ChunkRef {
  ChunkId id{};
  // Plaintext length in bytes.
  std::uint32_t size = 0;
};

enum class EntryType : std::uint8_t { kFile = 0, kDirectory = 1, kSymlink = 2 };

// One node of the tree. Paths are relative, `/`-separated, without `.`/`..` segments.
struct ManifestEntry {
  std::string path;
  EntryType type = EntryType::kFile;
  // Permission bits (07777).
  std::uint32_t mode = 0;
  // File size in bytes (0 for directories; target length for symlinks).
  std::uint64_t size = 0;
  // Modification time, nanoseconds since the Unix epoch.
  std::int64_t mtime_ns = 0;
  // Symlink target, stored verbatim and never followed.
  std::string link_target;
  // File content, in order; the sizes add up to `size`.
  std::vector<ChunkRef> chunks;
  // Stat-cache identity of the source file (not restored): inode and ctime. A later snapshot
  // of the same directory reuses `chunks` without reading the file when size, mtime, ctime and
  // inode are unchanged.
  std::uint64_t inode = 0;
  std::int64_t ctime_ns = 0;
};

struct Manifest {
  // Format version of this structure. Default: 1.
  std::uint32_t version = 1;
  // The snapshot id (hex; sorts chronologically).
  std::string id;
  // The snapshot this one was taken relative to, if any ("" otherwise).
  std::string parent;
  // The project (workspace) the snapshot belongs to; "" if none.
  std::string project;
  // Where it was taken from (absolute directory path) - for choosing a parent.
  std::string source;
  std::int64_t time_unix_ms = 0;
  // Sorted by `path` (byte order); a directory precedes its contents.
  std::vector<ManifestEntry> entries;

  // Sum of file sizes.
  std::uint64_t TotalBytes() const;
};

// Serializes `manifest` (cereal portable binary). Returns the bytes; never fails.
Bytes EncodeManifest(const Manifest& manifest);
// Parses bytes from EncodeManifest; kDataLoss on malformed input.
Result<Manifest> DecodeManifest(ByteSpan bytes);

}  // namespace codesphere::filesync
