// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// codesphere-server: a collaborative cloud IDE in one process (server::Platform).
//
//   codesphere-server --host 127.0.0.1 --port 8080 --data ./data
//
// Every flag has an environment variable (CODESPHERE_<FLAG>, e.g. CODESPHERE_PORT); flags win.
// See docs/platform.md for the endpoints, the data directory and backups.

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "codesphere/base/log.h"
#include "codesphere/server/platform.h"

#ifndef CODESPHERE_DEFAULT_WEB_ROOT
#define CODESPHERE_DEFAULT_WEB_ROOT "web/dist"
#endif
#ifndef CODESPHERE_DEFAULT_TEMPLATES
#define CODESPHERE_DEFAULT_TEMPLATES "templates"
#endif

namespace {

namespace server = codesphere::server;

struct FlagInfo {
  const char* name;
  const char* fallback;
  const char* help;
};

constexpr FlagInfo kFlags[] = {
    {"host", "127.0.0.1", "address to listen on"},
    {"port", "8080", "port to listen on (0 picks one)"},
    {"data", "./data", "data directory (metadata, rooms, workspaces, snapshots)"},
    {"web-root", CODESPHERE_DEFAULT_WEB_ROOT, "the built web IDE (web/dist)"},
    {"templates", CODESPHERE_DEFAULT_TEMPLATES, "project templates"},
    {"public-origin", "", "origin used in share links (default: from the Host header)"},
    {"sandbox", "auto", "auto | namespaces | none"},
    {"idle-timeout", "600", "seconds without use before a project's sandbox stops"},
    {"snapshot-interval", "300", "seconds between workspace snapshots"},
    {"preview-port", "8000", "port inside the sandbox the preview proxies to"},
    {"preview-access", "members", "members (default; owners may make a project public) | public"},
    {"session-ttl", "604800", "session lifetime in seconds"},
    {"memory", "1073741824", "memory limit of each sandbox in bytes"},
    {"workspace-size", "1G", "disk quota of each project's workspace (bytes, or K/M/G/T; 0 = none)"},
    {"threads", "2", "I/O threads"},
    {"log-level", "info", "debug | info | warning | error"},
    {"secure-cookies", "false", "mark the session cookie Secure (behind HTTPS)"},
    {"login-burst", "10", "signups/logins per client address at once (rate limit)"},
    {"login-interval", "6", "then one more every N seconds"},
    {"create-burst", "20", "projects, terminals and runs per user at once (rate limit)"},
    {"create-interval", "3", "then one more every N seconds"},
};

void Usage() {
  std::fprintf(stderr, "usage: codesphere-server [--FLAG VALUE]...\n\nflags (environment variable, default):\n");
  for (const auto& f : kFlags) {
    std::string env = "CODESPHERE_";
    for (const char* c = f.name; *c != 0; ++c) env += *c == '-' ? '_' : static_cast<char>(std::toupper(*c));
    std::fprintf(stderr, "  --%-18s %s (%s, default \"%s\")\n", f.name, f.help, env.c_str(), f.fallback);
  }
}

bool ParseInt(const std::string& s, long long& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// "1073741824", "512M", "1G" (binary units K, M, G, T) -> bytes.
bool ParseSize(const std::string& s, unsigned long long& out) {
  if (s.empty()) return false;
  unsigned shift = 0;
  std::string digits = s;
  switch (std::toupper(static_cast<unsigned char>(s.back()))) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    default: break;
  }
  if (shift != 0) digits.pop_back();
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || digits.empty()) return false;
  if (shift != 0 && out > (~0ull >> shift)) return false;
  out <<= shift;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> values;
  for (const auto& f : kFlags) {
    std::string env = "CODESPHERE_";
    for (const char* c = f.name; *c != 0; ++c) env += *c == '-' ? '_' : static_cast<char>(std::toupper(*c));
    const char* v = std::getenv(env.c_str());
    values[f.name] = v != nullptr ? v : f.fallback;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    }
    if (!a.starts_with("--") || i + 1 >= argc || values.count(std::string(a.substr(2))) == 0) {
      std::fprintf(stderr, "codesphere-server: unknown or incomplete flag %s\n", argv[i]);
      Usage();
      return 2;
    }
    values[std::string(a.substr(2))] = argv[++i];
  }

  server::PlatformOptions o;
  long long n = 0;
  auto number = [&](const char* flag, long long lo, long long hi) -> bool {
    if (!ParseInt(values[flag], n) || n < lo || n > hi) {
      std::fprintf(stderr, "codesphere-server: --%s must be an integer in [%lld, %lld]\n", flag, lo, hi);
      return false;
    }
    return true;
  };
  o.host = values["host"];
  if (!number("port", 0, 65535)) return 2;
  o.port = static_cast<std::uint16_t>(n);
  o.data_dir = values["data"];
  o.web_root = values["web-root"];
  o.templates_dir = values["templates"];
  o.public_origin = values["public-origin"];
  const std::string& sb = values["sandbox"];
  if (sb == "auto") {
    o.sandbox = server::SandboxMode::kAuto;
  } else if (sb == "namespaces") {
    o.sandbox = server::SandboxMode::kNamespaces;
  } else if (sb == "none") {
    o.sandbox = server::SandboxMode::kNone;
  } else {
    std::fprintf(stderr, "codesphere-server: --sandbox must be auto, namespaces or none\n");
    return 2;
  }
  if (!number("idle-timeout", 1, 365LL * 86400)) return 2;
  o.idle_timeout = std::chrono::seconds(n);
  if (!number("snapshot-interval", 1, 365LL * 86400)) return 2;
  o.snapshot_interval = std::chrono::seconds(n);
  if (!number("preview-port", 1, 65535)) return 2;
  o.preview_port = static_cast<std::uint16_t>(n);
  const std::string& pa = values["preview-access"];
  if (pa != "public" && pa != "members") {
    std::fprintf(stderr, "codesphere-server: --preview-access must be public or members\n");
    return 2;
  }
  o.preview_access = pa == "public" ? server::PreviewAccess::kPublic : server::PreviewAccess::kMembers;
  if (!number("session-ttl", 60, 365LL * 86400)) return 2;
  o.session_ttl = std::chrono::seconds(n);
  if (!number("memory", 16LL << 20, 1LL << 40)) return 2;
  o.sandbox_memory_bytes = static_cast<std::uint64_t>(n);
  unsigned long long workspace_size = 0;
  if (!ParseSize(values["workspace-size"], workspace_size) ||
      (workspace_size != 0 && (workspace_size < (16ull << 20) || workspace_size > (1ull << 50)))) {
    std::fprintf(stderr, "codesphere-server: --workspace-size must be 0 (no quota) or 16M..1024T "
                         "(bytes, or a number with K, M, G or T)\n");
    return 2;
  }
  o.workspace_size_bytes = workspace_size;
  if (!number("threads", 1, 64)) return 2;
  int threads = static_cast<int>(n);
  o.secure_cookies = values["secure-cookies"] == "true" || values["secure-cookies"] == "1";
  if (!number("login-burst", 1, 1000000)) return 2;
  o.login_burst = static_cast<std::uint32_t>(n);
  if (!number("login-interval", 1, 86400)) return 2;
  o.login_interval = std::chrono::seconds(n);
  if (!number("create-burst", 1, 1000000)) return 2;
  o.create_burst = static_cast<std::uint32_t>(n);
  if (!number("create-interval", 1, 86400)) return 2;
  o.create_interval = std::chrono::seconds(n);
  codesphere::LogLevel level;
  if (!codesphere::ParseLogLevel(values["log-level"], &level)) {
    std::fprintf(stderr, "codesphere-server: bad --log-level\n");
    return 2;
  }
  codesphere::SetMinLogLevel(level);

  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  auto platform = server::Platform::Create(io.get_executor(), o);
  if (!platform.ok()) {
    std::fprintf(stderr, "codesphere-server: %s\n", platform.error().ToString().c_str());
    return 1;
  }
  (*platform)->Start();
  std::printf("codesphere-server listening on %s/ (data %s, sandbox %s, pid %d)\n",
              (*platform)->url().c_str(), o.data_dir.c_str(), (*platform)->sandbox_kind().c_str(),
              static_cast<int>(::getpid()));
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    codesphere::LogInfo("shutting down");
    (*platform)->Stop([&io] { io.stop(); });
  });
  // io.run() returns when on_stopped stops it, not when the io_context runs out of work
  // in the middle of the shutdown (exiting then would cut off the blocking pool's last
  // snapshots and leave the workspace volumes mounted).
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  platform->reset();
  return 0;
}
