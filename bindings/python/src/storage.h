// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.storage.ObjectStore` is held by shared_ptr, so that objects built on a store
// (a filesync Repository) keep it alive.
#pragma once

#include <pybind11/pybind11.h>

namespace codesphere::python {
void RegisterStorage(pybind11::module_& m);
}  // namespace codesphere::python
