// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/server/collab_service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <vector>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/sync/document_store.h"

namespace codesphere::server {
namespace {

using Strand = asio::strand<asio::any_io_executor>;

struct Connection;

// A room, its strand and its durability pipeline. Strand-bound except `users` (Impl::mu).
struct RoomRunner {
  RoomRunner(asio::any_io_executor ex, std::string n, sync::OpenRoom* o)
      : strand(asio::make_strand(ex)), name(std::move(n)), open(o) {}
  Strand strand;
  std::string name;
  sync::OpenRoom* open;
  std::size_t users = 0;  // guarded by Impl::mu
  bool busy = false;      // an append or compaction is on the writer pool
  bool failed = false;    // storage failed: the room refuses updates until reloaded
  std::chrono::steady_clock::time_point last_commit;  // start of the last durable batch
  std::vector<std::shared_ptr<Connection>> conns;  // joined connections (strand-bound)
};

// The room's view of one WebSocket.
struct Connection : sync::Peer {
  std::shared_ptr<RoomRunner> runner;
  sync::Access access = sync::Access::kReadWrite;
  std::shared_ptr<net::WebSocket> ws;
  sync::PeerId peer_id = 0;
  bool joined = false;
  // sync::Peer
  void Send(std::shared_ptr<const Bytes> frame) override {
    // A peer whose queue overflows is closed by the transport (kResourceExhausted), never
    // waited for; the room goes on.
    if (ws) (void)ws->Send(std::move(frame));
  }
};

}  // namespace

struct CollabService::Impl : std::enable_shared_from_this<CollabService::Impl> {
  Impl(asio::any_io_executor ex, CollabOptions opts)
      : executor(ex), options(std::move(opts)), writers(std::max(1, options.writer_threads)),
        tick_timer(ex) {}

  asio::any_io_executor executor;
  CollabOptions options;
  std::shared_ptr<sync::DocumentStore> store;
  std::unique_ptr<sync::Hub> hub;
  asio::thread_pool writers;
  asio::steady_timer tick_timer;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<RoomRunner>, std::less<>> runners;  // guarded by mu
  std::atomic<std::size_t> peers{0};
  bool stopped = false;

  Counter* messages = nullptr;
  Counter* bytes_in = nullptr;
  Counter* bad_messages = nullptr;
  Counter* durable_updates = nullptr;
  Counter* compactions = nullptr;
  Histogram* fsync_seconds = nullptr;

  void RegisterMetrics(MetricsRegistry& m) {
    m.AddCallbackGauge("codesphere_collab_rooms", "Open collaboration rooms.",
                       [w = weak_from_this()] {
                         auto self = w.lock();
                         return self ? static_cast<double>(self->hub->room_count()) : 0.0;
                       });
    m.AddCallbackGauge("codesphere_collab_peers", "Connected collaboration peers.",
                       [w = weak_from_this()] {
                         auto self = w.lock();
                         return self ? static_cast<double>(self->peers.load()) : 0.0;
                       });
    messages = &m.AddCounter("codesphere_collab_messages_total", "y-protocols messages received.");
    bytes_in = &m.AddCounter("codesphere_collab_received_bytes_total",
                             "Bytes of y-protocols messages received.");
    bad_messages = &m.AddCounter("codesphere_collab_bad_messages_total",
                                 "Malformed messages (the connection was closed).");
    durable_updates = &m.AddCounter("codesphere_collab_durable_updates_total",
                                    "Document updates made durable and applied.");
    compactions = &m.AddCounter("codesphere_collab_compactions_total",
                                "Room logs compacted into snapshots.");
    fsync_seconds = &m.AddHistogram("codesphere_collab_log_fsync_seconds",
                                    "Latency of appending a batch to a room log (write+fsync).",
                                    ExponentialBuckets(0.0001, 2, 16));
  }

  Result<std::shared_ptr<RoomRunner>> Attach(const std::string& room) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return UnavailableError("collaboration service is shutting down");
    auto it = runners.find(room);
    if (it == runners.end()) {
      CODESPHERE_ASSIGN_OR_RETURN(sync::OpenRoom * open, hub->Acquire(room));
      auto runner = std::make_shared<RoomRunner>(executor, room, open);
      it = runners.emplace(room, std::move(runner)).first;
    }
    if (it->second->users >= options.hub.max_peers_per_room) {
      return ResourceExhaustedError("room is full");
    }
    ++it->second->users;
    return it->second;
  }

  // On the runner's strand.
  void MaybeUnload(const std::shared_ptr<RoomRunner>& r) {
    // Under `mu` from the start: Shutdown stores and frees every room under it, and a
    // connection's close can still arrive here after the net server stopped.
    std::lock_guard<std::mutex> lock(mu);
    if (stopped || r->users > 0 || r->open == nullptr) return;
    if (r->busy || r->open->room.HasUnflushed()) return;
    auto it = runners.find(r->name);
    if (it == runners.end() || it->second != r) return;
    runners.erase(it);
    // Under `mu`, so a new connection to this room waits until it is fully unloaded.
    Status s = hub->Release(r->name);
    r->open = nullptr;
    if (!s.ok()) LogError("unload room", {{"room", r->name}, {"error", s.ToString()}});
  }

  // On the runner's strand: start the next durable batch if none is in flight.
  void MaybeFlush(const std::shared_ptr<RoomRunner>& r) {
    if (r->busy || r->open == nullptr) return;
    sync::OpenRoom& open = *r->open;
    if (!open.room.HasUnflushed()) {
      MaybeCompact(r);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto next = r->last_commit + CommitInterval(options, r->conns.size());
    if (now < next) {
      // Too soon after the last batch: let more updates join this one.
      r->busy = true;
      auto timer = std::make_shared<asio::steady_timer>(r->strand, next);
      timer->async_wait([self = shared_from_this(), r, timer](const std::error_code&) {
        r->busy = false;
        {
          std::lock_guard<std::mutex> lock(self->mu);
          if (self->stopped) return;  // Shutdown stores the room itself.
        }
        self->MaybeFlush(r);
        self->MaybeUnload(r);
      });
      return;
    }
    r->last_commit = now;
    r->busy = true;
    auto batch = std::make_shared<std::vector<Bytes>>(open.room.TakeUnflushed());
    asio::post(writers, [self = shared_from_this(), r, batch] {
      std::vector<ByteSpan> spans(batch->begin(), batch->end());
      auto t0 = std::chrono::steady_clock::now();
      Status s = r->open->storage->Append(spans);
      if (self->fsync_seconds) {
        self->fsync_seconds->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      asio::post(r->strand, [self, r, batch, s] {
        r->busy = false;
        if (!s.ok()) {
          // Not durable, so never applied nor acknowledged. Clients keep their edits and
          // re-send them after reconnecting; close them so they do.
          LogError("room log append failed; closing the room's connections",
                   {{"room", r->name}, {"error", s.ToString()}});
          r->failed = true;
          self->CloseAll(r, net::CloseCode::kInternalError, "storage failure");
          return;
        }
        if (self->durable_updates) self->durable_updates->Increment(batch->size());
        r->open->room.ApplyDurable(std::move(*batch));
        self->MaybeFlush(r);
        self->MaybeUnload(r);
      });
    });
  }

  // On the runner's strand, with nothing in flight: compact a large log in the background.
  void MaybeCompact(const std::shared_ptr<RoomRunner>& r) {
    sync::OpenRoom& open = *r->open;
    if (open.storage->log_bytes() < options.hub.compact_after_bytes) return;
    r->busy = true;
    // The doc holds exactly what was appended (updates apply only once durable), so this
    // state covers the whole log.
    auto state = std::make_shared<Bytes>(open.room.EncodeState());
    asio::post(writers, [self = shared_from_this(), r, state] {
      Status s = r->open->storage->Compact(*state);
      asio::post(r->strand, [self, r, s] {
        r->busy = false;
        if (!s.ok()) {
          LogError("room compaction failed", {{"room", r->name}, {"error", s.ToString()}});
        } else if (self->compactions) {
          self->compactions->Increment();
        }
        self->MaybeFlush(r);
        self->MaybeUnload(r);
      });
    });
  }

  void CloseAll(const std::shared_ptr<RoomRunner>& r, net::CloseCode code, std::string_view why) {
    for (auto& c : r->conns) {
      if (c->ws) c->ws->Close(code, why);
    }
  }

  void OnOpen(const std::shared_ptr<Connection>& c) {
    auto r = c->runner;
    if (r->open == nullptr) return;
    c->peer_id = r->open->room.Join(*c, c->access);
    c->joined = true;
    r->conns.push_back(c);
    ++peers;
  }

  void OnMessage(const std::shared_ptr<Connection>& c, const Bytes& data) {
    auto r = c->runner;
    if (!c->joined || r->open == nullptr) return;
    if (messages) messages->Increment();
    if (bytes_in) bytes_in->Increment(data.size());
    if (r->failed) {
      c->ws->Close(net::CloseCode::kInternalError, "storage failure");
      return;
    }
    Status s = r->open->room.Receive(c->peer_id, data);
    if (!s.ok()) {
      if (bad_messages) bad_messages->Increment();
      LogWarning("closing collaboration connection: bad message",
                 {{"room", r->name}, {"remote", c->ws->remote_address()},
                  {"error", s.ToString()}});
      c->ws->Close(net::CloseCode::kPolicyViolation, s.message().substr(0, 120));
      return;
    }
    MaybeFlush(r);
  }

  void OnClose(const std::shared_ptr<Connection>& c) {
    auto r = c->runner;
    if (c->joined && r->open != nullptr) {
      r->open->room.Leave(c->peer_id);
      --peers;
    }
    c->joined = false;
    auto& list = r->conns;
    list.erase(std::remove(list.begin(), list.end(), c), list.end());
    if (list.empty()) std::vector<std::shared_ptr<Connection>>().swap(list);
    c->ws.reset();
    {
      std::lock_guard<std::mutex> lock(mu);
      --r->users;
    }
    MaybeUnload(r);
  }

  void ScheduleTick() {
    tick_timer.expires_after(options.tick_interval);
    tick_timer.async_wait([w = weak_from_this()](const std::error_code& ec) {
      auto self = w.lock();
      if (ec || !self) return;
      std::vector<std::shared_ptr<RoomRunner>> all;
      {
        std::lock_guard<std::mutex> lock(self->mu);
        if (self->stopped) return;
        for (auto& [name, r] : self->runners) all.push_back(r);
      }
      for (auto& r : all) {
        asio::post(r->strand, [r] {
          if (r->open) r->open->room.Tick();
        });
      }
      self->ScheduleTick();
    });
  }
};

std::chrono::microseconds CommitInterval(const CollabOptions& options, std::size_t peers) {
  const std::int64_t per_peer = std::max<std::int64_t>(0, options.commit_interval_per_peer.count());
  const std::int64_t cap = std::max<std::int64_t>(0, options.max_commit_interval.count());
  std::int64_t adaptive = 0;
  if (per_peer > 0) {
    // peers x per_peer, saturating at the cap.
    adaptive = peers > static_cast<std::uint64_t>(cap / per_peer)
                   ? cap
                   : static_cast<std::int64_t>(peers) * per_peer;
  }
  return std::max(options.min_commit_interval, std::chrono::microseconds(adaptive));
}

CollabService::CollabService(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

CollabService::~CollabService() { Shutdown(); }

Result<std::unique_ptr<CollabService>> CollabService::Create(asio::any_io_executor executor,
                                                             CollabOptions options,
                                                             sync::HubHooks hooks) {
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  if (impl->options.store) {
    impl->store = impl->options.store;
  } else if (impl->options.data_dir.empty()) {
    impl->store = sync::NewMemoryDocumentStore();
  } else {
    sync::FileDocumentStoreOptions fo;
    fo.sync = impl->options.sync;
    CODESPHERE_ASSIGN_OR_RETURN(impl->store,
                                sync::NewFileDocumentStore(impl->options.data_dir, fo));
  }
  const Clock& clock = impl->options.clock ? *impl->options.clock : RealClock();
  impl->hub = std::make_unique<sync::Hub>(*impl->store, clock, impl->options.hub, std::move(hooks));
  if (impl->options.metrics) impl->RegisterMetrics(*impl->options.metrics);
  impl->ScheduleTick();
  return std::unique_ptr<CollabService>(new CollabService(std::move(impl)));
}

void CollabService::Register(net::Server& server, std::string path_prefix) {
  std::shared_ptr<Impl> impl = impl_;
  server.HandleWebSocket(path_prefix, [impl, path_prefix](const net::HttpRequest& req,
                                                          net::UpgradeResponder responder) {
    sync::ConnectionInfo info;
    info.room = req.path.substr(std::min(path_prefix.size(), req.path.size()));
    info.target = req.target;
    info.remote_address = req.remote_address;
    for (const auto& [k, v] : req.headers) {
      std::string lower = k;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      info.headers[lower] = v;
    }
    auto access = impl->hub->Authenticate(info);
    if (!access) {
      LogInfo("collaboration connection refused",
              {{"room", info.room}, {"remote", req.remote_address},
               {"error", access.error().ToString()}});
      responder.Reject(net::HttpResponse::FromStatus(access.error()));
      return;
    }
    auto conn = std::make_shared<Connection>();
    conn->access = *access;
    std::string room = info.room;
    net::WebSocketHandlers handlers;
    handlers.on_message = [impl, conn](net::WebSocket& ws, ByteSpan data, net::MessageKind kind) {
      if (kind != net::MessageKind::kBinary) {
        ws.Close(net::CloseCode::kUnsupportedData, "y-websocket messages are binary");
        return;
      }
      if (!conn->runner) return;
      asio::post(conn->runner->strand,
                 [impl, conn, data = Bytes(data.begin(), data.end())] { impl->OnMessage(conn, data); });
    };
    handlers.on_close = [impl, conn](net::WebSocket&, const net::CloseInfo&) {
      if (!conn->runner) return;
      asio::post(conn->runner->strand, [impl, conn] { impl->OnClose(conn); });
    };
    responder.Accept(std::move(handlers), [impl, conn, room](std::shared_ptr<net::WebSocket> ws) {
      auto runner = impl->Attach(room);
      if (!runner) {
        LogWarning("collaboration connection dropped",
                   {{"room", room}, {"error", runner.error().ToString()}});
        ws->Close(net::CloseCode::kTryAgainLater, runner.error().message().substr(0, 120));
        return;
      }
      conn->ws = ws;
      conn->runner = *runner;
      asio::post(conn->runner->strand, [impl, conn] { impl->OnOpen(conn); });
    });
  });
}

void CollabService::Shutdown() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->tick_timer.cancel();
  impl_->writers.join();
  // Everything acknowledged is in the logs; store (flush + compact) every open room. Under
  // `mu`, so that a close still being handled (MaybeUnload) finishes first or sees `stopped`.
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->runners.clear();
  impl_->hub.reset();
}

std::size_t CollabService::room_count() const { return impl_->hub ? impl_->hub->room_count() : 0; }
std::size_t CollabService::peer_count() const { return impl_->peers.load(); }

}  // namespace codesphere::server
