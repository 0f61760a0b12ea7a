// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "server/metadata_store.h"

#include <sqlite3.h>

#include <concepts>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "codesphere/base/status_macros.h"

namespace codesphere::server {

// ---- schema ----------------------------------------------------------------------------------

namespace {

// Version 1. Ids are opaque text chosen by the server; times are Unix milliseconds. STRICT
// tables make SQLite enforce the column types.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE users (
  id            TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (username <> ''),
  display_name  TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE projects (
  id          TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  name        TEXT NOT NULL,
  owner_id    TEXT NOT NULL REFERENCES users (id),
  template    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  always_on   INTEGER NOT NULL DEFAULT 0 CHECK (always_on IN (0, 1))
) STRICT;

CREATE TABLE members (
  project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  PRIMARY KEY (project_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE path_rules (
  project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  prefix      TEXT NOT NULL,
  user_id     TEXT NOT NULL DEFAULT '',
  access      TEXT NOT NULL CHECK (access IN ('none', 'read', 'write')),
  PRIMARY KEY (project_id, prefix, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE share_links (
  token_id    TEXT PRIMARY KEY NOT NULL CHECK (token_id <> ''),
  project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX share_links_by_project ON share_links (project_id);

CREATE TABLE runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  state       TEXT NOT NULL CHECK (state IN ('running', 'stopped', 'exited')),
  exit_code   INTEGER,
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER
) STRICT;
CREATE INDEX runs_by_project ON runs (project_id, id);

CREATE TABLE sessions (
  id          TEXT PRIMARY KEY NOT NULL CHECK (id <> ''),
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
)sql";

// Version 2: a project's owner may make its live preview public (default: members only).
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE projects ADD COLUMN public_preview INTEGER NOT NULL DEFAULT 0
  CHECK (public_preview IN (0, 1));
)sql";

constexpr Migration kMigrations[] = {
    {"users, projects, members, path rules, share links, runs, sessions", kSchemaV1},
    {"projects.public_preview", kSchemaV2},
};

// Maps an SQLite (extended) result code to a Status.
Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return AlreadyExistsError(message);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return NotFoundError(message);
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_DATATYPE:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return InvalidArgumentError(message);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhaustedError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return PermissionDeniedError(message);
    case SQLITE_CANTOPEN:
      return NotFoundError(message);
    case SQLITE_CONSTRAINT:
      return InvalidArgumentError(message);
    default:
      return InternalError(message);
  }
}

// A cached prepared statement, borrowed for one use: parameters are bound left to right, and
// the statement is reset and its bindings cleared when the borrow ends.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept
      : db_(other.db_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        index_(other.index_),
        bind_rc_(other.bind_rc_) {}
  ~Stmt() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(std::string_view text) {
    Note(sqlite3_bind_text(stmt_, ++index_, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& Bind(const char* text) { return Bind(std::string_view(text)); }
  Stmt& Bind(bool value) { return Bind(std::int64_t{value ? 1 : 0}); }
  template <std::integral I>
  Stmt& Bind(I value) {
    Note(sqlite3_bind_int64(stmt_, ++index_, static_cast<sqlite3_int64>(value)));
    return *this;
  }
  template <typename T>
  Stmt& Bind(const std::optional<T>& value) {
    if (value.has_value()) return Bind(*value);
    Note(sqlite3_bind_null(stmt_, ++index_));
    return *this;
  }

  // Steps once: true with a row, false when done.
  Result<bool> Step() {
    if (bind_rc_ != SQLITE_OK) return SqliteError(db_, bind_rc_, "bind");
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, sqlite3_extended_errcode(db_), "step");
  }
  // Runs a statement that returns no rows; returns the number of rows it changed.
  Result<int> Run() {
    CODESPHERE_ASSIGN_OR_RETURN(bool row, Step());
    (void)row;
    return sqlite3_changes(db_);
  }

  std::string Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  void Note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
  int bind_rc_ = SQLITE_OK;
};

Result<auth::Role> RoleFromColumn(const std::string& text) {
  Result<auth::Role> role = auth::ParseRole(text);
  if (!role.has_value()) return DataLossError("metadata: bad role '" + text + "' in database");
  return role;
}

Result<auth::Access> AccessFromColumn(const std::string& text) {
  Result<auth::Access> access = auth::ParseAccess(text);
  if (!access.has_value()) return DataLossError("metadata: bad access '" + text + "' in database");
  return access;
}

Result<RunState> RunStateFromColumn(const std::string& text) {
  if (text == "running") return RunState::kRunning;
  if (text == "stopped") return RunState::kStopped;
  if (text == "exited") return RunState::kExited;
  return DataLossError("metadata: bad run state '" + text + "' in database");
}

Status NotFoundUnlessChanged(const Result<int>& changed, std::string_view what) {
  if (!changed.has_value()) return changed.error();
  if (*changed == 0) return NotFoundError(std::string(what) + " not found");
  return OkStatus();
}

// Row readers: one per record type, columns in the order of the SELECTs below.
constexpr std::string_view kUserSelect =
    "SELECT id, username, display_name, password_hash, created_at FROM users ";
UserRecord ReadUser(const Stmt& s) {
  return UserRecord{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4)};
}

constexpr std::string_view kProjectSelect =
    "SELECT p.id, p.name, p.owner_id, p.template, p.created_at, p.always_on, p.public_preview "
    "FROM projects p ";
ProjectRecord ReadProject(const Stmt& s) {
  return ProjectRecord{s.Text(0), s.Text(1),     s.Text(2),    s.Text(3),
                       s.Int(4),  s.Int(5) != 0, s.Int(6) != 0};
}

constexpr std::string_view kShareLinkSelect =
    "SELECT token_id, project_id, role, created_by, created_at, expires_at, revoked "
    "FROM share_links ";
Result<ShareLinkRecord> ReadShareLink(const Stmt& s) {
  CODESPHERE_ASSIGN_OR_RETURN(auth::Role role, RoleFromColumn(s.Text(2)));
  return ShareLinkRecord{s.Text(0), s.Text(1), role,     s.Text(3),
                         s.Int(4),  s.Int(5),  s.Int(6) != 0};
}

constexpr std::string_view kRunSelect =
    "SELECT id, project_id, state, exit_code, started_at, ended_at FROM runs ";
Result<RunRecord> ReadRun(const Stmt& s) {
  CODESPHERE_ASSIGN_OR_RETURN(RunState state, RunStateFromColumn(s.Text(2)));
  RunRecord r;
  r.id = s.Int(0);
  r.project = s.Text(1);
  r.state = state;
  if (!s.IsNull(3)) r.exit_code = static_cast<int>(s.Int(3));
  r.started_at_unix_ms = s.Int(4);
  if (!s.IsNull(5)) r.ended_at_unix_ms = s.Int(5);
  return r;
}

constexpr std::string_view kSessionSelect =
    "SELECT id, user_id, created_at, expires_at, revoked FROM sessions ";
SessionRecord ReadSession(const Stmt& s) {
  return SessionRecord{s.Text(0), s.Text(1), s.Int(2), s.Int(3), s.Int(4) != 0};
}

// Statement texts built from the SELECT prefixes above (static storage: the cache keys view
// them).
const std::string& Sql(std::string_view prefix, std::string_view rest) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::string>* texts =
      new std::unordered_map<std::string, std::string>();
  std::string key = std::string(prefix) + std::string(rest);
  std::lock_guard<std::mutex> lock(mu);
  return texts->try_emplace(key, key).first->second;
}

}  // namespace

std::span<const Migration> MetadataMigrations() { return kMigrations; }

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kStopped:
      return "stopped";
    case RunState::kExited:
      return "exited";
  }
  return "unknown";
}

// ---- connection ------------------------------------------------------------------------------

struct MetadataStore::Impl {
  ~Impl() {
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
  }

  // The cached statement for `sql` (prepared on first use). REQUIRES: mu held; `sql` outlives
  // the store (a literal or a `Sql()` text).
  Result<Stmt> Prepare(std::string_view sql) {
    auto it = cache.find(sql);
    if (it == cache.end()) {
      sqlite3_stmt* stmt = nullptr;
      const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return SqliteError(db, sqlite3_extended_errcode(db), "prepare");
      it = cache.emplace(sql, stmt).first;
    }
    return Result<Stmt>(std::in_place, db, it->second);
  }

  // Runs a statement without result rows; returns how many rows it changed.
  template <typename... Args>
  Result<int> Run(std::string_view sql, const Args&... args) {
    CODESPHERE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
    (stmt.Bind(args), ...);
    return stmt.Run();
  }

  // All rows of a query, each converted by `read` (returning T or Result<T>).
  template <typename T, typename Read, typename... Args>
  Result<std::vector<T>> Query(std::string_view sql, Read read, const Args&... args) {
    CODESPHERE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
    (stmt.Bind(args), ...);
    std::vector<T> out;
    for (;;) {
      CODESPHERE_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return out;
      Result<T> value = read(stmt);
      if (!value.has_value()) return value.error();
      out.push_back(std::move(*value));
    }
  }

  // The first row of a query; kNotFound "<what> not found" without one.
  template <typename T, typename Read, typename... Args>
  Result<T> QueryOne(std::string_view sql, std::string_view what, Read read,
                     const Args&... args) {
    CODESPHERE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
    (stmt.Bind(args), ...);
    CODESPHERE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NotFoundError(std::string(what) + " not found");
    return Result<T>(read(stmt));
  }

  // The first column of the first row as an integer (0 without rows).
  template <typename... Args>
  Result<std::int64_t> QueryInt(std::string_view sql, const Args&... args) {
    CODESPHERE_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
    (stmt.Bind(args), ...);
    CODESPHERE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row ? stmt.Int(0) : std::int64_t{0};
  }

  Status Exec(std::string_view sql) { return Run(sql).error(); }

  std::mutex mu;
  sqlite3* db = nullptr;
  // Keyed by the SQL text; the views point at literals or `Sql()` texts.
  std::unordered_map<std::string_view, sqlite3_stmt*> cache;
};

namespace {

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(MetadataStore::Impl& impl) : impl_(impl) {}
  ~Transaction() {
    if (open_) (void)impl_.Exec("ROLLBACK");
  }
  Status Begin() {
    CODESPHERE_RETURN_IF_ERROR(impl_.Exec("BEGIN IMMEDIATE"));
    open_ = true;
    return OkStatus();
  }
  Status Commit() {
    CODESPHERE_RETURN_IF_ERROR(impl_.Exec("COMMIT"));
    open_ = false;
    return OkStatus();
  }

 private:
  MetadataStore::Impl& impl_;
  bool open_ = false;
};

// kFailedPrecondition if `user_id` is the only owner of `project_id` (demoting or removing
// them would orphan the project). REQUIRES: mu held, inside a transaction.
Status KeepsAnOwner(MetadataStore::Impl& impl, std::string_view project_id,
                    std::string_view user_id) {
  CODESPHERE_ASSIGN_OR_RETURN(
      std::int64_t is_owner,
      impl.QueryInt("SELECT COUNT(*) FROM members WHERE project_id = ? AND user_id = ? AND "
                    "role = 'owner'",
                    project_id, user_id));
  if (is_owner == 0) return OkStatus();
  CODESPHERE_ASSIGN_OR_RETURN(
      std::int64_t others,
      impl.QueryInt("SELECT COUNT(*) FROM members WHERE project_id = ? AND role = 'owner' AND "
                    "user_id <> ?",
                    project_id, user_id));
  if (others == 0) {
    return FailedPreconditionError("project " + std::string(project_id) +
                                   " would be left without an owner");
  }
  return OkStatus();
}

}  // namespace

MetadataStore::MetadataStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetadataStore::~MetadataStore() = default;

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::filesystem::path& path,
                                                           std::span<const Migration> migrations) {
  auto impl = std::make_unique<Impl>();
  const int open_rc =
      sqlite3_open_v2(path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (open_rc != SQLITE_OK) {
    return SqliteError(impl->db, open_rc, "open " + path.string());
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, 5000);
  const std::string where = "metadata " + path.string();

  // journal_mode answers with the mode in effect; anything but "wal" means it did not switch.
  Result<std::string> mode = impl->QueryOne<std::string>(
      "PRAGMA journal_mode = WAL", "journal mode", [](const Stmt& s) { return s.Text(0); });
  if (!mode.has_value()) return mode.error().WithContext(where);
  if (*mode != "wal") return FailedPreconditionError(where + ": cannot use WAL journal mode");
  for (std::string_view pragma : {std::string_view("PRAGMA foreign_keys = ON"),
                                  std::string_view("PRAGMA synchronous = FULL")}) {
    if (Status st = impl->Exec(pragma); !st.ok()) return st.WithContext(where);
  }

  // Migrations: each step and its version bump commit together; re-reading the version
  // inside the write transaction makes concurrent openers apply each step once.
  for (;;) {
    Transaction tx(*impl);
    if (Status st = tx.Begin(); !st.ok()) return st.WithContext(where);
    Result<std::int64_t> version = impl->QueryInt("PRAGMA user_version");
    if (!version.has_value()) return version.error().WithContext(where);
    const auto known = static_cast<std::int64_t>(migrations.size());
    if (*version > known) {
      return FailedPreconditionError(where + ": schema version " + std::to_string(*version) +
                                     " is newer than this build knows (" +
                                     std::to_string(known) + ")");
    }
    if (*version == known) break;
    const Migration& m = migrations[static_cast<std::size_t>(*version)];
    // DDL and the PRAGMA take no parameters; the version is an integer we format ourselves.
    const std::string sql = std::string(m.sql) + "\n;PRAGMA user_version = " +
                            std::to_string(*version + 1) + ";";
    if (sqlite3_exec(impl->db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqliteError(impl->db, sqlite3_extended_errcode(impl->db),
                         "migration " + std::to_string(*version + 1) + " (" +
                             std::string(m.description) + ")")
          .WithContext(where);
    }
    if (Status st = tx.Commit(); !st.ok()) return st.WithContext(where);
  }
  return std::unique_ptr<MetadataStore>(new MetadataStore(std::move(impl)));
}

Result<int> MetadataStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CODESPHERE_ASSIGN_OR_RETURN(std::int64_t version, impl_->QueryInt("PRAGMA user_version"));
  return static_cast<int>(version);
}

Status MetadataStore::BackupTo(const std::filesystem::path& destination) {
  sqlite3* dest = nullptr;
  const int open_rc = sqlite3_open_v2(destination.c_str(), &dest,
                                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (open_rc != SQLITE_OK) {
    Status st = SqliteError(dest, open_rc, "open backup " + destination.string());
    sqlite3_close_v2(dest);
    return st;
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", impl_->db, "main");
  if (backup == nullptr) {
    Status st = SqliteError(dest, sqlite3_extended_errcode(dest), "backup " + destination.string());
    sqlite3_close_v2(dest);
    return st;
  }
  // One step copies every page: the metadata database is small, and holding the mutex keeps
  // this connection's writers out for the duration.
  const int step_rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  Status st = step_rc == SQLITE_DONE
                  ? OkStatus()
                  : SqliteError(dest, step_rc, "backup " + destination.string());
  if (st.ok() && sqlite3_close_v2(dest) != SQLITE_OK) {
    return InternalError("close backup " + destination.string());
  }
  if (!st.ok()) sqlite3_close_v2(dest);
  return st;
}

// ---- users -----------------------------------------------------------------------------------

Status MetadataStore::CreateUser(const UserRecord& user) {
  if (user.id.empty() || user.username.empty()) {
    return InvalidArgumentError("a user needs an id and a username");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_
      ->Run("INSERT INTO users (id, username, display_name, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            user.id, user.username, user.display_name, user.password_hash,
            user.created_at_unix_ms)
      .error();
}

Result<UserRecord> MetadataStore::GetUser(std::string_view id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<UserRecord>(Sql(kUserSelect, "WHERE id = ?"),
                                     "user " + std::string(id), ReadUser, id);
}

Result<UserRecord> MetadataStore::FindUserByUsername(std::string_view username) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<UserRecord>(Sql(kUserSelect, "WHERE username = ?"),
                                     "user named " + std::string(username), ReadUser, username);
}

Status MetadataStore::UpdatePasswordHash(std::string_view user_id,
                                         std::string_view password_hash) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("UPDATE users SET password_hash = ? WHERE id = ?", password_hash, user_id),
      "user " + std::string(user_id));
}

Status MetadataStore::UpdateDisplayName(std::string_view user_id,
                                        std::string_view display_name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("UPDATE users SET display_name = ? WHERE id = ?", display_name, user_id),
      "user " + std::string(user_id));
}

// ---- projects --------------------------------------------------------------------------------

Status MetadataStore::CreateProject(const ProjectRecord& project) {
  if (project.id.empty()) return InvalidArgumentError("a project needs an id");
  std::lock_guard<std::mutex> lock(impl_->mu);
  Transaction tx(*impl_);
  CODESPHERE_RETURN_IF_ERROR(tx.Begin());
  CODESPHERE_RETURN_IF_ERROR(impl_->Run(
      "INSERT INTO projects (id, name, owner_id, template, created_at, always_on, public_preview) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      project.id, project.name, project.owner, project.template_id, project.created_at_unix_ms,
      project.always_on, project.public_preview));
  CODESPHERE_RETURN_IF_ERROR(
      impl_->Run("INSERT INTO members (project_id, user_id, role) VALUES (?, ?, 'owner')",
                 project.id, project.owner));
  return tx.Commit();
}

Result<ProjectRecord> MetadataStore::GetProject(std::string_view id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<ProjectRecord>(Sql(kProjectSelect, "WHERE p.id = ?"),
                                        "project " + std::string(id), ReadProject, id);
}

Result<std::vector<ProjectWithRole>> MetadataStore::ListProjectsForUser(
    std::string_view user_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Query<ProjectWithRole>(
      "SELECT p.id, p.name, p.owner_id, p.template, p.created_at, p.always_on, p.public_preview, "
      "m.role FROM members m JOIN projects p ON p.id = m.project_id WHERE m.user_id = ? "
      "ORDER BY p.created_at DESC, p.id",
      [](const Stmt& s) -> Result<ProjectWithRole> {
        CODESPHERE_ASSIGN_OR_RETURN(auth::Role role, RoleFromColumn(s.Text(7)));
        return ProjectWithRole{ReadProject(s), role};
      },
      user_id);
}

Status MetadataStore::RenameProject(std::string_view id, std::string_view name) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(impl_->Run("UPDATE projects SET name = ? WHERE id = ?", name, id),
                               "project " + std::string(id));
}

Status MetadataStore::SetAlwaysOn(std::string_view id, bool always_on) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("UPDATE projects SET always_on = ? WHERE id = ?", always_on, id),
      "project " + std::string(id));
}

Status MetadataStore::SetPublicPreview(std::string_view id, bool public_preview) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("UPDATE projects SET public_preview = ? WHERE id = ?", public_preview, id),
      "project " + std::string(id));
}

Status MetadataStore::DeleteProject(std::string_view id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(impl_->Run("DELETE FROM projects WHERE id = ?", id),
                               "project " + std::string(id));
}

// ---- members and path rules ------------------------------------------------------------------

Status MetadataStore::SetMember(std::string_view project_id, std::string_view user_id,
                                auth::Role role) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Transaction tx(*impl_);
  CODESPHERE_RETURN_IF_ERROR(tx.Begin());
  if (role != auth::Role::kOwner) {
    CODESPHERE_RETURN_IF_ERROR(KeepsAnOwner(*impl_, project_id, user_id));
  }
  CODESPHERE_RETURN_IF_ERROR(impl_->Run(
      "INSERT INTO members (project_id, user_id, role) VALUES (?, ?, ?) "
      "ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
      project_id, user_id, auth::RoleName(role)));
  return tx.Commit();
}

Status MetadataStore::RemoveMember(std::string_view project_id, std::string_view user_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Transaction tx(*impl_);
  CODESPHERE_RETURN_IF_ERROR(tx.Begin());
  CODESPHERE_RETURN_IF_ERROR(KeepsAnOwner(*impl_, project_id, user_id));
  CODESPHERE_RETURN_IF_ERROR(NotFoundUnlessChanged(
      impl_->Run("DELETE FROM members WHERE project_id = ? AND user_id = ?", project_id,
                 user_id),
      "membership of " + std::string(user_id) + " in " + std::string(project_id)));
  return tx.Commit();
}

Result<std::vector<MemberRecord>> MetadataStore::ListMembers(std::string_view project_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Query<MemberRecord>(
      "SELECT m.user_id, u.username, m.role FROM members m JOIN users u ON u.id = m.user_id "
      "WHERE m.project_id = ? ORDER BY u.username COLLATE NOCASE, m.user_id",
      [](const Stmt& s) -> Result<MemberRecord> {
        CODESPHERE_ASSIGN_OR_RETURN(auth::Role role, RoleFromColumn(s.Text(2)));
        return MemberRecord{s.Text(0), s.Text(1), role};
      },
      project_id);
}

Status MetadataStore::SetPathRule(std::string_view project_id, const auth::PathRule& rule) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string prefix, auth::NormalizePath(rule.prefix));
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_
      ->Run("INSERT INTO path_rules (project_id, prefix, user_id, access) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (project_id, prefix, user_id) DO UPDATE SET access = excluded.access",
            project_id, prefix, rule.user, auth::AccessName(rule.access))
      .error();
}

Status MetadataStore::RemovePathRule(std::string_view project_id, std::string_view prefix,
                                     std::string_view user) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string normalized, auth::NormalizePath(prefix));
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("DELETE FROM path_rules WHERE project_id = ? AND prefix = ? AND user_id = ?",
                 project_id, normalized, user),
      "path rule '" + normalized + "'");
}

namespace {
// A path rule and its project. Columns: project_id, prefix, user_id, access.
using ProjectRule = std::pair<std::string, auth::PathRule>;
Result<ProjectRule> ReadPathRule(const Stmt& s) {
  CODESPHERE_ASSIGN_OR_RETURN(auth::Access access, AccessFromColumn(s.Text(3)));
  return std::pair(s.Text(0), auth::PathRule{s.Text(1), s.Text(2), access});
}
constexpr std::string_view kPathRuleSelect =
    "SELECT project_id, prefix, user_id, access FROM path_rules ";
}  // namespace

Result<std::vector<auth::PathRule>> MetadataStore::ListPathRules(std::string_view project_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CODESPHERE_ASSIGN_OR_RETURN(
      auto rows, impl_->Query<ProjectRule>(
                     Sql(kPathRuleSelect, "WHERE project_id = ? ORDER BY prefix, user_id"),
                     ReadPathRule, project_id));
  std::vector<auth::PathRule> out;
  for (auto& [project, rule] : rows) out.push_back(std::move(rule));
  return out;
}

Status MetadataStore::LoadProjectAcl(std::string_view project_id, auth::Acl& acl) {
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<MemberRecord> members, ListMembers(project_id));
  CODESPHERE_ASSIGN_OR_RETURN(std::vector<auth::PathRule> rules, ListPathRules(project_id));
  acl.RemoveProject(project_id);
  for (const MemberRecord& m : members) {
    CODESPHERE_RETURN_IF_ERROR(acl.SetMember(project_id, m.user, m.role));
  }
  for (auth::PathRule& r : rules) CODESPHERE_RETURN_IF_ERROR(acl.SetRule(project_id, std::move(r)));
  return OkStatus();
}

Result<auth::Acl> MetadataStore::LoadAcl() {
  using Member = std::tuple<std::string, std::string, auth::Role>;
  std::lock_guard<std::mutex> lock(impl_->mu);
  CODESPHERE_ASSIGN_OR_RETURN(
      std::vector<Member> members,
      impl_->Query<Member>("SELECT project_id, user_id, role FROM members",
                           [](const Stmt& s) -> Result<Member> {
                             CODESPHERE_ASSIGN_OR_RETURN(auth::Role role,
                                                         RoleFromColumn(s.Text(2)));
                             return Member{s.Text(0), s.Text(1), role};
                           }));
  CODESPHERE_ASSIGN_OR_RETURN(auto rules, impl_->Query<ProjectRule>(
                                              kPathRuleSelect, ReadPathRule));
  auth::Acl acl;
  for (const auto& [project, user, role] : members) {
    CODESPHERE_RETURN_IF_ERROR(acl.SetMember(project, user, role));
  }
  for (auto& [project, rule] : rules) {
    CODESPHERE_RETURN_IF_ERROR(acl.SetRule(project, std::move(rule)));
  }
  return acl;
}

// ---- share links -----------------------------------------------------------------------------

Status MetadataStore::CreateShareLink(const ShareLinkRecord& link) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_
      ->Run("INSERT INTO share_links (token_id, project_id, role, created_by, created_at, "
            "expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)",
            link.token_id, link.project, auth::RoleName(link.role), link.created_by,
            link.created_at_unix_ms, link.expires_at_unix_ms, link.revoked)
      .error();
}

Result<ShareLinkRecord> MetadataStore::GetShareLink(std::string_view token_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<ShareLinkRecord>(Sql(kShareLinkSelect, "WHERE token_id = ?"),
                                          "share link", ReadShareLink, token_id);
}

Status MetadataStore::RevokeShareLink(std::string_view token_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(
      impl_->Run("UPDATE share_links SET revoked = 1 WHERE token_id = ?", token_id),
      "share link");
}

Result<std::vector<ShareLinkRecord>> MetadataStore::ListShareLinks(std::string_view project_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Query<ShareLinkRecord>(
      Sql(kShareLinkSelect, "WHERE project_id = ? ORDER BY created_at DESC, token_id"),
      ReadShareLink, project_id);
}

// ---- runs ------------------------------------------------------------------------------------

Result<std::int64_t> MetadataStore::StartRun(std::string_view project_id,
                                             std::int64_t started_at_unix_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CODESPHERE_RETURN_IF_ERROR(
      impl_->Run("INSERT INTO runs (project_id, state, started_at) VALUES (?, 'running', ?)",
                 project_id, started_at_unix_ms));
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(impl_->db));
}

Status MetadataStore::EndRun(std::int64_t run_id, RunState state, std::optional<int> exit_code,
                             std::int64_t ended_at_unix_ms) {
  if (state == RunState::kRunning) return InvalidArgumentError("a run ends stopped or exited");
  std::lock_guard<std::mutex> lock(impl_->mu);
  CODESPHERE_ASSIGN_OR_RETURN(
      int changed, impl_->Run("UPDATE runs SET state = ?, exit_code = ?, ended_at = ? "
                              "WHERE id = ? AND state = 'running'",
                              RunStateName(state), exit_code, ended_at_unix_ms, run_id));
  if (changed == 1) return OkStatus();
  CODESPHERE_ASSIGN_OR_RETURN(std::int64_t exists,
                              impl_->QueryInt("SELECT COUNT(*) FROM runs WHERE id = ?", run_id));
  if (exists == 0) return NotFoundError("run " + std::to_string(run_id) + " not found");
  return FailedPreconditionError("run " + std::to_string(run_id) + " has already ended");
}

Result<RunRecord> MetadataStore::LatestRun(std::string_view project_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<RunRecord>(
      Sql(kRunSelect, "WHERE project_id = ? ORDER BY id DESC LIMIT 1"),
      "a run of project " + std::string(project_id), ReadRun, project_id);
}

Result<std::vector<RunRecord>> MetadataStore::ListRuns(std::string_view project_id, int limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Query<RunRecord>(Sql(kRunSelect, "WHERE project_id = ? ORDER BY id DESC LIMIT ?"),
                                 ReadRun, project_id, limit);
}

Result<int> MetadataStore::StopAllRunning(std::int64_t now_unix_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Run("UPDATE runs SET state = 'stopped', ended_at = ? WHERE state = 'running'",
                    now_unix_ms);
}

// ---- sessions --------------------------------------------------------------------------------

Status MetadataStore::CreateSession(const SessionRecord& session) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_
      ->Run("INSERT INTO sessions (id, user_id, created_at, expires_at, revoked) "
            "VALUES (?, ?, ?, ?, ?)",
            session.id, session.user, session.created_at_unix_ms, session.expires_at_unix_ms,
            session.revoked)
      .error();
}

Result<SessionRecord> MetadataStore::GetSession(std::string_view id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->QueryOne<SessionRecord>(Sql(kSessionSelect, "WHERE id = ?"), "session",
                                        ReadSession, id);
}

bool MetadataStore::IsSessionRevoked(std::string_view id, std::int64_t now_unix_ms) {
  Result<SessionRecord> s = GetSession(id);
  return !s.has_value() || s->revoked || s->expires_at_unix_ms <= now_unix_ms;
}

Status MetadataStore::RevokeSession(std::string_view id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return NotFoundUnlessChanged(impl_->Run("UPDATE sessions SET revoked = 1 WHERE id = ?", id),
                               "session");
}

Result<int> MetadataStore::RevokeUserSessions(std::string_view user_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Run("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0",
                    user_id);
}

Result<int> MetadataStore::DeleteExpiredSessions(std::int64_t now_unix_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Run("DELETE FROM sessions WHERE expires_at <= ?", now_unix_ms);
}

}  // namespace codesphere::server
