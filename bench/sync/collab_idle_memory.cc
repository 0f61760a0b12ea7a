// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Idle memory of the collaboration server, attributed per component: scenario (b) of issue #4
// (N rooms x 2 clients, connected and synced, then idle) run in-process against the real
// `net::Server` + `CollabService`, with the clients (raw RFC 6455 + y-protocols, like
// shared/bench-anchors/collab_load.mjs) in a forked child so that only the server's memory is
// counted. Reports the RSS delta (/proc/self/statm) and the malloc in-use delta (mallinfo2) per
// room and per connection.
//
//   collab_idle_memory [--mode collab|ws|rooms] [--rooms 1000] [--clients 2] [--threads 2]
//                      [--memory] [--idle-ms 1000] [--exit-at-idle]
//
// Modes: `collab` the full service (file store in a temp dir, or --memory); `ws` net only (a
// WebSocket route that answers SyncStep1 with an empty SyncStep2 and keeps nothing else);
// `rooms` no sockets: Hub rooms with two no-op peers each. `--exit-at-idle` ends the process
// with _exit right after measuring, so that a heap profiler (heaptrack) reports everything live
// at idle as "leaked".
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/executor_work_guard.hpp>

#include "codesphere/base/clock.h"
#include "codesphere/net/server.h"
#include "codesphere/server/collab_service.h"
#include "codesphere/sync/document_store.h"
#include "codesphere/sync/hub.h"

namespace {

using namespace codesphere;

struct Args {
  std::string mode = "collab";
  int rooms = 1000;
  int clients = 2;
  int threads = 2;
  bool memory = false;
  int idle_ms = 1000;
  bool exit_at_idle = false;
};

struct Sample {
  double rss_kb = 0;
  double heap_kb = 0;  // malloc in use (all arenas + mmapped chunks)
  double free_kb = 0;  // malloc free space held (all arenas): fragmentation and top pad
};

Sample Measure() {
  Sample s;
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  s.rss_kb = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024.0;
  struct mallinfo2 mi = mallinfo2();
  s.heap_kb = static_cast<double>(mi.uordblks + mi.hblkhd) / 1024.0;
  s.free_kb = static_cast<double>(mi.fordblks) / 1024.0;
  return s;
}

void RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

bool WriteAll(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// A masked client frame (RFC 6455 §5.2) with a fixed mask key.
std::string ClientFrame(const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x82));
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.push_back(static_cast<char>(0x80 | payload.size()));  // payloads here are < 126 bytes
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    f.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  }
  return f;
}

// One client: upgrade, SyncStep1 (empty state vector), answer the server's SyncStep1 with an
// empty SyncStep2, done when the server's SyncStep2 arrived. Returns the socket or -1.
int ConnectClient(std::uint16_t port, const std::string& room) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  std::string req = "GET /" + room +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!WriteAll(fd, req.data(), req.size())) {
    ::close(fd);
    return -1;
  }
  std::string in;
  bool open = false, synced = false;
  char buf[4096];
  while (!synced) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r <= 0) {
      ::close(fd);
      return -1;
    }
    in.append(buf, static_cast<std::size_t>(r));
    if (!open) {
      std::size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (in.compare(0, 12, "HTTP/1.1 101") != 0) {
        ::close(fd);
        return -1;
      }
      in.erase(0, end + 4);
      open = true;
      std::string step1 = ClientFrame(std::string("\x00\x00\x01\x00", 4));
      if (!WriteAll(fd, step1.data(), step1.size())) {
        ::close(fd);
        return -1;
      }
    }
    while (in.size() >= 2) {
      std::size_t len = static_cast<unsigned char>(in[1]) & 0x7f;
      std::size_t h = 2;
      if (len == 126) {
        if (in.size() < 4) break;
        len = (static_cast<unsigned char>(in[2]) << 8) | static_cast<unsigned char>(in[3]);
        h = 4;
      } else if (len == 127) {
        break;  // not expected here
      }
      if (in.size() < h + len) break;
      int op = in[0] & 0x0f;
      if (op == 2 && len >= 2 && in[h] == 0) {
        if (in[h + 1] == 0) {
          std::string step2 = ClientFrame(std::string("\x00\x01\x02\x00\x00", 5));
          WriteAll(fd, step2.data(), step2.size());
        } else if (in[h + 1] == 1) {
          synced = true;
        }
      }
      in.erase(0, h + len);
    }
  }
  return fd;
}

// The child: waits for the port, connects everything, reports, holds until told to quit.
[[noreturn]] void RunClients(int from_parent, int to_parent, const Args& args) {
  std::uint16_t port = 0;
  if (::read(from_parent, &port, sizeof(port)) != sizeof(port)) _exit(1);
  std::vector<int> fds;
  int ok = 0;
  for (int r = 0; r < args.rooms; ++r) {
    for (int c = 0; c < args.clients; ++c) {
      int fd = ConnectClient(port, "idle-room-" + std::to_string(r));
      if (fd >= 0) {
        fds.push_back(fd);
        ++ok;
      }
    }
  }
  WriteAll(to_parent, &ok, sizeof(ok));
  char quit;
  (void)::read(from_parent, &quit, 1);
  for (int fd : fds) ::close(fd);
  _exit(0);
}

struct NoopPeer : sync::Peer {
  void Send(std::shared_ptr<const Bytes>) override {}
};

void Report(const Args& args, const Sample& before, const Sample& idle, int connected) {
  double rooms = args.rooms;
  double conns = static_cast<double>(args.rooms) * args.clients;
  std::printf(
      "{\"mode\":\"%s\",\"store\":\"%s\",\"rooms\":%d,\"connections\":%d,\"connected\":%d,"
      "\"threads\":%d,\"rss_before_kb\":%.0f,\"rss_idle_kb\":%.0f,"
      "\"rss_per_room_kb\":%.2f,\"rss_per_connection_kb\":%.2f,"
      "\"heap_per_room_kb\":%.2f,\"heap_per_connection_kb\":%.2f,"
      "\"malloc_free_per_room_kb\":%.2f}\n",
      args.mode.c_str(), args.memory ? "memory" : "file", args.rooms,
      args.rooms * args.clients, connected, args.threads, before.rss_kb, idle.rss_kb,
      (idle.rss_kb - before.rss_kb) / rooms, (idle.rss_kb - before.rss_kb) / conns,
      (idle.heap_kb - before.heap_kb) / rooms, (idle.heap_kb - before.heap_kb) / conns,
      (idle.free_kb - before.free_kb) / rooms);
  std::fflush(stdout);
}

int RunRooms(const Args& args) {
  std::filesystem::path dir;
  std::unique_ptr<sync::DocumentStore> store;
  if (args.memory) {
    store = sync::NewMemoryDocumentStore();
  } else {
    char tmpl[] = "/tmp/collab-idle-XXXXXX";
    dir = mkdtemp(tmpl);
    store = sync::NewFileDocumentStore(dir).value();
  }
  Sample before = Measure();
  std::vector<std::unique_ptr<NoopPeer>> peers;
  {
    sync::Hub hub(*store, RealClock());
    for (int r = 0; r < args.rooms; ++r) {
      sync::OpenRoom* open = hub.Acquire("idle-room-" + std::to_string(r)).value();
      for (int c = 0; c < args.clients; ++c) {
        peers.push_back(std::make_unique<NoopPeer>());
        (void)open->room.Join(*peers.back(), sync::Access::kReadWrite);
      }
    }
    Sample idle = Measure();
    Report(args, before, idle, 0);
    if (args.exit_at_idle) _exit(0);
  }
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--mode") args.mode = next();
    else if (a == "--rooms") args.rooms = std::atoi(next());
    else if (a == "--clients") args.clients = std::atoi(next());
    else if (a == "--threads") args.threads = std::max(1, std::atoi(next()));
    else if (a == "--memory") args.memory = true;
    else if (a == "--idle-ms") args.idle_ms = std::atoi(next());
    else if (a == "--exit-at-idle") args.exit_at_idle = true;
    else {
      std::fprintf(stderr,
                   "usage: collab_idle_memory [--mode collab|ws|rooms] [--rooms N] "
                   "[--clients N] [--threads N] [--memory] [--idle-ms MS] [--exit-at-idle]\n");
      return 2;
    }
  }
  RaiseFdLimit();
  if (args.mode == "rooms") return RunRooms(args);
  if (args.mode != "collab" && args.mode != "ws") {
    std::fprintf(stderr, "unknown mode %s\n", args.mode.c_str());
    return 2;
  }

  // Fork before any thread exists.
  int down[2], up[2];
  if (pipe(down) != 0 || pipe(up) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    ::close(down[1]);
    ::close(up[0]);
    RunClients(down[0], up[1], args);
  }
  ::close(down[0]);
  ::close(up[1]);

  asio::io_context io;
  net::ServerOptions so;
  so.name = "collab-idle";
  auto server = net::Server::Create(io.get_executor(), so).value();
  std::filesystem::path dir;
  std::unique_ptr<server::CollabService> collab;
  std::mutex mu;
  std::vector<std::shared_ptr<net::WebSocket>> sockets;  // ws mode
  if (args.mode == "collab") {
    server::CollabOptions co;
    if (!args.memory) {
      char tmpl[] = "/tmp/collab-idle-XXXXXX";
      dir = mkdtemp(tmpl);
      co.data_dir = dir;
    }
    collab = server::CollabService::Create(io.get_executor(), co).value();
    collab->Register(*server, "/");
  } else {
    server->HandleWebSocket("/", [&](const net::HttpRequest&, net::UpgradeResponder r) {
      net::WebSocketHandlers h;
      h.on_message = [](net::WebSocket& ws, ByteSpan data, net::MessageKind) {
        // SyncStep1 -> empty SyncStep2, so the client counts as synced.
        if (data.size() >= 2 && data[0] == 0 && data[1] == 0) {
          static const std::uint8_t kStep2[] = {0, 1, 2, 0, 0};
          (void)ws.Send(ByteSpan(kStep2, sizeof(kStep2)));
        }
      };
      r.Accept(std::move(h), [&](std::shared_ptr<net::WebSocket> ws) {
        std::lock_guard<std::mutex> lock(mu);
        sockets.push_back(std::move(ws));
      });
    });
  }
  server->Start();
  auto guard = asio::make_work_guard(io);
  std::vector<std::thread> pool;
  for (int i = 0; i < args.threads; ++i) pool.emplace_back([&io] { io.run(); });

  Sample before = Measure();
  std::uint16_t port = server->port();
  WriteAll(down[1], &port, sizeof(port));
  int connected = 0;
  if (::read(up[0], &connected, sizeof(connected)) != sizeof(connected)) connected = -1;
  std::this_thread::sleep_for(std::chrono::milliseconds(args.idle_ms));
  Sample idle = Measure();
  Report(args, before, idle, connected);
  if (args.exit_at_idle) {
    kill(child, SIGKILL);
    _exit(0);
  }

  WriteAll(down[1], "q", 1);
  waitpid(child, nullptr, 0);
  std::promise<void> stopped;
  server->Stop([&] { stopped.set_value(); });
  stopped.get_future().wait();
  sockets.clear();
  if (collab) collab->Shutdown();  // cancels the awareness tick, so the io_context can end
  guard.reset();
  for (auto& t : pool) t.join();
  collab.reset();
  server.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return connected == args.rooms * args.clients ? 0 : 1;
}
