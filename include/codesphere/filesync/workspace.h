// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Workspace`: a project directory watched with inotify, with safe (openat2) file access, and
// `FileBinding`: a text file kept equal to a Y.Text in a crdt::Doc in both directions — doc
// changes are written to disk (debounced, atomic rename); changes made on disk by programs
// (inotify) become a minimal diff applied to the doc as CRDT operations, merged with whatever
// collaborators typed meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/crdt/doc.h"

namespace codesphere::filesync {

struct WorkspaceOptions {
  // File and directory names ignored anywhere in the tree: not watched, no events, never
  // bound. Default: .git, node_modules, __pycache__, .venv, target, build, .codesphere-tmp.
  std::vector<std::string> ignore = {".git", "node_modules", "__pycache__", ".venv",
                                     "target", "build", ".codesphere-tmp"};
  // Files larger than this are not bound (kFailedPrecondition). Default: 1 MiB.
  std::uint64_t max_bound_file_size = 1u << 20;
  // Delay between a doc change and its write to disk; changes within it are written once.
  // Default: 50 ms.
  std::chrono::milliseconds write_debounce{50};
};

// A change seen on disk (for files that are not bound, and renames/deletes of bound ones).
struct FileEvent {
  enum class Kind { kCreated, kModified, kDeleted, kRenamed };
  Kind kind;
  std::string path;      // Relative to the workspace root.
  std::string new_path;  // kRenamed only.
  bool is_directory = false;
};

class Workspace;

// Keeps file `path` and `doc.GetText(text_name)` equal. Created by Workspace::Bind; unbinds
// when destroyed. A rename on disk moves the binding; a delete detaches it (`deleted()`).
//
// Thread-safety: thread-compatible; use it (and the doc) only from the thread that calls
// Workspace::Poll.
class FileBinding {
 public:
  virtual ~FileBinding() = default;
  // The bound file's current relative path.
  virtual const std::string& path() const = 0;
  // True after the file was deleted on disk (the doc keeps its text).
  virtual bool deleted() const = 0;
  // Writes the doc's text now if it differs from the file (normally done by Poll).
  virtual Status Flush() = 0;
};

// Thread-safety: thread-compatible (external synchronization). Bound docs are read and written
// from inside Poll and Bind, so call them on the thread (or strand) that owns those docs.
class Workspace {
 public:
  // Watches `root` (an existing directory) recursively. Errors: kNotFound, kInvalidArgument
  // (not a directory), kResourceExhausted (inotify watch limit).
  static Result<std::unique_ptr<Workspace>> Open(const std::string& root,
                                                 WorkspaceOptions options = {});
  virtual ~Workspace() = default;

  // The inotify descriptor: readable when Poll has events to process (for an event loop, e.g.
  // asio::posix::stream_descriptor::async_wait).
  virtual int fd() const = 0;

  // Reads a file beneath the root (no `..`, absolute paths or symlinks anywhere in the path).
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Atomically replaces (or creates) a file beneath the root: temp file, fsync, rename.
  // Keeps an existing file's mode; new files get 0644.
  virtual Status WriteFile(const std::string& path, std::string_view data) = 0;

  // Binds text file `path` to `doc.GetText(text_name)`. If the text is empty it is filled from
  // the file; otherwise the file is overwritten with the text. `client_id` is the CRDT client
  // id used for edits coming from disk: unique among the doc's peers. Errors: kNotFound,
  // kFailedPrecondition for binary (NUL bytes, invalid UTF-8) or oversized files,
  // kAlreadyExists if the path is bound. `doc` must outlive the binding; a binding that
  // outlives its workspace becomes inert (Flush returns kFailedPrecondition).
  virtual Result<std::unique_ptr<FileBinding>> Bind(const std::string& path, crdt::Doc& doc,
                                                    const std::string& text_name,
                                                    crdt::ClientId client_id) = 0;

  // Registers the handler for FileEvents (replacing any previous one). It runs inside Poll.
  virtual void OnEvent(std::function<void(const FileEvent&)> handler) = 0;

  // Processes pending inotify events without blocking (external edits go to bound docs; new
  // directories get watched) and writes bound docs whose debounce expired. Returns the first
  // error (reading a changed file, writing, applying an update).
  virtual Status Poll() = 0;
  // Like Poll, but first waits up to `timeout` for inotify events.
  virtual Status PollFor(std::chrono::milliseconds timeout) = 0;
};

}  // namespace codesphere::filesync
