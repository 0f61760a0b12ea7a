// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Test helpers for net: an io_context with worker threads, a blocking raw TCP client (for
// malformed HTTP and peers that misbehave on purpose), and a WebSocket client wrapper that
// turns callbacks into awaitable events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "codesphere/net/client.h"
#include "codesphere/net/server.h"
#include "gtest/gtest.h"

namespace codesphere::net::testing {

// Generous bound for waiting on events; a test failing to see an event in this time is broken,
// the bound only keeps a broken test from hanging.
inline constexpr std::chrono::seconds kEventTimeout{30};

// Waits for `pred` under `mu`/`cv`; returns false on kEventTimeout.
template <typename Pred>
bool WaitFor(std::mutex& mu, std::condition_variable& cv, Pred pred) {
  std::unique_lock<std::mutex> lock(mu);
  return cv.wait_for(lock, kEventTimeout, pred);
}

// An io_context run by `threads` threads for the lifetime of the object.
class IoThreads {
 public:
  explicit IoThreads(int threads = 2);
  ~IoThreads();
  asio::any_io_executor executor() { return io_.get_executor(); }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// A blocking TCP connection to 127.0.0.1:port.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  void Write(std::string_view bytes);
  // Reads until EOF (or error); returns everything read.
  std::string ReadAll();
  // Reads one HTTP response (head + Content-Length body); empty on EOF.
  std::string ReadResponse();
  // Reads at least `n` bytes (fewer on EOF).
  std::string ReadExactly(std::size_t n);
  // Reads until `delimiter` was seen; returns everything read so far.
  std::string ReadUntil(std::string_view delimiter);
  // True if the peer closed the connection (reads until EOF or reset).
  bool WaitForClose();
  // Performs a WebSocket handshake on `path`; returns the response head.
  std::string WebSocketHandshake(std::string_view path);
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  std::string buffered_;
};

// The status code of an HTTP response ("HTTP/1.1 404 Not Found" -> 404), or 0.
int StatusOf(std::string_view response);
// The body of a response read by ReadResponse.
std::string BodyOf(std::string_view response);

// One HTTP request over a fresh connection; returns the raw response.
std::string HttpRequestRaw(std::uint16_t port, std::string_view request);

// Records the events of a WebSocket (on top of the public WebSocketMessageQueue) and lets
// the test wait for them. Used from the test thread only.
class EventLog {
 public:
  struct Message {
    std::string data;
    MessageKind kind;
  };
  WebSocketHandlers Handlers() { return queue_.Handlers(); }
  // Waits until `n` messages arrived in total; returns false on timeout or close.
  bool WaitMessages(std::size_t n);
  // The messages taken so far by WaitMessages.
  const std::vector<Message>& Messages() const { return received_; }
  // Waits for on_close; returns its info (nullopt on timeout).
  std::optional<CloseInfo> WaitClosed() { return queue_.WaitClosed(kEventTimeout); }
  bool closed() const { return queue_.close_info().has_value(); }

 private:
  WebSocketMessageQueue queue_;
  std::vector<Message> received_;
};

// Connects synchronously; the EventLog must outlive the connection.
Result<std::shared_ptr<WebSocket>> ConnectSync(asio::any_io_executor ex, const std::string& url,
                                               EventLog* log,
                                               WebSocketClientOptions options = {});

// Stops `server` gracefully and waits for its callback.
void StopAndWait(Server& server);

}  // namespace codesphere::net::testing
