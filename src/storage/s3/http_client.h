// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A minimal blocking HTTP/1.1 client over libcurl, private to the S3 driver.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"

namespace codesphere::storage::internal {

struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  ByteSpan body;
};

struct HttpResponse {
  long status = 0;
  // Lower-case header names.
  std::map<std::string, std::string> headers;
  Bytes body;
};

// Performs requests, reusing connections through a small pool of curl handles.
// Transport failures (refused, reset, timeout) return kUnavailable.
//
// Thread-safety: thread-safe.
class HttpClient {
 public:
  HttpClient(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds request_timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpResponse> Perform(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Minimal XML helpers for S3 responses (no attributes, no CDATA; entities decoded).
// Every `<tag>…</tag>` element's inner text under `xml`, in order.
std::vector<std::string> XmlElements(std::string_view xml, std::string_view tag);
// The first such element's decoded text, or "".
std::string XmlText(std::string_view xml, std::string_view tag);

}  // namespace codesphere::storage::internal
