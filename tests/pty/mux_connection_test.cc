// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/pty/mux_connection.h"

#include <csignal>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "tests/pty/fakes.h"
#include "tests/pty/pty_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::pty {
namespace {

using ::codesphere::pty::testing::FakePty;
using ::codesphere::pty::testing::RunUntil;
using ::codesphere::testing::StatusIs;

// Decodes everything written, as the peer would.
class RecordingTransport final : public FrameTransport {
 public:
  asio::awaitable<Status> Write(Bytes frame) override {
    auto frames = decoder_.Feed(frame);
    if (!frames.ok()) co_return frames.error();
    for (auto& f : *frames) {
      if (f.type == FrameType::kOutput) output[f.session] += std::string(AsStringView(f.data));
      received.push_back(std::move(f));
    }
    co_return OkStatus();
  }
  std::vector<Frame> Of(FrameType t) const {
    std::vector<Frame> out;
    for (const auto& f : received) {
      if (f.type == t) out.push_back(f);
    }
    return out;
  }
  std::vector<Frame> received;
  std::map<SessionId, std::string> output;

 private:
  FrameDecoder decoder_;
};

class MuxConnectionTest : public ::testing::Test {
 protected:
  SessionId NewSession(FakePty** out) {
    auto pty = std::make_unique<FakePty>(mux_.get_executor());
    *out = pty.get();
    return *mux_.AdoptSession(SessionOptions{"t", {}, {}, 0, false}, std::move(pty));
  }
  Status Feed(MuxConnection& c, const Frame& f) { return c.OnBytes(*EncodeFrame(f)); }
  bool Until(const std::function<bool()>& done) { return RunUntil(io_, done); }

  asio::io_context io_;
  Multiplexer mux_{io_.get_executor()};
  std::shared_ptr<RecordingTransport> transport_ = std::make_shared<RecordingTransport>();
};

TEST_F(MuxConnectionTest, CarriesManySessionsOverOneConnection) {
  FakePty* p1;
  FakePty* p2;
  const SessionId s1 = NewSession(&p1);
  const SessionId s2 = NewSession(&p2);
  MuxConnection conn(mux_, transport_);
  ASSERT_OK(Feed(conn, Frame::Attach(s1, ViewerRole::kWriter, WindowSize{80, 24})));
  ASSERT_OK(Feed(conn, Frame::Attach(s2, ViewerRole::kWriter, WindowSize{100, 30})));
  EXPECT_EQ(conn.attached(), 2u);
  p1->Output("one");
  p2->Output("two");
  ASSERT_TRUE(Until([&] { return transport_->output[s1] == "one" && transport_->output[s2] == "two"; }));
  ASSERT_OK(Feed(conn, Frame::Input(s2, ToBytes("ls\r"))));
  ASSERT_OK(Feed(conn, Frame::Signal(s1, SIGINT)));
  ASSERT_TRUE(Until([&] { return p2->input == "ls\r"; }));
  EXPECT_EQ(p1->input, "");
  EXPECT_EQ(p1->signals, std::vector<int>{SIGINT});
  ASSERT_OK(Feed(conn, Frame::Detach(s1)));
  EXPECT_EQ(conn.attached(), 1u);
  EXPECT_EQ(mux_.GetSession(s1)->viewers, 0u);
}

TEST_F(MuxConnectionTest, RequestErrorsAreAnsweredAndTheConnectionStays) {
  FakePty* p;
  const SessionId s = NewSession(&p);
  MuxConnectionOptions o;
  o.max_role = ViewerRole::kReadOnly;
  MuxConnection conn(mux_, transport_, o);
  ASSERT_OK(Feed(conn, Frame::Input(s, ToBytes("x"))));  // not attached
  ASSERT_OK(Feed(conn, Frame::Attach(s + 50, ViewerRole::kWriter, WindowSize{})));  // unknown
  ASSERT_OK(Feed(conn, Frame::Attach(s, ViewerRole::kWriter, WindowSize{})));  // downgraded
  ASSERT_OK(Feed(conn, Frame::Attach(s, ViewerRole::kWriter, WindowSize{})));  // twice
  ASSERT_OK(Feed(conn, Frame::Input(s, ToBytes("rm -rf /\r"))));  // read-only
  ASSERT_OK(Feed(conn, Frame::Output(s, ToBytes("x"))));  // wrong direction
  ASSERT_TRUE(Until([&] { return transport_->Of(FrameType::kError).size() == 5; }));
  auto errors = transport_->Of(FrameType::kError);
  EXPECT_EQ(errors[0].error.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(errors[1].error.code(), StatusCode::kNotFound);
  EXPECT_EQ(errors[2].error.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(errors[3].error.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(errors[4].error.code(), StatusCode::kInvalidArgument);
  auto attach = transport_->Of(FrameType::kAttach);
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_EQ(attach[0].role, ViewerRole::kReadOnly);
  EXPECT_EQ(p->input, "");
}

TEST_F(MuxConnectionTest, MalformedStreamIsRefusedWithAConnectionError) {
  FakePty* p;
  const SessionId s = NewSession(&p);
  MuxConnection conn(mux_, transport_);
  Bytes wire = *EncodeFrame(Frame::Attach(s, ViewerRole::kWriter, WindowSize{}));
  // Fragmented delivery is fine.
  for (std::uint8_t b : wire) ASSERT_OK(conn.OnBytes(ByteSpan(&b, 1)));
  EXPECT_EQ(conn.attached(), 1u);
  Bytes unknown = *EncodeFrame(Frame::Detach(s));
  unknown[0] = 42;
  EXPECT_THAT(conn.OnBytes(unknown), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_TRUE(Until([&] {
    auto e = transport_->Of(FrameType::kError);
    return !e.empty() && e.back().session == 0;
  }));
}

}  // namespace
}  // namespace codesphere::pty
