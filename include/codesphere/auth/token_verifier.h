// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `TokenVerifier`: checks a bearer token (see token.h for the format) and returns its claims.
// `KeyringTokenVerifier` checks Ed25519 signatures against a `Keyring`'s keys.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/token.h"
#include "codesphere/base/clock.h"
#include "codesphere/base/result.h"

namespace codesphere::auth {

// Checks tokens. A verifier is always told which kinds it accepts, so a share link can never
// pass as a session. Every failure is kUnauthenticated (the HTTP layer answers 401) with a message
// naming the reason (malformed, bad signature, unknown key, expired, wrong kind, revoked); the
// message never echoes the token.
//
// Thread-safety: implementations are thread-safe.
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  TokenVerifier() = default;
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // Verifies `token` and that its kind is one of `accepted`; returns its claims.
  virtual Result<TokenClaims> Verify(std::string_view token, TokenKinds accepted) const = 0;
};

struct TokenVerifierOptions {
  // How far in the future a token's issued-at may lie (clock skew between replicas).
  // Expiry is checked exactly. Default: 60 s.
  std::chrono::seconds max_clock_skew = std::chrono::seconds(60);
  // Longer tokens are refused before any decoding. Default: 2048 characters.
  std::size_t max_token_length = 2048;
  // Called with the claims of a token whose signature and expiry are valid; returning true
  // refuses it ("token revoked"). Use it for logged-out sessions and revoked share links
  // (look up `claims.token_id`). Must be thread-safe. Default: none.
  std::function<bool(const TokenClaims&)> is_revoked;
};

// Verifies tokens against a keyring: a token verifies iff its key id names a key in the
// keyring (active or not) and the Ed25519 signature checks out, it is not expired, and it is
// not revoked.
//
// Thread-safety: thread-safe.
class KeyringTokenVerifier final : public TokenVerifier {
 public:
  // `clock` must outlive the verifier.
  KeyringTokenVerifier(std::shared_ptr<const Keyring> keyring, const Clock& clock,
                       TokenVerifierOptions options = {});

  // Replaces the keyring (after a rotation or a removal).
  void SetKeyring(std::shared_ptr<const Keyring> keyring);

  // auth::TokenVerifier
  Result<TokenClaims> Verify(std::string_view token, TokenKinds accepted) const override;

 private:
  std::atomic<std::shared_ptr<const Keyring>> keyring_;
  const Clock& clock_;
  TokenVerifierOptions options_;
};

}  // namespace codesphere::auth
