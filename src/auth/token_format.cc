// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "auth/token_format.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>

#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::auth::internal {
namespace {

std::uint64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return s < 0 ? 0 : static_cast<std::uint64_t>(s);
}

// Unix seconds that a system_clock time_point (nanoseconds in int64) can hold.
constexpr std::uint64_t kMaxUnixSeconds =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1000000000);

}  // namespace

Bytes SignedMessage(ByteSpan payload) {
  Bytes msg(kSignatureContext.size() + payload.size());
  std::copy(kSignatureContext.begin(), kSignatureContext.end(), msg.begin());
  std::copy(payload.begin(), payload.end(), msg.begin() + kSignatureContext.size());
  return msg;
}

Bytes EncodePayload(const TokenClaims& claims, ByteSpan raw_key_id,
                    const std::array<std::uint8_t, kNonceBytes>& nonce) {
  std::array<std::uint8_t, kFixedPayloadBytes> fixed{};
  fixed[0] = kTokenVersion;
  std::copy_n(raw_key_id.begin(), std::min(raw_key_id.size(), kKeyIdBytes), fixed.begin() + 1);
  fixed[1 + kKeyIdBytes] = static_cast<std::uint8_t>(claims.kind);
  fixed[2 + kKeyIdBytes] =
      claims.kind == TokenKind::kShareLink ? static_cast<std::uint8_t>(claims.role) : 0;
  std::copy(nonce.begin(), nonce.end(), fixed.begin() + 3 + kKeyIdBytes);

  lib0::Encoder tail;
  tail.WriteVarUint(UnixSeconds(claims.issued_at));
  tail.WriteVarUint(UnixSeconds(claims.expires_at));
  tail.WriteVarString(claims.subject);
  const bool has_project =
      claims.kind == TokenKind::kShareLink || claims.kind == TokenKind::kPreview;
  tail.WriteVarString(has_project ? claims.project : std::string());

  Bytes out(fixed.size() + tail.size());
  std::copy(fixed.begin(), fixed.end(), out.begin());
  std::copy(tail.bytes().begin(), tail.bytes().end(), out.begin() + fixed.size());
  return out;
}

Result<TokenClaims> DecodePayload(ByteSpan payload) {
  lib0::Decoder dec(payload);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t version, dec.ReadUint8());
  if (version != kTokenVersion) {
    return InvalidArgumentError("unsupported token version " + std::to_string(version));
  }
  TokenClaims claims;
  CODESPHERE_ASSIGN_OR_RETURN(ByteSpan key_id, dec.ReadRaw(kKeyIdBytes));
  claims.key_id = ToHex(key_id);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t kind, dec.ReadUint8());
  CODESPHERE_ASSIGN_OR_RETURN(std::uint8_t role, dec.ReadUint8());
  CODESPHERE_ASSIGN_OR_RETURN(ByteSpan nonce, dec.ReadRaw(kNonceBytes));
  claims.token_id = ToHex(nonce);
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t iat, dec.ReadVarUint());
  CODESPHERE_ASSIGN_OR_RETURN(std::uint64_t exp, dec.ReadVarUint());
  CODESPHERE_ASSIGN_OR_RETURN(claims.subject, dec.ReadVarString());
  CODESPHERE_ASSIGN_OR_RETURN(claims.project, dec.ReadVarString());
  if (!dec.done()) return InvalidArgumentError("trailing bytes after the token payload");

  switch (kind) {
    case static_cast<std::uint8_t>(TokenKind::kSession):
    case static_cast<std::uint8_t>(TokenKind::kApi):
      if (role != 0 || !claims.project.empty()) {
        return InvalidArgumentError("a session or API token carries no project or role");
      }
      break;
    case static_cast<std::uint8_t>(TokenKind::kShareLink):
      if (role != static_cast<std::uint8_t>(Role::kViewer) &&
          role != static_cast<std::uint8_t>(Role::kEditor)) {
        return InvalidArgumentError("a share link grants viewer or editor only");
      }
      if (claims.project.empty()) return InvalidArgumentError("a share link names a project");
      claims.role = static_cast<Role>(role);
      break;
    case static_cast<std::uint8_t>(TokenKind::kPreview):
      if (role != 0) return InvalidArgumentError("a preview token carries no role");
      if (claims.project.empty()) return InvalidArgumentError("a preview token names a project");
      break;
    default:
      return InvalidArgumentError("unknown token kind " + std::to_string(kind));
  }
  claims.kind = static_cast<TokenKind>(kind);
  if (claims.subject.empty() || claims.subject.size() > kMaxSubjectBytes ||
      claims.project.size() > kMaxProjectBytes) {
    return InvalidArgumentError("token subject or project has a bad length");
  }
  if (iat > kMaxUnixSeconds || exp > kMaxUnixSeconds || exp <= iat) {
    return InvalidArgumentError("token has bad timestamps");
  }
  claims.issued_at = std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<std::int64_t>(iat)));
  claims.expires_at = std::chrono::system_clock::time_point(
      std::chrono::seconds(static_cast<std::int64_t>(exp)));
  return claims;
}

}  // namespace codesphere::auth::internal
