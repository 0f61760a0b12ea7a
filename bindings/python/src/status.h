// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The one bridge from `Status` to Python exceptions (STYLE.md §13). Binding code turns a
// non-OK Status into a C++ `StatusError`; the translator registered by `RegisterStatus`
// raises the matching `codesphere.Error` subclass, with `.code` set.
#pragma once

#include <pybind11/pybind11.h>

#include <exception>
#include <string>
#include <utility>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::python {

namespace py = pybind11;

// Carries a non-OK Status from binding code to the exception translator. Never escapes the
// extension: pybind11 translates it before returning to Python.
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)), what_(status_.ToString()) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Status status_;
  std::string what_;
};

// Defines `Error`, one subclass per StatusCode and the `StatusCode` enum on `m`, and
// registers the translator. Call once, first.
void RegisterStatus(py::module_& m);

[[noreturn]] inline void ThrowStatus(Status status) { throw StatusError(std::move(status)); }
inline void ThrowIfError(const Status& status) {
  if (!status.ok()) ThrowStatus(status);
}
template <typename T>
T Unwrap(Result<T> result) {
  if (!result.ok()) ThrowStatus(result.error());
  return std::move(*result);
}

// Raises (as a Python exception, via StatusError) the error of a Python callback that
// failed while C++ code was running; used after the C++ call returned.
class PendingPythonError {
 public:
  // Records the Python error currently being handled (the first one wins).
  void Capture(py::error_already_set& e) {
    if (!error_) error_ = std::make_unique<py::error_already_set>(std::move(e));
  }
  // Re-raises a recorded error (and forgets it).
  void RaiseIfAny() {
    if (error_) {
      py::error_already_set e = std::move(*error_);
      error_.reset();
      throw e;
    }
  }

 private:
  std::unique_ptr<py::error_already_set> error_;
};

}  // namespace codesphere::python
