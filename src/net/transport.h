// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Transport`: one TCP (optionally TLS) stream on a strand, with a read loop and a write queue
// drained by a single writer using gather writes. HTTP sessions, WebSockets and proxy relays
// are built on it, and a connection's Transport moves between them (HTTP -> WebSocket/proxy).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>

#include "codesphere/base/thread_annotations.h"
#include "codesphere/base/unique_function.h"
#include "codesphere/net/websocket.h"
#include "net/net_metrics.h"

namespace codesphere::net::internal {

// One queued piece of output: an optional small header (a WebSocket frame header) followed by
// a payload that is either shared (broadcasts) or owned.
struct OutChunk {
  std::array<std::uint8_t, 10> header{};
  std::uint8_t header_size = 0;
  SharedBytes shared;
  std::string owned;

  std::size_t size() const {
    return header_size + (shared ? shared->size() : 0) + owned.size();
  }
};

// Writes an unmasked (server-to-client) frame header with FIN set for a payload of `size`
// bytes (RFC 6455 §5.2):
//
//   byte 0: FIN(1) RSV(000) opcode(4)
//   byte 1: MASK(0) len7      len7 < 126: length; 126: 16-bit length follows; 127: 64-bit
//   [2 or 8 bytes big-endian extended length]
void EncodeServerFrameHeader(int opcode, std::uint64_t size, OutChunk* chunk);

// Output: one writer at a time, in order. With nothing queued, `Send()` writes from the calling
// thread at once (a non-blocking gather send), so a broadcast to many peers costs one syscall
// per peer and no hand-off to each connection's strand; whatever the socket does not take is
// queued and written from the strand when the socket is writable again.
//
// Thread-safety: strand-bound (use only from its executor), except `Send()`, `queued_bytes()`.
class Transport : public std::enable_shared_from_this<Transport> {
 public:
  // Receives read results: data (valid during the call only), or an error (asio::error::eof
  // when the peer closed). Runs on the strand.
  using DataHandler = unique_function<void(const std::error_code& ec, const char* data,
                                           std::size_t size)>;

  // `socket` must use a strand executor; `tls` (nullable) enables TLS.
  Transport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
            bool server_side, std::string remote_address);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Runs the TLS handshake (immediately succeeds without TLS). `sni_host` for clients.
  void Handshake(unique_function<void(std::error_code)> done, const std::string& sni_host = {});

  // Starts (or restarts, replacing the handler) the read loop.
  void StartReading(DataHandler handler);
  // Stops issuing reads (a read already in flight still delivers).
  void PauseReading();
  void ResumeReading();

  // Queues `chunk` for writing from a posted handler (so that chunks enqueued by the handlers
  // already waiting on the strand go out in one gather write). Dropped if the transport is
  // closed or closing.
  void Enqueue(OutChunk chunk);
  // Thread-safe: writes `chunk` after everything queued before it. If nothing is queued or
  // being written, it is written at once from the calling thread (plain TCP; TLS queues), and
  // what the socket does not take is queued. Returns false (dropped) once `StopSends()`,
  // `CloseGracefully()` or `Close()` was called.
  bool Send(OutChunk chunk);
  // Later `Send()` calls drop their chunk (e.g. a WebSocket close frame is about to be
  // enqueued: no data frame may follow it). Strand-bound.
  void StopSends();
  // Calls `f` once the write queue is empty (at once if it is). One pending callback at a time.
  void OnDrained(unique_function<void()> f);
  // Called once with the first write error.
  void OnWriteError(unique_function<void(std::error_code)> f) { on_write_error_ = std::move(f); }

  // Flushes the queue, shuts down the sending side, then discards input until the peer closes
  // or `linger` passes, then closes. Reading for the owner stops at once.
  void CloseGracefully(std::chrono::milliseconds linger);
  // Closes the socket now, dropping queued output and cancelling pending operations.
  void Close();

  // Counts bytes read and written into `rx` / `tx` (both nullable).
  void SetByteCounters(Counter* rx, Counter* tx) {
    rx_counter_ = rx;
    tx_counter_ = tx;
  }

  // Bytes queued and not yet written. Thread-safe.
  std::size_t queued_bytes() const { return queued_.load(std::memory_order_relaxed); }
  bool is_closed() const { return closed_; }
  bool secure() const { return tls_ != nullptr; }
  const std::string& remote_address() const { return remote_address_; }
  asio::any_io_executor get_executor() { return socket_.get_executor(); }
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  void ReadOnce();
  void Deliver(const std::error_code& ec, const char* data, std::size_t size);
  void WriteMore();
  // Starts a write from a posted handler unless one is running or scheduled.
  void ScheduleWriteLocked() CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void PushLocked(OutChunk chunk) CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Drops `n` sent bytes from the queue's front.
  void ConsumeLocked(std::size_t n) CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void FailWrite(std::error_code ec);
  void AfterDrain();

  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  bool server_side_;
  std::string remote_address_;

  DataHandler on_data_;
  bool reading_ = false;      // the owner wants data
  bool read_pending_ = false; // an async wait/read is in flight
  std::unique_ptr<char[]> tls_read_buffer_;

  // The write side, shared by the strand and `Send()` callers on other threads. A syscall under
  // this lock never blocks (non-blocking sends).
  std::mutex write_mu_;
  // Allocated while output is pending only: an empty std::deque still holds ~600 bytes, and most
  // of 10,000+ connections are idle. A deque because in-flight TLS gather buffers point into its
  // elements, which push_back must not move.
  std::unique_ptr<std::deque<OutChunk>> queue_ CODESPHERE_GUARDED_BY(write_mu_);
  std::size_t front_sent_ CODESPHERE_GUARDED_BY(write_mu_) = 0;  // bytes of the front chunk sent
  bool writing_ CODESPHERE_GUARDED_BY(write_mu_) = false;  // waiting for the socket (or TLS)
  bool write_scheduled_ CODESPHERE_GUARDED_BY(write_mu_) = false;
  bool sends_stopped_ CODESPHERE_GUARDED_BY(write_mu_) = false;
  std::vector<asio::const_buffer> gather_;  // TLS: the in-flight write
  std::size_t writing_chunks_ = 0;          // TLS: chunks at the queue's front being written
  std::atomic<std::size_t> queued_{0};
  unique_function<void()> on_drained_;
  unique_function<void(std::error_code)> on_write_error_;

  Counter* rx_counter_ = nullptr;
  Counter* tx_counter_ = nullptr;

  bool closing_ = false;  // CloseGracefully was called
  bool closed_ = false;
  std::unique_ptr<asio::steady_timer> linger_timer_;
};

// "ip:port" ("[v6]:port") of an endpoint.
std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint);

}  // namespace codesphere::net::internal
