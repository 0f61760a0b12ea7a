// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Status`: the error type of every codesphere API. A `StatusCode` (canonical codes, same
// numbers as absl/gRPC) plus a message that says what failed and on what.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace codesphere {

// Canonical error codes; the numeric values are those of absl::StatusCode and gRPC.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// Returns the code's name without the `k` ("InvalidArgument"), or "Unknown(<n>)".
std::string StatusCodeName(StatusCode code);

// Returns the HTTP status a REST endpoint answers for `code` (kOk -> 200,
// kInvalidArgument -> 400, kNotFound -> 404, kPermissionDenied -> 403,
// kUnauthenticated -> 401, kResourceExhausted -> 429, ...).
int HttpStatusFromCode(StatusCode code);

// A success or an error. An OK status carries no message and costs one null pointer.
//
// Layout: `rep_` is null when OK, else points to {code, message}.
//
// Thread-safety: thread-compatible (external synchronization).
class [[nodiscard]] Status {
 public:
  // Constructs an OK status.
  Status() noexcept = default;
  // Constructs a status with `code` and `message`. `StatusCode::kOk` ignores the message.
  Status(StatusCode code, std::string_view message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message; empty for OK.
  std::string_view message() const;

  // Returns a copy whose message is `context + ": " + message()`; OK stays OK.
  Status WithContext(std::string_view context) const;

  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

  // Lets `CODESPHERE_RETURN_IF_ERROR` treat `Status` and `Result<T>` alike.
  const Status& error() const { return *this; }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

inline Status OkStatus() { return Status(); }
Status CancelledError(std::string_view message);
Status InvalidArgumentError(std::string_view message);
Status DeadlineExceededError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status PermissionDeniedError(std::string_view message);
Status ResourceExhaustedError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status AbortedError(std::string_view message);
Status UnimplementedError(std::string_view message);
Status InternalError(std::string_view message);
Status UnavailableError(std::string_view message);
Status DataLossError(std::string_view message);
Status UnauthenticatedError(std::string_view message);

// Maps a syscall failure to a Status: ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied,
// EEXIST -> kAlreadyExists, ENOSPC/EDQUOT/EMFILE/ENFILE/ENOMEM -> kResourceExhausted,
// EINVAL -> kInvalidArgument, ETIMEDOUT -> kDeadlineExceeded, others -> kInternal.
// The message is "<context>: <strerror(errnum)>".
Status ErrnoToStatus(int errnum, std::string_view context);

}  // namespace codesphere
