// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Multiplexer`: the terminals of one workspace. Sessions (a `Pty` each, with a stable id, a
// title and a command) outlive their viewers; viewers attach with a role, get the scrollback
// replayed, and receive output through their own flow-controlled stream. Design and policies:
// docs/pty.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/strand.hpp>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/pty/frame.h"
#include "codesphere/pty/pty.h"

namespace codesphere::pty {

// Where a viewer's frames go: implemented by a transport (a WebSocket, one session of a
// multiplexed connection, a test). The multiplexer keeps at most one `Send` outstanding per
// viewer and sends the next frame only after it completes, so a sink that completes a send
// only once its transport has room gives real flow control.
//
// Thread-safety: `Send` is called on the multiplexer's executor; an implementation may
// complete it from elsewhere by posting back.
class ViewerSink {
 public:
  ViewerSink() = default;
  ViewerSink(const ViewerSink&) = delete;
  ViewerSink& operator=(const ViewerSink&) = delete;
  virtual ~ViewerSink() = default;

  // Delivers `frame` (types kOutput, kResize, kExit, kAttach, kDetach, kError). Returning an
  // error detaches the viewer.
  virtual asio::awaitable<Status> Send(Frame frame) = 0;
};

// Points on a session's paths that `MultiplexerOptions::trace` observes.
enum class TracePoint : std::uint8_t {
  kInputWritten = 1,  // a viewer's input was written to the PTY
  kOutputRead = 2,    // a batch of output was read from the PTY into the scrollback
  kOutputSent = 3,    // a frame of output was handed to a viewer's sink
};

// Options of a `Multiplexer`.
struct MultiplexerOptions {
  // Scrollback ring per session, replayed on attach. Memory grows with use up to this.
  // Default: 1 MiB.
  std::size_t scrollback_bytes = 1 << 20;
  // A viewer whose undelivered output exceeds this is "behind". When every viewer of a session
  // is behind, the session stops reading its PTY (the program blocks on write). A viewer that
  // falls out of the scrollback is resynced (terminal reset + replay). Default: 256 KiB.
  std::size_t viewer_lag_bytes = 256 << 10;
  // Largest output frame sent to a viewer. Default: 64 KiB.
  std::size_t max_output_frame = 64 << 10;
  // Largest batch taken from the PTY in one read (reads start at 4 KiB and double while they
  // come back full). Smaller batches reach viewers sooner, larger ones cost fewer wake-ups.
  // Default: 64 KiB.
  std::size_t max_read_bytes = 64 << 10;
  // Fair share of the machine between terminals. While another session of this multiplexer
  // has had input within `interactive_window` (someone is typing there), a session reads its
  // output at most at this many bytes per second, with a burst of `max_read_bytes`. A flood
  // then fills its PTY and its program blocks on write instead of keeping a CPU busy, which
  // is what the typist's program and this server need to answer keystrokes promptly. Output
  // below the rate is never delayed; a session alone, or with only quiet neighbours, streams
  // at full speed. 0 turns the fair share off. Default: 256 KiB/s. See docs/pty.md, "Fair share
  // between terminals".
  std::size_t flood_read_rate = 256 << 10;
  // How long a session counts as interactive after its last input. Default: 1 s.
  std::chrono::milliseconds interactive_window{1000};
  // Input queued for a program that does not read it; more is refused with
  // kResourceExhausted. Default: 256 KiB.
  std::size_t max_pending_input = 256 << 10;
  // Terminal sizes are clamped into [min_size, max_size] (sizes of 0 are refused).
  // Default: 2x1 .. 1000x500.
  WindowSize min_size{2, 1};
  WindowSize max_size{1000, 500};
  // Limits on sessions and on viewers per session (kResourceExhausted past them).
  // Default: 1024 and 64.
  std::size_t max_sessions = 1024;
  std::size_t max_viewers_per_session = 64;
  // After the process exits, how long to wait for the rest of its output (other processes
  // may still hold the terminal) before hanging up. Default: 1 s.
  std::chrono::milliseconds exit_drain_timeout{1000};
  // Observes the input and output paths (called on the executor, so keep it cheap), for
  // latency breakdowns: `codesphere-term --trace`, bench/pty. Default: none.
  std::function<void(TracePoint, SessionId, std::size_t bytes)> trace;
};

// What a session is created with.
struct SessionOptions {
  // Shown in UIs. Default: empty (the command, joined by spaces, is used).
  std::string title;
  // The command, for display and listings; what actually runs is up to the `ProcessStarter`.
  std::vector<std::string> command;
  // Initial terminal size (clamped). Default: 80x24.
  WindowSize size;
  // Overrides MultiplexerOptions::scrollback_bytes when non-zero. Default: 0.
  std::size_t scrollback_bytes = 0;
  // Destroy the session when its last viewer detaches (instead of keeping it for later
  // viewers). Default: false.
  bool close_when_unviewed = false;
};

// A snapshot of one session.
struct SessionInfo {
  SessionId id = 0;
  std::string title;
  std::vector<std::string> command;
  WindowSize size;
  int pid = -1;
  std::size_t viewers = 0;
  bool exited = false;
  ExitStatus exit_status;
  // Total output bytes read from the PTY since the start.
  std::uint64_t output_bytes = 0;
  // Scrollback bytes currently kept.
  std::size_t scrollback_bytes = 0;
  // True while reading is paused because every viewer is behind.
  bool output_paused = false;
  // True while the session's output reads are held to `flood_read_rate` (it floods while
  // another session is interactive).
  bool output_throttled = false;
};

// How a viewer attaches.
struct ViewerOptions {
  ViewerRole role = ViewerRole::kWriter;
  // The viewer's own size (a writer's size may become the terminal's; see docs/pty.md).
  WindowSize size;
  // Replay the scrollback first. Default: true.
  bool replay = true;
};

class Multiplexer;
namespace internal {
struct RecentInput;
struct SessionState;
struct ViewerState;
}  // namespace internal

// A viewer's handle. Destroying it detaches the viewer (its sink gets no more frames after the
// send in flight, if any, completes).
//
// Thread-safety: strand-bound (use only from the multiplexer's executor).
class Viewer {
 public:
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;
  ~Viewer();

  SessionId session() const { return session_; }
  ViewerRole role() const { return role_; }

  // Queues keyboard input for the program. Replies to terminal queries (DA, DSR/CPR, DECRPM,
  // OSC and DCS reports) are forwarded only from the session's primary writer, so several
  // attached terminals do not multiply them. Returns kPermissionDenied for a read-only
  // viewer, kFailedPrecondition if detached or the program has exited, kResourceExhausted if
  // the program is not reading its input and the queue is full.
  Status Input(ByteSpan data);
  // Reports the viewer's size. For a writer it becomes the terminal size (clamped) when this
  // writer is the most recently active one. Returns kInvalidArgument for a zero dimension,
  // kFailedPrecondition if detached.
  Status Resize(WindowSize size);
  // Sends a terminal signal (see IsTerminalSignal) to the foreground process group.
  // Returns kPermissionDenied for a read-only viewer, kInvalidArgument for other signals,
  // kFailedPrecondition if detached or exited.
  Status Signal(int signo);
  // True until the viewer was detached (by destruction, by the session closing, or by its
  // sink failing).
  bool attached() const;

 private:
  friend class Multiplexer;
  Viewer(SessionId session, ViewerRole role, std::shared_ptr<internal::ViewerState> state);
  SessionId session_;
  ViewerRole role_;
  std::shared_ptr<internal::ViewerState> state_;
};

// The terminals of one workspace.
//
// Thread-safety: strand-bound (use only from `get_executor()`, a strand the multiplexer
// makes over the executor it is given; callbacks and sink sends run there).
class Multiplexer {
 public:
  explicit Multiplexer(asio::any_io_executor executor, MultiplexerOptions options = {});
  // Hangs up every session (their processes get SIGHUP, then are killed and reaped) and
  // detaches every viewer.
  ~Multiplexer();
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  asio::any_io_executor get_executor() const { return strand_; }
  const MultiplexerOptions& options() const { return options_; }

  // Opens a PTY, starts its process with `starter` and returns the new session's id.
  // Returns kResourceExhausted past max_sessions, kInvalidArgument for a zero size, or the
  // error of `NewLinuxPty` / the starter.
  Result<SessionId> CreateSession(SessionOptions options, ProcessStarter starter);
  // As CreateSession, for a `Pty` made elsewhere (another backend, or a test double).
  // REQUIRES: `pty` runs on `get_executor()`.
  Result<SessionId> AdoptSession(SessionOptions options, std::unique_ptr<Pty> pty);

  // Attaches a viewer to `session`. `sink` first receives an attach frame (role, size, title),
  // then the scrollback (if `options.replay`), then live output; a kResize frame whenever the
  // terminal size changes; a kExit frame after the last output when the program ends; a kDetach
  // frame if the session is closed. Returns kNotFound for an unknown session,
  // kResourceExhausted past max_viewers_per_session, kInvalidArgument for a zero size.
  Result<std::unique_ptr<Viewer>> Attach(SessionId session, ViewerOptions options,
                                         std::shared_ptr<ViewerSink> sink);

  // Closes `session`: hangs up its PTY, detaches its viewers, forgets it.
  // Returns kNotFound for an unknown session.
  Status CloseSession(SessionId session);
  // Returns kNotFound for an unknown session.
  Result<SessionInfo> GetSession(SessionId session) const;
  std::vector<SessionInfo> ListSessions() const;

  // Called (on the executor) when a session's program has exited and its output is drained.
  using ExitCallback = unique_function<void(SessionId, ExitStatus)>;
  void set_exit_callback(ExitCallback callback);

 private:
  std::shared_ptr<internal::SessionState> Find(SessionId id) const;
  asio::strand<asio::any_io_executor> strand_;
  MultiplexerOptions options_;
  SessionId next_id_ = 1;
  std::vector<std::shared_ptr<internal::SessionState>> sessions_;
  std::shared_ptr<ExitCallback> exit_callback_;
  // Which sessions were typed into lately (the fair share of output reads).
  std::shared_ptr<internal::RecentInput> recent_input_;
  // Lets sessions that close themselves (close_when_unviewed) find a live multiplexer.
  std::shared_ptr<Multiplexer*> self_;
};

}  // namespace codesphere::pty
