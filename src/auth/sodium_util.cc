// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "auth/sodium_util.h"

#include <sodium.h>

namespace codesphere::auth::internal {

Status EnsureSodium() {
  // sodium_init() is itself idempotent and thread-safe; the static just skips its lock.
  static const int rc = sodium_init();
  if (rc < 0) return InternalError("libsodium initialisation failed");
  return OkStatus();
}

std::string Base64UrlEncode(ByteSpan bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the encoder's NUL terminator
  return out;
}

std::optional<Bytes> Base64UrlDecode(std::string_view text, std::size_t max_bytes) {
  // 4 characters carry 3 bytes; reject early so the buffer below stays bounded.
  if (text.size() / 4 * 3 > max_bytes) return std::nullopt;
  Bytes out(text.size() / 4 * 3 + 3);
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), /*ignore=*/nullptr,
                        &len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  if (end != text.data() + text.size() || len > max_bytes) return std::nullopt;
  out.resize(len);
  return out;
}

}  // namespace codesphere::auth::internal
