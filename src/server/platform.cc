// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Platform: set-up of the data directory and services, authentication helpers, the web IDE's
// static files, /metrics, /healthz and the preview proxy.

#include "codesphere/server/platform.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include <asio/post.hpp>

#include "codesphere/auth/http_credentials.h"
#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/filesync/templates.h"
#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "codesphere/sandbox/process_launcher.h"
#include "codesphere/storage/local_dir_object_store.h"
#include "server/platform_internal.h"

namespace codesphere::server {
namespace internal {

net::HttpResponse JsonResponse(int status, const Any& value) {
  return net::HttpResponse::Json(status, ToJson(value));
}

net::HttpResponse ErrorResponse(const Status& status) {
  Object o;
  o.emplace_back("error", Any(status.message()));
  o.emplace_back("code", Any(StatusCodeName(status.code())));
  return JsonResponse(HttpStatusFromCode(status.code()), Any(std::move(o)));
}

Result<Any> ParseJsonBody(const net::HttpRequest& request) {
  if (request.body.empty()) return Any(Object{});
  auto parsed = ParseJson(request.body_text());
  if (!parsed.ok() || !parsed->is_object()) return InvalidArgumentError("the body must be a JSON object");
  return std::move(*parsed);
}

std::optional<std::string> StringField(const Any& body, std::string_view key) {
  const Any* v = body.Find(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

Result<std::string> ValidateRelativePath(std::string_view path) {
  if (path.empty() || path.size() > 4096) return InvalidArgumentError("empty or too long path");
  if (path.front() == '/') return InvalidArgumentError("absolute paths are refused");
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto seg = net::PercentDecode(path.substr(start, end - start));
    if (!seg.ok()) return InvalidArgumentError("malformed percent escape in path");
    if (seg->empty() || *seg == "." || *seg == ".." || seg->find('/') != std::string::npos ||
        seg->find('\0') != std::string::npos) {
      return InvalidArgumentError("path segments must not be empty, '.', '..' or contain '/'");
    }
    if (!out.empty()) out += '/';
    out += *seg;
    start = end + 1;
    if (end == path.size()) break;
  }
  return out;
}

bool ValidProjectId(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-' || id.back() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<RoomName> ParseRoomName(std::string_view room) {
  auto slash = room.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  RoomName out;
  out.project = std::string(room.substr(0, slash));
  if (!ValidProjectId(out.project)) return std::nullopt;
  auto path = ValidateRelativePath(room.substr(slash + 1));
  if (!path.ok()) return std::nullopt;
  out.path = std::move(*path);
  return out;
}

std::string EncodeRoomPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

Result<RoomName> ParseCanonicalRoomName(std::string_view room) {
  auto slash = room.find('/');
  if (slash == std::string_view::npos || !ValidProjectId(room.substr(0, slash))) {
    return NotFoundError("room names are {project}/{path}");
  }
  RoomName out;
  out.project = std::string(room.substr(0, slash));
  // Normalise: empty and "." segments go, ".." and bad escapes are refused.
  std::string_view rest = room.substr(slash + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    auto seg = net::PercentDecode(rest.substr(start, end - start));
    if (!seg.ok()) return InvalidArgumentError("invalid file room name: malformed percent escape");
    if (*seg == "..") return InvalidArgumentError("invalid file room name: '..' segments are refused");
    if (seg->find('\0') != std::string::npos) {
      return InvalidArgumentError("invalid file room name: NUL in a path segment");
    }
    if (!seg->empty() && *seg != ".") {
      if (!out.path.empty()) out.path += '/';
      out.path += *seg;
    }
    start = end + 1;
  }
  if (out.path.empty()) return InvalidArgumentError("invalid file room name: no file path");
  if (auto valid = ValidateRelativePath(EncodeRoomPath(out.path)); !valid.ok()) {
    return InvalidArgumentError("invalid file room name: " + std::string(valid.error().message()));
  }
  std::string canonical = out.project + "/" + EncodeRoomPath(out.path);
  if (canonical != room) {
    return InvalidArgumentError("file room names are canonical (one room per file): use \"" +
                                canonical + "\"");
  }
  return out;
}

}  // namespace internal

using internal::Array;
using internal::ErrorResponse;
using internal::JsonResponse;
using internal::Object;

Platform::Impl::Impl(asio::any_io_executor ex, PlatformOptions opts)
    : executor(ex),
      options(std::move(opts)),
      blocking(static_cast<std::size_t>(std::max(1, options.blocking_threads))),
      maintenance_timer(ex) {}

Platform::Impl::~Impl() {
  std::vector<std::thread> waiters;
  {
    std::lock_guard<std::mutex> lock(mu);
    waiters = std::move(stop_waiters);
  }
  for (std::thread& t : waiters) {
    // The waiter that held the last reference runs this itself.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else if (t.joinable()) {
      t.join();
    }
  }
  blocking.join();
}

std::int64_t Platform::Impl::NowMs() const { return UnixMillis(clock->WallNow()); }

std::string Platform::Impl::WorkspaceDir(std::string_view project) const {
  return (options.data_dir / "workspaces" / std::string(project)).string();
}

void Platform::Impl::Blocking(net::HttpResponder responder,
                              std::function<net::HttpResponse()> fn) {
  asio::post(blocking, [responder = std::move(responder), fn = std::move(fn)]() mutable {
    responder.Send(fn());
  });
}

Result<internal::Caller> Platform::Impl::Authenticate(const net::HttpRequest& request) {
  auth::RequestCredentials creds;
  if (auto a = request.headers.Get("Authorization")) creds.authorization = *a;
  if (auto c = request.headers.Get("Cookie")) creds.cookie = *c;
  std::optional<std::string> query_token = net::QueryParam(request.query, "token");
  if (query_token) creds.query_token = *query_token;
  CODESPHERE_ASSIGN_OR_RETURN(auto claims, auth::AuthenticateRequest(*verifier, creds));
  auto user = store->GetUser(claims.subject);
  if (!user.ok()) return UnauthenticatedError("the token's user no longer exists");
  return internal::Caller{std::move(*user), std::move(claims)};
}

Result<auth::Role> Platform::Impl::RequireRole(const internal::Caller& caller,
                                               std::string_view project, auth::Role needed) {
  if (!internal::ValidProjectId(project)) return NotFoundError("no such project");
  auto members = store->ListMembers(project);
  if (!members.ok()) return members.error();
  for (const auto& m : *members) {
    if (m.user != caller.user.id) continue;
    if (static_cast<int>(m.role) < static_cast<int>(needed)) {
      return PermissionDeniedError("this needs the " + std::string(auth::RoleName(needed)) +
                                   " role in the project");
    }
    return m.role;
  }
  return NotFoundError("no such project");
}

std::optional<net::HttpResponse> Platform::Impl::Limit(auth::RateLimiter& limiter,
                                                        std::string_view key) {
  auth::RateDecision d = limiter.Acquire(key);
  if (d.allowed) return std::nullopt;
  rate_limited->Increment();
  net::HttpResponse r = ErrorResponse(d.ToStatus());
  r.status = 429;
  r.headers.Set("Retry-After", std::to_string(std::max<std::int64_t>(1, d.RetryAfterSeconds())));
  return r;
}

Result<auth::IssuedToken> Platform::Impl::StartSession(const UserRecord& user) {
  CODESPHERE_ASSIGN_OR_RETURN(auto token, issuer->IssueSession(user.id, options.session_ttl));
  SessionRecord s;
  s.id = token.claims().token_id;
  s.user = user.id;
  s.created_at_unix_ms = UnixMillis(token.claims().issued_at);
  s.expires_at_unix_ms = UnixMillis(token.claims().expires_at);
  CODESPHERE_RETURN_IF_ERROR(store->CreateSession(s));
  return token;
}

const filesync::TemplateInfo* Platform::Impl::FindTemplate(std::string_view name) const {
  for (const auto& t : templates) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void Platform::Impl::FixOwner(const sandbox::SafeDir& dir, std::string_view path) const {
  struct stat st {};
  if (::fstat(dir.fd(), &st) != 0 || st.st_uid == ::geteuid()) return;
  (void)dir.ChownTree(path, st.st_uid, st.st_gid);
}

// ---- static files, ops endpoints

namespace {

std::string_view ContentType(std::string_view path) {
  auto ends = [&](std::string_view s) { return path.ends_with(s); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".map") || ends(".json")) return "application/json";
  if (ends(".ttf")) return "font/ttf";
  if (ends(".woff2")) return "font/woff2";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Result<std::string> ReadWholeFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return NotFoundError("no such file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void Platform::Impl::RegisterStaticAndOps() {
  server->HandleHttp("/healthz", [](net::HttpRequest, net::HttpResponder r) {
    r.Send(net::HttpResponse::Text(200, "ok"));
  });
  server->HandleHttp("/metrics", [this](net::HttpRequest, net::HttpResponder r) {
    r.Send(net::HttpResponse::WithBody(200, "text/plain; version=0.0.4",
                                       metrics->RenderPrometheus()));
  });
  server->HandleHttp("/", [this](net::HttpRequest req, net::HttpResponder r) {
    if (req.method != "GET" && req.method != "HEAD") {
      r.Send(ErrorResponse(NotFoundError("no such endpoint")));
      return;
    }
    std::string rel;
    if (req.path == "/" || req.path == "/index.html") {
      rel = "index.html";
    } else if (req.path.starts_with("/assets/")) {
      auto p = internal::ValidateRelativePath(std::string_view(req.path).substr(1));
      if (!p.ok()) {
        r.Send(ErrorResponse(p.error()));
        return;
      }
      rel = *p;
    } else {
      r.Send(ErrorResponse(NotFoundError("no such endpoint")));
      return;
    }
    Blocking(std::move(r), [this, rel] {
      if (options.web_root.empty() || !std::filesystem::exists(options.web_root / "index.html")) {
        if (rel == "index.html") {
          net::HttpResponse notice = net::HttpResponse::WithBody(
              200, "text/html; charset=utf-8",
              "<!doctype html><title>codesphere</title><p>The web IDE is not built: run "
              "<code>npm ci && npm run build</code> in <code>web/</code> (or pass --web-root).");
          notice.headers.Set("Cache-Control", "no-cache");
          return notice;
        }
        return ErrorResponse(NotFoundError("no such file"));
      }
      auto data = ReadWholeFile(options.web_root / rel);
      if (!data.ok()) return ErrorResponse(NotFoundError("no such file"));
      net::HttpResponse resp = net::HttpResponse::WithBody(200, ContentType(rel), *data);
      resp.headers.Set("Cache-Control",
                       rel == "index.html" ? "no-cache" : "public, max-age=3600");
      return resp;
    });
  });
}

// ---- preview

namespace {

// The project and upstream target of a preview request, or nullopt if it is none.
struct PreviewTarget {
  std::string project;
  std::string target;
};

std::optional<PreviewTarget> PreviewOf(const net::HttpRequest& req) {
  std::string host = req.host();
  if (host.ends_with(".localhost")) {
    std::string sub = host.substr(0, host.size() - std::string_view(".localhost").size());
    if (internal::ValidProjectId(sub)) return PreviewTarget{sub, req.target};
  }
  if (req.path.starts_with("/preview/")) {
    std::string_view rest = std::string_view(req.path).substr(9);
    auto slash = rest.find('/');
    std::string project(rest.substr(0, slash));
    if (!internal::ValidProjectId(project)) return std::nullopt;
    std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (!req.query.empty()) target += "?" + req.query;
    return PreviewTarget{project, target};
  }
  return std::nullopt;
}

net::HttpResponse PreviewPage(int status, std::string_view text) {
  std::string body =
      "<!doctype html><meta charset=utf-8><body style=\"font:14px system-ui;background:#11141a;"
      "color:#8a93a6;padding:24px\">" +
      std::string(text) + "</body>";
  return net::HttpResponse::WithBody(status, "text/html; charset=utf-8", body);
}

// `query` without its `key=...` pairs.
std::string WithoutQueryParam(std::string_view query, std::string_view key) {
  std::string out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    std::string_view name = pair.substr(0, pair.find('='));
    if (!pair.empty() && name != key) {
      if (!out.empty()) out += '&';
      out += pair;
    }
    start = end + 1;
  }
  return out;
}

// The Cookie header without the platform's own cookies: the project's app never sees a
// visitor's session or preview token.
std::string WithoutPlatformCookies(std::string_view cookie) {
  std::string out;
  std::size_t start = 0;
  while (start < cookie.size()) {
    std::size_t end = cookie.find(';', start);
    if (end == std::string_view::npos) end = cookie.size();
    std::string_view pair = cookie.substr(start, end - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    std::string_view name = pair.substr(0, pair.find('='));
    if (!pair.empty() && name != "cs_session" && name != "cs_preview") {
      if (!out.empty()) out += "; ";
      out += pair;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

void Platform::Impl::RegisterPreview() {
  server->HandleProxy(
      [](const net::HttpRequest& req) { return PreviewOf(req).has_value(); },
      [this](const net::HttpRequest& req, net::ProxyResponder responder) {
        auto target = *PreviewOf(req);
        std::optional<std::uint16_t> port_override;
        if (auto p = net::QueryParam(req.query, "port")) {
          unsigned v = 0;
          auto r = std::from_chars(p->data(), p->data() + p->size(), v);
          if (r.ec == std::errc() && v > 0 && v < 65536) port_override = static_cast<std::uint16_t>(v);
        }
        const bool path_form = req.path.starts_with("/preview/");
        std::string cookie(req.headers.Get("Cookie").value_or(""));
        std::string auth_header(req.headers.Get("Authorization").value_or(""));
        std::string query_preview = net::QueryParam(req.query, "cs_preview").value_or("");
        std::string host = req.host();
        std::string path = req.path;
        std::string query = req.query;
        asio::post(blocking, [this, target, port_override, path_form, cookie, auth_header,
                              query_preview, host, path, query,
                              responder = std::move(responder)]() mutable {
          auto project = store->GetProject(target.project);
          if (!project.ok()) {
            responder.Reject(PreviewPage(404, "No such project."));
            return;
          }
          // Authorisation (docs/platform.md, Preview authorisation): members, through a
          // preview token (URL, then cookie) or their session; or anyone when public.
          if (options.preview_access == PreviewAccess::kMembers && !project->public_preview) {
            std::optional<std::string> user;
            auto preview_user = [&](std::string_view token) -> std::optional<std::string> {
              if (token.empty()) return std::nullopt;
              auto claims = verifier->Verify(token, auth::TokenKind::kPreview);
              if (!claims.ok() || claims->project != target.project) return std::nullopt;
              return claims->subject;
            };
            user = preview_user(query_preview);
            const bool from_url = user.has_value();
            if (!user) user = preview_user(auth::CookieValue(cookie, "cs_preview").value_or(""));
            if (!user) {
              auth::RequestCredentials creds{auth_header, cookie, {}};
              if (auto claims = auth::AuthenticateRequest(*verifier, creds); claims.ok()) {
                user = claims->subject;
              }
            }
            if (!user) {
              responder.Reject(PreviewPage(401, "Sign in to see this preview: open it from the "
                                                "project's IDE."));
              return;
            }
            internal::Caller caller;
            caller.user.id = *user;
            if (!RequireRole(caller, target.project, auth::Role::kViewer).ok()) {
              responder.Reject(PreviewPage(403, "Only members of this project see its preview."));
              return;
            }
            if (from_url) {
              // Trade the URL token for a cookie on the preview origin (or path), then load
              // the same URL without it.
              auto cookie_token = issuer->IssuePreview(*user, target.project, internal::kPreviewCookieTtl);
              if (!cookie_token.ok()) {
                responder.Reject(PreviewPage(500, "Could not issue a preview token."));
                return;
              }
              std::string attrs = "; HttpOnly; Max-Age=" +
                                  std::to_string(internal::kPreviewCookieTtl.count());
              if (path_form) {
                attrs += "; Path=/preview/" + target.project + "/; SameSite=Lax";
              } else if (host.ends_with(".localhost") || options.secure_cookies) {
                // The IDE embeds the preview origin in an iframe: a cross-site context where
                // browsers keep only partitioned (CHIPS) cookies; *.localhost counts as secure.
                attrs += "; Path=/; SameSite=None; Secure; Partitioned";
              } else {
                attrs += "; Path=/; SameSite=Lax";
              }
              net::HttpResponse redirect = PreviewPage(302, "Redirecting.");
              std::string rest = WithoutQueryParam(query, "cs_preview");
              redirect.headers.Set("Location", path + (rest.empty() ? "" : "?" + rest));
              redirect.headers.Set("Set-Cookie", "cs_preview=" + cookie_token->token() + attrs);
              redirect.headers.Set("Cache-Control", "no-store");
              responder.Reject(std::move(redirect));
              return;
            }
          }
          Touch(target.project);
          auto runtime = FindRuntime(target.project);
          std::uint16_t port = port_override.value_or(options.preview_port);
          auto fd = runtime ? runtime->ConnectPreview(port)
                            : Result<sandbox::UniqueFd>(UnavailableError("not running"));
          if (!fd.ok()) {
            responder.Reject(PreviewPage(
                502, "Nothing is listening on port " + std::to_string(port) + " in " +
                         project->name + " yet. Run the project, then reload."));
            return;
          }
          net::ProxyTarget pt;
          pt.fd = fd->release();
          pt.target = target.target;
          pt.set_headers.Set("Host", "localhost:" + std::to_string(port));
          pt.set_headers.Set("Cookie", WithoutPlatformCookies(cookie));
          responder.ProxyTo(std::move(pt));
        });
      });
}

// ---- Platform

Platform::Platform(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Platform::~Platform() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->maintenance_timer.cancel();
  if (impl_->server) impl_->server->Stop();
  std::vector<std::string> projects;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (const auto& [id, rt] : impl_->runtimes) projects.push_back(id);
  }
  for (const auto& p : projects) impl_->DropRuntime(p, true);
  if (impl_->collab) impl_->collab->Shutdown();
  impl_->ReleaseAllVolumes();
}

Result<std::unique_ptr<Platform>> Platform::Create(asio::any_io_executor executor,
                                                   PlatformOptions options) {
  if (options.data_dir.empty()) return InvalidArgumentError("PlatformOptions::data_dir is required");
  if (options.templates_dir.empty()) {
    return InvalidArgumentError("PlatformOptions::templates_dir is required");
  }
  if (options.workspace_size_bytes != 0 && options.workspace_size_bytes < (16u << 20)) {
    return InvalidArgumentError("PlatformOptions::workspace_size_bytes: 0 (no cap) or at least 16 MiB");
  }
  std::error_code ec;
  for (const char* sub : {"", "workspaces", "rooms", "objects", "cache", "volumes"}) {
    std::filesystem::create_directories(options.data_dir / sub, ec);
    if (ec) {
      return PermissionDeniedError("cannot create " + (options.data_dir / sub).string() + ": " +
                                   ec.message());
    }
  }
  // Workspaces are mount points and sandbox binds: absolute, normalized paths.
  options.data_dir = std::filesystem::canonical(options.data_dir, ec);
  if (ec) return PermissionDeniedError("cannot resolve the data directory: " + ec.message());
  // Traversable but not listable: sandboxes (other uids in their user namespaces) must reach
  // their own workspace; the database and keyring keep their own 0600 modes; the volume
  // images are the server's alone.
  ::chmod(options.data_dir.c_str(), 0711);
  ::chmod((options.data_dir / "workspaces").c_str(), 0711);
  ::chmod((options.data_dir / "volumes").c_str(), 0700);
  auto impl = std::make_shared<Impl>(executor, std::move(options));
  Impl& p = *impl;
  const PlatformOptions& o = p.options;
  p.clock = o.clock ? o.clock : &RealClock();
  p.metrics = o.metrics ? o.metrics : &p.own_metrics;
  {
    std::random_device rd;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 64; ++i) p.agent_secret += kHex[rd() & 0xf];
  }

  CODESPHERE_ASSIGN_OR_RETURN(p.store, MetadataStore::Open(o.data_dir / "metadata.db"));
  // SQLite creates the -wal/-shm files with the database's mode.
  for (const char* f : {"metadata.db", "metadata.db-wal", "metadata.db-shm"}) {
    ::chmod((o.data_dir / f).c_str(), 0600);
  }
  if (auto closed = p.store->StopAllRunning(p.NowMs()); !closed.ok()) return closed.error();

  CODESPHERE_ASSIGN_OR_RETURN(auto keyring,
                              auth::LoadOrCreateKeyringFile(o.data_dir / "keyring", p.clock->WallNow()));
  p.keyring = std::make_shared<const auth::Keyring>(std::move(keyring));
  p.issuer = std::make_unique<auth::TokenIssuer>(p.keyring, *p.clock);
  auth::TokenVerifierOptions vo;
  MetadataStore* store = p.store.get();
  const Clock* clock = p.clock;
  vo.is_revoked = [store, clock](const auth::TokenClaims& c) {
    if (c.kind != auth::TokenKind::kSession) return false;
    return store->IsSessionRevoked(c.token_id, UnixMillis(clock->WallNow()));
  };
  p.verifier = std::make_unique<auth::KeyringTokenVerifier>(p.keyring, *p.clock, std::move(vo));
  CODESPHERE_ASSIGN_OR_RETURN(
      auto hasher, auth::PasswordHasher::Create(o.fast_password_hashing
                                                    ? auth::PasswordHasherOptions::MinimumForTests()
                                                    : auth::PasswordHasherOptions::Interactive()));
  p.hasher.emplace(std::move(hasher));
  p.login_limiter = std::make_unique<auth::RateLimiter>(
      *p.clock, auth::RateLimiterOptions{o.login_burst, o.login_interval, 100000});
  p.create_limiter = std::make_unique<auth::RateLimiter>(
      *p.clock, auth::RateLimiterOptions{o.create_burst, o.create_interval, 100000});

  // Snapshots and templates.
  CODESPHERE_ASSIGN_OR_RETURN(p.objects,
                              storage::NewLocalDirObjectStore((o.data_dir / "objects").string()));
  filesync::RepositoryOptions ro;
  ro.cache_dir = (o.data_dir / "cache").string();
  ro.workers = 2;
  CODESPHERE_ASSIGN_OR_RETURN(p.repo, filesync::Repository::Open(*p.objects, ro));
  CODESPHERE_ASSIGN_OR_RETURN(p.templates, filesync::LoadTemplates(o.templates_dir.string()));
  if (p.templates.empty()) {
    return InvalidArgumentError("no templates in " + o.templates_dir.string());
  }
  if (auto published = filesync::PublishTemplates(*p.repo, p.templates); !published.ok()) {
    return published.error();
  }

  // Sandboxes.
  if (o.sandbox != SandboxMode::kNone) {
    Status probe = sandbox::ProbeLinuxNamespaceSupport();
    if (probe.ok()) {
      auto launcher = sandbox::NewLinuxNamespaceLauncher();
      if (launcher.ok()) {
        p.launcher = std::move(*launcher);
        p.sandbox_kind = "namespaces";
      } else {
        probe = launcher.error();
      }
    }
    if (!p.launcher) {
      if (o.sandbox == SandboxMode::kNamespaces) return probe;
      LogWarning("SANDBOXES ARE NOT ISOLATED: Linux namespaces are unavailable on this machine; "
                 "project code runs as plain host processes (development only)",
                 {{"reason", probe.ToString()}});
    }
  }
  if (!p.launcher) {
    p.launcher = sandbox::NewProcessLauncherWithoutIsolation();
    p.sandbox_kind = "none";
  }

  // Disk quotas.
  p.volume_support = sandbox::ProbeWorkspaceVolumeSupport();
  if (o.workspace_size_bytes != 0) {
    if (p.volume_support.ok()) {
      p.workspace_cap = o.workspace_size_bytes;
    } else {
      LogWarning("WORKSPACES ARE NOT SIZE-CAPPED: this host cannot mount workspace volumes; "
                 "a project can fill the host's disk",
                 {{"reason", p.volume_support.ToString()}, {"wanted", o.workspace_size_bytes}});
    }
  }

  // Metrics.
  MetricsRegistry& m = *p.metrics;
  p.logins = &m.AddCounter("codesphere_platform_logins_total", "Successful logins and signups");
  p.login_failures = &m.AddCounter("codesphere_platform_login_failures_total", "Refused logins");
  p.rate_limited = &m.AddCounter("codesphere_platform_rate_limited_total", "Requests answered 429");
  p.sandbox_starts = &m.AddCounter("codesphere_platform_sandbox_starts_total", "Sandboxes started");
  p.sandbox_stops = &m.AddCounter("codesphere_platform_sandbox_stops_total", "Sandboxes stopped");
  p.snapshots = &m.AddCounter("codesphere_platform_snapshots_total", "Workspace snapshots taken");
  p.sandbox_start_seconds = &m.AddHistogram("codesphere_platform_sandbox_start_seconds",
                                            "Time to start a sandbox",
                                            ExponentialBuckets(0.001, 2, 14));
  p.workspace_full = &m.AddCounter("codesphere_platform_workspace_full_total",
                                   "REST writes refused because the workspace is full");
  p.request_seconds = &m.AddHistogram("codesphere_platform_api_seconds", "REST request latency",
                                      ExponentialBuckets(0.0005, 2, 16));
  std::weak_ptr<Impl> weak = impl;
  m.AddCallbackGauge("codesphere_platform_sandboxes_running", "Projects with a running sandbox",
                     [weak] {
                       auto self = weak.lock();
                       if (!self) return 0.0;
                       std::lock_guard<std::mutex> lock(self->mu);
                       return static_cast<double>(self->runtimes.size());
                     });

  const double cap = static_cast<double>(p.workspace_cap);
  m.AddCallbackGauge("codesphere_platform_workspace_cap_bytes",
                     "Disk quota of new workspaces (0: uncapped)", [cap] { return cap; });
  m.AddCallbackGauge("codesphere_platform_workspace_volumes_mounted",
                     "Workspace volumes the platform holds mounted", [weak] {
                       auto self = weak.lock();
                       if (!self) return 0.0;
                       return static_cast<double>(self->HeldVolumes().size());
                     });
  m.AddCallbackGauge("codesphere_platform_workspace_used_bytes",
                     "Bytes used in the mounted workspace volumes", [weak] {
                       auto self = weak.lock();
                       if (!self) return 0.0;
                       double used = 0;
                       for (const auto& v : self->HeldVolumes()) {
                         if (auto u = v->Usage(); u.ok()) used += static_cast<double>(u->used_bytes);
                       }
                       return used;
                     });
  m.AddCallbackGauge("codesphere_platform_file_agents_bound",
                     "Open file rooms whose file is live-bound (edits <-> disk)", [weak] {
                       auto self = weak.lock();
                       if (!self) return 0.0;
                       std::lock_guard<std::mutex> lock(self->mu);
                       double n = 0;
                       for (const auto& [id, rt] : self->runtimes) n += rt->files().bound_agents();
                       return n;
                     });

  // The server and its routes.
  net::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.name = "platform";
  so.metrics = p.metrics;
  so.max_request_body_size = 32u << 20;
  CODESPHERE_ASSIGN_OR_RETURN(p.server, net::Server::Create(executor, so));

  CollabOptions co;
  co.sync = o.sync_rooms;
  co.metrics = p.metrics;
  co.clock = p.clock;
  sync::FileDocumentStoreOptions fo;
  fo.sync = o.sync_rooms;
  CODESPHERE_ASSIGN_OR_RETURN(auto room_store,
                              sync::NewFileDocumentStore(o.data_dir / "rooms", fo));
  Impl* raw = impl.get();
  co.store = internal::NewWorkspaceDocumentStore(
      std::move(room_store), [raw](std::string_view project) { return raw->OpenWorkspace(project); });
  CODESPHERE_ASSIGN_OR_RETURN(p.collab, CollabService::Create(executor, std::move(co), p.RoomHooks()));

  p.RegisterPreview();
  p.RegisterApi();
  p.RegisterRooms();
  p.RegisterRuntime();
  p.RegisterStaticAndOps();
  LogInfo("platform ready", {{"data", o.data_dir.string()},
                             {"sandbox", p.sandbox_kind},
                             {"templates", p.templates.size()},
                             {"workspace_cap", p.workspace_cap},
                             {"address", p.server->local_address()}});
  return std::unique_ptr<Platform>(new Platform(std::move(impl)));
}

void Platform::Start() {
  impl_->server->Start();
  impl_->MaintenanceTick();
  if (impl_->workspace_cap != 0) {
    std::weak_ptr<Impl> weak = impl_;
    asio::post(impl_->blocking, [weak] {
      if (auto impl = weak.lock()) impl->PrepareSpareVolume();
    });
  }
}

void Platform::Stop(unique_function<void()> on_stopped) {
  std::shared_ptr<Impl> impl = impl_;
  impl->stopping = true;
  impl->maintenance_timer.cancel();
  auto done = std::make_shared<unique_function<void()>>(std::move(on_stopped));
  impl->server->Stop([impl, done] {
    asio::post(impl->blocking, [impl, done] {
      std::vector<std::string> projects;
      {
        std::lock_guard<std::mutex> lock(impl->mu);
        for (const auto& [id, rt] : impl->runtimes) projects.push_back(id);
      }
      for (const auto& p : projects) impl->DropRuntime(p, true);
      impl->collab->Shutdown();
      impl->ReleaseAllVolumes();
      // `on_stopped` promises that nothing of the platform still runs, so that the caller may
      // destroy the io_context: other pool threads may still be finishing a request (the
      // responder, holding a strand of that io_context, goes after the answer was sent).
      // Wait for the pool to empty, from outside it (this job is part of its work). The
      // waiter lets go of the platform before reporting: if that was the last reference,
      // ~Impl (and its io objects) ran before the caller may destroy the io_context.
      std::lock_guard<std::mutex> lock(impl->mu);
      impl->stop_waiters.emplace_back([impl, done]() mutable {
        impl->blocking.join();
        impl.reset();
        LogInfo("platform stopped");
        if (*done) (*done)();
      });
    });
  });
}

std::uint16_t Platform::port() const { return impl_->server->port(); }

std::string Platform::url() const {
  std::string host = impl_->options.host;
  if (host == "0.0.0.0" || host == "::" || host.empty()) host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port());
}

std::string Platform::sandbox_kind() const { return impl_->sandbox_kind; }

}  // namespace codesphere::server
