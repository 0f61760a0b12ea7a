// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/net/server.h"

#include <unistd.h>

#include <utility>

#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "net/server_impl.h"

namespace codesphere::net {
namespace {

constexpr std::chrono::milliseconds kAcceptRetry{100};

Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const TlsOptions& tls) {
  try {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    std::error_code ec;
    ctx->use_certificate_chain_file(tls.certificate_chain_file, ec);
    if (ec) {
      return InvalidArgumentError("tls certificate chain \"" + tls.certificate_chain_file +
                                  "\": " + ec.message());
    }
    ctx->use_private_key_file(tls.private_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return InvalidArgumentError("tls private key \"" + tls.private_key_file +
                                  "\": " + ec.message());
    }
    return ctx;
  } catch (const std::system_error& e) {
    return InternalError(std::string("tls context: ") + e.what());
  }
}

Status BindError(const std::error_code& ec, const std::string& where) {
  if (ec == asio::error::address_in_use) return AlreadyExistsError(where + ": address in use");
  if (ec == asio::error::access_denied) return PermissionDeniedError(where + ": access denied");
  return ErrnoToStatus(ec.value(), where);
}

}  // namespace

Server::Impl::Impl(asio::any_io_executor ex, ServerOptions opts)
    : executor(ex), strand(asio::make_strand(ex)), options(std::move(opts)), acceptor(strand),
      accept_retry_timer(strand), keepalive_timer(strand) {}

void Server::Impl::ScheduleKeepalive() {
  std::chrono::milliseconds period = internal::KeepalivePeriod(options.websocket);
  if (period.count() <= 0) return;
  keepalive_timer.expires_after(period);
  keepalive_timer.async_wait([weak = weak_from_this()](const std::error_code& ec) {
    std::shared_ptr<Impl> self = weak.lock();
    if (ec || self == nullptr) return;
    std::vector<std::shared_ptr<internal::StoppableSession>> live;
    {
      std::lock_guard<std::mutex> lock(self->mu);
      if (self->stop_requested) return;
      live.reserve(self->sessions.size());
      for (auto& [id, session] : self->sessions) {
        if (auto s = session.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) s->KeepaliveTick();
    self->ScheduleKeepalive();
  });
}

void Server::Impl::DoAccept() {
  // The connection's strand exists before the socket, so that the socket and every object of
  // the connection share it.
  internal::Strand conn_strand = asio::make_strand(executor);
  acceptor.async_accept(
      asio::any_io_executor(conn_strand),
      [self = shared_from_this(), conn_strand](const std::error_code& ec,
                                               asio::ip::tcp::socket socket) {
        self->OnAccepted(ec, std::move(socket), conn_strand);
      });
}

void Server::Impl::OnAccepted(const std::error_code& ec, asio::ip::tcp::socket socket,
                              const internal::Strand& conn_strand) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // EMFILE and friends: back off instead of spinning.
    LogWarning("accept failed", {{"server", options.name}, {"error", ec.message()}});
    accept_retry_timer.expires_after(kAcceptRetry);
    accept_retry_timer.async_wait([self = shared_from_this()](const std::error_code& timer_ec) {
      if (!timer_ec && self->acceptor.is_open()) self->DoAccept();
    });
    return;
  }
  DoAccept();
  std::error_code endpoint_ec;
  asio::ip::tcp::endpoint remote = socket.remote_endpoint(endpoint_ec);
  if (endpoint_ec) return;  // already gone
  if (open_connections.load() >= options.max_connections) {
    LogWarning("connection refused: limit reached",
               {{"server", options.name}, {"max_connections", options.max_connections}});
    metrics->Disconnect("connection_limit");
    std::error_code ignored;
    socket.close(ignored);
    return;
  }
  open_connections.fetch_add(1);
  internal::Inc(metrics->connections_total);
  internal::Add(metrics->connections_open, 1);
  std::uint64_t id = internal::NextConnectionId();
  auto transport = std::make_shared<internal::Transport>(std::move(socket), tls,
                                                         /*server_side=*/true,
                                                         internal::FormatEndpoint(remote));
  transport->SetByteCounters(metrics->bytes_received, metrics->bytes_sent);
  auto session =
      std::make_shared<internal::HttpSession>(shared_from_this(), id, conn_strand, transport);
  Register(id, session);
  asio::dispatch(conn_strand, [session] { session->Start(); });
}

void Server::Impl::Register(std::uint64_t id, std::weak_ptr<internal::StoppableSession> session) {
  bool stop_now = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    sessions[id] = session;
    stop_now = stop_requested;
  }
  // A session handed over during shutdown (e.g. an upgrade accepted meanwhile) is told too.
  if (stop_now) {
    if (auto s = session.lock()) s->ShutdownForStop();
  }
}

void Server::Impl::Unregister(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  if (sessions.erase(id) == 0) return;
  open_connections.fetch_sub(1);
  internal::Add(metrics->connections_open, -1);
  MaybeFinishStop();
}

void Server::Impl::MaybeFinishStop() {
  if (!stop_requested || stop_done || !listener_closed || !sessions.empty()) return;
  stop_done = true;
  std::vector<unique_function<void()>> callbacks = std::move(stop_callbacks);
  stop_callbacks.clear();
  LogInfo("server stopped", {{"server", options.name}});
  for (auto& cb : callbacks) {
    if (cb) asio::post(executor, std::move(cb));
  }
}

void Server::Impl::Stop(unique_function<void()> on_stopped) {
  std::vector<std::shared_ptr<internal::StoppableSession>> live;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (on_stopped) {
      if (stop_done) {
        asio::post(executor, std::move(on_stopped));
      } else {
        stop_callbacks.push_back(std::move(on_stopped));
      }
    }
    if (stop_requested) return;
    stop_requested = true;
    stopping = true;
    for (auto& [id, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    LogInfo("server stopping", {{"server", options.name}, {"connections", sessions.size()}});
  }
  // Stopped means: no longer listening, and every connection gone (either may come last).
  asio::dispatch(strand, [self = shared_from_this()] {
    self->CloseListener();
    std::lock_guard<std::mutex> lock(self->mu);
    self->listener_closed = true;
    self->MaybeFinishStop();
  });
  for (auto& s : live) s->ShutdownForStop();
  std::lock_guard<std::mutex> lock(mu);
  MaybeFinishStop();
}

void Server::Impl::CloseListener() {
  std::error_code ignored;
  acceptor.close(ignored);
  accept_retry_timer.cancel();
  keepalive_timer.cancel();
}

void Server::Impl::AbortAll() {
  std::vector<std::shared_ptr<internal::StoppableSession>> live;
  {
    std::lock_guard<std::mutex> lock(mu);
    stop_requested = true;
    stopping = true;
    for (auto& [id, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  asio::dispatch(strand, [self = shared_from_this()] { self->CloseListener(); });
  for (auto& s : live) s->AbortForStop();
}

Result<std::unique_ptr<Server>> Server::Create(asio::any_io_executor executor,
                                               ServerOptions options) {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) return InvalidArgumentError("server host \"" + options.host + "\": not an IP address");
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  if (impl->options.tls.has_value()) {
    CODESPHERE_ASSIGN_OR_RETURN(impl->tls, MakeServerTlsContext(*impl->options.tls));
  }
  impl->metrics = internal::NetMetrics::Create(impl->options.metrics, impl->options.name);
  asio::ip::tcp::endpoint endpoint(address, impl->options.port);
  std::string where = "listen on " + internal::FormatEndpoint(endpoint);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return BindError(ec, where);
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (address.is_v6()) impl->acceptor.set_option(asio::ip::v6_only(false), ec);
  impl->acceptor.bind(endpoint, ec);
  if (ec) return BindError(ec, where);
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return BindError(ec, where);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    done = impl_->stop_done;
  }
  if (!done) impl_->AbortAll();
}

void Server::HandleHttp(std::string path_prefix, HttpHandler handler) {
  CODESPHERE_CHECK_MSG(!impl_->started.load(), "routes must be added before Start()");
  impl_->http_routes.emplace_back(std::move(path_prefix), std::move(handler));
}

void Server::HandleWebSocket(std::string path_prefix, UpgradeHandler handler) {
  CODESPHERE_CHECK_MSG(!impl_->started.load(), "routes must be added before Start()");
  impl_->websocket_routes.emplace_back(std::move(path_prefix), std::move(handler));
}

void Server::HandleProxy(RouteMatcher matcher, ProxyHandler handler) {
  CODESPHERE_CHECK_MSG(!impl_->started.load(), "routes must be added before Start()");
  impl_->proxy_routes.emplace_back(std::move(matcher), std::move(handler));
}

void Server::HandleProxy(std::string path_prefix, ProxyHandler handler) {
  HandleProxy(
      [prefix = std::move(path_prefix)](const HttpRequest& r) {
        return r.path.substr(0, prefix.size()) == prefix;
      },
      std::move(handler));
}

void Server::Start() {
  CODESPHERE_CHECK_MSG(!impl_->started.exchange(true), "Server::Start called twice");
  LogInfo("server listening", {{"server", impl_->options.name}, {"address", local_address()},
                               {"tls", impl_->tls != nullptr}});
  asio::dispatch(impl_->strand, [impl = impl_] {
    impl->DoAccept();
    impl->ScheduleKeepalive();
  });
}

void Server::Stop(unique_function<void()> on_stopped) { impl_->Stop(std::move(on_stopped)); }

std::uint16_t Server::port() const {
  std::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string Server::local_address() const {
  std::error_code ec;
  return internal::FormatEndpoint(impl_->acceptor.local_endpoint(ec));
}

ServerStats Server::stats() const {
  ServerStats s;
  s.open_connections = impl_->open_connections.load();
  s.open_websockets = impl_->open_websockets.load();
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, weak] : impl_->sessions) {
    if (auto session = weak.lock()) s.queued_bytes += session->queued_bytes();
  }
  return s;
}

// --- responders ---

UpgradeResponder& UpgradeResponder::operator=(UpgradeResponder&& other) noexcept {
  if (this != &other) {
    if (impl_ != nullptr) Reject(HttpResponse::Text(500, "upgrade handler dropped the request\n"));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

UpgradeResponder::~UpgradeResponder() {
  if (impl_ != nullptr) Reject(HttpResponse::Text(500, "upgrade handler dropped the request\n"));
}

void UpgradeResponder::Accept(WebSocketHandlers handlers,
                              unique_function<void(std::shared_ptr<WebSocket>)> on_open,
                              std::string subprotocol) {
  if (impl_ == nullptr) return;
  std::shared_ptr<Impl> impl = std::move(impl_);
  impl_ = nullptr;
  asio::dispatch(impl->strand, [impl, handlers = std::move(handlers),
                                on_open = std::move(on_open),
                                subprotocol = std::move(subprotocol)]() mutable {
    if (auto session = impl->session.lock()) {
      session->AcceptUpgrade(std::move(handlers), std::move(on_open), std::move(subprotocol));
    }
  });
}

void UpgradeResponder::Reject(HttpResponse response) {
  if (impl_ == nullptr) return;
  std::shared_ptr<Impl> impl = std::move(impl_);
  impl_ = nullptr;
  asio::dispatch(impl->strand, [impl, response = std::move(response)]() mutable {
    if (auto session = impl->session.lock()) session->RejectAndClose(std::move(response));
  });
}

ProxyResponder& ProxyResponder::operator=(ProxyResponder&& other) noexcept {
  if (this != &other) {
    if (impl_ != nullptr) Reject(HttpResponse::Text(502, "proxy handler dropped the request\n"));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

ProxyResponder::~ProxyResponder() {
  if (impl_ != nullptr) Reject(HttpResponse::Text(502, "proxy handler dropped the request\n"));
}

void ProxyResponder::ProxyTo(ProxyTarget target) {
  if (impl_ == nullptr) {
    if (target.fd >= 0) ::close(target.fd);
    return;
  }
  std::shared_ptr<Impl> impl = std::move(impl_);
  impl_ = nullptr;
  asio::dispatch(impl->strand, [impl, target = std::move(target)]() mutable {
    if (auto session = impl->session.lock()) {
      session->StartProxy(std::move(target));
    } else if (target.fd >= 0) {
      ::close(target.fd);
    }
  });
}

void ProxyResponder::Reject(HttpResponse response) {
  if (impl_ == nullptr) return;
  std::shared_ptr<Impl> impl = std::move(impl_);
  impl_ = nullptr;
  asio::dispatch(impl->strand, [impl, response = std::move(response)]() mutable {
    if (auto session = impl->session.lock()) session->RejectAndClose(std::move(response));
  });
}

}  // namespace codesphere::net
