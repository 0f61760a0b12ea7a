// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/secret.h"

#include <sodium.h>

#include <utility>

namespace codesphere::auth {

SecretBytes::SecretBytes(std::size_t size) : bytes_(size) {}
SecretBytes::SecretBytes(ByteSpan bytes) : bytes_(bytes.begin(), bytes.end()) {}
SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
  // Release the wiped buffer so a later assignment cannot leave a stale copy in a reused one.
  std::vector<std::uint8_t>().swap(bytes_);
}

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace codesphere::auth
