// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A WebSocket echo server for interop tests with foreign clients (Node `ws`): prints
// "PORT <n>" once listening on 127.0.0.1, echoes every message on /echo/<room>, answers
// GET /healthz, closes a socket with code 4000 when it receives the text "close-me", and stops
// gracefully when stdin reaches EOF.
//
// Usage: net_echo_server [--max-message-size BYTES]

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include <asio/io_context.hpp>

#include "codesphere/net/server.h"

int main(int argc, char** argv) {
  using namespace codesphere;
  using namespace codesphere::net;
  ServerOptions options;
  options.name = "echo";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--max-message-size") == 0) {
      options.websocket.max_message_size = std::strtoull(argv[i + 1], nullptr, 10);
    }
  }
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  Result<std::unique_ptr<Server>> server = Server::Create(io.get_executor(), options);
  if (!server.has_value()) {
    std::cerr << server.error() << "\n";
    return 1;
  }
  (*server)->HandleHttp("/healthz", [](HttpRequest, HttpResponder r) {
    r.Send(HttpResponse::Text(200, "ok"));
  });
  (*server)->HandleWebSocket("/echo/", [](const HttpRequest& req, UpgradeResponder r) {
    WebSocketHandlers h;
    h.on_message = [](WebSocket& ws, ByteSpan data, MessageKind kind) {
      if (kind == MessageKind::kText && AsStringView(data) == "close-me") {
        ws.Close(static_cast<CloseCode>(4000), "as requested");
        return;
      }
      (void)ws.Send(data, kind);
    };
    std::string protocol;
    if (auto offered = req.headers.Get("Sec-WebSocket-Protocol")) {
      protocol = std::string(offered->substr(0, offered->find(',')));
    }
    r.Accept(std::move(h), nullptr, protocol);
  });
  (*server)->Start();
  std::cout << "PORT " << (*server)->port() << std::endl;

  std::thread stdin_watch([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    (*server)->Stop([&] { work.reset(); });
  });
  io.run();
  stdin_watch.join();
  return 0;
}
