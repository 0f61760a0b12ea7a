// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The WebSocket client: opens `ws://` / `wss://` connections that have the same `WebSocket`
// API as accepted ones. Used by tests, load drivers and the Python bindings' client.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "codesphere/base/metrics.h"
#include "codesphere/base/result.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/net/http.h"
#include "codesphere/net/websocket.h"

namespace codesphere::net {

struct WebSocketClientOptions {
  // Limits and keepalive. Default: as `WebSocketOptions`, except keepalive off
  // (ping_interval 0).
  WebSocketOptions websocket = [] {
    WebSocketOptions o;
    o.ping_interval = std::chrono::milliseconds(0);
    return o;
  }();
  // Extra handshake header fields (Authorization, Cookie, Origin, …). Default: none.
  HttpHeaders headers;
  // Offered subprotocols (Sec-WebSocket-Protocol), in preference order. Default: none.
  std::vector<std::string> subprotocols;
  // Time allowed for TCP connect + TLS + handshake. Default: 10 s.
  std::chrono::milliseconds connect_timeout{10000};
  // For wss://: PEM file of trusted CA certificates; empty uses the system store.
  // Default: "".
  std::string tls_ca_file;
  // For wss://: verify the server certificate and host name. Default: true.
  bool tls_verify_peer = true;
  // Receives client metrics (label server="client") when not null; must outlive every
  // connection. Default: nullptr.
  MetricsRegistry* metrics = nullptr;
};

// Opens a WebSocket to `url` ("ws://host:port/path?query" or "wss://…"; host names resolve
// through the system resolver, IPv6 literals in brackets). Calls `on_connected` exactly once,
// on the connection's strand: with the open connection (its `handlers` are then live), or with
// kInvalidArgument (bad URL), kUnavailable (resolve/connect/TLS failure, connection refused),
// kDeadlineExceeded (`connect_timeout`), or kUnauthenticated / kPermissionDenied / kNotFound /
// kFailedPrecondition (the server answered 401 / 403 / 404 / anything else instead of a valid
// 101; the message holds the status and body).
//
// Thread-safety: thread-safe.
void ConnectWebSocket(asio::any_io_executor executor, std::string_view url,
                      WebSocketClientOptions options, WebSocketHandlers handlers,
                      unique_function<void(Result<std::shared_ptr<WebSocket>>)> on_connected);

// Blocking form of `ConnectWebSocket` (scripts, Python's client): waits up to
// `options.connect_timeout` (plus a second) for the result. Same errors.
// REQUIRES: not called on a thread that runs `executor`'s io_context.
// Thread-safety: thread-safe.
Result<std::shared_ptr<WebSocket>> ConnectWebSocketSync(asio::any_io_executor executor,
                                                        std::string_view url,
                                                        WebSocketClientOptions options,
                                                        WebSocketHandlers handlers);

}  // namespace codesphere::net
