// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Shared by the platform's API tests: a blocking HTTP client, a WebSocket recorder and the
// `PlatformTest` fixture (a platform on port 0 with a temp data dir; `Customize` adjusts its
// options, `Restart` stops it and starts another on the same data dir).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "codesphere/base/any.h"
#include "codesphere/net/client.h"
#include "codesphere/server/platform.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::server {
namespace {

using namespace std::chrono_literals;
using ::codesphere::testing::StatusIs;

using namespace std::chrono_literals;
using ::codesphere::testing::StatusIs;

struct Response {
  int status = 0;
  std::string headers;      // the header block, lower-cased
  std::string raw_headers;  // the header block as received
  std::string body;
  // The value of header `name` (lower-case), lower-cased unless `raw`.
  std::string Header(std::string_view name, bool raw = false) const {
    std::string key = "\n" + std::string(name) + ":";
    auto at = headers.find(key);
    if (at == std::string::npos) return "";
    auto end = headers.find('\r', at + key.size());
    std::string v = (raw ? raw_headers : headers).substr(at + key.size(), end - at - key.size());
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
  Any Json() const {
    auto parsed = ParseJson(body);
    return parsed.ok() ? *parsed : Any();
  }
};

// A minimal blocking HTTP/1.1 client (one request per connection).
Response Http(std::uint16_t port, const std::string& method, const std::string& target,
              const std::string& body = "", const std::string& token = "",
              const std::string& extra_headers = "") {
  Response out;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  // `extra_headers` may carry its own Host (preview subdomains).
  std::string host = extra_headers.starts_with("Host:") ? ""
                                                         : "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  std::string req = method + " " + target + " HTTP/1.1\r\n" + host +
                    "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += extra_headers + "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return out;
  out.status = std::stoi(raw.substr(9, 3));
  out.headers = raw.substr(0, head_end);
  out.raw_headers = out.headers;
  for (char& c : out.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.body = raw.substr(head_end + 4);
  return out;
}

// Collects what a WebSocket receives; waits for conditions on it.
struct WsRecorder : std::enable_shared_from_this<WsRecorder> {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;                 // text messages, newline separated
  std::string binary;               // binary messages concatenated
  std::vector<Bytes> frames;        // binary messages
  bool closed = false;

  net::WebSocketHandlers Handlers() {
    net::WebSocketHandlers h;
    // The handlers keep the recorder alive: a close may arrive after the test moved on.
    h.on_message = [self = shared_from_this(), this](net::WebSocket&, ByteSpan data, net::MessageKind kind) {
      std::lock_guard<std::mutex> lock(mu);
      if (kind == net::MessageKind::kText) {
        text.append(reinterpret_cast<const char*>(data.data()), data.size());
        text += '\n';
      } else {
        binary.append(reinterpret_cast<const char*>(data.data()), data.size());
        frames.emplace_back(data.begin(), data.end());
      }
      cv.notify_all();
    };
    h.on_close = [self = shared_from_this(), this](net::WebSocket&, const net::CloseInfo&) {
      std::lock_guard<std::mutex> lock(mu);
      closed = true;
      cv.notify_all();
    };
    return h;
  }
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::seconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot(); }

  // Adjusts the options of every Boot (e.g. a disk quota).
  virtual void Customize(PlatformOptions&) {}

  void Boot(int login_burst = 50) {
    PlatformOptions o;
    o.data_dir = dir_.path() / "data";
    o.templates_dir = testing::SourceDir() / "templates";
    o.sandbox = SandboxMode::kNone;
    o.fast_password_hashing = true;
    o.sync_rooms = false;
    o.clock = &clock_;
    o.login_burst = static_cast<std::uint32_t>(login_burst);
    o.create_burst = 3;
    o.session_ttl = std::chrono::seconds(3600);
    Customize(o);
    auto p = Platform::Create(io_.get_executor(), o);
    ASSERT_OK(p.status());
    platform_ = std::move(*p);
    platform_->Start();
    port_ = platform_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (platform_) {
      std::promise<void> stopped;
      platform_->Stop([&] { stopped.set_value(); });
      stopped.get_future().wait_for(20s);
    }
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    platform_.reset();
  }

  // Stops the platform gracefully and starts a new one on the same data directory.
  void Restart(int login_burst = 50) {
    TearDown();
    platform_.reset();
    io_.restart();
    work_.emplace(asio::make_work_guard(io_));
    Boot(login_burst);
  }

  // Signs up `name`; returns its token.
  std::string Signup(const std::string& name) {
    Response r = Http(port_, "POST", "/api/auth/signup",
                      R"({"username":")" + name + R"(","password":"correct horse battery"})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_NE(r.Header("set-cookie").find("cs_session="), std::string::npos);
    EXPECT_NE(r.Header("set-cookie").find("httponly"), std::string::npos);
    Any json = r.Json();
    const Any* t = json.Find("token");
    return t != nullptr ? t->as_string() : "";
  }

  std::string CreateProject(const std::string& token, const std::string& tmpl = "python") {
    Response r = Http(port_, "POST", "/api/projects",
                      R"({"name":"My App","template":")" + tmpl + R"("})", token);
    EXPECT_EQ(r.status, 201) << r.body;
    Any json = r.Json();
    const Any* id = json.Find("id");
    return id != nullptr ? id->as_string() : "";
  }

  // Connects a WebSocket; returns the connection or the handshake error.
  Result<std::shared_ptr<net::WebSocket>> Ws(const std::string& path, WsRecorder& rec,
                                             const std::string& cookie = "") {
    std::promise<Result<std::shared_ptr<net::WebSocket>>> done;
    net::WebSocketClientOptions o;
    if (!cookie.empty()) o.headers.Add("Cookie", "cs_session=" + cookie);
    net::ConnectWebSocket(io_.get_executor(), "ws://127.0.0.1:" + std::to_string(port_) + path, o,
                          rec.Handlers(),
                          [&](Result<std::shared_ptr<net::WebSocket>> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{std::in_place,
                                                                                  asio::make_work_guard(io_)};
  std::unique_ptr<Platform> platform_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace
}  // namespace codesphere::server
