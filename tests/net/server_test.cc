// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// HTTP side of the server: routing, bodies, keep-alive, async answers, limits, malformed input.

#include "codesphere/net/server.h"

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <sstream>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::net {
namespace {

// True when a TCP socket of this process listens on 127.0.0.1:`port` (/proc/self/fd socket
// inodes matched against /proc/net/tcp). Unlike a connect() after the listener closed, this
// cannot be fooled by another process that binds the freed port meanwhile.
bool ThisProcessListensOn(std::uint16_t port) {
  std::set<std::string> inodes;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    const std::size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    const unsigned long local_port = std::stoul(local.substr(colon + 1), nullptr, 16);
    if (local_port == port && state == "0A" && inodes.count(inode) > 0) return true;
  }
  return false;
}

using testing::BodyOf;
using testing::HttpRequestRaw;
using testing::RawClient;
using testing::StatusOf;
using ::codesphere::testing::StatusIs;

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    options.name = "test";
    ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), std::move(options)));
    AddRoutes();
    server_->Start();
    port_ = server_->port();
  }

  virtual void AddRoutes() {
    server_->HandleHttp("/", [](HttpRequest req, HttpResponder r) {
      r.Send(HttpResponse::Text(200, "root " + req.path));
    });
    server_->HandleHttp("/api/", [](HttpRequest req, HttpResponder r) {
      HttpResponse resp = HttpResponse::Text(200, req.method + " api " + req.path + " q=" +
                                                      req.query + " host=" + req.host() +
                                                      " body=" + std::string(req.body_text()));
      resp.headers.Add("X-Test", "1");
      r.Send(std::move(resp));
    });
    server_->HandleHttp("/healthz", [](HttpRequest, HttpResponder r) {
      r.Send(HttpResponse::Text(200, "ok"));
    });
    server_->HandleHttp("/async", [this](HttpRequest, HttpResponder r) {
      std::lock_guard<std::mutex> lock(async_mu_);
      async_threads_.emplace_back([r = std::move(r)]() mutable {
        r.Send(HttpResponse::Json(202, "{\"later\":true}"));
      });
    });
    server_->HandleHttp("/drop", [](HttpRequest, HttpResponder) {});
    server_->HandleWebSocket("/ws/", [](const HttpRequest&, UpgradeResponder r) {
      r.Accept(WebSocketHandlers());
    });
  }

  void TearDown() override {
    if (server_ != nullptr) testing::StopAndWait(*server_);
    // A responder must be done with its strand before the io_context goes (HttpResponder).
    std::lock_guard<std::mutex> lock(async_mu_);
    for (std::thread& t : async_threads_) t.join();
  }

  // Declared first: it must outlive the io threads and every connection.
  MetricsRegistry registry_;
  testing::IoThreads io_;
  std::mutex async_mu_;
  std::vector<std::thread> async_threads_;  // answering "/async" requests
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, RoutesByLongestPrefix) {
  StartServer();
  std::string r = HttpRequestRaw(port_, "GET /api/files?x=1 HTTP/1.1\r\nHost: P1.localhost:80\r\n\r\n");
  EXPECT_EQ(StatusOf(r), 200) << r;
  EXPECT_EQ(BodyOf(r), "GET api /api/files q=x=1 host=p1.localhost body=");
  EXPECT_NE(r.find("X-Test: 1\r\n"), std::string::npos);
  r = HttpRequestRaw(port_, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(BodyOf(r), "root /other");
  r = HttpRequestRaw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(BodyOf(r), "ok");
  // "/healthz" does not own "/healthzz".
  r = HttpRequestRaw(port_, "GET /healthzz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(BodyOf(r), "root /healthzz");
}

TEST_F(ServerTest, UnknownPathIs404AndWebSocketPathIs426) {
  server_ = nullptr;
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  server_->HandleWebSocket("/yjs/", [](const HttpRequest&, UpgradeResponder r) {
    r.Accept(WebSocketHandlers());
  });
  server_->Start();
  port_ = server_->port();
  EXPECT_EQ(StatusOf(HttpRequestRaw(port_, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
  std::string r = HttpRequestRaw(port_, "GET /yjs/room HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(r), 426);
  EXPECT_NE(r.find("Upgrade: websocket"), std::string::npos);
}

TEST_F(ServerTest, ReadsContentLengthAndChunkedBodies) {
  StartServer();
  std::string r = HttpRequestRaw(
      port_, "POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(BodyOf(r), "POST api /api/x q= host=x body=hello world");
  r = HttpRequestRaw(port_,
                     "POST /api/y HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(BodyOf(r), "POST api /api/y q= host=x body=hello world");
}

TEST_F(ServerTest, AnswersExpectContinue) {
  StartServer();
  RawClient c(port_);
  c.Write("PUT /api/e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.ReadUntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Write("abc");
  EXPECT_EQ(BodyOf(c.ReadResponse()), "PUT api /api/e q= host=x body=abc");
}

TEST_F(ServerTest, KeepAliveServesPipelinedRequestsInOrder) {
  StartServer();
  RawClient c(port_);
  c.Write(
      "GET /api/1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /async HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /api/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
      "HEAD /api/4 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(BodyOf(c.ReadResponse()), "GET api /api/1 q= host=x body=");
  std::string async = c.ReadResponse();
  EXPECT_EQ(StatusOf(async), 202);
  EXPECT_EQ(BodyOf(async), "{\"later\":true}");
  EXPECT_EQ(BodyOf(c.ReadResponse()), "POST api /api/3 q= host=x body=hi");
  std::string head = c.ReadUntil("\r\n\r\n");  // HEAD: Content-Length but no body
  EXPECT_EQ(StatusOf(head), 200);
  EXPECT_NE(head.find("Content-Length: 31\r\n"), std::string::npos) << head;
  std::string last = c.ReadResponse();
  EXPECT_EQ(BodyOf(last), "GET api /api/5 q= host=x body=");
  EXPECT_NE(last.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose());
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  StartServer();
  EXPECT_EQ(StatusOf(HttpRequestRaw(port_, "GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")), 500);
}

TEST_F(ServerTest, BodyOverLimitIs413) {
  ServerOptions o;
  o.max_request_body_size = 10;
  StartServer(o);
  std::string r = HttpRequestRaw(
      port_, "POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  EXPECT_EQ(StatusOf(r), 413);
  r = HttpRequestRaw(port_,
                     "POST /api/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(r), 413);
}

TEST_F(ServerTest, MalformedRequestsGet4xxAndClose) {
  ServerOptions o;
  o.max_request_head_size = 1024;
  StartServer(o);
  struct Case {
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {"garbage\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
      {"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505},
      {"POST /api/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"POST /api/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 431},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(2000, 'a'), 431},  // never ends
      {"POST /api/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400},
  };
  for (const Case& c : cases) {
    RawClient client(port_);
    client.Write(c.request);
    std::string r = client.ReadResponse();
    EXPECT_EQ(StatusOf(r), c.status) << c.request.substr(0, 80) << " -> " << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
    EXPECT_TRUE(client.WaitForClose());
  }
  // The server still serves.
  EXPECT_EQ(StatusOf(HttpRequestRaw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST_F(ServerTest, RandomRequestBytesGetAnAnswerOrAClose) {
  StartServer();
  std::mt19937 rng(7);  // fixed seed
  const std::string alphabet = "GET POST / HTTP/1.1\r\n:Host x Content-Length: 5 chunked \t0\x01";
  for (int round = 0; round < 100; ++round) {
    RawClient c(port_);
    std::string junk(1 + rng() % 300, ' ');
    for (char& ch : junk) ch = alphabet[rng() % alphabet.size()];
    c.Write(junk + "\r\n\r\n");
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
    std::string r = c.ReadAll();  // whatever the answer, the connection ends
    if (!r.empty()) {
      EXPECT_EQ(r.substr(0, 9), "HTTP/1.1 ") << r;
    }
  }
  EXPECT_EQ(StatusOf(HttpRequestRaw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
}

TEST_F(ServerTest, IdleConnectionTimesOut) {
  ServerOptions o;
  o.request_timeout = std::chrono::milliseconds(50);
  StartServer(o);
  RawClient idle(port_);
  EXPECT_TRUE(idle.WaitForClose());
  RawClient partial(port_);
  partial.Write("GET / HTTP/1.1\r\n");
  EXPECT_EQ(StatusOf(partial.ReadResponse()), 408);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerOptions o;
  o.max_connections = 1;
  StartServer(o);
  RawClient first(port_);
  first.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(first.ReadResponse()), 200);
  RawClient second(port_);
  EXPECT_TRUE(second.WaitForClose());
  first.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(first.ReadResponse()), 200);
}

TEST_F(ServerTest, CreateFailsOnBadHostAndBusyPort) {
  ServerOptions bad;
  bad.host = "not-an-ip";
  EXPECT_THAT(Server::Create(io_.executor(), bad), StatusIs(StatusCode::kInvalidArgument));
  StartServer();
  ServerOptions busy;
  busy.port = port_;
  EXPECT_THAT(Server::Create(io_.executor(), busy), StatusIs(StatusCode::kAlreadyExists));
  ServerOptions tls;
  tls.tls = TlsOptions{"/nonexistent/cert.pem", "/nonexistent/key.pem"};
  EXPECT_THAT(Server::Create(io_.executor(), tls), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ServerTest, RecordsMetrics) {
  ServerOptions o;
  o.metrics = &registry_;
  StartServer(o);
  EXPECT_EQ(StatusOf(HttpRequestRaw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
  std::string text = registry_.RenderPrometheus();
  EXPECT_NE(text.find("net_http_requests_total{server=\"test\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("net_connections_total{server=\"test\"} 1"), std::string::npos) << text;
}

TEST_F(ServerTest, GracefulStopAnswersTheRequestInFlight) {
  server_ = nullptr;
  ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), {}));
  std::promise<HttpResponder> parked;
  server_->HandleHttp("/slow", [&parked](HttpRequest, HttpResponder r) {
    parked.set_value(std::move(r));
  });
  server_->Start();
  RawClient c(server_->port());
  c.Write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  HttpResponder responder = parked.get_future().get();
  std::promise<void> stopped;
  server_->Stop([&stopped] { stopped.set_value(); });
  responder.Send(HttpResponse::Text(200, "late but delivered"));
  std::string r = c.ReadResponse();
  EXPECT_EQ(BodyOf(r), "late but delivered");
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(stopped.get_future().wait_for(testing::kEventTimeout), std::future_status::ready);
}

TEST_F(ServerTest, GracefulStopClosesIdleConnectionsAndRefusesNewOnes) {
  StartServer();
  RawClient idle(port_);
  idle.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(idle.ReadResponse()), 200);
  ASSERT_TRUE(ThisProcessListensOn(port_));
  testing::StopAndWait(*server_);
  EXPECT_TRUE(idle.WaitForClose());
  EXPECT_EQ(server_->stats().open_connections, 0u);
  // New connections are refused: the listening socket is closed (a connect() to the port
  // could reach another test that bound the freed port in the meantime).
  EXPECT_FALSE(ThisProcessListensOn(port_)) << "still listening after Stop()";
}

}  // namespace
}  // namespace codesphere::net
