// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// S3ObjectStore: S3 REST calls (GET/PUT/HEAD/DELETE object, ListObjectsV2, multipart upload),
// SigV4-signed, retried with exponential backoff and full jitter.
#include "codesphere/storage/s3_object_store.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "codesphere/base/status_macros.h"
#include "storage/s3/http_client.h"
#include "storage/s3/sigv4.h"

namespace codesphere::storage {
namespace {

using internal::HttpClient;
using internal::HttpRequest;
using internal::HttpResponse;
using internal::XmlElements;
using internal::XmlText;

std::string AmzDate(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::int64_t ParseIsoTimeMs(const std::string& s) {  // 2026-11-22T01:02:03.000Z
  std::tm tm = {};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::int64_t ParseHttpTimeMs(const std::string& s) {  // Sun, 22 Nov 2026 01:02:03 GMT
  std::tm tm = {};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

struct Endpoint {
  std::string scheme;     // "http" / "https"
  std::string hostport;   // "127.0.0.1:9000"
  std::string base_path;  // "" or "/something"
};

Result<Endpoint> ParseEndpoint(const std::string& url) {
  std::size_t sep = url.find("://");
  if (sep == std::string::npos) return InvalidArgumentError("S3 endpoint " + url + " has no scheme");
  Endpoint e;
  e.scheme = url.substr(0, sep);
  if (e.scheme != "http" && e.scheme != "https") {
    return InvalidArgumentError("S3 endpoint " + url + " must be http:// or https://");
  }
  std::string rest = url.substr(sep + 3);
  std::size_t slash = rest.find('/');
  e.hostport = rest.substr(0, slash);
  if (slash != std::string::npos) e.base_path = rest.substr(slash);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  if (e.hostport.empty()) return InvalidArgumentError("S3 endpoint " + url + " has no host");
  return e;
}

// ETags are quoted strings; some responses (XML bodies) drop the quotes.
Generation EtagGeneration(std::string etag) {
  if (etag.size() < 2 || etag.front() != '"') etag = "\"" + etag + "\"";
  return Generation(std::move(etag));
}

bool Retryable(long status) { return status == 429 || status >= 500; }

class S3ObjectStore : public ObjectStore {
 public:
  S3ObjectStore(S3ObjectStoreOptions options, Endpoint endpoint)
      : o_(std::move(options)),
        ep_(std::move(endpoint)),
        http_(o_.connect_timeout, o_.request_timeout),
        rng_(std::random_device{}()) {}

  // storage::ObjectStore
  Result<GetResult> Get(std::string_view key, const GetOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    Call c{"GET", std::string(key)};
    if (options.if_match) c.headers.emplace_back("If-Match", options.if_match->value());
    if (options.length && *options.length == 0) {
      // An empty range cannot be expressed in HTTP; a HEAD gives the metadata.
      CODESPHERE_ASSIGN_OR_RETURN(ObjectInfo info, Stat(key));
      if (options.if_match && info.generation != *options.if_match) {
        return FailedPreconditionError("get " + std::string(key) + ": generation mismatch");
      }
      return GetResult{{}, std::move(info)};
    }
    if (options.offset > 0 || options.length) {
      std::string range = "bytes=" + std::to_string(options.offset) + "-";
      if (options.length) range += std::to_string(options.offset + *options.length - 1);
      c.headers.emplace_back("Range", range);
    }
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
    if (r.status == 416) {  // Range starts past the end: an empty read.
      CODESPHERE_ASSIGN_OR_RETURN(ObjectInfo info, Stat(key));
      return GetResult{{}, std::move(info)};
    }
    if (r.status != 200 && r.status != 206) return ErrorOf(r, "get", key);
    GetResult out;
    out.info = InfoFromHeaders(std::string(key), r);
    auto cr = r.headers.find("content-range");
    if (cr != r.headers.end()) {
      std::size_t slash = cr->second.rfind('/');
      if (slash != std::string::npos) {
        out.info.size = std::strtoull(cr->second.c_str() + slash + 1, nullptr, 10);
      }
    } else {
      out.info.size = r.body.size();
    }
    out.value = std::move(r.body);
    return out;
  }

  Result<Generation> Put(std::string_view key, ByteSpan value,
                         const PutOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    if (value.size() >= o_.multipart_threshold) return PutMultipart(std::string(key), value, options);
    Call c{"PUT", std::string(key)};
    c.body = value;
    AddConditions(c, options);
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
    if (r.status == 404 && options.if_match && XmlText(AsStringView(r.body), "Code") == "NoSuchKey") {
      return FailedPreconditionError("put " + std::string(key) + ": object does not exist");
    }
    if (r.status != 200) return ErrorOf(r, "put", key);
    return EtagGeneration(r.headers["etag"]);
  }

  Status Delete(std::string_view key, const DeleteOptions& options) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    Call c{"DELETE", std::string(key)};
    if (options.if_match) {
      // Not every S3 implementation honours If-Match on DELETE: check first, then send it too.
      auto info = Stat(key);
      if (!info.has_value()) {
        if (info.error().code() == StatusCode::kNotFound) {
          return FailedPreconditionError("delete " + std::string(key) + ": object does not exist");
        }
        return info.error();
      }
      if (info->generation != *options.if_match) {
        return FailedPreconditionError("delete " + std::string(key) + ": generation mismatch");
      }
      c.headers.emplace_back("If-Match", options.if_match->value());
    }
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
    if (r.status == 204 || r.status == 200) return OkStatus();
    if (r.status == 404 && !options.if_match && XmlText(AsStringView(r.body), "Code") != "NoSuchBucket") {
      return OkStatus();
    }
    return ErrorOf(r, "delete", key);
  }

  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    CODESPHERE_RETURN_IF_ERROR(ValidatePrefix(prefix));
    std::vector<ObjectInfo> out;
    std::string token;
    while (true) {
      Call c{"GET", ""};
      c.query = {{"list-type", "2"}, {"prefix", o_.prefix + std::string(prefix)}};
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
      if (r.status != 200) return ErrorOf(r, "list", prefix);
      std::string_view xml = AsStringView(r.body);
      for (const std::string& item : XmlElements(xml, "Contents")) {
        ObjectInfo info;
        std::string full = XmlText(item, "Key");
        if (!full.starts_with(o_.prefix)) continue;
        info.key = full.substr(o_.prefix.size());
        info.size = std::strtoull(XmlText(item, "Size").c_str(), nullptr, 10);
        info.generation = EtagGeneration(XmlText(item, "ETag"));
        info.mtime_unix_ms = ParseIsoTimeMs(XmlText(item, "LastModified"));
        out.push_back(std::move(info));
      }
      if (XmlText(xml, "IsTruncated") != "true") break;
      token = XmlText(xml, "NextContinuationToken");
      if (token.empty()) return DataLossError("list " + std::string(prefix) + ": truncated without a continuation token");
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    CODESPHERE_RETURN_IF_ERROR(ValidateKey(key));
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(Call{"HEAD", std::string(key)}));
    if (r.status != 200) return ErrorOf(r, "stat", key);
    ObjectInfo info = InfoFromHeaders(std::string(key), r);
    info.size = std::strtoull(r.headers["content-length"].c_str(), nullptr, 10);
    return info;
  }

 private:
  struct Call {
    Call(std::string m, std::string k) : method(std::move(m)), key(std::move(k)) {}
    std::string method;
    std::string key;  // Without o_.prefix; empty addresses the bucket.
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    ByteSpan body;
  };

  static void AddConditions(Call& c, const PutOptions& options) {
    if (options.if_none_match) c.headers.emplace_back("If-None-Match", "*");
    if (options.if_match) c.headers.emplace_back("If-Match", options.if_match->value());
  }

  ObjectInfo InfoFromHeaders(std::string key, HttpResponse& r) {
    ObjectInfo info;
    info.key = std::move(key);
    info.generation = EtagGeneration(r.headers["etag"]);
    info.mtime_unix_ms = ParseHttpTimeMs(r.headers["last-modified"]);
    return info;
  }

  Result<Generation> PutMultipart(const std::string& key, ByteSpan value,
                                  const PutOptions& options) {
    if (options.if_match) {
      auto info = Stat(key);
      if (!info.has_value() || info->generation != *options.if_match) {
        if (!info.has_value() && info.error().code() != StatusCode::kNotFound) return info.error();
        return FailedPreconditionError("put " + key + ": generation mismatch");
      }
    }
    if (options.if_none_match) {
      // Fail early rather than after uploading every part; the final request re-checks.
      auto info = Stat(key);
      if (info.has_value()) return FailedPreconditionError("put " + key + ": object already exists");
      if (info.error().code() != StatusCode::kNotFound) return info.error();
    }
    Call init{"POST", key};
    init.query = {{"uploads", ""}};
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(init));
    if (r.status != 200) return ErrorOf(r, "start multipart upload of", key);
    std::string upload_id = XmlText(AsStringView(r.body), "UploadId");
    if (upload_id.empty()) return DataLossError("start multipart upload of " + key + ": no UploadId");
    auto result = UploadParts(key, upload_id, value, options);
    if (!result.has_value()) {
      Call abort{"DELETE", key};
      abort.query = {{"uploadId", upload_id}};
      (void)Send(abort);  // Best effort; the upload's parts expire by bucket policy otherwise.
    }
    return result;
  }

  Result<Generation> UploadParts(const std::string& key, const std::string& upload_id,
                                 ByteSpan value, const PutOptions& options) {
    std::string complete = "<CompleteMultipartUpload>";
    int part = 0;
    for (std::uint64_t off = 0; off < value.size(); off += o_.part_size) {
      ++part;
      Call c{"PUT", key};
      c.query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}};
      c.body = value.subspan(off, std::min<std::uint64_t>(o_.part_size, value.size() - off));
      CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
      if (r.status != 200) return ErrorOf(r, "upload part of", key);
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" +
                  r.headers["etag"] + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    Call c{"POST", key};
    c.query = {{"uploadId", upload_id}};
    c.body = AsBytes(complete);
    // Without it curl labels the body as a form, which some servers then parse as one.
    c.headers.emplace_back("Content-Type", "application/xml");
    AddConditions(c, options);
    CODESPHERE_ASSIGN_OR_RETURN(HttpResponse r, Send(c));
    // CompleteMultipartUpload can fail with 200 and an <Error> body.
    if (r.status != 200 || !XmlElements(AsStringView(r.body), "Error").empty()) {
      return ErrorOf(r, "complete multipart upload of", key);
    }
    std::string etag = XmlText(AsStringView(r.body), "ETag");
    if (etag.empty()) etag = r.headers["etag"];
    return EtagGeneration(etag);
  }

  Status ErrorOf(const HttpResponse& r, std::string_view op, std::string_view key) {
    std::string_view body = AsStringView(r.body);
    std::string code = XmlText(body, "Code");
    std::string message = XmlText(body, "Message");
    std::string what = std::string(op) + " s3://" + o_.bucket + "/" + o_.prefix + std::string(key) +
                       ": HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) +
                       (message.empty() ? "" : " (" + message + ")");
    if (r.status == 412 || code == "PreconditionFailed" || code == "ConditionalRequestConflict") {
      return FailedPreconditionError(what);
    }
    if (code == "NoSuchBucket") return NotFoundError("bucket " + o_.bucket + " does not exist: " + what);
    if (r.status == 404) return NotFoundError(what);
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
        code == "InvalidToken" || code == "InvalidClientTokenId" || r.status == 401) {
      return UnauthenticatedError("S3 rejected the credentials: " + what);
    }
    if (r.status == 403) return PermissionDeniedError(what);
    if (r.status == 409) return AbortedError(what);
    if (r.status == 400) return InvalidArgumentError(what);
    if (Retryable(r.status)) return UnavailableError(what);
    return InternalError(what);
  }

  Result<HttpResponse> Send(const Call& c) {
    std::string host = ep_.hostport;
    std::string path = ep_.base_path + "/";
    std::string full_key = c.key.empty() ? "" : o_.prefix + c.key;
    if (o_.path_style) {
      path += o_.bucket;
      if (!full_key.empty()) path += "/" + internal::UriEncode(full_key, false);
    } else {
      host = o_.bucket + "." + host;
      path += internal::UriEncode(full_key, false);
    }
    std::string payload_hash = internal::Sha256Hex(c.body);
    Status last;
    for (int attempt = 0; attempt < std::max(1, o_.max_attempts); ++attempt) {
      if (attempt > 0) Backoff(attempt);
      internal::SigV4Request sr;
      sr.method = c.method;
      sr.canonical_uri = path;
      sr.query = c.query;
      sr.payload_hash = payload_hash;
      sr.headers = c.headers;
      sr.headers.emplace_back("Host", host);
      std::string amz_date = AmzDate(std::chrono::system_clock::now());
      sr.headers.emplace_back("x-amz-date", amz_date);
      sr.headers.emplace_back("x-amz-content-sha256", payload_hash);
      if (!o_.session_token.empty()) sr.headers.emplace_back("x-amz-security-token", o_.session_token);
      HttpRequest req;
      req.method = c.method;
      std::string qs = internal::CanonicalQueryString(c.query);
      req.url = ep_.scheme + "://" + host + path + (qs.empty() ? "" : "?" + qs);
      req.headers = sr.headers;
      if (!o_.access_key_id.empty()) {
        internal::SigV4Scope scope{o_.access_key_id, o_.secret_access_key, o_.region, "s3",
                                   amz_date};
        req.headers.emplace_back("Authorization", internal::AuthorizationHeader(sr, scope));
      }
      req.body = c.body;
      auto r = http_.Perform(req);
      if (!r.has_value()) {
        last = r.error();
        continue;
      }
      if (Retryable(r->status)) {
        last = ErrorOf(*r, c.method, c.key);
        continue;
      }
      return r;
    }
    return UnavailableError("giving up after " + std::to_string(o_.max_attempts) +
                            " attempts: " + std::string(last.message()));
  }

  void Backoff(int attempt) {
    auto cap = std::chrono::milliseconds(2000);
    auto ceiling = std::min<std::chrono::milliseconds>(cap, o_.initial_backoff * (1 << std::min(attempt - 1, 10)));
    std::uniform_int_distribution<long> dist(0, ceiling.count());
    long ms;
    {
      std::lock_guard<std::mutex> lock(rng_mu_);
      ms = dist(rng_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  const S3ObjectStoreOptions o_;
  const Endpoint ep_;
  HttpClient http_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace

void ApplyS3EnvironmentCredentials(S3ObjectStoreOptions& options) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (options.access_key_id.empty()) options.access_key_id = env("AWS_ACCESS_KEY_ID");
  if (options.secret_access_key.empty()) options.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  if (options.session_token.empty()) options.session_token = env("AWS_SESSION_TOKEN");
  std::string region = env("AWS_REGION");
  if (region.empty()) region = env("AWS_DEFAULT_REGION");
  if (!region.empty()) options.region = region;
}

Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(const S3ObjectStoreOptions& options) {
  if (options.bucket.empty()) return InvalidArgumentError("S3 bucket name is empty");
  for (char ch : options.bucket) {
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) ||
          ch == '-' || ch == '.')) {
      return InvalidArgumentError("S3 bucket name " + options.bucket + " has invalid characters");
    }
  }
  if (options.part_size < (5u << 20)) return InvalidArgumentError("S3 part size below 5 MiB");
  if (options.region.empty()) return InvalidArgumentError("S3 region is empty");
  std::string url = options.endpoint.empty()
                        ? "https://s3." + options.region + ".amazonaws.com"
                        : options.endpoint;
  CODESPHERE_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(url));
  S3ObjectStoreOptions o = options;
  if (!o.prefix.empty() && o.prefix.back() != '/') o.prefix += '/';
  return std::unique_ptr<ObjectStore>(new S3ObjectStore(std::move(o), std::move(ep)));
}

}  // namespace codesphere::storage
