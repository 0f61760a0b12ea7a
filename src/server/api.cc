// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The REST API of docs/platform.md: accounts, projects (create from a template, fork,
// rename, delete, members, share links), workspace files, terminals, run/stop and preview
// tokens. Handlers run on the blocking pool (SQLite, Argon2id, snapshots); terminal work
// hops onto the project's multiplexer strand.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <functional>
#include <future>
#include <random>
#include <utility>

#include <asio/post.hpp>

#include "codesphere/auth/http_credentials.h"
#include "codesphere/base/bytes.h"
#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/filesync/templates.h"
#include "server/platform_internal.h"

namespace codesphere::server {

using internal::Array;
using internal::Caller;
using internal::ErrorResponse;
using internal::JsonResponse;
using internal::Object;
using internal::StringField;

namespace {

std::string RandomHex(std::size_t bytes) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::string out;
  static const char* kHex = "0123456789abcdef";
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string IsoTime(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NewProjectId(std::string_view name) {
  std::string slug;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      slug += l;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= 30) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "project";
  return slug + "-" + RandomHex(3);
}

// A new project's record: a fresh id derived from its name, created now.
ProjectRecord NewProjectRecord(std::string name, std::string owner, std::string template_id,
                               std::int64_t now_ms) {
  ProjectRecord p;
  p.id = NewProjectId(name);
  p.name = std::move(name);
  p.owner = std::move(owner);
  p.template_id = std::move(template_id);
  p.created_at_unix_ms = now_ms;
  return p;
}

bool ValidUsername(std::string_view u) {
  if (u.empty() || u.size() > 64) return false;
  return std::all_of(u.begin(), u.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// "ip" of "ip:port" / "[v6]:port".
std::string ClientAddress(const std::string& remote) {
  auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

Any UserJson(const UserRecord& u) {
  Object o;
  o.emplace_back("id", Any(u.id));
  o.emplace_back("username", Any(u.username));
  o.emplace_back("display_name", Any(u.display_name));
  return Any(std::move(o));
}

// The segments after "/api/", still percent-encoded.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& parts, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < parts.size(); ++i) {
    if (i > from) out += '/';
    out += parts[i];
  }
  return out;
}

// Runs `fn` on the runtime's strand and waits for it (called from the blocking pool).
template <typename T>
Result<T> OnStrand(internal::ProjectRuntime& rt, std::function<Result<T>()> fn) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  asio::post(rt.strand(), [promise, fn = std::move(fn)] { promise->set_value(fn()); });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return DeadlineExceededError("the project's terminals did not answer");
  }
  return future.get();
}

net::HttpResponse Empty(int status) {
  net::HttpResponse r;
  r.status = status;
  return r;
}

}  // namespace

Any Platform::Impl::ProjectJson(const ProjectRecord& p, auth::Role role) {
  Object o;
  o.emplace_back("id", Any(p.id));
  o.emplace_back("name", Any(p.name));
  o.emplace_back("template", Any(p.template_id));
  o.emplace_back("role", Any(auth::RoleName(role)));
  auto owner = store->GetUser(p.owner);
  o.emplace_back("owner", Any(owner.ok() ? owner->username : p.owner));
  o.emplace_back("created_at", Any(IsoTime(p.created_at_unix_ms)));
  auto run = store->LatestRun(p.id);
  o.emplace_back("run_state", Any(run.ok() ? RunStateName(run->state) : "stopped"));
  o.emplace_back("always_on", Any(p.always_on));
  o.emplace_back("public_preview",
                 Any(p.public_preview || options.preview_access == PreviewAccess::kPublic));
  return Any(std::move(o));
}

net::HttpResponse Platform::Impl::WriteErrorResponse(const Status& status,
                                                     const sandbox::WorkspaceVolume* volume) {
  if (status.code() != StatusCode::kResourceExhausted) return ErrorResponse(status);
  // 507 Insufficient Storage: the project's disk quota (or the host's disk) is full.
  workspace_full->Increment();
  std::string message = "not enough space in the project's workspace";
  if (volume != nullptr) {
    if (auto usage = volume->Usage(); usage.ok()) {
      message += " (" + std::to_string(usage->used_bytes) + " of " +
                 std::to_string(usage->size_bytes) + " bytes used)";
    }
  }
  message += ": " + std::string(status.message());
  net::HttpResponse r = ErrorResponse(ResourceExhaustedError(message));
  r.status = 507;
  return r;
}

void Platform::Impl::RegisterApi() {
  server->HandleHttp("/api/", [this](net::HttpRequest req, net::HttpResponder r) {
    auto start = std::chrono::steady_clock::now();
    Blocking(std::move(r), [this, req = std::move(req), start] {
      net::HttpResponse resp = HandleApi(req);
      request_seconds->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (resp.status >= 500 && resp.status != 507) {  // 507: a full workspace, not ours
        LogError("api error", {{"method", req.method}, {"path", req.path}, {"status", resp.status},
                               {"body", resp.body_text()}});
      }
      return resp;
    });
  });
}

net::HttpResponse Platform::Impl::HandleApi(const net::HttpRequest& req) {
  const std::vector<std::string_view> parts = Segments(std::string_view(req.path).substr(5));
  const std::string& m = req.method;
  auto seg = [&](std::size_t i) -> std::string_view { return i < parts.size() ? parts[i] : ""; };

  // ---- accounts (no token needed)
  if (seg(0) == "auth" && parts.size() == 2 && m == "POST") {
    if (seg(1) == "signup" || seg(1) == "login") {
      if (auto limited = Limit(*login_limiter, "auth:" + ClientAddress(req.remote_address))) {
        return *limited;
      }
      auto body = internal::ParseJsonBody(req);
      if (!body.ok()) return ErrorResponse(body.error());
      std::string username = StringField(*body, "username").value_or("");
      std::string password = StringField(*body, "password").value_or("");
      UserRecord user;
      int status = 200;
      if (seg(1) == "signup") {
        if (!ValidUsername(username)) {
          return ErrorResponse(InvalidArgumentError("username: 1-64 letters, digits, _ . -"));
        }
        auto hash = hasher->Hash(password);
        if (!hash.ok()) return ErrorResponse(hash.error());
        user.id = RandomHex(8);
        user.username = username;
        user.display_name = StringField(*body, "display_name").value_or("");
        if (user.display_name.empty()) user.display_name = username;
        if (user.display_name.size() > 128) user.display_name.resize(128);
        user.password_hash = *hash;
        user.created_at_unix_ms = NowMs();
        if (Status st = store->CreateUser(user); !st.ok()) {
          if (st.code() == StatusCode::kAlreadyExists) {
            return ErrorResponse(AlreadyExistsError("that username is taken"));
          }
          return ErrorResponse(st);
        }
        status = 201;
        LogInfo("signup", {{"user", user.id}, {"username", username}});
      } else {
        auto found = store->FindUserByUsername(username);
        Status ok = found.ok() ? hasher->Verify(password, found->password_hash)
                               : hasher->VerifyUnknownUser(password);
        if (!found.ok() || !ok.ok()) {
          login_failures->Increment();
          LogInfo("login refused", {{"username", username}, {"remote", req.remote_address}});
          return ErrorResponse(UnauthenticatedError("wrong username or password"));
        }
        user = *found;
      }
      auto token = StartSession(user);
      if (!token.ok()) return ErrorResponse(token.error());
      logins->Increment();
      Object o;
      o.emplace_back("user", UserJson(user));
      o.emplace_back("token", Any(token->token()));
      net::HttpResponse resp = JsonResponse(status, Any(std::move(o)));
      resp.headers.Set("Set-Cookie",
                       auth::SessionCookie(token->token(), options.session_ttl, options.secure_cookies));
      return resp;
    }
    if (seg(1) == "logout") {
      auto caller = Authenticate(req);
      if (caller.ok()) (void)store->RevokeSession(caller->claims.token_id);
      net::HttpResponse resp = Empty(204);
      resp.headers.Set("Set-Cookie", auth::ClearSessionCookie(options.secure_cookies));
      return resp;
    }
  }

  auto caller_or = Authenticate(req);
  if (!caller_or.ok()) return ErrorResponse(caller_or.error());
  const Caller& caller = *caller_or;

  if (seg(0) == "me" && parts.size() == 1 && m == "GET") return JsonResponse(200, UserJson(caller.user));
  if (seg(0) == "templates" && parts.size() == 1 && m == "GET") {
    Array list;
    for (const auto& t : templates) {
      Object o;
      o.emplace_back("id", Any(t.name));
      o.emplace_back("name", Any(t.name));
      o.emplace_back("description", Any(t.description));
      o.emplace_back("run", Any(t.run_command));
      list.emplace_back(std::move(o));
    }
    return JsonResponse(200, Any(std::move(list)));
  }
  if (seg(0) == "share-links" && parts.size() == 3 && seg(2) == "accept" && m == "POST") {
    auto token = net::PercentDecode(seg(1));
    if (!token.ok()) return ErrorResponse(token.error());
    auto claims = verifier->Verify(*token, auth::TokenKind::kShareLink);
    if (!claims.ok()) return ErrorResponse(NotFoundError("unknown or expired share link"));
    auto link = store->GetShareLink(claims->token_id);
    if (!link.ok() || link->revoked || link->project != claims->project) {
      return ErrorResponse(NotFoundError("unknown or expired share link"));
    }
    auto project = store->GetProject(link->project);
    if (!project.ok()) return ErrorResponse(NotFoundError("the shared project no longer exists"));
    auth::Role role = link->role;
    auto current = RequireRole(caller, project->id, auth::Role::kViewer);
    if (current.ok() && static_cast<int>(*current) >= static_cast<int>(role)) {
      role = *current;
    } else if (Status st = store->SetMember(project->id, caller.user.id, role); !st.ok()) {
      return ErrorResponse(st);
    }
    LogInfo("share link accepted", {{"project", project->id}, {"user", caller.user.id},
                                     {"role", auth::RoleName(role)}});
    return JsonResponse(200, ProjectJson(*project, role));
  }
  if (seg(0) != "projects") return ErrorResponse(NotFoundError("no such endpoint"));

  // ---- /api/projects
  if (parts.size() == 1) {
    if (m == "GET") {
      auto list = store->ListProjectsForUser(caller.user.id);
      if (!list.ok()) return ErrorResponse(list.error());
      Array out;
      for (const auto& p : *list) out.push_back(ProjectJson(p.project, p.role));
      return JsonResponse(200, Any(std::move(out)));
    }
    if (m == "POST") {
      auto body = internal::ParseJsonBody(req);
      if (!body.ok()) return ErrorResponse(body.error());
      std::string name = StringField(*body, "name").value_or("");
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.erase(0, 1);
      if (name.empty() || name.size() > 64) return ErrorResponse(InvalidArgumentError("name: 1-64 characters"));
      const filesync::TemplateInfo* t = FindTemplate(StringField(*body, "template").value_or(""));
      if (t == nullptr) return ErrorResponse(InvalidArgumentError("unknown template"));
      if (auto limited = Limit(*create_limiter, "create:" + caller.user.id)) return *limited;
      ProjectRecord p = NewProjectRecord(name, caller.user.id, t->name, NowMs());
      if (Status st = NewWorkspace(p.id, [&] {
            std::lock_guard<std::mutex> lock(repo_mu);
            return filesync::CreateProjectFromTemplate(*repo, t->name, p.id, WorkspaceDir(p.id)).status();
          });
          !st.ok()) {
        return WriteErrorResponse(st);
      }
      if (Status st = store->CreateProject(p); !st.ok()) {
        DeleteWorkspace(p.id);
        return ErrorResponse(st);
      }
      LogInfo("project created", {{"project", p.id}, {"template", t->name}, {"owner", caller.user.id}});
      return JsonResponse(201, ProjectJson(p, auth::Role::kOwner));
    }
    return ErrorResponse(NotFoundError("no such endpoint"));
  }

  const std::string id(seg(1));
  const std::string_view what = seg(2);
  const bool reading = m == "GET";
  auth::Role needed = reading ? auth::Role::kViewer : auth::Role::kEditor;
  if ((parts.size() == 2 && m != "GET") || what == "members" || what == "share-links") {
    needed = auth::Role::kOwner;
  }
  if (what == "fork" || what == "preview") needed = auth::Role::kViewer;
  auto role = RequireRole(caller, id, needed);
  if (!role.ok()) return ErrorResponse(role.error());
  auto project = store->GetProject(id);
  if (!project.ok()) return ErrorResponse(project.error());
  Touch(id);
  auto members_json = [&] {
    Array members;
    if (auto list = store->ListMembers(id); list.ok()) {
      for (const auto& mem : *list) {
        Object o;
        o.emplace_back("username", Any(mem.username));
        o.emplace_back("role", Any(auth::RoleName(mem.role)));
        members.emplace_back(std::move(o));
      }
    }
    return Any(std::move(members));
  };
  auto files_changed = [&] {
    MarkDirty(id);
    Object o;
    o.emplace_back("type", Any("files"));
    Event(id, Any(std::move(o)));
  };

  if (parts.size() == 2) {
    if (m == "GET") {
      Any out = ProjectJson(*project, *role);
      out.as_object().emplace_back("members", members_json());
      out.as_object().emplace_back("disk", DiskJson(id));
      return JsonResponse(200, out);
    }
    if (m == "PATCH") {
      auto body = internal::ParseJsonBody(req);
      if (!body.ok()) return ErrorResponse(body.error());
      if (auto name = StringField(*body, "name")) {
        if (name->empty() || name->size() > 64) return ErrorResponse(InvalidArgumentError("name: 1-64 characters"));
        if (Status st = store->RenameProject(id, *name); !st.ok()) return ErrorResponse(st);
      }
      if (const Any* on = body->Find("always_on"); on != nullptr && on->is_bool()) {
        if (Status st = store->SetAlwaysOn(id, on->as_bool()); !st.ok()) return ErrorResponse(st);
      }
      if (const Any* pub = body->Find("public_preview"); pub != nullptr) {
        if (!pub->is_bool()) return ErrorResponse(InvalidArgumentError("public_preview: a boolean"));
        if (Status st = store->SetPublicPreview(id, pub->as_bool()); !st.ok()) return ErrorResponse(st);
        LogInfo("preview access changed", {{"project", id}, {"public", pub->as_bool()}});
      }
      auto updated = store->GetProject(id);
      if (!updated.ok()) return ErrorResponse(updated.error());
      return JsonResponse(200, ProjectJson(*updated, *role));
    }
    if (m == "DELETE") {
      DropRuntime(id, false);
      if (Status st = store->DeleteProject(id); !st.ok()) return ErrorResponse(st);
      DeleteWorkspace(id);
      {
        std::lock_guard<std::mutex> lock(repo_mu);
        if (auto snaps = repo->List(); snaps.ok()) {
          for (const auto& s : *snaps) {
            if (s.project == id) (void)repo->Forget(s.id);
          }
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        dirty.erase(id);
      }
      LogInfo("project deleted", {{"project", id}, {"by", caller.user.id}});
      return Empty(204);
    }
  }

  if (what == "fork" && parts.size() == 3 && m == "POST") {
    if (auto limited = Limit(*create_limiter, "create:" + caller.user.id)) return *limited;
    auto body = internal::ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.error());
    std::string name = StringField(*body, "name").value_or("");
    if (name.empty()) name = project->name + "-fork";
    if (name.size() > 64) return ErrorResponse(InvalidArgumentError("name: 1-64 characters"));
    if (Status st = Snapshot(id); !st.ok()) return ErrorResponse(st);
    ProjectRecord p = NewProjectRecord(name, caller.user.id, project->template_id, NowMs());
    if (Status st = NewWorkspace(p.id, [&] {
          std::lock_guard<std::mutex> lock(repo_mu);
          return filesync::ForkProject(*repo, id, p.id, WorkspaceDir(p.id)).status();
        });
        !st.ok()) {
      return WriteErrorResponse(st);
    }
    if (Status st = store->CreateProject(p); !st.ok()) {
      DeleteWorkspace(p.id);
      return ErrorResponse(st);
    }
    LogInfo("project forked", {{"project", p.id}, {"from", id}, {"owner", caller.user.id}});
    return JsonResponse(201, ProjectJson(p, auth::Role::kOwner));
  }

  if (what == "members" && parts.size() == 3 && m == "POST") {
    auto body = internal::ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.error());
    auto user = store->FindUserByUsername(StringField(*body, "username").value_or(""));
    if (!user.ok()) return ErrorResponse(NotFoundError("no such user"));
    auto new_role = auth::ParseRole(StringField(*body, "role").value_or(""));
    if (!new_role.ok()) return ErrorResponse(InvalidArgumentError("role: owner, editor or viewer"));
    if (Status st = store->SetMember(id, user->id, *new_role); !st.ok()) return ErrorResponse(st);
    return JsonResponse(200, members_json());
  }

  if (what == "share-links" && parts.size() == 3 && m == "POST") {
    auto body = internal::ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.error());
    auto link_role = auth::ParseRole(StringField(*body, "role").value_or(""));
    if (!link_role.ok() || *link_role == auth::Role::kOwner) {
      return ErrorResponse(InvalidArgumentError("role: editor or viewer"));
    }
    std::int64_t ttl = 86400;
    if (const Any* e = body->Find("expires_in_s"); e != nullptr && e->is_number()) {
      ttl = static_cast<std::int64_t>(e->as_number());
    }
    if (ttl < 60 || ttl > 30 * 86400) {
      return ErrorResponse(InvalidArgumentError("expires_in_s: 60 s to 30 days"));
    }
    auto token = issuer->IssueShareLink(caller.user.id, id, *link_role, std::chrono::seconds(ttl));
    if (!token.ok()) return ErrorResponse(token.error());
    ShareLinkRecord rec;
    rec.token_id = token->claims().token_id;
    rec.project = id;
    rec.role = *link_role;
    rec.created_by = caller.user.id;
    rec.created_at_unix_ms = UnixMillis(token->claims().issued_at);
    rec.expires_at_unix_ms = UnixMillis(token->claims().expires_at);
    if (Status st = store->CreateShareLink(rec); !st.ok()) return ErrorResponse(st);
    std::string origin = options.public_origin;
    if (origin.empty()) {
      origin = std::string(req.secure ? "https://" : "http://") +
               std::string(req.headers.Get("Host").value_or("localhost"));
    }
    Object o;
    o.emplace_back("token", Any(token->token()));
    o.emplace_back("url", Any(origin + "/#/share/" + token->token()));
    o.emplace_back("expires_at", Any(IsoTime(rec.expires_at_unix_ms)));
    return JsonResponse(201, Any(std::move(o)));
  }

  if (what == "preview" && parts.size() == 3 && m == "POST") {
    // A short-lived, project-bound token for the preview origin (docs/platform.md, Preview).
    auto token = issuer->IssuePreview(caller.user.id, id, internal::kPreviewUrlTokenTtl);
    if (!token.ok()) return ErrorResponse(token.error());
    std::string host(req.headers.Get("Host").value_or("localhost"));
    auto colon = host.rfind(':');
    std::string port = colon == std::string::npos || host.back() == ']' ? "" : host.substr(colon);
    Object o;
    o.emplace_back("token", Any(token->token()));
    o.emplace_back("url", Any("http://" + id + ".localhost" + port + "/?cs_preview=" + token->token()));
    o.emplace_back("path_url", Any("/preview/" + id + "/?cs_preview=" + token->token()));
    o.emplace_back("expires_in_s", Any(static_cast<std::int64_t>(internal::kPreviewUrlTokenTtl.count())));
    return JsonResponse(200, Any(std::move(o)));
  }

  // ---- files
  if (what == "files" || what == "dirs") {
    auto held = OpenWorkspace(id);
    if (!held.ok()) return ErrorResponse(held.error());
    const sandbox::SafeDir& dir = held->dir;
    if (what == "files" && parts.size() == 3 && m == "GET") {
      Array out;
      std::vector<std::string> stack{""};
      while (!stack.empty() && out.size() < 20000) {
        std::string at = std::move(stack.back());
        stack.pop_back();
        auto entries = dir.List(at.empty() ? "." : at);
        if (!entries.ok()) {
          if (at.empty()) {
            // SafeDir may refuse "."; list the root through its descriptor.
            entries = dir.List("");
          }
          if (!entries.ok()) continue;
        }
        for (const auto& e : *entries) {
          std::string path = at.empty() ? e.name : at + "/" + e.name;
          Object o;
          o.emplace_back("path", Any(path));
          std::uint64_t size = 0;
          std::string type = "file";
          if (e.type == sandbox::FileType::kDirectory) {
            type = "dir";
            stack.push_back(path);
          } else if (e.type == sandbox::FileType::kSymlink) {
            type = "symlink";
          } else if (auto st = dir.Stat(path); st.ok()) {
            size = st->size;
          }
          o.emplace_back("type", Any(type));
          o.emplace_back("size", Any(size));
          out.emplace_back(std::move(o));
        }
      }
      std::sort(out.begin(), out.end(), [](const Any& a, const Any& b) {
        return a.Find("path")->as_string() < b.Find("path")->as_string();
      });
      return JsonResponse(200, Any(std::move(out)));
    }
    if (parts.size() < 4) return ErrorResponse(NotFoundError("no such endpoint"));
    auto path = internal::ValidateRelativePath(Join(parts, 3));
    if (!path.ok()) return ErrorResponse(path.error());
    // The first directory of `dirs` (a path) that does not exist yet: what a write creates,
    // and removes again when it fails (a refused write changes nothing).
    auto first_missing = [&](std::string_view dirs) -> std::optional<std::string> {
      for (std::size_t at = 0; at <= dirs.size(); ++at) {
        at = std::min(dirs.find('/', at), dirs.size());
        std::string prefix(dirs.substr(0, at));
        if (!prefix.empty() && !dir.Stat(prefix).ok()) return prefix;
      }
      return std::nullopt;
    };
    const std::size_t last_slash = path->rfind('/');
    const std::string parent_dirs = last_slash == std::string::npos ? "" : path->substr(0, last_slash);
    auto undo_after = [&](const Status& st, const std::optional<std::string>& made) {
      if (made) (void)dir.RemoveAll(*made);
      return WriteErrorResponse(st, held->volume.get());
    };
    if (what == "dirs" && m == "POST") {
      auto made = first_missing(*path);
      if (Status st = dir.MakeDirectory(*path, 0755, true); !st.ok()) return undo_after(st, made);
      FixOwner(dir, *path);
      files_changed();
      return JsonResponse(201, Any(Object{}));
    }
    if (what == "files" && m == "GET") {
      auto data = dir.ReadFile(*path);
      if (!data.ok()) return ErrorResponse(data.error());
      net::HttpResponse resp =
          net::HttpResponse::WithBody(200, "application/octet-stream", *data);
      resp.headers.Set("Cache-Control", "no-store");
      return resp;
    }
    if (what == "files" && m == "PUT") {
      const std::string_view data = req.body_text();
      if (held->volume) {
        // Refused before anything is written when it cannot fit (the old content stays until
        // the new one is complete, so the whole body must fit next to it).
        auto usage = held->volume->Usage();
        if (usage.ok() && data.size() > usage->free_bytes) {
          return WriteErrorResponse(ResourceExhaustedError("no space left for " +
                                                           std::to_string(data.size()) + " bytes"),
                                    held->volume.get());
        }
      }
      auto made = parent_dirs.empty() ? std::nullopt : first_missing(parent_dirs);
      Status st = parent_dirs.empty() ? OkStatus() : dir.MakeDirectory(parent_dirs, 0755, true);
      if (st.ok()) st = dir.WriteFile(*path, data);
      if (!st.ok()) return undo_after(st, made);
      FixOwner(dir, *path);
      files_changed();
      return JsonResponse(200, Any(Object{}));
    }
    if (what == "files" && m == "DELETE") {
      auto st = dir.Stat(*path);
      if (!st.ok()) return ErrorResponse(st.error());
      Status removed = st->type == sandbox::FileType::kDirectory ? dir.RemoveAll(*path)
                                                                 : dir.Remove(*path);
      if (!removed.ok()) return ErrorResponse(removed);
      files_changed();
      return Empty(204);
    }
    return ErrorResponse(NotFoundError("no such endpoint"));
  }
  if (what == "rename" && parts.size() == 3 && m == "POST") {
    auto body = internal::ParseJsonBody(req);
    if (!body.ok()) return ErrorResponse(body.error());
    auto from = internal::ValidateRelativePath(StringField(*body, "from").value_or(""));
    auto to = internal::ValidateRelativePath(StringField(*body, "to").value_or(""));
    if (!from.ok()) return ErrorResponse(from.error());
    if (!to.ok()) return ErrorResponse(to.error());
    auto held = OpenWorkspace(id);
    if (!held.ok()) return ErrorResponse(held.error());
    const sandbox::SafeDir& dir = held->dir;
    if (auto st = dir.Stat(*from); !st.ok()) return ErrorResponse(st.error());
    if (dir.Stat(*to).ok()) return ErrorResponse(AlreadyExistsError(*to + " exists"));
    auto slash = to->rfind('/');
    if (slash != std::string::npos) {
      if (Status st = dir.MakeDirectory(to->substr(0, slash), 0755, true); !st.ok()) {
        return WriteErrorResponse(st, held->volume.get());
      }
    }
    if (Status st = dir.Rename(*from, *to); !st.ok()) return ErrorResponse(st);
    files_changed();
    return JsonResponse(200, Any(Object{}));
  }

  // ---- terminals and runs
  if (what == "terminals" && parts.size() == 3) {
    auto runtime = Runtime(id);
    if (!runtime.ok()) return ErrorResponse(runtime.error());
    std::shared_ptr<internal::ProjectRuntime> rt = *runtime;
    if (m == "GET") {
      auto list = OnStrand<Any>(*rt, [rt]() -> Result<Any> { return rt->ListTerminals(); });
      if (!list.ok()) return ErrorResponse(list.error());
      return JsonResponse(200, *list);
    }
    if (m == "POST") {
      if (auto limited = Limit(*create_limiter, "create:" + caller.user.id)) return *limited;
      auto body = internal::ParseJsonBody(req);
      if (!body.ok()) return ErrorResponse(body.error());
      std::string title = StringField(*body, "title").value_or("");
      if (title.size() > 64) title.resize(64);
      auto made = OnStrand<std::string>(*rt, [rt, title]() { return rt->NewShell(title); });
      if (!made.ok()) return ErrorResponse(made.error());
      Object o;
      o.emplace_back("id", Any(*made));
      return JsonResponse(201, Any(std::move(o)));
    }
  }
  if (what == "run" && parts.size() == 3 && m == "POST") {
    if (auto limited = Limit(*create_limiter, "create:" + caller.user.id)) return *limited;
    const filesync::TemplateInfo* t = FindTemplate(project->template_id);
    if (t == nullptr || t->run_command.empty()) {
      return ErrorResponse(FailedPreconditionError("the project's template has no run command"));
    }
    auto runtime = Runtime(id);
    if (!runtime.ok()) return ErrorResponse(runtime.error());
    std::shared_ptr<internal::ProjectRuntime> rt = *runtime;
    std::string command = t->run_command;
    auto ran = OnStrand<bool>(*rt, [rt, command]() -> Result<bool> {
      CODESPHERE_RETURN_IF_ERROR(rt->Run(command));
      return true;
    });
    if (!ran.ok()) return ErrorResponse(ran.error());
    Object o;
    o.emplace_back("terminal", Any("run"));
    return JsonResponse(200, Any(std::move(o)));
  }
  if (what == "stop" && parts.size() == 3 && m == "POST") {
    auto runtime = Runtime(id);
    if (!runtime.ok()) return ErrorResponse(runtime.error());
    std::shared_ptr<internal::ProjectRuntime> rt = *runtime;
    auto stopped = OnStrand<bool>(*rt, [rt]() -> Result<bool> {
      CODESPHERE_RETURN_IF_ERROR(rt->StopRun());
      return true;
    });
    if (!stopped.ok()) return ErrorResponse(stopped.error());
    return JsonResponse(200, Any(Object{}));
  }
  return ErrorResponse(NotFoundError("no such endpoint"));
}

}  // namespace codesphere::server
