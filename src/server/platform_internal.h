// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The parts of `Platform` shared by its endpoint families (platform.cc: core, auth, static
// files, preview, health; api.cc: REST; runtime.cc: sandboxes, terminals, run, events;
// rooms.cc: file rooms mirrored into workspaces). Private to the server module.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/password_hasher.h"
#include "codesphere/auth/rate_limiter.h"
#include "codesphere/auth/role.h"
#include "codesphere/auth/token.h"
#include "codesphere/auth/token_verifier.h"
#include "codesphere/base/any.h"
#include "codesphere/base/metrics.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/filesync/repository.h"
#include "codesphere/filesync/templates.h"
#include "codesphere/net/server.h"
#include "codesphere/pty/multiplexer.h"
#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/safe_file.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "codesphere/server/collab_service.h"
#include "codesphere/server/platform.h"
#include "codesphere/storage/object_store.h"
#include "codesphere/sync/document_store.h"
#include "server/metadata_store.h"
#include "server/workspace_sync.h"

namespace codesphere::server {
namespace internal {

class ProjectRuntime;

// Preview tokens: the one in a preview URL (traded for a cookie on first use) and the one in
// that cookie.
inline constexpr std::chrono::seconds kPreviewUrlTokenTtl{600};
inline constexpr std::chrono::seconds kPreviewCookieTtl{3600};

// The authenticated user of a request.
struct Caller {
  UserRecord user;
  auth::TokenClaims claims;
};

// JSON helpers.
using Object = Any::Object;
using Array = Any::Array;
net::HttpResponse JsonResponse(int status, const Any& value);
net::HttpResponse ErrorResponse(const Status& status);
// A JSON object body ({} when empty); kInvalidArgument otherwise.
Result<Any> ParseJsonBody(const net::HttpRequest& request);
// The string member `key` of `body`, or nullopt.
std::optional<std::string> StringField(const Any& body, std::string_view key);

// Workspace-relative paths: percent-decoded segments, no "", ".", ".." or leading '/'.
Result<std::string> ValidateRelativePath(std::string_view path);
// Project ids are DNS labels: [a-z0-9-]{1,63}.
bool ValidProjectId(std::string_view id);

// "<project>/<path>" room names (as the IDE sends them: segments percent-encoded).
struct RoomName {
  std::string project;
  std::string path;  // decoded; ".codesphere/..." for project documents
};
std::optional<RoomName> ParseRoomName(std::string_view room);
// The canonical encoding of a workspace path in a room name: every byte but
// [A-Za-z0-9-._~/] as %XX (upper-case hex), so each file has exactly one room.
std::string EncodeRoomPath(std::string_view path);
// Parses `room` and insists it is canonical: kInvalidArgument names the canonical form for
// "a//b", "./a", "a/", "%61", ".." and the like; kNotFound when it is no {project}/{path}.
Result<RoomName> ParseCanonicalRoomName(std::string_view room);

// A project's workspace opened for host-side access: the directory and, for a capped
// workspace, the volume mounted on it, held for as long as this lives (the directory's fd
// goes first: members are destroyed in reverse order). Every host-side access to a
// workspace goes through one (Platform::Impl::OpenWorkspace): while a volume is not
// mounted, the workspace directory is an empty mount point and the files live in the image.
struct HeldWorkspace {
  std::shared_ptr<sandbox::WorkspaceVolume> volume;  // null when the workspace is uncapped
  sandbox::SafeDir dir;
};

// Seeds and reconciles file rooms with the workspace (rooms.cc).
std::shared_ptr<sync::DocumentStore> NewWorkspaceDocumentStore(
    std::unique_ptr<sync::DocumentStore> inner,
    std::function<Result<HeldWorkspace>(std::string_view project)> open_workspace);

// The live side of one project: its sandbox (started on demand), its terminals (a
// multiplexer whose sessions run in the sandbox), the run state and the /events sockets.
// Terminal and event state lives on the multiplexer's strand; the sandbox is guarded by
// `sandbox_mu` (starting one blocks briefly).
class ProjectRuntime : public std::enable_shared_from_this<ProjectRuntime> {
 public:
  // `volume`: the project's workspace volume (null when uncapped), held while the runtime,
  // its workspace watch and its file agents live.
  ProjectRuntime(Platform::Impl& core, std::string id,
                 std::shared_ptr<sandbox::WorkspaceVolume> volume);
  ~ProjectRuntime();
  ProjectRuntime(const ProjectRuntime&) = delete;
  ProjectRuntime& operator=(const ProjectRuntime&) = delete;

  const std::string& id() const { return id_; }
  pty::Multiplexer& mux() { return mux_; }
  asio::any_io_executor strand() const { return mux_.get_executor(); }

  // Thread-safe (blocking).
  Status EnsureSandbox();
  bool has_sandbox();
  Result<sandbox::UniqueFd> ConnectPreview(std::uint16_t port);
  void StopSandbox();

  // Strand only.
  Result<std::string> NewShell(std::string title, std::string id = {});
  Status Run(const std::string& command);
  Status StopRun();
  Any ListTerminals() const;
  void OnPtyOpen(const std::string& terminal, pty::ViewerRole role, pty::WindowSize size,
                 std::shared_ptr<net::WebSocket> ws);
  void OnPtyMessage(std::uint64_t ws_id, const Bytes& data);
  void OnPtyClose(std::uint64_t ws_id);
  void OnEventsOpen(std::shared_ptr<net::WebSocket> ws, std::string username, std::string display);
  void OnEventsClose(std::uint64_t ws_id);
  void Broadcast(const std::string& json);
  void CloseAll();
  std::string run_state() const { return run_state_; }
  // The workspace watch and the file agents of the project's open rooms (thread-safe).
  WorkspaceSync& files() { return *files_; }

  std::atomic<std::int64_t> last_active_ms{0};
  std::atomic<int> connections{0};
  std::atomic<bool> running{false};

 private:
  struct Terminal {
    pty::SessionId session = 0;
    std::string title;
    std::string command;
    std::shared_ptr<sandbox::Process> process;
  };
  struct PtyConn {
    std::shared_ptr<net::WebSocket> ws;
    std::unique_ptr<pty::Viewer> viewer;
  };
  struct EventConn {
    std::shared_ptr<net::WebSocket> ws;
    std::string username;
    std::string display;
  };
  Result<pty::SessionId> StartSession(const std::string& name, std::string title,
                                      std::vector<std::string> argv, std::string display_command);
  void Presence();
  void OnExit(pty::SessionId session, pty::ExitStatus status);

  Platform::Impl& core_;
  std::string id_;
  const std::shared_ptr<sandbox::WorkspaceVolume> volume_;
  std::shared_ptr<WorkspaceSync> files_;
  std::mutex sandbox_mu_;
  std::unique_ptr<sandbox::Sandbox> sandbox_;  // guarded by sandbox_mu_
  pty::Multiplexer mux_;
  // Strand only:
  std::map<std::string, Terminal> terminals_;
  int next_terminal_ = 1;
  std::string run_state_ = "stopped";
  std::int64_t run_id_ = 0;
  std::map<std::uint64_t, PtyConn> ptys_;
  std::map<std::uint64_t, EventConn> events_;
};

}  // namespace internal

struct Platform::Impl : std::enable_shared_from_this<Platform::Impl> {
  Impl(asio::any_io_executor ex, PlatformOptions opts);
  ~Impl();

  // ---- configuration and services (set up by Create, immutable afterwards)
  asio::any_io_executor executor;
  PlatformOptions options;
  const Clock* clock = nullptr;
  MetricsRegistry own_metrics;
  MetricsRegistry* metrics = nullptr;
  std::unique_ptr<MetadataStore> store;
  std::shared_ptr<const auth::Keyring> keyring;
  std::unique_ptr<auth::TokenIssuer> issuer;
  std::unique_ptr<auth::KeyringTokenVerifier> verifier;
  std::optional<auth::PasswordHasher> hasher;
  std::unique_ptr<auth::RateLimiter> login_limiter;
  std::unique_ptr<auth::RateLimiter> create_limiter;
  std::unique_ptr<storage::ObjectStore> objects;
  std::mutex repo_mu;
  std::unique_ptr<filesync::Repository> repo;  // guarded by repo_mu
  std::vector<filesync::TemplateInfo> templates;
  std::unique_ptr<sandbox::Launcher> launcher;
  std::string sandbox_kind;
  std::unique_ptr<net::Server> server;
  std::unique_ptr<CollabService> collab;
  asio::thread_pool blocking;
  // Threads that wait for `blocking` to empty after a Stop, then report the platform stopped
  // (guarded by mu; joined by ~Impl).
  std::vector<std::thread> stop_waiters;
  asio::steady_timer maintenance_timer;
  std::atomic<bool> stopping{false};
  // Admits the platform's own file agents to rooms (header X-Codesphere-Agent); random per
  // process, never leaves it.
  std::string agent_secret;
  std::int64_t last_snapshot_ms = 0;  // maintenance timer only

  // ---- metrics
  Counter* logins = nullptr;
  Counter* login_failures = nullptr;
  Counter* rate_limited = nullptr;
  Counter* sandbox_starts = nullptr;
  Counter* sandbox_stops = nullptr;
  Counter* snapshots = nullptr;
  Histogram* sandbox_start_seconds = nullptr;
  Histogram* request_seconds = nullptr;
  Counter* workspace_full = nullptr;

  // ---- per-project runtimes
  std::mutex mu;
  std::map<std::string, std::shared_ptr<internal::ProjectRuntime>, std::less<>> runtimes;  // mu
  // File rooms loaded now, for mirroring edits into the workspace (rooms.cc).
  std::map<std::string, sync::Room*, std::less<>> open_rooms;  // mu
  // Projects whose workspace changed since their last snapshot.
  std::set<std::string, std::less<>> dirty;  // mu

  // ---- workspace volumes (disk quotas; volumes.cc)
  // OK when this host can mount workspace volumes (probed once by Create).
  Status volume_support;
  // The cap new and resized workspaces get (options.workspace_size_bytes, or 0 when the
  // host cannot mount volumes).
  std::uint64_t workspace_cap = 0;
  struct VolumeSlot {
    std::mutex mu;  // serialises mounting, releasing and deleting one project's volume
    std::shared_ptr<sandbox::WorkspaceVolume> volume;  // mu
    bool deleted = false;                              // mu: the project is gone
    // mu: its workspace directory is still to be removed (the volume mounted on it was
    // held elsewhere for longer than DeleteWorkspace waits); retried by the maintenance tick.
    bool removal_pending = false;
    std::atomic<std::int64_t> last_used_ms{0};
  };
  std::mutex volumes_mu;
  std::map<std::string, std::shared_ptr<VolumeSlot>, std::less<>> volumes;  // volumes_mu
  // Held while the spare image (a formatted volume for the next new project) is made or
  // taken; try-locked on both sides, so neither waits for the other.
  std::mutex spare_mu;

  // ---- helpers (platform.cc)
  std::int64_t NowMs() const;
  std::string WorkspaceDir(std::string_view project) const;
  // Runs `fn` on the blocking pool and sends what it returns.
  void Blocking(net::HttpResponder responder, std::function<net::HttpResponse()> fn);
  // The caller of a request (Authorization, cs_session cookie or ?token=).
  Result<internal::Caller> Authenticate(const net::HttpRequest& request);
  // The caller's role in `project`; kNotFound if the project does not exist or the caller is
  // no member (so non-members cannot probe ids), kPermissionDenied below `needed`.
  Result<auth::Role> RequireRole(const internal::Caller& caller, std::string_view project,
                                 auth::Role needed);
  // Rate limit check; a refusal is an error response with Retry-After.
  std::optional<net::HttpResponse> Limit(auth::RateLimiter& limiter, std::string_view key);
  Result<auth::IssuedToken> StartSession(const UserRecord& user);
  const filesync::TemplateInfo* FindTemplate(std::string_view name) const;
  Any ProjectJson(const ProjectRecord& p, auth::Role role);
  void Touch(std::string_view project);
  void MarkDirty(std::string_view project);
  // The project's workspace directory, opened while its volume is held (see HeldWorkspace).
  Result<internal::HeldWorkspace> OpenWorkspace(std::string_view project);
  // Gives files the server created the workspace owner's ids (the sandbox user).
  void FixOwner(const sandbox::SafeDir& dir, std::string_view path) const;

  // ---- workspace volumes (volumes.cc)
  // DATA/volumes/<project>.img.
  std::string VolumeImage(std::string_view project) const;
  // The project's slot in `volumes` (made on first use).
  std::shared_ptr<VolumeSlot> Slot(std::string_view project);
  // How HoldWorkspace counts a call.
  enum class Hold {
    kUse,          // a user's request: the volume counts as used now
    kCreate,       // the project is being created: a missing workspace gets a new volume
    kMaintenance,  // snapshots and the like: no use (an idle volume stays idle, and one
                   // mounted for this is released with the caller's reference)
  };
  // The project's workspace volume, mounted on first use and kept (shared with its
  // sandboxes) until the project is deleted, the platform stops, or it was unused for the
  // idle timeout; null when the workspace is uncapped. Call it before touching the
  // workspace on the host and keep the result meanwhile. Errors: kNotFound for deleted
  // projects and (unless kCreate) missing workspaces, kFailedPrecondition when the files are
  // in an image this host cannot mount, the mount's errors.
  Result<std::shared_ptr<sandbox::WorkspaceVolume>> HoldWorkspace(std::string_view project,
                                                                  Hold how = Hold::kUse);
  // Makes a new project's workspace (its volume first, when capped) and runs `fill` in it
  // (restoring a template or a fork); on failure removes what it made.
  Status NewWorkspace(std::string_view project, const std::function<Status()>& fill);
  // Formats a spare image for the next new project unless there is one (blocking; no-op
  // without a cap): creating a project then only renames it, instead of running mke2fs.
  void PrepareSpareVolume();
  // Removes the project's volume image and workspace directory for good (after its runtime
  // was dropped); later HoldWorkspace calls answer kNotFound. Blocking: it waits (up to a few
  // seconds) for the other holders of the volume to let go, since the mount point can only
  // be removed once the volume is unmounted.
  void DeleteWorkspace(std::string_view project);
  // Removes a deleted project's workspace directory; false when it is still busy (its
  // volume is still mounted: `warn_if_busy` says whether that is worth a warning).
  bool RemoveWorkspaceDir(std::string_view project, bool warn_if_busy);
  // Retries the removals DeleteWorkspace had to leave (maintenance tick, shutdown).
  void RetryWorkspaceRemovals();
  // Releases (after a trim) volumes unused for the idle timeout by projects without a
  // runtime (maintenance tick; blocking).
  void ReleaseIdleVolumes();
  // Releases every held volume (shutdown).
  void ReleaseAllVolumes();
  // The volumes held now (for /metrics).
  std::vector<std::shared_ptr<sandbox::WorkspaceVolume>> HeldVolumes();
  // "disk" of a project's JSON: {"size_bytes","used_bytes","free_bytes"} or null (uncapped).
  Any DiskJson(std::string_view project);

  // ---- runtimes (runtime.cc)
  // The project's runtime, created (holding its workspace volume) on first use.
  Result<std::shared_ptr<internal::ProjectRuntime>> Runtime(std::string_view project);
  std::shared_ptr<internal::ProjectRuntime> FindRuntime(std::string_view project);
  // Broadcasts an event to the project's /events sockets (if any are open).
  void Event(std::string_view project, const Any& event);
  void MaintenanceTick();
  // Snapshots the workspace of `project` (blocking).
  Status Snapshot(std::string_view project);
  // Stops the runtime (terminals, sandbox) of `project` and forgets it (blocking).
  void DropRuntime(std::string_view project, bool snapshot);

  // ---- route registration
  void RegisterApi();          // api.cc
  void RegisterRuntime();      // runtime.cc: /pty/, /events/
  void RegisterRooms();        // rooms.cc: /yjs/
  void RegisterPreview();      // platform.cc
  void RegisterStaticAndOps();  // platform.cc: /, /assets/, /metrics, /healthz
  sync::HubHooks RoomHooks();  // rooms.cc

  // ---- REST handlers (api.cc)
  net::HttpResponse HandleApi(const net::HttpRequest& request);
  // The answer to a failed workspace write: 507 with the volume's usage when it ran out of
  // space (kResourceExhausted), else the status's usual answer.
  net::HttpResponse WriteErrorResponse(const Status& status,
                                       const sandbox::WorkspaceVolume* volume = nullptr);
};

}  // namespace codesphere::server
