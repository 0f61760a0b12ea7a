// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Where HTTP requests carry credentials (docs/platform.md): the `cs_session` cookie for
// browsers, `Authorization: Bearer <token>` for API clients, `?token=` for WebSockets.
// String helpers and `AuthenticateRequest`; no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "codesphere/auth/token.h"
#include "codesphere/auth/token_verifier.h"
#include "codesphere/base/result.h"

namespace codesphere::auth {

// The session cookie's name.
inline constexpr std::string_view kSessionCookieName = "cs_session";

// The token of an `Authorization` header value "Bearer <token>" (scheme case-insensitive,
// surrounding spaces ignored), or nullopt for any other form or an empty token.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// The value of cookie `name` in a `Cookie` header value ("a=1; cs_session=xyz"), or nullopt.
// A value in double quotes is returned without them.
std::optional<std::string_view> CookieValue(std::string_view cookie_header,
                                            std::string_view name);

// A `Set-Cookie` header value for the session cookie: HttpOnly, SameSite=Lax, Path=/,
// Max-Age=`max_age`, plus `Secure` if `secure` (serve over HTTPS).
// REQUIRES: `token` contains only cookie-safe characters (tokens from `TokenIssuer` do).
std::string SessionCookie(std::string_view token, std::chrono::seconds max_age, bool secure);
// A `Set-Cookie` header value that deletes the session cookie (logout).
std::string ClearSessionCookie(bool secure);

// What an HTTP request or WebSocket upgrade carries; empty views for what is absent.
struct RequestCredentials {
  // The `Authorization` header value.
  std::string_view authorization;
  // The `Cookie` header value.
  std::string_view cookie;
  // The URL-decoded `token` query parameter (WebSockets from browsers that cannot set headers).
  std::string_view query_token;
};

// Finds the request's token and verifies it. The first credential present decides, in this
// order: `Authorization` (must be `Bearer`; a session or API token), the `cs_session` cookie
// (a session token), `query_token` (a session or API token). A bad credential is refused
// even if a later one would pass, so one request never carries two identities.
// Returns the claims, or kUnauthenticated ("missing credentials", an unsupported
// `Authorization` scheme, or the verifier's reason).
Result<TokenClaims> AuthenticateRequest(const TokenVerifier& verifier,
                                        const RequestCredentials& credentials);

}  // namespace codesphere::auth
