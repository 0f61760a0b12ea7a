// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `unique_function<R(Args...)>`: a move-only `std::function` (GCC 12 lacks
// `std::move_only_function`); becomes the std type where the library has it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "codesphere/base/check.h"

namespace codesphere {

#if defined(__cpp_lib_move_only_function)
template <typename Signature>
using unique_function = std::move_only_function<Signature>;
#else
template <typename Signature>
class unique_function;

// A type-erased, move-only callable. Empty when default-constructed or moved from;
// calling an empty one is a bug (CHECK).
//
// Thread-safety: thread-compatible (external synchronization).
template <typename R, typename... Args>
class unique_function<R(Args...)> {
 public:
  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}  // NOLINT(runtime/explicit)
  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_function> &&
                                        std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  unique_function(F&& f)  // NOLINT(runtime/explicit)
      : callable_(std::make_unique<Callable<std::decay_t<F>>>(std::forward<F>(f))) {}

  unique_function(unique_function&&) noexcept = default;
  unique_function& operator=(unique_function&&) noexcept = default;
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;

  explicit operator bool() const noexcept { return callable_ != nullptr; }

  R operator()(Args... args) {
    CODESPHERE_CHECK_MSG(callable_ != nullptr, "call of an empty unique_function");
    return callable_->Call(std::forward<Args>(args)...);
  }

 private:
  struct CallableBase {
    virtual ~CallableBase() = default;
    virtual R Call(Args&&... args) = 0;
  };
  template <typename F>
  struct Callable final : CallableBase {
    explicit Callable(F&& f) : fn(std::move(f)) {}
    explicit Callable(const F& f) : fn(f) {}
    R Call(Args&&... args) override { return std::invoke(fn, std::forward<Args>(args)...); }
    F fn;
  };
  std::unique_ptr<CallableBase> callable_;
};
#endif

}  // namespace codesphere
