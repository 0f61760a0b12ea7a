// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// cereal adapters: the only place filesync touches cereal. cereal throws on malformed input;
// each decoder catches it and returns kDataLoss (STYLE.md §5).
#include "filesync/formats.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/common.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <sstream>

namespace codesphere::filesync {

template <class Archive>
void serialize(Archive& ar, ChunkRef& c) {
  ar(c.id, c.size);
}

template <class Archive>
void serialize(Archive& ar, ManifestEntry& e) {
  ar(e.path, e.type, e.mode, e.size, e.mtime_ns, e.link_target, e.chunks, e.inode, e.ctime_ns);
}

template <class Archive>
void serialize(Archive& ar, Manifest& m) {
  ar(m.version, m.id, m.parent, m.project, m.source, m.time_unix_ms, m.entries);
}

template <class Archive>
void serialize(Archive& ar, ChunkerParams& p) {
  ar(p.min_size, p.avg_size, p.max_size);
}

namespace internal {

template <class Archive>
void serialize(Archive& ar, IndexEntry& e) {
  ar(e.id, e.pack, e.offset, e.length, e.raw_size);
}

template <class Archive>
void serialize(Archive& ar, IndexFile& f) {
  ar(f.version, f.entries);
}

template <class Archive>
void serialize(Archive& ar, RepoConfig& c) {
  ar(c.version, c.repo_id, c.chunker, c.encrypted, c.key_check);
}

}  // namespace internal

namespace {

constexpr char kMagic[] = "CSFS";

template <typename T>
Bytes Encode(const T& value) {
  std::ostringstream os(std::ios::binary);
  os.write(kMagic, 4);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  std::string s = std::move(os).str();
  return Bytes(s.begin(), s.end());
}

template <typename T>
Result<T> Decode(ByteSpan bytes, std::uint32_t max_version, const char* what) {
  if (bytes.size() < 4 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 4) != kMagic) {
    return DataLossError(std::string(what) + ": bad magic");
  }
  T value;
  try {
    std::istringstream is(std::string(reinterpret_cast<const char*>(bytes.data()) + 4, bytes.size() - 4),
                          std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    ar(value);
  } catch (const std::exception& e) {
    return DataLossError(std::string(what) + ": malformed (" + e.what() + ")");
  }
  if (value.version == 0 || value.version > max_version) {
    return DataLossError(std::string(what) + ": unsupported version " + std::to_string(value.version));
  }
  return value;
}

}  // namespace

std::uint64_t Manifest::TotalBytes() const {
  std::uint64_t total = 0;
  for (const auto& e : entries) {
    if (e.type == EntryType::kFile) total += e.size;
  }
  return total;
}

Bytes EncodeManifest(const Manifest& manifest) { return Encode(manifest); }

Result<Manifest> DecodeManifest(ByteSpan bytes) {
  return Decode<Manifest>(bytes, 1, "manifest");
}

namespace internal {

Bytes EncodeIndex(const IndexFile& index) { return Encode(index); }
Result<IndexFile> DecodeIndex(ByteSpan bytes) { return Decode<IndexFile>(bytes, 1, "index"); }
Bytes EncodeConfig(const RepoConfig& config) { return Encode(config); }
Result<RepoConfig> DecodeConfig(ByteSpan bytes) { return Decode<RepoConfig>(bytes, 1, "config"); }

}  // namespace internal
}  // namespace codesphere::filesync
