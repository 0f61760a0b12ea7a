// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Per-project runtimes: a sandbox started on demand, terminals (/pty/{project}/{terminal}) in
// a pty::Multiplexer whose processes run in the sandbox, Run/Stop in terminal "run", project
// events (/events/{project}), idle stop and periodic snapshots.

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/pty/frame.h"
#include "server/platform_internal.h"

namespace codesphere::server {
namespace internal {
namespace {

// A process started in a sandbox on a PTY's slave, as the multiplexer sees it.
class SandboxPtyProcess final : public pty::PtyProcess {
 public:
  SandboxPtyProcess(asio::any_io_executor ex, std::shared_ptr<sandbox::Process> process)
      : ex_(std::move(ex)), process_(std::move(process)) {}
  ~SandboxPtyProcess() override {
    if (!reaped_) {
      if (process_->pid() > 0) ::kill(-process_->pid(), SIGKILL);
      (void)process_->Signal(SIGKILL);
      // Reap it now: an unreaped child in the sandbox's pid namespace keeps the sandbox's
      // init from exiting, so Sandbox::Stop would wait forever. SIGKILL makes this short.
      (void)process_->WaitFor(std::chrono::seconds(2));
    }
  }
  int pid() const override { return process_->pid(); }
  Status Kill(int signo) override {
    if (reaped_) return NotFoundError("already reaped");
    return process_->Signal(signo);
  }
  asio::awaitable<Result<pty::ExitStatus>> Wait() override {
    int fd = ::dup(process_->pidfd());
    if (fd < 0) co_return ErrnoToStatus(errno, "dup(pidfd)");
    asio::posix::stream_descriptor sd(ex_, fd);
    std::error_code ec;
    co_await sd.async_wait(asio::posix::stream_descriptor::wait_read,
                           asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return CancelledError("wait cancelled");
    auto st = process_->Wait();
    reaped_ = true;
    if (!st.ok()) co_return st.error();
    co_return pty::ExitStatus{st->exit_code < 0 ? 0 : st->exit_code, st->signal};
  }

 private:
  asio::any_io_executor ex_;
  std::shared_ptr<sandbox::Process> process_;
  bool reaped_ = false;
};

// A viewer's frames on one WebSocket: output as binary messages, events as JSON text. The
// next frame waits until the socket's queue is below a mark (flow control by polling: net
// has no drain callback).
class SocketSink final : public pty::ViewerSink {
 public:
  SocketSink(std::shared_ptr<net::WebSocket> ws, asio::any_io_executor ex)
      : ws_(std::move(ws)), timer_(std::move(ex)) {}
  asio::awaitable<Status> Send(pty::Frame frame) override {
    Status st;
    if (frame.type == pty::FrameType::kOutput) {
      st = ws_->Send(net::MakeSharedBytes(std::move(frame.data)), net::MessageKind::kBinary);
    } else {
      st = ws_->Send(AsBytes(pty::BrowserEventJson(frame)), net::MessageKind::kText);
      if (frame.type == pty::FrameType::kDetach) ws_->Close(net::CloseCode::kNormal, "detached");
    }
    if (!st.ok()) co_return st;
    while (ws_->is_open() && ws_->queued_bytes() > kMark) {
      timer_.expires_after(std::chrono::milliseconds(1));
      std::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ws_->is_open()) co_return UnavailableError("websocket closed");
    co_return OkStatus();
  }

 private:
  static constexpr std::size_t kMark = 1u << 20;
  std::shared_ptr<net::WebSocket> ws_;
  asio::steady_timer timer_;
};

bool ValidTerminalName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

std::uint16_t QueryDimension(std::string_view query, std::string_view key, std::uint16_t dflt) {
  auto v = net::QueryParam(query, key);
  if (!v) return dflt;
  unsigned n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (r.ec != std::errc() || n == 0 || n > 1000) return dflt;
  return static_cast<std::uint16_t>(n);
}

void SendJson(net::WebSocket& ws, const std::string& json) {
  (void)ws.Send(AsBytes(json), net::MessageKind::kText);
}

const char* const kShell[] = {"/bin/bash", "--noprofile", "--norc", "-i"};

}  // namespace

ProjectRuntime::ProjectRuntime(Platform::Impl& core, std::string id,
                               std::shared_ptr<sandbox::WorkspaceVolume> volume)
    : core_(core), id_(std::move(id)), volume_(std::move(volume)), mux_(core.executor) {
  last_active_ms = core_.NowMs();
  mux_.set_exit_callback([this](pty::SessionId s, pty::ExitStatus st) { OnExit(s, st); });
  WorkspaceSyncOptions wo;
  wo.root = core_.WorkspaceDir(id_);
  std::string host = core_.options.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  wo.room_url_prefix = "ws://" + host + ":" + std::to_string(core_.server->port()) + "/yjs/";
  wo.agent_secret = core_.agent_secret;
  wo.hold = volume_;
  Platform::Impl* platform = &core_;
  std::string project = id_;
  wo.on_tree_changed = [platform, project] {
    Object o;
    o.emplace_back("type", Any("files"));
    platform->Event(project, Any(std::move(o)));
  };
  wo.on_disk_changed = [platform, project] { platform->MarkDirty(project); };
  wo.after_write = [platform, project](const std::string& path) {
    if (auto ws = platform->OpenWorkspace(project); ws.ok()) platform->FixOwner(ws->dir, path);
  };
  files_ = std::make_shared<WorkspaceSync>(core_.executor, core_.blocking.get_executor(),
                                           std::move(wo));
}

ProjectRuntime::~ProjectRuntime() {
  files_->Close();
  StopSandbox();
}

Status ProjectRuntime::EnsureSandbox() {
  std::lock_guard<std::mutex> lock(sandbox_mu_);
  if (sandbox_) return OkStatus();
  auto start = std::chrono::steady_clock::now();
  sandbox::Spec spec = sandbox::DefaultSpec(core_.WorkspaceDir(id_));
  spec.hostname = id_.substr(0, 63);
  spec.limits.memory_bytes = core_.options.sandbox_memory_bytes;
  spec.limits.pids = core_.options.sandbox_pids;
  spec.env["TERM"] = "xterm-256color";
  spec.env["HOME"] = "/workspace";
  spec.env["PS1"] = "\\w $ ";
  spec.env["PORT"] = std::to_string(core_.options.preview_port);
  spec.env["PYTHONUNBUFFERED"] = "1";
  spec.env["LANG"] = "C.UTF-8";
  if (volume_) {
    // The launcher shares the volume the runtime holds (same image, same size).
    spec.rootfs.workspace_size_bytes = volume_->size_bytes();
    spec.rootfs.workspace_image = volume_->image();
  }
  auto sb = core_.launcher->Start(spec);
  if (!sb.ok()) {
    LogError("sandbox start failed", {{"project", id_}, {"error", sb.error().ToString()}});
    return sb.error();
  }
  sandbox_ = std::move(*sb);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  core_.sandbox_starts->Increment();
  core_.sandbox_start_seconds->Observe(seconds);
  LogInfo("sandbox started", {{"project", id_}, {"kind", core_.sandbox_kind}, {"seconds", seconds}});
  return OkStatus();
}

bool ProjectRuntime::has_sandbox() {
  std::lock_guard<std::mutex> lock(sandbox_mu_);
  return sandbox_ != nullptr;
}

Result<sandbox::UniqueFd> ProjectRuntime::ConnectPreview(std::uint16_t port) {
  std::lock_guard<std::mutex> lock(sandbox_mu_);
  if (!sandbox_) return UnavailableError("the project's sandbox is not running");
  return sandbox_->Connect(port, std::chrono::milliseconds(2000));
}

void ProjectRuntime::StopSandbox() {
  std::unique_ptr<sandbox::Sandbox> sb;
  {
    std::lock_guard<std::mutex> lock(sandbox_mu_);
    sb = std::move(sandbox_);
  }
  if (!sb) return;
  if (Status st = sb->Stop(); !st.ok()) {
    LogWarning("sandbox stop failed", {{"project", id_}, {"error", st.ToString()}});
  }
  core_.sandbox_stops->Increment();
  LogInfo("sandbox stopped", {{"project", id_}});
}

Result<pty::SessionId> ProjectRuntime::StartSession(const std::string& name, std::string title,
                                                    std::vector<std::string> argv,
                                                    std::string display_command) {
  CODESPHERE_RETURN_IF_ERROR(EnsureSandbox());
  auto process_slot = std::make_shared<std::shared_ptr<sandbox::Process>>();
  pty::SessionOptions so;
  so.title = std::move(title);
  so.command = argv;
  pty::ProcessStarter starter = [this, argv, process_slot](const pty::PtySlave& slave)
      -> Result<std::unique_ptr<pty::PtyProcess>> {
    sandbox::ProcessOptions po;
    po.argv = argv;
    po.stdin_stdio = sandbox::Stdio::Fd(slave.fd);
    po.stdout_stdio = sandbox::Stdio::Fd(slave.fd);
    po.stderr_stdio = sandbox::Stdio::Fd(slave.fd);
    po.controlling_terminal = true;
    std::unique_ptr<sandbox::Process> process;
    {
      std::lock_guard<std::mutex> lock(sandbox_mu_);
      if (!sandbox_) return UnavailableError("the project's sandbox stopped");
      CODESPHERE_ASSIGN_OR_RETURN(process, sandbox_->Spawn(po));
    }
    std::shared_ptr<sandbox::Process> shared(std::move(process));
    *process_slot = shared;
    return std::unique_ptr<pty::PtyProcess>(new SandboxPtyProcess(slave.executor, shared));
  };
  CODESPHERE_ASSIGN_OR_RETURN(pty::SessionId session, mux_.CreateSession(std::move(so), std::move(starter)));
  Terminal& t = terminals_[name];
  if (t.session != 0) (void)mux_.CloseSession(t.session);
  t.session = session;
  t.title = mux_.GetSession(session)->title;
  t.command = std::move(display_command);
  t.process = *process_slot;
  return session;
}

Result<std::string> ProjectRuntime::NewShell(std::string title, std::string id) {
  if (id.empty()) {
    do {
      id = "t" + std::to_string(next_terminal_++);
    } while (terminals_.count(id) != 0);
  }
  if (title.empty()) title = "shell " + id.substr(id.starts_with("t") ? 1 : 0);
  std::vector<std::string> argv(std::begin(kShell), std::end(kShell));
  if (auto s = StartSession(id, std::move(title), argv, "bash"); !s.ok()) return s.error();
  return id;
}

Status ProjectRuntime::Run(const std::string& command) {
  if (auto s = StartSession("run", "run", {"/bin/sh", "-c", command}, command); !s.ok()) {
    return s.error();
  }
  if (run_id_ != 0) {
    (void)core_.store->EndRun(run_id_, RunState::kStopped, std::nullopt, core_.NowMs());
  }
  auto id = core_.store->StartRun(id_, core_.NowMs());
  run_id_ = id.ok() ? *id : 0;
  run_state_ = "running";
  running = true;
  Broadcast(R"({"type":"run","state":"running"})");
  LogInfo("run started", {{"project", id_}, {"command", command}});
  return OkStatus();
}

Status ProjectRuntime::StopRun() {
  auto it = terminals_.find("run");
  if (it != terminals_.end() && it->second.process) {
    auto info = mux_.GetSession(it->second.session);
    if (info.ok() && !info->exited) {
      int pid = it->second.process->pid();
      if (pid > 0) ::kill(-pid, SIGTERM);
      (void)it->second.process->Signal(SIGTERM);
      // Escalate if it ignores SIGTERM.
      auto timer = std::make_shared<asio::steady_timer>(strand(), std::chrono::seconds(3));
      std::weak_ptr<ProjectRuntime> weak = weak_from_this();
      pty::SessionId session = it->second.session;
      std::shared_ptr<sandbox::Process> process = it->second.process;
      timer->async_wait([timer, weak, session, process](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        auto info = self->mux_.GetSession(session);
        if (info.ok() && !info->exited) {
          if (process->pid() > 0) ::kill(-process->pid(), SIGKILL);
          (void)process->Signal(SIGKILL);
        }
      });
    }
  }
  if (run_id_ != 0) {
    (void)core_.store->EndRun(run_id_, RunState::kStopped, std::nullopt, core_.NowMs());
    run_id_ = 0;
  }
  run_state_ = "stopped";
  running = false;
  Broadcast(R"({"type":"run","state":"stopped"})");
  return OkStatus();
}

void ProjectRuntime::OnExit(pty::SessionId session, pty::ExitStatus status) {
  auto it = terminals_.find("run");
  if (it == terminals_.end() || it->second.session != session) return;
  if (run_state_ != "running") return;
  int code = status.signal != 0 ? 128 + status.signal : status.code;
  if (run_id_ != 0) {
    (void)core_.store->EndRun(run_id_, RunState::kExited, code, core_.NowMs());
    run_id_ = 0;
  }
  run_state_ = "exited";
  running = false;
  Object o;
  o.emplace_back("type", Any("run"));
  o.emplace_back("state", Any("exited"));
  o.emplace_back("code", Any(code));
  Broadcast(ToJson(Any(std::move(o))));
}

Any ProjectRuntime::ListTerminals() const {
  Array list;
  for (const auto& [name, t] : terminals_) {
    auto info = mux_.GetSession(t.session);
    Object o;
    o.emplace_back("id", Any(name));
    o.emplace_back("title", Any(t.title));
    o.emplace_back("command", Any(t.command));
    o.emplace_back("running", Any(info.ok() && !info->exited));
    list.emplace_back(std::move(o));
  }
  return Any(std::move(list));
}

void ProjectRuntime::OnPtyOpen(const std::string& terminal, pty::ViewerRole role,
                               pty::WindowSize size, std::shared_ptr<net::WebSocket> ws) {
  if (!ws->is_open()) return;
  last_active_ms = core_.NowMs();
  auto fail = [&](const Status& st) {
    SendJson(*ws, pty::BrowserEventJson(pty::Frame::Error(0, st)));
    ws->Close(net::CloseCode::kNormal, "no terminal");
  };
  auto it = terminals_.find(terminal);
  bool writer = role == pty::ViewerRole::kWriter;
  bool exited = false;
  if (it != terminals_.end()) {
    auto info = mux_.GetSession(it->second.session);
    exited = !info.ok() || info->exited;
  }
  if (terminal != "run" && writer && (it == terminals_.end() || exited)) {
    // A writer on a missing or finished shell starts a new one (docs/protocols.md).
    std::string title = it != terminals_.end() ? it->second.title : std::string();
    auto made = NewShell(title, terminal);
    if (!made.ok()) {
      fail(made.error());
      return;
    }
    it = terminals_.find(terminal);
  }
  if (it == terminals_.end()) {
    fail(NotFoundError("no such terminal"));
    return;
  }
  auto viewer = mux_.Attach(it->second.session, pty::ViewerOptions{role, size, true},
                            std::make_shared<SocketSink>(ws, strand()));
  if (!viewer.ok()) {
    fail(viewer.error());
    return;
  }
  ++connections;
  ptys_[ws->id()] = PtyConn{ws, std::move(*viewer)};
}

void ProjectRuntime::OnPtyMessage(std::uint64_t ws_id, const Bytes& data) {
  auto it = ptys_.find(ws_id);
  if (it == ptys_.end()) return;
  last_active_ms = core_.NowMs();
  PtyConn& c = it->second;
  auto frame = pty::ParseBrowserMessage(c.viewer->session(), data);
  Status st = frame.ok() ? OkStatus() : frame.error();
  if (frame.ok()) {
    switch (frame->type) {
      case pty::FrameType::kInput: st = c.viewer->Input(frame->data); break;
      case pty::FrameType::kResize: st = c.viewer->Resize(frame->size); break;
      case pty::FrameType::kSignal: st = c.viewer->Signal(frame->signal); break;
      default: st = InvalidArgumentError("unexpected message"); break;
    }
  }
  if (!st.ok()) SendJson(*c.ws, pty::BrowserEventJson(pty::Frame::Error(c.viewer->session(), st)));
}

void ProjectRuntime::OnPtyClose(std::uint64_t ws_id) {
  if (ptys_.erase(ws_id) != 0) --connections;
  last_active_ms = core_.NowMs();
}

void ProjectRuntime::OnEventsOpen(std::shared_ptr<net::WebSocket> ws, std::string username,
                                  std::string display) {
  if (!ws->is_open()) return;
  ++connections;
  last_active_ms = core_.NowMs();
  Object o;
  o.emplace_back("type", Any("run"));
  o.emplace_back("state", Any(run_state_));
  SendJson(*ws, ToJson(Any(std::move(o))));
  events_[ws->id()] = EventConn{ws, std::move(username), std::move(display)};
  Presence();
  // Files created, renamed or deleted by programs and shells reach the tree as `files`.
  files_->Start();
}

void ProjectRuntime::OnEventsClose(std::uint64_t ws_id) {
  if (events_.erase(ws_id) == 0) return;
  --connections;
  last_active_ms = core_.NowMs();
  Presence();
}

void ProjectRuntime::Presence() {
  std::map<std::string, std::string> users;
  for (const auto& [id, e] : events_) users[e.username] = e.display;
  Array list;
  for (const auto& [u, d] : users) {
    Object o;
    o.emplace_back("username", Any(u));
    o.emplace_back("display_name", Any(d));
    list.emplace_back(std::move(o));
  }
  Object ev;
  ev.emplace_back("type", Any("presence"));
  ev.emplace_back("users", Any(std::move(list)));
  Broadcast(ToJson(Any(std::move(ev))));
}

void ProjectRuntime::Broadcast(const std::string& json) {
  auto shared = net::MakeSharedBytes(Bytes(json.begin(), json.end()));
  for (const auto& [id, e] : events_) (void)e.ws->Send(shared, net::MessageKind::kText);
}

void ProjectRuntime::CloseAll() {
  files_->Close();
  for (auto& [id, c] : ptys_) c.ws->Close(net::CloseCode::kGoingAway, "project stopped");
  for (auto& [id, e] : events_) e.ws->Close(net::CloseCode::kGoingAway, "project stopped");
  ptys_.clear();
  events_.clear();
  connections = 0;
  for (const auto& s : mux_.ListSessions()) (void)mux_.CloseSession(s.id);
  terminals_.clear();
  if (run_id_ != 0) {
    (void)core_.store->EndRun(run_id_, RunState::kStopped, std::nullopt, core_.NowMs());
    run_id_ = 0;
  }
  run_state_ = "stopped";
  running = false;
}

}  // namespace internal

using internal::ProjectRuntime;

Result<std::shared_ptr<ProjectRuntime>> Platform::Impl::Runtime(std::string_view project) {
  if (auto rt = FindRuntime(project)) return rt;
  // Mounting takes a while the first time: outside `mu`.
  CODESPHERE_ASSIGN_OR_RETURN(auto volume, HoldWorkspace(project));
  std::lock_guard<std::mutex> lock(mu);
  auto it = runtimes.find(project);
  if (it != runtimes.end()) return it->second;
  auto rt = std::make_shared<ProjectRuntime>(*this, std::string(project), std::move(volume));
  runtimes.emplace(std::string(project), rt);
  return rt;
}

std::shared_ptr<ProjectRuntime> Platform::Impl::FindRuntime(std::string_view project) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = runtimes.find(project);
  return it == runtimes.end() ? nullptr : it->second;
}

void Platform::Impl::Touch(std::string_view project) {
  if (auto rt = FindRuntime(project)) rt->last_active_ms = NowMs();
}

void Platform::Impl::MarkDirty(std::string_view project) {
  std::lock_guard<std::mutex> lock(mu);
  dirty.emplace(project);
}

void Platform::Impl::Event(std::string_view project, const Any& event) {
  auto rt = FindRuntime(project);
  if (!rt) return;
  asio::post(rt->strand(), [rt, json = ToJson(event)] { rt->Broadcast(json); });
}

Status Platform::Impl::Snapshot(std::string_view project) {
  // A deleted project has nothing to save; a capped one is read from its mounted volume.
  auto volume = HoldWorkspace(project, Hold::kMaintenance);
  if (!volume.ok()) return volume.error().code() == StatusCode::kNotFound ? OkStatus() : volume.error();
  std::string dir = WorkspaceDir(project);
  if (!std::filesystem::exists(dir)) return OkStatus();
  filesync::SaveOptions so;
  so.project = std::string(project);
  std::lock_guard<std::mutex> lock(repo_mu);
  auto saved = repo->Save(dir, so);
  if (!saved.ok()) {
    LogError("snapshot failed", {{"project", project}, {"error", saved.error().ToString()}});
    return saved.error();
  }
  snapshots->Increment();
  LogInfo("snapshot", {{"project", project},
                       {"snapshot", saved->snapshot.id},
                       {"files", saved->snapshot.files},
                       {"files_read", saved->files_read}});
  return OkStatus();
}

void Platform::Impl::DropRuntime(std::string_view project, bool snapshot) {
  std::shared_ptr<ProjectRuntime> rt;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = runtimes.find(project);
    if (it == runtimes.end()) return;
    rt = it->second;
    runtimes.erase(it);
  }
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  asio::post(rt->strand(), [rt, done] {
    rt->CloseAll();
    done->set_value();
  });
  // The io_context may be gone at process exit: do not wait forever.
  finished.wait_for(std::chrono::seconds(5));
  // The file agents and the workspace watch close on the blocking pool: finish that while
  // the platform (and its pool) surely exist.
  (void)rt->files().WaitClosed(std::chrono::seconds(5));
  if (snapshot && rt->has_sandbox()) (void)Snapshot(project);
  rt->StopSandbox();
}

void Platform::Impl::MaintenanceTick() {
  if (stopping) return;
  std::int64_t now = NowMs();
  std::vector<std::string> idle;
  std::vector<std::string> to_snapshot;
  bool snapshot_due = now - last_snapshot_ms >= options.snapshot_interval.count();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, rt] : runtimes) {
      if (rt->connections.load() == 0 && !rt->running.load() &&
          now - rt->last_active_ms.load() >= options.idle_timeout.count()) {
        idle.push_back(id);
      }
    }
    if (snapshot_due) {
      last_snapshot_ms = now;
      to_snapshot.assign(dirty.begin(), dirty.end());
      dirty.clear();
      for (const auto& [id, rt] : runtimes) {
        if (std::find(to_snapshot.begin(), to_snapshot.end(), id) == to_snapshot.end()) {
          to_snapshot.push_back(id);
        }
      }
    }
  }
  std::shared_ptr<Impl> self = shared_from_this();
  for (const auto& id : idle) {
    auto project = store->GetProject(id);
    if (project.ok() && project->always_on) continue;
    asio::post(blocking, [self, id] {
      LogInfo("stopping idle project", {{"project", id}});
      self->DropRuntime(id, true);
    });
  }
  for (const auto& id : to_snapshot) {
    if (std::find(idle.begin(), idle.end(), id) != idle.end()) continue;
    asio::post(blocking, [self, id] { (void)self->Snapshot(id); });
  }
  asio::post(blocking, [self] { self->ReleaseIdleVolumes(); });
  auto period = std::clamp<std::chrono::milliseconds>(
      std::min(options.idle_timeout, options.snapshot_interval) / 2, std::chrono::milliseconds(50),
      std::chrono::milliseconds(30000));
  maintenance_timer.expires_after(period);
  std::weak_ptr<Impl> weak = self;
  maintenance_timer.async_wait([weak](std::error_code ec) {
    auto s = weak.lock();
    if (!ec && s) s->MaintenanceTick();
  });
}

namespace {

// "/pty/{project}/{terminal}" -> (project, terminal); "/events/{project}" -> (project, "").
std::optional<std::pair<std::string, std::string>> SplitTarget(std::string_view rest) {
  auto slash = rest.find('/');
  auto project = net::PercentDecode(rest.substr(0, slash));
  if (!project.ok()) return std::nullopt;
  std::string second;
  if (slash != std::string_view::npos) {
    auto t = net::PercentDecode(rest.substr(slash + 1));
    if (!t.ok()) return std::nullopt;
    second = *t;
  }
  return std::make_pair(*project, second);
}

}  // namespace

void Platform::Impl::RegisterRuntime() {
  server->HandleWebSocket("/pty/", [this](const net::HttpRequest& req, net::UpgradeResponder r) {
    auto target = SplitTarget(std::string_view(req.path).substr(5));
    if (!target || !internal::ValidTerminalName(target->second)) {
      r.Reject(internal::ErrorResponse(InvalidArgumentError("expected /pty/{project}/{terminal}")));
      return;
    }
    asio::post(blocking, [this, req, target = *target, r = std::move(r)]() mutable {
      auto caller = Authenticate(req);
      if (!caller.ok()) {
        r.Reject(internal::ErrorResponse(caller.error()));
        return;
      }
      auto role = RequireRole(*caller, target.first, auth::Role::kViewer);
      if (!role.ok()) {
        r.Reject(internal::ErrorResponse(role.error()));
        return;
      }
      pty::ViewerRole vr = *role == auth::Role::kViewer ? pty::ViewerRole::kReadOnly
                                                        : pty::ViewerRole::kWriter;
      if (auto asked = net::QueryParam(req.query, "role")) {
        auto parsed = pty::ParseViewerRole(*asked);
        if (parsed.ok() && *parsed == pty::ViewerRole::kReadOnly) vr = *parsed;
      }
      pty::WindowSize size{internal::QueryDimension(req.query, "cols", 80),
                           internal::QueryDimension(req.query, "rows", 24)};
      auto runtime = Runtime(target.first);
      if (!runtime.ok()) {
        r.Reject(internal::ErrorResponse(runtime.error()));
        return;
      }
      std::shared_ptr<ProjectRuntime> rt = *runtime;
      net::WebSocketHandlers h;
      h.on_message = [rt](net::WebSocket& ws, ByteSpan data, net::MessageKind) {
        asio::post(rt->strand(), [rt, id = ws.id(), bytes = Bytes(data.begin(), data.end())] {
          rt->OnPtyMessage(id, bytes);
        });
      };
      h.on_close = [rt](net::WebSocket& ws, const net::CloseInfo&) {
        asio::post(rt->strand(), [rt, id = ws.id()] { rt->OnPtyClose(id); });
      };
      r.Accept(std::move(h), [rt, name = target.second, vr, size](std::shared_ptr<net::WebSocket> ws) {
        asio::post(rt->strand(), [rt, name, vr, size, ws] { rt->OnPtyOpen(name, vr, size, ws); });
      });
    });
  });
  server->HandleWebSocket("/events/", [this](const net::HttpRequest& req, net::UpgradeResponder r) {
    auto target = SplitTarget(std::string_view(req.path).substr(8));
    if (!target || !target->second.empty()) {
      r.Reject(internal::ErrorResponse(InvalidArgumentError("expected /events/{project}")));
      return;
    }
    asio::post(blocking, [this, req, project = target->first, r = std::move(r)]() mutable {
      auto caller = Authenticate(req);
      if (!caller.ok()) {
        r.Reject(internal::ErrorResponse(caller.error()));
        return;
      }
      if (auto role = RequireRole(*caller, project, auth::Role::kViewer); !role.ok()) {
        r.Reject(internal::ErrorResponse(role.error()));
        return;
      }
      auto runtime = Runtime(project);
      if (!runtime.ok()) {
        r.Reject(internal::ErrorResponse(runtime.error()));
        return;
      }
      std::shared_ptr<ProjectRuntime> rt = *runtime;
      net::WebSocketHandlers h;
      h.on_close = [rt](net::WebSocket& ws, const net::CloseInfo&) {
        asio::post(rt->strand(), [rt, id = ws.id()] { rt->OnEventsClose(id); });
      };
      std::string username = caller->user.username;
      std::string display = caller->user.display_name;
      r.Accept(std::move(h), [rt, username, display](std::shared_ptr<net::WebSocket> ws) {
        asio::post(rt->strand(), [rt, username, display, ws] { rt->OnEventsOpen(ws, username, display); });
      });
    });
  });
}

}  // namespace codesphere::server
