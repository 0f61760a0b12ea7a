// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Result<T>`: a `T` or a non-OK `Status`. The API is the `std::expected<T, Status>` subset
// (has_value, operator bool, value, error, *, ->, value_or) so it can become an alias in C++23.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "codesphere/base/check.h"
#include "codesphere/base/status.h"

namespace codesphere {

// Holds either a value of type `T` or an error `Status` (never an OK status).
// Calling `value()` or `*` on an error is a bug and aborts via CODESPHERE_CHECK.
//
// Thread-safety: thread-compatible (external synchronization).
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status directly");

 public:
  using value_type = T;

  // An error result. REQUIRES: `!status.ok()`.
  Result(Status status) : status_(std::move(status)) {  // NOLINT(runtime/explicit)
    CODESPHERE_CHECK_MSG(!status_.ok(), "Result constructed from an OK Status");
  }
  // A value result.
  Result(const T& value) { Construct(value); }  // NOLINT(runtime/explicit)
  Result(T&& value) { Construct(std::move(value)); }  // NOLINT(runtime/explicit)
  // A value result from anything `T` is constructible from (e.g. unique_ptr<Derived>).
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) {  // NOLINT(runtime/explicit)
    Construct(std::forward<U>(value));
  }
  // Constructs the value in place.
  template <typename... Args>
  explicit Result(std::in_place_t, Args&&... args) {
    Construct(std::forward<Args>(args)...);
  }

  Result(const Result& other) : status_(other.status_) {
    if (other.has_value()) Construct(other.value_);
  }
  Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
      : status_(other.status_) {
    if (other.has_value()) Construct(std::move(other.value_));
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      Destroy();
      status_ = other.status_;
      if (other.has_value()) Construct(other.value_);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      Destroy();
      status_ = other.status_;
      if (other.has_value()) Construct(std::move(other.value_));
    }
    return *this;
  }
  ~Result() { Destroy(); }


  bool has_value() const { return status_.ok(); }
  explicit operator bool() const { return has_value(); }
  bool ok() const { return has_value(); }

  // The value. REQUIRES: has_value().
  T& value() & {
    CheckValue();
    return value_;
  }
  const T& value() const& {
    CheckValue();
    return value_;
  }
  T&& value() && {
    CheckValue();
    return std::move(value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; an OK Status when has_value().
  const Status& error() const& { return status_; }
  // A copy: moving the status out would make the Result look like it holds a value.
  Status error() && { return status_; }
  // Alias of error(), for absl-minded readers.
  const Status& status() const { return status_; }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  template <typename... Args>
  void Construct(Args&&... args) {
    ::new (static_cast<void*>(&value_)) T(std::forward<Args>(args)...);
  }
  // Destroys the value if there is one; callers then set `status_` (or are the destructor).
  void Destroy() {
    if (has_value()) value_.~T();
  }
  void CheckValue() const {
    CODESPHERE_CHECK_MSG(has_value(), "Result::value() called on an error");
  }

  Status status_;
  union {
    T value_;
  };
};

}  // namespace codesphere
