// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Platform`: the composition root of codesphere-server. One `net::Server` carries the REST
// API, the y-websocket rooms (CollabService under /yjs/), the terminals (/pty/), the project
// events (/events/), the live preview proxy ({project}.localhost and /preview/), the web IDE
// (static files), /metrics and /healthz. Behind it: the SQLite metadata store, auth (Argon2id,
// Ed25519 tokens, ACL, rate limits), per-project sandboxes with a terminal multiplexer, and
// workspace snapshots in a local object store. Contract: docs/platform.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <asio/any_io_executor.hpp>

#include "codesphere/base/result.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/server/platform_options.h"

namespace codesphere::server {

// Thread-safety: thread-safe. Run the executor's io_context on one or more threads.
class Platform {
 public:
  // Opens the data directory (metadata, keyring, rooms, snapshots), publishes the templates,
  // chooses the sandbox launcher and binds the listening socket. Nothing is served before
  // `Start()`. Errors: kInvalidArgument for missing options, the store's / server's error.
  static Result<std::unique_ptr<Platform>> Create(asio::any_io_executor executor,
                                                  PlatformOptions options);
  // Stops at once if `Stop` was not awaited (sandboxes are stopped, rooms flushed).
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Starts accepting connections and the idle/snapshot timers. REQUIRES: called once.
  void Start();
  // Graceful shutdown: stops accepting, closes connections, snapshots and stops every
  // sandbox, flushes rooms, waits for the blocking pool's work to finish; then runs
  // `on_stopped` (on a platform thread). After it, nothing of the platform runs on or holds
  // the io_context: the caller may stop and destroy it.
  void Stop(unique_function<void()> on_stopped = nullptr);

  // The bound port.
  std::uint16_t port() const;
  // "http://host:port".
  std::string url() const;
  // "namespaces" or "none": the launcher in use.
  std::string sandbox_kind() const;

  struct Impl;

 private:
  explicit Platform(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace codesphere::server
