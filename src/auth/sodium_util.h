// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Private libsodium glue of the auth module: one-time initialisation and strict base64url.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/status.h"

namespace codesphere::auth::internal {

// Runs `sodium_init()` once per process. Returns kInternal if it failed (no usable randomness).
Status EnsureSodium();

// base64url without padding (RFC 4648 §5).
std::string Base64UrlEncode(ByteSpan bytes);
// Strict inverse of `Base64UrlEncode`: refuses padding, whitespace, other alphabets,
// non-canonical trailing bits and outputs longer than `max_bytes`.
std::optional<Bytes> Base64UrlDecode(std::string_view text, std::size_t max_bytes);

}  // namespace codesphere::auth::internal
