// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// crdt benchmarks, named after dmonad/crdt-benchmarks (B1: one client, B4: real editing trace).
// Fixed seeds. B4 reads automerge-paper from the editing-traces folder (env
// CODESPHERE_TRACE overrides the path) and is skipped when the file is absent.

#include <zlib.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "codesphere/base/any.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"

namespace codesphere::crdt {
namespace {

constexpr int kN = 6000;

struct Patch {
  std::uint64_t pos;
  std::uint64_t del;
  std::string ins;
};

const std::vector<Patch>* Trace() {
  static const std::vector<Patch>* trace = [] {
    auto* out = new std::vector<Patch>();
    const char* env = std::getenv("CODESPHERE_TRACE");
    std::string path = env != nullptr ? env : std::string(CODESPHERE_TRACES_DIR) + "/automerge-paper.json.gz";
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) return out;
    std::string json;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof(buf))) > 0) json.append(buf, n);
    gzclose(f);
    auto v = ParseJson(json);
    if (!v.ok()) return out;
    for (const Any& t : v->Find("txns")->as_array()) {
      for (const Any& p : t.Find("patches")->as_array()) {
        const auto& a = p.as_array();
        out->push_back({static_cast<std::uint64_t>(a[0].as_number()),
                        static_cast<std::uint64_t>(a[1].as_number()), a[2].as_string()});
      }
    }
    return out;
  }();
  return trace;
}

void ReplayTrace(Doc& doc, const std::vector<Patch>& patches) {
  Text text = doc.GetText("text");
  for (const Patch& p : patches) {
    Transaction txn(doc);
    if (p.del > 0) (void)text.Delete(txn, p.pos, p.del);
    if (!p.ins.empty()) (void)text.Insert(txn, p.pos, p.ins);
  }
}

// B1.1: append N characters, one transaction each.
void BM_B1_AppendChars(benchmark::State& state) {
  for (auto _ : state) {
    Doc doc(DocOptions{.client_id = 1});
    Text t = doc.GetText("text");
    for (int i = 0; i < kN; ++i) {
      Transaction txn(doc);
      (void)t.Insert(txn, i, "a");
    }
    benchmark::DoNotOptimize(t.Length());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}
BENCHMARK(BM_B1_AppendChars);

// B1.3: insert N characters at random positions (seed 42).
void BM_B1_RandomInsert(benchmark::State& state) {
  for (auto _ : state) {
    std::mt19937 rng(42);
    Doc doc(DocOptions{.client_id = 1});
    Text t = doc.GetText("text");
    for (int i = 0; i < kN; ++i) {
      Transaction txn(doc);
      (void)t.Insert(txn, rng() % (t.Length() + 1), "x");
    }
    benchmark::DoNotOptimize(t.Length());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}
BENCHMARK(BM_B1_RandomInsert);

// B1.2-like: N random deletions from a prefilled text.
void BM_B1_RandomDelete(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    std::mt19937 rng(42);
    Doc doc(DocOptions{.client_id = 1});
    Text t = doc.GetText("text");
    {
      Transaction txn(doc);
      (void)t.Insert(txn, 0, std::string(2 * kN, 'x'));
    }
    state.ResumeTiming();
    for (int i = 0; i < kN; ++i) {
      Transaction txn(doc);
      (void)t.Delete(txn, rng() % t.Length(), 1);
    }
    benchmark::DoNotOptimize(t.Length());
  }
  state.SetItemsProcessed(state.iterations() * kN);
}
BENCHMARK(BM_B1_RandomDelete);

// B4: replay automerge-paper locally (one transaction per edit).
void BM_B4_ReplayTrace(benchmark::State& state) {
  const auto& trace = *Trace();
  if (trace.empty()) {
    state.SkipWithError("trace not found");
    return;
  }
  for (auto _ : state) {
    Doc doc(DocOptions{.client_id = 1234567890});
    ReplayTrace(doc, trace);
    benchmark::DoNotOptimize(doc.GetText("text").Length());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(trace.size()));
}
BENCHMARK(BM_B4_ReplayTrace)->Unit(benchmark::kMillisecond);

// B4: apply the per-edit updates of automerge-paper one by one to a fresh doc (a server's job).
void BM_B4_ApplyPerEditUpdates(benchmark::State& state) {
  const auto& trace = *Trace();
  if (trace.empty()) {
    state.SkipWithError("trace not found");
    return;
  }
  std::vector<Bytes> updates;
  {
    Doc doc(DocOptions{.client_id = 1234567890});
    auto sub = doc.OnUpdate([&](ByteSpan u, const Transaction&) { updates.emplace_back(u.begin(), u.end()); });
    ReplayTrace(doc, trace);
  }
  for (auto _ : state) {
    Doc remote(DocOptions{.client_id = 1});
    for (const Bytes& u : updates) (void)ApplyUpdate(remote, u);
    benchmark::DoNotOptimize(remote.GetText("text").Length());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(updates.size()));
}
BENCHMARK(BM_B4_ApplyPerEditUpdates)->Unit(benchmark::kMillisecond);

// B4: load the full v1 state of automerge-paper; and encode it.
void BM_B4_LoadV1(benchmark::State& state) {
  const auto& trace = *Trace();
  if (trace.empty()) {
    state.SkipWithError("trace not found");
    return;
  }
  Doc doc(DocOptions{.client_id = 1234567890});
  ReplayTrace(doc, trace);
  const Bytes update = EncodeStateAsUpdate(doc);
  for (auto _ : state) {
    Doc loaded(DocOptions{.client_id = 1});
    (void)ApplyUpdate(loaded, update);
    benchmark::DoNotOptimize(loaded.GetText("text").Length());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(update.size()));
}
BENCHMARK(BM_B4_LoadV1)->Unit(benchmark::kMillisecond);

void BM_B4_EncodeV1(benchmark::State& state) {
  const auto& trace = *Trace();
  if (trace.empty()) {
    state.SkipWithError("trace not found");
    return;
  }
  Doc doc(DocOptions{.client_id = 1234567890});
  ReplayTrace(doc, trace);
  std::size_t size = 0;
  for (auto _ : state) {
    Bytes u = EncodeStateAsUpdate(doc);
    size = u.size();
    benchmark::DoNotOptimize(u.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}
BENCHMARK(BM_B4_EncodeV1)->Unit(benchmark::kMillisecond);

// Merging 1,000 single-edit updates without a doc.
void BM_MergeUpdates_1000(benchmark::State& state) {
  std::vector<Bytes> updates;
  Doc doc(DocOptions{.client_id = 1});
  auto sub = doc.OnUpdate([&](ByteSpan u, const Transaction&) { updates.emplace_back(u.begin(), u.end()); });
  Text t = doc.GetText("text");
  for (int i = 0; i < 1000; ++i) {
    Transaction txn(doc);
    (void)t.Insert(txn, i / 2, "y");
  }
  std::vector<ByteSpan> spans(updates.begin(), updates.end());
  for (auto _ : state) {
    auto merged = MergeUpdates(spans);
    benchmark::DoNotOptimize(merged.ok());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_MergeUpdates_1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace codesphere::crdt

BENCHMARK_MAIN();
