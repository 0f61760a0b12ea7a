// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The server's private parts: `Server::Impl` (acceptor, routes, session registry, shutdown),
// `HttpSession` (HTTP/1.1 keep-alive and routing on one connection) and `ProxySession` (a
// byte relay between a client connection and an upstream socket).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "codesphere/base/thread_annotations.h"
#include "codesphere/net/server.h"
#include "net/http_parser.h"
#include "net/net_metrics.h"
#include "net/transport.h"
#include "net/websocket_connection.h"

namespace codesphere::net {

namespace internal {
class HttpSession;
}  // namespace internal

// Thread-safety: thread-safe (registry under `mu`; routes immutable after Start; the acceptor
// on `strand`).
struct Server::Impl : public std::enable_shared_from_this<Server::Impl> {
  Impl(asio::any_io_executor executor, ServerOptions options);

  void DoAccept();
  void OnAccepted(const std::error_code& ec, asio::ip::tcp::socket socket,
                  const internal::Strand& conn_strand);

  // Session registry, keyed by connection id (an HTTP session hands its id on to the
  // WebSocket or proxy relay that replaces it).
  void Register(std::uint64_t id, std::weak_ptr<internal::StoppableSession> session);
  void Unregister(std::uint64_t id);

  void Stop(unique_function<void()> on_stopped);
  void AbortAll();
  // Closes the acceptor and cancels the server's timers (on `strand`).
  void CloseListener();
  // Every KeepalivePeriod: KeepaliveTick() on each session (one timer for all connections, so
  // an idle WebSocket owns no timer and no pending timer wait).
  void ScheduleKeepalive();

  const asio::any_io_executor executor;
  const internal::Strand strand;
  const ServerOptions options;
  asio::ip::tcp::acceptor acceptor;
  std::shared_ptr<asio::ssl::context> tls;
  std::shared_ptr<const internal::NetMetrics> metrics;
  asio::steady_timer accept_retry_timer;
  asio::steady_timer keepalive_timer;  // on `strand`

  // Routes (immutable after Start).
  std::vector<std::pair<std::string, HttpHandler>> http_routes;
  std::vector<std::pair<std::string, UpgradeHandler>> websocket_routes;
  std::vector<std::pair<RouteMatcher, ProxyHandler>> proxy_routes;

  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};  // no new requests are routed
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> open_websockets{0};

  std::mutex mu;
  std::unordered_map<std::uint64_t, std::weak_ptr<internal::StoppableSession>> sessions
      CODESPHERE_GUARDED_BY(mu);
  std::vector<unique_function<void()>> stop_callbacks CODESPHERE_GUARDED_BY(mu);
  bool stop_requested CODESPHERE_GUARDED_BY(mu) = false;
  bool stop_done CODESPHERE_GUARDED_BY(mu) = false;
  bool listener_closed CODESPHERE_GUARDED_BY(mu) = false;  // by Stop, on `strand`

 private:
  void MaybeFinishStop() CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

namespace internal {

// One client connection speaking HTTP/1.1 until it is upgraded or handed to the proxy.
//
// Thread-safety: strand-bound, except the StoppableSession methods.
class HttpSession final : public StoppableSession,
                          public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<Server::Impl> server, std::uint64_t id, Strand strand,
              std::shared_ptr<Transport> transport);

  void Start();

  // Answers from responders (any thread; they post here).
  void SendResponse(HttpResponse response);
  void AcceptUpgrade(WebSocketHandlers handlers,
                     unique_function<void(std::shared_ptr<WebSocket>)> on_open,
                     std::string subprotocol);
  void RejectAndClose(HttpResponse response);
  void StartProxy(ProxyTarget target);

  const Strand& strand() const { return strand_; }

  // StoppableSession
  void ShutdownForStop() override;
  void AbortForStop() override;
  std::size_t queued_bytes() const override { return transport_->queued_bytes(); }

 private:
  enum class Phase { kHead, kBody, kHandler, kDone };

  void OnRead(const std::error_code& ec, const char* data, std::size_t size);
  void Process();
  void Route();
  void RunHttpHandler();
  void WriteResponse(const HttpResponse& response, bool keep_alive);
  void ReplyError(int status, std::string_view message);
  void ArmRequestTimer();
  void End();

  const std::shared_ptr<Server::Impl> server_;
  const std::uint64_t id_;
  const Strand strand_;
  const std::shared_ptr<Transport> transport_;
  asio::steady_timer request_timer_;

  Phase phase_ = Phase::kHead;
  std::string in_;       // received, not yet consumed
  std::string head_;     // the raw head of the current request
  HttpRequest request_;
  HttpHandler* handler_ = nullptr;
  BodyFraming framing_;
  ChunkedDecoder chunked_;
  bool keep_alive_ = true;
  bool close_after_response_ = false;
  bool ended_ = false;
};

// Relays bytes between a client transport and an upstream socket.
//
// Thread-safety: strand-bound, except the StoppableSession methods.
class ProxySession final : public StoppableSession,
                           public std::enable_shared_from_this<ProxySession> {
 public:
  ProxySession(std::shared_ptr<Server::Impl> server, std::uint64_t id, Strand strand,
               std::shared_ptr<Transport> client, asio::generic::stream_protocol::socket upstream);

  // Sends `head` and `initial` (client bytes already read) upstream, then relays both ways.
  void Start(std::string head, std::string initial);

  // StoppableSession
  void ShutdownForStop() override { AbortForStop(); }
  void AbortForStop() override;
  std::size_t queued_bytes() const override { return client_->queued_bytes(); }

 private:
  void OnClientData(const std::error_code& ec, const char* data, std::size_t size);
  void WriteUpstream();
  void ReadUpstream();
  void End();

  const std::shared_ptr<Server::Impl> server_;
  const std::uint64_t id_;
  const Strand strand_;
  const std::shared_ptr<Transport> client_;
  asio::generic::stream_protocol::socket upstream_;
  std::string to_upstream_;          // pending bytes for the upstream
  std::string writing_upstream_;     // bytes of the write in flight
  bool upstream_writing_ = false;
  bool client_eof_ = false;
  std::unique_ptr<char[]> read_buffer_;
  bool ended_ = false;
};

}  // namespace internal

// Shared state of a pending upgrade/proxy answer.
struct UpgradeResponder::Impl {
  Impl(std::weak_ptr<internal::HttpSession> s, internal::Strand st)
      : session(std::move(s)), strand(std::move(st)) {}
  std::weak_ptr<internal::HttpSession> session;
  internal::Strand strand;
};
struct ProxyResponder::Impl {
  Impl(std::weak_ptr<internal::HttpSession> s, internal::Strand st)
      : session(std::move(s)), strand(std::move(st)) {}
  std::weak_ptr<internal::HttpSession> session;
  internal::Strand strand;
};

}  // namespace codesphere::net
