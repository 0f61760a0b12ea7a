// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `PlatformOptions`: the configuration of a `Platform` (codesphere-server's flags and
// environment map onto it one to one; see docs/platform.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "codesphere/base/clock.h"
#include "codesphere/base/metrics.h"

namespace codesphere::server {

// Which sandbox launcher runs projects.
enum class SandboxMode {
  // LinuxNamespaceLauncher when the probe passes on this machine, else the launcher without
  // isolation with a loud warning (development machines without user namespaces).
  kAuto,
  // LinuxNamespaceLauncher or fail to start.
  kNamespaces,
  // Plain host processes in the workspace (development and tests only).
  kNone,
};

// Who may load a project's live preview (HTTP and WebSocket, both URL forms).
enum class PreviewAccess {
  // Anyone who can reach the server, for every project (like published apps).
  kPublic,
  // Members only, unless the project's owner made its preview public
  // (PATCH /api/projects/{id} {"public_preview": true}): a preview token from
  // POST /api/projects/{id}/preview (traded for a cookie on the preview origin) or, on
  // /preview/{project}/, the member's session. Others get 401 (anonymous) or 403.
  kMembers,
};

struct PlatformOptions {
  // Listening address and port (0 picks a free port; see Platform::port()). Default:
  // 127.0.0.1:0.
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  // The data directory (created if missing): metadata.db, keyring, rooms/, workspaces/,
  // objects/ (snapshots), cache/. REQUIRED.
  std::filesystem::path data_dir;
  // The templates (directories with codesphere-template.json). REQUIRED.
  std::filesystem::path templates_dir;
  // The built web IDE (web/dist); empty or missing serves a short notice at "/".
  std::filesystem::path web_root;
  // The public origin used in share links ("http://host:port"); empty derives it from the
  // request's Host header.
  std::string public_origin;

  // Sandboxes.
  SandboxMode sandbox = SandboxMode::kAuto;
  // A project's sandbox stops (after a snapshot) when nothing used it for this long: no open
  // terminal, event or room connection, no API or preview request, no run. Always-on
  // projects are never stopped. Default: 10 min.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(10);
  // Workspaces changed since their last snapshot are snapshotted this often. Default: 5 min.
  std::chrono::milliseconds snapshot_interval = std::chrono::minutes(5);
  // Memory and process limits of each sandbox.
  std::uint64_t sandbox_memory_bytes = 1ull << 30;
  std::uint64_t sandbox_pids = 512;
  // The port the preview proxies to when the request does not say (?port=). Default: 8000.
  std::uint16_t preview_port = 8000;
  // Default: kMembers.
  PreviewAccess preview_access = PreviewAccess::kMembers;
  // Disk quota of each project's workspace in bytes (at least 16 MiB), or 0 for none. With a
  // cap, a workspace is an ext4 file system in a sparse image `DATA/volumes/<project>.img`
  // mounted on `DATA/workspaces/<project>` while the platform uses the project
  // (sandbox/workspace_volume.h): programs filling it get ENOSPC, REST writes past it 507,
  // and the host disk holds at most the cap per project. Needs root, loop devices, ext4 and
  // e2fsprogs; where `sandbox::ProbeWorkspaceVolumeSupport()` fails the platform logs a
  // warning and runs workspaces uncapped. Projects that already have an image keep using it
  // (at its size) when the cap is 0. Changing the cap resizes images at their next mount.
  // Default: 0 (no cap; codesphere-server's --workspace-size defaults to 1 GiB).
  std::uint64_t workspace_size_bytes = 0;

  // Authentication.
  // Session lifetime (cookie Max-Age and token expiry). Default: 7 days.
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 7);
  // Argon2id cost. Tests lower it (auth::PasswordHasherOptions::MinimumForTests()).
  bool fast_password_hashing = false;
  // Mark the session cookie Secure (behind an HTTPS terminator). Default: false.
  bool secure_cookies = false;
  // Rate limits (token buckets): login/signup per client address, and sandbox or terminal
  // creation (project create/fork, new terminal, run) per user. `burst` requests at once,
  // then one per `interval`.
  std::uint32_t login_burst = 10;
  std::chrono::milliseconds login_interval = std::chrono::seconds(6);
  std::uint32_t create_burst = 20;
  std::chrono::milliseconds create_interval = std::chrono::seconds(3);

  // fsync room logs (turn off only in benchmarks). Default: true.
  bool sync_rooms = true;
  // Threads for blocking work (SQLite, password hashing, snapshots, sandbox starts).
  // Default: 4.
  int blocking_threads = 4;
  // Registers the platform's metrics here when set (and renders it at /metrics); must
  // outlive the platform. Default: an internal registry.
  MetricsRegistry* metrics = nullptr;
  // Time source (tokens, rate limits). Must outlive the platform. Default: the real clock.
  const Clock* clock = nullptr;
};

}  // namespace codesphere::server
