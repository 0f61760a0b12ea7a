// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Signed, expiring bearer tokens: sessions (browser cookie), API tokens and share links.
// `TokenIssuer` mints them with the keyring's active Ed25519 key; `token_verifier.h` checks them.
// The byte layout is documented at `TokenIssuer` and in docs/auth.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/role.h"
#include "codesphere/base/clock.h"
#include "codesphere/base/result.h"

namespace codesphere::auth {

// What a token is for. A verifier is always told which kind it expects, so a share link can
// never be used as a session. The numeric values are part of the token format.
enum class TokenKind : std::uint8_t {
  kSession = 1,    // a signed-in browser (the `cs_session` cookie) or CLI session
  kApi = 2,        // a long-lived API token
  kShareLink = 3,  // an invitation to a project with a role
  kPreview = 4,    // a member's short-lived access to one project's live preview
};

// "session", "api", "share-link", "preview".
std::string_view TokenKindName(TokenKind kind);

// A set of token kinds, e.g. what an endpoint accepts: `TokenKind::kSession` converts to the
// set of that one kind; `TokenKinds{TokenKind::kSession, TokenKind::kApi}` for API routes that
// take either.
class TokenKinds {
 public:
  constexpr TokenKinds(TokenKind kind)  // NOLINT(google-explicit-constructor): a one-kind set
      : bits_(Bit(kind)) {}
  constexpr TokenKinds(std::initializer_list<TokenKind> kinds) {
    for (TokenKind k : kinds) bits_ |= Bit(k);
  }
  constexpr bool contains(TokenKind kind) const { return (bits_ & Bit(kind)) != 0; }
  // "session", "session or api", ...
  std::string ToString() const;

 private:
  static constexpr std::uint8_t Bit(TokenKind kind) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(kind));
  }
  std::uint8_t bits_ = 0;
};

// The verified content of a token.
struct TokenClaims {
  TokenKind kind = TokenKind::kSession;
  // The user id the token speaks for; for share links, the user who created the link.
  std::string subject;
  // Share links: the project the link opens, and the role it grants. Preview tokens: the
  // project whose preview they open (role viewer).
  std::string project;
  Role role = Role::kViewer;
  // Second resolution.
  std::chrono::system_clock::time_point issued_at;
  std::chrono::system_clock::time_point expires_at;
  // The id of the key that signed the token (hex, see keys.h).
  std::string key_id;
  // 32 hex digits from the token's random 128-bit nonce: unique per token. The server stores it
  // as the session id / share-link id and checks it in the revocation hook.
  std::string token_id;
};

// A freshly minted token. `token` is a bearer credential: the object wipes it on destruction
// and has no `operator<<`; never log it.
class IssuedToken {
 public:
  IssuedToken(std::string token, TokenClaims claims)
      : token_(std::move(token)), claims_(std::move(claims)) {}
  IssuedToken(const IssuedToken&) = default;
  IssuedToken& operator=(const IssuedToken&) = default;
  IssuedToken(IssuedToken&&) noexcept = default;
  IssuedToken& operator=(IssuedToken&&) noexcept = default;
  ~IssuedToken();

  // The compact token text (ASCII, URL- and cookie-safe).
  const std::string& token() const { return token_; }
  const TokenClaims& claims() const { return claims_; }

 private:
  std::string token_;
  TokenClaims claims_;
};

// Limits of what a token may carry.
struct TokenIssuerOptions {
  // Longest lifetime a token may be issued with. Default: 365 days.
  std::chrono::seconds max_ttl = std::chrono::hours(24 * 365);
};

// Limits on claim fields, shared by issuer and verifier.
inline constexpr std::size_t kMaxSubjectBytes = 256;
inline constexpr std::size_t kMaxProjectBytes = 256;

// Mints tokens signed by the keyring's active key.
//
// Token format (all integers unsigned; varUint = lib0 variable-length integer):
//
//   token   = base64url(payload) "." base64url(signature)      (no padding)
//   payload = version:1 (=1) | key_id:8 | kind:1 | role:1 | nonce:16
//             | issued_at:varUint (Unix s) | expires_at:varUint (Unix s)
//             | subject:varString | project:varString
//   signature = Ed25519(secret key, "codesphere-token-v1\0" || payload)
//
// `role` is 0 and `project` empty unless kind is share-link.
//
// Thread-safety: thread-safe.
class TokenIssuer {
 public:
  // `clock` must outlive the issuer.
  TokenIssuer(std::shared_ptr<const Keyring> keyring, const Clock& clock,
              TokenIssuerOptions options = {});

  // Replaces the keyring (after a rotation). Tokens issued afterwards use its active key.
  void SetKeyring(std::shared_ptr<const Keyring> keyring);

  // A session token for `user_id`, valid for `ttl`.
  // Returns kInvalidArgument for an empty, over-long or non-UTF-8 user id or a ttl outside
  // (0, max_ttl]; kFailedPrecondition if the keyring has no active key.
  Result<IssuedToken> IssueSession(std::string_view user_id, std::chrono::seconds ttl) const;
  // An API token for `user_id`. Same errors as `IssueSession`.
  Result<IssuedToken> IssueApiToken(std::string_view user_id, std::chrono::seconds ttl) const;
  // A share link to `project` granting `role` (viewer or editor; ownership is never handed out
  // by bearer link, so kOwner is kInvalidArgument), created by `creator_user_id`.
  // Same errors as `IssueSession`, plus kInvalidArgument for an empty, over-long or non-UTF-8
  // project.
  Result<IssuedToken> IssueShareLink(std::string_view creator_user_id, std::string_view project,
                                     Role role, std::chrono::seconds ttl) const;
  // A preview token: `user_id` may load the live preview of `project` (the server still
  // checks the membership on every request, so removing the member revokes it). Same errors
  // as `IssueShareLink`.
  Result<IssuedToken> IssuePreview(std::string_view user_id, std::string_view project,
                                   std::chrono::seconds ttl) const;

 private:
  Result<IssuedToken> Issue(TokenKind kind, std::string_view subject, std::string_view project,
                            Role role, std::chrono::seconds ttl) const;
  std::atomic<std::shared_ptr<const Keyring>> keyring_;
  const Clock& clock_;
  TokenIssuerOptions options_;
};

}  // namespace codesphere::auth
