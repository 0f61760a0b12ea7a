// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Test fixture helper: runs the preinstalled moto S3 server on a free loopback port for the
// life of the object, and drives tests/storage/s3_tool.py (boto3) against it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "codesphere/base/result.h"

namespace codesphere::storage::testing {

// Thread-safety: thread-compatible (external synchronization).
class MotoServer {
 public:
  // Starts `python3 -m moto.server` on 127.0.0.1 and waits until it accepts connections.
  // Returns kUnavailable with the reason when python3, moto or boto3 is missing.
  static Result<std::unique_ptr<MotoServer>> Start();
  ~MotoServer();

  // "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }
  int port() const { return port_; }

  // Runs s3_tool.py ENDPOINT args… and returns its stdout, or kInternal with its stderr.
  Result<std::string> Tool(const std::vector<std::string>& args) const;

 private:
  MotoServer() = default;
  int pid_ = -1;
  int port_ = 0;
  std::string endpoint_;
};

}  // namespace codesphere::storage::testing
