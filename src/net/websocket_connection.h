// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `WebSocketConnection`: the one implementation of `WebSocket`, for accepted and for client
// connections. A `WebSocketEngine` (our RFC 6455 server engine, or websocketpp for clients)
// parses frames and runs the handshakes and the close handshake; this class owns the strand,
// the bounded write queue (server data frames are framed here so broadcasts share one payload
// buffer, and written by the caller's thread when nothing is queued: `Transport::Send`),
// keepalive and the close deadline. An idle server connection owns no timer: the
// server's keepalive sweep drives `KeepaliveTick()`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "codesphere/base/result.h"
#include "codesphere/net/websocket.h"
#include "net/net_metrics.h"
#include "net/transport.h"
#include "net/websocket_engine.h"

namespace codesphere::net::internal {

using Strand = asio::strand<asio::any_io_executor>;

// A connection the server tracks for shutdown (HTTP session, WebSocket, proxy relay).
//
// Thread-safety: thread-safe (both methods post to the session's strand).
class StoppableSession {
 public:
  virtual ~StoppableSession() = default;
  // Graceful: finish or close politely.
  virtual void ShutdownForStop() = 0;
  // Immediate.
  virtual void AbortForStop() = 0;
  virtual std::size_t queued_bytes() const = 0;
  // The server's periodic keepalive sweep (WebSockets ping idle peers, drop silent ones).
  virtual void KeepaliveTick() {}
};

// The period of keepalive checks for `options`: a quarter of the shorter of ping_interval and
// pong_timeout (so pings and drops happen at most 25 % late), at least 1 ms; zero when
// keepalive is off.
std::chrono::milliseconds KeepalivePeriod(const WebSocketOptions& options);

// A new process-unique connection id (never 0).
std::uint64_t NextConnectionId();

// Thread-safety: thread-safe (public WebSocket API); the rest is strand-bound.
class WebSocketConnection final : public WebSocket,
                                  public StoppableSession,
                                  public WebSocketEngineEvents,
                                  public std::enable_shared_from_this<WebSocketConnection> {
 public:
  using OpenCallback = unique_function<void(std::shared_ptr<WebSocket>)>;
  using ConnectCallback = unique_function<void(Result<std::shared_ptr<WebSocket>>)>;

  WebSocketConnection(std::uint64_t id, Strand strand, std::shared_ptr<Transport> transport,
                      const WebSocketOptions& options, WebSocketHandlers handlers,
                      std::shared_ptr<const NetMetrics> metrics, bool client);
  ~WebSocketConnection() override;

  // Server side: answers the (parsed, validated) upgrade request whose Sec-WebSocket-Key is
  // `key` with 101 and opens; `initial` holds bytes the client sent after the request head.
  // `subprotocol` (one the client offered, or "") is echoed. `on_open` runs when the connection
  // opened; `on_end` runs once when the connection has ended (after `on_close`).
  void StartServer(std::string key, std::string initial, std::string subprotocol,
                   OpenCallback on_open, unique_function<void()> on_end);
  // Client side: sends the handshake for `params.uri` over the (connected, TLS-handshaken)
  // transport; `on_connected` runs exactly once.
  void StartClient(const EngineParams& params, ConnectCallback on_connected);
  // Server shutdown: close handshake with kGoingAway; `on_close` reports kCancelled.
  void ShutdownForStop() override;
  void AbortForStop() override;
  // Server connections: called by the server's sweep every KeepalivePeriod (any thread).
  void KeepaliveTick() override;
  // Ends the connection now with `status` (strand only).
  void Abort(Status status);

  // WebSocket
  std::uint64_t id() const override { return id_; }
  Status Send(ByteSpan data, MessageKind kind) override;
  Status Send(SharedBytes data, MessageKind kind) override;
  void Close(CloseCode code, std::string_view reason) override;
  bool is_open() const override { return state_.load() == kOpen; }
  std::size_t queued_bytes() const override {
    return reserved_.load(std::memory_order_relaxed) + transport_->queued_bytes();
  }
  asio::any_io_executor get_executor() const override { return strand_; }
  const std::string& remote_address() const override { return transport_->remote_address(); }
  const std::string& subprotocol() const override { return subprotocol_; }

  // WebSocketEngineEvents
  void OnEngineWrite(const char* data, std::size_t size) override;
  void OnEngineOpen() override;
  void OnEngineMessage(int opcode, const char* data, std::size_t size) override;
  void OnEngineShutdown() override;
  void OnEngineEnd(const EngineEndInfo& info) override;

 private:
  enum State : int { kConnecting, kOpen, kClosing, kClosed };

  // Reserves queue space for `estimate` bytes and runs `task` on the strand.
  template <typename Task>
  Status Submit(std::size_t estimate, Task task);
  // Server side: a framed data message, written by the transport from the calling thread.
  Status SendServerFrame(OutChunk chunk);
  Status NotOpen() const;
  // The write queue would pass max_queued_bytes: aborts the connection (on the strand).
  Status Overflow();
  void OnRead(const std::error_code& ec, const char* data, std::size_t size);
  // After any engine call: notices the engine leaving the open state.
  void CheckEngineState();
  void CheckKeepalive();
  void ArmClientKeepalive();
  void ArmCloseTimer();
  void Finish(const EngineEndInfo& info);

  const std::uint64_t id_;
  const Strand strand_;
  const std::shared_ptr<Transport> transport_;
  const WebSocketOptions options_;
  const std::shared_ptr<const NetMetrics> metrics_;
  const bool client_;
  std::string subprotocol_;

  std::atomic<int> state_{kConnecting};
  std::atomic<std::size_t> reserved_{0};  // sends posted to the strand, not yet queued

  // Strand-bound state.
  std::unique_ptr<WebSocketEngine> engine_;
  WebSocketHandlers handlers_;
  OpenCallback on_open_;
  ConnectCallback on_connected_;
  unique_function<void()> on_end_;
  // Allocated when needed only: the close deadline once closing, and a client connection's own
  // keepalive timer (servers sweep all their connections with one timer).
  std::unique_ptr<asio::steady_timer> close_timer_;
  std::unique_ptr<asio::steady_timer> client_keepalive_timer_;
  std::chrono::steady_clock::time_point last_rx_;
  std::chrono::steady_clock::time_point ping_sent_;
  bool awaiting_pong_ = false;
  bool close_timer_armed_ = false;
  bool we_closed_ = false;         // Close()/ShutdownForStop started the close handshake
  std::optional<Status> stop_status_;   // set by ShutdownForStop
  std::optional<Status> abort_status_;  // set by Abort
  bool engine_stalled_ = false;    // the engine stopped reading (protocol error)
  bool finished_ = false;
};

}  // namespace codesphere::net::internal
