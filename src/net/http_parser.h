// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// HTTP/1.1 wire format (RFC 9112): request heads, body framing (Content-Length, chunked) and
// response heads. Strict by design: anything ambiguous (conflicting lengths, both
// Transfer-Encoding and Content-Length, folded headers, bare LF) is refused, since the same
// bytes may be forwarded to an upstream (request smuggling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/net/http.h"

namespace codesphere::net::internal {

// The size of the head at the start of `buffer` including its final CRLF CRLF, or 0 if the
// head is not complete yet.
std::size_t FindHeadEnd(std::string_view buffer);

// Parses a complete request head (as delimited by FindHeadEnd). Errors: kInvalidArgument
// (malformed -> 400), kUnimplemented (unsupported transfer coding -> 501),
// kFailedPrecondition (HTTP version other than 1.0/1.1 -> 505).
Result<HttpRequest> ParseRequestHead(std::string_view head);

// The HTTP status to answer for a ParseRequestHead / body error.
int HttpStatusForParseError(const Status& error);

// How the body of a request is delimited.
struct BodyFraming {
  bool chunked = false;
  std::uint64_t length = 0;  // when not chunked
};
// From Content-Length / Transfer-Encoding (already validated by ParseRequestHead).
BodyFraming GetBodyFraming(const HttpRequest& request);

// True if the request asks for a WebSocket upgrade (GET, Connection: upgrade,
// Upgrade: websocket).
bool IsWebSocketUpgrade(const HttpRequest& request);
// True if the request carries any Upgrade (websocket or other protocols; proxied as-is).
bool IsUpgrade(const HttpRequest& request);
// True if the connection stays open after answering `request`.
bool KeepAlive(const HttpRequest& request);

// Incremental decoder of a chunked body (RFC 9112 §7.1); trailers are read and dropped.
//
// Thread-safety: thread-compatible (external synchronization).
class ChunkedDecoder {
 public:
  // Consumes bytes from `in`, appending decoded data to `*body`. Returns the number of bytes
  // consumed; `done()` turns true after the last chunk and trailers. Errors: kInvalidArgument
  // for malformed framing, kResourceExhausted when the body would exceed `max_body`.
  Result<std::size_t> Feed(std::string_view in, Bytes* body, std::size_t max_body);
  bool done() const { return state_ == State::kDone; }

 private:
  enum class State { kSize, kData, kDataCrlf, kTrailer, kDone };
  State state_ = State::kSize;
  std::string line_;
  std::uint64_t remaining_ = 0;
};

// "HTTP/1.1 <status> <reason>" head with the response's headers (fields containing CR or LF
// are dropped), Content-Length (omitted for 1xx/204/304) and Connection.
std::string SerializeResponseHead(const HttpResponse& response, bool keep_alive);

// The request head as forwarded by the proxy: `target`, the client's fields minus
// hop-by-hop ones (unless `upgrade`), `set_headers`, X-Forwarded-*, and `Connection: close`
// (plain) or the client's Connection/Upgrade fields (upgrade).
std::string SerializeProxyRequestHead(const HttpRequest& request, std::string_view target,
                                      const HttpHeaders& set_headers, bool upgrade);

}  // namespace codesphere::net::internal
