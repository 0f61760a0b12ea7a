// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/net/websocket.h"

namespace codesphere::net {

WebSocketHandlers WebSocketMessageQueue::Handlers() {
  WebSocketHandlers h;
  h.on_message = [this](WebSocket&, ByteSpan data, MessageKind kind) {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back({Bytes(data.begin(), data.end()), kind});
    cv_.notify_all();
  };
  h.on_close = [this](WebSocket&, const CloseInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    close_ = info;
    cv_.notify_all();
  };
  return h;
}

Result<WebSocketMessageQueue::Message> WebSocketMessageQueue::Receive(
    std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !messages_.empty() || close_.has_value(); })) {
    return DeadlineExceededError("websocket receive: no message within " +
                                 std::to_string(timeout.count()) + " ms");
  }
  if (messages_.empty()) {
    return CancelledError("websocket closed: code " +
                          std::to_string(static_cast<int>(close_->code)) +
                          (close_->reason.empty() ? "" : " \"" + close_->reason + "\"") +
                          (close_->status.ok() ? "" : " (" + close_->status.ToString() + ")"));
  }
  Message m = std::move(messages_.front());
  messages_.pop_front();
  return m;
}

std::optional<CloseInfo> WebSocketMessageQueue::WaitClosed(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return close_.has_value(); });
  return close_;
}

std::optional<CloseInfo> WebSocketMessageQueue::close_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  return close_;
}

std::size_t WebSocketMessageQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_.size();
}

}  // namespace codesphere::net
