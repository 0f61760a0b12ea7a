// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `MetadataStore`: the platform's metadata (users, projects, members, path rules, share links,
// runs, sessions) in one SQLite database in the data directory. Private to the server module.
// WAL journal, foreign keys on, every statement prepared once and reused, schema versioned by
// `PRAGMA user_version` with forward-only migrations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/auth/acl.h"
#include "codesphere/auth/role.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::server {

// Times are milliseconds since the Unix epoch (`codesphere::UnixMillis`).

struct UserRecord {
  std::string id;
  // Unique, compared case-insensitively for ASCII letters ("Alice" and "alice" collide).
  std::string username;
  std::string display_name;
  // `auth::PasswordHasher` output.
  std::string password_hash;
  std::int64_t created_at_unix_ms = 0;

  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

struct ProjectRecord {
  std::string id;
  std::string name;
  // The user who created the project (also an owner member).
  std::string owner;
  // The template id the project was created from.
  std::string template_id;
  std::int64_t created_at_unix_ms = 0;
  // Never stopped by the idle policy.
  bool always_on = false;
  // Anyone who can reach the server may load the live preview (else members only).
  bool public_preview = false;

  friend bool operator==(const ProjectRecord&, const ProjectRecord&) = default;
};

// A project and the role of the user it was listed for.
struct ProjectWithRole {
  ProjectRecord project;
  auth::Role role = auth::Role::kViewer;
};

struct MemberRecord {
  std::string user;
  std::string username;
  auth::Role role = auth::Role::kViewer;

  friend bool operator==(const MemberRecord&, const MemberRecord&) = default;
};

struct ShareLinkRecord {
  // `auth::TokenClaims::token_id` of the link's token.
  std::string token_id;
  std::string project;
  // Viewer or editor (the token format refuses owner).
  auth::Role role = auth::Role::kViewer;
  std::string created_by;
  std::int64_t created_at_unix_ms = 0;
  std::int64_t expires_at_unix_ms = 0;
  bool revoked = false;

  friend bool operator==(const ShareLinkRecord&, const ShareLinkRecord&) = default;
};

enum class RunState { kRunning, kStopped, kExited };
// "running", "stopped", "exited" (the names of docs/platform.md's run events).
std::string_view RunStateName(RunState state);

struct RunRecord {
  std::int64_t id = 0;
  std::string project;
  RunState state = RunState::kRunning;
  std::optional<int> exit_code;
  std::int64_t started_at_unix_ms = 0;
  std::optional<std::int64_t> ended_at_unix_ms;

  friend bool operator==(const RunRecord&, const RunRecord&) = default;
};

struct SessionRecord {
  // `auth::TokenClaims::token_id` of the session token.
  std::string id;
  std::string user;
  std::int64_t created_at_unix_ms = 0;
  std::int64_t expires_at_unix_ms = 0;
  bool revoked = false;

  friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

// One schema step: `sql` takes the database from version `index` to `index + 1` (the index in
// the migration list). It runs in a transaction together with the `user_version` bump.
struct Migration {
  std::string_view description;
  std::string_view sql;
};

// The migrations of this build, oldest first.
std::span<const Migration> MetadataMigrations();

// Error mapping, for every method: a UNIQUE or PRIMARY KEY conflict is kAlreadyExists; a
// missing referenced row (FOREIGN KEY) is kNotFound; a value the schema refuses (CHECK) is
// kInvalidArgument; a locked database after the busy timeout is kUnavailable; a full disk
// kResourceExhausted; a corrupt file kDataLoss; anything else kInternal. Lookups of absent
// rows return kNotFound.
//
// Thread-safety: thread-safe (one connection, serialized by an internal mutex; SQLite work is
// short, the WAL lets other processes read concurrently).
class MetadataStore {
 public:
  // Opens (creating if needed) the database at `path`, switches it to WAL, enables foreign
  // keys, and applies the migrations the file lacks. Returns kFailedPrecondition if the file
  // was written by a newer schema than `migrations` knows, kDataLoss if it is not a SQLite
  // database, the mapped SQLite error otherwise.
  static Result<std::unique_ptr<MetadataStore>> Open(
      const std::filesystem::path& path,
      std::span<const Migration> migrations = MetadataMigrations());

  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // The schema version the database is at (== the number of migrations applied).
  Result<int> SchemaVersion();

  // Writes a consistent copy of the whole database to `destination` (SQLite online backup;
  // safe while the store is in use, unlike copying the file and its WAL). The copy is a
  // self-contained database that `Open` accepts. Replaces an existing file.
  Status BackupTo(const std::filesystem::path& destination);

  // ---- users
  // kInvalidArgument for an empty id or username; kAlreadyExists for a taken id or username.
  Status CreateUser(const UserRecord& user);
  Result<UserRecord> GetUser(std::string_view id);
  Result<UserRecord> FindUserByUsername(std::string_view username);
  Status UpdatePasswordHash(std::string_view user_id, std::string_view password_hash);
  Status UpdateDisplayName(std::string_view user_id, std::string_view display_name);

  // ---- projects
  // Inserts the project and makes `project.owner` an owner member, atomically. kNotFound if
  // the owner does not exist.
  Status CreateProject(const ProjectRecord& project);
  Result<ProjectRecord> GetProject(std::string_view id);
  // The projects `user_id` is a member of, with their role, newest first.
  Result<std::vector<ProjectWithRole>> ListProjectsForUser(std::string_view user_id);
  Status RenameProject(std::string_view id, std::string_view name);
  Status SetAlwaysOn(std::string_view id, bool always_on);
  // Makes the project's live preview public or members-only. kNotFound for unknown ids.
  Status SetPublicPreview(std::string_view id, bool public_preview);
  // Deletes the project with its members, path rules, share links and runs.
  Status DeleteProject(std::string_view id);

  // ---- members and path rules
  // Adds or changes a membership. kNotFound if the project or user does not exist.
  Status SetMember(std::string_view project_id, std::string_view user_id, auth::Role role);
  // kNotFound if there was no such membership. kFailedPrecondition when it would leave the
  // project without an owner.
  Status RemoveMember(std::string_view project_id, std::string_view user_id);
  // Sorted by username.
  Result<std::vector<MemberRecord>> ListMembers(std::string_view project_id);
  // Adds or replaces the rule for (prefix, user). The prefix is normalized with
  // `auth::NormalizePath` (its errors are returned).
  Status SetPathRule(std::string_view project_id, const auth::PathRule& rule);
  Status RemovePathRule(std::string_view project_id, std::string_view prefix,
                        std::string_view user);
  // Sorted by (prefix, user).
  Result<std::vector<auth::PathRule>> ListPathRules(std::string_view project_id);
  // Adds every member and path rule of `project_id` to `acl` (replacing what `acl` had for it).
  Status LoadProjectAcl(std::string_view project_id, auth::Acl& acl);
  // An `Acl` of all projects.
  Result<auth::Acl> LoadAcl();

  // ---- share links
  Status CreateShareLink(const ShareLinkRecord& link);
  Result<ShareLinkRecord> GetShareLink(std::string_view token_id);
  Status RevokeShareLink(std::string_view token_id);
  // The project's links, newest first.
  Result<std::vector<ShareLinkRecord>> ListShareLinks(std::string_view project_id);

  // ---- runs
  // Records a run of `project_id` in state running; returns its id.
  Result<std::int64_t> StartRun(std::string_view project_id, std::int64_t started_at_unix_ms);
  // Moves run `run_id` to `state` (stopped or exited). kNotFound for an unknown run,
  // kFailedPrecondition if it already ended, kInvalidArgument for kRunning.
  Status EndRun(std::int64_t run_id, RunState state, std::optional<int> exit_code,
                std::int64_t ended_at_unix_ms);
  // The most recent run of the project; kNotFound if it never ran.
  Result<RunRecord> LatestRun(std::string_view project_id);
  // Up to `limit` runs of the project, newest first.
  Result<std::vector<RunRecord>> ListRuns(std::string_view project_id, int limit);
  // Marks every run still "running" as stopped at `now` (after a restart: nothing survives
  // a server process). Returns how many runs were closed.
  Result<int> StopAllRunning(std::int64_t now_unix_ms);

  // ---- sessions
  Status CreateSession(const SessionRecord& session);
  Result<SessionRecord> GetSession(std::string_view id);
  // True unless the session exists, is not revoked and has not expired at `now` — the answer
  // `auth::TokenVerifierOptions::is_revoked` needs. Errors count as revoked (fail closed).
  bool IsSessionRevoked(std::string_view id, std::int64_t now_unix_ms);
  Status RevokeSession(std::string_view id);
  // Revokes every session of `user_id` (password change, "log out everywhere"); returns how
  // many were revoked.
  Result<int> RevokeUserSessions(std::string_view user_id);
  // Deletes sessions that expired before `now`; returns how many.
  Result<int> DeleteExpiredSessions(std::int64_t now_unix_ms);

  // The connection and statement cache (metadata_store.cc).
  struct Impl;

 private:
  explicit MetadataStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace codesphere::server
