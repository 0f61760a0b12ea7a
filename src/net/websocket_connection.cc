// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/websocket_connection.h"

#include <utility>

#include <asio/post.hpp>

#include "codesphere/base/log.h"

namespace codesphere::net::internal {
namespace {

// Bytes reserved for a client frame header (2 + 8 length + 4 mask).
constexpr std::size_t kClientHeaderReserve = 14;
// After our close frame is flushed following a peer's protocol error, how long to wait for
// the peer to read it before the socket goes.
constexpr std::chrono::milliseconds kErrorLinger{1000};

bool IsProtocolErrorCode(int code) {
  return code == 1002 || code == 1003 || code == 1007 || code == 1009;
}

std::string ClampReason(std::string_view reason) {
  // A close frame's payload is at most 125 bytes: 2 for the code, 123 for the reason; cut on a
  // UTF-8 boundary.
  std::size_t n = std::min<std::size_t>(reason.size(), 123);
  while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) {
    --n;
  }
  return std::string(reason.substr(0, n));
}

std::string DisconnectReason(const CloseInfo& info) {
  switch (info.status.code()) {
    case StatusCode::kOk: return "closed";
    case StatusCode::kResourceExhausted: return "slow_reader";
    case StatusCode::kInvalidArgument:
      return info.code == CloseCode::kMessageTooBig ? "message_too_big" : "protocol_error";
    case StatusCode::kDeadlineExceeded: return "timeout";
    case StatusCode::kCancelled: return "shutdown";
    default: return "connection_lost";
  }
}

}  // namespace

std::uint64_t NextConnectionId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

WebSocketConnection::WebSocketConnection(std::uint64_t id, Strand strand,
                                         std::shared_ptr<Transport> transport,
                                         const WebSocketOptions& options,
                                         WebSocketHandlers handlers,
                                         std::shared_ptr<const NetMetrics> metrics, bool client)
    : id_(id), strand_(std::move(strand)), transport_(std::move(transport)), options_(options),
      metrics_(std::move(metrics)), client_(client), handlers_(std::move(handlers)),
      last_rx_(std::chrono::steady_clock::now()) {}

std::chrono::milliseconds KeepalivePeriod(const WebSocketOptions& options) {
  if (options.ping_interval.count() <= 0) return std::chrono::milliseconds(0);
  auto shortest = std::min(options.ping_interval, options.pong_timeout);
  return std::max(std::chrono::milliseconds(1), shortest / 4);
}

WebSocketConnection::~WebSocketConnection() = default;

void WebSocketConnection::StartServer(std::string key, std::string initial,
                                      std::string subprotocol, OpenCallback on_open,
                                      unique_function<void()> on_end) {
  on_open_ = std::move(on_open);
  on_end_ = std::move(on_end);
  EngineParams params;
  params.max_message_size = options_.max_message_size;
  params.subprotocol = std::move(subprotocol);
  params.key = std::move(key);
  engine_ = NewServerEngine(this, params);
  // Take over the socket's read loop before opening, so that the engine's writes and reads
  // happen in order.
  transport_->StartReading(
      [self = shared_from_this()](const std::error_code& ec, const char* data, std::size_t n) {
        self->OnRead(ec, data, n);
      });
  engine_->Start();
  if (!initial.empty()) OnRead(std::error_code(), initial.data(), initial.size());
}

void WebSocketConnection::StartClient(const EngineParams& params, ConnectCallback on_connected) {
  on_connected_ = std::move(on_connected);
  std::string error;
  EngineParams p = params;
  p.max_message_size = options_.max_message_size;
  p.secure = transport_->secure();
  p.remote_address = transport_->remote_address();
  engine_ = NewWsppClientEngine(this, p, &error);
  if (engine_ == nullptr) {
    finished_ = true;
    state_ = kClosed;
    transport_->Close();
    auto cb = std::move(on_connected_);
    on_connected_ = nullptr;
    cb(InvalidArgumentError(error));
    return;
  }
  transport_->StartReading(
      [self = shared_from_this()](const std::error_code& ec, const char* data, std::size_t n) {
        self->OnRead(ec, data, n);
      });
  engine_->Start();
  CheckEngineState();
}

void WebSocketConnection::OnRead(const std::error_code& ec, const char* data, std::size_t size) {
  if (finished_) return;
  if (ec) {
    if (ec == asio::error::eof) {
      engine_->Eof();
    } else {
      engine_->Fail();
    }
    if (!finished_) Finish(EngineEndInfo{});
    return;
  }
  last_rx_ = std::chrono::steady_clock::now();
  std::size_t used = engine_->Feed(data, size);
  if (finished_) return;
  if (used < size && !engine_stalled_) {
    // websocketpp stops reading after it answered a protocol violation (bad frame, invalid
    // UTF-8, message too big) with a close frame: flush that frame and end.
    engine_stalled_ = true;
    transport_->PauseReading();
    EngineEndInfo info;
    info.local_code = engine_->LocalCloseCode();
    info.local_reason = engine_->LocalCloseReason();
    transport_->CloseGracefully(kErrorLinger);
    Finish(info);
    return;
  }
  CheckEngineState();
}

void WebSocketConnection::CheckEngineState() {
  if (finished_ || engine_ == nullptr) return;
  if (state_.load() == kOpen && !engine_->IsOpen()) {
    state_ = kClosing;
    ArmCloseTimer();
  }
}

void WebSocketConnection::ArmCloseTimer() {
  if (close_timer_armed_) return;
  close_timer_armed_ = true;
  // The transport's executor object (the strand): copies share it, where constructing another
  // any_io_executor from the strand would allocate.
  close_timer_ = std::make_unique<asio::steady_timer>(transport_->get_executor());
  close_timer_->expires_after(options_.close_timeout);
  close_timer_->async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->finished_) return;
    self->Abort(DeadlineExceededError("websocket " + std::to_string(self->id_) +
                                      ": no close reply within " +
                                      std::to_string(self->options_.close_timeout.count()) +
                                      " ms"));
  });
}

void WebSocketConnection::KeepaliveTick() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->CheckKeepalive(); });
}

void WebSocketConnection::ArmClientKeepalive() {
  if (client_keepalive_timer_ == nullptr) {
    client_keepalive_timer_ = std::make_unique<asio::steady_timer>(transport_->get_executor());
  }
  client_keepalive_timer_->expires_after(KeepalivePeriod(options_));
  client_keepalive_timer_->async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->finished_) return;
    self->CheckKeepalive();
    if (!self->finished_) self->ArmClientKeepalive();
  });
}

void WebSocketConnection::CheckKeepalive() {
  if (finished_ || state_.load() != kOpen || options_.ping_interval.count() <= 0) return;
  auto now = std::chrono::steady_clock::now();
  if (awaiting_pong_) {
    // Any byte received after the ping counts as the answer.
    if (last_rx_ > ping_sent_) {
      awaiting_pong_ = false;
    } else if (now - ping_sent_ >= options_.pong_timeout) {
      Abort(DeadlineExceededError("websocket " + std::to_string(id_) + ": no pong within " +
                                  std::to_string(options_.pong_timeout.count()) + " ms"));
      return;
    } else {
      return;
    }
  }
  if (now - last_rx_ >= options_.ping_interval) {
    awaiting_pong_ = true;
    ping_sent_ = now;
    engine_->Ping();
  }
}

Status WebSocketConnection::NotOpen() const {
  return FailedPreconditionError("websocket " + std::to_string(id_) + " is not open");
}

Status WebSocketConnection::Overflow() {
  Status overflow = ResourceExhaustedError(
      "websocket " + std::to_string(id_) + " (" + transport_->remote_address() +
      "): write queue would exceed " + std::to_string(options_.max_queued_bytes) +
      " bytes; the peer is not reading");
  asio::post(strand_, [self = shared_from_this(), overflow] { self->Abort(overflow); });
  return overflow;
}

template <typename Task>
Status WebSocketConnection::Submit(std::size_t estimate, Task task) {
  if (state_.load() != kOpen) return NotOpen();
  std::size_t reserved = reserved_.fetch_add(estimate, std::memory_order_relaxed) + estimate;
  if (reserved + transport_->queued_bytes() > options_.max_queued_bytes) {
    reserved_.fetch_sub(estimate, std::memory_order_relaxed);
    return Overflow();
  }
  auto run = [self = shared_from_this(), estimate, task = std::move(task)]() mutable {
    self->reserved_.fetch_sub(estimate, std::memory_order_relaxed);
    if (self->finished_ || self->state_.load() != kOpen || !self->engine_->IsOpen()) return;
    task(*self);
    Inc(self->metrics_->messages_sent);
    self->CheckEngineState();
  };
  if (strand_.running_in_this_thread()) {
    run();
  } else {
    asio::post(strand_, std::move(run));
  }
  return OkStatus();
}

Status WebSocketConnection::SendServerFrame(OutChunk chunk) {
  if (state_.load() != kOpen) return NotOpen();
  if (transport_->queued_bytes() + chunk.size() > options_.max_queued_bytes) {
    return Overflow();
  }
  // Written from this thread when nothing is queued (no hand-off to the strand); refused once
  // our close frame is queued (OnEngineWrite stops sends first).
  if (!transport_->Send(std::move(chunk))) return NotOpen();
  Inc(metrics_->messages_sent);
  return OkStatus();
}

Status WebSocketConnection::Send(ByteSpan data, MessageKind kind) {
  int opcode = static_cast<int>(kind);
  if (client_) {
    std::string copy(reinterpret_cast<const char*>(data.data()), data.size());
    return Submit(data.size() + kClientHeaderReserve,
                  [copy = std::move(copy), opcode](WebSocketConnection& c) {
                    c.engine_->Send(opcode, copy.data(), copy.size());
                  });
  }
  OutChunk chunk;
  EncodeServerFrameHeader(opcode, data.size(), &chunk);
  chunk.owned.assign(reinterpret_cast<const char*>(data.data()), data.size());
  return SendServerFrame(std::move(chunk));
}

Status WebSocketConnection::Send(SharedBytes data, MessageKind kind) {
  int opcode = static_cast<int>(kind);
  if (data == nullptr) return InvalidArgumentError("websocket send: null buffer");
  if (client_) {
    std::size_t size = data->size();
    return Submit(size + kClientHeaderReserve,
                  [data = std::move(data), opcode](WebSocketConnection& c) {
                    c.engine_->Send(opcode, reinterpret_cast<const char*>(data->data()),
                                    data->size());
                  });
  }
  OutChunk chunk;
  EncodeServerFrameHeader(opcode, data->size(), &chunk);
  chunk.shared = std::move(data);
  return SendServerFrame(std::move(chunk));
}

void WebSocketConnection::Close(CloseCode code, std::string_view reason) {
  asio::dispatch(strand_, [self = shared_from_this(), code, reason = ClampReason(reason)] {
    if (self->finished_ || self->state_.load() != kOpen) return;
    self->we_closed_ = true;
    self->engine_->Close(static_cast<int>(code), reason);
    self->CheckEngineState();
  });
}

void WebSocketConnection::ShutdownForStop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->finished_) return;
    self->stop_status_ = CancelledError("server shutting down");
    if (self->state_.load() != kOpen) {
      if (self->state_.load() == kConnecting) self->Abort(*self->stop_status_);
      return;
    }
    self->we_closed_ = true;
    self->engine_->Close(static_cast<int>(CloseCode::kGoingAway), "server shutting down");
    self->CheckEngineState();
  });
}

void WebSocketConnection::AbortForStop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->stop_status_ = CancelledError("server shutting down");
    self->Abort(*self->stop_status_);
  });
}

void WebSocketConnection::Abort(Status status) {
  if (finished_) return;
  if (!abort_status_.has_value()) abort_status_ = std::move(status);
  transport_->Close();
  if (engine_ != nullptr) engine_->Fail();
  if (!finished_) Finish(EngineEndInfo{});
}

void WebSocketConnection::OnEngineWrite(const char* data, std::size_t size) {
  // The server engine leaves the open state before it writes its close frame: from here on no
  // data frame may be sent (Send() writes from other threads without the strand).
  if (!client_ && !engine_->IsOpen()) transport_->StopSends();
  OutChunk chunk;
  chunk.owned.assign(data, size);
  transport_->Enqueue(std::move(chunk));
}

void WebSocketConnection::OnEngineOpen() {
  state_ = kOpen;
  subprotocol_ = engine_->Subprotocol();
  Add(metrics_->websockets_open, 1);
  last_rx_ = std::chrono::steady_clock::now();
  // Servers are swept by their Server (KeepaliveTick); a client keeps its own timer.
  if (client_ && options_.ping_interval.count() > 0) ArmClientKeepalive();
  if (on_open_) {
    auto cb = std::move(on_open_);
    on_open_ = nullptr;
    cb(shared_from_this());
  }
  if (on_connected_) {
    auto cb = std::move(on_connected_);
    on_connected_ = nullptr;
    cb(std::shared_ptr<WebSocket>(shared_from_this()));
  }
}

void WebSocketConnection::OnEngineMessage(int opcode, const char* data, std::size_t size) {
  if (finished_) return;
  Inc(metrics_->messages_received);
  if (handlers_.on_message) {
    handlers_.on_message(*this, ByteSpan(reinterpret_cast<const std::uint8_t*>(data), size),
                         opcode == 1 ? MessageKind::kText : MessageKind::kBinary);
  }
}

void WebSocketConnection::OnEngineShutdown() {
  // The close handshake is complete (or the engine gave up): send what is queued, then close.
  transport_->CloseGracefully(options_.close_timeout);
}

void WebSocketConnection::OnEngineEnd(const EngineEndInfo& info) {
  if (!finished_) Finish(info);
}

void WebSocketConnection::Finish(const EngineEndInfo& info) {
  finished_ = true;
  bool was_open = state_.load() == kOpen || state_.load() == kClosing;
  state_ = kClosed;
  if (close_timer_ != nullptr) close_timer_->cancel();
  if (client_keepalive_timer_ != nullptr) client_keepalive_timer_->cancel();

  CloseInfo close;
  if (abort_status_.has_value()) {
    close.status = *abort_status_;
    close.code = stop_status_.has_value() ? CloseCode::kGoingAway : CloseCode::kAbnormal;
    close.by_peer = false;
  } else if (stop_status_.has_value()) {
    close.status = *stop_status_;
    close.code = CloseCode::kGoingAway;
    close.reason = "server shutting down";
  } else if (!we_closed_ && IsProtocolErrorCode(info.local_code) && info.remote_code == 1006) {
    // websocketpp answered a protocol violation of the peer (bad frame, invalid UTF-8,
    // message too big) with this close code.
    close.code = static_cast<CloseCode>(info.local_code);
    close.reason = info.local_reason;
    close.status = InvalidArgumentError("websocket " + std::to_string(id_) + " (" +
                                        transport_->remote_address() +
                                        "): peer violated the protocol: " + info.local_reason);
  } else if (info.clean && (info.remote_code != 1006 || info.local_code != 1006)) {
    close.by_peer = !we_closed_;
    int code = close.by_peer ? info.remote_code : info.local_code;
    close.code = static_cast<CloseCode>(code);
    close.reason = close.by_peer ? info.remote_reason : info.local_reason;
  } else {
    close.by_peer = true;
    close.code = CloseCode::kAbnormal;
    close.status = UnavailableError("websocket " + std::to_string(id_) + " (" +
                                    transport_->remote_address() + "): connection lost" +
                                    (info.error.empty() ? "" : ": " + info.error));
  }
  if (!transport_->is_closed() && !close.status.ok()) {
    // Error paths leave no close handshake to wait for; a graceful close (flush what is
    // queued, e.g. our close frame) was already started where one makes sense.
    transport_->CloseGracefully(kErrorLinger);
  }

  if (was_open) {
    Add(metrics_->websockets_open, -1);
    if (metrics_->registry != nullptr) metrics_->Disconnect(DisconnectReason(close));
    if (!close.status.ok() && close.status.code() != StatusCode::kCancelled &&
        close.status.code() != StatusCode::kUnavailable) {
      LogWarning("websocket closed", {{"id", id_},
                                      {"remote", transport_->remote_address()},
                                      {"code", static_cast<int>(close.code)},
                                      {"reason", close.status.ToString()}});
    }
    auto on_close = std::move(handlers_.on_close);
    handlers_ = WebSocketHandlers();
    if (on_close) on_close(*this, close);
  } else {
    handlers_ = WebSocketHandlers();
    on_open_ = nullptr;
    if (on_connected_) {
      auto cb = std::move(on_connected_);
      on_connected_ = nullptr;
      Status error;
      if (abort_status_.has_value()) {
        error = *abort_status_;
      } else if (info.http_status != 0) {
        std::string msg = "websocket handshake refused: HTTP " +
                          std::to_string(info.http_status) +
                          (info.http_body.empty() ? "" : ": " + info.http_body) +
                          (info.error.empty() ? "" : " (" + info.error + ")");
        if (info.http_status == 401) {
          error = UnauthenticatedError(msg);
        } else if (info.http_status == 403) {
          error = PermissionDeniedError(msg);
        } else if (info.http_status == 404) {
          error = NotFoundError(msg);
        } else {
          error = FailedPreconditionError(msg);
        }
      } else {
        error = UnavailableError("websocket handshake failed" +
                                 (info.error.empty() ? "" : ": " + info.error));
      }
      cb(std::move(error));
    }
  }
  if (on_end_) {
    auto cb = std::move(on_end_);
    on_end_ = nullptr;
    cb();
  }
}

}  // namespace codesphere::net::internal
