// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "tests/net/net_test_util.h"

#include <charconv>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>

namespace codesphere::net::testing {

IoThreads::IoThreads(int threads) : work_(asio::make_work_guard(io_)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

IoThreads::~IoThreads() {
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
}

RawClient::RawClient(std::uint16_t port) : socket_(io_) {
  socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void RawClient::Write(std::string_view bytes) {
  std::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

std::string RawClient::ReadAll() {
  std::string out = std::move(buffered_);
  buffered_.clear();
  char buf[65536];
  for (;;) {
    std::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

std::string RawClient::ReadUntil(std::string_view delimiter) {
  char buf[4096];
  while (buffered_.find(delimiter) == std::string::npos) {
    std::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    buffered_.append(buf, n);
    if (ec) break;
  }
  std::size_t end = buffered_.find(delimiter);
  end = end == std::string::npos ? buffered_.size() : end + delimiter.size();
  std::string out = buffered_.substr(0, end);
  buffered_.erase(0, end);
  return out;
}

std::string RawClient::ReadExactly(std::size_t n) {
  char buf[65536];
  while (buffered_.size() < n) {
    std::error_code ec;
    std::size_t got = socket_.read_some(asio::buffer(buf), ec);
    buffered_.append(buf, got);
    if (ec) break;
  }
  std::size_t take = std::min(n, buffered_.size());
  std::string out = buffered_.substr(0, take);
  buffered_.erase(0, take);
  return out;
}

std::string RawClient::ReadResponse() {
  std::string head = ReadUntil("\r\n\r\n");
  if (head.find("\r\n\r\n") == std::string::npos) return head;
  std::size_t length = 0;
  std::size_t pos = head.find("Content-Length: ");
  if (pos != std::string::npos) {
    const char* begin = head.data() + pos + 16;
    std::from_chars(begin, head.data() + head.size(), length);
  }
  return head + ReadExactly(length);
}

bool RawClient::WaitForClose() {
  char buf[65536];
  for (;;) {
    std::error_code ec;
    socket_.read_some(asio::buffer(buf), ec);
    if (ec) return true;
  }
}

std::string RawClient::WebSocketHandshake(std::string_view path) {
  std::string req = "GET " + std::string(path) +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n";
  Write(req);
  return ReadUntil("\r\n\r\n");
}

int StatusOf(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return 0;
  int status = 0;
  std::from_chars(response.data() + 9, response.data() + 12, status);
  return status;
}

std::string BodyOf(std::string_view response) {
  std::size_t end = response.find("\r\n\r\n");
  return end == std::string_view::npos ? std::string() : std::string(response.substr(end + 4));
}

std::string HttpRequestRaw(std::uint16_t port, std::string_view request) {
  RawClient c(port);
  c.Write(request);
  return c.ReadResponse();
}

bool EventLog::WaitMessages(std::size_t n) {
  while (received_.size() < n) {
    Result<WebSocketMessageQueue::Message> m = queue_.Receive(kEventTimeout);
    if (!m.has_value()) return false;
    received_.push_back({std::string(m->text()), m->kind});
  }
  return true;
}

Result<std::shared_ptr<WebSocket>> ConnectSync(asio::any_io_executor ex, const std::string& url,
                                               EventLog* log, WebSocketClientOptions options) {
  return ConnectWebSocketSync(std::move(ex), url, std::move(options), log->Handlers());
}

void StopAndWait(Server& server) {
  std::promise<void> done;
  server.Stop([&done] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(kEventTimeout), std::future_status::ready);
}

}  // namespace codesphere::net::testing
