// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The per-byte costs of the terminal path: frame codec, scrollback ring, reply filter.

#include <benchmark/benchmark.h>

#include "codesphere/pty/frame.h"
#include "pty/reply_filter.h"
#include "pty/scrollback.h"

namespace codesphere::pty {
namespace {

void BM_EncodeFrame_Output(benchmark::State& state) {
  const Frame f = Frame::Output(7, Bytes(static_cast<std::size_t>(state.range(0)), 'y'));
  Bytes out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(AppendFrame(f, out));
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeFrame_Output)->Arg(64)->Arg(4096)->Arg(65536);

void BM_FrameDecoder_Stream(benchmark::State& state) {
  Bytes stream;
  for (int i = 0; i < 64; ++i) {
    (void)AppendFrame(Frame::Output(1 + i % 4, Bytes(static_cast<std::size_t>(state.range(0)), 'y')),
                      stream);
  }
  for (auto _ : state) {
    FrameDecoder decoder;
    // Feed in 1500-byte pieces, as a TCP stream would arrive.
    for (std::size_t i = 0; i < stream.size(); i += 1500) {
      auto frames = decoder.Feed(ByteSpan(stream).subspan(i, std::min<std::size_t>(1500, stream.size() - i)));
      benchmark::DoNotOptimize(frames);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_FrameDecoder_Stream)->Arg(64)->Arg(4096);

void BM_ScrollbackRing_ReadThenCopyOut(benchmark::State& state) {
  internal::ScrollbackRing ring(1 << 20);
  const std::size_t chunk = static_cast<std::size_t>(state.range(0));
  Bytes out;
  for (auto _ : state) {
    auto span = ring.Prepare(chunk);
    std::fill(span.begin(), span.end(), 'y');
    ring.Commit(span.size());
    out.clear();
    ring.CopyOut(ring.end() - span.size(), span.size(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ScrollbackRing_ReadThenCopyOut)->Arg(4096)->Arg(65536);

void BM_StripTerminalReplies_Typing(benchmark::State& state) {
  const Bytes keys = ToBytes("ls -la /tmp\r\x1b[A\x1b[1;5C git status\r");
  for (auto _ : state) benchmark::DoNotOptimize(internal::StripTerminalReplies(keys));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}
BENCHMARK(BM_StripTerminalReplies_Typing);

void BM_StripTerminalReplies_Replies(benchmark::State& state) {
  const Bytes replies = ToBytes("\x1b[?1;2c\x1b[>0;276;0c\x1b[24;80R\x1b]11;rgb:0000/0000/0000\x1b\\");
  for (auto _ : state) benchmark::DoNotOptimize(internal::StripTerminalReplies(replies));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(replies.size()));
}
BENCHMARK(BM_StripTerminalReplies_Replies);

}  // namespace
}  // namespace codesphere::pty

BENCHMARK_MAIN();
