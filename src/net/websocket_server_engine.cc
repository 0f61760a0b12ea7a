// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The server side of RFC 6455 for accepted connections: the 101 response, client frame parsing
// (masking, fragmentation, control frames, UTF-8 of text messages, the size limit) and the
// close handshake. It replaces a websocketpp connection object per peer (about 5 KB each, with
// the parsed handshake kept for the connection's life) by a few dozen bytes of state: an idle
// connection holds no buffer here, and a partial frame is kept only until it completes.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/base/encoding.h"
#include "codesphere/net/websocket.h"
#include "net/websocket_engine.h"

namespace codesphere::net::internal {
namespace {

constexpr int kOpContinuation = 0x0;
constexpr int kOpText = 0x1;
constexpr int kOpBinary = 0x2;
constexpr int kOpClose = 0x8;
constexpr int kOpPing = 0x9;
constexpr int kOpPong = 0xA;

// Close codes as the wire's integers (the values are net::CloseCode's).
constexpr int kCloseNormal = static_cast<int>(CloseCode::kNormal);
constexpr int kCloseNoStatus = static_cast<int>(CloseCode::kNoStatus);
constexpr int kCloseAbnormal = static_cast<int>(CloseCode::kAbnormal);
constexpr int kCloseProtocolError = static_cast<int>(CloseCode::kProtocolError);
constexpr int kCloseInvalidPayload = static_cast<int>(CloseCode::kInvalidPayload);
constexpr int kCloseMessageTooBig = static_cast<int>(CloseCode::kMessageTooBig);

// Scratch space for unmasking complete frames straight from the read buffer (per thread, so an
// idle connection owns none). Large messages are assembled in the connection's own buffer.
constexpr std::size_t kMaxScratchKeep = 64 * 1024;

std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}

// Close codes a peer may send (RFC 6455 §7.4.1-§7.4.2, IANA registry): 1004-1006 and 1015 are
// reserved for reporting, 1016-2999 for future protocol use.
bool IsValidCloseCode(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

// Appends `payload` unmasked with `mask` (the frame's 4-byte key; `offset` is the payload
// position of the first byte, for frames split over reads).
void Unmask(const char* payload, std::size_t n, const std::uint8_t* mask, std::size_t offset,
            std::string* out) {
  std::size_t start = out->size();
  out->resize(start + n);
  char* dst = out->data() + start;
  for (std::size_t i = 0; i < n; ++i) {
    dst[i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask[(offset + i) & 3]);
  }
}

// SHA-1 (FIPS 180-4 §6.1), for the handshake's accept key only (RFC 6455 §4.2.2 fixes the
// hash; it protects nothing). Our own 40 lines rather than OpenSSL's: the first SHA1() call of
// OpenSSL 3 initializes its provider machinery, 2.3 MB of resident memory for one 60-byte hash.
std::array<std::uint8_t, 20> Sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  auto rotl = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, in 64-byte blocks.
  std::string msg(data);
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  for (std::size_t block = 0; block < msg.size(); block += 64) {
    std::uint32_t w[80];
    for (int t = 0; t < 16; ++t) {
      const auto* b = reinterpret_cast<const std::uint8_t*>(msg.data() + block + 4 * t);
      w[t] = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
             (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    }
    for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; ++t) {
      std::uint32_t f, k;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      std::uint32_t temp = rotl(a, 5) + f + e + k + w[t];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<std::uint8_t, 20> out;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * j));
  }
  return out;
}

std::string Base64(const std::uint8_t* data, std::size_t n) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kAlphabet[v & 63] : '=');
  }
  return out;
}

// A parsed client frame header (RFC 6455 §5.2):
//
//   byte 0: FIN(1) RSV1-3(3) opcode(4)
//   byte 1: MASK(1) len7          len7 < 126: length; 126: 16-bit length; 127: 64-bit length
//   [2 or 8 bytes big-endian extended length] [4-byte masking key]
struct FrameHeader {
  bool fin = false;
  int rsv = 0;
  int opcode = 0;
  bool masked = false;
  std::uint64_t length = 0;
  std::uint8_t mask[4] = {0, 0, 0, 0};
  std::size_t size = 0;  // header bytes
  bool minimal = true;   // the length used the shortest encoding
};

// Parses a header from `p[0..n)`; false if more bytes are needed.
bool ParseHeader(const std::uint8_t* p, std::size_t n, FrameHeader* h) {
  if (n < 2) return false;
  h->fin = (p[0] & 0x80) != 0;
  h->rsv = (p[0] >> 4) & 0x7;
  h->opcode = p[0] & 0x0f;
  h->masked = (p[1] & 0x80) != 0;
  std::uint64_t len7 = p[1] & 0x7f;
  std::size_t pos = 2;
  if (len7 == 126) {
    if (n < 4) return false;
    h->length = (static_cast<std::uint64_t>(p[2]) << 8) | p[3];
    h->minimal = h->length >= 126;
    pos = 4;
  } else if (len7 == 127) {
    if (n < 10) return false;
    h->length = 0;
    for (int i = 0; i < 8; ++i) h->length = (h->length << 8) | p[2 + i];
    h->minimal = h->length > 0xffff;
    pos = 10;
  } else {
    h->length = len7;
  }
  if (h->masked) {
    if (n < pos + 4) return false;
    std::memcpy(h->mask, p + pos, 4);
    pos += 4;
  }
  h->size = pos;
  return true;
}

void AppendControlFrame(int opcode, std::string_view payload, std::string* out) {
  out->push_back(static_cast<char>(0x80 | opcode));
  out->push_back(static_cast<char>(payload.size()));  // <= 125 (control frame rule)
  out->append(payload);
}

class ServerEngine final : public WebSocketEngine {
 public:
  ServerEngine(WebSocketEngineEvents* events, const EngineParams& p)
      : events_(events), max_message_size_(p.max_message_size),
        handshake_(std::make_unique<EngineParams>()) {
    handshake_->key = p.key;
    handshake_->subprotocol = p.subprotocol;
  }

  // WebSocketEngine
  void Start() override {
    if (state_ != State::kConnecting) return;
    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
        WebSocketAcceptKey(handshake_->key) + "\r\n";
    if (!handshake_->subprotocol.empty()) {
      response += "Sec-WebSocket-Protocol: " + handshake_->subprotocol + "\r\n";
    }
    response += "Server: codesphere\r\nUpgrade: websocket\r\n\r\n";
    state_ = State::kOpen;
    events_->OnEngineWrite(response.data(), response.size());
    events_->OnEngineOpen();  // the owner reads Subprotocol() here
    handshake_.reset();       // nothing of the handshake stays
  }

  std::size_t Feed(const char* data, std::size_t size) override {
    std::size_t pos = 0;
    frame_start_offset_ = 0;  // a frame in progress began in an earlier read
    while (pos < size && state_ != State::kEnded && !failed_) {
      std::size_t used = Step(data + pos, size - pos, pos);
      if (failed_) return error_offset_;
      if (used == 0) break;
      pos += used;
    }
    if (failed_) return error_offset_;
    return size;
  }

  void Eof() override { Lost("end of file"); }
  void Fail() override { Lost("transport failed"); }

  bool Send(int, const char*, std::size_t) override { return false; }

  void Ping() override {
    if (state_ != State::kOpen) return;
    std::string frame;
    AppendControlFrame(kOpPing, {}, &frame);
    events_->OnEngineWrite(frame.data(), frame.size());
  }

  void Close(int code, const std::string& reason) override {
    if (state_ != State::kOpen) return;
    state_ = State::kClosing;
    SendClose(code, reason);
  }

  bool IsOpen() const override { return state_ == State::kOpen; }
  std::string Subprotocol() const override {
    return handshake_ != nullptr ? handshake_->subprotocol : std::string();
  }
  int LocalCloseCode() const override { return local_code_; }
  std::string LocalCloseReason() const override {
    return local_reason_ != nullptr ? *local_reason_ : std::string();
  }

 private:
  enum class State : std::uint8_t { kConnecting, kOpen, kClosing, kEnded };

  // Consumes bytes of at most one frame from `p[0..n)` (`offset`: position of `p` in the
  // caller's chunk, for error offsets). Returns the bytes consumed; 0 means "need more" after
  // everything was buffered.
  std::size_t Step(const char* p, std::size_t n, std::size_t offset) {
    const auto* u = reinterpret_cast<const std::uint8_t*>(p);
    if (in_payload_) return ReadPayload(p, n);
    // Header: possibly split over reads, then kept in `Partial::header_buf` (at most 14 bytes).
    FrameHeader h;
    std::size_t from_here;
    std::size_t buffered = partial_ != nullptr ? partial_->header_len : 0;
    if (buffered == 0 && ParseHeader(u, n, &h)) {
      from_here = h.size;
      frame_start_offset_ = offset;
    } else {
      if (buffered == 0) frame_start_offset_ = offset;
      Partial& part = partial();
      std::size_t take = std::min(n, sizeof(part.header_buf) - buffered);
      std::memcpy(part.header_buf + buffered, p, take);
      if (!ParseHeader(part.header_buf, buffered + take, &h)) {
        part.header_len += take;
        return take;
      }
      from_here = h.size - buffered;
      part.header_len = 0;
      if (buffered > 0) frame_start_offset_ = 0;  // the frame began in an earlier read
    }
    if (!CheckHeader(h)) return 0;
    frame_ = h;
    frame_read_ = 0;
    in_payload_ = h.length > 0;
    if (!in_payload_) EndFrame();
    return from_here;
  }

  bool CheckHeader(const FrameHeader& h) {
    if (h.rsv != 0) return ProtocolError(kCloseProtocolError, "reserved bits set");
    if (!h.masked) return ProtocolError(kCloseProtocolError, "client frame is not masked");
    if (!h.minimal) return ProtocolError(kCloseProtocolError, "frame length not minimal");
    if ((h.length >> 63) != 0) return ProtocolError(kCloseProtocolError, "frame length");
    bool control = (h.opcode & 0x8) != 0;
    if (control) {
      if (h.opcode != kOpClose && h.opcode != kOpPing && h.opcode != kOpPong) {
        return ProtocolError(kCloseProtocolError, "unknown control opcode");
      }
      if (!h.fin) return ProtocolError(kCloseProtocolError, "fragmented control frame");
      if (h.length > 125) return ProtocolError(kCloseProtocolError, "control frame too long");
      return true;
    }
    if (h.opcode == kOpContinuation) {
      if (!in_message_) return ProtocolError(kCloseProtocolError, "continuation without start");
    } else if (h.opcode == kOpText || h.opcode == kOpBinary) {
      if (in_message_) return ProtocolError(kCloseProtocolError, "new message inside a fragment");
    } else {
      return ProtocolError(kCloseProtocolError, "unknown data opcode");
    }
    std::uint64_t total = (h.opcode == kOpContinuation ? message_size_ : 0) + h.length;
    if (total > max_message_size_) {
      return ProtocolError(kCloseMessageTooBig, "message too big");
    }
    return true;
  }

  std::size_t ReadPayload(const char* p, std::size_t n) {
    std::uint64_t left = frame_.length - frame_read_;
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, n));
    bool control = (frame_.opcode & 0x8) != 0;
    bool whole_here = frame_read_ == 0 && take == frame_.length;
    if (!control && whole_here && frame_.fin && !in_message_) {
      // The common case: a whole unfragmented message in this read; unmask into the scratch.
      std::string& scratch = Scratch();
      scratch.clear();
      Unmask(p, take, frame_.mask, 0, &scratch);
      in_payload_ = false;
      MaybeReleasePartial();  // a header that was split over reads
      DeliverMessage(frame_.opcode, scratch.data(), scratch.size());
      if (scratch.capacity() > kMaxScratchKeep) std::string().swap(scratch);
      return take;
    }
    Partial& part = partial();
    std::string& target = control ? part.control : part.message;
    Unmask(p, take, frame_.mask, static_cast<std::size_t>(frame_read_), &target);
    frame_read_ += take;
    if (frame_read_ == frame_.length) {
      in_payload_ = false;
      EndFrame();
    }
    return take;
  }

  // A frame's payload is complete (in `Partial::control` or appended to `Partial::message`).
  void EndFrame() {
    int op = frame_.opcode;
    if ((op & 0x8) != 0) {
      std::string payload;
      if (partial_ != nullptr) payload = std::move(partial_->control);
      MaybeReleasePartial();
      HandleControl(op, payload);
      return;
    }
    if (op != kOpContinuation) {
      in_message_ = true;
      message_opcode_ = static_cast<std::uint8_t>(op);
      message_size_ = 0;
    }
    message_size_ += frame_.length;
    if (!frame_.fin) return;
    in_message_ = false;
    std::string message;
    if (partial_ != nullptr) message = std::move(partial_->message);
    MaybeReleasePartial();
    DeliverMessage(message_opcode_, message.data(), message.size());
  }

  void DeliverMessage(int opcode, const char* data, std::size_t size) {
    if (state_ != State::kOpen) return;  // after our close frame, data is dropped
    if (opcode == kOpText && !lib0::IsValidUtf8(std::string_view(data, size))) {
      ProtocolError(kCloseInvalidPayload, "invalid UTF-8 in a text message");
      return;
    }
    events_->OnEngineMessage(opcode, data, size);
  }

  void HandleControl(int op, const std::string& payload) {
    if (op == kOpPing) {
      if (state_ != State::kOpen) return;
      std::string frame;
      AppendControlFrame(kOpPong, payload, &frame);
      events_->OnEngineWrite(frame.data(), frame.size());
      return;
    }
    if (op == kOpPong) return;  // any received byte already counts as liveness
    // Close.
    int code = kCloseNoStatus;
    std::string reason;
    if (payload.size() == 1) {
      ProtocolError(kCloseProtocolError, "close frame with a 1-byte payload");
      return;
    }
    if (payload.size() >= 2) {
      code = (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
      if (!IsValidCloseCode(code)) {
        ProtocolError(kCloseProtocolError, "invalid close code");
        return;
      }
      reason = payload.substr(2);
      if (!lib0::IsValidUtf8(reason)) {
        ProtocolError(kCloseInvalidPayload, "invalid UTF-8 in a close reason");
        return;
      }
    }
    remote_code_ = static_cast<std::int16_t>(code);
    remote_reason_ = std::make_unique<std::string>(std::move(reason));
    if (state_ == State::kOpen) {
      state_ = State::kClosing;
      // Echo the peer's code (1000 if it sent none), as RFC 6455 §5.5.1 suggests.
      if (code == kCloseNoStatus) {
        SendClose(kCloseNormal, "");
      } else {
        SendClose(code, *remote_reason_);
      }
    }
    End(/*clean=*/true, "");
  }

  void SendClose(int code, const std::string& reason) {
    local_code_ = static_cast<std::int16_t>(code);
    local_reason_ = std::make_unique<std::string>(reason);
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xff));
    payload.append(reason, 0, std::min<std::size_t>(reason.size(), 123));
    std::string frame;
    AppendControlFrame(kOpClose, payload, &frame);
    events_->OnEngineWrite(frame.data(), frame.size());
  }

  // The peer broke the protocol: answer with a close frame and stop reading. The owner sees
  // Feed() return less than it was given and ends the connection (flushing the close frame).
  bool ProtocolError(int code, const char* reason) {
    if (state_ == State::kOpen) {
      state_ = State::kClosing;
      SendClose(code, reason);
    }
    state_ = State::kClosing;
    failed_ = true;
    error_offset_ = frame_start_offset_;
    return false;
  }

  // The close handshake completed (clean) or the transport ended (not clean).
  void End(bool clean, std::string error) {
    if (state_ == State::kEnded) return;
    state_ = State::kEnded;
    partial_.reset();
    if (clean) events_->OnEngineShutdown();
    EngineEndInfo info;
    info.clean = clean;
    info.local_code = local_code_;
    if (local_reason_ != nullptr) info.local_reason = *local_reason_;
    info.remote_code = remote_code_;
    if (remote_reason_ != nullptr) info.remote_reason = *remote_reason_;
    info.error = std::move(error);
    events_->OnEngineEnd(info);
  }

  void Lost(const char* why) {
    if (state_ == State::kEnded || failed_) return;
    End(/*clean=*/false, why);
  }

  // State of a frame split over reads or of a fragmented message: allocated only while one is
  // in progress, so an idle connection holds none.
  struct Partial {
    std::uint8_t header_buf[14] = {};
    std::size_t header_len = 0;
    std::string control;  // payload of a control frame split over reads
    std::string message;  // data of a message assembled from fragments or split frames
  };
  Partial& partial() {
    if (partial_ == nullptr) partial_ = std::make_unique<Partial>();
    return *partial_;
  }
  void MaybeReleasePartial() {
    if (partial_ != nullptr && partial_->header_len == 0 && !in_payload_ && !in_message_) {
      partial_.reset();
    }
  }

  WebSocketEngineEvents* events_;
  std::uint64_t max_message_size_;
  // The handshake, until Start() answered it.
  std::unique_ptr<EngineParams> handshake_;
  std::unique_ptr<Partial> partial_;

  // Frame being read.
  FrameHeader frame_;
  std::uint64_t frame_read_ = 0;
  // Message being assembled.
  std::uint64_t message_size_ = 0;
  std::size_t error_offset_ = 0;
  std::size_t frame_start_offset_ = 0;
  State state_ = State::kConnecting;
  bool failed_ = false;
  bool in_payload_ = false;
  bool in_message_ = false;
  std::uint8_t message_opcode_ = 0;

  // The close handshake (reasons are rare and short-lived).
  std::int16_t local_code_ = kCloseAbnormal;
  std::int16_t remote_code_ = kCloseAbnormal;
  std::unique_ptr<std::string> local_reason_;
  std::unique_ptr<std::string> remote_reason_;
};

}  // namespace

std::string WebSocketAcceptKey(const std::string& key) {
  static constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<std::uint8_t, 20> digest = Sha1(key + kGuid);
  return Base64(digest.data(), digest.size());
}

std::unique_ptr<WebSocketEngine> NewServerEngine(WebSocketEngineEvents* events,
                                                 const EngineParams& p) {
  return std::make_unique<ServerEngine>(events, p);
}

}  // namespace codesphere::net::internal
