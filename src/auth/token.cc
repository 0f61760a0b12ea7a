// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/token.h"

#include <sodium.h>

#include <string>

#include "auth/sodium_util.h"
#include "auth/token_format.h"
#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::auth {

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kSession:
      return "session";
    case TokenKind::kApi:
      return "api";
    case TokenKind::kShareLink:
      return "share-link";
    case TokenKind::kPreview:
      return "preview";
  }
  return "unknown";
}

std::string TokenKinds::ToString() const {
  std::string out;
  for (TokenKind k : {TokenKind::kSession, TokenKind::kApi, TokenKind::kShareLink,
                      TokenKind::kPreview}) {
    if (!contains(k)) continue;
    if (!out.empty()) out += " or ";
    out += TokenKindName(k);
  }
  return out.empty() ? "nothing" : out;
}

IssuedToken::~IssuedToken() {
  if (!token_.empty()) sodium_memzero(token_.data(), token_.size());
}

TokenIssuer::TokenIssuer(std::shared_ptr<const Keyring> keyring, const Clock& clock,
                         TokenIssuerOptions options)
    : keyring_(std::move(keyring)), clock_(clock), options_(options) {}

void TokenIssuer::SetKeyring(std::shared_ptr<const Keyring> keyring) {
  keyring_.store(std::move(keyring));
}

Result<IssuedToken> TokenIssuer::IssueSession(std::string_view user_id,
                                              std::chrono::seconds ttl) const {
  return Issue(TokenKind::kSession, user_id, "", Role::kViewer, ttl);
}

Result<IssuedToken> TokenIssuer::IssueApiToken(std::string_view user_id,
                                               std::chrono::seconds ttl) const {
  return Issue(TokenKind::kApi, user_id, "", Role::kViewer, ttl);
}

Result<IssuedToken> TokenIssuer::IssueShareLink(std::string_view creator_user_id,
                                                std::string_view project, Role role,
                                                std::chrono::seconds ttl) const {
  if (project.empty() || project.size() > kMaxProjectBytes) {
    return InvalidArgumentError("a share link needs a project id of 1 to " +
                                std::to_string(kMaxProjectBytes) + " bytes");
  }
  if (role != Role::kViewer && role != Role::kEditor) {
    return InvalidArgumentError("a share link may grant viewer or editor, not " +
                                std::string(RoleName(role)));
  }
  return Issue(TokenKind::kShareLink, creator_user_id, project, role, ttl);
}

Result<IssuedToken> TokenIssuer::IssuePreview(std::string_view user_id, std::string_view project,
                                              std::chrono::seconds ttl) const {
  if (project.empty() || project.size() > kMaxProjectBytes) {
    return InvalidArgumentError("a preview token needs a project id of 1 to " +
                                std::to_string(kMaxProjectBytes) + " bytes");
  }
  return Issue(TokenKind::kPreview, user_id, project, Role::kViewer, ttl);
}

Result<IssuedToken> TokenIssuer::Issue(TokenKind kind, std::string_view subject,
                                       std::string_view project, Role role,
                                       std::chrono::seconds ttl) const {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  if (subject.empty() || subject.size() > kMaxSubjectBytes) {
    return InvalidArgumentError("a token subject (user id) has 1 to " +
                                std::to_string(kMaxSubjectBytes) + " bytes");
  }
  // The payload's strings are lib0 varStrings, which are UTF-8 by definition.
  if (!lib0::IsValidUtf8(subject) || !lib0::IsValidUtf8(project)) {
    return InvalidArgumentError("token subject and project must be valid UTF-8");
  }
  if (ttl <= std::chrono::seconds::zero() || ttl > options_.max_ttl) {
    return InvalidArgumentError("token lifetime " + std::to_string(ttl.count()) +
                                " s is outside (0, " + std::to_string(options_.max_ttl.count()) +
                                "] s");
  }
  const std::shared_ptr<const Keyring> ring = keyring_.load();
  const SigningKey* key = ring ? ring->active_key() : nullptr;
  if (key == nullptr) return FailedPreconditionError("the keyring has no active signing key");

  TokenClaims claims;
  claims.kind = kind;
  claims.subject = std::string(subject);
  claims.project = std::string(project);
  claims.role = role;
  claims.issued_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch()));
  claims.expires_at = claims.issued_at + ttl;
  claims.key_id = key->id();
  std::array<std::uint8_t, internal::kNonceBytes> nonce{};
  randombytes_buf(nonce.data(), nonce.size());
  claims.token_id = ToHex(ByteSpan(nonce.data(), nonce.size()));

  const Bytes payload =
      internal::EncodePayload(claims, key->verification_key().raw_id(), nonce);
  const auto signature = key->Sign(internal::SignedMessage(payload));
  std::string token = internal::Base64UrlEncode(payload);
  token += '.';
  token += internal::Base64UrlEncode(ByteSpan(signature.data(), signature.size()));
  return IssuedToken(std::move(token), std::move(claims));
}

}  // namespace codesphere::auth
