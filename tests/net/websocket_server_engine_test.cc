// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The server-side RFC 6455 engine without sockets: bytes in, frames and events out.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/websocket_engine.h"

namespace codesphere::net::internal {
namespace {

struct Recorder : WebSocketEngineEvents {
  void OnEngineWrite(const char* data, std::size_t size) override { out.append(data, size); }
  void OnEngineOpen() override { open = true; }
  void OnEngineMessage(int opcode, const char* data, std::size_t size) override {
    messages.push_back({opcode, std::string(data, size)});
  }
  void OnEngineShutdown() override { shutdown = true; }
  void OnEngineEnd(const EngineEndInfo& i) override {
    ended = true;
    info = i;
  }
  struct Message {
    int opcode;
    std::string data;
  };
  std::string out;
  bool open = false;
  bool shutdown = false;
  bool ended = false;
  EngineEndInfo info;
  std::vector<Message> messages;
};

// A masked client frame (RFC 6455 §5.2).
std::string Frame(int opcode, const std::string& payload, bool fin = true, int rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
  std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  const char mask[4] = {0x0f, 0x5a, static_cast<char>(0xc3), 0x21};
  f.append(mask, 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

std::string ClosePayload(int code, const std::string& reason = "") {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  return p + reason;
}

class WebSocketServerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineParams p;
    p.key = "dGhlIHNhbXBsZSBub25jZQ==";
    p.max_message_size = 1000;
    engine_ = NewServerEngine(&events_, p);
    engine_->Start();
    ASSERT_TRUE(events_.open);
    handshake_ = events_.out;
    events_.out.clear();
  }
  // Feeds `bytes` whole; returns what the engine took.
  std::size_t Feed(const std::string& bytes) { return engine_->Feed(bytes.data(), bytes.size()); }
  // The close code of the (single) close frame the engine wrote.
  int WrittenCloseCode() const {
    const std::string& o = events_.out;
    if (o.size() < 4 || static_cast<unsigned char>(o[0]) != 0x88) return -1;
    return (static_cast<unsigned char>(o[2]) << 8) | static_cast<unsigned char>(o[3]);
  }

  Recorder events_;
  std::unique_ptr<WebSocketEngine> engine_;
  std::string handshake_;
};

TEST_F(WebSocketServerEngineTest, AnswersWithTheRfcAcceptKey) {
  // The example of RFC 6455 §1.3.
  EXPECT_EQ(WebSocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // More vectors (Python hashlib): another key, an empty one, and one spanning two SHA-1 blocks.
  EXPECT_EQ(WebSocketAcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  EXPECT_EQ(WebSocketAcceptKey(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
  EXPECT_EQ(WebSocketAcceptKey(std::string(100, 'a')), "+taVhj8zzaJPYE6HHo1ugamK/Ug=");
  EXPECT_EQ(handshake_.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(handshake_.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_EQ(handshake_.substr(handshake_.size() - 4), "\r\n\r\n");
}

TEST_F(WebSocketServerEngineTest, DeliversMessagesFedOneByteAtATime) {
  std::string bytes = Frame(2, std::string(300, 'x')) + Frame(1, "héllo") + Frame(2, "");
  for (char c : bytes) ASSERT_EQ(engine_->Feed(&c, 1), 1u);
  ASSERT_EQ(events_.messages.size(), 3u);
  EXPECT_EQ(events_.messages[0].opcode, 2);
  EXPECT_EQ(events_.messages[0].data, std::string(300, 'x'));
  EXPECT_EQ(events_.messages[1].opcode, 1);
  EXPECT_EQ(events_.messages[1].data, "héllo");
  EXPECT_EQ(events_.messages[2].data, "");
}

TEST_F(WebSocketServerEngineTest, ReassemblesFragmentsAroundAPing) {
  std::string bytes = Frame(1, "frag", false) + Frame(9, "p1") + Frame(0, "men", false) +
                      Frame(0, "ted", true);
  ASSERT_EQ(Feed(bytes), bytes.size());
  ASSERT_EQ(events_.messages.size(), 1u);
  EXPECT_EQ(events_.messages[0].opcode, 1);
  EXPECT_EQ(events_.messages[0].data, "fragmented");
  EXPECT_EQ(events_.out, std::string("\x8a\x02p1", 4));  // the pong echoes the ping payload
}

TEST_F(WebSocketServerEngineTest, EchoesThePeersCloseAndEndsCleanly) {
  ASSERT_EQ(Feed(Frame(8, ClosePayload(4001, "bye"))), Frame(8, ClosePayload(4001, "bye")).size());
  EXPECT_EQ(WrittenCloseCode(), 4001);
  EXPECT_TRUE(events_.shutdown);
  ASSERT_TRUE(events_.ended);
  EXPECT_TRUE(events_.info.clean);
  EXPECT_EQ(events_.info.remote_code, 4001);
  EXPECT_EQ(events_.info.remote_reason, "bye");
}

TEST_F(WebSocketServerEngineTest, AnEmptyCloseIsAnsweredWith1000) {
  Feed(Frame(8, ""));
  EXPECT_EQ(WrittenCloseCode(), 1000);
  ASSERT_TRUE(events_.ended);
  EXPECT_EQ(events_.info.remote_code, 1005);
}

TEST_F(WebSocketServerEngineTest, OurCloseCompletesOnThePeersReply) {
  engine_->Close(1001, "going away");
  EXPECT_EQ(WrittenCloseCode(), 1001);
  EXPECT_FALSE(engine_->IsOpen());
  Feed(Frame(2, "dropped after our close"));
  EXPECT_TRUE(events_.messages.empty());
  Feed(Frame(8, ClosePayload(1001)));
  ASSERT_TRUE(events_.ended);
  EXPECT_TRUE(events_.info.clean);
  EXPECT_EQ(events_.info.local_code, 1001);
}

struct Violation {
  const char* name;
  std::string bytes;
  int code;
};

TEST_F(WebSocketServerEngineTest, ProtocolViolationsAreAnsweredAndStopReading) {
  std::string unmasked("\x82\x03" "abc", 5);
  std::string long_ping = Frame(9, std::string(126, 'p'));
  std::string non_minimal("\x82\xfe\x00\x05\x00\x00\x00\x00" "abcde", 13);
  std::vector<Violation> cases = {
      {"unmasked", unmasked, 1002},
      {"rsv bits", Frame(2, "x", true, 4), 1002},
      {"unknown opcode", Frame(3, "x"), 1002},
      {"unknown control opcode", Frame(0xb, "x"), 1002},
      {"fragmented ping", Frame(9, "x", false), 1002},
      {"long ping", long_ping, 1002},
      {"continuation first", Frame(0, "x"), 1002},
      {"non-minimal length", non_minimal, 1002},
      {"too big", Frame(2, std::string(1001, 'b')), 1009},
      {"too big in fragments", Frame(2, std::string(600, 'b'), false) +
                                   Frame(0, std::string(600, 'b')), 1009},
      {"invalid utf-8", Frame(1, "\xc3\x28"), 1007},
      {"invalid utf-8 across fragments", Frame(1, "\xe2\x82", false) + Frame(0, "\x28"), 1007},
      {"reserved close code", Frame(8, ClosePayload(1005)), 1002},
      {"one-byte close", Frame(8, "\x03"), 1002},
      {"close reason not utf-8", Frame(8, ClosePayload(1000, "\xff")), 1007},
  };
  for (const Violation& v : cases) {
    SCOPED_TRACE(v.name);
    events_ = Recorder();
    SetUp();
    std::string bytes = Frame(2, "ok") + v.bytes + Frame(2, "never delivered");
    std::size_t used = Feed(bytes);
    EXPECT_LT(used, bytes.size());
    EXPECT_EQ(WrittenCloseCode(), v.code);
    EXPECT_EQ(engine_->LocalCloseCode(), v.code);
    EXPECT_FALSE(engine_->IsOpen());
    ASSERT_EQ(events_.messages.size(), 1u);
    EXPECT_EQ(events_.messages[0].data, "ok");
    EXPECT_FALSE(events_.ended);  // the owner ends the connection after flushing
  }
}

TEST_F(WebSocketServerEngineTest, RandomSplitsDeliverTheSameMessages) {
  std::mt19937 rng(20261122);  // fixed seed
  for (int round = 0; round < 200; ++round) {
    events_ = Recorder();
    SetUp();
    // Random valid traffic: binary messages (some fragmented, some around pings) of 0-70,000
    // bytes, fed in random-sized pieces.
    std::string bytes;
    std::vector<std::string> expected;
    int messages = 1 + static_cast<int>(rng() % 6);
    for (int m = 0; m < messages; ++m) {
      std::size_t size = rng() % 4 == 0 ? rng() % 70000 : rng() % 200;
      size = std::min<std::size_t>(size, 1000);  // the fixture's max_message_size
      std::string payload(size, '\0');
      for (char& c : payload) c = static_cast<char>(rng());
      expected.push_back(payload);
      std::size_t cut = payload.empty() ? 0 : rng() % payload.size();
      if (rng() % 2 == 0) {
        bytes += Frame(2, payload);
      } else {
        bytes += Frame(2, payload.substr(0, cut), false) + Frame(9, "k") +
                 Frame(0, payload.substr(cut), true);
      }
    }
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      std::size_t n = std::min<std::size_t>(bytes.size() - pos, 1 + rng() % 300);
      ASSERT_EQ(engine_->Feed(bytes.data() + pos, n), n);
      pos += n;
    }
    ASSERT_EQ(events_.messages.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(events_.messages[i].data, expected[i]);
    }
  }
}

TEST_F(WebSocketServerEngineTest, RandomBytesNeverCrashOrOverrun) {
  std::mt19937 rng(4);  // fixed seed
  for (int round = 0; round < 2000; ++round) {
    events_ = Recorder();
    SetUp();
    std::string junk(1 + rng() % 400, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (rng() % 2 == 0) junk[1] = static_cast<char>(junk[1] | 0x80);  // masked: parse deeper
    std::size_t pos = 0;
    while (pos < junk.size()) {
      std::size_t n = std::min<std::size_t>(junk.size() - pos, 1 + rng() % 64);
      std::size_t used = engine_->Feed(junk.data() + pos, n);
      ASSERT_LE(used, n);
      if (used < n) break;  // a protocol error: the owner stops feeding
      pos += n;
      if (events_.ended) break;
    }
  }
}

TEST_F(WebSocketServerEngineTest, TransportLossEndsUncleanly) {
  Feed(Frame(2, "partial").substr(0, 5));
  engine_->Eof();
  ASSERT_TRUE(events_.ended);
  EXPECT_FALSE(events_.info.clean);
  EXPECT_EQ(events_.info.remote_code, 1006);
  EXPECT_FALSE(events_.shutdown);
}

}  // namespace
}  // namespace codesphere::net::internal
