// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `S3ObjectStore`: the S3 REST API (AWS, MinIO, R2, moto) signed with AWS Signature V4.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/storage/object_store.h"

namespace codesphere::storage {

struct S3ObjectStoreOptions {
  // The bucket. Required.
  std::string bucket;
  // Region used in the signature scope. Default: "us-east-1".
  std::string region = "us-east-1";
  // Base URL, `http://HOST:PORT` or `https://HOST`. Default (empty):
  // `https://s3.<region>.amazonaws.com`.
  std::string endpoint;
  // Path-style URLs (`ENDPOINT/BUCKET/KEY`) instead of virtual-host style
  // (`BUCKET.ENDPOINT-HOST/KEY`). Default: true (works with every S3 clone).
  bool path_style = true;
  // Credentials. Empty `access_key_id` sends unsigned (anonymous) requests.
  std::string access_key_id;
  std::string secret_access_key;
  // Temporary credentials' token (`x-amz-security-token`). Default: none.
  std::string session_token;
  // Every key is stored as `prefix + key`. Default: "" (bucket root).
  std::string prefix;
  // Values of at least this many bytes are uploaded with multipart upload. Default: 16 MiB.
  std::uint64_t multipart_threshold = 16u << 20;
  // Part size of multipart uploads (S3 requires >= 5 MiB except the last). Default: 8 MiB.
  std::uint64_t part_size = 8u << 20;
  // Attempts for a request failing with a transient error (connection errors, HTTP 5xx, 429,
  // SlowDown), with exponential backoff and full jitter. Default: 5.
  int max_attempts = 5;
  // First backoff delay; doubles per attempt, capped at 2 s. Default: 100 ms.
  std::chrono::milliseconds initial_backoff{100};
  // Connect timeout and total per-request timeout. Default: 10 s and 300 s.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{300'000};
};

// Fills `bucket`-less defaults from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION). Fields already set are kept.
void ApplyS3EnvironmentCredentials(S3ObjectStoreOptions& options);

// Creates a store for `options.bucket`. Does not contact the server: a missing bucket or bad
// credentials surface on the first request as kNotFound ("bucket … does not exist") or
// kUnauthenticated / kPermissionDenied. Returns kInvalidArgument for a missing bucket name, a
// malformed endpoint or a part size below 5 MiB.
//
// Conditional writes map to `If-Match` / `If-None-Match: *` headers (HTTP 412 ->
// kFailedPrecondition); a conditional Delete and a multipart upload with `if_match` first check
// the current ETag with HEAD (not atomic against a concurrent writer).
//
// Thread-safety: thread-safe (each call uses its own HTTP handle).
Result<std::unique_ptr<ObjectStore>> NewS3ObjectStore(const S3ObjectStoreOptions& options);

}  // namespace codesphere::storage
