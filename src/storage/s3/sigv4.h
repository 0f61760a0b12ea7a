// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// AWS Signature Version 4 (header-based), as specified in "Signing AWS API requests"
// (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). Pure functions,
// checked against the documented test vectors in tests/storage/sigv4_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesphere/base/bytes.h"

namespace codesphere::storage::internal {

struct SigV4Request {
  std::string method;  // "GET", "PUT", …
  // The already URI-encoded absolute path, e.g. "/bucket/a%20b/c".
  std::string canonical_uri;
  // Query parameters, raw (not yet encoded); order does not matter.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign (must include host and x-amz-date); names in any case.
  std::vector<std::pair<std::string, std::string>> headers;
  // Lower-case hex SHA-256 of the payload, or "UNSIGNED-PAYLOAD".
  std::string payload_hash;
};

struct SigV4Scope {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service;  // "s3"
  std::string amz_date;  // "YYYYMMDDTHHMMSSZ"
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved bytes kept, the rest %XX (upper
// case); '/' kept unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(ByteSpan data);

// The canonical request text (step 1 of the spec).
std::string CanonicalRequest(const SigV4Request& request);

// The string to sign (step 2).
std::string StringToSign(const SigV4Request& request, const SigV4Scope& scope);

// The hex signature (steps 3-4).
std::string Signature(const SigV4Request& request, const SigV4Scope& scope);

// The full `Authorization` header value.
std::string AuthorizationHeader(const SigV4Request& request, const SigV4Scope& scope);

// The encoded query string in canonical order (also usable as the URL's query).
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace codesphere::storage::internal
