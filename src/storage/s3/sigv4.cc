// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// AWS Signature Version 4 over libsodium's SHA-256 and HMAC-SHA-256.
#include "storage/s3/sigv4.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace codesphere::storage::internal {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest Hmac(ByteSpan key, std::string_view msg) {
  Digest out;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and collapses runs of spaces, as the spec requires for header values.
std::string NormalizeValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SortedHeaders(const SigV4Request& r) {
  std::vector<std::pair<std::string, std::string>> h;
  for (const auto& [k, v] : r.headers) h.emplace_back(Lower(k), NormalizeValue(v));
  std::sort(h.begin(), h.end());
  return h;
}

std::string SignedHeaders(const std::vector<std::pair<std::string, std::string>>& h) {
  std::string out;
  for (const auto& [k, v] : h) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string CredentialScope(const SigV4Scope& s) {
  return s.amz_date.substr(0, 8) + "/" + s.region + "/" + s.service + "/aws4_request";
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Sha256Hex(ByteSpan data) {
  Digest d;
  crypto_hash_sha256(d.data(), data.data(), data.size());
  return ToHex(d);
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : query) q.emplace_back(UriEncode(k, true), UriEncode(v, true));
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& r) {
  auto headers = SortedHeaders(r);
  std::string out = r.method + "\n" + r.canonical_uri + "\n" + CanonicalQueryString(r.query) + "\n";
  for (const auto& [k, v] : headers) out += k + ":" + v + "\n";
  out += "\n" + SignedHeaders(headers) + "\n" + r.payload_hash;
  return out;
}

std::string StringToSign(const SigV4Request& r, const SigV4Scope& s) {
  return "AWS4-HMAC-SHA256\n" + s.amz_date + "\n" + CredentialScope(s) + "\n" +
         Sha256Hex(AsBytes(CanonicalRequest(r)));
}

std::string Signature(const SigV4Request& r, const SigV4Scope& s) {
  std::string k0 = "AWS4" + s.secret_access_key;
  Digest k_date = Hmac(AsBytes(k0), s.amz_date.substr(0, 8));
  Digest k_region = Hmac(k_date, s.region);
  Digest k_service = Hmac(k_region, s.service);
  Digest k_signing = Hmac(k_service, "aws4_request");
  Digest sig = Hmac(k_signing, StringToSign(r, s));
  sodium_memzero(k0.data(), k0.size());
  sodium_memzero(k_signing.data(), k_signing.size());
  return ToHex(sig);
}

std::string AuthorizationHeader(const SigV4Request& r, const SigV4Scope& s) {
  return "AWS4-HMAC-SHA256 Credential=" + s.access_key_id + "/" + CredentialScope(s) +
         ",SignedHeaders=" + SignedHeaders(SortedHeaders(r)) + ",Signature=" + Signature(r, s);
}

}  // namespace codesphere::storage::internal
