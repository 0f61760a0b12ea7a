// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Repository`: deduplicated, compressed, optionally encrypted snapshots of directory trees in
// an `ObjectStore` (save, list, restore, fork, garbage collection).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/filesync/manifest.h"
#include "codesphere/storage/object_store.h"

namespace codesphere::filesync {

// Content-defined chunking parameters (FastCDC with normalized chunking, level 2). Fixed when a
// repository is created (stored in its config). Files smaller than `min_size` are one chunk.
struct ChunkerParams {
  // Default: 256 KiB.
  std::uint32_t min_size = 256u << 10;
  // Target average; must be a power of two. Default: 1 MiB.
  std::uint32_t avg_size = 1u << 20;
  // Default: 4 MiB.
  std::uint32_t max_size = 4u << 20;
};

struct RepositoryOptions {
  // 32-byte key for encryption at rest (XChaCha20-Poly1305, libsodium). Set when creating an
  // encrypted repository and whenever opening one. Default: none (not encrypted).
  std::optional<Bytes> key;
  // Create the repository (its `config` object) if the store has none. Default: true.
  bool create = true;
  // Chunking parameters for a new repository. Default: see ChunkerParams.
  ChunkerParams chunker;
  // A local directory for the stat cache and copies of immutable metadata (manifests,
  // indexes), which makes incremental snapshots read only changed files. Default: "" (none).
  std::string cache_dir;
  // Threads for reading, chunking, hashing and compressing. Default: 0 (hardware threads).
  int workers = 0;
  // Concurrent object uploads / downloads. Default: 4.
  int io_concurrency = 4;
  // zstd level for chunks. Default: 1 (fast; incompressible data is stored raw).
  int zstd_level = 1;
  // Target pack object size; small chunks are batched into packs. Default: 16 MiB.
  std::uint64_t pack_size = 16u << 20;
};

// Progress of a long operation. Callbacks run on worker threads, one at a time, at most about
// every 100 ms plus once at the end (`done` = true).
struct Progress {
  std::uint64_t files_done = 0;
  std::uint64_t files_total = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  bool done = false;
};
using ProgressCallback = std::function<void(const Progress&)>;

struct SaveOptions {
  // Project (workspace) id recorded in the manifest. Default: "".
  std::string project;
  // Top-level names to leave out (e.g. a template's own metadata file). Default: none.
  std::vector<std::string> exclude;
  // Default: none.
  ProgressCallback progress;
};

struct SnapshotInfo {
  std::string id;
  std::string parent;
  std::string project;
  std::string source;
  std::int64_t time_unix_ms = 0;
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t symlinks = 0;
  std::uint64_t bytes = 0;
};

struct SaveStats {
  SnapshotInfo snapshot;
  // Files read (changed or new) vs taken from the stat cache unread.
  std::uint64_t files_read = 0;
  std::uint64_t files_unchanged = 0;
  // Chunks uploaded by this snapshot vs already present in the repository.
  std::uint64_t new_chunks = 0;
  std::uint64_t reused_chunks = 0;
  // Bytes uploaded in packs (after compression/encryption).
  std::uint64_t stored_bytes = 0;
  std::uint64_t packs_written = 0;
};

struct RestoreOptions {
  // Default: none.
  ProgressCallback progress;
};

struct RestoreStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

struct GcOptions {
  // Packs that no index lists are deleted only when older than this (they may belong to a
  // snapshot being saved right now). Default: 1 hour.
  std::int64_t unindexed_grace_ms = 3'600'000;
};

struct GcStats {
  std::uint64_t chunks_kept = 0;
  std::uint64_t chunks_deleted = 0;
  std::uint64_t packs_deleted = 0;
  std::uint64_t packs_rewritten = 0;
  std::uint64_t bytes_freed = 0;
};

// A snapshot repository in an object store. Layout (all keys relative to the store):
//   config                 repository parameters and (if encrypted) a key check, created once
//   data/XX/<pack id>      packs: concatenated encoded chunks (zstd, then XChaCha20-Poly1305)
//   index/<id>             chunk id -> (pack, offset, length) for the packs of one save or gc
//   snapshots/<id>         manifests (zstd, encrypted), written last with if-none-match
// A save uploads packs, then its index, then its manifest: a failed save leaves no visible
// snapshot, only unreferenced packs that `Gc` removes. See docs/filesync.md.
//
// All methods block; they use internal thread pools. Errors: storage errors pass through;
// kInvalidArgument for unsafe paths or ids, kDataLoss for corrupt objects, kPermissionDenied
// for a wrong key, kFailedPrecondition for a non-empty restore target.
//
// Thread-safety: thread-compatible (external synchronization); `store` must outlive it.
class Repository {
 public:
  // Opens (and with `options.create`, initializes) the repository in `store`.
  // Returns kNotFound if there is none and `create` is false, kFailedPrecondition when the
  // repository is encrypted and no key was given (or the reverse), kPermissionDenied for a
  // wrong key, kInvalidArgument for bad options.
  static Result<std::unique_ptr<Repository>> Open(storage::ObjectStore& store,
                                                  RepositoryOptions options = {});
  virtual ~Repository() = default;

  // Snapshots the tree under `dir` (symlinks are stored, never followed; sockets, devices and
  // fifos are skipped). Only chunks the repository lacks are uploaded; with a cache, files
  // whose stat is unchanged since the parent snapshot are not read.
  virtual Result<SaveStats> Save(const std::string& dir, const SaveOptions& options = {}) = 0;

  // Every snapshot, oldest first.
  virtual Result<std::vector<SnapshotInfo>> List() = 0;

  // The manifest of snapshot `id` (kNotFound if none).
  virtual Result<Manifest> LoadManifest(const std::string& id) = 0;

  // Restores snapshot `id` into `dir`, which must be empty or absent (created). Content,
  // modes, mtimes, symlinks and empty directories are reproduced exactly; every chunk is
  // verified against its id (kDataLoss on mismatch).
  virtual Result<RestoreStats> Restore(const std::string& id, const std::string& dir,
                                       const RestoreOptions& options = {}) = 0;

  // A new snapshot of the same tree under `project` (a fork): shares all chunks, so it costs
  // one manifest.
  virtual Result<SnapshotInfo> Fork(const std::string& id, const std::string& project) = 0;

  // Deletes snapshot `id`'s manifest (its chunks go at the next Gc).
  virtual Status Forget(const std::string& id) = 0;

  // Removes chunks no manifest references: drops dead packs, rewrites partly dead ones,
  // replaces the indexes by one. Must not run concurrently with Save on the same store.
  virtual Result<GcStats> Gc(const GcOptions& options = {}) = 0;
};

// A fresh random 32-byte key for `RepositoryOptions::key`.
Bytes NewRepositoryKey();

}  // namespace codesphere::filesync
