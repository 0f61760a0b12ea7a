// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `MuxConnection`: the server side of the multiplexed frame form (frame.h) for one connection,
// e.g. a gateway talking to the runner of a workspace. The peer attaches to any number of
// sessions of a `Multiplexer` by id and drives them with input/resize/signal frames; each
// attached session is one viewer with its own flow control.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include <asio/awaitable.hpp>

#include "codesphere/base/bytes.h"
#include "codesphere/base/status.h"
#include "codesphere/pty/frame.h"
#include "codesphere/pty/multiplexer.h"

namespace codesphere::pty {

// Where a `MuxConnection` writes encoded frames (one WebSocket message each, or bytes on a
// stream). `Write` completes when the transport can take more; calls from different sessions
// may be outstanding at once, so an implementation must queue or serialize them.
//
// Thread-safety: `Write` is called on the multiplexer's executor.
class FrameTransport {
 public:
  FrameTransport() = default;
  FrameTransport(const FrameTransport&) = delete;
  FrameTransport& operator=(const FrameTransport&) = delete;
  virtual ~FrameTransport() = default;

  // Sends one encoded frame. An error detaches the session whose frame it was.
  virtual asio::awaitable<Status> Write(Bytes frame) = 0;
};

struct MuxConnectionOptions {
  // The strongest role this connection may take (what its peer was authorised for); attach
  // requests for more are downgraded. Default: kWriter.
  ViewerRole max_role = ViewerRole::kWriter;
  // Frame limits for what the peer sends. Default: see FrameLimits.
  FrameLimits limits;
};

// Serves one connection. Frames from the peer: attach (session id, role, size), detach,
// input, resize, signal. Frames to the peer: attach (granted role, size, title), output,
// resize, exit, detach, and error (for a request on a session: that session's id; for a
// malformed stream: session 0).
//
// Thread-safety: strand-bound (use only from the multiplexer's executor).
class MuxConnection {
 public:
  // `mux` must outlive the connection.
  MuxConnection(Multiplexer& mux, std::shared_ptr<FrameTransport> transport,
                MuxConnectionOptions options = {});
  // Detaches every session of this connection.
  ~MuxConnection();
  MuxConnection(const MuxConnection&) = delete;
  MuxConnection& operator=(const MuxConnection&) = delete;

  // Handles received bytes: a whole message, or any piece of a stream. Requests that fail
  // (unknown session, input from a read-only viewer, a frame for a session not attached, ...)
  // are answered with an error frame and the connection stays usable. Returns
  // kInvalidArgument for a malformed stream (after sending an error frame with session 0);
  // the caller should then close the connection.
  Status OnBytes(ByteSpan data);

  // Sessions currently attached through this connection.
  std::size_t attached() const { return viewers_.size(); }

 private:
  void Handle(Frame frame);
  void SendError(SessionId session, Status error);

  Multiplexer& mux_;
  std::shared_ptr<FrameTransport> transport_;
  MuxConnectionOptions options_;
  FrameDecoder decoder_;
  std::map<SessionId, std::unique_ptr<Viewer>> viewers_;
};

}  // namespace codesphere::pty
