// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// HTTP/1.1 value types shared by the server and the client: headers, requests, responses,
// and the move-only `HttpResponder` a handler answers through (possibly later, from any thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"

namespace codesphere::net {

// An ordered list of header fields. Names keep the case they were given; lookups compare names
// case-insensitively (RFC 9110 §5.1). Repeated fields are kept as separate entries.
//
// Thread-safety: thread-compatible (external synchronization).
class HttpHeaders {
 public:
  using Entry = std::pair<std::string, std::string>;

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Entry> entries) : entries_(entries) {}

  // Appends a field (a repeated name adds another entry).
  void Add(std::string name, std::string value);
  // Replaces every field named `name` by one field.
  void Set(std::string name, std::string value);
  // Removes every field named `name`; returns how many were removed.
  std::size_t Remove(std::string_view name);
  // The value of the first field named `name`, or nullopt. The view lives until the headers
  // are modified.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Contains(std::string_view name) const { return Get(name).has_value(); }
  // True if a field named `name` holds `token` in its comma-separated list, compared
  // case-insensitively (e.g. `HasToken("Connection", "upgrade")` for "keep-alive, Upgrade").
  bool HasToken(std::string_view name, std::string_view token) const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// True if `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A parsed HTTP/1.x request (or, for WebSocket upgrades and proxy routes, its head only).
//
// Thread-safety: thread-compatible (external synchronization).
struct HttpRequest {
  // The method as sent, e.g. "GET". Methods are case-sensitive (RFC 9110 §9.1).
  std::string method;
  // The raw request-target, e.g. "/api/files?path=a%20b". Origin-form only: the server answers
  // absolute-form and authority-form targets with 400.
  std::string target;
  // The target up to '?', still percent-encoded ("/api/files"). Routing matches on it.
  std::string path;
  // The target after '?', without the '?', still percent-encoded; empty if none.
  std::string query;
  // 0 for HTTP/1.0, 1 for HTTP/1.1.
  int version_minor = 1;
  HttpHeaders headers;
  // The body (Content-Length or chunked, already de-chunked). Empty for upgrade and proxy
  // routes, whose bodies are not read by the server.
  Bytes body;
  // The peer's address as "ip:port" ("[::1]:5000" for IPv6).
  std::string remote_address;
  // True if the request arrived over TLS.
  bool secure = false;

  // The Host header without its port, lower-cased ("myproject.localhost"); empty if absent.
  std::string host() const;
  // The body viewed as text.
  std::string_view body_text() const { return AsStringView(body); }
};

// An HTTP response. The server adds `Content-Length` (and `Connection`, `Date` is not sent);
// a `Content-Length` set by the handler is replaced.
//
// Thread-safety: thread-compatible (external synchronization).
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  Bytes body;

  // A response with `content_type` and `body`.
  static HttpResponse WithBody(int status, std::string_view content_type, std::string_view body);
  // A "text/plain; charset=utf-8" response.
  static HttpResponse Text(int status, std::string_view body);
  // An "application/json" response (`json` must already be JSON text).
  static HttpResponse Json(int status, std::string_view json);
  // A text response for an error Status: status from `HttpStatusFromCode(s.code())`, body
  // `s.ToString()` plus a newline. REQUIRES: !s.ok().
  static HttpResponse FromStatus(const Status& s);

  std::string_view body_text() const { return AsStringView(body); }
};

// The standard reason phrase for `status` ("Not Found"); "Unknown" for unregistered codes.
std::string_view HttpReasonPhrase(int status);

// Decodes %XX escapes (and, if `plus_as_space`, '+' as ' ', as in query strings).
// Returns kInvalidArgument on a malformed escape ("%4", "%zz").
Result<std::string> PercentDecode(std::string_view s, bool plus_as_space = false);

// The percent-decoded value of the first `key=value` pair in a query string ("a=1&b=x%20y");
// nullopt if the key is absent or its value is malformed. A key without '=' yields "".
std::optional<std::string> QueryParam(std::string_view query, std::string_view key);

// The way a handler answers one request. Move-only; answer once with `Send`, from any thread,
// now or later (after async work). Destroying a responder that has not answered sends
// 500 Internal Server Error, so a request can never hang because a handler forgot it.
// A responder refers to its connection's strand: `Send` must have returned (or the responder
// been destroyed) before the server's io_context is destroyed, so work answering from its own
// threads is joined first (e.g. a thread pool joined before `Server::Stop`'s callback ends
// the process).
//
// Thread-safety: thread-compatible (external synchronization); `Send` may run on any thread.
class HttpResponder {
 public:
  HttpResponder() = default;
  // Wraps `send`, which receives the one response. Used by the server (and by tests that call
  // handlers directly).
  explicit HttpResponder(unique_function<void(HttpResponse)> send) : send_(std::move(send)) {}
  HttpResponder(HttpResponder&&) noexcept = default;
  HttpResponder& operator=(HttpResponder&& other) noexcept;
  HttpResponder(const HttpResponder&) = delete;
  HttpResponder& operator=(const HttpResponder&) = delete;
  ~HttpResponder();

  // Sends `response`. A second call is ignored.
  void Send(HttpResponse response);
  // True until `Send` ran (or after default construction: false).
  bool pending() const { return static_cast<bool>(send_); }

 private:
  unique_function<void(HttpResponse)> send_;
};

// Handles a plain HTTP request routed to it. Runs on the connection's strand; may answer
// later from any thread through `responder`. Requests on one connection are answered in order
// (HTTP/1.1 pipelining): the next request is read only after this one was answered.
using HttpHandler = unique_function<void(HttpRequest request, HttpResponder responder)>;

}  // namespace codesphere::net
