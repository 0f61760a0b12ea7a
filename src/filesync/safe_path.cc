// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/safe_path.h"

#include <unistd.h>

#include <cerrno>

namespace codesphere::filesync::internal {

Status PwriteAll(int fd, const void* data, std::size_t size, off_t offset, std::string_view what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "write " + std::string(what));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return OkStatus();
}

}  // namespace codesphere::filesync::internal
