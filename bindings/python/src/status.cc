// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Status -> Python exception mapping. `codesphere.Error` is the base of every error the
// SDK raises; each StatusCode has a subclass, and some also derive from the built-in
// exception Python code expects (InvalidArgumentError is a ValueError, NotFoundError a
// LookupError, ...), so both `except codesphere.Error` and `except ValueError` work.

#include "status.h"

#include <Python.h>

#include <map>

namespace codesphere::python {
namespace {

struct ErrorClass {
  StatusCode code;
  const char* name;
  PyObject* builtin;  // extra base, or nullptr
};

// Classes by code; owned references, kept for the life of the interpreter.
std::map<StatusCode, PyObject*>& Classes() {
  static auto* classes = new std::map<StatusCode, PyObject*>();
  return *classes;
}
PyObject* g_error = nullptr;

void SetPythonError(const Status& status) {
  auto it = Classes().find(status.code());
  PyObject* cls = it != Classes().end() ? it->second : g_error;
  py::handle type(cls);
  py::object exc = type(py::str(std::string(status.message())));
  exc.attr("code") = py::cast(status.code());
  PyErr_SetObject(cls, exc.ptr());
}

}  // namespace

void RegisterStatus(py::module_& m) {
  py::enum_<StatusCode>(m, "StatusCode", "Canonical error codes (same numbers as gRPC/absl).")
      .value("OK", StatusCode::kOk)
      .value("CANCELLED", StatusCode::kCancelled)
      .value("INVALID_ARGUMENT", StatusCode::kInvalidArgument)
      .value("DEADLINE_EXCEEDED", StatusCode::kDeadlineExceeded)
      .value("NOT_FOUND", StatusCode::kNotFound)
      .value("ALREADY_EXISTS", StatusCode::kAlreadyExists)
      .value("PERMISSION_DENIED", StatusCode::kPermissionDenied)
      .value("RESOURCE_EXHAUSTED", StatusCode::kResourceExhausted)
      .value("FAILED_PRECONDITION", StatusCode::kFailedPrecondition)
      .value("ABORTED", StatusCode::kAborted)
      .value("UNIMPLEMENTED", StatusCode::kUnimplemented)
      .value("INTERNAL", StatusCode::kInternal)
      .value("UNAVAILABLE", StatusCode::kUnavailable)
      .value("DATA_LOSS", StatusCode::kDataLoss)
      .value("UNAUTHENTICATED", StatusCode::kUnauthenticated);

  g_error = PyErr_NewExceptionWithDoc(
      "codesphere.Error",
      "Base of every codesphere error. `code` is the codesphere.StatusCode; str() is the "
      "message.",
      PyExc_Exception, nullptr);
  if (g_error == nullptr) throw py::error_already_set();
  m.attr("Error") = py::handle(g_error);

  const ErrorClass kClasses[] = {
      {StatusCode::kCancelled, "CancelledError", nullptr},
      {StatusCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError},
      {StatusCode::kDeadlineExceeded, "DeadlineExceededError", PyExc_TimeoutError},
      {StatusCode::kNotFound, "NotFoundError", PyExc_LookupError},
      {StatusCode::kAlreadyExists, "AlreadyExistsError", nullptr},
      {StatusCode::kPermissionDenied, "PermissionDeniedError", PyExc_PermissionError},
      {StatusCode::kResourceExhausted, "ResourceExhaustedError", nullptr},
      {StatusCode::kFailedPrecondition, "FailedPreconditionError", nullptr},
      {StatusCode::kAborted, "AbortedError", nullptr},
      {StatusCode::kUnimplemented, "UnimplementedError", PyExc_NotImplementedError},
      {StatusCode::kInternal, "InternalError", nullptr},
      {StatusCode::kUnavailable, "UnavailableError", nullptr},
      {StatusCode::kDataLoss, "DataLossError", nullptr},
      {StatusCode::kUnauthenticated, "UnauthenticatedError", nullptr},
  };
  for (const ErrorClass& c : kClasses) {
    const std::string qualified = std::string("codesphere.") + c.name;
    py::tuple bases = c.builtin != nullptr ? py::make_tuple(py::handle(g_error), py::handle(c.builtin))
                                           : py::make_tuple(py::handle(g_error));
    PyObject* cls = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (cls == nullptr) throw py::error_already_set();
    Classes()[c.code] = cls;
    m.attr(c.name) = py::handle(cls);
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      SetPythonError(e.status());
    }
  });
}

}  // namespace codesphere::python
