// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `SecretBytes`: an owned byte buffer for key material and serialized keyrings. Its memory is
// wiped when it is destroyed or overwritten, it compares in constant time, and it cannot be
// streamed (there is deliberately no `operator<<`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codesphere/base/bytes.h"

namespace codesphere::auth {

// A fixed-size secret buffer (its size is set at construction and never grows, so no stale
// copy is left behind by a reallocation). Wiped with `sodium_memzero` on destruction.
//
// Thread-safety: thread-compatible (external synchronization).
class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes.
  explicit SecretBytes(std::size_t size);
  // A copy of `bytes`.
  explicit SecretBytes(ByteSpan bytes);
  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  ByteSpan span() const { return ByteSpan(bytes_.data(), bytes_.size()); }

  // Constant-time equality (`sodium_memcmp`); buffers of different sizes are unequal.
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  void Wipe();

  std::vector<std::uint8_t> bytes_;
};

}  // namespace codesphere::auth
