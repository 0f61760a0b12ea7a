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
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>

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

// Thread-safety: strand-bound (use only from its executor), except `queued_bytes()`.
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

  // Queues `chunk` for writing. Dropped if the transport is closed or closing.
  void Enqueue(OutChunk chunk);
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

  // Allocated while output is pending only: an empty std::deque still holds ~600 bytes, and most
  // of 10,000+ connections are idle. A deque because in-flight gather buffers point into its
  // elements, which push_back must not move.
  std::unique_ptr<std::deque<OutChunk>> queue_;
  std::vector<asio::const_buffer> gather_;
  std::size_t writing_chunks_ = 0;  // chunks at the queue's front being written
  bool writing_ = false;
  bool write_scheduled_ = false;
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
