// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include <sys/socket.h>

#include <utility>

#include <asio/post.hpp>

#include "codesphere/base/log.h"
#include "net/server_impl.h"

namespace codesphere::net::internal {
namespace {

constexpr std::chrono::milliseconds kLinger{2000};

// True if `path` is within `prefix` as documented on `Server` ("/healthz" matches
// "/healthz" and "/healthz/x", not "/healthzz"; "/api/" matches "/api/x").
bool PrefixMatches(std::string_view prefix, std::string_view path) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  if (prefix.empty() || prefix.back() == '/' || path.size() == prefix.size()) return true;
  return path[prefix.size()] == '/';
}

template <typename Handler>
Handler* LongestPrefix(std::vector<std::pair<std::string, Handler>>& routes,
                       std::string_view path) {
  Handler* best = nullptr;
  std::size_t best_len = 0;
  for (auto& [prefix, handler] : routes) {
    if (PrefixMatches(prefix, path) && (best == nullptr || prefix.size() > best_len)) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  return best;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

HttpSession::HttpSession(std::shared_ptr<Server::Impl> server, std::uint64_t id, Strand strand,
                         std::shared_ptr<Transport> transport)
    : server_(std::move(server)), id_(id), strand_(std::move(strand)),
      transport_(std::move(transport)), request_timer_(strand_) {}

void HttpSession::Start() {
  // Stopped before it started (Server::Stop between the accept and this): the transport is
  // closing on its own; a reader stored now would tie it and this session into a cycle.
  if (ended_) return;
  ArmRequestTimer();
  transport_->Handshake([self = shared_from_this()](std::error_code ec) {
    if (self->ended_) return;  // stopped during the TLS handshake
    if (ec) {
      LogDebug("tls handshake failed",
               {{"remote", self->transport_->remote_address()}, {"error", ec.message()}});
      self->transport_->Close();
      self->End();
      return;
    }
    self->transport_->StartReading(
        [self](const std::error_code& read_ec, const char* data, std::size_t n) {
          self->OnRead(read_ec, data, n);
        });
  });
}

void HttpSession::ArmRequestTimer() {
  request_timer_.expires_after(server_->options.request_timeout);
  request_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->ended_ || self->phase_ == Phase::kHandler || self->phase_ == Phase::kDone) {
      return;
    }
    if (self->in_.empty() && self->phase_ == Phase::kHead) {
      self->transport_->CloseGracefully(kLinger);  // idle keep-alive connection
      self->End();
    } else {
      self->ReplyError(408, "request not received in time");
    }
  });
}

void HttpSession::OnRead(const std::error_code& ec, const char* data, std::size_t size) {
  if (ended_ || phase_ == Phase::kDone) return;
  if (ec) {
    // The peer closed or failed: a request being handled is dropped (its responder's answer
    // goes nowhere).
    transport_->Close();
    End();
    return;
  }
  in_.append(data, size);
  Process();
}

void HttpSession::Process() {
  while (!ended_) {
    if (phase_ == Phase::kHead) {
      if (in_.empty()) return;
      std::size_t head_size = FindHeadEnd(in_);
      if (head_size == 0) {
        if (in_.size() > server_->options.max_request_head_size) {
          ReplyError(431, "request head exceeds " +
                              std::to_string(server_->options.max_request_head_size) + " bytes");
        }
        return;
      }
      if (head_size > server_->options.max_request_head_size) {
        ReplyError(431, "request head exceeds " +
                            std::to_string(server_->options.max_request_head_size) + " bytes");
        return;
      }
      head_ = in_.substr(0, head_size);
      in_.erase(0, head_size);
      Result<HttpRequest> parsed = ParseRequestHead(head_);
      if (!parsed.has_value()) {
        LogDebug("bad http request", {{"remote", transport_->remote_address()},
                                      {"error", parsed.error().ToString()}});
        ReplyError(HttpStatusForParseError(parsed.error()), parsed.error().message());
        return;
      }
      request_ = std::move(parsed).value();
      request_.remote_address = transport_->remote_address();
      request_.secure = transport_->secure();
      keep_alive_ = KeepAlive(request_) && !close_after_response_;
      Route();
      continue;
    }
    if (phase_ == Phase::kBody) {
      std::size_t max_body = server_->options.max_request_body_size;
      if (framing_.chunked) {
        Result<std::size_t> used = chunked_.Feed(in_, &request_.body, max_body);
        if (!used.has_value()) {
          ReplyError(used.error().code() == StatusCode::kResourceExhausted ? 413 : 400,
                     used.error().message());
          return;
        }
        in_.erase(0, *used);
        if (!chunked_.done()) return;
      } else {
        std::size_t need = static_cast<std::size_t>(framing_.length) - request_.body.size();
        std::size_t take = std::min(need, in_.size());
        request_.body.insert(request_.body.end(), in_.begin(), in_.begin() + take);
        in_.erase(0, take);
        if (request_.body.size() < framing_.length) return;
      }
      RunHttpHandler();
      return;
    }
    return;  // kHandler / kDone: wait for the answer
  }
}

void HttpSession::Route() {
  if (server_->stopping.load()) {
    keep_alive_ = false;
    ReplyError(503, "server shutting down");
    return;
  }
  Inc(server_->metrics->http_requests_total);
  for (auto& [matcher, handler] : server_->proxy_routes) {
    if (!matcher(request_)) continue;
    phase_ = Phase::kHandler;
    transport_->PauseReading();
    request_timer_.cancel();
    auto impl = std::make_shared<ProxyResponder::Impl>(weak_from_this(), strand_);
    handler(request_, ProxyResponder(std::move(impl)));
    return;
  }
  if (IsWebSocketUpgrade(request_)) {
    UpgradeHandler* handler = LongestPrefix(server_->websocket_routes, request_.path);
    if (handler == nullptr) {
      keep_alive_ = false;
      ReplyError(404, "no websocket endpoint at " + request_.path);
      return;
    }
    phase_ = Phase::kHandler;
    transport_->PauseReading();
    request_timer_.cancel();
    auto impl = std::make_shared<UpgradeResponder::Impl>(weak_from_this(), strand_);
    (*handler)(request_, UpgradeResponder(std::move(impl)));
    return;
  }
  handler_ = LongestPrefix(server_->http_routes, request_.path);
  if (handler_ == nullptr) {
    if (LongestPrefix(server_->websocket_routes, request_.path) != nullptr) {
      HttpResponse r = HttpResponse::Text(426, "this endpoint speaks WebSocket\n");
      r.headers.Add("Upgrade", "websocket");
      phase_ = Phase::kHandler;
      framing_ = GetBodyFraming(request_);
      if (framing_.chunked || framing_.length > 0) keep_alive_ = false;
      WriteResponse(r, keep_alive_);
      return;
    }
    keep_alive_ = keep_alive_ && GetBodyFraming(request_).length == 0 &&
                  !GetBodyFraming(request_).chunked;
    phase_ = Phase::kHandler;
    WriteResponse(HttpResponse::Text(404, "not found: " + request_.path + "\n"), keep_alive_);
    return;
  }
  framing_ = GetBodyFraming(request_);
  chunked_ = ChunkedDecoder();
  if (!framing_.chunked && framing_.length > server_->options.max_request_body_size) {
    ReplyError(413, "request body of " + std::to_string(framing_.length) + " bytes exceeds " +
                        std::to_string(server_->options.max_request_body_size));
    return;
  }
  if (framing_.chunked || framing_.length > 0) {
    if (request_.headers.HasToken("Expect", "100-continue")) {
      OutChunk interim;
      interim.owned = "HTTP/1.1 100 Continue\r\n\r\n";
      transport_->Enqueue(std::move(interim));
    }
    phase_ = Phase::kBody;
  } else {
    RunHttpHandler();
  }
}

void HttpSession::RunHttpHandler() {
  phase_ = Phase::kHandler;
  transport_->PauseReading();
  request_timer_.cancel();
  HttpResponder responder(
      [weak = weak_from_this(), strand = strand_](HttpResponse response) mutable {
        asio::dispatch(strand, [weak, response = std::move(response)]() mutable {
          if (auto self = weak.lock()) self->SendResponse(std::move(response));
        });
      });
  HttpRequest request = std::move(request_);
  request_ = HttpRequest();
  request_.method = request.method;  // kept for HEAD handling in SendResponse
  (*handler_)(std::move(request), std::move(responder));
}

void HttpSession::SendResponse(HttpResponse response) {
  if (ended_ || phase_ != Phase::kHandler) return;
  WriteResponse(response, keep_alive_ && !close_after_response_);
}

void HttpSession::WriteResponse(const HttpResponse& response, bool keep_alive) {
  OutChunk chunk;
  chunk.owned = SerializeResponseHead(response, keep_alive);
  bool no_body = request_.method == "HEAD" || response.status == 204 || response.status == 304 ||
                 (response.status >= 100 && response.status < 200);
  if (!no_body) chunk.owned.append(response.body.begin(), response.body.end());
  transport_->Enqueue(std::move(chunk));
  if (!keep_alive) {
    phase_ = Phase::kDone;
    transport_->CloseGracefully(kLinger);
    End();
    return;
  }
  phase_ = Phase::kHead;
  request_ = HttpRequest();
  head_.clear();
  ArmRequestTimer();
  transport_->ResumeReading();
  // Pipelined requests may already be buffered.
  asio::post(strand_, [self = shared_from_this()] { self->Process(); });
}

void HttpSession::ReplyError(int status, std::string_view message) {
  HttpResponse r = HttpResponse::Text(status, std::string(message) + "\n");
  phase_ = Phase::kHandler;
  WriteResponse(r, /*keep_alive=*/false);
}

void HttpSession::RejectAndClose(HttpResponse response) {
  if (ended_ || phase_ != Phase::kHandler) return;
  WriteResponse(response, /*keep_alive=*/false);
}

void HttpSession::AcceptUpgrade(WebSocketHandlers handlers,
                                unique_function<void(std::shared_ptr<WebSocket>)> on_open,
                                std::string subprotocol) {
  if (ended_ || phase_ != Phase::kHandler) return;
  if (server_->stopping.load()) {
    RejectAndClose(HttpResponse::Text(503, "server shutting down\n"));
    return;
  }
  // RFC 6455 §4.2.1: version 13 and a key; anything else is refused before the upgrade.
  std::optional<std::string_view> version = request_.headers.Get("Sec-WebSocket-Version");
  std::optional<std::string_view> key = request_.headers.Get("Sec-WebSocket-Key");
  if (!version.has_value() || Trim(*version) != "13") {
    HttpResponse r = HttpResponse::Text(400, "unsupported Sec-WebSocket-Version (13 required)\n");
    r.headers.Add("Sec-WebSocket-Version", "13");
    RejectAndClose(std::move(r));
    return;
  }
  if (!key.has_value() || Trim(*key).empty()) {
    RejectAndClose(HttpResponse::Text(400, "missing Sec-WebSocket-Key\n"));
    return;
  }
  if (!subprotocol.empty() && !request_.headers.HasToken("Sec-WebSocket-Protocol", subprotocol)) {
    subprotocol.clear();  // an unoffered subprotocol is simply not echoed
  }
  phase_ = Phase::kDone;
  ended_ = true;
  request_timer_.cancel();
  auto ws = std::make_shared<WebSocketConnection>(id_, strand_, transport_,
                                                  server_->options.websocket, std::move(handlers),
                                                  server_->metrics, /*client=*/false);
  server_->Register(id_, ws);
  auto opened = std::make_shared<bool>(false);
  std::weak_ptr<Server::Impl> weak_server = server_;
  auto wrapped_open = [weak_server, opened, on_open = std::move(on_open)](
                          std::shared_ptr<WebSocket> socket) mutable {
    *opened = true;
    if (auto server = weak_server.lock()) server->open_websockets.fetch_add(1);
    if (on_open) on_open(std::move(socket));
  };
  auto on_end = [server = server_, opened, id = id_] {
    if (*opened) server->open_websockets.fetch_sub(1);
    server->Unregister(id);
  };
  std::string ws_key(Trim(*key));
  std::string initial = std::move(in_);
  // Nothing of the HTTP exchange outlives the upgrade (this session goes with its callers).
  std::string().swap(in_);
  std::string().swap(head_);
  request_ = HttpRequest();
  ws->StartServer(std::move(ws_key), std::move(initial), std::move(subprotocol),
                  std::move(wrapped_open), std::move(on_end));
}

void HttpSession::StartProxy(ProxyTarget target) {
  if (ended_ || phase_ != Phase::kHandler) {
    if (target.fd >= 0) ::close(target.fd);
    return;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  int type = 0;
  socklen_t type_len = sizeof(type);
  if (target.fd < 0 || ::getsockname(target.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::getsockopt(target.fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 ||
      type != SOCK_STREAM) {
    if (target.fd >= 0) ::close(target.fd);
    RejectAndClose(HttpResponse::Text(502, "proxy upstream is not a connected stream socket\n"));
    return;
  }
  asio::generic::stream_protocol::socket upstream(strand_);
  std::error_code ec;
  upstream.assign(asio::generic::stream_protocol(addr.ss_family, SOCK_STREAM), target.fd, ec);
  if (ec) {
    ::close(target.fd);
    RejectAndClose(HttpResponse::Text(502, "proxy upstream: " + ec.message() + "\n"));
    return;
  }
  phase_ = Phase::kDone;
  ended_ = true;
  request_timer_.cancel();
  bool upgrade = IsUpgrade(request_);
  std::string head =
      SerializeProxyRequestHead(request_, target.target, target.set_headers, upgrade);
  auto relay = std::make_shared<ProxySession>(server_, id_, strand_, transport_,
                                              std::move(upstream));
  server_->Register(id_, relay);
  std::string initial = std::move(in_);
  in_.clear();
  relay->Start(std::move(head), std::move(initial));
}

void HttpSession::ShutdownForStop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->ended_) return;
    if (self->phase_ == Phase::kHandler) {
      self->close_after_response_ = true;  // answer the request being handled, then close
      self->keep_alive_ = false;
      return;
    }
    self->transport_->CloseGracefully(kLinger);
    self->End();
  });
}

void HttpSession::AbortForStop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->ended_) return;
    self->transport_->Close();
    self->End();
  });
}

void HttpSession::End() {
  if (ended_) return;
  ended_ = true;
  phase_ = Phase::kDone;
  request_timer_.cancel();
  server_->Unregister(id_);
}

}  // namespace codesphere::net::internal
