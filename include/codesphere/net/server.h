// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Server`: one listening socket speaking HTTP/1.1 (keep-alive), WebSocket (RFC 6455) and
// byte-level reverse proxying, on the application's io_context. Every endpoint of the platform
// (collaboration rooms, terminals, project events, REST, preview proxy) is a route on it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/any_io_executor.hpp>

#include "codesphere/base/metrics.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/net/http.h"
#include "codesphere/net/websocket.h"

namespace codesphere::net {

// The answer to a WebSocket upgrade request. Move-only; answer once, from any thread, now or
// later (e.g. after verifying a token). Destroying it unanswered rejects with 500.
//
// Thread-safety: thread-compatible (external synchronization); answers may run on any thread.
class UpgradeResponder {
 public:
  struct Impl;  // defined by the server
  UpgradeResponder() = default;
  explicit UpgradeResponder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  UpgradeResponder(UpgradeResponder&&) noexcept = default;
  UpgradeResponder& operator=(UpgradeResponder&& other) noexcept;
  UpgradeResponder(const UpgradeResponder&) = delete;
  UpgradeResponder& operator=(const UpgradeResponder&) = delete;
  ~UpgradeResponder();

  // Completes the handshake (101 Switching Protocols). `on_open` receives the connection on its
  // strand before any `handlers` callback; `subprotocol`, if not empty, is echoed in
  // Sec-WebSocket-Protocol (it should be one the client offered). If the client went away
  // meanwhile, nothing is called.
  void Accept(WebSocketHandlers handlers,
              unique_function<void(std::shared_ptr<WebSocket>)> on_open = nullptr,
              std::string subprotocol = {});
  // Refuses the upgrade with `response` (e.g. 401, 403, 404); the HTTP connection closes.
  void Reject(HttpResponse response);
  bool pending() const { return impl_ != nullptr; }

 private:
  std::shared_ptr<Impl> impl_;
};

// Decides on a WebSocket upgrade request routed to it. Runs on the connection's strand.
// `request.body` is empty. May be called concurrently for different connections.
using UpgradeHandler = unique_function<void(const HttpRequest& request, UpgradeResponder)>;

// Where a proxied request goes: an already connected stream socket towards the upstream (e.g.
// a TCP connection into a sandbox's network namespace, made by the sandbox module).
struct ProxyTarget {
  // A connected, blocking or non-blocking SOCK_STREAM fd; ownership passes to the server,
  // which closes it when the proxied connection ends.
  int fd = -1;
  // The request-target sent upstream instead of the client's (e.g. "/index.html" for
  // "/preview/p1/index.html"); empty keeps the client's target.
  std::string target;
  // Header fields set (replacing same-named ones) on the request sent upstream, e.g.
  // {"Host", "localhost:5173"}. X-Forwarded-For/-Host/-Proto are always added.
  HttpHeaders set_headers;
};

// The answer to a request on a proxy route. Move-only; answer once, from any thread, now or
// later. Destroying it unanswered answers 502 Bad Gateway.
//
// Thread-safety: thread-compatible (external synchronization); answers may run on any thread.
class ProxyResponder {
 public:
  struct Impl;  // defined by the server
  ProxyResponder() = default;
  explicit ProxyResponder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  ProxyResponder(ProxyResponder&&) noexcept = default;
  ProxyResponder& operator=(ProxyResponder&& other) noexcept;
  ProxyResponder(const ProxyResponder&) = delete;
  ProxyResponder& operator=(const ProxyResponder&) = delete;
  ~ProxyResponder();

  // Forwards the request head (rewritten per `target`) and then relays bytes in both
  // directions until either side closes: the rest of the request body, the upstream's
  // response, and for WebSocket (or any Upgrade) requests the whole upgraded session. The
  // server does not parse what follows the head. Plain requests are sent upstream with
  // `Connection: close`, so one client connection carries one proxied exchange.
  void ProxyTo(ProxyTarget target);
  // Answers `response` instead (e.g. 404 unknown project, 502 sandbox not running) and
  // closes the connection.
  void Reject(HttpResponse response);
  bool pending() const { return impl_ != nullptr; }

 private:
  std::shared_ptr<Impl> impl_;
};

// Decides where a request on a proxy route goes. Called with the request head only (its body
// is streamed, never buffered); runs on the connection's strand.
using ProxyHandler = unique_function<void(const HttpRequest& request, ProxyResponder)>;

// Selects requests for a route by their head (e.g. the Host header for subdomain preview
// routing: `req.host().ends_with(".localhost")`). Must be thread-safe and cheap.
using RouteMatcher = std::function<bool(const HttpRequest& request_head)>;

// Certificates for HTTPS / WSS (OpenSSL).
struct TlsOptions {
  // PEM file with the certificate chain (leaf first).
  std::string certificate_chain_file;
  // PEM file with the private key.
  std::string private_key_file;
};

struct ServerOptions {
  // Address to listen on ("127.0.0.1", "::", "0.0.0.0"). Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (see `Server::port()`). Default: 0.
  std::uint16_t port = 0;
  // Limits and keepalive for accepted WebSockets. Default: see `WebSocketOptions`.
  WebSocketOptions websocket;
  // The largest request head (request line + headers); larger gets 431 and a close.
  // Default: 16 KiB.
  std::size_t max_request_head_size = std::size_t{16} << 10;
  // The largest request body of a plain route; larger gets 413 and a close. Default: 8 MiB.
  std::size_t max_request_body_size = std::size_t{8} << 20;
  // The bound of a plain HTTP connection's write queue (responses and proxied bytes). A proxied
  // upstream is read only while the client's queue is below it (backpressure, not
  // disconnection). Default: 1 MiB.
  std::size_t max_http_queued_bytes = std::size_t{1} << 20;
  // Time allowed for a full request head to arrive on a connection, and the idle time after
  // which a keep-alive HTTP connection is closed. Default: 30 s.
  std::chrono::milliseconds request_timeout{30000};
  // Connections beyond this are accepted and closed at once (logged). Default: 100000.
  std::size_t max_connections = 100000;
  // HTTPS/WSS when set; plain HTTP/WS otherwise. Default: unset.
  std::optional<TlsOptions> tls;
  // Receives the server's metrics when not null (all series carry label server=`name`):
  // net_connections_total, net_connections_open, net_websockets_open, net_http_requests_total,
  // net_messages_received_total, net_messages_sent_total, net_bytes_received_total,
  // net_bytes_sent_total, net_disconnects_total{reason}. Must outlive the server and the
  // io_context's last handler of its connections (closing sockets may still count bytes after
  // `Stop` completed): in practice a process-lifetime registry. Default: nullptr.
  MetricsRegistry* metrics = nullptr;
  // Names this server in logs and metric labels. Default: "net".
  std::string name = "net";
};

// A point-in-time view of a server (for tests, /healthz and load drivers).
struct ServerStats {
  std::size_t open_connections = 0;  // every accepted TCP connection not yet closed
  std::size_t open_websockets = 0;   // of which completed WebSocket handshakes
  std::size_t queued_bytes = 0;      // sum of all write queues
};

// An HTTP/1.1 + WebSocket server. Create it (binds and listens), add routes, `Start()`,
// and `Stop()` for a graceful shutdown.
//
// Routing, per request head: first the proxy routes whose matcher accepts the request, in
// registration order; then, for WebSocket upgrade requests, the upgrade route with the longest
// matching path prefix, else 404; for other requests, the HTTP route with the longest matching
// path prefix, else 426 Upgrade Required if an upgrade route matches, else 404. A prefix
// "/api/" matches "/api/x" and "/api/"; a prefix "/healthz" matches "/healthz" and
// "/healthz/…" and "/healthz?…", not "/healthzz".
//
// Each accepted connection runs on its own strand of the injected executor, so a server uses
// as many threads as the application runs on its io_context. Handlers run on the connection's
// strand and may run concurrently for different connections: they must be thread-safe.
//
// Thread-safety: thread-safe after `Start()` (`Stop`, `port`, `stats` from any thread);
// routes must be added before `Start()`.
class Server {
 public:
  // Binds and listens on `options.host:options.port`; nothing is accepted before `Start()`.
  // Returns kInvalidArgument for a bad host or unreadable TLS files (with the file name),
  // kAlreadyExists if the port is in use, kPermissionDenied for privileged ports.
  static Result<std::unique_ptr<Server>> Create(asio::any_io_executor executor,
                                                ServerOptions options);
  // Stops at once if still running (without the graceful close handshakes: connections are
  // aborted and their `on_close` runs later on their strands). Call `Stop` and wait for its
  // callback first for a graceful end.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Plain HTTP requests whose path starts with `path_prefix`.
  void HandleHttp(std::string path_prefix, HttpHandler handler);
  // WebSocket upgrade requests whose path starts with `path_prefix`.
  void HandleWebSocket(std::string path_prefix, UpgradeHandler handler);
  // Any request (plain or upgrade) that `matcher` selects is proxied via `handler`.
  void HandleProxy(RouteMatcher matcher, ProxyHandler handler);
  // Convenience: proxy every request whose path starts with `path_prefix`.
  void HandleProxy(std::string path_prefix, ProxyHandler handler);

  // Starts accepting. REQUIRES: called once.
  void Start();

  // Graceful shutdown: stops accepting, answers requests being handled, closes idle HTTP
  // connections, starts a close handshake with kGoingAway ("server shutting down") on every
  // WebSocket (whose `on_close` runs with status kCancelled), aborts proxied connections, and
  // once every connection is gone calls `on_stopped` on the server's executor. WebSockets take
  // at most `websocket.close_timeout`; a request whose handler has not answered yet holds the
  // shutdown until it is answered (a dropped responder answers 500). Idempotent; later calls'
  // callbacks run when the first shutdown completes.
  void Stop(unique_function<void()> on_stopped = nullptr);

  // The bound port (the chosen one when options.port was 0).
  std::uint16_t port() const;
  // "host:port" of the listening socket.
  std::string local_address() const;
  ServerStats stats() const;

  struct Impl;  // private

 private:
  explicit Server(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace codesphere::net
