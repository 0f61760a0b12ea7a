// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// codesphere-snapshot: a restic-like backup tool over codesphere::filesync.
//
//   codesphere-snapshot save    --store URL [--project P] DIR
//   codesphere-snapshot ls      --store URL
//   codesphere-snapshot restore --store URL SNAPSHOT_ID DIR
//   codesphere-snapshot fork    --store URL SNAPSHOT_ID PROJECT
//   codesphere-snapshot forget  --store URL SNAPSHOT_ID
//   codesphere-snapshot gc      --store URL
//
// URL: file:///PATH or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT (credentials and region
// from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Common options: --cache DIR
// (stat cache; default $XDG_CACHE_HOME/codesphere-snapshot or ~/.cache/codesphere-snapshot),
// --no-cache, --key-file FILE or CODESPHERE_SNAPSHOT_KEY (64 hex digits) for encryption,
// --init-key (create an encrypted repository with a new key, printed once), --quiet.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "codesphere/filesync/repository.h"
#include "codesphere/storage/object_store_url.h"

namespace {

using codesphere::Bytes;
using codesphere::Status;
using codesphere::filesync::Progress;
using codesphere::filesync::Repository;
using codesphere::filesync::RepositoryOptions;

int Usage() {
  std::fprintf(stderr,
               "usage: codesphere-snapshot save    --store URL [--project P] DIR\n"
               "       codesphere-snapshot ls      --store URL\n"
               "       codesphere-snapshot restore --store URL SNAPSHOT_ID DIR\n"
               "       codesphere-snapshot fork    --store URL SNAPSHOT_ID PROJECT\n"
               "       codesphere-snapshot forget  --store URL SNAPSHOT_ID\n"
               "       codesphere-snapshot gc      --store URL\n"
               "options: --cache DIR | --no-cache, --key-file FILE (or CODESPHERE_SNAPSHOT_KEY),\n"
               "         --init-key, --quiet\n"
               "URL: file:///PATH or s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT\n");
  return 2;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "codesphere-snapshot: %s\n", s.ToString().c_str());
  return 1;
}

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar(const char* verb, bool enabled) : verb_(verb), enabled_(enabled && ::isatty(2)) {}
  codesphere::filesync::ProgressCallback callback() {
    if (!enabled_) return nullptr;
    return [this](const Progress& p) { Draw(p); };
  }

 private:
  void Draw(const Progress& p) {
    double frac = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 1.0;
    int width = 30, fill = static_cast<int>(frac * width + 0.5);
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.resize(static_cast<std::size_t>(width), ' ');
    std::fprintf(stderr, "\r%s [%s] %3.0f%%  %llu/%llu files  %s/%s%s", verb_, bar.c_str(), frac * 100,
                 static_cast<unsigned long long>(p.files_done), static_cast<unsigned long long>(p.files_total),
                 HumanBytes(static_cast<double>(p.bytes_done)).c_str(),
                 HumanBytes(static_cast<double>(p.bytes_total)).c_str(), p.done ? "\n" : "  ");
    std::fflush(stderr);
  }
  const char* verb_;
  bool enabled_;
};

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/codesphere-snapshot";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/codesphere-snapshot";
  return "";
}

codesphere::Result<Bytes> ParseKey(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.size() == 32) return Bytes(text.begin(), text.end());
  auto key = codesphere::FromHex(text);
  if (!key.has_value() || key->size() != 32) {
    return codesphere::InvalidArgumentError("key must be 32 raw bytes or 64 hex digits");
  }
  return key;
}

std::string FormatTime(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  // A save or restore moves a gigabyte through 16 MiB pack buffers: keep freed memory in the
  // heap instead of returning it to the kernel and faulting fresh zeroed pages in again for
  // the next pack (glibc would mmap and munmap every buffer of this size).
  ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (argc < 2) return Usage();
  std::string cmd = argv[1];
  std::string store_url, project, cache = DefaultCacheDir(), key_file;
  bool quiet = false, init_key = false;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (a == "--store") {
      if (!value(store_url)) return Usage();
    } else if (a == "--project") {
      if (!value(project)) return Usage();
    } else if (a == "--cache") {
      if (!value(cache)) return Usage();
    } else if (a == "--no-cache") {
      cache.clear();
    } else if (a == "--key-file") {
      if (!value(key_file)) return Usage();
    } else if (a == "--init-key") {
      init_key = true;
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "codesphere-snapshot: unknown option %s\n", a.c_str());
      return Usage();
    } else {
      args.push_back(a);
    }
  }
  if (store_url.empty()) return Usage();

  RepositoryOptions options;
  options.cache_dir = cache;
  std::string key_text;
  if (!key_file.empty()) {
    std::ifstream f(key_file, std::ios::binary);
    if (!f) return Fail(codesphere::NotFoundError("cannot read key file " + key_file));
    key_text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  } else if (const char* k = std::getenv("CODESPHERE_SNAPSHOT_KEY"); k && *k) {
    key_text = k;
  }
  if (!key_text.empty()) {
    auto key = ParseKey(key_text);
    if (!key.has_value()) return Fail(key.error());
    options.key = *key;
  } else if (init_key) {
    options.key = codesphere::filesync::NewRepositoryKey();
    std::fprintf(stderr, "new repository key (keep it; it cannot be recovered): %s\n",
                 codesphere::ToHex(*options.key).c_str());
  }
  options.create = cmd == "save";

  auto store = codesphere::storage::OpenObjectStore(store_url);
  if (!store.has_value()) return Fail(store.error());
  auto repo_or = Repository::Open(**store, options);
  if (!repo_or.has_value()) return Fail(repo_or.error());
  Repository& repo = **repo_or;

  if (cmd == "save" && args.size() == 1) {
    ProgressBar bar("save", !quiet);
    codesphere::filesync::SaveOptions so;
    so.project = project;
    so.progress = bar.callback();
    auto t0 = std::chrono::steady_clock::now();
    auto r = repo.Save(args[0], so);
    if (!r.has_value()) return Fail(r.error());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s\n", r->snapshot.id.c_str());
    if (!quiet) {
      std::fprintf(stderr,
                   "snapshot %s: %llu files (%llu read, %llu unchanged), %s; %llu new chunks, "
                   "%llu reused, %s stored in %llu packs, %.2f s\n",
                   r->snapshot.id.c_str(), static_cast<unsigned long long>(r->snapshot.files),
                   static_cast<unsigned long long>(r->files_read),
                   static_cast<unsigned long long>(r->files_unchanged),
                   HumanBytes(static_cast<double>(r->snapshot.bytes)).c_str(),
                   static_cast<unsigned long long>(r->new_chunks),
                   static_cast<unsigned long long>(r->reused_chunks),
                   HumanBytes(static_cast<double>(r->stored_bytes)).c_str(),
                   static_cast<unsigned long long>(r->packs_written), secs);
    }
    return 0;
  }
  if (cmd == "ls" && args.empty()) {
    auto list = repo.List();
    if (!list.has_value()) return Fail(list.error());
    for (const auto& s : *list) {
      std::printf("%s %s %llu files %llu bytes project=%s source=%s\n", s.id.c_str(),
                  FormatTime(s.time_unix_ms).c_str(), static_cast<unsigned long long>(s.files),
                  static_cast<unsigned long long>(s.bytes), s.project.c_str(), s.source.c_str());
    }
    return 0;
  }
  if (cmd == "restore" && args.size() == 2) {
    ProgressBar bar("restore", !quiet);
    codesphere::filesync::RestoreOptions ro;
    ro.progress = bar.callback();
    auto r = repo.Restore(args[0], args[1], ro);
    if (!r.has_value()) return Fail(r.error());
    if (!quiet) {
      std::fprintf(stderr, "restored %llu files, %s into %s\n", static_cast<unsigned long long>(r->files),
                   HumanBytes(static_cast<double>(r->bytes)).c_str(), args[1].c_str());
    }
    return 0;
  }
  if (cmd == "fork" && args.size() == 2) {
    auto r = repo.Fork(args[0], args[1]);
    if (!r.has_value()) return Fail(r.error());
    std::printf("%s\n", r->id.c_str());
    return 0;
  }
  if (cmd == "forget" && args.size() == 1) {
    Status s = repo.Forget(args[0]);
    return s.ok() ? 0 : Fail(s);
  }
  if (cmd == "gc" && args.empty()) {
    auto r = repo.Gc();
    if (!r.has_value()) return Fail(r.error());
    std::printf("gc: %llu chunks kept, %llu deleted, %llu packs deleted, %llu rewritten, %s freed\n",
                static_cast<unsigned long long>(r->chunks_kept), static_cast<unsigned long long>(r->chunks_deleted),
                static_cast<unsigned long long>(r->packs_deleted),
                static_cast<unsigned long long>(r->packs_rewritten),
                HumanBytes(static_cast<double>(r->bytes_freed)).c_str());
    return 0;
  }
  return Usage();
}
