// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "codesphere/net/http.h"

#include <algorithm>
#include <cctype>

namespace codesphere::net {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

void HttpHeaders::Add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void HttpHeaders::Set(std::string name, std::string value) {
  Remove(name);
  Add(std::move(name), std::move(value));
}

std::size_t HttpHeaders::Remove(std::string_view name) {
  auto it = std::remove_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return EqualsIgnoreCase(e.first, name); });
  std::size_t removed = static_cast<std::size_t>(entries_.end() - it);
  entries_.erase(it, entries_.end());
  return removed;
}

std::optional<std::string_view> HttpHeaders::Get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (EqualsIgnoreCase(e.first, name)) return std::string_view(e.second);
  }
  return std::nullopt;
}

bool HttpHeaders::HasToken(std::string_view name, std::string_view token) const {
  for (const Entry& e : entries_) {
    if (!EqualsIgnoreCase(e.first, name)) continue;
    std::string_view rest = e.second;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view item = Trim(rest.substr(0, comma));
      if (EqualsIgnoreCase(item, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string HttpRequest::host() const {
  std::string_view h = Trim(headers.Get("Host").value_or(""));
  if (!h.empty() && h.front() == '[') {  // IPv6 literal: keep the brackets, drop the port
    std::size_t close = h.find(']');
    h = h.substr(0, close == std::string_view::npos ? h.size() : close + 1);
  } else if (std::size_t colon = h.rfind(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  std::string out(h);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

HttpResponse HttpResponse::WithBody(int status, std::string_view content_type,
                                    std::string_view body) {
  HttpResponse r;
  r.status = status;
  r.headers.Add("Content-Type", std::string(content_type));
  r.body = ToBytes(body);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string_view body) {
  return WithBody(status, "text/plain; charset=utf-8", body);
}

HttpResponse HttpResponse::Json(int status, std::string_view json) {
  return WithBody(status, "application/json", json);
}

HttpResponse HttpResponse::FromStatus(const Status& s) {
  return Text(HttpStatusFromCode(s.code()), s.ToString() + "\n");
}

std::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

Result<std::string> PercentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return InvalidArgumentError("percent-decode: truncated escape at byte " +
                                    std::to_string(i));
      }
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError("percent-decode: bad escape at byte " + std::to_string(i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    Result<std::string> dk = PercentDecode(k, true);
    if (dk.has_value() && *dk == key) {
      Result<std::string> dv = PercentDecode(v, true);
      if (!dv.has_value()) return std::nullopt;
      return std::move(dv).value();
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

HttpResponder& HttpResponder::operator=(HttpResponder&& other) noexcept {
  if (this != &other) {
    if (send_) send_(HttpResponse::Text(500, "handler dropped the request\n"));
    send_ = std::move(other.send_);
    other.send_ = nullptr;
  }
  return *this;
}

HttpResponder::~HttpResponder() {
  if (send_) send_(HttpResponse::Text(500, "handler dropped the request\n"));
}

void HttpResponder::Send(HttpResponse response) {
  if (!send_) return;
  auto send = std::move(send_);
  send_ = nullptr;
  send(std::move(response));
}

}  // namespace codesphere::net
