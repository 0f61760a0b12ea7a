// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Key validation shared by every backend, and the forwarding wrapper.
#include "codesphere/storage/object_store.h"

#include <string>

namespace codesphere::storage {
namespace {

Status CheckBytes(std::string_view what, std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError(std::string(what) + " contains a control byte");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("object key is empty");
  if (key.size() > 1024) return InvalidArgumentError("object key is longer than 1024 bytes");
  if (Status s = CheckBytes("object key", key); !s.ok()) return s;
  if (key.front() == '/') return InvalidArgumentError("object key starts with '/'");
  if (key.back() == '/') return InvalidArgumentError("object key ends with '/'");
  std::size_t start = 0;
  bool first = true;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return InvalidArgumentError("object key has an empty segment");
    if (seg == "." || seg == "..") {
      return InvalidArgumentError("object key has a '.' or '..' segment");
    }
    if (first && seg.starts_with(".codesphere")) {
      return InvalidArgumentError("object key uses the reserved '.codesphere' prefix");
    }
    first = false;
    start = end + 1;
  }
  return OkStatus();
}

Status ValidatePrefix(std::string_view prefix) {
  if (prefix.size() > 1024) return InvalidArgumentError("list prefix is longer than 1024 bytes");
  if (Status s = CheckBytes("list prefix", prefix); !s.ok()) return s;
  if (!prefix.empty() && prefix.front() == '/') {
    return InvalidArgumentError("list prefix starts with '/'");
  }
  return OkStatus();
}

Result<GetResult> ObjectStoreWrapper::Get(std::string_view key, const GetOptions& options) {
  return target_.Get(key, options);
}
Result<Generation> ObjectStoreWrapper::Put(std::string_view key, ByteSpan value,
                                           const PutOptions& options) {
  return target_.Put(key, value, options);
}
Status ObjectStoreWrapper::Delete(std::string_view key, const DeleteOptions& options) {
  return target_.Delete(key, options);
}
Result<std::vector<ObjectInfo>> ObjectStoreWrapper::List(std::string_view prefix) {
  return target_.List(prefix);
}
Result<ObjectInfo> ObjectStoreWrapper::Stat(std::string_view key) { return target_.Stat(key); }

}  // namespace codesphere::storage
