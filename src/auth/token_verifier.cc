// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/token_verifier.h"

#include <string>

#include "auth/sodium_util.h"
#include "auth/token_format.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::auth {
namespace {

Status Refuse(std::string_view why) { return UnauthenticatedError(why); }

// The largest payload a valid token can have: fixed part, two 10-byte varUints, two
// length-prefixed strings at their maximum.
constexpr std::size_t kMaxPayloadBytes =
    internal::kFixedPayloadBytes + 2 * 10 + 2 * (2 + kMaxSubjectBytes);

}  // namespace

KeyringTokenVerifier::KeyringTokenVerifier(std::shared_ptr<const Keyring> keyring,
                                           const Clock& clock, TokenVerifierOptions options)
    : keyring_(std::move(keyring)), clock_(clock), options_(std::move(options)) {}

void KeyringTokenVerifier::SetKeyring(std::shared_ptr<const Keyring> keyring) {
  keyring_.store(std::move(keyring));
}

Result<TokenClaims> KeyringTokenVerifier::Verify(std::string_view token,
                                                 TokenKinds accepted) const {
  if (!internal::EnsureSodium().ok()) return Refuse("token verification is unavailable");
  if (token.empty()) return Refuse("missing token");
  if (token.size() > options_.max_token_length) return Refuse("malformed token: too long");
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == token.size() ||
      token.find('.', dot + 1) != std::string_view::npos) {
    return Refuse("malformed token: expected <payload>.<signature>");
  }
  const std::optional<Bytes> payload =
      internal::Base64UrlDecode(token.substr(0, dot), kMaxPayloadBytes);
  const std::optional<Bytes> signature =
      internal::Base64UrlDecode(token.substr(dot + 1), kSignatureBytes);
  if (!payload || !signature || signature->size() != kSignatureBytes ||
      payload->size() < internal::kFixedPayloadBytes) {
    return Refuse("malformed token: bad encoding");
  }
  if ((*payload)[0] != internal::kTokenVersion) return Refuse("malformed token: unknown version");

  // Authenticity first: nothing beyond the fixed-offset key id is parsed before the signature
  // checks out.
  const std::shared_ptr<const Keyring> ring = keyring_.load();
  const VerificationKey* key =
      ring ? ring->FindVerificationKey(ByteSpan(payload->data() + 1, kKeyIdBytes)) : nullptr;
  if (key == nullptr) return Refuse("token signed by an unknown or retired key");
  if (!key->Verify(internal::SignedMessage(*payload), *signature)) {
    return Refuse("token signature is invalid");
  }
  Result<TokenClaims> claims = internal::DecodePayload(*payload);
  if (!claims.has_value()) {
    // Only a holder of our key could have signed this: a bug or a newer format, not an attack.
    return Refuse("malformed token payload: " + std::string(claims.error().message()));
  }
  if (!accepted.contains(claims->kind)) {
    return Refuse("wrong token kind: expected " + accepted.ToString() +
                  ", got " + std::string(TokenKindName(claims->kind)));
  }
  const auto now = clock_.WallNow();
  if (now >= claims->expires_at) return Refuse("token expired");
  if (claims->issued_at > now + options_.max_clock_skew) {
    return Refuse("token issued in the future");
  }
  if (options_.is_revoked && options_.is_revoked(*claims)) return Refuse("token revoked");
  return claims;
}

}  // namespace codesphere::auth
