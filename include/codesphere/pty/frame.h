// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The terminal wire formats (docs/protocols.md, "Terminals"): the binary frame that carries
// many sessions over one connection (gateway <-> runner), its streaming decoder, and the
// small text form used by browsers on a one-terminal-per-WebSocket connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/pty/pty.h"

namespace codesphere::pty {

// A terminal session's id within one `Multiplexer`; stable for the session's lifetime and
// never reused by that multiplexer. 0 is not a valid id.
using SessionId = std::uint32_t;

// What a viewer may do. Read-only viewers see the output; their input, resizes and signals
// are refused.
enum class ViewerRole : std::uint8_t { kReadOnly = 0, kWriter = 1 };

// "writer" / "read-only".
std::string_view ViewerRoleName(ViewerRole role);
// Parses "writer" or "read-only" (also "readonly", "viewer"); kInvalidArgument otherwise.
Result<ViewerRole> ParseViewerRole(std::string_view name);

enum class FrameType : std::uint8_t {
  kOutput = 1,  // server -> client: terminal output bytes
  kInput = 2,   // client -> server: keyboard input bytes
  kResize = 3,  // client -> server: viewer's size; server -> client: the terminal's size
  kSignal = 4,  // client -> server: a signal for the foreground process group
  kExit = 5,    // server -> client: the program ended
  kAttach = 6,  // client -> server: join a session; server -> client: joined (with state)
  kDetach = 7,  // client -> server: leave; server -> client: you were detached
  kError = 8,   // server -> client: a request failed (the connection stays usable)
};

// "output", "input", ... ; "unknown" for other values.
std::string_view FrameTypeName(FrameType type);

// One frame. Which fields matter depends on `type`:
//   kOutput, kInput: `data`;   kResize: `size`;   kSignal: `signal`;
//   kExit: `exit`;   kAttach: `role`, `size`, `data` (the session title, server -> client);
//   kDetach: nothing;   kError: `error` (code and message).
struct Frame {
  FrameType type = FrameType::kOutput;
  SessionId session = 0;
  Bytes data;
  WindowSize size;
  ViewerRole role = ViewerRole::kReadOnly;
  int signal = 0;
  ExitStatus exit;
  Status error;

  static Frame Output(SessionId session, Bytes data);
  static Frame Input(SessionId session, Bytes data);
  static Frame Resize(SessionId session, WindowSize size);
  static Frame Signal(SessionId session, int signo);
  static Frame Exit(SessionId session, ExitStatus exit);
  static Frame Attach(SessionId session, ViewerRole role, WindowSize size,
                      std::string_view title = {});
  static Frame Detach(SessionId session);
  // REQUIRES: !error.ok().
  static Frame Error(SessionId session, Status error);
};

// Limits of the frame codec.
struct FrameLimits {
  // Largest payload accepted by the decoder (and produced by the encoder). Default: 1 MiB.
  std::size_t max_payload = 1 << 20;
  // Largest title or error message. Default: 1024 bytes.
  std::size_t max_text = 1024;
};

// Encodes `frame` in the multiplexed binary form (big-endian):
//
//   0        1                 5                 9
//   +--------+-----------------+-----------------+====================+
//   | type   | session (u32)   | length (u32)    | payload (length B) |
//   +--------+-----------------+-----------------+====================+
//
//   payload:  output/input: the bytes          resize: cols u16, rows u16
//             signal: signo u8                 exit: code i32, signal u8
//             attach: role u8, cols u16, rows u16, title (rest, UTF-8)
//             detach: empty                    error: code u8, message (rest, UTF-8)
//
// Returns kInvalidArgument if a payload would exceed `limits` (split output first).
Result<Bytes> EncodeFrame(const Frame& frame, const FrameLimits& limits = {});
// Appends the encoding to `out` (same rules).
Status AppendFrame(const Frame& frame, Bytes& out, const FrameLimits& limits = {});

inline constexpr std::size_t kFrameHeaderSize = 9;

// Decodes exactly one frame from `message` (for message transports such as WebSocket).
// Returns kInvalidArgument for an unknown type, a truncated or trailing payload, a length
// over `limits`, a zero session id (allowed only on kError, for errors about the whole
// connection), a zero window dimension, a role or signal out of range,
// or an error code that is not a known StatusCode.
Result<Frame> DecodeFrame(ByteSpan message, const FrameLimits& limits = {});

// Decodes a byte stream (TCP, or WebSocket messages that split frames) into frames. Headers
// are checked as soon as they are complete, so an oversized length is refused before its
// payload is buffered; at most one frame is buffered. After an error every call returns it.
//
// Thread-safety: thread-compatible (external synchronization).
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {}) : limits_(limits) {}

  // Consumes `data` and returns the frames completed by it (possibly none).
  // Returns kInvalidArgument as `DecodeFrame` does.
  Result<std::vector<Frame>> Feed(ByteSpan data);
  // Bytes of an incomplete frame held.
  std::size_t buffered() const { return buf_.size(); }

 private:
  FrameLimits limits_;
  Bytes buf_;
  Status error_;
};

// ---- The browser form: one WebSocket per terminal (ws://HOST/pty/<terminal>) ----
//
// Client -> server messages (text or binary), first byte is the type:
//   '0' + bytes                         input
//   '1' + {"cols":N,"rows":N}           resize (JSON)
//   '2' + "INT" | "SIGINT" | "2"        signal
// Server -> client: binary messages are output bytes, unframed (xterm.write them);
// text messages are JSON events:
//   {"type":"attach","session":1,"role":"writer","cols":80,"rows":24,"title":"bash"}
//   {"type":"resize","cols":80,"rows":24}      {"type":"exit","code":0,"signal":0}
//   {"type":"error","code":"InvalidArgument","message":"..."}   {"type":"detach"}

// Parses a client message of the browser form into an input, resize or signal frame for
// `session`. Returns kInvalidArgument for an empty message, an unknown type byte, malformed
// JSON, sizes outside 1..65535 (zero, negative, fractional, huge), or an unknown signal.
Result<Frame> ParseBrowserMessage(SessionId session, ByteSpan message);
// The JSON text of a server -> client event (attach, resize, exit, error, detach).
// REQUIRES: frame.type is not kOutput, kInput or kSignal.
std::string BrowserEventJson(const Frame& frame);

}  // namespace codesphere::pty
