// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "convert.h"

#include <cmath>
#include <string>

#include "status.h"

namespace codesphere::python {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

std::string TypeName(py::handle object) {
  return py::str(py::type::of(object).attr("__name__")).cast<std::string>();
}

Any ToAnyDepth(py::handle object, int depth) {
  if (depth > kMaxAnyDepth) {
    ThrowStatus(InvalidArgumentError("value nested deeper than " + std::to_string(kMaxAnyDepth)));
  }
  if (object.is_none()) return Any(nullptr);
  if (PyBool_Check(object.ptr())) return Any(object.ptr() == Py_True);
  if (PyLong_Check(object.ptr())) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(object.ptr(), &overflow);
    if (overflow != 0) {
      ThrowStatus(InvalidArgumentError("integer does not fit in 64 bits"));
    }
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (std::fabs(static_cast<double>(v)) <= kMaxSafeInteger) {
      return Any(static_cast<double>(v));
    }
    return Any::BigInt(v);
  }
  if (PyFloat_Check(object.ptr())) return Any(PyFloat_AsDouble(object.ptr()));
  if (PyUnicode_Check(object.ptr())) return Any(Utf8(object));
  if (PyBytes_Check(object.ptr()) || PyByteArray_Check(object.ptr()) ||
      PyMemoryView_Check(object.ptr())) {
    BytesArg bytes(object);
    return Any(Bytes(bytes.span().begin(), bytes.span().end()));
  }
  if (PyList_Check(object.ptr()) || PyTuple_Check(object.ptr())) {
    Any::Array array;
    for (py::handle item : object) array.push_back(ToAnyDepth(item, depth + 1));
    return Any(std::move(array));
  }
  if (PyDict_Check(object.ptr())) {
    Any::Object fields;
    for (auto [key, value] : py::reinterpret_borrow<py::dict>(object)) {
      if (!PyUnicode_Check(key.ptr())) {
        ThrowStatus(InvalidArgumentError("dict keys must be str, not " + TypeName(key)));
      }
      fields.emplace_back(key.cast<std::string>(), ToAnyDepth(value, depth + 1));
    }
    return Any(std::move(fields));
  }
  ThrowStatus(InvalidArgumentError("cannot store a value of type " + TypeName(object) +
                                   " (use None, bool, int, float, str, bytes, list or dict)"));
}

}  // namespace

Any ToAny(py::handle object) { return ToAnyDepth(object, 0); }

py::object FromAny(const Any& value) {
  switch (value.kind()) {
    case Any::Kind::kUndefined:
    case Any::Kind::kNull:
      return py::none();
    case Any::Kind::kBool:
      return py::bool_(value.as_bool());
    case Any::Kind::kNumber: {
      const double v = value.as_number();
      if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) <= kMaxSafeInteger &&
          !(v == 0 && std::signbit(v))) {
        return py::int_(static_cast<long long>(v));
      }
      return py::float_(v);
    }
    case Any::Kind::kBigInt:
      return py::int_(static_cast<long long>(value.as_bigint()));
    case Any::Kind::kString:
      return py::str(value.as_string());
    case Any::Kind::kBinary:
      return ToPyBytes(value.as_binary());
    case Any::Kind::kArray: {
      py::list list;
      for (const Any& item : value.as_array()) list.append(FromAny(item));
      return list;
    }
    case Any::Kind::kObject: {
      py::dict dict;
      for (const auto& [key, item] : value.as_object()) dict[py::str(key)] = FromAny(item);
      return dict;
    }
  }
  return py::none();
}

std::string_view Utf8View(py::handle object) {
  if (!PyUnicode_Check(object.ptr())) {
    ThrowStatus(InvalidArgumentError("expected str, not " + TypeName(object)));
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(object.ptr(), &size);
  if (data == nullptr) {
    PyErr_Clear();
    ThrowStatus(InvalidArgumentError("string cannot be encoded as UTF-8 (lone surrogate)"));
  }
  return std::string_view(data, static_cast<std::size_t>(size));
}

std::string Utf8(py::handle object) { return std::string(Utf8View(object)); }

BytesArg::BytesArg(py::handle object) {
  if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    view_.obj = nullptr;
    ThrowStatus(InvalidArgumentError("expected a bytes-like object, not " + TypeName(object)));
  }
  span_ = ByteSpan(static_cast<const std::uint8_t*>(view_.buf), static_cast<std::size_t>(view_.len));
}

BytesArg::~BytesArg() {
  if (view_.obj != nullptr) PyBuffer_Release(&view_);
}

}  // namespace codesphere::python
