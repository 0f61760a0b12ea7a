// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `CollabService`: the y-websocket server on a `net::Server`: one strand per room, durable
// group commit of document updates on a writer pool (fsync before broadcast), awareness
// timeouts, limits and metrics. `codesphere-collab` is this service plus /metrics and
// /healthz; the platform mounts it under /yjs/.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <asio/any_io_executor.hpp>

#include "codesphere/base/clock.h"
#include "codesphere/base/metrics.h"
#include "codesphere/base/result.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/net/server.h"
#include "codesphere/sync/hub.h"

namespace codesphere::server {

struct CollabOptions {
  // Where rooms are stored (a FileDocumentStore); empty keeps rooms in memory only.
  // Default: empty.
  std::filesystem::path data_dir;
  // A document store to use instead of one made from `data_dir` (e.g. the platform's store
  // that reconciles file rooms with the workspace). Default: null.
  std::shared_ptr<sync::DocumentStore> store;
  // fsync the update logs (turn off only for benchmarks of the non-durable mode). Default: true.
  bool sync = true;
  // Room limits, compaction threshold, awareness timeouts.
  sync::HubOptions hub;
  // Awareness renewal/timeout check period (y-protocols uses 3 s). Default: 3 s.
  std::chrono::milliseconds tick_interval{3000};
  // Threads that write update logs (fsync) so room strands never block on disk. Default: 2.
  int writer_threads = 2;
  // A room starts a durable batch (log append + fsync, then one merged broadcast) at most
  // this often: updates arriving meanwhile join the next batch. Larger batches mean fewer
  // fsyncs and fewer, larger sends to every peer (server CPU per delivered update falls with
  // the batch size) for at most this much added latency; an edit after a quiet spell is
  // never delayed. 0 = start a batch as soon as the previous one is durable. Default: 0.
  std::chrono::microseconds min_commit_interval{0};
  // Registers codesphere_collab_* metrics here when set; must outlive the service.
  // Default: nullptr.
  MetricsRegistry* metrics = nullptr;
  // Time source (awareness). Must outlive the service. Default: the real clock.
  const Clock* clock = nullptr;
};

// Thread-safety: thread-safe.
class CollabService {
 public:
  // Opens the document store. Returns its error (e.g. kPermissionDenied on the data dir).
  static Result<std::unique_ptr<CollabService>> Create(asio::any_io_executor executor,
                                                       CollabOptions options,
                                                       sync::HubHooks hooks = {});
  ~CollabService();
  CollabService(const CollabService&) = delete;
  CollabService& operator=(const CollabService&) = delete;

  // Serves y-websocket rooms on `server`: every WebSocket upgrade whose path starts with
  // `path_prefix` joins the room named by the rest of the path (not percent-decoded, query
  // cut), as y-websocket's server does. Call before `server.Start()`.
  void Register(net::Server& server, std::string path_prefix = "/");

  // Flushes and compacts every open room (call after the net server stopped). Blocks.
  void Shutdown();

  std::size_t room_count() const;
  std::size_t peer_count() const;

  struct Impl;

 private:
  explicit CollabService(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace codesphere::server
