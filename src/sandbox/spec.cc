// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Spec defaults, validation, and the cereal JSON adapter (the only place cereal is used).
#include "codesphere/sandbox/spec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cereal/archives/json.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdlib>
#include <sstream>

#include "codesphere/base/status_macros.h"

namespace codesphere::sandbox {

template <class Archive>
void serialize(Archive& ar, BindMount& m) {
  ar(cereal::make_nvp("source", m.source), cereal::make_nvp("target", m.target),
     cereal::make_nvp("read_only", m.read_only), cereal::make_nvp("optional", m.optional));
}
template <class Archive>
void serialize(Archive& ar, Symlink& s) {
  ar(cereal::make_nvp("path", s.path), cereal::make_nvp("link_target", s.link_target));
}
template <class Archive>
void serialize(Archive& ar, GeneratedFile& f) {
  ar(cereal::make_nvp("path", f.path), cereal::make_nvp("contents", f.contents),
     cereal::make_nvp("mode", f.mode));
}
// The members every stored spec has (`R` is RootFs or const RootFs).
template <class Archive, class R>
void RootFsCoreFields(Archive& ar, R& r) {
  ar(cereal::make_nvp("binds", r.binds), cereal::make_nvp("symlinks", r.symlinks),
     cereal::make_nvp("files", r.files), cereal::make_nvp("workspace", r.workspace),
     cereal::make_nvp("workspace_target", r.workspace_target),
     cereal::make_nvp("tmp_size_bytes", r.tmp_size_bytes),
     cereal::make_nvp("shm_size_bytes", r.shm_size_bytes));
}
template <class Archive>
void save(Archive& ar, const RootFs& r) {
  RootFsCoreFields(ar, r);
  ar(cereal::make_nvp("workspace_size_bytes", r.workspace_size_bytes),
     cereal::make_nvp("workspace_image", r.workspace_image));
}
template <class Archive>
void load(Archive& ar, RootFs& r) {
  RootFsCoreFields(ar, r);
  // Added later: specs stored before have no workspace cap. cereal's JSON archive looks
  // members up by name, so a missing one throws without moving the archive.
  try {
    ar(cereal::make_nvp("workspace_size_bytes", r.workspace_size_bytes));
  } catch (const cereal::Exception&) {
    r.workspace_size_bytes = 0;
  }
  try {
    ar(cereal::make_nvp("workspace_image", r.workspace_image));
  } catch (const cereal::Exception&) {
    r.workspace_image.clear();
  }
}
template <class Archive>
void serialize(Archive& ar, User& u) {
  ar(cereal::make_nvp("uid", u.uid), cereal::make_nvp("gid", u.gid),
     cereal::make_nvp("name", u.name), cereal::make_nvp("outside_uid", u.outside_uid),
     cereal::make_nvp("outside_gid", u.outside_gid));
}
template <class Archive>
void serialize(Archive& ar, Limits& l) {
  ar(cereal::make_nvp("memory_bytes", l.memory_bytes), cereal::make_nvp("pids", l.pids),
     cereal::make_nvp("cpu_millis", l.cpu_millis),
     cereal::make_nvp("cpu_time_seconds", l.cpu_time_seconds),
     cereal::make_nvp("wall_time_ms", l.wall_time_ms),
     cereal::make_nvp("open_files", l.open_files),
     cereal::make_nvp("file_size_bytes", l.file_size_bytes),
     cereal::make_nvp("output_bytes", l.output_bytes));
}
template <class Archive>
void save(Archive& ar, const Spec& s) {
  std::string network = s.network == NetworkMode::kNone ? "none" : "allowlist";
  ar(cereal::make_nvp("rootfs", s.rootfs), cereal::make_nvp("user", s.user),
     cereal::make_nvp("hostname", s.hostname), cereal::make_nvp("env", s.env),
     cereal::make_nvp("env_passthrough", s.env_passthrough), cereal::make_nvp("cwd", s.cwd),
     cereal::make_nvp("limits", s.limits), cereal::make_nvp("network", network));
}
template <class Archive>
void load(Archive& ar, Spec& s) {
  std::string network;
  ar(cereal::make_nvp("rootfs", s.rootfs), cereal::make_nvp("user", s.user),
     cereal::make_nvp("hostname", s.hostname), cereal::make_nvp("env", s.env),
     cereal::make_nvp("env_passthrough", s.env_passthrough), cereal::make_nvp("cwd", s.cwd),
     cereal::make_nvp("limits", s.limits), cereal::make_nvp("network", network));
  if (network == "none") {
    s.network = NetworkMode::kNone;
  } else if (network == "allowlist") {
    s.network = NetworkMode::kAllowlist;
  } else {
    throw cereal::Exception("unknown network mode '" + network + "'");
  }
}

namespace {

bool IsSymlink(const std::string& path, std::string* target) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return false;
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return false;
  target->assign(buf, static_cast<size_t>(n));
  return true;
}

// An absolute, normalized path: starts with '/', no empty, "." or ".." components, no NUL.
Status CheckAbsolutePath(std::string_view field, std::string_view path) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(std::string(field) + " '" + std::string(path) + "' " +
                                std::string(why));
  };
  if (path.empty() || path[0] != '/') return bad("must be an absolute path");
  if (path.size() > 4000) return bad("is too long");
  if (path.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (path == "/") return OkStatus();
  if (path.back() == '/') return bad("must not end with '/'");
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(pos, end - pos);
    if (comp.empty() || comp == "." || comp == "..") return bad("must be normalized");
    pos = end + 1;
  }
  return OkStatus();
}

bool IsPlainName(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Spec DefaultSpec(std::string_view workspace) {
  Spec spec;
  spec.rootfs.workspace = std::string(workspace);
  spec.rootfs.binds.push_back({"/usr", "/usr", true, false});
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::string target;
    if (IsSymlink(dir, &target)) {
      spec.rootfs.symlinks.push_back({dir, target});
    } else {
      spec.rootfs.binds.push_back({dir, dir, true, true});
    }
  }
  spec.rootfs.binds.push_back({"/etc/ssl/certs", "/etc/ssl/certs", true, true});
  spec.rootfs.binds.push_back({"/etc/alternatives", "/etc/alternatives", true, true});
  spec.rootfs.binds.push_back({"/etc/ld.so.cache", "/etc/ld.so.cache", true, true});
  const std::string uid = std::to_string(spec.user.uid);
  const std::string gid = std::to_string(spec.user.gid);
  spec.rootfs.files = {
      {"/etc/passwd",
       "root:x:0:0:root:/root:/bin/sh\n" + spec.user.name + ":x:" + uid + ":" + gid +
           "::/workspace:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
       0644},
      {"/etc/group",
       "root:x:0:\n" + spec.user.name + ":x:" + gid + ":\nnogroup:x:65534:\n", 0644},
      {"/etc/hosts", "127.0.0.1\tlocalhost " + spec.hostname + "\n::1\tlocalhost\n", 0644},
      {"/etc/resolv.conf", "nameserver 127.0.0.1\n", 0644},
      {"/etc/hostname", spec.hostname + "\n", 0644},
      {"/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n", 0644},
  };
  spec.env = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"},
      {"HOME", "/workspace"},
      {"USER", spec.user.name},
      {"LANG", "C.UTF-8"},
  };
  spec.env_passthrough = {"TERM"};
  return spec;
}

Status ValidateSpec(const Spec& spec) {
  for (const BindMount& m : spec.rootfs.binds) {
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("bind source", m.source));
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("bind target", m.target));
    if (m.target == "/") return InvalidArgumentError("bind target must not be '/'");
  }
  for (const Symlink& s : spec.rootfs.symlinks) {
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("symlink path", s.path));
    if (s.link_target.empty() || s.link_target.find('\0') != std::string::npos) {
      return InvalidArgumentError("symlink '" + s.path + "' has an empty or bad target");
    }
  }
  for (const GeneratedFile& f : spec.rootfs.files) {
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("generated file", f.path));
    if (f.mode > 07777) return InvalidArgumentError("generated file mode out of range");
    if (f.contents.size() > (1u << 20)) {
      return InvalidArgumentError("generated file '" + f.path + "' is larger than 1 MiB");
    }
  }
  if (!spec.rootfs.workspace.empty()) {
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("workspace", spec.rootfs.workspace));
    CODESPHERE_RETURN_IF_ERROR(
        CheckAbsolutePath("workspace_target", spec.rootfs.workspace_target));
    if (spec.rootfs.workspace_target == "/") {
      return InvalidArgumentError("workspace_target must not be '/'");
    }
  }
  if (spec.rootfs.workspace_size_bytes != 0) {
    if (spec.rootfs.workspace.empty()) {
      return InvalidArgumentError("workspace_size_bytes needs a workspace");
    }
    if (spec.rootfs.workspace_size_bytes < (16u << 20)) {
      return InvalidArgumentError("workspace_size_bytes below 16 MiB");
    }
  }
  if (!spec.rootfs.workspace_image.empty()) {
    CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("workspace_image", spec.rootfs.workspace_image));
    const std::string& ws = spec.rootfs.workspace;
    if (!ws.empty() && (spec.rootfs.workspace_image == ws ||
                        spec.rootfs.workspace_image.rfind(ws == "/" ? ws : ws + "/", 0) == 0)) {
      // The sandbox could rewrite the image the kernel mounts: never.
      return InvalidArgumentError("workspace_image must not lie inside the workspace");
    }
  }
  CODESPHERE_RETURN_IF_ERROR(CheckAbsolutePath("cwd", spec.cwd));
  if (!IsPlainName(spec.hostname, 64)) {
    return InvalidArgumentError("hostname '" + spec.hostname + "' is not a plain name");
  }
  if (!IsPlainName(spec.user.name, 32)) {
    return InvalidArgumentError("user name '" + spec.user.name + "' is not a plain name");
  }
  if (spec.user.uid == 0 || spec.user.gid == 0) {
    return InvalidArgumentError("the sandbox user must not be root (uid/gid 0)");
  }
  if (spec.user.uid >= 65534 || spec.user.gid >= 65534) {
    return InvalidArgumentError("the sandbox uid/gid must be below 65534");
  }
  if ((spec.user.outside_uid == 0) != (spec.user.outside_gid == 0)) {
    return InvalidArgumentError("outside_uid and outside_gid must be set together");
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos ||
        key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return InvalidArgumentError("bad environment variable '" + key + "'");
    }
  }
  for (const std::string& key : spec.env_passthrough) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return InvalidArgumentError("bad env_passthrough name '" + key + "'");
    }
  }
  if (spec.limits.memory_bytes != 0 && spec.limits.memory_bytes < (4u << 20)) {
    return InvalidArgumentError("memory limit below 4 MiB");
  }
  if (spec.network != NetworkMode::kNone && spec.network != NetworkMode::kAllowlist) {
    return InvalidArgumentError("unknown network mode");
  }
  return OkStatus();
}

Result<std::string> SpecToJson(const Spec& spec) {
  try {
    std::ostringstream os;
    {
      cereal::JSONOutputArchive ar(os);
      ar(cereal::make_nvp("spec", spec));
    }
    return os.str();
  } catch (const std::exception& e) {
    return InternalError(std::string("encoding spec: ") + e.what());
  }
}

Result<Spec> SpecFromJson(std::string_view json) {
  Spec spec;
  try {
    std::istringstream is{std::string(json)};
    cereal::JSONInputArchive ar(is);
    ar(cereal::make_nvp("spec", spec));
  } catch (const std::exception& e) {
    return DataLossError(std::string("decoding spec: ") + e.what());
  }
  CODESPHERE_RETURN_IF_ERROR(ValidateSpec(spec));
  return spec;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  if (text.empty() || text.size() > 24) {
    return InvalidArgumentError("bad size '" + std::string(text) + "'");
  }
  uint64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    uint64_t next = value * 10 + static_cast<uint64_t>(text[i] - '0');
    if (next / 10 != value) return InvalidArgumentError("size '" + std::string(text) + "' overflows");
    value = next;
  }
  if (i == 0) return InvalidArgumentError("bad size '" + std::string(text) + "'");
  std::string_view suffix = text.substr(i);
  int shift = 0;
  if (suffix.empty() || suffix == "b" || suffix == "B") {
    shift = 0;
  } else if (suffix == "k" || suffix == "K" || suffix == "KiB" || suffix == "KB") {
    shift = 10;
  } else if (suffix == "m" || suffix == "M" || suffix == "MiB" || suffix == "MB") {
    shift = 20;
  } else if (suffix == "g" || suffix == "G" || suffix == "GiB" || suffix == "GB") {
    shift = 30;
  } else if (suffix == "t" || suffix == "T" || suffix == "TiB" || suffix == "TB") {
    shift = 40;
  } else {
    return InvalidArgumentError("bad size suffix in '" + std::string(text) + "'");
  }
  if (shift != 0 && (value >> (64 - shift)) != 0) {
    return InvalidArgumentError("size '" + std::string(text) + "' overflows");
  }
  return value << shift;
}

}  // namespace codesphere::sandbox
