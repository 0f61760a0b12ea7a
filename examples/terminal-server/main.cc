// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// codesphere-term: shared terminals in the browser, like ttyd but shared, reconnectable and
// backpressured. `codesphere-term --port 7681 -- bash` serves an xterm.js page; every tab on
// the same terminal name shares one shell. Endpoints (docs/protocols.md, "Terminals"):
//   GET /                      the page (?term=NAME&role=writer|read-only)
//   GET /api/sessions          the sessions as JSON
//   WS  /pty/<name>            a named, shared terminal (created on first use, kept when
//                              nobody watches); query: role, cols, rows
//   WS  /mux                   the multiplexed frame form (many sessions, one connection)
//   WS  / (any other path)     a private terminal that ends with its connection

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/defer.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "codesphere/base/any.h"
#include "codesphere/base/log.h"
#include "codesphere/net/server.h"
#include "codesphere/pty/multiplexer.h"
#include "codesphere/pty/mux_connection.h"

namespace terminal_server {

struct Asset {
  const char* name;
  const unsigned char* data;
  std::size_t size;
};
extern const Asset kAssets[];

}  // namespace terminal_server

namespace {

using codesphere::Bytes;
using codesphere::ByteSpan;
using codesphere::Status;
namespace net = codesphere::net;
namespace pty = codesphere::pty;

struct Flags {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7681;
  std::size_t scrollback = 1 << 20;
  std::size_t max_queue = 1 << 20;
  std::size_t max_read = 64 << 10;
  std::size_t flood_rate = pty::MultiplexerOptions{}.flood_read_rate;
  int threads = 2;
  std::string trace;
  std::vector<std::string> command;
};

void Usage() {
  std::fprintf(stderr,
               "usage: codesphere-term [--host 127.0.0.1] [--port 7681] [--scrollback BYTES]\n"
               "                       [--queue BYTES] [--read BYTES] [--threads N] [--trace FILE]\n"
               "                       [--flood-rate BYTES_PER_S (0: off)] -- COMMAND [ARGS...]\n");
}

bool ParseSize(std::string_view s, std::size_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) f.command.emplace_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) return false;
    std::string_view v = argv[++i];
    std::size_t n = 0;
    if (a == "--host") {
      f.host = std::string(v);
    } else if (a == "--port" && ParseSize(v, n) && n <= 65535) {
      f.port = static_cast<std::uint16_t>(n);
    } else if (a == "--scrollback" && ParseSize(v, n) && n >= 4096) {
      f.scrollback = n;
    } else if (a == "--queue" && ParseSize(v, n) && n >= 4096) {
      f.max_queue = n;
    } else if (a == "--read" && ParseSize(v, n) && n >= 4096 && n <= (1 << 20)) {
      f.max_read = n;
    } else if (a == "--flood-rate" && ParseSize(v, n)) {
      f.flood_rate = n;
    } else if (a == "--threads" && ParseSize(v, n) && n >= 1 && n <= 64) {
      f.threads = static_cast<int>(n);
    } else if (a == "--trace" && !v.empty()) {
      f.trace = std::string(v);
    } else {
      return false;
    }
  }
  if (f.command.empty()) f.command = {"bash"};
  return true;
}

// `--trace FILE`: when each step of a terminal's round trip happened, for latency breakdowns
// (bench/pty/pty_extra.mjs --mode breakdown). One line per event, written at exit:
//   <steady clock ns> in <connection> <bytes>     a WebSocket message arrived (net thread)
//   <ns> input <session> <bytes>                  input written to the PTY
//   <ns> read <session> <bytes>                   output read from the PTY
//   <ns> send <session> <bytes>                   output handed to the WebSocket
//   <ns> written <session> <bytes>                that output written to the socket
// The steady clock is CLOCK_MONOTONIC, the clock of Node's process.hrtime.
class Tracer {
 public:
  explicit Tracer(std::string path) : path_(std::move(path)) { events_.reserve(kMaxEvents); }

  void Record(const char* what, std::uint64_t id, std::size_t bytes) {
    const auto t = std::chrono::steady_clock::now().time_since_epoch();
    std::lock_guard<std::mutex> lock(mu_);
    if (events_.size() < kMaxEvents) {
      events_.push_back(Event{std::chrono::duration_cast<std::chrono::nanoseconds>(t).count(), what, id, bytes});
    }
  }

  bool Write() {
    std::lock_guard<std::mutex> lock(mu_);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    if (f == nullptr) return false;
    for (const Event& e : events_) {
      std::fprintf(f, "%lld %s %llu %zu\n", static_cast<long long>(e.ns), e.what,
                   static_cast<unsigned long long>(e.id), e.bytes);
    }
    return std::fclose(f) == 0;
  }

 private:
  static constexpr std::size_t kMaxEvents = 1 << 21;
  struct Event {
    std::int64_t ns;
    const char* what;
    std::uint64_t id;
    std::size_t bytes;
  };
  std::string path_;
  std::mutex mu_;
  std::vector<Event> events_;
};

// Bytes handed to a WebSocket and not yet written. net's `Send(SharedBytes)` keeps a buffer
// alive until it is written, so the buffer's deleter is an exact "written" notification (net
// has no drain callback); it may run on any thread and posts back to `executor`.
class WriteWindow : public std::enable_shared_from_this<WriteWindow> {
 public:
  WriteWindow(asio::any_io_executor executor, std::size_t mark, Tracer* tracer)
      : executor_(executor), timer_(executor), mark_(mark), tracer_(tracer) {}

  // Queues `bytes` on `ws`, then waits while more than the mark is unwritten. `session` is
  // for the trace only.
  asio::awaitable<Status> Send(net::WebSocket& ws, Bytes bytes, pty::SessionId session = 0) {
    const std::size_t n = bytes.size();
    in_flight_ += n;
    auto self = shared_from_this();
    net::SharedBytes shared(new Bytes(std::move(bytes)), [self, n, session](const Bytes* b) {
      if (self->tracer_ != nullptr) self->tracer_->Record("written", session, n);
      delete b;
      asio::post(self->executor_, [self, n] { self->Written(n); });
    });
    if (Status st = ws.Send(std::move(shared), net::MessageKind::kBinary); !st.ok()) co_return st;
    // Several senders (the sessions of one mux connection) may wait at once; `Written`
    // wakes them all.
    while (in_flight_ > mark_ && ws.is_open()) {
      if (waiters_ == 0) timer_.expires_at(asio::steady_timer::time_point::max());
      ++waiters_;
      std::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      --waiters_;
    }
    if (!ws.is_open()) co_return codesphere::UnavailableError("websocket closed");
    co_return codesphere::OkStatus();
  }

 private:
  void Written(std::size_t n) {
    in_flight_ -= n;
    if (waiters_ > 0 && in_flight_ <= mark_) timer_.cancel();
  }

  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  std::size_t mark_;
  Tracer* tracer_;             // null unless --trace
  std::size_t in_flight_ = 0;  // on executor_ only
  int waiters_ = 0;
};

// A viewer's sink on one WebSocket: output as binary messages, events as JSON text.
class WebSocketSink final : public pty::ViewerSink {
 public:
  WebSocketSink(std::shared_ptr<net::WebSocket> ws, asio::any_io_executor ex, std::size_t mark,
                Tracer* tracer)
      : ws_(std::move(ws)), window_(std::make_shared<WriteWindow>(ex, mark, tracer)) {}

  asio::awaitable<Status> Send(pty::Frame frame) override {
    if (frame.type == pty::FrameType::kOutput) {
      co_return co_await window_->Send(*ws_, std::move(frame.data), frame.session);
    }
    Status st = ws_->Send(codesphere::AsBytes(pty::BrowserEventJson(frame)), net::MessageKind::kText);
    if (frame.type == pty::FrameType::kDetach) ws_->Close(net::CloseCode::kGoingAway, "closed");
    co_return st;
  }

 private:
  std::shared_ptr<net::WebSocket> ws_;
  std::shared_ptr<WriteWindow> window_;
};

// The multiplexed form on one WebSocket: every frame is one binary message.
class WebSocketFrameTransport final : public pty::FrameTransport {
 public:
  WebSocketFrameTransport(std::shared_ptr<net::WebSocket> ws, asio::any_io_executor ex,
                          std::size_t mark, Tracer* tracer)
      : ws_(std::move(ws)), window_(std::make_shared<WriteWindow>(ex, mark, tracer)) {}
  asio::awaitable<Status> Write(Bytes frame) override {
    co_return co_await window_->Send(*ws_, std::move(frame));
  }

 private:
  std::shared_ptr<net::WebSocket> ws_;
  std::shared_ptr<WriteWindow> window_;
};

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

// Reads an optional 1..65535 integer query parameter.
bool QueryDimension(std::string_view query, std::string_view key, std::uint16_t& out) {
  auto v = net::QueryParam(query, key);
  if (!v) return true;
  std::size_t n = 0;
  if (!ParseSize(*v, n) || n == 0 || n > 65535) return false;
  out = static_cast<std::uint16_t>(n);
  return true;
}

class TerminalServer {
 public:
  TerminalServer(asio::io_context& io, Flags flags)
      : io_(io),
        flags_(std::move(flags)),
        tracer_(flags_.trace.empty() ? nullptr : std::make_unique<Tracer>(flags_.trace)),
        mux_(io.get_executor(), MuxOptions(flags_, tracer_.get())) {}

  static pty::MultiplexerOptions MuxOptions(const Flags& f, Tracer* tracer) {
    pty::MultiplexerOptions o;
    o.scrollback_bytes = f.scrollback;
    o.max_read_bytes = f.max_read;
    o.flood_read_rate = f.flood_rate;
    if (tracer != nullptr) {
      o.trace = [tracer](pty::TracePoint point, pty::SessionId session, std::size_t bytes) {
        tracer->Record(point == pty::TracePoint::kInputWritten ? "input"
                       : point == pty::TracePoint::kOutputRead ? "read"
                                                                : "send",
                       session, bytes);
      };
    }
    return o;
  }

  // Writes the --trace file, if any.
  void WriteTrace() {
    if (tracer_ != nullptr && !tracer_->Write()) {
      std::fprintf(stderr, "codesphere-term: cannot write the trace to %s\n", flags_.trace.c_str());
    }
  }

  Status Start() {
    net::ServerOptions options;
    options.host = flags_.host;
    options.port = flags_.port;
    options.name = "term";
    // Input messages are small; refuse anything big before reading it.
    options.websocket.max_message_size = 1 << 20;
    auto server = net::Server::Create(io_.get_executor(), options);
    if (!server.ok()) return server.error();
    server_ = std::move(*server);
    server_->HandleHttp("/", [this](net::HttpRequest req, net::HttpResponder r) {
      ServeHttp(req, std::move(r));
    });
    server_->HandleWebSocket("/pty/", [this](const net::HttpRequest& req,
                                             net::UpgradeResponder r) { Upgrade(req, std::move(r), Kind::kNamed); });
    server_->HandleWebSocket("/mux", [this](const net::HttpRequest& req, net::UpgradeResponder r) {
      Upgrade(req, std::move(r), Kind::kMux);
    });
    server_->HandleWebSocket("/", [this](const net::HttpRequest& req, net::UpgradeResponder r) {
      Upgrade(req, std::move(r), Kind::kPrivate);
    });
    server_->Start();
    std::printf("codesphere-term listening on http://%s:%u/ (pid %d)\n", flags_.host.c_str(),
                server_->port(), static_cast<int>(::getpid()));
    std::fflush(stdout);
    return codesphere::OkStatus();
  }

  void Stop(codesphere::unique_function<void()> done) {
    asio::post(mux_.get_executor(), [this] {
      connections_.clear();
      for (const auto& s : mux_.ListSessions()) (void)mux_.CloseSession(s.id);
    });
    server_->Stop(std::move(done));
  }

 private:
  enum class Kind { kNamed, kPrivate, kMux };

  // Per WebSocket connection; lives on the multiplexer's strand.
  struct Connection {
    std::unique_ptr<pty::Viewer> viewer;
    std::unique_ptr<pty::MuxConnection> mux;
  };

  void ServeHttp(const net::HttpRequest& req, net::HttpResponder r) {
    if (req.method != "GET" && req.method != "HEAD") {
      r.Send(net::HttpResponse::Text(405, "method not allowed\n"));
      return;
    }
    if (req.path == "/api/sessions") {
      asio::post(mux_.get_executor(), [this, r = std::move(r)]() mutable {
        codesphere::Any::Array list;
        for (const auto& s : mux_.ListSessions()) {
          codesphere::Any::Object o;
          o.emplace_back("id", codesphere::Any(s.id));
          o.emplace_back("title", codesphere::Any(s.title));
          std::string name;
          for (const auto& [n, id] : names_) {
            if (id == s.id) name = n;
          }
          o.emplace_back("name", codesphere::Any(name));
          o.emplace_back("cols", codesphere::Any(static_cast<int>(s.size.cols)));
          o.emplace_back("rows", codesphere::Any(static_cast<int>(s.size.rows)));
          o.emplace_back("pid", codesphere::Any(s.pid));
          o.emplace_back("viewers", codesphere::Any(static_cast<std::uint64_t>(s.viewers)));
          o.emplace_back("exited", codesphere::Any(s.exited));
          o.emplace_back("outputBytes", codesphere::Any(s.output_bytes));
          o.emplace_back("scrollbackBytes", codesphere::Any(static_cast<std::uint64_t>(s.scrollback_bytes)));
          o.emplace_back("paused", codesphere::Any(s.output_paused));
          o.emplace_back("throttled", codesphere::Any(s.output_throttled));
          list.emplace_back(std::move(o));
        }
        r.Send(net::HttpResponse::Json(200, codesphere::ToJson(codesphere::Any(std::move(list)))));
      });
      return;
    }
    std::string_view file = req.path == "/" ? "index.html" : std::string_view(req.path);
    if (file.starts_with("/assets/")) file.remove_prefix(8);
    for (const auto* a = terminal_server::kAssets; a->name != nullptr; ++a) {
      if (file != a->name) continue;
      std::string_view type = file.ends_with(".js")    ? "text/javascript; charset=utf-8"
                              : file.ends_with(".css") ? "text/css; charset=utf-8"
                                                       : "text/html; charset=utf-8";
      r.Send(net::HttpResponse::WithBody(
          200, type, std::string_view(reinterpret_cast<const char*>(a->data), a->size)));
      return;
    }
    r.Send(net::HttpResponse::Text(404, "not found\n"));
  }

  void Upgrade(const net::HttpRequest& req, net::UpgradeResponder responder, Kind kind) {
    std::string name;
    pty::ViewerRole role = pty::ViewerRole::kWriter;
    pty::WindowSize size{80, 24};
    if (kind == Kind::kNamed) {
      auto decoded = net::PercentDecode(std::string_view(req.path).substr(5));
      if (!decoded.ok() || !ValidName(*decoded)) {
        responder.Reject(net::HttpResponse::Text(400, "terminal name must be 1-64 of [A-Za-z0-9._-]\n"));
        return;
      }
      name = *decoded;
    }
    if (auto r = net::QueryParam(req.query, "role")) {
      auto parsed = pty::ParseViewerRole(*r);
      if (!parsed.ok()) {
        responder.Reject(net::HttpResponse::FromStatus(parsed.error()));
        return;
      }
      role = *parsed;
    }
    if (!QueryDimension(req.query, "cols", size.cols) || !QueryDimension(req.query, "rows", size.rows)) {
      responder.Reject(net::HttpResponse::Text(400, "cols and rows must be integers in 1..65535\n"));
      return;
    }
    auto handlers = net::WebSocketHandlers{
        [this](net::WebSocket& ws, ByteSpan data, net::MessageKind) {
          if (tracer_ != nullptr) tracer_->Record("in", ws.id(), data.size());
          // defer, not post: run it on this io thread once the socket's handler returns,
          // instead of waking the other thread (a keystroke would wait for its wake-up).
          asio::defer(mux_.get_executor(), [this, id = ws.id(), bytes = Bytes(data.begin(), data.end())] {
            OnMessage(id, bytes);
          });
        },
        [this](net::WebSocket& ws, const net::CloseInfo&) {
          asio::post(mux_.get_executor(), [this, id = ws.id()] {
            connections_.erase(id);
            sockets_.erase(id);
          });
        }};
    responder.Accept(std::move(handlers), [this, kind, name, role, size](std::shared_ptr<net::WebSocket> ws) {
      asio::post(mux_.get_executor(), [this, kind, name, role, size, ws] { OnOpen(kind, name, role, size, ws); });
    });
  }

  codesphere::Result<pty::SessionId> NamedSession(const std::string& name, pty::WindowSize size) {
    auto it = names_.find(name);
    if (it != names_.end()) {
      auto info = mux_.GetSession(it->second);
      if (info.ok() && !info->exited) return it->second;
      if (info.ok()) (void)mux_.CloseSession(it->second);
      names_.erase(it);
    }
    auto id = NewSession(size, false);
    if (id.ok()) names_[name] = *id;
    return id;
  }

  codesphere::Result<pty::SessionId> NewSession(pty::WindowSize size, bool ephemeral) {
    pty::SessionOptions o;
    o.command = flags_.command;
    o.size = size;
    o.close_when_unviewed = ephemeral;
    return mux_.CreateSession(std::move(o), pty::NewLocalProcessStarter({flags_.command, {}, {}}));
  }

  void OnOpen(Kind kind, const std::string& name, pty::ViewerRole role, pty::WindowSize size,
              std::shared_ptr<net::WebSocket> ws) {
    if (!ws->is_open()) return;
    Connection& c = connections_[ws->id()];
    if (kind == Kind::kMux) {
      c.mux = std::make_unique<pty::MuxConnection>(
          mux_, std::make_shared<WebSocketFrameTransport>(ws, mux_.get_executor(), flags_.max_queue,
                                                         tracer_.get()));
      sockets_[ws->id()] = ws;
      return;
    }
    auto id = kind == Kind::kNamed ? NamedSession(name, size) : NewSession(size, true);
    codesphere::Result<std::unique_ptr<pty::Viewer>> viewer =
        id.ok() ? mux_.Attach(*id, pty::ViewerOptions{role, size, true},
                              std::make_shared<WebSocketSink>(ws, mux_.get_executor(), flags_.max_queue,
                                                               tracer_.get()))
                : codesphere::Result<std::unique_ptr<pty::Viewer>>(id.error());
    if (!viewer.ok()) {
      (void)ws->Send(codesphere::AsBytes(pty::BrowserEventJson(pty::Frame::Error(0, viewer.error()))),
                     net::MessageKind::kText);
      ws->Close(net::CloseCode::kTryAgainLater, "no terminal");
      connections_.erase(ws->id());
      return;
    }
    c.viewer = std::move(*viewer);
    sockets_[ws->id()] = ws;
  }

  void OnMessage(std::uint64_t id, const Bytes& data) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    auto ws = sockets_[id].lock();
    if (c.mux) {
      if (!c.mux->OnBytes(data).ok() && ws) ws->Close(net::CloseCode::kProtocolError, "malformed frame");
      return;
    }
    if (!c.viewer) return;
    auto frame = pty::ParseBrowserMessage(c.viewer->session(), data);
    Status st = frame.ok() ? codesphere::OkStatus() : frame.error();
    if (frame.ok()) {
      switch (frame->type) {
        case pty::FrameType::kInput: st = c.viewer->Input(frame->data); break;
        case pty::FrameType::kResize: st = c.viewer->Resize(frame->size); break;
        case pty::FrameType::kSignal: st = c.viewer->Signal(frame->signal); break;
        default: break;
      }
    }
    if (!st.ok() && ws) {
      (void)ws->Send(codesphere::AsBytes(pty::BrowserEventJson(
                         pty::Frame::Error(c.viewer->session(), std::move(st)))),
                     net::MessageKind::kText);
    }
  }

  asio::io_context& io_;
  Flags flags_;
  std::unique_ptr<Tracer> tracer_;  // before mux_: its trace hook points here
  pty::Multiplexer mux_;
  std::unique_ptr<net::Server> server_;
  // Multiplexer strand only:
  std::map<std::uint64_t, Connection> connections_;
  std::map<std::uint64_t, std::weak_ptr<net::WebSocket>> sockets_;
  std::map<std::string, pty::SessionId> names_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, flags)) {
    Usage();
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io;
  TerminalServer server(io, flags);
  if (Status st = server.Start(); !st.ok()) {
    std::fprintf(stderr, "codesphere-term: %s\n", st.ToString().c_str());
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    server.Stop([&io] { io.stop(); });
  });
  std::vector<std::thread> extra;
  for (int i = 1; i < flags.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  server.WriteTrace();
  return 0;
}
