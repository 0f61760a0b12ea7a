// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Pty` over a Linux pseudo-terminal: posix_openpt for the pair, an Asio stream_descriptor on
// the non-blocking master, ioctls for size and signals.

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <memory>
#include <string>
#include <utility>

#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/base/status_macros.h"
#include "codesphere/base/unique_fd.h"
#include "codesphere/pty/pty.h"

namespace codesphere::pty {
namespace {

// How long one Read may keep the executor before it lets other handlers run.
constexpr std::chrono::microseconds kTurn{200};

// A read at least this big means the program writes faster than we read: output streams.
// (The kernel hands out at most one line-discipline buffer, 4 KiB, per read.)
constexpr std::size_t kStreamingRead = 2048;

// How long a streaming read waits for the tty flush worker's next chunk before it gives up
// and lets the executor wait for the descriptor instead. At full speed a chunk arrives every
// 5-30 us; a program that stopped writing costs one such wait.
constexpr std::chrono::microseconds kStreamingSpin{50};

// Tells the CPU that this is a spin-wait (cheaper for a sibling hyperthread and for the host
// of a virtual CPU).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class LinuxPty final : public Pty {
 public:
  LinuxPty(asio::posix::stream_descriptor master, WindowSize size,
           std::unique_ptr<PtyProcess> process)
      : master_(std::move(master)), size_(size), process_(std::move(process)) {}

  ~LinuxPty() override {
    Close();
    process_.reset();
  }

  // pty::Pty
  asio::any_io_executor get_executor() override { return master_.get_executor(); }

  asio::awaitable<Result<std::size_t>> Read(std::span<std::uint8_t> buffer) override {
    CODESPHERE_CHECK(!buffer.empty());
    for (;;) {
      if (!is_open()) co_return CancelledError("pty read: closed");
      // Try first: under load the data is already there and a wait would cost a wake-up.
      std::size_t total = 0;
      auto turn_start = std::chrono::steady_clock::now();
      while (total < buffer.size()) {
        // While output streams, wait for the next chunk here rather than in read(): see
        // AwaitStreamedInput.
        if (streaming_ && !AwaitStreamedInput()) {
          streaming_ = false;
          break;
        }
        const ssize_t n = ::read(fd(), buffer.data() + total,
                                 buffer.size() - total);
        if (n > 0) {
          total += static_cast<std::size_t>(n);
          streaming_ = static_cast<std::size_t>(n) >= kStreamingRead;
          if (streaming_) Park();
          if (total == buffer.size()) break;
          // A program that writes without pause (`yes`) keeps this loop going; after each
          // kTurn of reading, let the executor's other handlers (other sessions' input and
          // echoes: the multiplexer runs every session on one strand) run. The batch, and so
          // the frame size, stays the same.
          if (std::chrono::steady_clock::now() - turn_start < kTurn) continue;
          co_await asio::post(master_.get_executor(), asio::use_awaitable);
          turn_start = std::chrono::steady_clock::now();
          if (!is_open()) break;
          continue;
        }
        streaming_ = false;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        // EIO: every slave descriptor is closed; report what we have, then end of output.
        if (n == 0 || errno == EIO) {
          if (total > 0) break;
          co_return std::size_t{0};
        }
        if (total > 0) break;
        co_return ErrnoToStatus(errno, "pty read");
      }
      if (total > 0) co_return total;
      if (Status st = Unpark(); !st.ok()) co_return st;
      std::error_code ec;
      co_await master_.async_wait(asio::posix::descriptor_base::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !master_.is_open()) {
        co_return CancelledError("pty read: closed");
      }
      if (ec) co_return InternalError("pty read: wait: " + ec.message());
    }
  }

  asio::awaitable<Status> Write(ByteSpan data) override {
    while (!data.empty()) {
      if (!is_open()) co_return CancelledError("pty write: closed");
      const ssize_t n = ::write(fd(), data.data(), data.size());
      if (n > 0) {
        data = data.subspan(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (Status st = Unpark(); !st.ok()) co_return st;
        std::error_code ec;
        write_waiting_ = true;
        co_await master_.async_wait(asio::posix::descriptor_base::wait_write,
                                    asio::redirect_error(asio::use_awaitable, ec));
        write_waiting_ = false;
        if (ec == asio::error::operation_aborted || !master_.is_open()) {
          co_return CancelledError("pty write: closed");
        }
        if (ec) co_return InternalError("pty write: wait: " + ec.message());
        continue;
      }
      if (n < 0 && errno == EIO) co_return UnavailableError("pty write: terminal hung up");
      co_return ErrnoToStatus(n < 0 ? errno : EIO, "pty write");
    }
    co_return OkStatus();
  }

  Status Resize(WindowSize size) override {
    if (size.cols == 0 || size.rows == 0) {
      return InvalidArgumentError("pty resize: zero window dimension");
    }
    if (!is_open()) return FailedPreconditionError("pty resize: closed");
    struct winsize ws = {};
    ws.ws_col = size.cols;
    ws.ws_row = size.rows;
    if (::ioctl(fd(), TIOCSWINSZ, &ws) != 0) {
      return ErrnoToStatus(errno, "pty resize");
    }
    size_ = size;
    return OkStatus();
  }

  WindowSize size() const override { return size_; }

  Status Signal(int signo) override {
    if (signo <= 0 || signo >= NSIG) {
      return InvalidArgumentError("pty signal: bad signal number " + std::to_string(signo));
    }
    if (!is_open()) return FailedPreconditionError("pty signal: closed");
    const int fd = this->fd();
    // TIOCSIG resolves the foreground group in the kernel (right across pid namespaces), but
    // only for the job-control signals.
    if (signo == SIGINT || signo == SIGQUIT || signo == SIGTSTP) {
      if (::ioctl(fd, TIOCSIG, signo) == 0) return OkStatus();
    }
    pid_t pgrp = 0;
    if (::ioctl(fd, TIOCGPGRP, &pgrp) != 0 || pgrp <= 0) {
      return NotFoundError("pty signal: the terminal has no foreground process group");
    }
    if (::kill(-pgrp, signo) != 0) return ErrnoToStatus(errno, "pty signal: kill");
    return OkStatus();
  }

  asio::awaitable<Result<ExitStatus>> Wait() override { return process_->Wait(); }

  PtyProcess& process() override { return *process_; }

  void Close() override {
    if (master_.is_open()) {
      std::error_code ec;
      master_.close(ec);
    }
    parked_.reset();
  }

 private:
  bool is_open() const { return master_.is_open() || parked_.valid(); }
  int fd() { return parked_.valid() ? parked_.get() : master_.native_handle(); }

  // While output streams, the master is taken out of the reactor ("parked"). Registered, it
  // makes every chunk the flush worker moves an epoll event: an idle io thread wakes for it,
  // and the reactor's readiness check (n_tty_poll) itself waits for the flush worker, all for
  // nothing, since the streaming read polls FIONREAD anyway. That took 6-14 % of a stream's
  // throughput on the quiet 2-vCPU machine. Not while a Write waits for room: taking the
  // descriptor out of the reactor would cancel that wait.
  void Park() {
    if (parked_.valid() || write_waiting_ || !master_.is_open()) return;
    parked_ = UniqueFd(master_.release());
  }

  // Puts a parked master back into the reactor, before anything waits on it.
  Status Unpark() {
    if (!parked_.valid()) return OkStatus();
    std::error_code ec;
    master_.assign(parked_.get(), ec);
    if (ec) return InternalError("pty: register the master again: " + ec.message());
    parked_.release();
    return OkStatus();
  }

  // Waits, for at most kStreamingSpin, until the line discipline holds output; false if none
  // came. Why not just read(): a read that finds the line discipline empty waits (sleeps,
  // even on a non-blocking descriptor) until the tty flush worker has run, and that worker
  // moves at most one 4 KiB buffer per run and then sleeps too. Streaming output is then a
  // ping-pong of two sleeping threads, each hand-off a wake-up, which on a machine with idle
  // CPUs (a VM above all) held a terminal to 70-85 MB/s. Polling the count (FIONREAD does not
  // wait for the worker) while the worker refills keeps both running: it finds room again
  // before it goes to sleep. True also when the count cannot be read (read() reports why).
  bool AwaitStreamedInput() {
    const int fd = this->fd();
    int available = 0;
    if (::ioctl(fd, FIONREAD, &available) != 0 || available > 0) return true;
    const auto deadline = std::chrono::steady_clock::now() + kStreamingSpin;
    do {
      for (int i = 0; i < 16; ++i) CpuRelax();
      if (::ioctl(fd, FIONREAD, &available) != 0 || available > 0) return true;
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  asio::posix::stream_descriptor master_;
  WindowSize size_;
  std::unique_ptr<PtyProcess> process_;
  bool streaming_ = false;  // the last read was big: see kStreamingRead
  UniqueFd parked_;         // the master while out of the reactor (see Park); else invalid
  bool write_waiting_ = false;  // a Write waits for room in the reactor
};

}  // namespace

Result<std::unique_ptr<Pty>> NewLinuxPty(asio::any_io_executor executor, PtyOptions options,
                                         ProcessStarter starter) {
  if (options.size.cols == 0 || options.size.rows == 0) {
    return InvalidArgumentError("new pty: zero window dimension");
  }
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (master.get() < 0) return ErrnoToStatus(errno, "new pty: posix_openpt");
  if (::grantpt(master.get()) != 0) return ErrnoToStatus(errno, "new pty: grantpt");
  if (::unlockpt(master.get()) != 0) return ErrnoToStatus(errno, "new pty: unlockpt");
  char name[PATH_MAX];
  if (::ptsname_r(master.get(), name, sizeof(name)) != 0) {
    return ErrnoToStatus(errno, "new pty: ptsname");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (slave.get() < 0) return ErrnoToStatus(errno, std::string("new pty: open ") + name);

  struct termios tio;
  if (::tcgetattr(slave.get(), &tio) != 0) return ErrnoToStatus(errno, "new pty: tcgetattr");
  if (options.utf8) {
    tio.c_iflag |= IUTF8;
  } else {
    tio.c_iflag &= ~static_cast<tcflag_t>(IUTF8);
  }
  if (::tcsetattr(slave.get(), TCSANOW, &tio) != 0) {
    return ErrnoToStatus(errno, "new pty: tcsetattr");
  }
  struct winsize ws = {};
  ws.ws_col = options.size.cols;
  ws.ws_row = options.size.rows;
  if (::ioctl(master.get(), TIOCSWINSZ, &ws) != 0) return ErrnoToStatus(errno, "new pty: winsize");
  const int flags = ::fcntl(master.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoToStatus(errno, "new pty: O_NONBLOCK");
  }

  asio::posix::stream_descriptor descriptor(executor);
  std::error_code ec;
  descriptor.assign(master.get(), ec);
  if (ec) return InternalError("new pty: register master: " + ec.message());
  master.release();

  CODESPHERE_ASSIGN_OR_RETURN(
      std::unique_ptr<PtyProcess> process,
      starter(PtySlave{slave.get(), std::string(name), options.size, executor}));
  CODESPHERE_CHECK(process != nullptr);
  // Our copy of the slave must go, or the master never sees the end of output.
  ::close(slave.release());
  return std::unique_ptr<Pty>(
      std::make_unique<LinuxPty>(std::move(descriptor), options.size, std::move(process)));
}

}  // namespace codesphere::pty
