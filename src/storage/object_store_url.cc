// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// URL -> ObjectStore factory (used by the CLI and tests).
#include "codesphere/storage/object_store_url.h"

#include <string>

#include "codesphere/base/bytes.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/storage/local_dir_object_store.h"
#include "codesphere/storage/memory_object_store.h"
#include "codesphere/storage/s3_object_store.h"

namespace codesphere::storage {
namespace {

// Percent-decoding; a malformed escape is an error.
Result<std::string> Decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    auto byte = i + 2 < s.size() ? FromHex(s.substr(i + 1, 2)) : Result<Bytes>(InvalidArgumentError(""));
    if (!byte.has_value()) return InvalidArgumentError("bad percent-escape in store URL");
    out.push_back(static_cast<char>((*byte)[0]));
    i += 2;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url) {
  if (url == "memory:") return NewMemoryObjectStore();
  if (url.starts_with("file://")) {
    std::string_view path = url.substr(7);
    LocalDirObjectStoreOptions options;
    if (std::size_t q = path.find('?'); q != std::string_view::npos) {
      std::string_view query = path.substr(q + 1);
      path = path.substr(0, q);
      if (query == "fsync=false") {
        options.fsync = false;
      } else if (query != "fsync=true") {
        return InvalidArgumentError("file store URL accepts only ?fsync=true|false");
      }
    }
    if (path.empty() || path.front() != '/') {
      return InvalidArgumentError("file store URL must be file:///ABSOLUTE/PATH");
    }
    CODESPHERE_ASSIGN_OR_RETURN(std::string decoded, Decode(path));
    return NewLocalDirObjectStore(decoded, options);
  }
  if (url.starts_with("s3://")) {
    std::string_view rest = url.substr(5);
    std::string_view query;
    if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    S3ObjectStoreOptions o;
    ApplyS3EnvironmentCredentials(o);
    std::size_t slash = rest.find('/');
    o.bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) {
      CODESPHERE_ASSIGN_OR_RETURN(o.prefix, Decode(rest.substr(slash + 1)));
    }
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos) return InvalidArgumentError("store URL query needs key=value");
      std::string_view k = kv.substr(0, eq);
      CODESPHERE_ASSIGN_OR_RETURN(std::string v, Decode(kv.substr(eq + 1)));
      if (k == "endpoint") {
        o.endpoint = v;
      } else if (k == "region") {
        o.region = v;
      } else if (k == "path_style") {
        if (v != "true" && v != "false") return InvalidArgumentError("path_style must be true or false");
        o.path_style = v == "true";
      } else {
        return InvalidArgumentError("unknown store URL parameter " + std::string(k));
      }
    }
    return NewS3ObjectStore(o);
  }
  return InvalidArgumentError("unknown store URL scheme (want memory:, file:///PATH or s3://BUCKET)");
}

}  // namespace codesphere::storage
