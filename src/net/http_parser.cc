// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/http_parser.h"

#include <algorithm>
#include <charconv>

namespace codesphere::net::internal {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool HasCrLf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

Status Malformed(std::string_view what) {
  return InvalidArgumentError("malformed HTTP request: " + std::string(what));
}

bool IsHopByHop(std::string_view name) {
  for (std::string_view h : {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade",
                             "Proxy-Authorization", "Trailer"}) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

}  // namespace

std::size_t FindHeadEnd(std::string_view buffer) {
  std::size_t pos = buffer.find("\r\n\r\n");
  return pos == std::string_view::npos ? 0 : pos + 4;
}

Result<HttpRequest> ParseRequestHead(std::string_view head) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
    return Malformed("head does not end with CRLF CRLF");
  }
  head.remove_suffix(2);  // keep one CRLF terminating the last line
  HttpRequest req;

  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
    return Malformed("bare CR or LF in request line");
  }
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Malformed("request line is not 'METHOD TARGET VERSION'");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Malformed("bad method");
  if (target.empty() || (target.front() != '/' && !(target == "*" && method == "OPTIONS"))) {
    return Malformed("request target is not in origin form");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Malformed("control character in request target");
    }
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") {
    if (version.substr(0, 5) == "HTTP/") {
      return FailedPreconditionError("unsupported HTTP version " + std::string(version));
    }
    return Malformed("bad HTTP version");
  }
  if (version[7] == '1') {
    req.version_minor = 1;
  } else if (version[7] == '0') {
    req.version_minor = 0;
  } else {
    return FailedPreconditionError("unsupported HTTP version " + std::string(version));
  }
  req.method = std::string(method);
  req.target = std::string(target);
  std::size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));

  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return Malformed("bare CR or LF in header section");
    }
    if (line.empty()) return Malformed("empty header line");
    if (line.front() == ' ' || line.front() == '\t') return Malformed("obsolete line folding");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed("header line without ':'");
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Malformed("bad header name");
    std::string_view value = TrimOws(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return Malformed("control character in header value");
      }
    }
    req.headers.Add(std::string(name), std::string(value));
  }

  if (req.version_minor == 1 && !req.headers.Contains("Host")) {
    return Malformed("HTTP/1.1 request without Host");
  }
  std::optional<std::string_view> length;
  for (const auto& [name, value] : req.headers) {
    if (!EqualsIgnoreCase(name, "Content-Length")) continue;
    if (value.empty() || !std::all_of(value.begin(), value.end(),
                                      [](char c) { return c >= '0' && c <= '9'; })) {
      return Malformed("bad Content-Length");
    }
    if (length.has_value() && *length != value) return Malformed("conflicting Content-Length");
    length = value;
  }
  if (length.has_value()) {
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec != std::errc() || ptr != length->data() + length->size()) {
      return Malformed("Content-Length out of range");
    }
  }
  if (std::optional<std::string_view> te = req.headers.Get("Transfer-Encoding")) {
    if (length.has_value()) return Malformed("both Transfer-Encoding and Content-Length");
    if (req.version_minor == 0) return Malformed("Transfer-Encoding in HTTP/1.0");
    int fields = 0;
    for (const auto& [name, value] : req.headers) {
      if (EqualsIgnoreCase(name, "Transfer-Encoding")) ++fields;
    }
    if (fields != 1 || !EqualsIgnoreCase(TrimOws(*te), "chunked")) {
      return UnimplementedError("unsupported Transfer-Encoding \"" + std::string(*te) + "\"");
    }
  }
  return req;
}

int HttpStatusForParseError(const Status& error) {
  switch (error.code()) {
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kFailedPrecondition: return 505;
    case StatusCode::kResourceExhausted: return 413;
    default: return 400;
  }
}

BodyFraming GetBodyFraming(const HttpRequest& request) {
  BodyFraming f;
  if (request.headers.Contains("Transfer-Encoding")) {
    f.chunked = true;
    return f;
  }
  if (std::optional<std::string_view> cl = request.headers.Get("Content-Length")) {
    std::from_chars(cl->data(), cl->data() + cl->size(), f.length);
  }
  return f;
}

bool IsUpgrade(const HttpRequest& request) {
  return request.headers.HasToken("Connection", "upgrade") && request.headers.Contains("Upgrade");
}

bool IsWebSocketUpgrade(const HttpRequest& request) {
  return request.method == "GET" && request.headers.HasToken("Connection", "upgrade") &&
         request.headers.HasToken("Upgrade", "websocket");
}

bool KeepAlive(const HttpRequest& request) {
  if (request.headers.HasToken("Connection", "close")) return false;
  if (request.version_minor == 0) return request.headers.HasToken("Connection", "keep-alive");
  return true;
}

Result<std::size_t> ChunkedDecoder::Feed(std::string_view in, Bytes* body, std::size_t max_body) {
  std::size_t used = 0;
  while (used < in.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kSize:
      case State::kDataCrlf:
      case State::kTrailer: {
        std::size_t nl = in.find('\n', used);
        std::size_t take = (nl == std::string_view::npos ? in.size() : nl + 1) - used;
        line_.append(in.substr(used, take));
        used += take;
        if (line_.size() > 4096) return InvalidArgumentError("chunked body: line too long");
        if (nl == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          return InvalidArgumentError("chunked body: line not ended by CRLF");
        }
        std::string_view l(line_.data(), line_.size() - 2);
        if (state_ == State::kDataCrlf) {
          if (!l.empty()) return InvalidArgumentError("chunked body: data not followed by CRLF");
          state_ = State::kSize;
        } else if (state_ == State::kTrailer) {
          if (l.empty()) state_ = State::kDone;
        } else {
          std::string_view digits = l.substr(0, l.find(';'));
          digits = TrimOws(digits);
          std::uint64_t size = 0;
          auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
          if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
            return InvalidArgumentError("chunked body: bad chunk size");
          }
          if (size > max_body || body->size() + size > max_body) {
            return ResourceExhaustedError("request body exceeds " + std::to_string(max_body) +
                                          " bytes");
          }
          remaining_ = size;
          state_ = size == 0 ? State::kTrailer : State::kData;
        }
        line_.clear();
        break;
      }
      case State::kData: {
        std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, in.size() - used));
        body->insert(body->end(), in.begin() + used, in.begin() + used + take);
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDataCrlf;
        break;
      }
      case State::kDone:
        break;
    }
  }
  return used;
}

std::string SerializeResponseHead(const HttpResponse& response, bool keep_alive) {
  std::string out;
  out.reserve(128 + response.headers.size() * 48);
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += HttpReasonPhrase(response.status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
        EqualsIgnoreCase(name, "Transfer-Encoding") || !IsToken(name) || HasCrLf(value)) {
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  bool no_body = (response.status >= 100 && response.status < 200) || response.status == 204 ||
                 response.status == 304;
  if (!no_body) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return out;
}

std::string SerializeProxyRequestHead(const HttpRequest& request, std::string_view target,
                                      const HttpHeaders& set_headers, bool upgrade) {
  std::string out;
  out.reserve(256 + request.headers.size() * 48);
  out += request.method;
  out += ' ';
  out += target.empty() ? std::string_view(request.target) : target;
  out += request.version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  auto append = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  for (const auto& [name, value] : request.headers) {
    if (set_headers.Contains(name)) continue;
    if (EqualsIgnoreCase(name, "X-Forwarded-For") || EqualsIgnoreCase(name, "X-Forwarded-Host") ||
        EqualsIgnoreCase(name, "X-Forwarded-Proto")) {
      continue;  // never trust the client's own claims
    }
    if (IsHopByHop(name) &&
        !(upgrade && (EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Upgrade")))) {
      continue;
    }
    append(name, value);
  }
  for (const auto& [name, value] : set_headers) {
    if (IsToken(name) && !HasCrLf(value)) append(name, value);
  }
  std::string_view remote = request.remote_address;
  if (!remote.empty() && remote.front() == '[') {
    remote = remote.substr(1, remote.find(']') - 1);
  } else {
    remote = remote.substr(0, remote.rfind(':'));
  }
  append("X-Forwarded-For", remote);
  if (std::optional<std::string_view> host = request.headers.Get("Host")) {
    append("X-Forwarded-Host", *host);
  }
  append("X-Forwarded-Proto", request.secure ? "https" : "http");
  if (!upgrade) append("Connection", "close");
  out += "\r\n";
  return out;
}

}  // namespace codesphere::net::internal
