// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The `_codesphere` extension: errors first, then one submodule per C++ module, registered
// explicitly (no static-initializer registries). Modules missing from the build are absent.

#include <pybind11/pybind11.h>

#include "crdt.h"
#include "status.h"

namespace codesphere::python {
void RegisterSync(py::module_& m);
void RegisterStorage(py::module_& m);
void RegisterFilesync(py::module_& m);
void RegisterSandbox(py::module_& m);
void RegisterPty(py::module_& m);
}  // namespace codesphere::python

PYBIND11_MODULE(_codesphere, m) {
  namespace python = codesphere::python;
  m.doc() = "codesphere C++ SDK bindings (use the `codesphere` package).";
  m.attr("__version__") = CODESPHERE_PY_VERSION;
  python::RegisterStatus(m);
  python::RegisterCrdt(m);
#ifdef CODESPHERE_PY_HAS_SYNC
  python::RegisterSync(m);
#endif
#ifdef CODESPHERE_PY_HAS_STORAGE
  python::RegisterStorage(m);
#endif
#ifdef CODESPHERE_PY_HAS_FILESYNC
  python::RegisterFilesync(m);
#endif
#ifdef CODESPHERE_PY_HAS_SANDBOX
  python::RegisterSandbox(m);
#endif
#ifdef CODESPHERE_PY_HAS_PTY
  python::RegisterPty(m);
#endif
}
