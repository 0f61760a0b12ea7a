// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The terminal frame codecs: the multiplexed binary form and the browser text form.

#include "codesphere/pty/frame.h"

#include <cmath>
#include <string>
#include <utility>

#include "codesphere/base/any.h"
#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::pty {
namespace {

void PutU16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void PutU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
std::uint16_t GetU16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]);
}
std::uint32_t GetU32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

bool IsKnownType(std::uint8_t t) {
  return t >= static_cast<std::uint8_t>(FrameType::kOutput) &&
         t <= static_cast<std::uint8_t>(FrameType::kError);
}

bool IsKnownStatusCode(int c) {
  switch (static_cast<StatusCode>(c)) {
    case StatusCode::kCancelled:
    case StatusCode::kInvalidArgument:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kPermissionDenied:
    case StatusCode::kResourceExhausted:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
    case StatusCode::kUnimplemented:
    case StatusCode::kInternal:
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss:
    case StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

Status Malformed(FrameType type, std::string_view what) {
  return InvalidArgumentError("terminal frame (" + std::string(FrameTypeName(type)) +
                              "): " + std::string(what));
}

// Validates a header and returns the payload length it announces.
Result<std::size_t> CheckHeader(const std::uint8_t* h, const FrameLimits& limits) {
  if (!IsKnownType(h[0])) {
    return InvalidArgumentError("terminal frame: unknown type " + std::to_string(h[0]));
  }
  const auto type = static_cast<FrameType>(h[0]);
  // Session 0 is reserved for errors about the connection as a whole.
  if (GetU32(h + 1) == 0 && type != FrameType::kError) return Malformed(type, "session id 0");
  const std::uint32_t length = GetU32(h + 5);
  if (length > limits.max_payload) {
    return Malformed(type, "payload of " + std::to_string(length) + " bytes exceeds the limit of " +
                               std::to_string(limits.max_payload));
  }
  return static_cast<std::size_t>(length);
}

Result<Frame> DecodeBody(const std::uint8_t* h, ByteSpan payload, const FrameLimits& limits) {
  Frame f;
  f.type = static_cast<FrameType>(h[0]);
  f.session = GetU32(h + 1);
  const std::uint8_t* p = payload.data();
  const std::size_t n = payload.size();
  auto fixed = [&](std::size_t want) -> Status {
    if (n != want) {
      return Malformed(f.type, "payload of " + std::to_string(n) + " bytes, expected " +
                                   std::to_string(want));
    }
    return OkStatus();
  };
  auto size_at = [&](const std::uint8_t* q) -> Status {
    f.size = WindowSize{GetU16(q), GetU16(q + 2)};
    if (f.size.cols == 0 || f.size.rows == 0) return Malformed(f.type, "zero window dimension");
    return OkStatus();
  };
  switch (f.type) {
    case FrameType::kOutput:
    case FrameType::kInput:
      f.data.assign(payload.begin(), payload.end());
      break;
    case FrameType::kResize:
      CODESPHERE_RETURN_IF_ERROR(fixed(4));
      CODESPHERE_RETURN_IF_ERROR(size_at(p));
      break;
    case FrameType::kSignal:
      CODESPHERE_RETURN_IF_ERROR(fixed(1));
      f.signal = p[0];
      if (!IsTerminalSignal(f.signal)) {
        return Malformed(f.type, "signal " + std::to_string(f.signal) + " is not allowed");
      }
      break;
    case FrameType::kExit: {
      CODESPHERE_RETURN_IF_ERROR(fixed(5));
      f.exit.code = static_cast<std::int32_t>(GetU32(p));
      f.exit.signal = p[4];
      break;
    }
    case FrameType::kAttach:
      if (n < 5) return Malformed(f.type, "payload shorter than 5 bytes");
      if (p[0] > 1) return Malformed(f.type, "unknown role " + std::to_string(p[0]));
      f.role = static_cast<ViewerRole>(p[0]);
      CODESPHERE_RETURN_IF_ERROR(size_at(p + 1));
      if (n - 5 > limits.max_text) return Malformed(f.type, "title too long");
      f.data.assign(p + 5, p + n);
      break;
    case FrameType::kDetach:
      CODESPHERE_RETURN_IF_ERROR(fixed(0));
      break;
    case FrameType::kError: {
      if (n < 1) return Malformed(f.type, "empty payload");
      if (!IsKnownStatusCode(p[0])) {
        return Malformed(f.type, "unknown status code " + std::to_string(p[0]));
      }
      if (n - 1 > limits.max_text) return Malformed(f.type, "message too long");
      f.error = Status(static_cast<StatusCode>(p[0]),
                       std::string_view(reinterpret_cast<const char*>(p + 1), n - 1));
      break;
    }
  }
  return f;
}

// Text frames must be valid UTF-8, and messages may quote client bytes: replace what is not.
std::string JsonString(std::string_view s) {
  if (lib0::IsValidUtf8(s)) return ToJson(Any(s));
  std::string ascii(s);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return ToJson(Any(ascii));
}

}  // namespace

std::string_view ViewerRoleName(ViewerRole role) {
  return role == ViewerRole::kWriter ? "writer" : "read-only";
}

Result<ViewerRole> ParseViewerRole(std::string_view name) {
  if (name == "writer") return ViewerRole::kWriter;
  if (name == "read-only" || name == "readonly" || name == "viewer") return ViewerRole::kReadOnly;
  return InvalidArgumentError("unknown viewer role \"" + std::string(name.substr(0, 32)) + "\"");
}

std::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kOutput: return "output";
    case FrameType::kInput: return "input";
    case FrameType::kResize: return "resize";
    case FrameType::kSignal: return "signal";
    case FrameType::kExit: return "exit";
    case FrameType::kAttach: return "attach";
    case FrameType::kDetach: return "detach";
    case FrameType::kError: return "error";
  }
  return "unknown";
}

Frame Frame::Output(SessionId session, Bytes data) {
  Frame f;
  f.type = FrameType::kOutput;
  f.session = session;
  f.data = std::move(data);
  return f;
}
Frame Frame::Input(SessionId session, Bytes data) {
  Frame f = Output(session, std::move(data));
  f.type = FrameType::kInput;
  return f;
}
Frame Frame::Resize(SessionId session, WindowSize size) {
  Frame f;
  f.type = FrameType::kResize;
  f.session = session;
  f.size = size;
  return f;
}
Frame Frame::Signal(SessionId session, int signo) {
  Frame f;
  f.type = FrameType::kSignal;
  f.session = session;
  f.signal = signo;
  return f;
}
Frame Frame::Exit(SessionId session, ExitStatus exit) {
  Frame f;
  f.type = FrameType::kExit;
  f.session = session;
  f.exit = exit;
  return f;
}
Frame Frame::Attach(SessionId session, ViewerRole role, WindowSize size, std::string_view title) {
  Frame f;
  f.type = FrameType::kAttach;
  f.session = session;
  f.role = role;
  f.size = size;
  f.data = ToBytes(title);
  return f;
}
Frame Frame::Detach(SessionId session) {
  Frame f;
  f.type = FrameType::kDetach;
  f.session = session;
  return f;
}
Frame Frame::Error(SessionId session, Status error) {
  CODESPHERE_CHECK(!error.ok());
  Frame f;
  f.type = FrameType::kError;
  f.session = session;
  f.error = std::move(error);
  return f;
}

Status AppendFrame(const Frame& frame, Bytes& out, const FrameLimits& limits) {
  const std::size_t start = out.size();
  out.push_back(static_cast<std::uint8_t>(frame.type));
  PutU32(out, frame.session);
  PutU32(out, 0);  // length, patched below
  auto text = [&](std::string_view s) -> Status {
    if (s.size() > limits.max_text) return Malformed(frame.type, "text too long");
    out.insert(out.end(), s.begin(), s.end());
    return OkStatus();
  };
  Status st;
  switch (frame.type) {
    case FrameType::kOutput:
    case FrameType::kInput:
      if (frame.data.size() > limits.max_payload) {
        st = Malformed(frame.type, "payload exceeds the limit");
      } else {
        out.insert(out.end(), frame.data.begin(), frame.data.end());
      }
      break;
    case FrameType::kResize:
      PutU16(out, frame.size.cols);
      PutU16(out, frame.size.rows);
      break;
    case FrameType::kSignal:
      if (frame.signal < 0 || frame.signal > 255) {
        st = Malformed(frame.type, "signal out of range");
      } else {
        out.push_back(static_cast<std::uint8_t>(frame.signal));
      }
      break;
    case FrameType::kExit:
      PutU32(out, static_cast<std::uint32_t>(frame.exit.code));
      out.push_back(static_cast<std::uint8_t>(frame.exit.signal));
      break;
    case FrameType::kAttach:
      out.push_back(static_cast<std::uint8_t>(frame.role));
      PutU16(out, frame.size.cols);
      PutU16(out, frame.size.rows);
      st = text(AsStringView(frame.data));
      break;
    case FrameType::kDetach:
      break;
    case FrameType::kError:
      out.push_back(static_cast<std::uint8_t>(frame.error.code()));
      st = text(frame.error.message().substr(0, limits.max_text));
      break;
    default:
      st = InvalidArgumentError("terminal frame: unknown type");
  }
  if (!st.ok()) {
    out.resize(start);
    return st;
  }
  const auto length = static_cast<std::uint32_t>(out.size() - start - kFrameHeaderSize);
  for (int i = 0; i < 4; ++i) {
    out[start + 5 + i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  }
  return OkStatus();
}

Result<Bytes> EncodeFrame(const Frame& frame, const FrameLimits& limits) {
  Bytes out;
  out.reserve(kFrameHeaderSize + frame.data.size() + 8);
  CODESPHERE_RETURN_IF_ERROR(AppendFrame(frame, out, limits));
  return out;
}

Result<Frame> DecodeFrame(ByteSpan message, const FrameLimits& limits) {
  if (message.size() < kFrameHeaderSize) {
    return InvalidArgumentError("terminal frame: " + std::to_string(message.size()) +
                                " bytes, shorter than the 9-byte header");
  }
  CODESPHERE_ASSIGN_OR_RETURN(std::size_t length, CheckHeader(message.data(), limits));
  if (message.size() - kFrameHeaderSize != length) {
    return Malformed(static_cast<FrameType>(message[0]),
                     "length says " + std::to_string(length) + " bytes, message has " +
                         std::to_string(message.size() - kFrameHeaderSize));
  }
  return DecodeBody(message.data(), message.subspan(kFrameHeaderSize), limits);
}

Result<std::vector<Frame>> FrameDecoder::Feed(ByteSpan data) {
  if (!error_.ok()) return error_;
  std::vector<Frame> frames;
  auto fail = [&](Status st) -> Result<std::vector<Frame>> {
    error_ = st;
    buf_.clear();
    buf_.shrink_to_fit();
    return st;
  };
  while (!data.empty()) {
    // Complete the header first, so the length is checked before any payload is kept.
    if (buf_.size() < kFrameHeaderSize) {
      const std::size_t take = std::min(kFrameHeaderSize - buf_.size(), data.size());
      buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      data = data.subspan(take);
      if (buf_.size() < kFrameHeaderSize) break;
    }
    auto length = CheckHeader(buf_.data(), limits_);
    if (!length.ok()) return fail(length.error());
    const std::size_t want = kFrameHeaderSize + *length - buf_.size();
    const std::size_t take = std::min(want, data.size());
    buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (take < want) break;
    auto frame = DecodeBody(buf_.data(), ByteSpan(buf_).subspan(kFrameHeaderSize), limits_);
    if (!frame.ok()) return fail(frame.error());
    frames.push_back(std::move(*frame));
    buf_.clear();
  }
  return frames;
}

Result<Frame> ParseBrowserMessage(SessionId session, ByteSpan message) {
  if (message.empty()) return InvalidArgumentError("terminal message: empty");
  const std::string_view body = AsStringView(message.subspan(1));
  switch (message[0]) {
    case '0':
      return Frame::Input(session, Bytes(message.begin() + 1, message.end()));
    case '1': {
      if (body.size() > 256) return InvalidArgumentError("terminal resize: message too long");
      CODESPHERE_ASSIGN_OR_RETURN(Any json, ParseJson(body));
      auto dim = [&](std::string_view key) -> Result<std::uint16_t> {
        const Any* v = json.Find(key);
        if (v == nullptr || !v->is_number()) {
          return InvalidArgumentError("terminal resize: \"" + std::string(key) +
                                      "\" must be a number");
        }
        const double d = v->as_number();
        if (!(d >= 1 && d <= 65535) || std::floor(d) != d) {
          return InvalidArgumentError("terminal resize: \"" + std::string(key) +
                                      "\" must be an integer in 1..65535");
        }
        return static_cast<std::uint16_t>(d);
      };
      CODESPHERE_ASSIGN_OR_RETURN(std::uint16_t cols, dim("cols"));
      CODESPHERE_ASSIGN_OR_RETURN(std::uint16_t rows, dim("rows"));
      return Frame::Resize(session, WindowSize{cols, rows});
    }
    case '2': {
      CODESPHERE_ASSIGN_OR_RETURN(int signo, ParseTerminalSignal(body));
      return Frame::Signal(session, signo);
    }
    default:
      return InvalidArgumentError("terminal message: unknown type byte " +
                                  std::to_string(message[0]));
  }
}

std::string BrowserEventJson(const Frame& f) {
  auto size = [&] {
    return ",\"cols\":" + std::to_string(f.size.cols) + ",\"rows\":" + std::to_string(f.size.rows);
  };
  switch (f.type) {
    case FrameType::kAttach:
      return "{\"type\":\"attach\",\"session\":" + std::to_string(f.session) +
             ",\"role\":" + JsonString(ViewerRoleName(f.role)) + size() +
             ",\"title\":" + JsonString(AsStringView(f.data)) + "}";
    case FrameType::kResize:
      return "{\"type\":\"resize\"" + size() + "}";
    case FrameType::kExit:
      return "{\"type\":\"exit\",\"code\":" + std::to_string(f.exit.code) +
             ",\"signal\":" + std::to_string(f.exit.signal) + "}";
    case FrameType::kError:
      return "{\"type\":\"error\",\"code\":" + JsonString(StatusCodeName(f.error.code())) +
             ",\"message\":" + JsonString(f.error.message()) + "}";
    case FrameType::kDetach:
      return "{\"type\":\"detach\"}";
    default:
      CODESPHERE_CHECK_MSG(false, "BrowserEventJson: not an event frame");
  }
  return {};
}

}  // namespace codesphere::pty
