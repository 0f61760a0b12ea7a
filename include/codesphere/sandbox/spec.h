// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Spec`: the declarative description of a sandbox (root filesystem, user, environment,
// limits, network), shared by every `Launcher`. Plain data; serializable to JSON (cereal,
// privately) so a spec can be stored with a project or sent to a remote runner.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::sandbox {

// A host path made visible inside the sandbox. Directories and single files both work.
struct BindMount {
  std::string source;  // Absolute host path.
  std::string target;  // Absolute path inside the sandbox.
  // Default: true. A read-write bind is also `nosuid,nodev`.
  bool read_only = true;
  // Skip silently when `source` does not exist on the host (e.g. /lib64 on some distros).
  // Default: false.
  bool optional = false;
};

// A symbolic link created in the sandbox root, e.g. /bin -> usr/bin on merged-/usr hosts.
struct Symlink {
  std::string path;         // Absolute path inside the sandbox.
  std::string link_target;  // The link's contents, e.g. "usr/bin".
};

// A file generated into the sandbox's (read-only) root, e.g. /etc/passwd.
struct GeneratedFile {
  std::string path;  // Absolute path inside the sandbox.
  std::string contents;
  // Default: 0644.
  uint32_t mode = 0644;
};

// How the sandbox's root directory is composed. The root itself is a small tmpfs, made
// read-only once composed; /proc is fresh, /dev is minimal (null, zero, full, random,
// urandom, tty, ptmx backed by an own devpts instance) and /tmp, /dev/shm are private
// size-capped tmpfs mounts.
struct RootFs {
  std::vector<BindMount> binds;
  std::vector<Symlink> symlinks;
  std::vector<GeneratedFile> files;
  // Host directory bound read-write at `workspace_target`. Empty: no workspace.
  // Default: "".
  std::string workspace;
  // Default: "/workspace".
  std::string workspace_target = "/workspace";
  // Total size cap of the workspace in bytes (at least 16 MiB), or 0 for none. When set,
  // the launcher mounts a `WorkspaceVolume` (workspace_volume.h: an ext4 image on a loop
  // device) on `workspace` at Start, shared by every sandbox of that workspace, and
  // unmounts it when the last of them stops (unless the platform holds it too).
  // Default: 0.
  uint64_t workspace_size_bytes = 0;
  // Host path of that image (absolute, outside `workspace`). "" means
  // `DefaultWorkspaceImage(workspace)`, i.e. "<workspace>.img". Default: "".
  std::string workspace_image;
  // Size caps of the private tmpfs mounts. Default: 64 MiB each.
  uint64_t tmp_size_bytes = 64ull << 20;
  uint64_t shm_size_bytes = 64ull << 20;
};

// Identity of the processes inside. They never run as root inside.
struct User {
  // Default: 1000 / 1000 / "user".
  uint32_t uid = 1000;
  uint32_t gid = 1000;
  std::string name = "user";
  // The host uid/gid the inside user maps to. 0 asks the launcher to allocate a distinct
  // pair per sandbox from its range (LinuxNamespaceLauncherOptions). Default: 0.
  uint32_t outside_uid = 0;
  uint32_t outside_gid = 0;
};

// Resource limits. 0 means "no limit" for every field.
struct Limits {
  // cgroup memory limit (swap included where accounted). Default: 512 MiB.
  uint64_t memory_bytes = 512ull << 20;
  // cgroup pids limit (processes + threads). Default: 256.
  uint64_t pids = 256;
  // CPU quota in thousandths of a CPU (1000 = one full core). Default: 1000.
  uint64_t cpu_millis = 1000;
  // RLIMIT_CPU per process, in seconds (SIGXCPU, then SIGKILL). Default: 0.
  uint64_t cpu_time_seconds = 0;
  // Wall-clock limit per process, enforced while it is waited on (`Process::Wait`,
  // `RunAndCollect`): the process is killed at the deadline. Default: 0.
  uint64_t wall_time_ms = 0;
  // RLIMIT_NOFILE. Default: 1024.
  uint64_t open_files = 1024;
  // RLIMIT_FSIZE: the largest file a process may write. Default: 1 GiB.
  uint64_t file_size_bytes = 1ull << 30;
  // Bytes of stdout+stderr `RunAndCollect` keeps before killing the process. Default: 16 MiB.
  uint64_t output_bytes = 16ull << 20;
};

enum class NetworkMode : int {
  // Own network namespace with only loopback up. Reach ports inside with
  // `Sandbox::Connect`.
  kNone = 0,
  // Reserved: own namespace plus a veth with an egress allow-list (not yet offered; a
  // launcher rejects it with kUnimplemented).
  kAllowlist = 1,
};

// Everything a launcher needs to start a sandbox.
struct Spec {
  RootFs rootfs;
  User user;
  // Default: "sandbox".
  std::string hostname = "sandbox";
  // The environment, by allow-list only: exactly these variables (plus those named in
  // `env_passthrough`, copied from the supervisor's environment when the sandbox starts).
  std::map<std::string, std::string> env;
  std::vector<std::string> env_passthrough;
  // Working directory inside for spawned processes. Default: "/workspace".
  std::string cwd = "/workspace";
  Limits limits;
  // Default: kNone.
  NetworkMode network = NetworkMode::kNone;
};

// Returns a ready-to-use spec for `workspace`: the host's /usr (plus /bin, /sbin, /lib,
// /lib32, /lib64 as binds or as the symlinks the host has), /etc/ssl/certs,
// /etc/alternatives and /etc/ld.so.cache read-only, a generated /etc (passwd, group, hosts,
// resolv.conf, hostname, nsswitch.conf), PATH/HOME/USER/LANG set, TERM passed through.
Spec DefaultSpec(std::string_view workspace);

// Checks paths (absolute, normalized, no "..", no NUL), names and values.
// Returns kInvalidArgument naming the bad field.
Status ValidateSpec(const Spec& spec);

// JSON round trip (cereal's JSON archive, field names as above).
// `SpecFromJson` returns kDataLoss on malformed JSON and the errors of `ValidateSpec`.
Result<std::string> SpecToJson(const Spec& spec);
Result<Spec> SpecFromJson(std::string_view json);

// Parses a human size: "256M", "1G", "512k", "4096" (bytes). Suffixes are powers of 1024.
// Returns kInvalidArgument on anything else.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace codesphere::sandbox
