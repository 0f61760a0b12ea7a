// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// An in-memory `ObjectStore`, for tests and caches.
#pragma once

#include <memory>

#include "codesphere/storage/object_store.h"

namespace codesphere::storage {

// Returns an empty store that keeps everything in memory (lost on destruction). Generations are
// a per-store counter, so every write yields a new one.
//
// Thread-safety: thread-safe.
std::unique_ptr<ObjectStore> NewMemoryObjectStore();

}  // namespace codesphere::storage
