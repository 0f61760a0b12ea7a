// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Test helpers: deterministic directory trees and exact tree comparison.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

namespace codesphere::filesync::testing {

namespace fs = std::filesystem;

// A scratch directory on tmpfs (/dev/shm) when available: tests create and delete tens of
// thousands of files, which is slow on the journal-less ext4 of these machines.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string base = fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    std::string tmpl = base + "/" + prefix + "XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void WriteFile(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// `files` files in nested directories: text, binary, empty, duplicates, a few executables,
// symlinks (relative, absolute, dangling, to directories) and empty directories.
inline void MakeTree(const fs::path& root, int files, std::uint32_t seed, std::size_t big_file = 0) {
  std::mt19937 rng(seed);
  std::string last;
  for (int i = 0; i < files; ++i) {
    fs::path dir = root;
    int depth = static_cast<int>(rng() % 4);
    for (int d = 0; d < depth; ++d) dir /= "d" + std::to_string(rng() % 12);
    int kind = static_cast<int>(rng() % 20);
    std::string name = "f" + std::to_string(i);
    std::string data;
    if (kind == 0) {
      // empty
    } else if (kind == 1 && !last.empty()) {
      data = last;  // duplicate content
    } else if (kind < 8) {
      std::size_t n = rng() % 3000;
      for (std::size_t k = 0; k < n; ++k) data.push_back(static_cast<char>(rng()));
      name += ".bin";
    } else {
      int lines = static_cast<int>(rng() % 40);
      for (int l = 0; l < lines; ++l) data += "line " + std::to_string(rng() % 1000) + " of file " + std::to_string(i) + "\n";
      name += ".txt";
    }
    WriteFile(dir / name, data);
    if (rng() % 50 == 0) fs::permissions(dir / name, fs::perms::owner_all | fs::perms::group_read);
    last = data;
  }
  if (big_file > 0) {
    std::string data(big_file, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    WriteFile(root / "big.bin", data);
  }
  fs::create_directories(root / "empty_dir/nested_empty");
  fs::create_directories(root / "links");
  fs::create_symlink("../f1.txt", root / "links/rel");
  fs::create_symlink("/etc/passwd", root / "links/abs");
  fs::create_symlink("does/not/exist", root / "links/dangling");
  fs::create_directory_symlink("..", root / "links/up");
  fs::permissions(root / "empty_dir", fs::perms::owner_all);
}

// Appends a description of every difference between trees `a` and `b` (types, content,
// permissions, symlink targets, file mtimes).
inline std::string DiffTrees(const fs::path& a, const fs::path& b) {
  auto collect = [](const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
      const fs::path& p = it->path();
      std::string rel = p.lexically_relative(root).string();  // fs::relative follows symlinks.
      struct stat st;
      ::lstat(p.c_str(), &st);
      std::ostringstream d;
      d << std::oct << (st.st_mode & 07777) << std::dec;
      if (S_ISLNK(st.st_mode)) {
        d << " link " << fs::read_symlink(p).string();
      } else if (S_ISDIR(st.st_mode)) {
        d << " dir";
      } else {
        d << " file " << st.st_size << " mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " "
          << std::hash<std::string>()(ReadFile(p));
      }
      out[rel] = d.str();
    }
    return out;
  };
  auto ma = collect(a), mb = collect(b);
  std::string diff;
  for (const auto& [k, v] : ma) {
    auto it = mb.find(k);
    if (it == mb.end()) {
      diff += "missing " + k + "\n";
    } else if (it->second != v) {
      diff += "differs " + k + ": " + v + " vs " + it->second + "\n";
    }
  }
  for (const auto& [k, v] : mb) {
    if (!ma.count(k)) diff += "extra " + k + "\n";
  }
  return diff.substr(0, 2000);
}

}  // namespace codesphere::filesync::testing
