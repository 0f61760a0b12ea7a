// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Transport load driver: a fan-out server (every message a client sends is broadcast as one
// shared buffer to every connection of its room, sender included, as y-websocket echoes) in a
// forked child process on one io thread, and N WebSocket clients in this process. Reports the
// server's idle memory per connection, delivered messages per second, edit-to-peer latency
// percentiles and the server's CPU time per delivery. No CRDT work is involved: this measures
// the transport that codesphere-collab is built on.
//
// Usage: net_fanout_load [--clients 200] [--rooms 1] [--rate 5] [--seconds 10] [--size 40]
//                        [--server-cmd "node bench/net/node/fanout_server.mjs"]
// With --server-cmd the same protocol is served by another program (started with PORT=<port>
// in its environment), for a same-run comparison; its RSS and CPU are read from /proc.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "codesphere/base/log.h"
#include "codesphere/net/client.h"
#include "codesphere/net/server.h"

namespace {

using namespace codesphere;
using namespace codesphere::net;
using Clock = std::chrono::steady_clock;

struct Args {
  int clients = 200;
  int rooms = 1;
  double rate = 5;
  double seconds = 10;
  std::size_t size = 40;
  std::string server_cmd;
};

long RssBytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// User + system CPU seconds of `pid` (fields 14 and 15 of /proc/<pid>/stat).
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::size_t close = content.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(content.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The server child: reads commands from `in_fd`, answers on `out_fd`.
int RunServer(int in_fd, int out_fd) {
  SetMinLogLevel(LogLevel::kWarning);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  ServerOptions options;
  options.websocket.ping_interval = std::chrono::milliseconds(0);
  auto server = Server::Create(io.get_executor(), options);
  if (!server.has_value()) return 1;
  std::mutex mu;
  std::map<std::string, std::vector<std::shared_ptr<WebSocket>>> rooms;
  (*server)->HandleWebSocket("/room/", [&](const HttpRequest& req, UpgradeResponder r) {
    std::string room = req.path;
    WebSocketHandlers h;
    h.on_message = [&mu, &rooms, room](WebSocket&, ByteSpan data, MessageKind kind) {
      SharedBytes shared = MakeSharedBytes(Bytes(data.begin(), data.end()));
      std::lock_guard<std::mutex> lock(mu);
      for (auto& peer : rooms[room]) (void)peer->Send(shared, kind);
    };
    r.Accept(std::move(h), [&mu, &rooms, room](std::shared_ptr<WebSocket> ws) {
      std::lock_guard<std::mutex> lock(mu);
      rooms[room].push_back(std::move(ws));
    });
  });
  (*server)->Start();
  std::string port = "PORT " + std::to_string((*server)->port()) + "\n";
  if (write(out_fd, port.data(), port.size()) < 0) return 1;
  std::thread io_thread([&] { io.run(); });
  char buf[16];
  while (read(in_fd, buf, sizeof(buf)) > 0) {
  }
  (*server)->Stop([&] { work.reset(); });
  io_thread.join();
  return 0;
}

struct ServerStatsReply {
  long rss = 0;
  double cpu = 0;
};

ServerStatsReply AskServer(pid_t pid) { return {RssBytes(pid), ProcessCpuSeconds(pid)}; }

// A free loopback port (bound then released).
int FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

bool CanConnect(int port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  std::error_code ec;
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                    static_cast<std::uint16_t>(port)),
            ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    double v = std::atof(argv[i + 1]);
    if (k == "--clients") args.clients = static_cast<int>(v);
    else if (k == "--rooms") args.rooms = std::max(1, static_cast<int>(v));
    else if (k == "--rate") args.rate = v;
    else if (k == "--seconds") args.seconds = v;
    else if (k == "--size") args.size = std::max<std::size_t>(16, static_cast<std::size_t>(v));
    else if (k == "--server-cmd") args.server_cmd = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
  int port = 0;
  pid_t pid;
  if (args.server_cmd.empty()) {
    pid = fork();
    if (pid == 0) {
      close(to_child[1]);
      close(from_child[0]);
      _exit(RunServer(to_child[0], from_child[1]));
    }
    close(to_child[0]);
    close(from_child[1]);
    char line[64] = {};
    if (read(from_child[0], line, sizeof(line) - 1) <= 0) return 1;
    port = std::atoi(line + 5);
  } else {
    port = FreePort();
    pid = fork();
    if (pid == 0) {
      std::string env = "PORT=" + std::to_string(port);
      putenv(env.data());
      setenv("HOST", "127.0.0.1", 1);
      execl("/bin/sh", "sh", "-c", ("exec " + args.server_cmd).c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 1000 && !CanConnect(port); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  SetMinLogLevel(LogLevel::kWarning);

  ServerStatsReply before = AskServer(pid);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });

  std::atomic<std::uint64_t> delivered{0};
  std::mutex lat_mu;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  std::vector<std::shared_ptr<WebSocket>> sockets(args.clients);
  std::atomic<int> connected{0};
  std::atomic<int> failed{0};
  auto t_connect = Clock::now();
  for (int i = 0; i < args.clients; ++i) {
    WebSocketHandlers h;
    h.on_message = [&](WebSocket&, ByteSpan data, MessageKind) {
      std::int64_t sent_ns;
      std::memcpy(&sent_ns, data.data(), sizeof(sent_ns));
      double ms = (Clock::now().time_since_epoch().count() - sent_ns) / 1e6;
      delivered.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(lat_mu);
      latencies_ms.push_back(ms);
    };
    std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/room/" +
                      std::to_string(i % args.rooms);
    ConnectWebSocket(io.get_executor(), url, {}, std::move(h),
                     [&, i](Result<std::shared_ptr<WebSocket>> r) {
                       if (r.has_value()) {
                         sockets[i] = *r;
                         connected.fetch_add(1);
                       } else {
                         std::fprintf(stderr, "connect: %s\n", r.error().ToString().c_str());
                         failed.fetch_add(1);
                       }
                     });
  }
  while (connected.load() + failed.load() < args.clients) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  double connect_s = std::chrono::duration<double>(Clock::now() - t_connect).count();
  // Let the server finish registering the last peers before measuring idle memory.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ServerStatsReply idle = AskServer(pid);

  // Sending phase: one timer per client, staggered.
  std::atomic<bool> sending{true};
  std::atomic<std::uint64_t> sent{0};
  auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / args.rate));
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  std::function<void(int)> tick = [&](int i) {
    if (!sending.load() || !sockets[i]) return;
    Bytes payload(args.size, 0x61);
    std::int64_t now_ns = Clock::now().time_since_epoch().count();
    std::memcpy(payload.data(), &now_ns, sizeof(now_ns));
    if (sockets[i]->Send(ByteSpan(payload), MessageKind::kBinary).ok()) sent.fetch_add(1);
    timers[i]->expires_at(timers[i]->expiry() + period);
    timers[i]->async_wait([&, i](const std::error_code& ec) {
      if (!ec) tick(i);
    });
  };
  auto t_start = Clock::now();
  ServerStatsReply busy_before = AskServer(pid);
  double driver_cpu_before = CpuSeconds();
  for (int i = 0; i < args.clients; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(io));
    timers[i]->expires_at(t_start + period * i / args.clients);
    timers[i]->async_wait([&, i](const std::error_code& ec) {
      if (!ec) tick(i);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  sending = false;
  double send_s = std::chrono::duration<double>(Clock::now() - t_start).count();
  std::uint64_t delivered_at_end = delivered.load();
  // Drain: wait until everything offered arrived (or 10 s).
  std::uint64_t per_room = static_cast<std::uint64_t>((args.clients + args.rooms - 1) / args.rooms);
  std::uint64_t expected = sent.load() * per_room;
  auto drain_deadline = Clock::now() + std::chrono::seconds(10);
  while (delivered.load() < expected && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ServerStatsReply busy_after = AskServer(pid);
  double driver_cpu = CpuSeconds() - driver_cpu_before;
  for (auto& t : timers) asio::post(io, [&t] { t->cancel(); });
  for (auto& s : sockets) {
    if (s) s->Close();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  close(to_child[1]);  // the forked server stops on EOF
  if (!args.server_cmd.empty()) kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  work.reset();
  io.stop();
  io_thread.join();

  std::vector<double> lat;
  {
    std::lock_guard<std::mutex> lock(lat_mu);
    lat = latencies_ms;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * lat.size()))];
  };
  double server_cpu = busy_after.cpu - busy_before.cpu;
  std::uint64_t total = delivered.load();
  std::printf(
      "{\"clients\": %d, \"rooms\": %d, \"rate_per_client\": %.1f, \"seconds\": %.1f, "
      "\"size\": %zu,\n \"connected\": %d, \"connect_s\": %.3f,\n"
      " \"server_idle_rss_per_connection_bytes\": %.0f,\n"
      " \"offered_deliveries_per_s\": %.0f, \"delivered_per_s_during_send\": %.0f,\n"
      " \"delivered_total\": %" PRIu64 ", \"expected_total\": %" PRIu64 ",\n"
      " \"latency_ms_p50\": %.3f, \"latency_ms_p95\": %.3f, \"latency_ms_p99\": %.3f,"
      " \"latency_ms_max\": %.3f,\n"
      " \"server_cpu_s\": %.3f, \"server_cpu_us_per_delivery\": %.3f,"
      " \"driver_cpu_s\": %.3f}\n",
      args.clients, args.rooms, args.rate, args.seconds, args.size, connected.load(), connect_s,
      connected.load() > 0 ? static_cast<double>(idle.rss - before.rss) / connected.load() : 0.0,
      static_cast<double>(args.clients) * args.rate * per_room,
      static_cast<double>(delivered_at_end) / send_s, total, expected, pct(0.5), pct(0.95),
      pct(0.99), lat.empty() ? 0.0 : lat.back(), server_cpu,
      total > 0 ? server_cpu * 1e6 / static_cast<double>(total) : 0.0, driver_cpu);
  return total >= expected ? 0 : 3;
}
