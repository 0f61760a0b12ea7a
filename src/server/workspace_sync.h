// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `WorkspaceSync`: the live link between one project's workspace directory and its open file
// rooms. It watches the workspace with `filesync::Workspace` (inotify) and keeps, for every
// open file room, a server-side y-websocket peer (a "file agent") whose replica of the room's
// document is bound to the file with `filesync::FileBinding`: edits in the room are written to
// disk (debounced, atomic), and changes on disk (REST writes, `sed -i`, programs) become
// minimal CRDT edits sent into the room, merged with what collaborators type meanwhile.
// Files created, renamed or deleted on disk are reported (coalesced) for the project's
// `files` event. Private to the server module.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "codesphere/filesync/workspace.h"

namespace codesphere::server::internal {

// Valid UTF-8 without NUL: what a text room can hold.
bool IsText(std::string_view s);

struct WorkspaceSyncOptions {
  // The workspace directory (exists).
  std::string root;
  // "ws://host:port/yjs/": file agents connect to `room_url_prefix + room`.
  std::string room_url_prefix;
  // Sent as `X-Codesphere-Agent` so the room's authenticate hook admits the agent.
  std::string agent_secret;
  // `files` events are sent at most this often. Default: 200 ms.
  std::chrono::milliseconds tree_event_interval{200};
  // Files created, renamed or deleted on disk (coalesced). Runs on the sync's strand.
  std::function<void()> on_tree_changed;
  // Any change seen on disk (e.g. to mark the workspace for a snapshot). Runs on the strand.
  std::function<void()> on_disk_changed;
  // After a file agent wrote `path` (e.g. to give it the sandbox user's ids). On the strand.
  std::function<void(const std::string& path)> after_write;
  // Kept until the sync is destroyed: e.g. the workspace's volume (the watch and the agents'
  // files live in it; it must stay mounted while they do). Default: null.
  std::shared_ptr<const void> hold;
};

// Thread-safety: thread-safe; all state lives on one strand of `work` (blocking file I/O runs
// there), I/O objects on `io`.
class WorkspaceSync : public std::enable_shared_from_this<WorkspaceSync> {
 public:
  WorkspaceSync(asio::any_io_executor io, asio::any_io_executor work, WorkspaceSyncOptions options);
  ~WorkspaceSync();
  WorkspaceSync(const WorkspaceSync&) = delete;
  WorkspaceSync& operator=(const WorkspaceSync&) = delete;

  // Starts watching the workspace (once; later calls do nothing).
  void Start();
  // Makes sure file room `room` (canonical name, workspace path `path`) has a file agent.
  void EnsureAgent(const std::string& room, const std::string& path);
  // True while `room` has an agent that binds (or will bind) its file: then the agent, not
  // the room's change hook, writes an existing file. False for files the agent cannot bind.
  bool AgentHandles(const std::string& room) const;
  // Records that `room` integrated a durable change now (the room's change hook): when an
  // agent binds a file that differs from its room, the side that changed last wins.
  void NoteRoomChange(const std::string& room);
  // File agents whose file is bound now (for /metrics).
  int bound_agents() const { return bound_agents_.load(); }
  // Closes the agents and the watch (asynchronously, on the strand). Further calls do nothing.
  void Close();
  // Waits up to `timeout` until Close has finished. Returns false on timeout or without Close.
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  struct Agent;
  void OpenWatch();
  void ArmWatch();
  void PollNow();
  void AfterPoll();
  void SchedulePoll();
  void OnPollTimer();
  void Connect(const std::shared_ptr<Agent>& agent);
  void OnFrame(const std::shared_ptr<Agent>& agent, const Bytes& frame);
  void TryBind(const std::shared_ptr<Agent>& agent);
  void Unbind(const std::shared_ptr<Agent>& agent);
  void MarkInert(const std::shared_ptr<Agent>& agent);
  void Drop(const std::shared_ptr<Agent>& agent);
  void TreeChanged();

  template <typename F>
  void Post(F&& fn);

  asio::any_io_executor io_;
  std::mutex strand_mu_;
  // Reset at the end of Close (see Post).
  std::optional<asio::strand<asio::any_io_executor>> strand_;  // guarded by strand_mu_
  WorkspaceSyncOptions options_;

  mutable std::mutex mu_;
  std::set<std::string> requested_;  // guarded by mu_: rooms with an agent (or one coming)
  std::set<std::string> inert_;      // guarded by mu_: agents that cannot bind their file
  bool closed_ = false;              // guarded by mu_
  std::atomic<int> bound_agents_{0};
  std::promise<void> closed_promise_;
  std::shared_future<void> closed_future_ = closed_promise_.get_future().share();
  std::map<std::string, std::chrono::system_clock::time_point> room_changed_;  // guarded by mu_

  // Strand only:
  bool started_ = false;
  std::unique_ptr<filesync::Workspace> workspace_;
  std::unique_ptr<asio::posix::stream_descriptor> watch_;
  asio::steady_timer poll_timer_;
  bool poll_armed_ = false;
  std::chrono::steady_clock::time_point poll_due_{};
  asio::steady_timer tree_timer_;
  bool tree_pending_ = false;
  bool tree_armed_ = false;
  std::chrono::steady_clock::time_point last_tree_event_{};
  std::map<std::string, std::shared_ptr<Agent>> agents_;
};

}  // namespace codesphere::server::internal
