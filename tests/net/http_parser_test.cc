// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/http_parser.h"
#include "net/transport.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::net::internal {
namespace {

using ::codesphere::testing::StatusIs;

TEST(HttpParserTest, ParsesRequestHead) {
  std::string head =
      "GET /api/files?path=a%20b&x=1 HTTP/1.1\r\nHost: MyProject.localhost:8080\r\n"
      "X-Multi: a\r\nx-multi: b\r\nConnection: keep-alive, Upgrade\r\n\r\n";
  ASSERT_EQ(FindHeadEnd(head + "tail"), head.size());
  ASSERT_OK_AND_ASSIGN(HttpRequest req, ParseRequestHead(head));
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/api/files?path=a%20b&x=1");
  EXPECT_EQ(req.path, "/api/files");
  EXPECT_EQ(req.query, "path=a%20b&x=1");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_EQ(req.host(), "myproject.localhost");
  EXPECT_EQ(req.headers.Get("x-MULTI").value_or(""), "a");
  EXPECT_TRUE(req.headers.HasToken("connection", "upgrade"));
  EXPECT_EQ(QueryParam(req.query, "path").value_or(""), "a b");
  EXPECT_EQ(QueryParam(req.query, "x").value_or(""), "1");
  EXPECT_FALSE(QueryParam(req.query, "y").has_value());
}

TEST(HttpParserTest, IncompleteHeadIsNotFound) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), 0u);
}

TEST(HttpParserTest, RejectsMalformedHeads) {
  for (const char* bad : {
           "GET /\r\n\r\n",                                         // no version
           "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",                    // double space
           "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n",          // absolute form
           "GET / HTTP/1.1\r\n\r\n",                                // no Host
           "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",         // obs-fold
           "GET / HTTP/1.1\r\nHost x\r\n\r\n",                      // no colon
           "GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n",      // space in name
           "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
           "Transfer-Encoding: chunked\r\n\r\n",
           "G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n",
       }) {
    EXPECT_THAT(ParseRequestHead(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(ParseRequestHead("GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(ParseRequestHead("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
              StatusIs(StatusCode::kUnimplemented));
}

TEST(HttpParserTest, KeepAliveRules) {
  ASSERT_OK_AND_ASSIGN(HttpRequest r11, ParseRequestHead("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(KeepAlive(r11));
  ASSERT_OK_AND_ASSIGN(HttpRequest r10, ParseRequestHead("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_FALSE(KeepAlive(r10));
  ASSERT_OK_AND_ASSIGN(HttpRequest close,
                       ParseRequestHead("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(KeepAlive(close));
}

TEST(HttpParserTest, DecodesChunkedBodyAcrossFeeds) {
  std::string wire = "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\nNEXT";
  ChunkedDecoder decoder;
  Bytes body;
  std::size_t offset = 0;
  // One byte at a time: every state must survive a split.
  while (!decoder.done()) {
    ASSERT_LT(offset, wire.size());
    ASSERT_OK_AND_ASSIGN(std::size_t used,
                         decoder.Feed(std::string_view(wire).substr(offset, 1), &body, 1024));
    offset += used;
  }
  EXPECT_EQ(AsStringView(body), "Wikipedia in \r\n\r\nchunks.");
  EXPECT_EQ(wire.substr(offset), "NEXT");
}

TEST(HttpParserTest, ChunkedBodyErrors) {
  {
    ChunkedDecoder d;
    Bytes body;
    EXPECT_THAT(d.Feed("zz\r\n", &body, 100), StatusIs(StatusCode::kInvalidArgument));
  }
  {
    ChunkedDecoder d;
    Bytes body;
    EXPECT_THAT(d.Feed("65\r\n", &body, 100), StatusIs(StatusCode::kResourceExhausted));
  }
  {
    ChunkedDecoder d;
    Bytes body;
    EXPECT_THAT(d.Feed("1\r\nab\r\n", &body, 100), StatusIs(StatusCode::kInvalidArgument));
  }
}

TEST(HttpParserTest, SerializesResponse) {
  HttpResponse r = HttpResponse::Text(404, "nope");
  r.headers.Add("X-Evil", "a\r\nInjected: 1");
  r.headers.Add("Content-Length", "999");
  std::string head = SerializeResponseHead(r, true);
  EXPECT_EQ(head,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 4\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpParserTest, ProxyHeadRewritesTargetAndForwardedHeaders) {
  ASSERT_OK_AND_ASSIGN(
      HttpRequest req,
      ParseRequestHead("GET /preview/p1/app.js?v=2 HTTP/1.1\r\nHost: localhost:8080\r\n"
                       "Connection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\nAccept: */*\r\n\r\n"));
  req.remote_address = "127.0.0.1:5555";
  std::string head = SerializeProxyRequestHead(req, "/app.js?v=2", {{"Host", "localhost:5173"}},
                                               /*upgrade=*/false);
  EXPECT_EQ(head,
            "GET /app.js?v=2 HTTP/1.1\r\nAccept: */*\r\nHost: localhost:5173\r\n"
            "X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Host: localhost:8080\r\n"
            "X-Forwarded-Proto: http\r\nConnection: close\r\n\r\n");
}

TEST(HttpParserTest, PercentDecode) {
  EXPECT_EQ(PercentDecode("a%2Fb+c").value(), "a/b+c");
  EXPECT_EQ(PercentDecode("a%2Fb+c", true).value(), "a/b c");
  EXPECT_THAT(PercentDecode("%4"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%zz"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(HttpParserTest, ServerFrameHeaderLengths) {
  OutChunk c;
  EncodeServerFrameHeader(2, 125, &c);
  EXPECT_EQ(c.header_size, 2);
  EXPECT_EQ(c.header[0], 0x82);
  EXPECT_EQ(c.header[1], 125);
  EncodeServerFrameHeader(1, 126, &c);
  EXPECT_EQ(c.header_size, 4);
  EXPECT_EQ(c.header[0], 0x81);
  EXPECT_EQ(c.header[1], 126);
  EXPECT_EQ(c.header[2], 0);
  EXPECT_EQ(c.header[3], 126);
  EncodeServerFrameHeader(2, 0x10000, &c);
  EXPECT_EQ(c.header_size, 10);
  EXPECT_EQ(c.header[1], 127);
  EXPECT_EQ(c.header[7], 1);
  EXPECT_EQ(c.header[9], 0);
}

}  // namespace
}  // namespace codesphere::net::internal
