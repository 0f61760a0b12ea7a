// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "sandbox/linux/kernel_files.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox::internal {

Status WriteKernelFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open " + path);
  UniqueFd file(fd);
  if (write(fd, value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return ErrnoToStatus(errno, "write '" + value + "' to " + path);
  }
  return OkStatus();
}

Status WriteProcFile(pid_t pid, const std::string& name, const std::string& value) {
  return WriteKernelFile("/proc/" + std::to_string(pid) + "/" + name, value);
}

Result<std::string> ReadKernelFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open " + path);
  UniqueFd file(fd);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  if (n < 0) return ErrnoToStatus(errno, "read " + path);
  return out;
}

}  // namespace codesphere::sandbox::internal
