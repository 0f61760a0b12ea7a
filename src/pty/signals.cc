// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The signals terminal clients may send, by name or number.

#include <csignal>
#include <string>

#include "codesphere/pty/pty.h"

namespace codesphere::pty {
namespace {

struct NamedSignal {
  std::string_view name;
  int signo;
};
constexpr NamedSignal kSignals[] = {
    {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"TSTP", SIGTSTP}, {"CONT", SIGCONT},
    {"HUP", SIGHUP},   {"TERM", SIGTERM}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"WINCH", SIGWINCH},
};

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

bool IsTerminalSignal(int signo) {
  for (const auto& s : kSignals) {
    if (s.signo == signo) return true;
  }
  return false;
}

Result<int> ParseTerminalSignal(std::string_view name) {
  auto bad = [&] {
    return InvalidArgumentError("unknown or disallowed signal \"" +
                                std::string(name.substr(0, 16)) + "\"");
  };
  if (name.empty() || name.size() > 16) return bad();
  if (name[0] >= '0' && name[0] <= '9') {
    int v = 0;
    for (char c : name) {
      if (c < '0' || c > '9') return bad();
      v = v * 10 + (c - '0');
      if (v > 255) return bad();
    }
    if (!IsTerminalSignal(v)) return bad();
    return v;
  }
  std::string upper;
  for (char c : name) upper.push_back(Upper(c));
  std::string_view n = upper;
  if (n.substr(0, 3) == "SIG") n.remove_prefix(3);
  for (const auto& s : kSignals) {
    if (s.name == n) return s.signo;
  }
  return bad();
}

}  // namespace codesphere::pty
