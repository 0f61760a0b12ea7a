// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `UniqueFd`: an owned file descriptor, closed on destruction. The one RAII fd type of the
// SDK: the sandbox APIs hand descriptors to callers as `UniqueFd` (pipes, pidfds,
// `Sandbox::Connect`, `SafeDir`), and every module uses it for its own descriptors.
#pragma once

#include <unistd.h>

#include <utility>

namespace codesphere {

// Owns one file descriptor (or none: -1).
//
// Thread-safety: thread-compatible (external synchronization).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership and returns the descriptor.
  int release() { return std::exchange(fd_, -1); }
  // Closes the current descriptor (if any) and owns `fd`.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace codesphere
