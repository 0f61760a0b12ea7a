// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.storage`: object stores (memory, local directory) with conditional writes.
// Store calls block (disk, fsync), so they release the GIL.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "codesphere/storage/generation.h"
#include "codesphere/storage/local_dir_object_store.h"
#include "codesphere/storage/memory_object_store.h"
#include "codesphere/storage/object_store.h"
#include "convert.h"
#include "status.h"
#include "storage.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)

std::optional<storage::Generation> GenerationArg(const std::optional<std::string>& g) {
  if (!g) return std::nullopt;
  return storage::Generation(*g);
}

py::dict InfoToPy(const storage::ObjectInfo& info) {
  py::dict d;
  d["key"] = info.key;
  d["size"] = info.size;
  d["generation"] = info.generation.value();
  d["mtime_unix_ms"] = info.mtime_unix_ms;
  return d;
}

}  // namespace

void RegisterStorage(py::module_& parent) {
  py::module_ m = parent.def_submodule("storage", "Object stores (codesphere::storage).");
  py::class_<storage::ObjectStore, std::shared_ptr<storage::ObjectStore>>(
      m, "ObjectStore",
      "Durable key -> bytes storage with conditional writes. Generations are opaque strings. "
      "Thread-safe; every call releases the GIL.")
      .def_static(
          "memory",
          []() { return std::shared_ptr<storage::ObjectStore>(storage::NewMemoryObjectStore()); },
          "An in-memory store.")
      .def_static(
          "local_dir",
          [](const std::string& root, bool create, bool fsync) {
            storage::LocalDirObjectStoreOptions options;
            options.create = create;
            options.fsync = fsync;
            Result<std::unique_ptr<storage::ObjectStore>> store = [&] {
              py::gil_scoped_release release;
              return storage::NewLocalDirObjectStore(root, options);
            }();
            return std::shared_ptr<storage::ObjectStore>(Unwrap(std::move(store)));
          },
          "root"_a, "create"_a = true, "fsync"_a = true, "Objects as files under `root`.")
      .def(
          "get",
          [](storage::ObjectStore& s, const std::string& key, std::optional<std::string> if_match,
             std::uint64_t offset, std::optional<std::uint64_t> length) {
            storage::GetOptions options;
            options.if_match = GenerationArg(if_match);
            options.offset = offset;
            options.length = length;
            Result<storage::GetResult> r = [&] {
              py::gil_scoped_release release;
              return s.Get(key, options);
            }();
            storage::GetResult got = Unwrap(std::move(r));
            return py::make_tuple(ToPyBytes(got.value), InfoToPy(got.info));
          },
          "key"_a, "if_match"_a = py::none(), "offset"_a = 0, "length"_a = py::none(),
          "Returns (value, info). Raises NotFoundError, or FailedPreconditionError when "
          "`if_match` does not hold.")
      .def(
          "put",
          [](storage::ObjectStore& s, const std::string& key, const py::object& value,
             std::optional<std::string> if_match, bool if_none_match) {
            BytesArg bytes(value);
            storage::PutOptions options;
            options.if_match = GenerationArg(if_match);
            options.if_none_match = if_none_match;
            Result<storage::Generation> r = [&] {
              py::gil_scoped_release release;
              return s.Put(key, bytes.span(), options);
            }();
            return Unwrap(std::move(r)).value();
          },
          "key"_a, "value"_a, "if_match"_a = py::none(), "if_none_match"_a = false,
          "Writes atomically; returns the new generation. A lost condition raises "
          "FailedPreconditionError.")
      .def(
          "delete",
          [](storage::ObjectStore& s, const std::string& key, std::optional<std::string> if_match) {
            storage::DeleteOptions options;
            options.if_match = GenerationArg(if_match);
            Status status = [&] {
              py::gil_scoped_release release;
              return s.Delete(key, options);
            }();
            ThrowIfError(status);
          },
          "key"_a, "if_match"_a = py::none())
      .def(
          "list",
          [](storage::ObjectStore& s, const std::string& prefix) {
            Result<std::vector<storage::ObjectInfo>> r = [&] {
              py::gil_scoped_release release;
              return s.List(prefix);
            }();
            py::list out;
            for (const storage::ObjectInfo& info : Unwrap(std::move(r))) out.append(InfoToPy(info));
            return out;
          },
          "prefix"_a = "", "Infos of the keys starting with `prefix`, sorted.")
      .def(
          "stat",
          [](storage::ObjectStore& s, const std::string& key) {
            Result<storage::ObjectInfo> r = [&] {
              py::gil_scoped_release release;
              return s.Stat(key);
            }();
            return InfoToPy(Unwrap(std::move(r)));
          },
          "key"_a);
  m.def(
      "validate_key", [](std::string_view key) { ThrowIfError(storage::ValidateKey(key)); },
      "key"_a, "Raises InvalidArgumentError unless `key` is a valid object key.");
}

}  // namespace codesphere::python
