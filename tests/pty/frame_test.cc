// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/pty/frame.h"

#include <csignal>

#include <gtest/gtest.h>

#include "codesphere/base/encoding.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::pty {
namespace {

using ::codesphere::testing::StatusIs;

std::vector<Frame> AllKinds() {
  return {
      Frame::Output(1, ToBytes("hello\x1b[0m")),
      Frame::Input(2, ToBytes("ls\r")),
      Frame::Resize(3, WindowSize{132, 43}),
      Frame::Signal(4, SIGINT),
      Frame::Exit(5, ExitStatus{-3, 0}),
      Frame::Exit(5, ExitStatus{0, SIGKILL}),
      Frame::Attach(6, ViewerRole::kWriter, WindowSize{80, 24}, "bash"),
      Frame::Detach(7),
      Frame::Error(0xffffffff, NotFoundError("no session 9")),
      Frame::Error(0, InvalidArgumentError("malformed stream")),
  };
}

void ExpectSame(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.session, b.session);
  EXPECT_EQ(a.data, b.data);
  if (a.type == FrameType::kResize || a.type == FrameType::kAttach) {
    EXPECT_EQ(a.size, b.size);
  }
  if (a.type == FrameType::kAttach) {
    EXPECT_EQ(a.role, b.role);
  }
  if (a.type == FrameType::kSignal) {
    EXPECT_EQ(a.signal, b.signal);
  }
  if (a.type == FrameType::kExit) {
    EXPECT_EQ(a.exit, b.exit);
  }
  if (a.type == FrameType::kError) {
    EXPECT_EQ(a.error, b.error);
  }
}

TEST(FrameTest, EveryTypeRoundTrips) {
  for (const Frame& f : AllKinds()) {
    ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeFrame(f));
    ASSERT_OK_AND_ASSIGN(Frame back, DecodeFrame(wire));
    ExpectSame(f, back);
  }
}

TEST(FrameTest, LayoutIsBigEndianHeaderThenPayload) {
  ASSERT_OK_AND_ASSIGN(Bytes wire, EncodeFrame(Frame::Resize(0x01020304, WindowSize{80, 24})));
  EXPECT_EQ(ToHex(wire), "03" "01020304" "00000004" "0050" "0018");
}

TEST(FrameTest, DecodeRejectsMalformedFrames) {
  ASSERT_OK_AND_ASSIGN(Bytes good, EncodeFrame(Frame::Resize(1, WindowSize{80, 24})));
  EXPECT_THAT(DecodeFrame(Bytes{}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeFrame(ByteSpan(good).first(8)), StatusIs(StatusCode::kInvalidArgument));
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_THAT(DecodeFrame(truncated), StatusIs(StatusCode::kInvalidArgument));
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(DecodeFrame(trailing), StatusIs(StatusCode::kInvalidArgument));
  for (std::uint8_t type : {0, 9, 200, 255}) {
    Bytes unknown = good;
    unknown[0] = type;
    EXPECT_THAT(DecodeFrame(unknown), StatusIs(StatusCode::kInvalidArgument)) << int(type);
  }
  ASSERT_OK_AND_ASSIGN(Bytes conn_error, EncodeFrame(Frame::Error(0, DataLossError("bad"))));
  EXPECT_OK(DecodeFrame(conn_error));  // session 0: about the whole connection
  Bytes zero_session = good;
  zero_session[1] = zero_session[2] = zero_session[3] = zero_session[4] = 0;
  EXPECT_THAT(DecodeFrame(zero_session), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes zero_cols, FromHex("03 00000001 00000004 0000 0018"));
  EXPECT_THAT(DecodeFrame(zero_cols), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes bad_signal, FromHex("04 00000001 00000001 09"));  // SIGKILL? no: 9
  EXPECT_OK(DecodeFrame(bad_signal));  // KILL is allowed
  ASSERT_OK_AND_ASSIGN(Bytes segv, FromHex("04 00000001 00000001 0b"));
  EXPECT_THAT(DecodeFrame(segv), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes bad_role, FromHex("06 00000001 00000005 02 0050 0018"));
  EXPECT_THAT(DecodeFrame(bad_role), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes bad_code, FromHex("08 00000001 00000001 63"));
  EXPECT_THAT(DecodeFrame(bad_code), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes detach_payload, FromHex("07 00000001 00000001 00"));
  EXPECT_THAT(DecodeFrame(detach_payload), StatusIs(StatusCode::kInvalidArgument));
}

TEST(FrameTest, OversizedLengthIsRefusedBeforeThePayloadArrives) {
  FrameDecoder decoder(FrameLimits{.max_payload = 1024});
  ASSERT_OK_AND_ASSIGN(Bytes header, FromHex("01 00000001 7fffffff"));
  EXPECT_THAT(decoder.Feed(header), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(decoder.buffered(), 0u);
  // The error is sticky: the stream cannot be resynchronised.
  ASSERT_OK_AND_ASSIGN(Bytes good, EncodeFrame(Frame::Detach(1)));
  EXPECT_THAT(decoder.Feed(good), StatusIs(StatusCode::kInvalidArgument));
}

TEST(FrameTest, EncoderRefusesPayloadsOverTheLimit) {
  Frame big = Frame::Output(1, Bytes(2000, 'x'));
  EXPECT_THAT(EncodeFrame(big, FrameLimits{.max_payload = 1000}),
              StatusIs(StatusCode::kInvalidArgument));
  Bytes out = ToBytes("keep");
  EXPECT_THAT(AppendFrame(big, out, FrameLimits{.max_payload = 1000}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(out, ToBytes("keep"));
}

TEST(FrameTest, DecoderReassemblesFramesSplitAnywhere) {
  Bytes stream;
  for (const Frame& f : AllKinds()) ASSERT_OK(AppendFrame(f, stream));
  for (std::size_t step : {1u, 2u, 5u, 9u, 10u, 64u, 100000u}) {
    FrameDecoder decoder;
    std::vector<Frame> got;
    for (std::size_t i = 0; i < stream.size(); i += step) {
      ASSERT_OK_AND_ASSIGN(auto frames,
                           decoder.Feed(ByteSpan(stream).subspan(i, std::min(step, stream.size() - i))));
      for (auto& f : frames) got.push_back(std::move(f));
    }
    ASSERT_EQ(got.size(), AllKinds().size()) << "step " << step;
    for (std::size_t k = 0; k < got.size(); ++k) ExpectSame(AllKinds()[k], got[k]);
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(FrameTest, BrowserMessagesParse) {
  ASSERT_OK_AND_ASSIGN(Frame in, ParseBrowserMessage(3, AsBytes("0ls -l\r")));
  EXPECT_EQ(in.type, FrameType::kInput);
  EXPECT_EQ(in.session, 3u);
  EXPECT_EQ(AsStringView(in.data), "ls -l\r");
  ASSERT_OK_AND_ASSIGN(Frame rs, ParseBrowserMessage(3, AsBytes("1{\"cols\":120,\"rows\":40}")));
  EXPECT_EQ(rs.type, FrameType::kResize);
  EXPECT_EQ(rs.size, (WindowSize{120, 40}));
  ASSERT_OK_AND_ASSIGN(Frame sig, ParseBrowserMessage(3, AsBytes("2SIGINT")));
  EXPECT_EQ(sig.signal, SIGINT);
  ASSERT_OK_AND_ASSIGN(Frame sig2, ParseBrowserMessage(3, AsBytes("2term")));
  EXPECT_EQ(sig2.signal, SIGTERM);
}

TEST(FrameTest, BrowserMessagesRejectBadInput) {
  for (std::string_view bad :
       {"", "9abc", "1", "1{", "1[]", "1{\"cols\":0,\"rows\":24}", "1{\"cols\":-80,\"rows\":24}",
        "1{\"cols\":80,\"rows\":1e9}", "1{\"cols\":80.5,\"rows\":24}", "1{\"cols\":\"80\",\"rows\":24}",
        "1{\"rows\":24}", "2SEGV", "2", "299", "2SIGINTX"}) {
    EXPECT_THAT(ParseBrowserMessage(1, AsBytes(bad)), StatusIs(StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(FrameTest, BrowserEventsAreJson) {
  EXPECT_EQ(BrowserEventJson(Frame::Attach(2, ViewerRole::kReadOnly, WindowSize{80, 24}, "b\"sh")),
            "{\"type\":\"attach\",\"session\":2,\"role\":\"read-only\",\"cols\":80,\"rows\":24,"
            "\"title\":\"b\\\"sh\"}");
  EXPECT_EQ(BrowserEventJson(Frame::Exit(2, ExitStatus{3, 0})),
            "{\"type\":\"exit\",\"code\":3,\"signal\":0}");
  EXPECT_EQ(BrowserEventJson(Frame::Error(2, PermissionDeniedError("read-only"))),
            "{\"type\":\"error\",\"code\":\"PermissionDenied\",\"message\":\"read-only\"}");
  EXPECT_EQ(BrowserEventJson(Frame::Resize(2, WindowSize{100, 30})),
            "{\"type\":\"resize\",\"cols\":100,\"rows\":30}");
  EXPECT_EQ(BrowserEventJson(Frame::Detach(2)), "{\"type\":\"detach\"}");
  // Client bytes quoted in a message never make the text frame invalid UTF-8.
  auto bad = ParseTerminalSignal("\xff\xfeINT");
  ASSERT_FALSE(bad.ok());
  const std::string json = BrowserEventJson(Frame::Error(2, bad.error()));
  EXPECT_TRUE(lib0::IsValidUtf8(json)) << json;
}

TEST(FrameTest, SignalNamesAndRoles) {
  EXPECT_EQ(*ParseTerminalSignal("INT"), SIGINT);
  EXPECT_EQ(*ParseTerminalSignal("sigquit"), SIGQUIT);
  EXPECT_EQ(*ParseTerminalSignal("15"), SIGTERM);
  EXPECT_THAT(ParseTerminalSignal("11"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTerminalSignal("99999999999"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(*ParseViewerRole("writer"), ViewerRole::kWriter);
  EXPECT_EQ(*ParseViewerRole("read-only"), ViewerRole::kReadOnly);
  EXPECT_THAT(ParseViewerRole("admin"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace codesphere::pty
