// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Conversions shared by the binding files: JS-like values (`codesphere::Any`) to and from
// Python objects, and bytes-like arguments as `ByteSpan`.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "codesphere/base/any.h"
#include "codesphere/base/bytes.h"

namespace codesphere::python {

namespace py = pybind11;

// Python -> Any: None -> null, bool, int (|v| <= 2^53 -> number, else int64 -> bigint),
// float, str, bytes-like -> binary, list/tuple -> array, dict with str keys -> object.
// Throws StatusError(kInvalidArgument) naming the offending type otherwise.
// Requires GIL.
Any ToAny(py::handle object);

// Any -> Python: undefined and null -> None, numbers that are integers within 2^53 -> int
// (lib0 encodes them as integers; the wire does not keep 1.0 apart from 1), other numbers ->
// float, bigint -> int, binary -> bytes, array -> list, object -> dict. Requires GIL.
py::object FromAny(const Any& value);

// A read-only view of a bytes-like argument (bytes, bytearray, memoryview, ...), valid
// while the object lives. Throws StatusError(kInvalidArgument) for other types or
// non-contiguous buffers. Requires GIL to construct and destroy.
class BytesArg {
 public:
  explicit BytesArg(py::handle object);
  ~BytesArg();
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ByteSpan span() const { return span_; }

 private:
  Py_buffer view_{};
  ByteSpan span_;
};

// The UTF-8 of a Python str. Throws StatusError(kInvalidArgument) for other types and for
// strings with lone surrogates. Requires GIL.
std::string Utf8(py::handle object);
// Same, as a view valid while `object` lives (CPython caches the UTF-8 in the str).
std::string_view Utf8View(py::handle object);

inline py::bytes ToPyBytes(ByteSpan bytes) {
  return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace codesphere::python
