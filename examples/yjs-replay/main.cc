// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// yjs-replay: replays an editing trace (josephg/editing-traces format, gzipped JSON) into a
// codesphere::crdt::Doc and prints one JSON object with timings, sizes and memory, measured
// the same way as shared/bench-anchors/yjs_traces.mjs measures Yjs.
//
//   yjs-replay [--check] [--client-id N] TRACE.json.gz
//
// With --check the exit status is 1 unless every replayed/loaded text equals `endContent`.

#include <malloc.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "codesphere/base/any.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"

namespace {

using codesphere::Any;
using codesphere::Bytes;
using codesphere::ByteSpan;
namespace crdt = codesphere::crdt;

struct Patch {
  std::uint64_t pos;
  std::uint64_t del;
  std::string ins;
};

bool Gunzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out->append(buf, n);
  const bool ok = n == 0;
  gzclose(f);
  return ok;
}

double Ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::size_t HeapUsed() {
  malloc_trim(0);
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// One transaction per patch: delete, then insert (as yjs_traces.mjs does by default).
void Replay(crdt::Doc& doc, const std::vector<Patch>& patches) {
  crdt::Text text = doc.GetText("text");
  for (const Patch& p : patches) {
    crdt::Transaction txn(doc);
    if (p.del > 0) (void)text.Delete(txn, p.pos, p.del);
    if (!p.ins.empty()) (void)text.Insert(txn, p.pos, p.ins);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool check = false;
  std::uint64_t client_id = 1234567890;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check") {
      check = true;
    } else if (a == "--client-id" && i + 1 < argc) {
      client_id = std::stoull(argv[++i]);
    } else {
      path = a;
    }
  }
  if (path.empty()) {
    std::cerr << "usage: yjs-replay [--check] [--client-id N] TRACE.json.gz\n";
    return 2;
  }
  std::string json;
  if (!Gunzip(path, &json)) {
    std::cerr << "yjs-replay: cannot read " << path << "\n";
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto parsed = codesphere::ParseJson(json);
  auto t1 = std::chrono::steady_clock::now();
  if (!parsed.ok() || !parsed->is_object()) {
    std::cerr << "yjs-replay: bad trace JSON: " << parsed.error() << "\n";
    return 2;
  }
  const Any* end_any = parsed->Find("endContent");
  const Any* txns = parsed->Find("txns");
  if (end_any == nullptr || !end_any->is_string() || txns == nullptr || !txns->is_array()) {
    std::cerr << "yjs-replay: not a sequential trace\n";
    return 2;
  }
  const std::string end_content = end_any->as_string();
  std::vector<Patch> patches;
  for (const Any& t : txns->as_array()) {
    const Any* ps = t.Find("patches");
    if (ps == nullptr || !ps->is_array()) continue;
    for (const Any& p : ps->as_array()) {
      const auto& a = p.as_array();
      patches.push_back({static_cast<std::uint64_t>(a[0].as_number()),
                         static_cast<std::uint64_t>(a[1].as_number()), a[2].as_string()});
    }
  }
  parsed = Any();
  json.clear();
  json.shrink_to_fit();

  bool ok = true;
  std::string out = "{";
  auto field = [&](const std::string& k, const std::string& v) {
    if (out.size() > 1) out += ",";
    out += "\"" + k + "\":" + v;
  };
  auto num = [](double v) { return codesphere::FormatJsNumber(v); };
  field("trace", codesphere::ToJson(Any(path)));
  field("patches", num(patches.size()));
  field("parse_ms", num(Ms(t0, t1)));

  // Local replay.
  const std::size_t heap0 = HeapUsed();
  auto doc = std::make_unique<crdt::Doc>(crdt::DocOptions{.client_id = client_id});
  auto a = std::chrono::steady_clock::now();
  Replay(*doc, patches);
  auto b = std::chrono::steady_clock::now();
  const std::string final_text = doc->GetText("text").ToString();
  const bool final_ok = final_text == end_content;
  ok &= final_ok;
  field("replay_ms", num(Ms(a, b)));
  field("final_len", num(doc->GetText("text").Length()));
  field("final_ok", final_ok ? "true" : "false");
  field("doc_heap_bytes", num(static_cast<double>(HeapUsed() - heap0)));

  a = std::chrono::steady_clock::now();
  Bytes update = crdt::EncodeStateAsUpdate(*doc);
  b = std::chrono::steady_clock::now();
  field("encode_v1_ms", num(Ms(a, b)));
  field("update_v1_bytes", num(update.size()));
  field("state_vector_bytes", num(crdt::EncodeStateVector(*doc).size()));
  doc.reset();

  // Load the full update into a fresh doc.
  const std::size_t heap1 = HeapUsed();
  a = std::chrono::steady_clock::now();
  auto loaded = std::make_unique<crdt::Doc>(crdt::DocOptions{.client_id = 1});
  const bool load_status = crdt::ApplyUpdate(*loaded, update).ok();
  b = std::chrono::steady_clock::now();
  const bool load_ok = load_status && loaded->GetText("text").ToString() == end_content;
  ok &= load_ok;
  field("load_v1_ms", num(Ms(a, b)));
  field("load_ok", load_ok ? "true" : "false");
  field("loaded_doc_heap_bytes", num(static_cast<double>(HeapUsed() - heap1)));
  field("reencode_identical", crdt::EncodeStateAsUpdate(*loaded) == update ? "true" : "false");
  loaded.reset();

  // Stream: collect the per-transaction updates, then apply them one by one to a fresh doc.
  std::vector<Bytes> updates;
  updates.reserve(patches.size());
  std::size_t total = 0;
  {
    crdt::Doc local(crdt::DocOptions{.client_id = client_id});
    auto sub = local.OnUpdate([&](ByteSpan u, const crdt::Transaction&) {
      updates.emplace_back(u.begin(), u.end());
      total += u.size();
    });
    a = std::chrono::steady_clock::now();
    Replay(local, patches);
    b = std::chrono::steady_clock::now();
    field("replay_with_update_events_ms", num(Ms(a, b)));
  }
  field("num_updates", num(updates.size()));
  field("updates_total_bytes", num(total));
  crdt::Doc remote(crdt::DocOptions{.client_id = 1});
  a = std::chrono::steady_clock::now();
  bool stream_status = true;
  for (const Bytes& u : updates) stream_status &= crdt::ApplyUpdate(remote, u).ok();
  b = std::chrono::steady_clock::now();
  const bool stream_ok = stream_status && remote.GetText("text").ToString() == end_content;
  ok &= stream_ok;
  field("remote_stream_apply_ms", num(Ms(a, b)));
  field("remote_stream_ok", stream_ok ? "true" : "false");
  out += "}";
  std::cout << out << std::endl;
  return check && !ok ? 1 : 0;
}
