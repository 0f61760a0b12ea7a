// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/http_credentials.h"

#include <string>

namespace codesphere::auth {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  authorization = Trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      !EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme) ||
      (authorization[kScheme.size()] != ' ' && authorization[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  std::string_view token = Trim(authorization.substr(kScheme.size()));
  if (token.empty() || token.find_first_of(" \t,") != std::string_view::npos) {
    return std::nullopt;
  }
  return token;
}

std::optional<std::string_view> CookieValue(std::string_view cookie_header,
                                            std::string_view name) {
  while (!cookie_header.empty()) {
    std::size_t end = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, end);
    cookie_header = end == std::string_view::npos ? std::string_view()
                                                  : cookie_header.substr(end + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = Trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::string SessionCookie(std::string_view token, std::chrono::seconds max_age, bool secure) {
  std::string out(kSessionCookieName);
  out += '=';
  out += token;
  out += "; Path=/; Max-Age=" + std::to_string(max_age.count()) + "; HttpOnly; SameSite=Lax";
  if (secure) out += "; Secure";
  return out;
}

std::string ClearSessionCookie(bool secure) { return SessionCookie("", std::chrono::seconds(0), secure); }

Result<TokenClaims> AuthenticateRequest(const TokenVerifier& verifier,
                                        const RequestCredentials& credentials) {
  const TokenKinds bearer_kinds{TokenKind::kSession, TokenKind::kApi};
  if (!Trim(credentials.authorization).empty()) {
    const std::optional<std::string_view> token = BearerToken(credentials.authorization);
    if (!token) return UnauthenticatedError("unsupported Authorization header (use Bearer)");
    return verifier.Verify(*token, bearer_kinds);
  }
  if (const auto cookie = CookieValue(credentials.cookie, kSessionCookieName)) {
    return verifier.Verify(*cookie, TokenKind::kSession);
  }
  if (!credentials.query_token.empty()) return verifier.Verify(credentials.query_token, bearer_kinds);
  return UnauthenticatedError("missing credentials");
}

}  // namespace codesphere::auth
