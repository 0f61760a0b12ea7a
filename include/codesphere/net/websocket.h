// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `WebSocket`: one open WebSocket connection (RFC 6455), accepted by `Server` or opened by
// `ConnectWebSocket`; both sides have the same send / receive (callbacks) / close API.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <asio/any_io_executor.hpp>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"

namespace codesphere::net {

// The data frame opcode of a message (RFC 6455 §5.6).
enum class MessageKind : std::uint8_t {
  kText = 0x1,    // UTF-8 text; received text is validated (invalid -> close 1007).
  kBinary = 0x2,  // arbitrary bytes
};

// Close status codes (RFC 6455 §7.4.1). Applications may use 4000-4999 via static_cast.
enum class CloseCode : std::uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,       // server shutdown, or the peer navigated away
  kProtocolError = 1002,
  kUnsupportedData = 1003,
  kNoStatus = 1005,        // reported only: the close frame had no code
  kAbnormal = 1006,        // reported only: the TCP connection ended without a close frame
  kInvalidPayload = 1007,  // e.g. invalid UTF-8 in a text message
  kPolicyViolation = 1008,
  kMessageTooBig = 1009,
  kInternalError = 1011,
  kTryAgainLater = 1013,
};

// Immutable bytes shared between many sends: a broadcast encodes once, and every peer's write
// queue holds a reference to the same buffer (no copy per peer).
using SharedBytes = std::shared_ptr<const Bytes>;
inline SharedBytes MakeSharedBytes(Bytes bytes) {
  return std::make_shared<const Bytes>(std::move(bytes));
}

// How a connection ended. Delivered exactly once per connection, to `on_close`.
struct CloseInfo {
  // The code of the close handshake: the peer's code if it closed first, ours otherwise;
  // kAbnormal if the TCP connection ended without a completed close handshake.
  CloseCode code = CloseCode::kAbnormal;
  // The reason text that accompanied `code` (may be empty).
  std::string reason;
  // True if the peer initiated the close (sent the first close frame or dropped the TCP
  // connection).
  bool by_peer = false;
  // Why the connection ended, as a Status:
  //   OK                  a clean close handshake (either side), `Close()` included;
  //   kResourceExhausted  our write queue exceeded `max_queued_bytes` (slow reader);
  //   kInvalidArgument    the peer broke the protocol (bad frame, invalid UTF-8, a message
  //                       over `max_message_size` -> code kMessageTooBig);
  //   kDeadlineExceeded   no pong within `pong_timeout`, or no close reply within
  //                       `close_timeout`;
  //   kUnavailable        the TCP connection failed or was reset;
  //   kCancelled          the server was shut down (code kGoingAway).
  Status status;
};

// One open WebSocket connection. Obtained as a `std::shared_ptr` (from an upgrade's `on_open`
// or from `ConnectWebSocket`); keeping the pointer keeps the object valid, not the connection
// open, and dropping it does not close the connection (call `Close()`). After the connection
// has closed, `Send` fails and `Close` does nothing.
//
// Every callback of a connection runs on its executor (`get_executor()`, a strand of the
// application's io_context): `on_message` calls are serialized and in order, and `on_close`
// runs once, after the last `on_message`.
//
// Outgoing messages go to a bounded write queue drained by one writer: `Send` never blocks and
// never waits for the peer. If the queued bytes would exceed `max_queued_bytes`, the connection
// is closed (logged, reason kResourceExhausted) instead of being waited for.
//
// Thread-safety: thread-safe (every method may be called from any thread).
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // A process-unique id (for logs and maps); never 0.
  virtual std::uint64_t id() const = 0;

  // Sends `data` as one message (copied): written at once from the calling thread when
  // nothing is queued for this peer, else queued behind it. Returns OK once written or queued;
  // kFailedPrecondition if the connection is not open (closing or closed); kResourceExhausted
  // if queueing would exceed `max_queued_bytes`: the peer is not reading, so the connection is
  // dropped (logged; `on_close` gets code kAbnormal and status kResourceExhausted). Text must
  // be valid UTF-8 (not checked on send: the caller produced it).
  virtual Status Send(ByteSpan data, MessageKind kind = MessageKind::kBinary) = 0;
  // Queues a shared buffer without copying it; the buffer is kept alive until written.
  // Same results as above. REQUIRES: `data` is not null.
  virtual Status Send(SharedBytes data, MessageKind kind = MessageKind::kBinary) = 0;

  // Starts the close handshake with `code` and `reason` (at most 123 bytes; longer is cut).
  // Already queued messages are sent first. `on_close` follows when the peer answers or after
  // `close_timeout`. No-op if already closing or closed.
  virtual void Close(CloseCode code = CloseCode::kNormal, std::string_view reason = {}) = 0;

  // True from the handshake until a close frame was sent or received or the TCP connection
  // failed.
  virtual bool is_open() const = 0;
  // Bytes queued for sending and not yet written to the socket (frame headers included);
  // the backpressure signal for producers (e.g. skip non-essential updates above a mark).
  virtual std::size_t queued_bytes() const = 0;
  // The connection's strand; post here to run code serialized with its callbacks.
  virtual asio::any_io_executor get_executor() const = 0;
  // The peer's address, "ip:port".
  virtual const std::string& remote_address() const = 0;
  // The negotiated subprotocol (Sec-WebSocket-Protocol), or "".
  virtual const std::string& subprotocol() const = 0;

 protected:
  WebSocket() = default;
};

// Callbacks of one connection; each runs on the connection's strand (see `WebSocket`).
// Either may be empty.
struct WebSocketHandlers {
  // One complete message. `data` is valid only during the call (copy what you keep).
  unique_function<void(WebSocket& socket, ByteSpan data, MessageKind kind)> on_message;
  // The connection has ended; no other callback follows. Flush per-connection state here.
  unique_function<void(WebSocket& socket, const CloseInfo& info)> on_close;
};

// Limits and keepalive of one WebSocket connection (server and client).
struct WebSocketOptions {
  // The largest message (all fragments together) accepted from the peer. A larger frame
  // header closes the connection with kMessageTooBig before its payload is read.
  // Default: 16 MiB.
  std::size_t max_message_size = std::size_t{16} << 20;
  // The bound of the write queue: a `Send` that would exceed it closes the connection.
  // Default: 16 MiB.
  std::size_t max_queued_bytes = std::size_t{16} << 20;
  // How often a ping is sent when nothing was received; 0 disables keepalive.
  // Default: 30 s on the server, 0 (off) on the client.
  std::chrono::milliseconds ping_interval{30000};
  // How long to wait for any frame (pong or other) after a ping before the connection is
  // dropped with kDeadlineExceeded. Default: 30 s.
  std::chrono::milliseconds pong_timeout{30000};
  // How long to wait for the peer's close frame (and the TCP close) after ours.
  // Default: 5 s.
  std::chrono::milliseconds close_timeout{5000};
};

// Pull-style receiving: collects the messages and the close of one connection so that a
// thread can wait for them (Python's blocking client, tests, scripts). Pass `Handlers()` when
// accepting or connecting; the queue must outlive the connection's callbacks (until
// `on_close` ran).
//
// Thread-safety: thread-safe. `Receive` blocks: never call it on a thread that runs the
// connection's io_context.
class WebSocketMessageQueue {
 public:
  struct Message {
    Bytes data;
    MessageKind kind = MessageKind::kBinary;
    std::string_view text() const { return AsStringView(data); }
  };

  WebSocketMessageQueue() = default;
  WebSocketMessageQueue(const WebSocketMessageQueue&) = delete;
  WebSocketMessageQueue& operator=(const WebSocketMessageQueue&) = delete;

  // Handlers that feed this queue (copying each message).
  WebSocketHandlers Handlers();

  // The next message, waiting up to `timeout`. Returns kDeadlineExceeded on timeout, and once
  // the queue is empty and the connection has closed, kCancelled (with the close code and
  // reason in the message; see `close_info()`).
  Result<Message> Receive(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the connection to close; nullopt on timeout.
  std::optional<CloseInfo> WaitClosed(std::chrono::milliseconds timeout);
  // The close, once it happened.
  std::optional<CloseInfo> close_info() const;
  // Messages received and not yet taken.
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> messages_;
  std::optional<CloseInfo> close_;
};

}  // namespace codesphere::net
