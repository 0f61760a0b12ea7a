// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.filesync`: snapshot repositories of directory trees in an object store
// (save, list, restore, fork, forget, gc). Every call blocks and releases the GIL.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codesphere/filesync/repository.h"
#include "codesphere/storage/object_store.h"
#include "convert.h"
#include "status.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)

// A Repository and the store it lives in (kept alive as long as the repository).
struct PyRepository {
  std::shared_ptr<storage::ObjectStore> store;
  std::unique_ptr<filesync::Repository> repo;
};

template <typename F>
auto Blocking(F&& f) {
  auto result = [&] {
    py::gil_scoped_release release;
    return f();
  }();
  return Unwrap(std::move(result));
}

py::dict SnapshotToPy(const filesync::SnapshotInfo& s) {
  py::dict d;
  d["id"] = s.id;
  d["parent"] = s.parent;
  d["project"] = s.project;
  d["source"] = s.source;
  d["time_unix_ms"] = s.time_unix_ms;
  d["files"] = s.files;
  d["directories"] = s.directories;
  d["symlinks"] = s.symlinks;
  d["bytes"] = s.bytes;
  return d;
}

}  // namespace

void RegisterFilesync(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "filesync", "Snapshot repositories: save and restore directory trees (codesphere::filesync).");
  py::class_<PyRepository>(m, "Repository",
                           "Deduplicated, compressed, optionally encrypted snapshots of directory "
                           "trees in an ObjectStore. Not thread-safe; calls release the GIL.")
      .def_static(
          "open",
          [](std::shared_ptr<storage::ObjectStore> store, const py::object& key, bool create,
             const std::string& cache_dir, int workers) {
            if (!store) ThrowStatus(InvalidArgumentError("store must not be None"));
            filesync::RepositoryOptions options;
            if (!key.is_none()) {
              BytesArg bytes(key);
              options.key = Bytes(bytes.span().begin(), bytes.span().end());
            }
            options.create = create;
            options.cache_dir = cache_dir;
            options.workers = workers;
            auto repo = Blocking([&] { return filesync::Repository::Open(*store, options); });
            return PyRepository{std::move(store), std::move(repo)};
          },
          "store"_a, "key"_a = py::none(), "create"_a = true, "cache_dir"_a = "",
          "workers"_a = 0,
          "Opens (with `create`, initialises) the repository in `store`. `key`: 32 bytes for "
          "encryption at rest.")
      .def(
          "save",
          [](PyRepository& r, const std::string& dir, const std::string& project,
             const std::vector<std::string>& exclude) {
            filesync::SaveOptions options;
            options.project = project;
            options.exclude = exclude;
            filesync::SaveStats s = Blocking([&] { return r.repo->Save(dir, options); });
            py::dict d;
            d["snapshot"] = SnapshotToPy(s.snapshot);
            d["files_read"] = s.files_read;
            d["files_unchanged"] = s.files_unchanged;
            d["new_chunks"] = s.new_chunks;
            d["reused_chunks"] = s.reused_chunks;
            d["stored_bytes"] = s.stored_bytes;
            d["packs_written"] = s.packs_written;
            return d;
          },
          "dir"_a, "project"_a = "", "exclude"_a = std::vector<std::string>{},
          "Snapshots the tree under `dir`; returns stats with the new snapshot's info.")
      .def("list",
           [](PyRepository& r) {
             py::list out;
             for (const auto& s : Blocking([&] { return r.repo->List(); })) {
               out.append(SnapshotToPy(s));
             }
             return out;
           })
      .def(
          "restore",
          [](PyRepository& r, const std::string& id, const std::string& dir) {
            filesync::RestoreStats s = Blocking([&] { return r.repo->Restore(id, dir); });
            py::dict d;
            d["files"] = s.files;
            d["bytes"] = s.bytes;
            return d;
          },
          "id"_a, "dir"_a, "Restores snapshot `id` into `dir` (empty or absent).")
      .def(
          "fork",
          [](PyRepository& r, const std::string& id, const std::string& project) {
            return SnapshotToPy(Blocking([&] { return r.repo->Fork(id, project); }));
          },
          "id"_a, "project"_a)
      .def(
          "forget",
          [](PyRepository& r, const std::string& id) {
            Status status = [&] {
              py::gil_scoped_release release;
              return r.repo->Forget(id);
            }();
            ThrowIfError(status);
          },
          "id"_a)
      .def("gc", [](PyRepository& r) {
        filesync::GcStats s = Blocking([&] { return r.repo->Gc(); });
        py::dict d;
        d["chunks_kept"] = s.chunks_kept;
        d["chunks_deleted"] = s.chunks_deleted;
        d["packs_deleted"] = s.packs_deleted;
        d["packs_rewritten"] = s.packs_rewritten;
        d["bytes_freed"] = s.bytes_freed;
        return d;
      });
}

}  // namespace codesphere::python
