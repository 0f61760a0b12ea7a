// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Microbenchmarks of the snapshot pipeline's CPU stages (no disk): chunking, chunk ids and the
// chunk encoder on random (incompressible) and text-like data. The end-to-end comparison with
// restic is bench/filesync/run_snapshot_bench.sh (see docs/benchmarks/filesync.md).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>
#include <random>

#include "filesync/blob_codec.h"
#include "filesync/chunker.h"

namespace codesphere::filesync::internal {
namespace {

Bytes RandomData(std::size_t n) {
  std::mt19937_64 rng(42);
  Bytes b(n);
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(b.data() + i, &v, 8);
  }
  return b;
}

Bytes TextData(std::size_t n) {
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < n) s += "  int value_" + std::to_string(rng() % 1000) + " = compute(" + std::to_string(rng() % 97) + ");\n";
  s.resize(n);
  return Bytes(s.begin(), s.end());
}

void BM_Chunker_Random(benchmark::State& state) {
  Bytes data = RandomData(64u << 20);
  Chunker chunker{ChunkerParams{}};
  for (auto _ : state) {
    std::size_t pos = 0, chunks = 0;
    while (pos < data.size()) {
      pos += chunker.NextCut(ByteSpan(data.data() + pos, data.size() - pos), true);
      ++chunks;
    }
    benchmark::DoNotOptimize(chunks);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Chunker_Random);

void BM_ChunkId_Blake2b(benchmark::State& state) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init");
  Bytes data = RandomData(1u << 20);
  BlobCodec codec(std::nullopt, 1);
  for (auto _ : state) benchmark::DoNotOptimize(codec.Id(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_ChunkId_Blake2b);

void EncodeBench(benchmark::State& state, const Bytes& data, bool encrypt) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init");
  std::optional<Bytes> key;
  if (encrypt) key = Bytes(32, 1);
  BlobCodec codec(key, 1);
  ChunkId id = codec.Id(data);
  Bytes out;
  for (auto _ : state) {
    out.clear();
    codec.EncodeChunk(id, data, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}

void BM_EncodeChunk_Random(benchmark::State& state) { EncodeBench(state, RandomData(1u << 20), false); }
BENCHMARK(BM_EncodeChunk_Random);
void BM_EncodeChunk_Text(benchmark::State& state) { EncodeBench(state, TextData(1u << 20), false); }
BENCHMARK(BM_EncodeChunk_Text);
void BM_EncodeChunk_RandomEncrypted(benchmark::State& state) { EncodeBench(state, RandomData(1u << 20), true); }
BENCHMARK(BM_EncodeChunk_RandomEncrypted);

void BM_DecodeChunk_Text(benchmark::State& state) {
  Bytes data = TextData(1u << 20);
  BlobCodec codec(std::nullopt, 1);
  ChunkId id = codec.Id(data);
  Bytes stored;
  codec.EncodeChunk(id, data, stored);
  for (auto _ : state) benchmark::DoNotOptimize(codec.DecodeChunk(id, stored, data.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_DecodeChunk_Text);

}  // namespace
}  // namespace codesphere::filesync::internal

BENCHMARK_MAIN();
