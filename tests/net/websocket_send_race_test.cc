// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Server data frames are written from the sender's thread (Transport::Send); a close started
// on the connection's strand meanwhile must still be the last frame on the wire, and every
// send that reported OK must arrive before it.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codesphere/net/server.h"
#include "codesphere/net/websocket.h"
#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::net {
namespace {

struct Frame {
  int opcode;
  std::string payload;
};

// Parses unmasked server frames; stops at a truncated tail.
std::vector<Frame> ParseFrames(const std::string& wire) {
  std::vector<Frame> frames;
  std::size_t pos = 0;
  while (pos + 2 <= wire.size()) {
    int opcode = static_cast<unsigned char>(wire[pos]) & 0x0f;
    std::uint64_t len = static_cast<unsigned char>(wire[pos + 1]) & 0x7f;
    std::size_t head = 2;
    if (len == 126) {
      if (pos + 4 > wire.size()) break;
      len = (std::uint64_t{static_cast<unsigned char>(wire[pos + 2])} << 8) |
            static_cast<unsigned char>(wire[pos + 3]);
      head = 4;
    } else if (len == 127) {
      if (pos + 10 > wire.size()) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(wire[pos + 2 + i]);
      head = 10;
    }
    if (pos + head + len > wire.size()) break;
    frames.push_back({opcode, wire.substr(pos + head, len)});
    pos += head + len;
  }
  return frames;
}

TEST(WebSocketSendRaceTest, SendsFromOtherThreadsNeverFollowTheCloseFrame) {
  for (int round = 0; round < 10; ++round) {
    testing::IoThreads io;
    ServerOptions options;
    options.websocket.close_timeout = std::chrono::milliseconds(200);
    ASSERT_OK_AND_ASSIGN(auto server, Server::Create(io.executor(), options));
    std::mutex mu;
    std::condition_variable cv;
    std::shared_ptr<WebSocket> peer;
    server->HandleWebSocket("/", [&](const HttpRequest&, UpgradeResponder r) {
      r.Accept(WebSocketHandlers(), [&](std::shared_ptr<WebSocket> ws) {
        std::lock_guard<std::mutex> lock(mu);
        peer = std::move(ws);
        cv.notify_all();
      });
    });
    server->Start();
    testing::RawClient raw(server->port());
    ASSERT_NE(raw.WebSocketHandshake("/race").find("101"), std::string::npos);
    ASSERT_TRUE(testing::WaitFor(mu, cv, [&] { return peer != nullptr; }));

    SharedBytes payload = MakeSharedBytes(Bytes(100, 0x61));
    std::atomic<int> accepted{0};
    std::vector<std::thread> senders;
    for (int t = 0; t < 3; ++t) {
      senders.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) {
          if (!peer->Send(payload, MessageKind::kBinary).ok()) return;
          accepted.fetch_add(1);
        }
      });
    }
    while (accepted.load() < 50 * (round % 10 + 1)) std::this_thread::yield();
    peer->Close(static_cast<CloseCode>(4001), "race");
    for (auto& t : senders) t.join();

    // The server gives up waiting for our close reply after close_timeout and closes.
    std::vector<Frame> frames = ParseFrames(raw.ReadAll());
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(frames.back().opcode, 8) << "the close frame is the last frame";
    int data = 0;
    for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
      ASSERT_EQ(frames[i].opcode, 2) << "frame " << i;
      ASSERT_EQ(frames[i].payload, std::string(100, 'a'));
      ++data;
    }
    EXPECT_EQ(data, accepted.load()) << "every accepted send arrived before the close frame";
    testing::StopAndWait(*server);
  }
}

}  // namespace
}  // namespace codesphere::net
