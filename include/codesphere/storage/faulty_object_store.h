// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `FaultyObjectStore`: a wrapper that fails chosen operations, for testing error paths of
// code built on `ObjectStore` [leveldb: ErrorEnv].
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "codesphere/base/thread_annotations.h"
#include "codesphere/storage/object_store.h"

namespace codesphere::storage {

// The operations a fault can target.
enum class ObjectStoreOp { kGet, kPut, kDelete, kList, kStat };

// Decides whether to fail an operation: returns OK to let it through, or the Status to return
// instead (the target is then not called).
using FaultInjector = std::function<Status(ObjectStoreOp op, std::string_view key)>;

// Forwards to a target store unless the installed injector returns an error. Counts the
// operations that reached the target.
//
// Thread-safety: thread-safe (the injector is called under a lock, one call at a time).
class FaultyObjectStore : public ObjectStoreWrapper {
 public:
  // `target` must outlive this object.
  explicit FaultyObjectStore(ObjectStore& target) : ObjectStoreWrapper(target) {}

  // Installs `injector` (an empty function removes it).
  void SetInjector(FaultInjector injector);

  // Convenience: fail every `op` whose key starts with `key_prefix` with `status`, after
  // letting the first `skip` such operations through.
  void FailOps(ObjectStoreOp op, std::string key_prefix, Status status, int skip = 0);

  // Number of successful (forwarded, OK) puts since construction.
  std::int64_t puts() const { return puts_.load(); }

  // storage::ObjectStore
  Result<GetResult> Get(std::string_view key, const GetOptions& options = {}) override;
  Result<Generation> Put(std::string_view key, ByteSpan value,
                         const PutOptions& options = {}) override;
  Status Delete(std::string_view key, const DeleteOptions& options = {}) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Result<ObjectInfo> Stat(std::string_view key) override;

 private:
  Status Check(ObjectStoreOp op, std::string_view key);

  std::mutex mu_;
  FaultInjector injector_ CODESPHERE_GUARDED_BY(mu_);
  std::atomic<std::int64_t> puts_{0};
};

}  // namespace codesphere::storage
