// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Helpers for the pty tests: run an io_context until a coroutine finishes or a condition
// holds (with a generous safety limit so that a bug fails the test instead of hanging it).
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

namespace codesphere::pty::testing {

inline constexpr std::chrono::seconds kSafetyLimit{30};

// Runs `io` until `done()` is true; returns false if the safety limit passed first.
inline bool RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSafetyLimit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
  return true;
}

template <typename T>
asio::awaitable<void> StoreResult(asio::awaitable<T> aw, std::optional<T>* out) {
  out->emplace(co_await std::move(aw));
}

// Runs `aw` to completion on `io` and returns its result (nullopt past the safety limit).
template <typename T>
std::optional<T> RunCoroutine(asio::io_context& io, asio::awaitable<T> aw) {
  std::optional<T> result;
  bool finished = false;
  asio::co_spawn(io, StoreResult(std::move(aw), &result), [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    finished = true;
  });
  if (!RunUntil(io, [&] { return finished; })) return std::nullopt;
  return result;
}

}  // namespace codesphere::pty::testing
