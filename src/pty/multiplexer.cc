// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The multiplexer: per session one PTY reader that fills a scrollback ring, one input writer,
// one process waiter; per viewer one writer coroutine that walks a cursor through the ring.
// Everything runs on the multiplexer's strand, so there are no locks.

#include "codesphere/pty/multiplexer.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "pty/reply_filter.h"
#include "pty/scrollback.h"

namespace codesphere::pty {
namespace internal {

constexpr std::size_t kMinReadHint = 4096;
constexpr std::size_t kMinScrollback = 4096;

// A timer used as a wake-up signal: Wait() suspends until Notify() (or cancellation).
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& ex) : timer_(ex) {}
  asio::awaitable<void> Wait() { return WaitUntil(asio::steady_timer::time_point::max()); }
  // Suspends until Notify() or `deadline`, whichever comes first.
  asio::awaitable<void> WaitUntil(asio::steady_timer::time_point deadline) {
    waiting_ = true;
    timer_.expires_at(deadline);
    std::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiting_ = false;
  }
  void Notify() {
    if (waiting_) timer_.cancel();
  }
  bool waiting() const { return waiting_; }

 private:
  asio::steady_timer timer_;
  bool waiting_ = false;
};

using Clock = std::chrono::steady_clock;

// The two sessions typed into most recently and when, which is all the fair share needs to
// know: whether any session other than a given one was typed into lately.
struct RecentInput {
  SessionId latest = 0;
  Clock::time_point latest_at{};
  SessionId other = 0;  // the session typed into most recently before `latest`
  Clock::time_point other_at{};

  void Record(SessionId id, Clock::time_point now) {
    if (id != latest) {
      other = latest;
      other_at = latest_at;
      latest = id;
    }
    latest_at = now;
  }
  // A closed session no longer counts.
  void Forget(SessionId id) {
    if (id == latest) {
      latest = other;
      latest_at = other_at;
    } else if (id != other) {
      return;
    }
    other = 0;
    other_at = {};
  }
  // The latest input into any session but `id` ({} if none).
  Clock::time_point LatestOtherThan(SessionId id) const {
    return id == latest ? other_at : latest_at;
  }
};

struct ViewerState {
  ViewerState(const asio::any_io_executor& ex, std::shared_ptr<ViewerSink> s, ViewerRole r,
              WindowSize sz)
      : sink(std::move(s)), role(r), size(sz), wake(ex) {}

  struct Control {
    std::uint64_t at;  // deliver once output up to this offset was sent
    Frame frame;
  };

  std::weak_ptr<SessionState> session;
  std::shared_ptr<ViewerSink> sink;
  ViewerRole role;
  WindowSize size;
  std::uint64_t cursor = 0;
  bool attached = true;
  std::deque<Control> control;
  Signal wake;
  std::uint64_t resyncs = 0;

  void Push(std::uint64_t at, Frame frame) {
    // Coalesce size changes: only the newest matters.
    if (frame.type == FrameType::kResize && !control.empty() &&
        control.back().frame.type == FrameType::kResize) {
      control.back() = Control{at, std::move(frame)};
    } else {
      control.push_back(Control{at, std::move(frame)});
    }
    wake.Notify();
  }
};

struct SessionState : std::enable_shared_from_this<SessionState> {
  SessionState(asio::any_io_executor ex, SessionId i, SessionOptions o, std::unique_ptr<Pty> p,
               const MultiplexerOptions& mo, std::shared_ptr<Multiplexer::ExitCallback> cb,
               std::shared_ptr<RecentInput> recent, std::shared_ptr<Multiplexer*> owner_ref)
      : executor(ex),
        id(i),
        options(std::move(o)),
        mux(mo),
        pty(std::move(p)),
        ring(std::max(kMinScrollback,
                      options.scrollback_bytes ? options.scrollback_bytes : mo.scrollback_bytes)),
        read_resume(ex),
        input_wake(ex),
        timer(ex),
        exit_callback(std::move(cb)),
        recent_input(std::move(recent)),
        owner(std::move(owner_ref)) {}

  asio::any_io_executor executor;
  SessionId id;
  SessionOptions options;
  MultiplexerOptions mux;
  std::unique_ptr<Pty> pty;
  ScrollbackRing ring;
  std::vector<std::shared_ptr<ViewerState>> viewers;
  ViewerState* primary = nullptr;     // whose query replies reach the program
  ViewerState* size_owner = nullptr;  // the most recently active writer
  Signal read_resume;
  bool read_paused = false;
  bool read_throttled = false;
  Clock::time_point share_paid_at{};  // see FairShareUntil
  std::size_t read_hint = kMinReadHint;
  std::deque<Bytes> input;
  std::size_t input_bytes = 0;
  Signal input_wake;
  bool output_done = false;
  bool process_done = false;
  bool finished = false;
  bool closed = false;
  ExitStatus exit_status;
  asio::steady_timer timer;  // exit drain, then kill after close
  std::shared_ptr<Multiplexer::ExitCallback> exit_callback;
  std::shared_ptr<RecentInput> recent_input;
  std::weak_ptr<Multiplexer*> owner;

  void Start() {
    auto self = shared_from_this();
    asio::co_spawn(executor, ReadLoop(self), asio::detached);
    asio::co_spawn(executor, InputLoop(self), asio::detached);
    asio::co_spawn(executor, WaitLoop(self), asio::detached);
  }

  void Trace(TracePoint point, std::size_t bytes) const {
    if (mux.trace) mux.trace(point, id, bytes);
  }

  // --- output ---

  bool AllViewersBehind() const {
    bool any = false;
    for (const auto& v : viewers) {
      if (!v->attached) continue;
      any = true;
      if (ring.end() - v->cursor < mux.viewer_lag_bytes) return false;
    }
    return any;
  }

  static asio::awaitable<void> ReadLoop(std::shared_ptr<SessionState> self) {
    while (!self->closed) {
      if (self->AllViewersBehind()) {
        self->read_paused = true;
        co_await self->read_resume.Wait();
        self->read_paused = false;
        continue;
      }
      auto span = self->ring.Prepare(self->read_hint);
      const Clock::time_point read_start = Clock::now();
      auto n = co_await self->pty->Read(span);
      if (self->closed || !n.ok() || *n == 0) {
        self->ring.Commit(0);
        if (!n.ok() && n.error().code() != StatusCode::kCancelled) {
          LogWarning("pty session read failed",
                     {{"session", self->id}, {"error", n.error().ToString()}});
        }
        break;
      }
      self->ring.Commit(*n);
      self->Trace(TracePoint::kOutputRead, *n);
      // Adapt the read size: big while output streams, small (less memory) when idle.
      const std::size_t max_read = std::max(kMinReadHint, self->mux.max_read_bytes);
      const bool full = *n == span.size();
      self->read_hint = full ? std::min(max_read, self->read_hint * 2)
                             : std::max(kMinReadHint, self->read_hint / 2);
      for (const auto& v : self->viewers) v->wake.Notify();
      // While another session is interactive, output beyond the fair share waits before the
      // next read; see MultiplexerOptions::flood_read_rate.
      if (const auto until = self->FairShareUntil(*n, read_start); until > Clock::now()) {
        self->read_throttled = true;
        co_await self->read_resume.WaitUntil(until);
        self->read_throttled = false;
      }
    }
    self->output_done = true;
    self->MaybeFinish();
  }

  // The fair share of output reads, a token bucket kept as the time at which the bytes read so
  // far are paid for (`share_paid_at`, GCRA): it advances by n / flood_read_rate per read and
  // may run ahead of the clock by one burst (max_read_bytes). Only output read while another
  // session is interactive is charged. Returns when the next read may start (a time in the
  // past: at once); never later than the end of the other sessions' interactive window,
  // after which the session streams at full speed again.
  Clock::time_point FairShareUntil(std::size_t n, Clock::time_point read_start) {
    if (mux.flood_read_rate == 0) return {};
    const Clock::time_point typed = recent_input->LatestOtherThan(id);
    // (A year is "for ever" and keeps the sum from overflowing.)
    constexpr std::chrono::milliseconds kForever = std::chrono::hours(24 * 365);
    const Clock::time_point window_end = typed + std::min(mux.interactive_window, kForever);
    if (typed == Clock::time_point{} || window_end <= read_start) {
      share_paid_at = {};
      return {};
    }
    const auto cost = [&](std::size_t bytes) {
      return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          static_cast<double>(bytes) / static_cast<double>(mux.flood_read_rate)));
    };
    share_paid_at = std::max(share_paid_at, read_start) + cost(n);
    const Clock::duration burst = cost(std::max(kMinReadHint, mux.max_read_bytes));
    return std::min(share_paid_at - burst, window_end);
  }

  void OnViewerProgress() {
    if (read_paused && !AllViewersBehind()) read_resume.Notify();
  }

  // Where a replay starts: the ring's start, past any UTF-8 continuation bytes of a
  // character whose head was dropped.
  std::uint64_t ReplayStart() const {
    std::uint64_t o = ring.begin();
    if (o == 0) return o;
    for (int k = 0; k < 3 && o < ring.end() && (ring.At(o) & 0xc0) == 0x80; ++k) ++o;
    return o;
  }

  static asio::awaitable<void> WriterLoop(std::shared_ptr<SessionState> self,
                                          std::shared_ptr<ViewerState> v) {
    const std::size_t max_frame = std::max<std::size_t>(1024, self->mux.max_output_frame);
    for (;;) {
      if (!v->control.empty() && (!v->attached || v->control.front().at <= v->cursor ||
                                  v->cursor >= self->ring.end())) {
        Frame f = std::move(v->control.front().frame);
        v->control.pop_front();
        const bool last = f.type == FrameType::kDetach;
        if (!(co_await v->sink->Send(std::move(f))).ok() || last) break;
        continue;
      }
      if (!v->attached) break;
      if (v->cursor < self->ring.begin()) {
        // Fell out of the scrollback: reset the terminal and replay what is left.
        v->cursor = self->ReplayStart();
        ++v->resyncs;
        if (!(co_await v->sink->Send(Frame::Output(self->id, ToBytes("\x1b" "c")))).ok()) break;
        continue;
      }
      if (v->cursor < self->ring.end()) {
        Bytes chunk;
        const std::size_t n = self->ring.CopyOut(v->cursor, max_frame, chunk);
        self->Trace(TracePoint::kOutputSent, n);
        const Status st = co_await v->sink->Send(Frame::Output(self->id, std::move(chunk)));
        if (!st.ok()) break;
        v->cursor += n;
        self->OnViewerProgress();
        continue;
      }
      co_await v->wake.Wait();
    }
    self->Detach(*v);
  }

  // --- input ---

  static asio::awaitable<void> InputLoop(std::shared_ptr<SessionState> self) {
    while (!self->closed) {
      if (self->input.empty()) {
        co_await self->input_wake.Wait();
        continue;
      }
      Bytes data = std::move(self->input.front());
      self->input.pop_front();
      const Status st = co_await self->pty->Write(data);
      self->Trace(TracePoint::kInputWritten, data.size());
      self->input_bytes -= data.size();
      if (!st.ok()) break;
    }
    self->input.clear();
    self->input_bytes = 0;
  }

  bool accepting_input() const { return !closed && !output_done && !process_done; }

  Status Input(ViewerState& v, ByteSpan data) {
    if (!v.attached) return FailedPreconditionError("terminal input: viewer is detached");
    if (v.role != ViewerRole::kWriter) {
      return PermissionDeniedError("terminal input: viewer is read-only");
    }
    if (!accepting_input()) return FailedPreconditionError("terminal input: program has exited");
    Bytes kept;
    if (primary == &v) {
      kept.assign(data.begin(), data.end());
    } else {
      kept = StripTerminalReplies(data);
      if (!kept.empty()) primary = &v;  // an active typist becomes the primary writer
    }
    if (kept.empty()) return OkStatus();
    MarkActive(v);
    recent_input->Record(id, Clock::now());
    if (input_bytes + kept.size() > mux.max_pending_input) {
      return ResourceExhaustedError("terminal input: the program is not reading its input");
    }
    input_bytes += kept.size();
    input.push_back(std::move(kept));
    input_wake.Notify();
    return OkStatus();
  }

  // --- size ---

  WindowSize Clamp(WindowSize s) const {
    s.cols = std::clamp(s.cols, mux.min_size.cols, mux.max_size.cols);
    s.rows = std::clamp(s.rows, mux.min_size.rows, mux.max_size.rows);
    return s;
  }

  void MarkActive(ViewerState& v) {
    if (size_owner == &v) return;
    size_owner = &v;
    ApplySize(v.size);
  }

  void ApplySize(WindowSize size) {
    if (closed) return;
    size = Clamp(size);
    if (size == pty->size()) return;
    if (Status st = pty->Resize(size); !st.ok()) {
      LogWarning("pty resize failed", {{"session", id}, {"error", st.ToString()}});
      return;
    }
    for (const auto& viewer : viewers) viewer->Push(ring.end(), Frame::Resize(id, size));
  }

  Status Resize(ViewerState& v, WindowSize size) {
    if (!v.attached) return FailedPreconditionError("terminal resize: viewer is detached");
    if (size.cols == 0 || size.rows == 0) {
      return InvalidArgumentError("terminal resize: zero window dimension");
    }
    v.size = size;
    if (v.role == ViewerRole::kWriter) {
      size_owner = &v;
      ApplySize(size);
    }
    return OkStatus();
  }

  Status SignalForeground(ViewerState& v, int signo) {
    if (!v.attached) return FailedPreconditionError("terminal signal: viewer is detached");
    if (v.role != ViewerRole::kWriter) {
      return PermissionDeniedError("terminal signal: viewer is read-only");
    }
    if (!IsTerminalSignal(signo)) {
      return InvalidArgumentError("terminal signal: signal " + std::to_string(signo) +
                                  " is not allowed");
    }
    if (!accepting_input()) return FailedPreconditionError("terminal signal: program has exited");
    return pty->Signal(signo);
  }

  // --- lifecycle ---

  static asio::awaitable<void> WaitLoop(std::shared_ptr<SessionState> self) {
    auto status = co_await self->pty->Wait();
    self->process_done = true;
    if (status.ok()) {
      self->exit_status = *status;
    } else {
      self->exit_status = ExitStatus{-1, 0};
    }
    if (!self->output_done && !self->closed) {
      // Others may still hold the terminal open; give the output a moment, then hang up.
      self->timer.expires_after(self->mux.exit_drain_timeout);
      std::error_code ec;
      co_await self->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!self->output_done) self->pty->Close();
    }
    self->MaybeFinish();
  }

  void MaybeFinish() {
    if (finished || closed || !output_done || !process_done) return;
    finished = true;
    input_wake.Notify();
    for (const auto& v : viewers) v->Push(ring.end(), Frame::Exit(id, exit_status));
    if (exit_callback && *exit_callback) (*exit_callback)(id, exit_status);
  }

  void Detach(ViewerState& v) {
    if (!v.attached && std::find_if(viewers.begin(), viewers.end(), [&](const auto& p) {
                         return p.get() == &v;
                       }) == viewers.end()) {
      return;
    }
    v.attached = false;
    v.control.clear();  // nothing more for a viewer that left
    v.wake.Notify();
    std::erase_if(viewers, [&](const auto& p) { return p.get() == &v; });
    if (primary == &v || size_owner == &v) {
      ViewerState* next = nullptr;
      for (const auto& p : viewers) {
        if (p->role == ViewerRole::kWriter) {
          next = p.get();
          break;
        }
      }
      if (primary == &v) primary = next;
      if (size_owner == &v) size_owner = next;
    }
    OnViewerProgress();
    if (viewers.empty() && options.close_when_unviewed && !closed) {
      // Not from inside our own call chain: post the close.
      asio::post(executor, [owner = owner, id = id] {
        if (auto mux = owner.lock()) (void)(*mux)->CloseSession(id);
      });
    }
  }

  // Hangs up: viewers get a detach frame, the process SIGHUP, then SIGKILL if it lingers.
  void Shutdown() {
    if (closed) return;
    closed = true;
    recent_input->Forget(id);
    for (const auto& v : viewers) {
      v->attached = false;
      v->control.clear();
      v->Push(0, Frame::Detach(id));
    }
    viewers.clear();
    primary = size_owner = nullptr;
    read_resume.Notify();
    input_wake.Notify();
    pty->Close();
    if (!process_done) {
      timer.cancel();
      timer.expires_after(mux.exit_drain_timeout);
      timer.async_wait([self = shared_from_this()](std::error_code) {
        if (!self->process_done) (void)self->pty->process().Kill(SIGKILL);
      });
    }
  }

  SessionInfo Info() const {
    SessionInfo info;
    info.id = id;
    info.title = options.title;
    info.command = options.command;
    info.size = pty->size();
    info.pid = pty->process().pid();
    info.viewers = viewers.size();
    info.exited = finished;
    info.exit_status = exit_status;
    info.output_bytes = ring.end();
    info.scrollback_bytes = ring.size();
    info.output_paused = read_paused;
    info.output_throttled = read_throttled;
    return info;
  }
};

}  // namespace internal

using internal::SessionState;
using internal::ViewerState;

Viewer::Viewer(SessionId session, ViewerRole role, std::shared_ptr<ViewerState> state)
    : session_(session), role_(role), state_(std::move(state)) {}

Viewer::~Viewer() {
  if (auto s = state_->session.lock()) {
    s->Detach(*state_);
  } else {
    state_->attached = false;
    state_->wake.Notify();
  }
}

Status Viewer::Input(ByteSpan data) {
  auto s = state_->session.lock();
  if (!s) return FailedPreconditionError("terminal input: session is closed");
  return s->Input(*state_, data);
}

Status Viewer::Resize(WindowSize size) {
  auto s = state_->session.lock();
  if (!s) return FailedPreconditionError("terminal resize: session is closed");
  return s->Resize(*state_, size);
}

Status Viewer::Signal(int signo) {
  auto s = state_->session.lock();
  if (!s) return FailedPreconditionError("terminal signal: session is closed");
  return s->SignalForeground(*state_, signo);
}

bool Viewer::attached() const { return state_->attached; }

Multiplexer::Multiplexer(asio::any_io_executor executor, MultiplexerOptions options)
    : strand_(asio::make_strand(std::move(executor))),
      options_(options),
      exit_callback_(std::make_shared<ExitCallback>()),
      recent_input_(std::make_shared<internal::RecentInput>()),
      self_(std::make_shared<Multiplexer*>(this)) {}

Multiplexer::~Multiplexer() {
  self_.reset();
  *exit_callback_ = nullptr;
  for (const auto& s : sessions_) s->Shutdown();
}

void Multiplexer::set_exit_callback(ExitCallback callback) { *exit_callback_ = std::move(callback); }

std::shared_ptr<SessionState> Multiplexer::Find(SessionId id) const {
  for (const auto& s : sessions_) {
    if (s->id == id) return s;
  }
  return nullptr;
}

Result<SessionId> Multiplexer::CreateSession(SessionOptions options, ProcessStarter starter) {
  if (options.size.cols == 0 || options.size.rows == 0) {
    return InvalidArgumentError("create session: zero window dimension");
  }
  if (sessions_.size() >= options_.max_sessions) {
    return ResourceExhaustedError("create session: " + std::to_string(sessions_.size()) +
                                  " sessions open, the limit");
  }
  PtyOptions pty_options;
  pty_options.size.cols = std::clamp(options.size.cols, options_.min_size.cols, options_.max_size.cols);
  pty_options.size.rows = std::clamp(options.size.rows, options_.min_size.rows, options_.max_size.rows);
  CODESPHERE_ASSIGN_OR_RETURN(auto pty, NewLinuxPty(strand_, pty_options, std::move(starter)));
  return AdoptSession(std::move(options), std::move(pty));
}

Result<SessionId> Multiplexer::AdoptSession(SessionOptions options, std::unique_ptr<Pty> pty) {
  CODESPHERE_CHECK(pty != nullptr);
  if (sessions_.size() >= options_.max_sessions) {
    return ResourceExhaustedError("adopt session: too many sessions");
  }
  if (options.title.empty()) {
    for (const auto& part : options.command) {
      if (!options.title.empty()) options.title += ' ';
      options.title += part;
    }
  }
  const SessionId id = next_id_++;
  auto state = std::make_shared<SessionState>(strand_, id, std::move(options), std::move(pty),
                                              options_, exit_callback_, recent_input_, self_);
  sessions_.push_back(state);
  state->Start();
  return id;
}

Result<std::unique_ptr<Viewer>> Multiplexer::Attach(SessionId id, ViewerOptions options,
                                                    std::shared_ptr<ViewerSink> sink) {
  CODESPHERE_CHECK(sink != nullptr);
  auto s = Find(id);
  if (!s) return NotFoundError("attach: no terminal session " + std::to_string(id));
  if (options.size.cols == 0 || options.size.rows == 0) {
    return InvalidArgumentError("attach: zero window dimension");
  }
  if (s->viewers.size() >= options_.max_viewers_per_session) {
    return ResourceExhaustedError("attach: session " + std::to_string(id) + " has " +
                                  std::to_string(s->viewers.size()) + " viewers, the limit");
  }
  auto v = std::make_shared<ViewerState>(strand_, std::move(sink), options.role, options.size);
  v->session = s;
  v->cursor = options.replay ? s->ReplayStart() : s->ring.end();
  s->viewers.push_back(v);
  if (options.role == ViewerRole::kWriter) {
    if (s->primary == nullptr) s->primary = v.get();
    // The newest writer's size wins (see docs/pty.md, "Size policy").
    s->size_owner = v.get();
    s->ApplySize(options.size);
  }
  v->control.push_front(ViewerState::Control{
      0, Frame::Attach(id, options.role, s->pty->size(), s->options.title)});
  if (s->finished) v->Push(s->ring.end(), Frame::Exit(id, s->exit_status));
  asio::co_spawn(strand_, SessionState::WriterLoop(s, v), asio::detached);
  return std::unique_ptr<Viewer>(new Viewer(id, options.role, std::move(v)));
}

Status Multiplexer::CloseSession(SessionId id) {
  auto it = std::find_if(sessions_.begin(), sessions_.end(),
                         [&](const auto& s) { return s->id == id; });
  if (it == sessions_.end()) return NotFoundError("close: no terminal session " + std::to_string(id));
  auto s = *it;
  sessions_.erase(it);
  s->Shutdown();
  // Its input no longer counts against the others' fair share: let them look again.
  for (const auto& other : sessions_) {
    if (other->read_throttled) other->read_resume.Notify();
  }
  return OkStatus();
}

Result<SessionInfo> Multiplexer::GetSession(SessionId id) const {
  auto s = Find(id);
  if (!s) return NotFoundError("no terminal session " + std::to_string(id));
  return s->Info();
}

std::vector<SessionInfo> Multiplexer::ListSessions() const {
  std::vector<SessionInfo> out;
  for (const auto& s : sessions_) out.push_back(s->Info());
  return out;
}

}  // namespace codesphere::pty
