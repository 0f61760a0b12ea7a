// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// WebSocket side: echo, routing by path, rejection, fan-out, limits, keepalive, shutdown.

#include "codesphere/net/websocket.h"

#include <atomic>
#include <mutex>
#include <random>
#include <set>

#include "codesphere/net/client.h"
#include "codesphere/net/server.h"
#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::net {
namespace {

using testing::ConnectSync;
using testing::EventLog;
using testing::RawClient;
using ::codesphere::testing::StatusIs;

// Server-side events of the accepted sockets.
struct ServerSide {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<WebSocket>> open;
  std::vector<CloseInfo> closed;
  std::vector<std::string> paths;

  bool WaitOpen(std::size_t n) {
    return testing::WaitFor(mu, cv, [&] { return open.size() >= n; });
  }
  std::optional<CloseInfo> WaitClosed(std::size_t n) {
    if (!testing::WaitFor(mu, cv, [&] { return closed.size() >= n; })) return std::nullopt;
    std::lock_guard<std::mutex> lock(mu);
    return closed[n - 1];
  }
};

class WebSocketTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), std::move(options)));
    // Echo endpoint; the room name comes from the path, as y-websocket does.
    server_->HandleWebSocket("/echo/", [this](const HttpRequest& req, UpgradeResponder r) {
      {
        std::lock_guard<std::mutex> lock(side_.mu);
        side_.paths.push_back(req.path);
      }
      WebSocketHandlers h;
      h.on_message = [](WebSocket& ws, ByteSpan data, MessageKind kind) {
        EXPECT_TRUE(ws.Send(data, kind).ok());
      };
      h.on_close = [this](WebSocket&, const CloseInfo& info) {
        std::lock_guard<std::mutex> lock(side_.mu);
        side_.closed.push_back(info);
        side_.cv.notify_all();
      };
      std::string protocol;
      if (auto offered = req.headers.Get("Sec-WebSocket-Protocol")) {
        protocol = std::string(offered->substr(0, offered->find(',')));
      }
      r.Accept(std::move(h),
               [this](std::shared_ptr<WebSocket> ws) {
                 std::lock_guard<std::mutex> lock(side_.mu);
                 side_.open.push_back(std::move(ws));
                 side_.cv.notify_all();
               },
               protocol);
    });
    server_->HandleWebSocket("/private/", [](const HttpRequest& req, UpgradeResponder r) {
      if (req.headers.Get("Authorization").value_or("") != "Bearer good") {
        r.Reject(HttpResponse::Text(401, "bad token"));
        return;
      }
      r.Accept(WebSocketHandlers());
    });
    server_->Start();
    port_ = server_->port();
  }

  std::string Url(std::string_view path) {
    return "ws://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  void TearDown() override {
    if (server_ != nullptr) testing::StopAndWait(*server_);
  }

  testing::IoThreads io_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
  ServerSide side_;
};

TEST_F(WebSocketTest, EchoesTextAndBinary) {
  StartServer();
  EventLog log;
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/room-1?x=1"), &log));
  EXPECT_TRUE(ws->is_open());
  Bytes binary = {0x00, 0xff, 0x10, 0x00};
  ASSERT_OK(ws->Send(AsBytes("héllo"), MessageKind::kText));
  ASSERT_OK(ws->Send(MakeSharedBytes(binary), MessageKind::kBinary));
  ASSERT_OK(ws->Send(AsBytes(std::string(70000, 'x')), MessageKind::kBinary));  // 64-bit length
  ASSERT_TRUE(log.WaitMessages(3));
  auto m = log.Messages();
  EXPECT_EQ(m[0].data, "héllo");
  EXPECT_EQ(m[0].kind, MessageKind::kText);
  EXPECT_EQ(m[1].data, std::string("\x00\xff\x10\x00", 4));
  EXPECT_EQ(m[1].kind, MessageKind::kBinary);
  EXPECT_EQ(m[2].data.size(), 70000u);
  {
    std::lock_guard<std::mutex> lock(side_.mu);
    EXPECT_EQ(side_.paths, std::vector<std::string>{"/echo/room-1"});
  }
  ws->Close(CloseCode::kNormal, "bye");
  auto client_close = log.WaitClosed();
  ASSERT_TRUE(client_close.has_value());
  EXPECT_OK(client_close->status);
  EXPECT_EQ(client_close->code, CloseCode::kNormal);
  EXPECT_FALSE(client_close->by_peer);
  auto server_close = side_.WaitClosed(1);
  ASSERT_TRUE(server_close.has_value());
  EXPECT_OK(server_close->status);
  EXPECT_TRUE(server_close->by_peer);
  EXPECT_EQ(server_close->code, CloseCode::kNormal);
  EXPECT_EQ(server_close->reason, "bye");
  EXPECT_THAT(ws->Send(AsBytes("late"), MessageKind::kText),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(WebSocketTest, NegotiatesSubprotocol) {
  StartServer();
  EventLog log;
  WebSocketClientOptions o;
  o.subprotocols = {"y-protocol", "other"};
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/p"), &log, o));
  EXPECT_EQ(ws->subprotocol(), "y-protocol");
  ws->Close();
  ASSERT_TRUE(log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, UpgradeHandlerCanRejectAndClientSeesStatus) {
  StartServer();
  EventLog log;
  EXPECT_THAT(ConnectSync(io_.executor(), Url("/private/x"), &log),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(ConnectSync(io_.executor(), Url("/missing"), &log),
              StatusIs(StatusCode::kNotFound));
  WebSocketClientOptions o;
  o.headers.Add("Authorization", "Bearer good");
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/private/x"), &log, o));
  ws->Close();
  ASSERT_TRUE(log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, ServerClosesAndClientSeesPeerClose) {
  StartServer();
  EventLog log;
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/a"), &log));
  ASSERT_TRUE(side_.WaitOpen(1));
  side_.open[0]->Close(static_cast<CloseCode>(4001), "room deleted");
  auto info = log.WaitClosed();
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->by_peer);
  EXPECT_EQ(static_cast<int>(info->code), 4001);
  EXPECT_EQ(info->reason, "room deleted");
  EXPECT_OK(info->status);
}

TEST_F(WebSocketTest, ManyConcurrentClientsAndSharedBroadcast) {
  StartServer();
  constexpr int kClients = 100;
  constexpr int kMessages = 10;
  std::vector<std::unique_ptr<EventLog>> logs;
  std::vector<std::shared_ptr<WebSocket>> sockets;
  for (int i = 0; i < kClients; ++i) {
    logs.push_back(std::make_unique<EventLog>());
    ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/r"), logs.back().get()));
    sockets.push_back(ws);
  }
  for (int m = 0; m < kMessages; ++m) {
    for (int i = 0; i < kClients; ++i) {
      ASSERT_OK(sockets[i]->Send(AsBytes(std::to_string(i) + ":" + std::to_string(m)),
                                 MessageKind::kText));
    }
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(logs[i]->WaitMessages(kMessages));
    auto msgs = logs[i]->Messages();
    for (int m = 0; m < kMessages; ++m) {
      EXPECT_EQ(msgs[m].data, std::to_string(i) + ":" + std::to_string(m));
    }
  }
  // Fan-out of one shared buffer to every server-side peer.
  ASSERT_TRUE(side_.WaitOpen(kClients));
  SharedBytes update = MakeSharedBytes(ToBytes("broadcast"));
  {
    std::lock_guard<std::mutex> lock(side_.mu);
    for (auto& peer : side_.open) ASSERT_OK(peer->Send(update, MessageKind::kBinary));
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(logs[i]->WaitMessages(kMessages + 1));
    EXPECT_EQ(logs[i]->Messages().back().data, "broadcast");
  }
  EXPECT_EQ(server_->stats().open_websockets, static_cast<std::size_t>(kClients));
  for (auto& ws : sockets) ws->Close();
  for (auto& log : logs) ASSERT_TRUE(log->WaitClosed().has_value());
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009AndOthersContinue) {
  ServerOptions o;
  o.websocket.max_message_size = 1 << 20;
  StartServer(o);
  EventLog good_log;
  ASSERT_OK_AND_ASSIGN(auto good, ConnectSync(io_.executor(), Url("/echo/a"), &good_log));
  EventLog big_log;
  WebSocketClientOptions co;
  co.websocket.max_queued_bytes = std::size_t{128} << 20;
  ASSERT_OK_AND_ASSIGN(auto big, ConnectSync(io_.executor(), Url("/echo/a"), &big_log, co));
  ASSERT_TRUE(side_.WaitOpen(2));
  ASSERT_OK(big->Send(MakeSharedBytes(Bytes(std::size_t{64} << 20, 0x61)), MessageKind::kBinary));
  auto server_close = side_.WaitClosed(1);
  ASSERT_TRUE(server_close.has_value());
  EXPECT_EQ(server_close->code, CloseCode::kMessageTooBig);
  EXPECT_THAT(server_close->status, StatusIs(StatusCode::kInvalidArgument));
  auto client_close = big_log.WaitClosed();
  ASSERT_TRUE(client_close.has_value());
  // The other connection is unaffected.
  ASSERT_OK(good->Send(AsBytes("still here"), MessageKind::kText));
  ASSERT_TRUE(good_log.WaitMessages(1));
  EXPECT_EQ(good_log.Messages()[0].data, "still here");
  good->Close();
  ASSERT_TRUE(good_log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, SlowReaderIsDisconnectedOthersContinue) {
  ServerOptions o;
  o.websocket.max_queued_bytes = 256 * 1024;
  StartServer(o);
  // A peer that completes the handshake and then never reads.
  RawClient slow(port_);
  ASSERT_NE(slow.WebSocketHandshake("/echo/slow").find("101"), std::string::npos);
  ASSERT_TRUE(side_.WaitOpen(1));
  std::shared_ptr<WebSocket> peer = side_.open[0];
  EventLog good_log;
  ASSERT_OK_AND_ASSIGN(auto good, ConnectSync(io_.executor(), Url("/echo/b"), &good_log));

  SharedBytes chunk = MakeSharedBytes(Bytes(64 * 1024, 0x42));
  Status st;
  std::size_t sent = 0;
  // Socket buffers absorb some megabytes first; then the queue grows past the bound.
  while ((st = peer->Send(chunk, MessageKind::kBinary)).ok()) {
    ++sent;
    ASSERT_LT(sent, 100000u) << "queue never filled";
  }
  EXPECT_THAT(st, StatusIs(StatusCode::kResourceExhausted));
  auto info = side_.WaitClosed(1);
  ASSERT_TRUE(info.has_value());
  EXPECT_THAT(info->status, StatusIs(StatusCode::kResourceExhausted));
  EXPECT_FALSE(peer->is_open());

  ASSERT_OK(good->Send(AsBytes("fine"), MessageKind::kText));
  ASSERT_TRUE(good_log.WaitMessages(1));
  good->Close();
  ASSERT_TRUE(good_log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, BackpressureIsVisibleAndQueueDrains) {
  StartServer();
  EventLog log;
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/q"), &log));
  ASSERT_TRUE(side_.WaitOpen(1));
  std::shared_ptr<WebSocket> peer = side_.open[0];
  SharedBytes chunk = MakeSharedBytes(Bytes(1 << 20, 0x43));
  for (int i = 0; i < 8; ++i) ASSERT_OK(peer->Send(chunk, MessageKind::kBinary));
  EXPECT_GT(peer->queued_bytes(), 0u);
  ASSERT_TRUE(log.WaitMessages(8));
  // Everything arrived, so the queue is empty.
  EXPECT_EQ(peer->queued_bytes(), 0u);
  ws->Close();
  ASSERT_TRUE(log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, PeerThatNeverAnswersPingsIsDropped) {
  ServerOptions o;
  o.websocket.ping_interval = std::chrono::milliseconds(20);
  o.websocket.pong_timeout = std::chrono::milliseconds(20);
  StartServer(o);
  RawClient mute(port_);
  ASSERT_NE(mute.WebSocketHandshake("/echo/mute").find("101"), std::string::npos);
  // The first frame the server sends is a ping (opcode 0x9).
  std::string frame = mute.ReadExactly(2);
  ASSERT_EQ(frame.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x89);
  auto info = side_.WaitClosed(1);
  ASSERT_TRUE(info.has_value());
  EXPECT_THAT(info->status, StatusIs(StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(mute.WaitForClose());
}

TEST_F(WebSocketTest, ProtocolViolationClosesWith1002) {
  StartServer();
  RawClient bad(port_);
  ASSERT_NE(bad.WebSocketHandshake("/echo/bad").find("101"), std::string::npos);
  // An unmasked client frame violates RFC 6455 §5.1.
  bad.Write(std::string("\x82\x03" "abc", 5));
  std::string close = bad.ReadExactly(4);
  ASSERT_GE(close.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(close[0]), 0x88);
  EXPECT_EQ((static_cast<unsigned char>(close[2]) << 8) | static_cast<unsigned char>(close[3]),
            1002);
  auto info = side_.WaitClosed(1);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, CloseCode::kProtocolError);
  EXPECT_THAT(info->status, StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(WebSocketTest, RandomBytesAfterHandshakeEndTheConnectionNotTheServer) {
  StartServer();
  std::mt19937 rng(20261122);  // fixed seed
  for (int round = 0; round < 40; ++round) {
    RawClient c(port_);
    ASSERT_NE(c.WebSocketHandshake("/echo/fuzz").find("101"), std::string::npos);
    std::string junk(1 + rng() % 600, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    c.Write(junk);
    c.socket().shutdown(asio::ip::tcp::socket::shutdown_send);
    EXPECT_TRUE(c.WaitForClose());
  }
  // Every connection ended with a reported close; the server still echoes.
  for (int i = 1; i <= 40; ++i) ASSERT_TRUE(side_.WaitClosed(i).has_value());
  EventLog log;
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/after"), &log));
  ASSERT_OK(ws->Send(AsBytes("alive"), MessageKind::kText));
  ASSERT_TRUE(log.WaitMessages(1));
  ws->Close();
  ASSERT_TRUE(log.WaitClosed().has_value());
}

TEST_F(WebSocketTest, GracefulStopSendsGoingAwayToEveryClient) {
  StartServer();
  std::vector<std::unique_ptr<EventLog>> logs;
  std::vector<std::shared_ptr<WebSocket>> sockets;
  for (int i = 0; i < 3; ++i) {
    logs.push_back(std::make_unique<EventLog>());
    ASSERT_OK_AND_ASSIGN(auto ws, ConnectSync(io_.executor(), Url("/echo/s"), logs.back().get()));
    sockets.push_back(ws);
  }
  ASSERT_TRUE(side_.WaitOpen(3));
  testing::StopAndWait(*server_);
  for (auto& log : logs) {
    auto info = log->WaitClosed();
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->code, CloseCode::kGoingAway);
    EXPECT_TRUE(info->by_peer);
  }
  for (int i = 1; i <= 3; ++i) {
    auto info = side_.WaitClosed(i);
    ASSERT_TRUE(info.has_value());
    EXPECT_THAT(info->status, StatusIs(StatusCode::kCancelled));
    EXPECT_EQ(info->code, CloseCode::kGoingAway);
  }
  EXPECT_EQ(server_->stats().open_connections, 0u);
  EXPECT_EQ(server_->stats().open_websockets, 0u);
}

TEST_F(WebSocketTest, MessageQueueGivesBlockingReceive) {
  StartServer();
  WebSocketMessageQueue queue;
  ASSERT_OK_AND_ASSIGN(auto ws, ConnectWebSocketSync(io_.executor(), Url("/echo/q"), {},
                                                     queue.Handlers()));
  // Nothing was sent, so nothing can arrive.
  EXPECT_THAT(queue.Receive(std::chrono::milliseconds(1)),
              StatusIs(StatusCode::kDeadlineExceeded));
  ASSERT_OK(ws->Send(AsBytes("ping"), MessageKind::kText));
  ASSERT_OK_AND_ASSIGN(auto m, queue.Receive(testing::kEventTimeout));
  EXPECT_EQ(m.text(), "ping");
  EXPECT_EQ(m.kind, MessageKind::kText);
  ws->Close(CloseCode::kNormal, "done");
  auto info = queue.WaitClosed(testing::kEventTimeout);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->code, CloseCode::kNormal);
  EXPECT_THAT(queue.Receive(testing::kEventTimeout), StatusIs(StatusCode::kCancelled));
}

TEST_F(WebSocketTest, ClientReportsConnectErrors) {
  StartServer();
  EventLog log;
  EXPECT_THAT(ConnectSync(io_.executor(), "http://127.0.0.1/", &log),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ConnectSync(io_.executor(), "ws://127.0.0.1:99999/", &log),
              StatusIs(StatusCode::kInvalidArgument));
  // A port nobody listens on: bind one, close it, connect.
  std::uint16_t dead_port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_port = a.local_endpoint().port();
  }
  EXPECT_THAT(ConnectSync(io_.executor(), "ws://127.0.0.1:" + std::to_string(dead_port) + "/",
                          &log),
              StatusIs(StatusCode::kUnavailable));
  EXPECT_FALSE(log.closed());
}

}  // namespace
}  // namespace codesphere::net
