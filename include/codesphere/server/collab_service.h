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
  // Group commit. A room starts a durable batch (log append + fsync, then one merged broadcast
  // to every peer) at most once per commit interval; updates arriving meanwhile join the next
  // batch. An update after a quiet spell (no batch started within the interval) is never
  // delayed: the room only waits while updates come faster than the interval. The interval
  // follows the room's fan-out, because a batch costs one send per peer: a room with P peers
  // waits min(P x commit_interval_per_peer, max_commit_interval), and at least
  // min_commit_interval. With the defaults a 2-peer room waits at most 0.1 ms and a room of
  // 200 or more peers 10 ms, so a room's broadcasts stay near 20,000 frames/s however fast
  // its peers type (docs/sync.md "Group commit"). All zero: a batch starts as soon as the
  // previous one is durable. Defaults: 50 us per peer, at most 10 ms, at least 0.
  std::chrono::microseconds commit_interval_per_peer{50};
  std::chrono::microseconds max_commit_interval{10000};
  std::chrono::microseconds min_commit_interval{0};
  // Registers codesphere_collab_* metrics here when set; must outlive the service.
  // Default: nullptr.
  MetricsRegistry* metrics = nullptr;
  // Time source (awareness). Must outlive the service. Default: the real clock.
  const Clock* clock = nullptr;
};

// The commit interval of a room with `peers` peers under `options` (see above).
std::chrono::microseconds CommitInterval(const CollabOptions& options, std::size_t peers);

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
