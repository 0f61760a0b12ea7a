// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The WebSocket protocol engine: a byte-in/byte-out state machine (handshake, frames, control
// frames, the close handshake) while our Asio code owns sockets, strands, timers and write
// queues. Accepted connections use our own lean RFC 6455 server engine
// (websocket_server_engine.cc); clients use websocketpp 0.8 on its iostream transport
// (wspp_engine.cc, C++17). This header is included by C++17 and C++20 translation units alike,
// so it uses std types only and no codesphere headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace codesphere::net::internal {

// How the engine's connection ended, as plain values.
struct EngineEndInfo {
  bool failed = false;            // ended before the handshake completed
  bool clean = false;             // a close handshake completed
  int local_code = 1006;          // the code we sent (1006 if none)
  std::string local_reason;
  int remote_code = 1006;         // the code the peer sent (1006 if none, 1005 if empty)
  std::string remote_reason;
  std::string error;              // the engine's error message, if any
  bool protocol_error = false;    // the peer violated the protocol (incl. message too big)
  int http_status = 0;            // client: the server's handshake status, 0 if none
  std::string http_body;          // client: the server's handshake response body
};

// What the engine tells its owner. All calls happen synchronously inside the engine's methods,
// on the owner's strand.
class WebSocketEngineEvents {
 public:
  virtual ~WebSocketEngineEvents() = default;
  // Bytes to send, in order (handshake, control frames, client data frames). Copy them.
  virtual void OnEngineWrite(const char* data, std::size_t size) = 0;
  // The handshake completed.
  virtual void OnEngineOpen() = 0;
  // A complete data message; `opcode` is 1 (text) or 2 (binary).
  virtual void OnEngineMessage(int opcode, const char* data, std::size_t size) = 0;
  // The engine wants the transport closed once what it wrote has been flushed.
  virtual void OnEngineShutdown() = 0;
  // The connection ended (after OnEngineShutdown); called at most once.
  virtual void OnEngineEnd(const EngineEndInfo& info) = 0;
};

// Engine parameters. `headers` are extra client handshake fields.
struct EngineParams {
  std::size_t max_message_size = 16u << 20;
  bool secure = false;
  std::string remote_address;
  // Server: the subprotocol to echo (already checked to be one the client offered), or "".
  // Client: ignored.
  std::string subprotocol;
  // Server only: the client's Sec-WebSocket-Key (validated by the caller: non-empty).
  std::string key;
  // Client only.
  std::string uri;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> subprotocols;
};

// One connection's protocol state machine.
//
// Thread-safety: strand-bound (use only from its owner's strand).
class WebSocketEngine {
 public:
  virtual ~WebSocketEngine() = default;

  // Server: writes the 101 response and opens. Client: writes the handshake request.
  virtual void Start() = 0;
  // Hands received bytes to the engine; returns how many it took. Fewer than `size` means the
  // engine stopped reading (it failed or is waiting for its close frame to be flushed).
  virtual std::size_t Feed(const char* data, std::size_t size) = 0;
  // The peer closed the TCP connection / the transport failed.
  virtual void Eof() = 0;
  virtual void Fail() = 0;
  // Sends a data message (client side: masked). Returns false if the connection is not open.
  // Servers frame their data messages themselves (shared broadcast buffers), so the server
  // engine refuses this.
  virtual bool Send(int opcode, const char* data, std::size_t size) = 0;
  virtual void Ping() = 0;
  // Starts the close handshake; no-op unless open.
  virtual void Close(int code, const std::string& reason) = 0;
  // False from the moment the engine starts writing its close frame (the server engine's
  // OnEngineWrite of that frame already sees false), so the owner can stop data sends in time.
  virtual bool IsOpen() const = 0;
  // The negotiated subprotocol (client: the one the server chose).
  virtual std::string Subprotocol() const = 0;
  // The local close code/reason once a close was sent (1006/"" before).
  virtual int LocalCloseCode() const = 0;
  virtual std::string LocalCloseReason() const = 0;
};

// A server-side engine for an upgrade request that was already parsed and accepted (the
// `key` in `p`). Our own RFC 6455 code: it keeps no handshake state after `Start()` and no
// buffer while idle, so an idle connection costs a few hundred bytes here.
std::unique_ptr<WebSocketEngine> NewServerEngine(WebSocketEngineEvents* events,
                                                 const EngineParams& p);

// A client-side engine (websocketpp); `Start()` writes the handshake request for `p.uri`.
// Returns null and sets `*error` for an unusable URI.
std::unique_ptr<WebSocketEngine> NewWsppClientEngine(WebSocketEngineEvents* events,
                                                     const EngineParams& p, std::string* error);

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455 §4.2.2: base64 of the
// SHA-1 of the key and the protocol GUID).
std::string WebSocketAcceptKey(const std::string& key);

}  // namespace codesphere::net::internal
