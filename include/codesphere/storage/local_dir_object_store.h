// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `LocalDirObjectStore`: objects as files under a directory; the embedded default store.
#pragma once

#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/storage/object_store.h"

namespace codesphere::storage {

struct LocalDirObjectStoreOptions {
  // Create the root directory (and parents) if missing. Default: true.
  bool create = true;
  // fsync each new object file before its rename and the directory after it, so that an
  // acknowledged write survives a power loss. Turn off only for scratch stores. Default: true.
  bool fsync = true;
  // Write objects of 1 MiB or more with O_DIRECT (aligned blocks straight from the caller's
  // buffer, or through a bounce buffer), bypassing the page cache: the cheapest way to get
  // large write-once objects such as snapshot packs onto the disk. Falls back to buffered
  // writes where the filesystem refuses O_DIRECT (EINVAL). Default: true.
  bool direct_io = true;
};

// Opens a store rooted at `root`: key `a/b/c` is the file `root/a/b/c`. A write goes to a temp
// file under `root/.codesphere-tmp/`, is fsynced, renamed over the target (atomic) and the
// directory is fsynced. Conditional writes are serialized by an flock on
// `root/.codesphere-lock`, so they are safe across processes sharing the directory;
// `if_none_match` uses renameat2(RENAME_NOREPLACE). Generations digest inode, size and mtime.
//
// Returns kNotFound if `root` is missing and `options.create` is false, kInvalidArgument if it
// is not a directory, or the errno mapping of the failure.
//
// Thread-safety: thread-safe.
Result<std::unique_ptr<ObjectStore>> NewLocalDirObjectStore(
    const std::string& root, const LocalDirObjectStoreOptions& options = {});

}  // namespace codesphere::storage
