// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include <utility>

#include <asio/write.hpp>

#include "codesphere/base/log.h"
#include "net/server_impl.h"

namespace codesphere::net::internal {
namespace {

constexpr std::size_t kUpstreamReadSize = 16 * 1024;
// Client bytes buffered for a slow upstream before the client is no longer read.
constexpr std::size_t kMaxPendingUpstream = 256 * 1024;
constexpr std::chrono::milliseconds kLinger{2000};

}  // namespace

ProxySession::ProxySession(std::shared_ptr<Server::Impl> server, std::uint64_t id, Strand strand,
                           std::shared_ptr<Transport> client,
                           asio::generic::stream_protocol::socket upstream)
    : server_(std::move(server)), id_(id), strand_(std::move(strand)),
      client_(std::move(client)), upstream_(std::move(upstream)) {}

void ProxySession::Start(std::string head, std::string initial) {
  to_upstream_ = std::move(head);
  to_upstream_ += initial;
  client_->StartReading(
      [self = shared_from_this()](const std::error_code& ec, const char* data, std::size_t n) {
        self->OnClientData(ec, data, n);
      });
  // Weak captures in callbacks stored on the transport, so that no cycle outlives the
  // io_context (the read loop's handler holds this session strongly while it runs).
  client_->OnWriteError([weak = weak_from_this()](std::error_code) {
    if (auto self = weak.lock()) self->End();
  });
  WriteUpstream();
  ReadUpstream();
}

void ProxySession::OnClientData(const std::error_code& ec, const char* data, std::size_t size) {
  if (ended_) return;
  if (ec) {
    // The client finished sending (or failed): let the upstream see EOF, keep relaying its
    // answer until it closes.
    client_eof_ = true;
    client_->PauseReading();
    if (ec != asio::error::eof) {
      End();
      return;
    }
    if (!upstream_writing_ && to_upstream_.empty()) {
      std::error_code ignored;
      upstream_.shutdown(asio::socket_base::shutdown_send, ignored);
    }
    return;
  }
  to_upstream_.append(data, size);
  if (to_upstream_.size() > kMaxPendingUpstream) client_->PauseReading();
  WriteUpstream();
}

void ProxySession::WriteUpstream() {
  if (ended_ || upstream_writing_ || to_upstream_.empty()) return;
  upstream_writing_ = true;
  writing_upstream_.swap(to_upstream_);
  to_upstream_.clear();
  asio::async_write(upstream_, asio::buffer(writing_upstream_),
                    [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                      self->upstream_writing_ = false;
                      self->writing_upstream_.clear();
                      if (self->ended_) return;
                      if (ec) {
                        self->End();
                        return;
                      }
                      if (!self->client_eof_) self->client_->ResumeReading();
                      if (!self->to_upstream_.empty()) {
                        self->WriteUpstream();
                      } else if (self->client_eof_) {
                        std::error_code ignored;
                        self->upstream_.shutdown(asio::socket_base::shutdown_send, ignored);
                      }
                    });
}

void ProxySession::ReadUpstream() {
  if (ended_) return;
  if (read_buffer_ == nullptr) read_buffer_.reset(new char[kUpstreamReadSize]);
  upstream_.async_read_some(
      asio::buffer(read_buffer_.get(), kUpstreamReadSize),
      [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
        if (self->ended_) return;
        if (n > 0) {
          OutChunk chunk;
          chunk.owned.assign(self->read_buffer_.get(), n);
          self->client_->Enqueue(std::move(chunk));
        }
        if (ec) {
          // Upstream done: deliver what is queued to the client, then close it.
          self->client_->CloseGracefully(kLinger);
          self->End();
          return;
        }
        if (self->client_->is_closed()) {
          self->End();
          return;
        }
        if (self->client_->queued_bytes() > self->server_->options.max_http_queued_bytes) {
          // Backpressure: read the upstream again once the client caught up.
          self->client_->OnDrained([weak = std::weak_ptr<ProxySession>(self)] {
            if (auto s = weak.lock()) s->ReadUpstream();
          });
          return;
        }
        self->ReadUpstream();
      });
}

void ProxySession::AbortForStop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->ended_) return;
    self->client_->Close();
    self->End();
  });
}

void ProxySession::End() {
  if (ended_) return;
  ended_ = true;
  std::error_code ignored;
  upstream_.close(ignored);
  if (!client_->is_closed()) client_->CloseGracefully(kLinger);
  server_->Unregister(id_);
}

}  // namespace codesphere::net::internal
