// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "tests/storage/moto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tests/testing/temp_dir.h"

namespace codesphere::storage::testing {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool CanConnect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Runs a shell command, returning (exit status, stdout).
std::pair<int, std::string> Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  return {st, out};
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

}  // namespace

Result<std::unique_ptr<MotoServer>> MotoServer::Start() {
  auto [probe, _] = Run("python3 -c 'import moto.server, boto3, flask' >/dev/null 2>&1");
  if (probe != 0) return UnavailableError("python3 with moto (server extras) and boto3 is not installed");
  std::unique_ptr<MotoServer> m(new MotoServer());
  for (int attempt = 0; attempt < 3; ++attempt) {
    m->port_ = FreePort();
    if (m->port_ == 0) return UnavailableError("no free loopback port");
    pid_t pid = ::fork();
    if (pid < 0) return UnavailableError("fork failed");
    if (pid == 0) {
      // CODESPHERE_MOTO_LOG=FILE keeps the server's log for debugging.
      const char* log = std::getenv("CODESPHERE_MOTO_LOG");
      int devnull = ::open("/dev/null", O_RDWR);
      int out = log ? ::open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : devnull;
      ::dup2(devnull, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::setenv("MOTO_ALLOW_NONEXISTENT_REGION", "true", 1);
      std::string port = std::to_string(m->port_);
      ::execlp("python3", "python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    m->pid_ = pid;
    // Wait for the listening socket (or for the child to die, e.g. port taken).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (CanConnect(m->port_)) {
        m->endpoint_ = "http://127.0.0.1:" + std::to_string(m->port_);
        return m;
      }
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        m->pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (m->pid_ > 0) {
      ::kill(m->pid_, SIGKILL);
      ::waitpid(m->pid_, nullptr, 0);
      m->pid_ = -1;
    }
  }
  return UnavailableError("moto server did not start");
}

MotoServer::~MotoServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

Result<std::string> MotoServer::Tool(const std::vector<std::string>& args) const {
  std::string cmd = "python3 " + Quote((codesphere::testing::SourceDir() / "tests/storage/s3_tool.py").string()) +
                    " " + Quote(endpoint_);
  for (const auto& a : args) cmd += " " + Quote(a);
  auto [st, out] = Run(cmd + " 2>&1");
  if (st != 0) return InternalError("s3_tool.py failed: " + out);
  return out;
}

}  // namespace codesphere::storage::testing
