// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/net/client.h"

#include <charconv>
#include <future>
#include <utility>

#include <asio/connect.hpp>
#include <asio/post.hpp>

#include "net/websocket_connection.h"

namespace codesphere::net {
namespace {

struct ParsedUrl {
  bool secure = false;
  std::string host;  // without brackets
  std::string port;
  std::string uri;   // normalized for websocketpp
};

Result<ParsedUrl> ParseWebSocketUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (url.substr(0, 5) == "ws://") {
    rest = url.substr(5);
  } else if (url.substr(0, 6) == "wss://") {
    rest = url.substr(6);
    out.secure = true;
  } else {
    return InvalidArgumentError("websocket url \"" + std::string(url) +
                                "\": scheme must be ws:// or wss://");
  }
  std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (!path.empty() && path.front() != '/') path = "/";  // "?q" -> "/"; websocketpp needs a path
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError("websocket url \"" + std::string(url) + "\": bad host");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("websocket url \"" + std::string(url) + "\": bad IPv6 host");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return InvalidArgumentError("websocket url \"" + std::string(url) + "\": bad port");
      }
      port = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return InvalidArgumentError("websocket url \"" + std::string(url) + "\": empty host");
  }
  if (port.empty()) {
    port = out.secure ? "443" : "80";
  } else {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return InvalidArgumentError("websocket url \"" + std::string(url) + "\": bad port");
    }
  }
  out.host = std::string(host);
  out.port = std::string(port);
  std::string authority_out = authority.front() == '[' ? "[" + out.host + "]" : out.host;
  // websocketpp refuses wss:// on a transport it does not know to be secure; TLS is ours,
  // and the scheme only matters to it for the Host header, which is the same.
  out.uri = std::string("ws://") + authority_out + ":" + out.port +
            std::string(path.substr(0, path.find('#')));
  return out;
}

// One connection attempt: resolve, connect, TLS, handshake, bounded by a deadline.
class Connector : public std::enable_shared_from_this<Connector> {
 public:
  using Callback = unique_function<void(Result<std::shared_ptr<WebSocket>>)>;

  Connector(internal::Strand strand, ParsedUrl url, WebSocketClientOptions options,
            WebSocketHandlers handlers, Callback done)
      : strand_(std::move(strand)), url_(std::move(url)), options_(std::move(options)),
        handlers_(std::move(handlers)), done_(std::move(done)), resolver_(strand_),
        timer_(strand_), socket_(strand_) {}

  void Start() {
    timer_.expires_after(options_.connect_timeout);
    timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec) return;
      self->Fail(DeadlineExceededError("websocket connect to " + self->url_.uri +
                                       ": no connection within " +
                                       std::to_string(self->options_.connect_timeout.count()) +
                                       " ms"));
    });
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](const std::error_code& ec,
                                    asio::ip::tcp::resolver::results_type results) {
          if (self->finished_) return;
          if (ec) {
            self->Fail(UnavailableError("resolve " + self->url_.host + ": " + ec.message()));
            return;
          }
          asio::async_connect(self->socket_, results,
                              [self](const std::error_code& connect_ec,
                                     const asio::ip::tcp::endpoint& endpoint) {
                                self->OnConnected(connect_ec, endpoint);
                              });
        });
  }

 private:
  void OnConnected(const std::error_code& ec, const asio::ip::tcp::endpoint& endpoint) {
    if (finished_) return;
    if (ec) {
      Fail(UnavailableError("connect to " + url_.host + ":" + url_.port + ": " + ec.message()));
      return;
    }
    std::shared_ptr<asio::ssl::context> tls;
    if (url_.secure) {
      Result<std::shared_ptr<asio::ssl::context>> ctx = MakeClientTlsContext();
      if (!ctx.has_value()) {
        Fail(ctx.error());
        return;
      }
      tls = *ctx;
    }
    auto metrics = internal::NetMetrics::Create(options_.metrics, "client");
    internal::Inc(metrics->connections_total);
    transport_ = std::make_shared<internal::Transport>(std::move(socket_), tls,
                                                       /*server_side=*/false,
                                                       internal::FormatEndpoint(endpoint));
    transport_->SetByteCounters(metrics->bytes_received, metrics->bytes_sent);
    connection_ = std::make_shared<internal::WebSocketConnection>(
        internal::NextConnectionId(), strand_, transport_, options_.websocket,
        std::move(handlers_), metrics, /*client=*/true);
    transport_->Handshake(
        [self = shared_from_this()](std::error_code tls_ec) {
          if (self->finished_) return;
          if (tls_ec) {
            self->Fail(UnavailableError("tls handshake with " + self->url_.host + ": " +
                                        tls_ec.message()));
            return;
          }
          internal::EngineParams params;
          params.uri = self->url_.uri;
          for (const auto& [name, value] : self->options_.headers) {
            params.headers.emplace_back(name, value);
          }
          params.subprotocols = self->options_.subprotocols;
          self->connection_->StartClient(
              params, [self](Result<std::shared_ptr<WebSocket>> result) {
                if (self->finished_) return;
                self->finished_ = true;
                self->timer_.cancel();
                auto done = std::move(self->done_);
                self->done_ = nullptr;
                self->connection_.reset();
                done(std::move(result));
              });
        },
        url_.host);
  }

  Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext() {
    try {
      auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
      std::error_code ec;
      if (options_.tls_verify_peer) {
        if (options_.tls_ca_file.empty()) {
          ctx->set_default_verify_paths(ec);
        } else {
          ctx->load_verify_file(options_.tls_ca_file, ec);
        }
        if (ec) {
          return InvalidArgumentError("tls trust store \"" + options_.tls_ca_file +
                                      "\": " + ec.message());
        }
        ctx->set_verify_mode(asio::ssl::verify_peer);
        ctx->set_verify_callback(asio::ssl::host_name_verification(url_.host));
      } else {
        ctx->set_verify_mode(asio::ssl::verify_none);
      }
      return ctx;
    } catch (const std::system_error& e) {
      return InternalError(std::string("tls client context: ") + e.what());
    }
  }

  void Fail(Status status) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    std::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
    if (connection_ != nullptr) connection_->Abort(status);
    connection_.reset();
    if (transport_ != nullptr) transport_->Close();
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(status));
  }

  internal::Strand strand_;
  ParsedUrl url_;
  WebSocketClientOptions options_;
  WebSocketHandlers handlers_;
  Callback done_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer timer_;
  asio::ip::tcp::socket socket_;
  std::shared_ptr<internal::Transport> transport_;
  std::shared_ptr<internal::WebSocketConnection> connection_;
  bool finished_ = false;
};

}  // namespace

void ConnectWebSocket(asio::any_io_executor executor, std::string_view url,
                      WebSocketClientOptions options, WebSocketHandlers handlers,
                      unique_function<void(Result<std::shared_ptr<WebSocket>>)> on_connected) {
  internal::Strand strand = asio::make_strand(executor);
  Result<ParsedUrl> parsed = ParseWebSocketUrl(url);
  if (!parsed.has_value()) {
    asio::post(strand, [on_connected = std::move(on_connected),
                        error = parsed.error()]() mutable { on_connected(std::move(error)); });
    return;
  }
  auto connector = std::make_shared<Connector>(strand, std::move(parsed).value(),
                                               std::move(options), std::move(handlers),
                                               std::move(on_connected));
  asio::dispatch(strand, [connector] { connector->Start(); });
}

Result<std::shared_ptr<WebSocket>> ConnectWebSocketSync(asio::any_io_executor executor,
                                                        std::string_view url,
                                                        WebSocketClientOptions options,
                                                        WebSocketHandlers handlers) {
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<WebSocket>>>>();
  auto future = promise->get_future();
  auto wait = options.connect_timeout + std::chrono::seconds(1);
  ConnectWebSocket(std::move(executor), url, std::move(options), std::move(handlers),
                   [promise](Result<std::shared_ptr<WebSocket>> r) {
                     promise->set_value(std::move(r));
                   });
  if (future.wait_for(wait) != std::future_status::ready) {
    // The connect deadline fires on the io_context; if it does not run, nothing will.
    return DeadlineExceededError("websocket connect: the io_context did not run the attempt");
  }
  return future.get();
}

}  // namespace codesphere::net
