// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// codesphere-collab: a y-websocket-compatible collaboration server that loses nothing on a
// crash (every update is fsync'd to the room's log before it is broadcast).
//
//   codesphere-collab [--host H] [--port P] [--data DIR] [--threads N] [--writers N]
//                     [--commit-interval-ms MS] [--commit-interval-per-peer-us US]
//                     [--max-commit-interval-ms MS] [--no-fsync]
//
// HOST and PORT are read from the environment as y-websocket's server does (flags win).
// Rooms come from the URL path (`ws://host:port/<room>`); `/metrics` serves Prometheus
// text, `/healthz` answers "ok".
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/metrics.h"
#include "codesphere/net/server.h"
#include "codesphere/server/collab_service.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: codesphere-collab [--host H] [--port P] [--data DIR] [--threads N] "
               "[--writers N] [--commit-interval-ms MS] [--commit-interval-per-peer-us US] "
               "[--max-commit-interval-ms MS] [--no-fsync]\n"
               "  --writers: threads appending to room logs (concurrent fsyncs; default 2).\n"
               "  Group commit: a room with P peers starts a durable batch at most every\n"
               "  max(--commit-interval-ms, min(P x --commit-interval-per-peer-us,\n"
               "  --max-commit-interval-ms)); defaults 0 ms, 50 us, 10 ms. An update after a\n"
               "  quiet spell is never delayed. All 0: no waiting.\n"
               "  HOST/PORT environment variables are used when the flags are absent.\n"
               "  Without --data, rooms live in memory only.\n");
}

// A non-negative decimal flag value in units of `scale` microseconds.
std::chrono::microseconds Micros(const char* value, double scale) {
  return std::chrono::microseconds(
      static_cast<long long>(std::max(0.0, std::atof(value)) * scale));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace codesphere;
  std::string host = std::getenv("HOST") ? std::getenv("HOST") : "127.0.0.1";
  long port = std::getenv("PORT") ? std::strtol(std::getenv("PORT"), nullptr, 10) : 1234;
  std::string data;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool fsync = true;
  int writers = server::CollabOptions{}.writer_threads;
  auto commit_interval = server::CollabOptions{}.min_commit_interval;
  auto commit_per_peer = server::CollabOptions{}.commit_interval_per_peer;
  auto commit_max = server::CollabOptions{}.max_commit_interval;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") host = value();
    else if (a == "--port") port = std::strtol(value(), nullptr, 10);
    else if (a == "--data") data = value();
    else if (a == "--threads") threads = std::max(1, std::atoi(value()));
    else if (a == "--writers") writers = std::max(1, std::atoi(value()));
    else if (a == "--commit-interval-ms")
      commit_interval = Micros(value(), 1000);
    else if (a == "--commit-interval-per-peer-us")
      commit_per_peer = Micros(value(), 1);
    else if (a == "--max-commit-interval-ms")
      commit_max = Micros(value(), 1000);
    else if (a == "--no-fsync") fsync = false;
    else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else {
      std::fprintf(stderr, "codesphere-collab: unknown argument %s\n", a.c_str());
      Usage();
      return 2;
    }
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "codesphere-collab: invalid port %ld\n", port);
    return 2;
  }

  asio::io_context io;
  MetricsRegistry metrics;
  net::ServerOptions so;
  so.host = host;
  so.port = static_cast<std::uint16_t>(port);
  so.metrics = &metrics;
  so.name = "collab";
  auto server = net::Server::Create(io.get_executor(), so);
  if (!server) {
    std::fprintf(stderr, "codesphere-collab: %s\n", server.error().ToString().c_str());
    return 1;
  }
  server::CollabOptions co;
  co.data_dir = data;
  co.sync = fsync;
  co.writer_threads = writers;
  co.min_commit_interval = commit_interval;
  co.commit_interval_per_peer = commit_per_peer;
  co.max_commit_interval = commit_max;
  co.metrics = &metrics;
  auto collab = server::CollabService::Create(io.get_executor(), co);
  if (!collab) {
    std::fprintf(stderr, "codesphere-collab: %s\n", collab.error().ToString().c_str());
    return 1;
  }
  (*server)->HandleHttp("/metrics", [&metrics](net::HttpRequest, net::HttpResponder r) {
    r.Send(net::HttpResponse::WithBody(200, "text/plain; version=0.0.4; charset=utf-8",
                                       metrics.RenderPrometheus()));
  });
  (*server)->HandleHttp("/healthz", [](net::HttpRequest, net::HttpResponder r) {
    r.Send(net::HttpResponse::Text(200, "ok\n"));
  });
  // As y-websocket's server: plain HTTP elsewhere answers "okay".
  (*server)->HandleHttp("/", [](net::HttpRequest, net::HttpResponder r) {
    r.Send(net::HttpResponse::Text(200, "okay"));
  });
  (*collab)->Register(**server, "/");
  (*server)->Start();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int sig) {
    LogInfo("shutting down", {{"signal", sig}});
    (*server)->Stop([&io] { io.stop(); });
  });
  LogInfo("codesphere-collab listening",
          {{"url", "ws://" + (*server)->local_address()}, {"data", data.empty() ? "(memory)" : data},
           {"fsync", fsync}, {"threads", threads}});
  std::printf("codesphere-collab listening on ws://%s\n", (*server)->local_address().c_str());
  std::fflush(stdout);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  (*collab)->Shutdown();  // flush + compact every room
  LogInfo("stopped");
  return 0;
}
