// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The token payload codec shared by `TokenIssuer` and `KeyringTokenVerifier` (layout in
// include/codesphere/auth/token.h).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/token.h"
#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::auth::internal {

inline constexpr std::uint8_t kTokenVersion = 1;
inline constexpr std::size_t kNonceBytes = 16;
// version + key id + kind + role + nonce
inline constexpr std::size_t kFixedPayloadBytes = 1 + kKeyIdBytes + 1 + 1 + kNonceBytes;
// Domain separation: these keys sign nothing else, but a distinct prefix keeps it that way.
inline constexpr std::string_view kSignatureContext{"codesphere-token-v1\0", 20};

// The bytes the signature covers: the context followed by the payload.
Bytes SignedMessage(ByteSpan payload);

// Encodes `claims` (key_id and token_id ignored) with `raw_key_id` and `nonce`.
Bytes EncodePayload(const TokenClaims& claims, ByteSpan raw_key_id,
                    const std::array<std::uint8_t, kNonceBytes>& nonce);

// Decodes a payload whose signature was already checked. Fills every claim field, key_id
// and token_id included. Returns kInvalidArgument on any deviation from the layout.
Result<TokenClaims> DecodePayload(ByteSpan payload);

}  // namespace codesphere::auth::internal
