// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/transport.h"

#include <algorithm>
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

void Transport::Enqueue(OutChunk chunk) {
  if (closed_ || closing_) return;
  queued_.fetch_add(chunk.size(), std::memory_order_relaxed);
  if (queue_ == nullptr) queue_ = std::make_unique<std::deque<OutChunk>>();
  queue_->push_back(std::move(chunk));
  if (!writing_ && !write_scheduled_) {
    // Cork: write from a posted handler rather than now, so that every chunk enqueued by the
    // handlers already waiting on this strand (e.g. several broadcasts) goes out in one
    // gather write instead of one syscall each.
    write_scheduled_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->write_scheduled_ = false;
      if (!self->closed_ && !self->writing_) self->WriteMore();
    });
  }
}

void Transport::WriteMore() {
  if (queue_ == nullptr || queue_->empty()) {
    // Drained: an idle connection keeps neither a queue nor gather buffers.
    queue_.reset();
    std::vector<asio::const_buffer>().swap(gather_);
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
  auto on_written = [self = shared_from_this(), bytes](const std::error_code& ec, std::size_t) {
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
    if (!ec) Inc(self->tx_counter_, bytes);
    if (ec) {
      if (self->on_write_error_) {
        auto f = std::move(self->on_write_error_);
        self->on_write_error_ = nullptr;
        f(ec);
      }
      self->Close();
      return;
    }
    self->WriteMore();
  };
  if (tls_ != nullptr) {
    asio::async_write(*tls_, gather_, std::move(on_written));
  } else {
    asio::async_write(socket_, gather_, std::move(on_written));
  }
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
  if (!writing_ && !write_scheduled_ && (queue_ == nullptr || queue_->empty())) AfterDrain();
}

void Transport::CloseGracefully(std::chrono::milliseconds linger) {
  if (closed_ || closing_) return;
  // Output queued so far is still sent; later Enqueue calls are dropped.
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
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (linger_timer_ != nullptr) linger_timer_->cancel();
  std::size_t dropped = 0;
  if (queue_ != nullptr) {
    for (const OutChunk& c : *queue_) dropped += c.size();
  }
  queued_.fetch_sub(dropped, std::memory_order_relaxed);
  if (!writing_) queue_.reset();  // else the in-flight write still points into it
  on_data_ = nullptr;
  on_drained_ = nullptr;
  on_write_error_ = nullptr;
}

}  // namespace codesphere::net::internal
