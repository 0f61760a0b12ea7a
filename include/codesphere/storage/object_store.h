// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `ObjectStore`: durable, flat key -> bytes storage with conditional writes (the contract shared
// by the memory, local-directory and S3 backends), and `ObjectStoreWrapper` for decorators.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/storage/generation.h"

namespace codesphere::storage {

// What a store knows about one object.
struct ObjectInfo {
  // The full key.
  std::string key;
  // Size of the value in bytes.
  std::uint64_t size = 0;
  // The current generation (for conditional writes).
  Generation generation;
  // Last modification time, milliseconds since the Unix epoch (0 if the backend cannot tell).
  std::int64_t mtime_unix_ms = 0;
};

// An object's value and its metadata.
struct GetResult {
  Bytes value;
  ObjectInfo info;
};

// Options of `ObjectStore::Get`.
struct GetOptions {
  // Read only if the object's generation equals this; otherwise kFailedPrecondition.
  // Default: unconditional.
  std::optional<Generation> if_match;
  // First byte to return. Past the end yields an empty value. Default: 0.
  std::uint64_t offset = 0;
  // At most this many bytes from `offset`. Default: to the end.
  std::optional<std::uint64_t> length;
};

// Options of `ObjectStore::Put`.
struct PutOptions {
  // Write only if the object exists with exactly this generation (HTTP If-Match); otherwise
  // kFailedPrecondition (also when the object does not exist). Default: unconditional.
  std::optional<Generation> if_match;
  // Write only if no object has this key (HTTP `If-None-Match: *`); otherwise
  // kFailedPrecondition. Default: false.
  bool if_none_match = false;
};

// Options of `ObjectStore::Delete`.
struct DeleteOptions {
  // Delete only if the object exists with exactly this generation; otherwise
  // kFailedPrecondition. Default: unconditional.
  std::optional<Generation> if_match;
};

// Durable key -> bytes storage. Keys are `/`-separated relative paths (see `ValidateKey`).
//
// Every write can be conditional on a `Generation`; a write that loses a race returns
// kFailedPrecondition and changes nothing, so callers can build compare-and-swap loops on it.
// Writes are atomic: a reader sees the old value or the new one, never a mix. Successful writes
// are durable when the call returns (to the extent the backend offers it).
//
// The API is synchronous and blocking: call it from worker threads (e.g. an
// `asio::thread_pool`), never from network threads. A blocking API was chosen over
// `asio::awaitable` so that filesync's thread pool, the CLI and the Python bindings can use it
// directly; every implementation is safe to call from many threads at once.
//
// Errors common to all methods: kInvalidArgument for a bad key, kUnavailable for transient
// backend failures (already retried where the backend retries), kUnauthenticated /
// kPermissionDenied for bad credentials, kNotFound for a missing bucket or root.
//
// Thread-safety: thread-safe.
class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  virtual ~ObjectStore() = default;

  // Reads `key` (or the byte range in `options`). Returns kNotFound if it does not exist and
  // kFailedPrecondition if `options.if_match` does not hold.
  virtual Result<GetResult> Get(std::string_view key, const GetOptions& options = {}) = 0;

  // Writes `value` under `key`, atomically replacing any previous value. Returns the new
  // generation, or kFailedPrecondition if a condition in `options` does not hold.
  virtual Result<Generation> Put(std::string_view key, ByteSpan value,
                                 const PutOptions& options = {}) = 0;

  // Deletes `key`. Deleting a missing key is OK unless `options.if_match` is set, in which case
  // it is kFailedPrecondition.
  virtual Status Delete(std::string_view key, const DeleteOptions& options = {}) = 0;

  // Lists every object whose key starts with `prefix` (which need not end in `/`), sorted by
  // key in byte order.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;

  // Metadata of `key`; kNotFound if it does not exist.
  virtual Result<ObjectInfo> Stat(std::string_view key) = 0;
};

// Checks that `key` is a valid object key: 1..1024 bytes, no NUL or control bytes, no leading
// or trailing `/`, no empty, `.` or `..` segments, and not under the reserved `.codesphere`
// first segment. Returns kInvalidArgument naming the problem otherwise.
Status ValidateKey(std::string_view key);

// Checks a list prefix: empty, or a string that could start a valid key (same byte rules).
Status ValidatePrefix(std::string_view prefix);

// Forwards every call to a target store; subclasses override what they change (decorators,
// fault injection, metrics) [leveldb: EnvWrapper].
//
// Thread-safety: thread-safe (if the target is).
class ObjectStoreWrapper : public ObjectStore {
 public:
  // `target` must outlive the wrapper.
  explicit ObjectStoreWrapper(ObjectStore& target) : target_(target) {}

  ObjectStore& target() const { return target_; }

  // storage::ObjectStore
  Result<GetResult> Get(std::string_view key, const GetOptions& options = {}) override;
  Result<Generation> Put(std::string_view key, ByteSpan value,
                         const PutOptions& options = {}) override;
  Status Delete(std::string_view key, const DeleteOptions& options = {}) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Result<ObjectInfo> Stat(std::string_view key) override;

 private:
  ObjectStore& target_;
};

}  // namespace codesphere::storage
