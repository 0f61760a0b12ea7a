// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/transport.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

namespace codesphere::net::internal {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
constexpr std::size_t kMaxGatherChunks = 64;
constexpr std::size_t kMaxGatherBytes = 1 << 20;
// How long a closing connection may take to flush its queue before it is cut.
constexpr std::chrono::seconds kFlushDeadline{30};

// Plain sockets read into a per-thread buffer after a readiness wait, so an idle connection
// holds no read buffer of its own (10,000+ mostly idle WebSockets).
char* ThreadReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

using GatherVector = std::vector<iovec>;

// Scratch iovecs for a gather send: per thread, as any thread may send.
GatherVector& ThreadGather() {
  thread_local GatherVector iov;
  return iov;
}

// Appends the pieces of `c` after its first `skip` bytes.
void AppendPieces(const OutChunk& c, std::size_t skip, GatherVector& iov) {
  auto piece = [&](const void* data, std::size_t n) {
    if (skip >= n) {
      skip -= n;
      return;
    }
    iov.push_back(iovec{const_cast<char*>(static_cast<const char*>(data)) + skip, n - skip});
    skip = 0;
  };
  piece(c.header.data(), c.header_size);
  if (c.shared) piece(c.shared->data(), c.shared->size());
  piece(c.owned.data(), c.owned.size());
}

// One non-blocking gather send: the bytes the socket took (0 when it is full), or an error.
std::size_t SendSome(int fd, GatherVector& iov, std::error_code* ec) {
  if (iov.empty()) return 0;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    *ec = std::error_code(errno, asio::error::get_system_category());
    return 0;
  }
}

}  // namespace

void EncodeServerFrameHeader(int opcode, std::uint64_t size, OutChunk* chunk) {
  auto& h = chunk->header;
  h[0] = static_cast<std::uint8_t>(0x80 | (opcode & 0x0f));
  if (size < 126) {
    h[1] = static_cast<std::uint8_t>(size);
    chunk->header_size = 2;
  } else if (size <= 0xffff) {
    h[1] = 126;
    h[2] = static_cast<std::uint8_t>(size >> 8);
    h[3] = static_cast<std::uint8_t>(size);
    chunk->header_size = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
    chunk->header_size = 10;
  }
}

std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint) {
  std::error_code ec;
  std::string ip = endpoint.address().to_string(ec);
  if (endpoint.address().is_v6()) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(endpoint.port());
}

Transport::Transport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                     bool server_side, std::string remote_address)
    : socket_(std::move(socket)), tls_context_(std::move(tls)), server_side_(server_side),
      remote_address_(std::move(remote_address)) {
  if (tls_context_ != nullptr) {
    tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  }
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

Transport::~Transport() = default;

void Transport::Handshake(unique_function<void(std::error_code)> done,
                          const std::string& sni_host) {
  if (tls_ == nullptr) {
    done(std::error_code());
    return;
  }
  if (!server_side_ && !sni_host.empty()) {
    SSL_set_tlsext_host_name(tls_->native_handle(), sni_host.c_str());
  }
  tls_->async_handshake(server_side_ ? asio::ssl::stream_base::server
                                     : asio::ssl::stream_base::client,
                        [self = shared_from_this(), done = std::move(done)](
                            const std::error_code& ec) mutable { done(ec); });
}

void Transport::StartReading(DataHandler handler) {
  on_data_ = std::move(handler);
  ResumeReading();
}

void Transport::PauseReading() { reading_ = false; }

void Transport::ResumeReading() {
  reading_ = true;
  if (!read_pending_ && !closed_) ReadOnce();
}

void Transport::ReadOnce() {
  read_pending_ = true;
  if (tls_ != nullptr) {
    if (tls_read_buffer_ == nullptr) tls_read_buffer_.reset(new char[kReadBufferSize]);
    tls_->async_read_some(
        asio::buffer(tls_read_buffer_.get(), kReadBufferSize),
        [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
          self->read_pending_ = false;
          if (self->closed_) return;
          self->Deliver(ec, self->tls_read_buffer_.get(), n);
          if (!ec && self->reading_ && !self->closed_ && !self->read_pending_) self->ReadOnce();
        });
    return;
  }
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const std::error_code& wait_ec) {
                       self->read_pending_ = false;
                       if (self->closed_) return;
                       if (wait_ec) {
                         self->Deliver(wait_ec, nullptr, 0);
                         return;
                       }
                       if (!self->reading_) return;
                       char* buffer = ThreadReadBuffer();
                       std::error_code ec;
                       std::size_t n = self->socket_.read_some(
                           asio::buffer(buffer, kReadBufferSize), ec);
                       if (ec == asio::error::would_block || ec == asio::error::try_again) {
                         if (!self->read_pending_) self->ReadOnce();
                         return;
                       }
                       self->Deliver(ec, buffer, n);
                       if (!ec && self->reading_ && !self->closed_ && !self->read_pending_) {
                         self->ReadOnce();
                       }
                     });
}

void Transport::Deliver(const std::error_code& ec, const char* data, std::size_t size) {
  if (!ec) Inc(rx_counter_, size);
  if (!on_data_) return;
  // The handler may replace itself (hand-off to a new owner); keep whichever is newest.
  DataHandler handler = std::move(on_data_);
  on_data_ = nullptr;
  handler(ec, data, size);
  if (!on_data_ && !closed_) on_data_ = std::move(handler);
}

void Transport::PushLocked(OutChunk chunk) {
  queued_.fetch_add(chunk.size(), std::memory_order_relaxed);
  if (queue_ == nullptr) queue_ = std::make_unique<std::deque<OutChunk>>();
  queue_->push_back(std::move(chunk));
}

void Transport::ScheduleWriteLocked() {
  if (writing_ || write_scheduled_) return;
  write_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    {
      std::lock_guard<std::mutex> lock(self->write_mu_);
      self->write_scheduled_ = false;
      if (self->closed_ || self->writing_) return;
    }
    self->WriteMore();
  });
}

void Transport::Enqueue(OutChunk chunk) {
  if (closed_ || closing_) return;
  std::lock_guard<std::mutex> lock(write_mu_);
  PushLocked(std::move(chunk));
  // Cork: write from a posted handler rather than now, so that every chunk enqueued by the
  // handlers already waiting on this strand (e.g. several broadcasts) goes out in one gather
  // write instead of one syscall each.
  ScheduleWriteLocked();
}

bool Transport::Send(OutChunk chunk) {
  std::unique_lock<std::mutex> lock(write_mu_);
  if (sends_stopped_) return false;
  const bool idle = !writing_ && !write_scheduled_ && (queue_ == nullptr || queue_->empty());
  if (!idle || tls_ != nullptr) {
    PushLocked(std::move(chunk));
    ScheduleWriteLocked();
    return true;
  }
  GatherVector& iov = ThreadGather();
  iov.clear();
  AppendPieces(chunk, 0, iov);
  std::error_code ec;
  const std::size_t size = chunk.size();
  const std::size_t sent = SendSome(socket_.native_handle(), iov, &ec);
  if (ec) {
    sends_stopped_ = true;
    lock.unlock();
    asio::post(socket_.get_executor(), [self = shared_from_this(), ec] { self->FailWrite(ec); });
    return true;  // the connection is lost; its end is reported from the strand
  }
  Inc(tx_counter_, sent);
  if (sent == size) return true;
  // The socket took part of it: the strand writes the rest once it can.
  PushLocked(std::move(chunk));
  front_sent_ = sent;
  queued_.fetch_sub(sent, std::memory_order_relaxed);
  ScheduleWriteLocked();
  return true;
}

void Transport::StopSends() {
  std::lock_guard<std::mutex> lock(write_mu_);
  sends_stopped_ = true;
}

void Transport::ConsumeLocked(std::size_t n) {
  queued_.fetch_sub(n, std::memory_order_relaxed);
  while (queue_ != nullptr && !queue_->empty()) {
    const std::size_t left = queue_->front().size() - front_sent_;
    if (n < left) {
      front_sent_ += n;
      return;
    }
    n -= left;
    front_sent_ = 0;
    queue_->pop_front();
  }
}

void Transport::FailWrite(std::error_code ec) {
  if (closed_) return;
  if (on_write_error_) {
    auto f = std::move(on_write_error_);
    on_write_error_ = nullptr;
    f(ec);
  }
  Close();
}

void Transport::WriteMore() {
  std::unique_lock<std::mutex> lock(write_mu_);
  if (closed_ || writing_) return;
  if (tls_ != nullptr) {
    if (queue_ == nullptr || queue_->empty()) {
      queue_.reset();
      std::vector<asio::const_buffer>().swap(gather_);
      lock.unlock();
      AfterDrain();
      return;
    }
    gather_.clear();
    std::size_t bytes = 0;
    std::size_t chunks = 0;
    for (const OutChunk& c : *queue_) {
      if (chunks == kMaxGatherChunks || (chunks > 0 && bytes >= kMaxGatherBytes)) break;
      if (c.header_size > 0) gather_.emplace_back(c.header.data(), c.header_size);
      if (c.shared && !c.shared->empty()) gather_.emplace_back(c.shared->data(), c.shared->size());
      if (!c.owned.empty()) gather_.emplace_back(c.owned.data(), c.owned.size());
      bytes += c.size();
      ++chunks;
    }
    writing_ = true;
    writing_chunks_ = chunks;
    lock.unlock();
    asio::async_write(*tls_, gather_, [self = shared_from_this(), bytes](
                                          const std::error_code& ec, std::size_t) {
      {
        std::lock_guard<std::mutex> lock(self->write_mu_);
        self->writing_ = false;
        if (self->closed_) {
          self->queue_.reset();
          return;
        }
        for (std::size_t i = 0; i < self->writing_chunks_ && !self->queue_->empty(); ++i) {
          self->queue_->pop_front();
        }
        self->writing_chunks_ = 0;
        self->queued_.fetch_sub(bytes, std::memory_order_relaxed);
      }
      if (ec) {
        self->FailWrite(ec);
        return;
      }
      Inc(self->tx_counter_, bytes);
      self->WriteMore();
    });
    return;
  }
  // Plain TCP: gather sends straight from the queue while the socket takes them; wait for
  // writability when it is full.
  while (queue_ != nullptr && !queue_->empty()) {
    GatherVector& iov = ThreadGather();
    iov.clear();
    std::size_t bytes = 0;
    std::size_t chunks = 0;
    for (const OutChunk& c : *queue_) {
      if (chunks == kMaxGatherChunks || (chunks > 0 && bytes >= kMaxGatherBytes)) break;
      const std::size_t skip = chunks == 0 ? front_sent_ : 0;
      AppendPieces(c, skip, iov);
      bytes += c.size() - skip;
      ++chunks;
    }
    std::error_code ec;
    const std::size_t sent = SendSome(socket_.native_handle(), iov, &ec);
    if (ec) {
      lock.unlock();
      FailWrite(ec);
      return;
    }
    Inc(tx_counter_, sent);
    ConsumeLocked(sent);
    if (sent < bytes) {
      writing_ = true;
      lock.unlock();
      socket_.async_wait(asio::ip::tcp::socket::wait_write,
                         [self = shared_from_this()](const std::error_code& ec) {
                           {
                             std::lock_guard<std::mutex> lock(self->write_mu_);
                             self->writing_ = false;
                             if (self->closed_) return;
                           }
                           if (ec) {
                             self->FailWrite(ec);
                             return;
                           }
                           self->WriteMore();
                         });
      return;
    }
  }
  // Drained: an idle connection keeps no queue.
  queue_.reset();
  front_sent_ = 0;
  lock.unlock();
  AfterDrain();
}

void Transport::AfterDrain() {
  if (on_drained_) {
    auto f = std::move(on_drained_);
    on_drained_ = nullptr;
    f();
  }
}

void Transport::OnDrained(unique_function<void()> f) {
  on_drained_ = std::move(f);
  bool drained;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    drained = !writing_ && !write_scheduled_ && (queue_ == nullptr || queue_->empty());
  }
  if (drained) AfterDrain();
}

void Transport::CloseGracefully(std::chrono::milliseconds linger) {
  if (closed_ || closing_) return;
  // Output queued so far is still sent; later Enqueue and Send calls are dropped.
  StopSends();
  on_data_ = [](const std::error_code&, const char*, std::size_t) {};
  // A peer that does not read would keep the flush pending forever: bound it.
  linger_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  linger_timer_->expires_after(kFlushDeadline);
  linger_timer_->async_wait([self = shared_from_this()](const std::error_code& timer_ec) {
    if (!timer_ec) self->Close();
  });
  // Weak: a stored callback holding its own transport would be a cycle whenever the io_context
  // stops before the queue drains (the pending write holds a strong reference anyway).
  OnDrained([weak = weak_from_this(), linger] {
    std::shared_ptr<Transport> self = weak.lock();
    if (self == nullptr) return;
    self->closing_ = true;
    if (self->closed_) return;
    std::error_code ec;
    self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (ec) {
      self->Close();
      return;
    }
    self->linger_timer_->expires_after(linger);
    self->linger_timer_->async_wait([self](const std::error_code& timer_ec) {
      if (!timer_ec) self->Close();
    });
    // Invoked only from a read completion, which holds a reference: no self-capture (that
    // would be a cycle if the io_context stopped before the linger ends).
    Transport* raw = self.get();
    self->on_data_ = [raw](const std::error_code& read_ec, const char*, std::size_t) {
      if (read_ec) raw->Close();
    };
    self->ResumeReading();
  });
  closing_ = true;
}

void Transport::Close() {
  if (closed_) return;
  closed_ = true;
  {
    // Under the write lock: no other thread is in a send on this socket while it closes.
    std::lock_guard<std::mutex> lock(write_mu_);
    sends_stopped_ = true;
    std::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    std::size_t dropped = 0;
    if (queue_ != nullptr) {
      for (const OutChunk& c : *queue_) dropped += c.size();
    }
    queued_.fetch_sub(dropped - front_sent_, std::memory_order_relaxed);
    front_sent_ = 0;
    // An in-flight TLS write still points into the queue; a plain socket's writability wait
    // does not.
    if (!writing_ || tls_ == nullptr) queue_.reset();
  }
  if (linger_timer_ != nullptr) linger_timer_->cancel();
  on_data_ = nullptr;
  on_drained_ = nullptr;
  on_write_error_ = nullptr;
}

}  // namespace codesphere::net::internal
