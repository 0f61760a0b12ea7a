// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Byte-level reverse proxying of plain requests and WebSocket upgrades to an upstream fd,
// selected by path prefix or by Host (subdomain preview routing).

#include <unistd.h>

#include <future>
#include <thread>

#include <asio/write.hpp>

#include "codesphere/net/server.h"
#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::net {
namespace {

using testing::BodyOf;
using testing::EventLog;
using testing::RawClient;
using testing::StatusOf;

// Connects to 127.0.0.1:port and returns a plain fd the proxy can own.
int ConnectFd(std::uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return ::dup(s.native_handle());
}

// A one-shot upstream: accepts one connection, records the request head (and `body_size`
// body bytes), answers `response`, closes.
class OneShotUpstream {
 public:
  OneShotUpstream(std::string response, std::size_t body_size)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, response = std::move(response), body_size] {
      asio::ip::tcp::socket s = acceptor_.accept();
      std::string in;
      char buf[4096];
      std::error_code ec;
      while (in.find("\r\n\r\n") == std::string::npos ||
             in.size() < in.find("\r\n\r\n") + 4 + body_size) {
        std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        in.append(buf, n);
      }
      asio::write(s, asio::buffer(response), ec);
      s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      request_.set_value(in);
    });
  }
  ~OneShotUpstream() { thread_.join(); }
  std::uint16_t port() const { return port_; }
  std::string request() { return request_.get_future().get(); }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_;
  std::thread thread_;
  std::promise<std::string> request_;
};

class ProxyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_ != nullptr) testing::StopAndWait(*server_);
    if (upstream_server_ != nullptr) testing::StopAndWait(*upstream_server_);
  }

  testing::IoThreads io_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Server> upstream_server_;
};

TEST_F(ProxyTest, ProxiesPlainRequestWithRewrittenTargetAndBody) {
  OneShotUpstream upstream("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Up: 1\r\n\r\nhello", 4);
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  std::uint16_t up_port = upstream.port();
  server_->HandleProxy("/preview/p1/", [up_port](const HttpRequest& req, ProxyResponder r) {
    EXPECT_TRUE(req.body.empty());
    ProxyTarget t;
    t.fd = ConnectFd(up_port);
    t.target = req.target.substr(std::string("/preview/p1").size());
    t.set_headers.Add("Host", "localhost:5173");
    r.ProxyTo(std::move(t));
  });
  server_->Start();
  RawClient c(server_->port());
  c.Write("POST /preview/p1/app.js?v=2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nbody");
  std::string response = c.ReadAll();
  EXPECT_EQ(StatusOf(response), 201);
  EXPECT_EQ(BodyOf(response), "hello");
  EXPECT_NE(response.find("X-Up: 1"), std::string::npos);
  std::string seen = upstream.request();
  EXPECT_EQ(seen.substr(0, seen.find("\r\n")), "POST /app.js?v=2 HTTP/1.1");
  EXPECT_NE(seen.find("Host: localhost:5173\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Forwarded-For: 127.0.0.1\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Forwarded-Host: localhost\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Connection: close\r\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.substr(seen.size() - 4), "body");
}

TEST_F(ProxyTest, RoutesBySubdomainAndRejects) {
  OneShotUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nup", 0);
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  std::uint16_t up_port = upstream.port();
  server_->HandleProxy(
      [](const HttpRequest& req) { return req.host().ends_with(".localhost"); },
      [up_port](const HttpRequest& req, ProxyResponder r) {
        if (req.host() != "p1.localhost") {
          r.Reject(HttpResponse::Text(404, "no such project"));
          return;
        }
        r.ProxyTo({ConnectFd(up_port), "", {}});
      });
  server_->HandleHttp("/", [](HttpRequest, HttpResponder r) {
    r.Send(HttpResponse::Text(200, "ide"));
  });
  server_->Start();
  std::uint16_t port = server_->port();
  EXPECT_EQ(BodyOf(testing::HttpRequestRaw(port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")),
            "ide");
  EXPECT_EQ(StatusOf(testing::HttpRequestRaw(port, "GET / HTTP/1.1\r\nHost: p9.localhost\r\n\r\n")),
            404);
  RawClient c(port);
  c.Write("GET /x HTTP/1.1\r\nHost: p1.localhost:8080\r\n\r\n");
  EXPECT_EQ(BodyOf(c.ReadAll()), "up");
  EXPECT_EQ(upstream.request().substr(0, 21), "GET /x HTTP/1.1\r\nHost");
}

TEST_F(ProxyTest, ProxiesWebSocketUpgradeEndToEnd) {
  // The upstream is a WebSocket echo server (think: a dev server's HMR socket in a sandbox).
  ASSERT_OK_AND_ASSIGN(upstream_server_, Server::Create(io_.executor(), {}));
  upstream_server_->HandleWebSocket("/", [](const HttpRequest&, UpgradeResponder r) {
    WebSocketHandlers h;
    h.on_message = [](WebSocket& ws, ByteSpan data, MessageKind kind) {
      EXPECT_TRUE(ws.Send(data, kind).ok());
    };
    r.Accept(std::move(h));
  });
  upstream_server_->Start();
  std::uint16_t up_port = upstream_server_->port();
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  server_->HandleProxy("/preview/p2/", [up_port](const HttpRequest& req, ProxyResponder r) {
    r.ProxyTo({ConnectFd(up_port), req.target.substr(std::string("/preview/p2").size()), {}});
  });
  server_->Start();

  EventLog log;
  ASSERT_OK_AND_ASSIGN(auto ws, testing::ConnectSync(io_.executor(),
                                                     "ws://127.0.0.1:" +
                                                         std::to_string(server_->port()) +
                                                         "/preview/p2/hmr",
                                                     &log));
  ASSERT_OK(ws->Send(AsBytes("through the proxy"), MessageKind::kText));
  ASSERT_OK(ws->Send(AsBytes(std::string(300000, 'z')), MessageKind::kBinary));
  ASSERT_TRUE(log.WaitMessages(2));
  EXPECT_EQ(log.Messages()[0].data, "through the proxy");
  EXPECT_EQ(log.Messages()[1].data.size(), 300000u);
  ws->Close(CloseCode::kNormal, "done");
  auto info = log.WaitClosed();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, CloseCode::kNormal);
}

TEST_F(ProxyTest, BadUpstreamFdGets502) {
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  server_->HandleProxy("/p/", [](const HttpRequest&, ProxyResponder r) {
    r.ProxyTo({-1, "", {}});
  });
  server_->HandleProxy("/dropped/", [](const HttpRequest&, ProxyResponder) {});
  server_->Start();
  EXPECT_EQ(StatusOf(testing::HttpRequestRaw(server_->port(),
                                             "GET /p/x HTTP/1.1\r\nHost: x\r\n\r\n")),
            502);
  EXPECT_EQ(StatusOf(testing::HttpRequestRaw(server_->port(),
                                             "GET /dropped/x HTTP/1.1\r\nHost: x\r\n\r\n")),
            502);
}

}  // namespace
}  // namespace codesphere::net
