// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Test doubles: `FakePty` (output pushed or flooded by the test, input recorded) and
// `FakeSink` (records frames; can stall or fail), for deterministic multiplexer tests.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/pty/multiplexer.h"

namespace codesphere::pty::testing {

// A wake-up flag for the fakes.
class Event {
 public:
  explicit Event(asio::any_io_executor ex) : timer_(ex) {}
  asio::awaitable<void> Wait() {
    timer_.expires_at(asio::steady_timer::time_point::max());
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  void Notify() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

class FakeProcess final : public PtyProcess {
 public:
  explicit FakeProcess(asio::any_io_executor ex) : exited_(ex) {}
  int pid() const override { return -1; }
  Status Kill(int signo) override {
    kills.push_back(signo);
    Exit(ExitStatus{0, signo});
    return OkStatus();
  }
  asio::awaitable<Result<ExitStatus>> Wait() override {
    while (!status) co_await exited_.Wait();
    co_return *status;
  }
  void Exit(ExitStatus s) {
    if (!status) status = s;
    exited_.Notify();
  }
  std::optional<ExitStatus> status;
  std::vector<int> kills;

 private:
  Event exited_;
};

// A Pty driven by the test: output is pushed (or flooded), input is recorded.
class FakePty final : public Pty {
 public:
  explicit FakePty(asio::any_io_executor ex)
      : ex_(ex), output_ready_(ex), input_ready_(ex), process_(ex) {}

  asio::any_io_executor get_executor() override { return ex_; }
  asio::awaitable<Result<std::size_t>> Read(std::span<std::uint8_t> buf) override {
    for (;;) {
      if (closed) co_return CancelledError("closed");
      if (flood) {
        co_await asio::post(ex_, asio::use_awaitable);  // yield, as a real read would
        if (closed) co_return CancelledError("closed");
        for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = (flood_bytes + i) % 2 ? '\n' : 'y';
        flood_bytes += buf.size();
        co_return buf.size();
      }
      if (!pending.empty()) {
        const std::size_t n = std::min(buf.size(), pending.size());
        std::memcpy(buf.data(), pending.data(), n);
        pending.erase(0, n);
        co_return n;
      }
      if (eof) co_return std::size_t{0};
      co_await output_ready_.Wait();
    }
  }
  asio::awaitable<Status> Write(ByteSpan data) override {
    while (block_input && !closed) co_await input_ready_.Wait();
    if (closed) co_return CancelledError("closed");
    input.append(AsStringView(data));
    co_return OkStatus();
  }
  Status Resize(WindowSize s) override {
    if (s.cols == 0 || s.rows == 0) return InvalidArgumentError("zero");
    size_ = s;
    resizes.push_back(s);
    return OkStatus();
  }
  WindowSize size() const override { return size_; }
  Status Signal(int signo) override {
    signals.push_back(signo);
    return OkStatus();
  }
  asio::awaitable<Result<ExitStatus>> Wait() override { return process_.Wait(); }
  PtyProcess& process() override { return process_; }
  void Close() override {
    closed = true;
    output_ready_.Notify();
    input_ready_.Notify();
  }

  void Output(std::string_view s) {
    pending.append(s);
    output_ready_.Notify();
  }
  void End(ExitStatus s) {
    eof = true;
    output_ready_.Notify();
    process_.Exit(s);
  }
  void StartFlood() {
    flood = true;
    output_ready_.Notify();
  }
  void Unblock() {
    block_input = false;
    input_ready_.Notify();
  }

  std::string pending;
  bool flood = false;
  std::uint64_t flood_bytes = 0;
  bool eof = false;
  bool closed = false;
  bool block_input = false;
  std::string input;
  std::vector<WindowSize> resizes;
  std::vector<int> signals;

 private:
  asio::any_io_executor ex_;
  WindowSize size_{80, 24};
  Event output_ready_;
  Event input_ready_;
  FakeProcess process_;
};

// Records frames; can stall (Send does not complete until released) or fail.
class FakeSink final : public ViewerSink {
 public:
  explicit FakeSink(asio::any_io_executor ex) : release_(ex) {}
  asio::awaitable<Status> Send(Frame frame) override {
    ++in_flight;
    while (stalled) co_await release_.Wait();
    --in_flight;
    if (fail) co_return UnavailableError("transport closed");
    if (frame.type == FrameType::kOutput) {
      output.append(AsStringView(frame.data));
      output_bytes += frame.data.size();
    }
    frames.push_back(std::move(frame));
    co_return OkStatus();
  }
  void Release() {
    stalled = false;
    release_.Notify();
  }
  std::size_t Count(FrameType t) const {
    std::size_t n = 0;
    for (const auto& f : frames) n += f.type == t;
    return n;
  }

  std::vector<Frame> frames;
  std::string output;
  std::uint64_t output_bytes = 0;
  bool stalled = false;
  bool fail = false;
  int in_flight = 0;  // sends started and not completed

 private:
  Event release_;
};

}  // namespace codesphere::pty::testing
