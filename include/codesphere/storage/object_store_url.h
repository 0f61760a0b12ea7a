// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Opening a store from a URL: `memory:`, `file:///PATH`, `s3://BUCKET[/PREFIX]?endpoint=…`.
#pragma once

#include <memory>
#include <string_view>

#include "codesphere/base/result.h"
#include "codesphere/storage/object_store.h"

namespace codesphere::storage {

// Opens the store named by `url`:
//   `memory:`                       a new empty MemoryObjectStore
//   `file:///ABS/PATH[?fsync=false]` LocalDirObjectStore at /ABS/PATH (created if missing);
//                                   `fsync=false` skips fsync (scratch stores, benchmarks)
//   `s3://BUCKET[/PREFIX][?k=v&…]`  S3ObjectStore; query keys `endpoint` (e.g.
//                                   `http://127.0.0.1:9000`), `region`, `path_style` (true/false)
// S3 credentials and region come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN and AWS_REGION. Returns kInvalidArgument for an unknown scheme or a
// malformed URL, or the backend's error.
//
// Thread-safety: thread-safe.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url);

}  // namespace codesphere::storage
