// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Pty`: a pseudo-terminal pair on Asio whose slave side runs a process that someone else
// starts (a plain local process, or a `sandbox::Sandbox` wired in by `server`). The `pty`
// module never starts sandboxes itself: the process arrives through a `ProcessStarter`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/base/unique_function.h"

namespace codesphere::pty {

// A terminal size in character cells.
struct WindowSize {
  std::uint16_t cols = 80;
  std::uint16_t rows = 24;

  friend bool operator==(WindowSize a, WindowSize b) = default;
};

// How a process ended: `signal` != 0 if it was killed by that signal, else it exited with
// `code`.
struct ExitStatus {
  int code = 0;
  int signal = 0;

  friend bool operator==(ExitStatus a, ExitStatus b) = default;
};

// The slave side handed to a `ProcessStarter`.
struct PtySlave {
  // An open, close-on-exec descriptor of the slave, valid only during the starter call (the
  // `Pty` closes its copy right after, so that the master sees EOF once the process exits).
  int fd = -1;
  // The slave's path, e.g. "/dev/pts/3", for starters that open it inside a new mount or
  // pid namespace instead of inheriting `fd`.
  std::string path;
  // The size the terminal has at start.
  WindowSize size;
  // The executor of the `Pty`, on which the returned `PtyProcess` must run.
  asio::any_io_executor executor;
};

// A process running on a PTY's slave, owned by the `Pty`. Implemented by whoever started it:
// `NewLocalProcessStarter` below, or the server's bridge to `sandbox::Sandbox`.
//
// Thread-safety: strand-bound (use only from the owning Pty's executor).
class PtyProcess {
 public:
  PtyProcess() = default;
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;
  // Kills (SIGKILL to its process group) and reaps the process if it is still running.
  virtual ~PtyProcess() = default;

  // The process id as seen from this process, or -1 if it has none here (e.g. remote).
  virtual int pid() const = 0;
  // Sends `signo` to the process (not only to the terminal's foreground job).
  // Returns kNotFound if it has already been reaped, kInvalidArgument for a bad signal.
  virtual Status Kill(int signo) = 0;
  // Completes when the process has exited, with how it ended. Call at most once.
  // Returns kCancelled if the wait was cancelled by destroying the process.
  virtual asio::awaitable<Result<ExitStatus>> Wait() = 0;
};

// Starts the process of a terminal. It must make the process a session leader whose
// controlling terminal is the slave (setsid, then open the slave without O_NOCTTY or
// ioctl(TIOCSCTTY)), with the slave as stdin, stdout and stderr. Runs on the Pty's executor
// and must not block for long.
using ProcessStarter = unique_function<Result<std::unique_ptr<PtyProcess>>(const PtySlave&)>;

// What `NewLocalProcessStarter` runs.
struct LocalProcessOptions {
  // argv; argv[0] is looked up in PATH. REQUIRES: non-empty.
  std::vector<std::string> argv;
  // The full environment as "NAME=value". Default: empty, meaning this process's environment
  // with TERM=xterm-256color.
  std::vector<std::string> env;
  // The working directory. Default: empty (inherit).
  std::string cwd;
};

// A starter that runs `options.argv` as a plain, unisolated child process (posix_spawn with
// POSIX_SPAWN_SETSID; the slave is opened as controlling terminal). Use for development and
// tests; untrusted code belongs in a sandbox. Spawn failures (e.g. argv[0] not found) are
// returned by the starter as kNotFound / kPermissionDenied / kInternal.
ProcessStarter NewLocalProcessStarter(LocalProcessOptions options);

// Options of a new pseudo-terminal.
struct PtyOptions {
  // The initial size. Default: 80x24.
  WindowSize size;
  // Set IUTF8 so that line editing erases whole UTF-8 characters. Default: true.
  bool utf8 = true;
};

// One pseudo-terminal pair with a process on its slave side. The master is non-blocking and
// driven by Asio; reads are batched (a read drains what the kernel has, up to the buffer).
//
// Thread-safety: strand-bound (use only from its executor; at most one Read and one Write
// outstanding at a time).
class Pty {
 public:
  Pty() = default;
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  // Closes the master (the process gets SIGHUP) and destroys the process (see PtyProcess).
  virtual ~Pty() = default;

  virtual asio::any_io_executor get_executor() = 0;

  // Reads output into `buffer`: waits until output is available, then reads repeatedly until
  // the kernel has no more or `buffer` is full, letting the executor's other handlers run
  // between kernel reads (one session's flood must not hold a shared strand). `buffer` must
  // stay valid and untouched by others until the read completes.
  // Returns the byte count; 0 means end of output (every slave descriptor is closed).
  // Returns kCancelled after `Close`, kInternal for other read errors.
  // REQUIRES: !buffer.empty().
  virtual asio::awaitable<Result<std::size_t>> Read(std::span<std::uint8_t> buffer) = 0;
  // Writes all of `data` as terminal input, waiting while the kernel's input queue is full.
  // Returns kCancelled after `Close`, kUnavailable if the terminal is hung up.
  virtual asio::awaitable<Status> Write(ByteSpan data) = 0;
  // Sets the window size (TIOCSWINSZ); the kernel then sends SIGWINCH to the foreground
  // process group if the size changed. Returns kInvalidArgument for a zero dimension.
  virtual Status Resize(WindowSize size) = 0;
  // The size last set.
  virtual WindowSize size() const = 0;
  // Sends `signo` to the terminal's foreground process group (what Ctrl-C reaches), using
  // TIOCSIG where the kernel supports it so that it also works across pid namespaces.
  // Returns kNotFound if there is no foreground process group, kInvalidArgument for a bad
  // signal number.
  virtual Status Signal(int signo) = 0;
  // Completes when the process has exited (see PtyProcess::Wait). Call at most once.
  virtual asio::awaitable<Result<ExitStatus>> Wait() = 0;
  // The process (never null).
  virtual PtyProcess& process() = 0;
  // Hangs up: closes the master, cancelling pending reads and writes (they return
  // kCancelled). The process receives SIGHUP from the kernel. Idempotent.
  virtual void Close() = 0;
};

// Opens a pseudo-terminal pair, sets `options`, and runs `starter` with the slave.
// Returns the starter's error if it fails, or kResourceExhausted / kInternal if no
// pseudo-terminal could be opened.
Result<std::unique_ptr<Pty>> NewLinuxPty(asio::any_io_executor executor, PtyOptions options,
                                         ProcessStarter starter);

// Parses a signal name ("INT", "SIGINT", case-insensitive) or decimal number ("2") into a
// signal number that terminal clients may send: INT, QUIT, TSTP, CONT, HUP, TERM, KILL, USR1,
// USR2, WINCH. Returns kInvalidArgument for anything else.
Result<int> ParseTerminalSignal(std::string_view name);
// True if `signo` is one of the signals `ParseTerminalSignal` accepts.
bool IsTerminalSignal(int signo);

}  // namespace codesphere::pty
