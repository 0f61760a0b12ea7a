// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/pty/multiplexer.h"

#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "tests/pty/fakes.h"
#include "tests/pty/pty_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::pty {
namespace {

using ::codesphere::pty::testing::FakePty;
using ::codesphere::pty::testing::FakeSink;
using ::codesphere::pty::testing::RunUntil;
using ::codesphere::testing::StatusIs;

class MultiplexerTest : public ::testing::Test {
 protected:
  void SetUp() override { mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_); }

  // Adopts a FakePty; returns its id. The FakePty stays owned by the session.
  SessionId NewFakeSession(SessionOptions o = {}) {
    auto pty = std::make_unique<FakePty>(mux_->get_executor());
    pty_ = pty.get();
    auto id = mux_->AdoptSession(std::move(o), std::move(pty));
    EXPECT_OK(id);
    return *id;
  }
  std::shared_ptr<FakeSink> NewSink() { return std::make_shared<FakeSink>(mux_->get_executor()); }
  std::unique_ptr<Viewer> AttachOk(SessionId id, std::shared_ptr<FakeSink> sink,
                                   ViewerRole role = ViewerRole::kWriter, WindowSize size = {}) {
    auto v = mux_->Attach(id, ViewerOptions{role, size, true}, std::move(sink));
    EXPECT_OK(v);
    return v.ok() ? std::move(*v) : nullptr;
  }
  bool Until(const std::function<bool()>& done) { return RunUntil(io_, done); }

  asio::io_context io_;
  MultiplexerOptions options_;
  std::unique_ptr<Multiplexer> mux_;
  FakePty* pty_ = nullptr;
};

TEST_F(MultiplexerTest, AttachSendsStateThenScrollbackThenLiveOutput) {
  const SessionId id = NewFakeSession(SessionOptions{"", {"bash", "-l"}, {}, 0, false});
  pty_->Output("before-attach ");
  ASSERT_TRUE(Until([&] { return mux_->GetSession(id)->output_bytes == 14; }));
  auto sink = NewSink();
  auto viewer = AttachOk(id, sink);
  pty_->Output("live");
  ASSERT_TRUE(Until([&] { return sink->output == "before-attach live"; })) << sink->output;
  ASSERT_FALSE(sink->frames.empty());
  EXPECT_EQ(sink->frames[0].type, FrameType::kAttach);
  EXPECT_EQ(AsStringView(sink->frames[0].data), "bash -l");
  EXPECT_EQ(sink->frames[0].role, ViewerRole::kWriter);
  EXPECT_EQ(sink->frames[0].session, id);
}

TEST_F(MultiplexerTest, TwoViewersReceiveIdenticalOutput) {
  const SessionId id = NewFakeSession();
  auto a = NewSink(), b = NewSink();
  auto va = AttachOk(id, a);
  auto vb = AttachOk(id, b, ViewerRole::kReadOnly);
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const std::string line = "line " + std::to_string(i) + "\r\n";
    pty_->Output(line);
    expected += line;
  }
  ASSERT_TRUE(Until([&] { return a->output == expected && b->output == expected; }));
}

TEST_F(MultiplexerTest, ReadOnlyViewerInputNeverReachesTheProgram) {
  const SessionId id = NewFakeSession();
  auto ro = AttachOk(id, NewSink(), ViewerRole::kReadOnly);
  EXPECT_THAT(ro->Input(AsBytes("rm -rf /\r")), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ro->Signal(SIGINT), StatusIs(StatusCode::kPermissionDenied));
  auto w = AttachOk(id, NewSink());
  ASSERT_OK(w->Input(AsBytes("ls\r")));
  ASSERT_TRUE(Until([&] { return pty_->input == "ls\r"; }));
  EXPECT_TRUE(pty_->signals.empty());
  ASSERT_OK(w->Signal(SIGINT));
  EXPECT_EQ(pty_->signals, std::vector<int>{SIGINT});
  EXPECT_THAT(w->Signal(SIGSEGV), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(MultiplexerTest, QueryRepliesAreTakenFromOneWriterOnly) {
  const SessionId id = NewFakeSession();
  auto a = AttachOk(id, NewSink());
  auto b = AttachOk(id, NewSink());
  auto c = AttachOk(id, NewSink());
  // The program asked "ESC [ c"; all three terminals answer.
  for (auto* v : {a.get(), b.get(), c.get()}) ASSERT_OK(v->Input(AsBytes("\x1b[?1;2c")));
  ASSERT_TRUE(Until([&] { return !pty_->input.empty(); }));
  // B types: its keys pass, and it becomes the writer whose replies count.
  ASSERT_OK(b->Input(AsBytes("x")));
  for (auto* v : {a.get(), b.get(), c.get()}) ASSERT_OK(v->Input(AsBytes("\x1b[5;1R")));
  ASSERT_TRUE(Until([&] { return pty_->input.size() >= 13; }));
  EXPECT_EQ(pty_->input, "\x1b[?1;2cx\x1b[5;1R");
}

TEST_F(MultiplexerTest, SizeIsTheMostRecentWritersClampedAndBroadcast) {
  const SessionId id = NewFakeSession();
  auto sa = NewSink(), sr = NewSink();
  auto a = AttachOk(id, sa, ViewerRole::kWriter, WindowSize{100, 30});
  EXPECT_EQ(pty_->size(), (WindowSize{100, 30}));
  auto b = AttachOk(id, NewSink(), ViewerRole::kWriter, WindowSize{120, 40});
  EXPECT_EQ(pty_->size(), (WindowSize{120, 40}));
  auto ro = AttachOk(id, sr, ViewerRole::kReadOnly, WindowSize{50, 10});
  EXPECT_EQ(pty_->size(), (WindowSize{120, 40}));
  ASSERT_OK(ro->Resize(WindowSize{20, 5}));  // read-only sizes never win
  EXPECT_EQ(pty_->size(), (WindowSize{120, 40}));
  ASSERT_OK(a->Input(AsBytes("k")));  // A is active again: its size wins
  EXPECT_EQ(pty_->size(), (WindowSize{100, 30}));
  ASSERT_OK(b->Resize(WindowSize{60000, 60000}));
  EXPECT_EQ(pty_->size(), (WindowSize{1000, 500}));
  EXPECT_THAT(b->Resize(WindowSize{0, 10}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(pty_->size(), (WindowSize{1000, 500}));
  ASSERT_TRUE(Until([&] {
    return !sr->frames.empty() && sr->frames.back().type == FrameType::kResize &&
           sr->frames.back().size == WindowSize{1000, 500};
  }));
  // A storm of resizes changes nothing but the size.
  for (int i = 0; i < 5000; ++i) {
    ASSERT_OK(b->Resize(WindowSize{static_cast<std::uint16_t>(10 + i % 200), 24}));
  }
  EXPECT_EQ(pty_->size(), (WindowSize{10 + 4999 % 200, 24}));
}

TEST_F(MultiplexerTest, SlowViewerIsResyncedWhileOthersKeepReceiving) {
  options_.scrollback_bytes = 64 << 10;
  options_.viewer_lag_bytes = 16 << 10;
  mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
  const SessionId id = NewFakeSession();
  auto fast = NewSink(), slow = NewSink();
  auto vf = AttachOk(id, fast);
  auto vs = AttachOk(id, slow);
  slow->stalled = true;
  pty_->StartFlood();
  // The fast viewer keeps receiving far more than the scrollback holds.
  ASSERT_TRUE(Until([&] { return fast->output_bytes > (1u << 20); }));
  EXPECT_LE(slow->output_bytes, 0u);
  auto info = mux_->GetSession(id);
  ASSERT_OK(info);
  EXPECT_LE(info->scrollback_bytes, 64u << 10);
  // Released, the slow viewer is reset and replayed from the scrollback.
  slow->Release();
  ASSERT_TRUE(Until([&] { return slow->output.find("\x1b" "c") != std::string::npos; }));
  pty_->flood = false;
}

TEST_F(MultiplexerTest, ReadingPausesWhenEveryViewerIsBehind) {
  options_.viewer_lag_bytes = 32 << 10;
  mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
  const SessionId id = NewFakeSession();
  auto a = NewSink(), b = NewSink();
  auto va = AttachOk(id, a);
  auto vb = AttachOk(id, b);
  ASSERT_TRUE(Until([&] { return a->frames.size() == 1 && b->frames.size() == 1; }));
  a->stalled = b->stalled = true;
  pty_->StartFlood();
  ASSERT_TRUE(Until([&] { return mux_->GetSession(id)->output_paused; }));
  const std::uint64_t read_when_paused = pty_->flood_bytes;
  io_.restart();
  io_.poll();  // nothing is runnable: the reader waits for a viewer
  EXPECT_EQ(pty_->flood_bytes, read_when_paused);
  EXPECT_LE(read_when_paused, (32u << 10) + (64u << 10));
  // Input (Ctrl-C) still gets through while output is paused.
  ASSERT_OK(va->Input(AsBytes("\x03")));
  ASSERT_TRUE(Until([&] { return pty_->input == "\x03"; }));
  a->Release();
  ASSERT_TRUE(Until([&] { return pty_->flood_bytes > read_when_paused + (1u << 20); }));
  pty_->flood = false;
}

// The fair share: with a rate of 1 byte/s, a throttled flood would stall for hours, so each
// test below fails by its safety limit, not by a clock, if the policy is wrong.
class FairShareTest : public MultiplexerTest {
 protected:
  // Two sessions with a viewer each: `typed` (someone may type into it) and `flood`.
  void StartSessions(std::chrono::milliseconds interactive_window) {
    options_.flood_read_rate = 1;
    options_.interactive_window = interactive_window;
    mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
    typed_sink_ = NewSink();
    flood_sink_ = NewSink();
    typed_ = NewFakeSession();
    typed_pty_ = pty_;
    typist_ = AttachOk(typed_, typed_sink_);
    flood_ = NewFakeSession();
    flood_pty_ = pty_;
    flood_viewer_ = AttachOk(flood_, flood_sink_);
  }
  bool Throttled() { return mux_->GetSession(flood_)->output_throttled; }
  // Waits until the flood streams at full speed again (or the safety limit passes).
  bool StreamsAgain() {
    return Until([&] { return flood_sink_->output_bytes > (4u << 20) && !Throttled(); });
  }
  void TearDown() override {
    if (flood_pty_ != nullptr) flood_pty_->flood = false;
  }

  SessionId typed_ = 0, flood_ = 0;
  FakePty *typed_pty_ = nullptr, *flood_pty_ = nullptr;
  std::shared_ptr<FakeSink> typed_sink_, flood_sink_;
  std::unique_ptr<Viewer> typist_, flood_viewer_;
};

TEST_F(FairShareTest, AFloodAloneOrBesideQuietSessionsStreamsAtFullSpeed) {
  StartSessions(std::chrono::hours(1));
  typed_pty_->Output("prompt$ ");  // output alone does not make a session interactive
  ASSERT_OK(flood_viewer_->Input(AsBytes("yes\r")));  // typing into the flooding session itself
  flood_pty_->StartFlood();
  ASSERT_TRUE(StreamsAgain());
}

TEST_F(FairShareTest, AFloodGetsItsShareWhileAnotherSessionIsTyped) {
  StartSessions(std::chrono::hours(1));
  ASSERT_OK(typist_->Input(AsBytes("l")));
  flood_pty_->StartFlood();
  ASSERT_TRUE(Until([&] { return Throttled(); }));
  const std::uint64_t read_when_throttled = flood_pty_->flood_bytes;
  // One burst (max_read_bytes) ahead of the rate, plus the read that went past it.
  EXPECT_LE(read_when_throttled, 2 * options_.max_read_bytes);
  io_.restart();
  io_.poll();  // nothing is runnable: the flood waits for its share
  EXPECT_EQ(flood_pty_->flood_bytes, read_when_throttled);
  // The typed session is unaffected: input in, echo out.
  ASSERT_OK(typist_->Input(AsBytes("s")));
  ASSERT_TRUE(Until([&] { return typed_pty_->input == "ls"; }));
  typed_pty_->Output("ls");
  ASSERT_TRUE(Until([&] { return typed_sink_->output == "ls"; }));
  // The flooding session's own input (Ctrl-C) and its viewer are not held up either.
  ASSERT_OK(flood_viewer_->Input(AsBytes("\x03")));
  ASSERT_TRUE(Until([&] { return flood_pty_->input == "\x03"; }));
  ASSERT_TRUE(Until([&] { return flood_sink_->output_bytes == read_when_throttled; }));
  // Closing a throttled session ends its wait.
  ASSERT_OK(mux_->CloseSession(flood_));
  ASSERT_TRUE(Until([&] { return flood_sink_->Count(FrameType::kDetach) == 1; }));
  EXPECT_TRUE(flood_pty_->closed);
  EXPECT_EQ(flood_pty_->flood_bytes, read_when_throttled);
  flood_pty_ = nullptr;  // the closed session may be gone
}

TEST_F(FairShareTest, AFloodStreamsAgainOnceTheOtherSessionIsQuiet) {
  StartSessions(std::chrono::milliseconds(20));
  flood_pty_->StartFlood();
  // Keep typing until the flood is held (a slow run may take longer than the window).
  ASSERT_TRUE(Until([&] {
    EXPECT_OK(typist_->Input(AsBytes("x")));
    return Throttled();
  }));
  // Nobody types any more: after the interactive window the flood streams at full speed.
  ASSERT_TRUE(StreamsAgain());
}

TEST_F(FairShareTest, AFloodStreamsAgainOnceTheTypedSessionCloses) {
  StartSessions(std::chrono::milliseconds::max());  // "for ever" (must not overflow)
  ASSERT_OK(typist_->Input(AsBytes("x")));
  flood_pty_->StartFlood();
  ASSERT_TRUE(Until([&] { return Throttled(); }));
  ASSERT_OK(mux_->CloseSession(typed_));
  ASSERT_TRUE(StreamsAgain());
}

TEST_F(MultiplexerTest, SessionsOutliveTheirViewersAndReplayOnReconnect) {
  const SessionId id = NewFakeSession();
  {
    auto sink = NewSink();
    auto v = AttachOk(id, sink);
    pty_->Output("first ");
    ASSERT_TRUE(Until([&] { return sink->output == "first "; }));
  }
  pty_->Output("while-away ");
  ASSERT_TRUE(Until([&] { return mux_->GetSession(id)->output_bytes == 17; }));
  EXPECT_EQ(mux_->GetSession(id)->viewers, 0u);
  auto sink = NewSink();
  auto v = AttachOk(id, sink);
  ASSERT_TRUE(Until([&] { return sink->output == "first while-away "; }));
}

TEST_F(MultiplexerTest, ExitIsSentAfterTheLastOutput) {
  const SessionId id = NewFakeSession();
  int callbacks = 0;
  mux_->set_exit_callback([&](SessionId s, ExitStatus st) {
    EXPECT_EQ(s, id);
    EXPECT_EQ(st, (ExitStatus{3, 0}));
    ++callbacks;
  });
  auto sink = NewSink();
  auto v = AttachOk(id, sink);
  pty_->Output("bye");
  pty_->End(ExitStatus{3, 0});
  ASSERT_TRUE(Until([&] { return sink->Count(FrameType::kExit) == 1; }));
  EXPECT_EQ(sink->output, "bye");
  EXPECT_EQ(sink->frames.back().exit, (ExitStatus{3, 0}));
  EXPECT_EQ(callbacks, 1);
  EXPECT_THAT(v->Input(AsBytes("x")), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_TRUE(mux_->GetSession(id)->exited);
  // A late viewer still gets the scrollback and the exit.
  auto late = NewSink();
  auto lv = AttachOk(id, late);
  ASSERT_TRUE(Until([&] { return late->Count(FrameType::kExit) == 1; }));
  EXPECT_EQ(late->output, "bye");
}

TEST_F(MultiplexerTest, ClosingASessionDetachesItsViewers) {
  const SessionId id = NewFakeSession();
  auto sink = NewSink();
  auto v = AttachOk(id, sink);
  ASSERT_OK(mux_->CloseSession(id));
  ASSERT_TRUE(Until([&] { return sink->Count(FrameType::kDetach) == 1; }));
  EXPECT_FALSE(v->attached());
  EXPECT_THAT(v->Input(AsBytes("x")), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(mux_->GetSession(id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(mux_->CloseSession(id), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(mux_->ListSessions().empty());
}

TEST_F(MultiplexerTest, ADetachedViewerGetsNothingMore) {
  const SessionId id = NewFakeSession();
  auto sink = NewSink();
  auto w = AttachOk(id, sink);
  ASSERT_TRUE(Until([&] { return sink->frames.size() == 1; }));
  sink->stalled = true;
  pty_->Output("x");
  ASSERT_TRUE(Until([&] { return sink->in_flight == 1; }));
  auto other = AttachOk(id, NewSink(), ViewerRole::kWriter, WindowSize{99, 33});  // resize queued
  w.reset();
  sink->Release();
  pty_->Output("y");
  ASSERT_TRUE(Until([&] { return mux_->GetSession(id)->output_bytes == 2; }));
  io_.restart();
  io_.poll();
  // Only the send that was in flight when it detached was delivered.
  EXPECT_EQ(sink->Count(FrameType::kResize), 0u);
  EXPECT_EQ(sink->output, "x");
}

TEST_F(MultiplexerTest, UnviewedEphemeralSessionsClose) {
  SessionOptions o;
  o.close_when_unviewed = true;
  const SessionId id = NewFakeSession(o);
  auto v = AttachOk(id, NewSink());
  v.reset();
  ASSERT_TRUE(Until([&] { return mux_->ListSessions().empty(); }));
}

TEST_F(MultiplexerTest, FailingSinkDetachesOnlyItsViewer) {
  const SessionId id = NewFakeSession();
  auto bad = NewSink(), good = NewSink();
  bad->fail = true;
  auto vb = AttachOk(id, bad);
  auto vg = AttachOk(id, good);
  pty_->Output("x");
  ASSERT_TRUE(Until([&] { return !vb->attached() && good->output == "x"; }));
  EXPECT_EQ(mux_->GetSession(id)->viewers, 1u);
}

TEST_F(MultiplexerTest, InputForAProgramThatDoesNotReadIsBounded) {
  options_.max_pending_input = 1000;
  mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
  const SessionId id = NewFakeSession();
  pty_->block_input = true;
  auto v = AttachOk(id, NewSink());
  ASSERT_OK(v->Input(Bytes(600, 'a')));
  EXPECT_THAT(v->Input(Bytes(600, 'b')), StatusIs(StatusCode::kResourceExhausted));
  pty_->Unblock();
  ASSERT_TRUE(Until([&] { return pty_->input.size() == 600; }));
  ASSERT_OK(v->Input(Bytes(600, 'c')));
}

TEST_F(MultiplexerTest, TraceObservesInputAndOutputPaths) {
  struct Event {
    TracePoint point;
    SessionId session;
    std::size_t bytes;
  };
  std::vector<Event> events;
  options_.trace = [&](TracePoint p, SessionId s, std::size_t n) { events.push_back({p, s, n}); };
  mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
  const SessionId id = NewFakeSession();
  auto sink = NewSink();
  auto viewer = AttachOk(id, sink);
  ASSERT_OK(viewer->Input(AsBytes("ab")));
  ASSERT_TRUE(Until([&] { return pty_->input == "ab"; }));
  pty_->Output("hello");
  ASSERT_TRUE(Until([&] { return sink->output == "hello"; }));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].point, TracePoint::kInputWritten);
  EXPECT_EQ(events[1].point, TracePoint::kOutputRead);
  EXPECT_EQ(events[2].point, TracePoint::kOutputSent);
  for (const Event& e : events) EXPECT_EQ(e.session, id);
  EXPECT_EQ(events[0].bytes, 2u);
  EXPECT_EQ(events[1].bytes, 5u);
  EXPECT_EQ(events[2].bytes, 5u);
}

TEST_F(MultiplexerTest, LimitsAndUnknownSessions) {
  options_.max_viewers_per_session = 2;
  options_.max_sessions = 1;
  mux_ = std::make_unique<Multiplexer>(io_.get_executor(), options_);
  const SessionId id = NewFakeSession();
  EXPECT_THAT(mux_->AdoptSession({}, std::make_unique<FakePty>(mux_->get_executor())),
              StatusIs(StatusCode::kResourceExhausted));
  EXPECT_THAT(mux_->Attach(id + 100, {}, NewSink()), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(mux_->Attach(id, ViewerOptions{ViewerRole::kWriter, WindowSize{0, 0}, true}, NewSink()),
              StatusIs(StatusCode::kInvalidArgument));
  auto a = AttachOk(id, NewSink());
  auto b = AttachOk(id, NewSink());
  EXPECT_THAT(mux_->Attach(id, {}, NewSink()), StatusIs(StatusCode::kResourceExhausted));
}

TEST_F(MultiplexerTest, RunsARealShell) {
  auto id = mux_->CreateSession(
      SessionOptions{"sh", {"/bin/sh"}, WindowSize{90, 20}, 0, false},
      NewLocalProcessStarter({{"/bin/sh", "-c", "stty size; read x; echo got-$x; exit 5"}, {}, {}}));
  ASSERT_OK(id);
  auto sink = NewSink();
  auto v = AttachOk(*id, sink, ViewerRole::kWriter, WindowSize{90, 20});
  ASSERT_TRUE(Until([&] { return sink->output.find("20 90") != std::string::npos; }))
      << sink->output;
  ASSERT_OK(v->Input(AsBytes("hello\r")));
  ASSERT_TRUE(Until([&] { return sink->Count(FrameType::kExit) == 1; })) << sink->output;
  EXPECT_NE(sink->output.find("got-hello"), std::string::npos) << sink->output;
  EXPECT_EQ(sink->frames.back().exit, (ExitStatus{5, 0}));
  EXPECT_GT(mux_->GetSession(*id)->pid, 0);
}

}  // namespace
}  // namespace codesphere::pty
