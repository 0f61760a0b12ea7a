// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// MemoryObjectStore: a std::map under one mutex.
#include "codesphere/storage/memory_object_store.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "codesphere/base/status_macros.h"
#include "codesphere/base/thread_annotations.h"

namespace codesphere::storage {
namespace {

class MemoryObjectStore : public ObjectStore {
 public:
  // storage::ObjectStore
  Result<GetResult> Get(std::string_view key, const GetOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFoundError("object " + std::string(key) + " not found");
    if (options.if_match && *options.if_match != it->second.info.generation) {
      return FailedPreconditionError("get " + std::string(key) + ": generation mismatch");
    }
    GetResult result;
    result.info = it->second.info;
    const Bytes& v = it->second.value;
    std::uint64_t begin = std::min<std::uint64_t>(options.offset, v.size());
    std::uint64_t end = v.size();
    if (options.length) end = std::min<std::uint64_t>(end, begin + *options.length);
    result.value.assign(v.begin() + begin, v.begin() + end);
    return result;
  }

  Result<Generation> Put(std::string_view key, ByteSpan value,
                         const PutOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    std::string k(key);
    auto it = objects_.find(k);
    if (options.if_none_match && it != objects_.end()) {
      return FailedPreconditionError("put " + k + ": object already exists");
    }
    if (options.if_match &&
        (it == objects_.end() || it->second.info.generation != *options.if_match)) {
      return FailedPreconditionError("put " + k + ": generation mismatch");
    }
    Entry& e = objects_[k];
    e.value.assign(value.begin(), value.end());
    e.info.key = k;
    e.info.size = value.size();
    e.info.generation = Generation("m" + std::to_string(++counter_));
    e.info.mtime_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    return e.info.generation;
  }

  Status Delete(std::string_view key, const DeleteOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(key));
    if (options.if_match &&
        (it == objects_.end() || it->second.info.generation != *options.if_match)) {
      return FailedPreconditionError("delete " + std::string(key) + ": generation mismatch");
    }
    if (it != objects_.end()) objects_.erase(it);
    return OkStatus();
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    CODESPHERE_RETURN_IF_ERROR(ValidatePrefix(prefix));
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ObjectInfo> out;
    for (auto it = objects_.lower_bound(std::string(prefix));
         it != objects_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
      out.push_back(it->second.info);
    }
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFoundError("object " + std::string(key) + " not found");
    return it->second.info;
  }

 private:
  struct Entry {
    Bytes value;
    ObjectInfo info;
  };
  std::mutex mu_;
  std::map<std::string, Entry> objects_ CODESPHERE_GUARDED_BY(mu_);
  std::uint64_t counter_ CODESPHERE_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<ObjectStore> NewMemoryObjectStore() {
  return std::make_unique<MemoryObjectStore>();
}

}  // namespace codesphere::storage
