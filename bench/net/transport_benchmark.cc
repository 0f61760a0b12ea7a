// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Microbenchmarks of the transport's CPU paths, without sockets: HTTP head parsing, server
// frame headers, and our server engine parsing masked client frames (the per-message receive cost).

#include <cstring>
#include <string>

#include "benchmark/benchmark.h"
#include "net/http_parser.h"
#include "net/transport.h"
#include "net/websocket_engine.h"

namespace codesphere::net::internal {
namespace {

void BM_ParseRequestHead_Browser(benchmark::State& state) {
  std::string head =
      "GET /yjs/project-1/src/main.ts HTTP/1.1\r\nHost: localhost:1234\r\n"
      "Connection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36\r\nUpgrade: websocket\r\nOrigin: http://localhost:1234\r\n"
      "Sec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Accept-Language: en-US,en;q=0.9\r\nCookie: session=abcdef0123456789\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
  for (auto _ : state) {
    auto r = ParseRequestHead(head);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(head.size()));
}
BENCHMARK(BM_ParseRequestHead_Browser);

void BM_EncodeServerFrameHeader(benchmark::State& state) {
  OutChunk chunk;
  std::uint64_t size = 0;
  for (auto _ : state) {
    EncodeServerFrameHeader(2, size++ & 0x1ffff, &chunk);
    benchmark::DoNotOptimize(chunk.header);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeServerFrameHeader);

// Counts what the engine hands back.
class CountingEvents : public WebSocketEngineEvents {
 public:
  void OnEngineWrite(const char*, std::size_t) override {}
  void OnEngineOpen() override { open = true; }
  void OnEngineMessage(int, const char*, std::size_t size) override {
    ++messages;
    bytes += size;
  }
  void OnEngineShutdown() override {}
  void OnEngineEnd(const EngineEndInfo&) override {}
  bool open = false;
  std::size_t messages = 0;
  std::size_t bytes = 0;
};

// A masked client frame carrying `payload_size` bytes (RFC 6455 §5.2).
std::string MaskedFrame(std::size_t payload_size) {
  std::string f;
  f.push_back(static_cast<char>(0x82));
  if (payload_size < 126) {
    f.push_back(static_cast<char>(0x80 | payload_size));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload_size >> 8));
    f.push_back(static_cast<char>(payload_size & 0xff));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (std::size_t i = 0; i < payload_size; ++i) {
    f.push_back(static_cast<char>(('a' + i % 26) ^ mask[i % 4]));
  }
  return f;
}

// Receive path: the server engine unmasking and dispatching a stream of small y-protocols-sized
// messages (default 40 bytes: a one-character Yjs update inside a sync message).
void BM_ServerEngine_ReceiveFrames(benchmark::State& state) {
  const std::size_t payload = static_cast<std::size_t>(state.range(0));
  std::string batch;
  constexpr int kFramesPerBatch = 64;
  for (int i = 0; i < kFramesPerBatch; ++i) batch += MaskedFrame(payload);
  CountingEvents events;
  EngineParams params;
  params.key = "dGhlIHNhbXBsZSBub25jZQ==";
  auto engine = NewServerEngine(&events, params);
  engine->Start();
  if (!events.open) {
    state.SkipWithError("handshake failed");
    return;
  }
  for (auto _ : state) {
    engine->Feed(batch.data(), batch.size());
  }
  state.SetItemsProcessed(state.iterations() * kFramesPerBatch);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  if (events.messages != static_cast<std::size_t>(state.iterations()) * kFramesPerBatch) {
    state.SkipWithError("messages lost");
  }
}
BENCHMARK(BM_ServerEngine_ReceiveFrames)->Arg(40)->Arg(1024)->Arg(16384);

}  // namespace
}  // namespace codesphere::net::internal

BENCHMARK_MAIN();
