// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Fault injection for ObjectStore users' tests.
#include "codesphere/storage/faulty_object_store.h"

#include <memory>
#include <utility>

namespace codesphere::storage {

void FaultyObjectStore::SetInjector(FaultInjector injector) {
  std::lock_guard<std::mutex> lock(mu_);
  injector_ = std::move(injector);
}

void FaultyObjectStore::FailOps(ObjectStoreOp op, std::string key_prefix, Status status,
                                int skip) {
  auto remaining = std::make_shared<int>(skip);
  SetInjector([op, key_prefix = std::move(key_prefix), status = std::move(status), remaining](
                  ObjectStoreOp o, std::string_view key) -> Status {
    if (o != op || !key.starts_with(key_prefix)) return OkStatus();
    if (*remaining > 0) {
      --*remaining;
      return OkStatus();
    }
    return status;
  });
}

Status FaultyObjectStore::Check(ObjectStoreOp op, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!injector_) return OkStatus();
  return injector_(op, key);
}

Result<GetResult> FaultyObjectStore::Get(std::string_view key, const GetOptions& options) {
  if (Status s = Check(ObjectStoreOp::kGet, key); !s.ok()) return s;
  return ObjectStoreWrapper::Get(key, options);
}

Result<Generation> FaultyObjectStore::Put(std::string_view key, ByteSpan value,
                                          const PutOptions& options) {
  if (Status s = Check(ObjectStoreOp::kPut, key); !s.ok()) return s;
  auto r = ObjectStoreWrapper::Put(key, value, options);
  if (r.has_value()) ++puts_;
  return r;
}

Status FaultyObjectStore::Delete(std::string_view key, const DeleteOptions& options) {
  if (Status s = Check(ObjectStoreOp::kDelete, key); !s.ok()) return s;
  return ObjectStoreWrapper::Delete(key, options);
}

Result<std::vector<ObjectInfo>> FaultyObjectStore::List(std::string_view prefix) {
  if (Status s = Check(ObjectStoreOp::kList, prefix); !s.ok()) return s;
  return ObjectStoreWrapper::List(prefix);
}

Result<ObjectInfo> FaultyObjectStore::Stat(std::string_view key) {
  if (Status s = Check(ObjectStoreOp::kStat, key); !s.ok()) return s;
  return ObjectStoreWrapper::Stat(key);
}

}  // namespace codesphere::storage
