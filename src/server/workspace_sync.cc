// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "server/workspace_sync.h"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <random>
#include <utility>
#include <variant>

#include <asio/post.hpp>

#include "codesphere/base/log.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/state_vector.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "codesphere/net/client.h"
#include "codesphere/sync/protocol.h"

namespace codesphere::server::internal {
namespace {

constexpr char kTextName[] = "monaco";

crdt::ClientId RandomClientId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return 1 + (rng() & ((1ull << 53) - 2));
}

// UTF-16 code units of UTF-8 text (the offsets of Y.Text).
std::uint64_t Utf16Length(std::string_view s) {
  std::uint64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) != 0x80) n += (c >= 0xf0) ? 2 : 1;
  }
  return n;
}

// Rewrites `text` from `from` to `to` as one replacement of the differing middle (common
// prefix and suffix kept, cut at UTF-8 character boundaries).
Status ReplaceText(crdt::Doc& doc, const std::string& from, const std::string& to) {
  std::size_t prefix = 0;
  while (prefix < from.size() && prefix < to.size() && from[prefix] == to[prefix]) ++prefix;
  while (prefix > 0 && (static_cast<unsigned char>(from[prefix]) & 0xc0) == 0x80) --prefix;
  std::size_t suffix = 0;
  while (suffix < from.size() - prefix && suffix < to.size() - prefix &&
         from[from.size() - 1 - suffix] == to[to.size() - 1 - suffix]) {
    ++suffix;
  }
  while (suffix > 0 && (static_cast<unsigned char>(from[from.size() - suffix]) & 0xc0) == 0x80) {
    --suffix;
  }
  std::string_view removed = std::string_view(from).substr(prefix, from.size() - prefix - suffix);
  std::string_view inserted = std::string_view(to).substr(prefix, to.size() - prefix - suffix);
  crdt::Transaction txn(doc, "disk");
  crdt::Text text = doc.GetText(kTextName);
  std::uint64_t at = Utf16Length(std::string_view(from).substr(0, prefix));
  if (!removed.empty()) {
    if (Status s = text.Delete(txn, at, Utf16Length(removed)); !s.ok()) return s;
  }
  if (!inserted.empty()) return text.Insert(txn, at, std::string(inserted));
  return OkStatus();
}

}  // namespace

bool IsText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
      return false;
    }
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) >> 6) != 0x2) return false;
    }
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

// One server-side peer of a file room. Strand-bound.
struct WorkspaceSync::Agent {
  Agent(std::string r, std::string p)
      : room(std::move(r)), path(std::move(p)), doc(crdt::DocOptions{RandomClientId(), true}) {}
  std::string room;
  std::string path;
  crdt::Doc doc;
  crdt::Subscription sub;  // after `doc`: unsubscribes first
  std::unique_ptr<filesync::FileBinding> binding;
  std::shared_ptr<net::WebSocket> ws;
  bool synced = false;
  bool applying_remote = false;
  // The file differed from the replica: a SyncStep1 went out to catch up with every room
  // update already sent to us (`checking`) before deciding the difference is on disk.
  bool checking = false;
  bool checked = false;
  // The file cannot be bound (binary, too large, in an ignored directory): the room's change
  // hook keeps writing it; the agent stays as a tombstone so it is not reconnected per edit.
  bool inert = false;
};

WorkspaceSync::WorkspaceSync(asio::any_io_executor io, asio::any_io_executor work,
                             WorkspaceSyncOptions options)
    : io_(io),
      strand_(asio::make_strand(work)),
      options_(std::move(options)),
      poll_timer_(io),
      tree_timer_(io) {}

WorkspaceSync::~WorkspaceSync() = default;

template <typename F>
void WorkspaceSync::Post(F&& fn) {
  // After Close the strand is gone (it belongs to the platform's blocking pool, which may be
  // destroyed before the io_context drops the last handler holding us): drop the work.
  std::lock_guard<std::mutex> lock(strand_mu_);
  if (strand_) asio::post(*strand_, std::forward<F>(fn));
}

void WorkspaceSync::Start() {
  Post([self = shared_from_this()] { self->OpenWatch(); });
}

void WorkspaceSync::OpenWatch() {
  if (started_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
  }
  started_ = true;
  auto ws = filesync::Workspace::Open(options_.root);
  if (!ws.ok()) {
    LogWarning("workspace not watched", {{"root", options_.root}, {"error", ws.error().ToString()}});
    return;
  }
  workspace_ = std::move(*ws);
  workspace_->OnEvent([this](const filesync::FileEvent& e) {
    if (options_.on_disk_changed) options_.on_disk_changed();
    if (e.kind == filesync::FileEvent::Kind::kModified) return;
    // A bound file replaced by an atomic write (ours or an editor's) is no change of the tree.
    if (e.kind == filesync::FileEvent::Kind::kCreated && !e.is_directory) {
      for (const auto& [room, agent] : agents_) {
        if (agent->binding && agent->path == e.path) return;
      }
    }
    tree_pending_ = true;
  });
  int fd = ::dup(workspace_->fd());
  if (fd < 0) {
    LogWarning("workspace not watched: dup failed", {{"root", options_.root}});
    workspace_.reset();
    return;
  }
  watch_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  ArmWatch();
  // Whatever changed while nobody watched: clients refetch the tree once.
  tree_pending_ = true;
  TreeChanged();
  // Agents requested before the watch opened.
  for (auto& [room, agent] : agents_) {
    if (agent->synced && !agent->binding && !agent->inert) TryBind(agent);
  }
}

void WorkspaceSync::ArmWatch() {
  if (!watch_) return;
  watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const std::error_code& ec) {
                       if (ec) return;
                       self->Post([self] {
                         self->PollNow();
                         // Events that arrived between the poll and re-arming the wait are
                         // picked up by polling once more after arming.
                         self->ArmWatch();
                         self->PollNow();
                       });
                     });
}

void WorkspaceSync::PollNow() {
  if (!workspace_) return;
  if (Status s = workspace_->Poll(); !s.ok()) {
    LogWarning("workspace poll", {{"root", options_.root}, {"error", s.ToString()}});
  }
  AfterPoll();
}

void WorkspaceSync::AfterPoll() {
  for (auto& [room, agent] : agents_) {
    if (!agent->binding) continue;
    // A delete or rename on disk detaches the room from the file; the next edit in the room
    // writes (re-creates) the room's file, as an editor's save would.
    if (agent->binding->deleted() || agent->binding->path() != agent->path) {
      Unbind(agent);
      continue;
    }
    if (options_.after_write) options_.after_write(agent->path);
  }
  if (tree_pending_) TreeChanged();
}

void WorkspaceSync::SchedulePoll() {
  if (!workspace_) return;
  // Bindings write once their debounce expired: poll just after the latest change's.
  poll_due_ = std::chrono::steady_clock::now() + filesync::WorkspaceOptions().write_debounce +
              std::chrono::milliseconds(5);
  if (poll_armed_) return;
  poll_armed_ = true;
  poll_timer_.expires_at(poll_due_);
  poll_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec) return;
    self->Post([self] { self->OnPollTimer(); });
  });
}

void WorkspaceSync::OnPollTimer() {
  if (!workspace_) return;
  if (std::chrono::steady_clock::now() < poll_due_) {
    // A later change moved the deadline: wait for it.
    poll_timer_.expires_at(poll_due_);
    poll_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
      if (ec) return;
      self->Post([self] { self->OnPollTimer(); });
    });
    return;
  }
  poll_armed_ = false;
  PollNow();
}

void WorkspaceSync::TreeChanged() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_tree_event_ >= options_.tree_event_interval) {
    tree_pending_ = false;
    last_tree_event_ = now;
    if (options_.on_tree_changed) options_.on_tree_changed();
    return;
  }
  if (tree_armed_) return;
  tree_armed_ = true;
  tree_timer_.expires_at(last_tree_event_ + options_.tree_event_interval);
  tree_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec) return;
    self->Post([self] {
      self->tree_armed_ = false;
      if (self->tree_pending_) self->TreeChanged();
    });
  });
}

void WorkspaceSync::EnsureAgent(const std::string& room, const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || !requested_.insert(room).second) return;
  }
  Post([self = shared_from_this(), room, path] {
    self->OpenWatch();
    auto agent = std::make_shared<Agent>(room, path);
    self->agents_[room] = agent;
    self->Connect(agent);
  });
}

bool WorkspaceSync::AgentHandles(const std::string& room) const {
  std::lock_guard<std::mutex> lock(mu_);
  return requested_.count(room) != 0 && inert_.count(room) == 0;
}

void WorkspaceSync::NoteRoomChange(const std::string& room) {
  std::lock_guard<std::mutex> lock(mu_);
  if (requested_.count(room) != 0) room_changed_[room] = std::chrono::system_clock::now();
}

void WorkspaceSync::MarkInert(const std::shared_ptr<Agent>& agent) {
  agent->inert = true;
  std::lock_guard<std::mutex> lock(mu_);
  inert_.insert(agent->room);
}

void WorkspaceSync::Connect(const std::shared_ptr<Agent>& agent) {
  // Everything the doc emits that did not come from the room (the binding's edits from disk)
  // goes to the room.
  agent->sub = agent->doc.OnUpdate([raw = agent.get()](ByteSpan update, const crdt::Transaction&) {
    if (raw->applying_remote || !raw->ws) return;
    (void)raw->ws->Send(sync::EncodeUpdate(update));
  });
  net::WebSocketClientOptions o;
  o.headers.Add("X-Codesphere-Agent", options_.agent_secret);
  net::WebSocketHandlers handlers;
  std::weak_ptr<WorkspaceSync> weak = weak_from_this();
  handlers.on_message = [weak, agent](net::WebSocket&, ByteSpan data, net::MessageKind kind) {
    auto self = weak.lock();
    if (!self || kind != net::MessageKind::kBinary) return;
    self->Post([self, agent, frame = Bytes(data.begin(), data.end())] {
      self->OnFrame(agent, frame);
    });
  };
  handlers.on_close = [weak, agent](net::WebSocket&, const net::CloseInfo&) {
    if (auto self = weak.lock()) self->Post([self, agent] { self->Drop(agent); });
  };
  net::ConnectWebSocket(
      io_, options_.room_url_prefix + agent->room, std::move(o), std::move(handlers),
      [weak, agent](Result<std::shared_ptr<net::WebSocket>> ws) {
        auto self = weak.lock();
        if (!self) {
          if (ws.ok()) (*ws)->Close();
          return;
        }
        self->Post([self, agent, ws = std::move(ws)]() mutable {
          if (!ws.ok()) {
            LogWarning("file agent could not join its room",
                       {{"room", agent->room}, {"error", ws.error().ToString()}});
            self->Drop(agent);
            return;
          }
          auto it = self->agents_.find(agent->room);
          if (it == self->agents_.end() || it->second != agent) {
            (*ws)->Close();
            return;
          }
          agent->ws = std::move(*ws);
          (void)agent->ws->Send(sync::EncodeSyncStep1(crdt::EncodeStateVector(agent->doc)));
        });
      });
}

void WorkspaceSync::OnFrame(const std::shared_ptr<Agent>& agent, const Bytes& frame) {
  auto it = agents_.find(agent->room);
  if (it == agents_.end() || it->second != agent || !agent->ws) return;
  auto message = sync::DecodeMessage(frame);
  if (!message.ok()) return;
  if (auto* step1 = std::get_if<sync::SyncStep1Message>(&*message)) {
    auto sv = crdt::StateVector::Decode(step1->state_vector);
    if (sv.ok()) (void)agent->ws->Send(sync::EncodeSyncStep2(crdt::EncodeStateAsUpdate(agent->doc, *sv)));
    return;
  }
  ByteSpan update;
  bool check_done = false;
  if (auto* step2 = std::get_if<sync::SyncStep2Message>(&*message)) {
    update = step2->update;
    agent->synced = true;
    if (agent->checking) {
      agent->checking = false;
      agent->checked = true;
      check_done = true;
    }
  } else if (auto* u = std::get_if<sync::UpdateMessage>(&*message)) {
    update = u->update;
  } else if (auto* denied = std::get_if<sync::PermissionDeniedMessage>(&*message)) {
    LogWarning("file agent refused by its room", {{"room", agent->room}, {"reason", denied->reason}});
    MarkInert(agent);
    agent->ws->Close();
    return;
  } else {
    return;  // awareness: the agent has no presence
  }
  agent->applying_remote = true;
  Status s = crdt::ApplyUpdate(agent->doc, update, "room");
  agent->applying_remote = false;
  if (!s.ok()) {
    LogWarning("file agent could not apply a room update", {{"room", agent->room}, {"error", s.ToString()}});
    return;
  }
  if (!agent->synced || agent->inert || (agent->checking && !check_done)) return;
  if (!agent->binding) {
    TryBind(agent);
  } else {
    SchedulePoll();
  }
}

void WorkspaceSync::TryBind(const std::shared_ptr<Agent>& agent) {
  if (!workspace_ || agent->binding || agent->inert) return;
  const bool verified = std::exchange(agent->checked, false);
  std::string text = agent->doc.GetText(kTextName).ToString();
  auto current = workspace_->ReadFile(agent->path);
  if (!current.ok()) {
    if (current.error().code() != StatusCode::kNotFound) {
      MarkInert(agent);  // a directory, a symlink, unreadable: leave it to the room hook
      return;
    }
    // A new file (or one deleted on disk): it exists once the room has text for it.
    if (text.empty()) return;
    if (Status w = workspace_->WriteFile(agent->path, text); !w.ok()) return;  // no parent yet
    if (options_.after_write) options_.after_write(agent->path);
  } else if (*current != text) {
    if (!verified) {
      // Our replica may lag the room (updates in flight that the room's change hook already
      // wrote to the file). The room answers a SyncStep1 after everything it sent us before,
      // so its SyncStep2 brings us level; then a remaining difference is a change on disk.
      agent->checking = true;
      (void)agent->ws->Send(sync::EncodeSyncStep1(crdt::EncodeStateVector(agent->doc)));
      return;
    }
    if (!IsText(*current) || current->size() > filesync::WorkspaceOptions().max_bound_file_size) {
      MarkInert(agent);
      return;
    }
    // Both changed since they were last equal (at the room's open): the one changed last
    // wins. A file written after the room's last edit (a program, an upload) is taken into
    // the room; a room edited after the file (e.g. clients re-sending offline edits after a
    // restart) is written to the file by Bind.
    std::optional<std::chrono::system_clock::time_point> room_time;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = room_changed_.find(agent->room); it != room_changed_.end()) room_time = it->second;
    }
    std::error_code ec;
    auto file_time = std::filesystem::last_write_time(options_.root + "/" + agent->path, ec);
    bool file_wins = true;
    if (room_time && !ec) {
      auto file_sys = std::chrono::file_clock::to_sys(file_time);
      file_wins = file_sys > std::chrono::time_point_cast<decltype(file_sys)::duration>(*room_time);
    }
    if (file_wins) {
      if (Status r = ReplaceText(agent->doc, text, *current); !r.ok()) {
        LogWarning("file agent could not take the file's text",
                   {{"room", agent->room}, {"error", r.ToString()}});
        return;
      }
    }
  }
  auto binding = workspace_->Bind(agent->path, agent->doc, kTextName, RandomClientId());
  if (!binding.ok()) {
    if (binding.error().code() == StatusCode::kFailedPrecondition) MarkInert(agent);
    LogDebug("file room not bound to its file",
             {{"room", agent->room}, {"error", binding.error().ToString()}});
    return;
  }
  agent->binding = std::move(*binding);
  ++bound_agents_;
  if (options_.after_write) options_.after_write(agent->path);
}

void WorkspaceSync::Unbind(const std::shared_ptr<Agent>& agent) {
  if (agent->binding) --bound_agents_;
  agent->binding.reset();
}

void WorkspaceSync::Drop(const std::shared_ptr<Agent>& agent) {
  auto it = agents_.find(agent->room);
  if (it == agents_.end() || it->second != agent) return;
  if (agent->binding) (void)agent->binding->Flush();
  Unbind(agent);
  agent->sub.Reset();
  if (agent->ws) agent->ws->Close();
  agent->ws.reset();
  // An inert agent stays as a tombstone; others may be requested again.
  if (agent->inert) return;
  agents_.erase(it);
  std::lock_guard<std::mutex> lock(mu_);
  requested_.erase(agent->room);
  room_changed_.erase(agent->room);
}

void WorkspaceSync::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  Post([self = shared_from_this()] {
    for (auto& [room, agent] : self->agents_) {
      if (agent->binding) (void)agent->binding->Flush();
      self->Unbind(agent);
      agent->sub.Reset();
      if (agent->ws) agent->ws->Close(net::CloseCode::kGoingAway, "project stopped");
      agent->ws.reset();
    }
    self->agents_.clear();
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->requested_.clear();
      self->inert_.clear();
      self->room_changed_.clear();
    }
    self->poll_timer_.cancel();
    self->tree_timer_.cancel();
    if (self->watch_) {
      std::error_code ec;
      self->watch_->cancel(ec);
      self->watch_->close(ec);
      self->watch_.reset();
    }
    self->workspace_.reset();
    {
      std::lock_guard<std::mutex> lock(self->strand_mu_);
      self->strand_.reset();
    }
    self->closed_promise_.set_value();
  });
}

bool WorkspaceSync::WaitClosed(std::chrono::milliseconds timeout) {
  return closed_future_.wait_for(timeout) == std::future_status::ready;
}

}  // namespace codesphere::server::internal
