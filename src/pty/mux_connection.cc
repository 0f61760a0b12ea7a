// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/pty/mux_connection.h"

#include <algorithm>
#include <utility>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

namespace codesphere::pty {
namespace {

// One attached session's sink: encodes its frames onto the shared transport.
class FrameSink final : public ViewerSink {
 public:
  explicit FrameSink(std::shared_ptr<FrameTransport> transport)
      : transport_(std::move(transport)) {}

  // pty::ViewerSink
  asio::awaitable<Status> Send(Frame frame) override {
    auto wire = EncodeFrame(frame);
    if (!wire.ok()) co_return wire.error();
    co_return co_await transport_->Write(std::move(*wire));
  }

 private:
  std::shared_ptr<FrameTransport> transport_;
};

asio::awaitable<void> WriteDetached(std::shared_ptr<FrameTransport> transport, Bytes wire) {
  (void)co_await transport->Write(std::move(wire));
}

}  // namespace

MuxConnection::MuxConnection(Multiplexer& mux, std::shared_ptr<FrameTransport> transport,
                             MuxConnectionOptions options)
    : mux_(mux),
      transport_(std::move(transport)),
      options_(options),
      decoder_(options.limits) {}

MuxConnection::~MuxConnection() = default;

void MuxConnection::SendError(SessionId session, Status error) {
  auto wire = EncodeFrame(Frame::Error(session, std::move(error)));
  if (!wire.ok()) return;
  asio::co_spawn(mux_.get_executor(), WriteDetached(transport_, std::move(*wire)), asio::detached);
}

Status MuxConnection::OnBytes(ByteSpan data) {
  auto frames = decoder_.Feed(data);
  if (!frames.ok()) {
    SendError(0, frames.error());
    return frames.error();
  }
  for (Frame& f : *frames) Handle(std::move(f));
  return OkStatus();
}

void MuxConnection::Handle(Frame frame) {
  const SessionId id = frame.session;
  auto it = viewers_.find(id);
  // A viewer detached by the session (closed) is forgotten here too.
  if (it != viewers_.end() && !it->second->attached()) {
    viewers_.erase(it);
    it = viewers_.end();
  }
  if (frame.type == FrameType::kAttach) {
    if (it != viewers_.end()) {
      SendError(id, AlreadyExistsError("attach: session " + std::to_string(id) +
                                       " is already attached on this connection"));
      return;
    }
    const ViewerRole role = std::min(frame.role, options_.max_role);
    auto viewer = mux_.Attach(id, ViewerOptions{role, frame.size, true},
                              std::make_shared<FrameSink>(transport_));
    if (!viewer.ok()) {
      SendError(id, viewer.error());
      return;
    }
    viewers_.emplace(id, std::move(*viewer));
    return;
  }
  if (it == viewers_.end()) {
    SendError(id, FailedPreconditionError(std::string(FrameTypeName(frame.type)) +
                                          ": session " + std::to_string(id) +
                                          " is not attached on this connection"));
    return;
  }
  Viewer& viewer = *it->second;
  Status st;
  switch (frame.type) {
    case FrameType::kDetach:
      viewers_.erase(it);
      return;
    case FrameType::kInput:
      st = viewer.Input(frame.data);
      break;
    case FrameType::kResize:
      st = viewer.Resize(frame.size);
      break;
    case FrameType::kSignal:
      st = viewer.Signal(frame.signal);
      break;
    default:
      st = InvalidArgumentError(std::string(FrameTypeName(frame.type)) +
                                ": not a client-to-server frame");
  }
  if (!st.ok()) SendError(id, std::move(st));
}

}  // namespace codesphere::pty
