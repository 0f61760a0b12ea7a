// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// API tests of server::Platform on port 0 with a temp data dir: authentication on every
// endpoint and WebSocket, traversal refusal, rate limits, the project life cycle, terminals,
// runs and read-only rooms.
#include "codesphere/server/platform.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "codesphere/base/any.h"
#include "codesphere/base/encoding.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/net/client.h"
#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::server {
namespace {

using namespace std::chrono_literals;
using ::codesphere::testing::StatusIs;

struct Response {
  int status = 0;
  std::string headers;  // raw header block, lower-cased names
  std::string body;
  std::string Header(std::string_view name) const {
    std::string key = "\n" + std::string(name) + ":";
    auto at = headers.find(key);
    if (at == std::string::npos) return "";
    auto end = headers.find('\r', at + key.size());
    std::string v = headers.substr(at + key.size(), end - at - key.size());
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
  Any Json() const {
    auto parsed = ParseJson(body);
    return parsed.ok() ? *parsed : Any();
  }
};

// A minimal blocking HTTP/1.1 client (one request per connection).
Response Http(std::uint16_t port, const std::string& method, const std::string& target,
              const std::string& body = "", const std::string& token = "",
              const std::string& extra_headers = "") {
  Response out;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  req += extra_headers + "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return out;
  out.status = std::stoi(raw.substr(9, 3));
  out.headers = raw.substr(0, head_end);
  for (char& c : out.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.body = raw.substr(head_end + 4);
  return out;
}

// Collects what a WebSocket receives; waits for conditions on it.
struct WsRecorder : std::enable_shared_from_this<WsRecorder> {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;                 // text messages, newline separated
  std::string binary;               // binary messages concatenated
  std::vector<Bytes> frames;        // binary messages
  bool closed = false;

  net::WebSocketHandlers Handlers() {
    net::WebSocketHandlers h;
    // The handlers keep the recorder alive: a close may arrive after the test moved on.
    h.on_message = [self = shared_from_this(), this](net::WebSocket&, ByteSpan data, net::MessageKind kind) {
      std::lock_guard<std::mutex> lock(mu);
      if (kind == net::MessageKind::kText) {
        text.append(reinterpret_cast<const char*>(data.data()), data.size());
        text += '\n';
      } else {
        binary.append(reinterpret_cast<const char*>(data.data()), data.size());
        frames.emplace_back(data.begin(), data.end());
      }
      cv.notify_all();
    };
    h.on_close = [self = shared_from_this(), this](net::WebSocket&, const net::CloseInfo&) {
      std::lock_guard<std::mutex> lock(mu);
      closed = true;
      cv.notify_all();
    };
    return h;
  }
  template <typename Pred>
  bool WaitFor(Pred pred, std::chrono::seconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot(); }

  void Boot(int login_burst = 50) {
    PlatformOptions o;
    o.data_dir = dir_.path() / "data";
    o.templates_dir = testing::SourceDir() / "templates";
    o.sandbox = SandboxMode::kNone;
    o.fast_password_hashing = true;
    o.sync_rooms = false;
    o.clock = &clock_;
    o.login_burst = static_cast<std::uint32_t>(login_burst);
    o.create_burst = 3;
    o.session_ttl = std::chrono::seconds(3600);
    auto p = Platform::Create(io_.get_executor(), o);
    ASSERT_OK(p.status());
    platform_ = std::move(*p);
    platform_->Start();
    port_ = platform_->port();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (platform_) {
      std::promise<void> stopped;
      platform_->Stop([&] { stopped.set_value(); });
      stopped.get_future().wait_for(20s);
    }
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    platform_.reset();
  }

  // Signs up `name`; returns its token.
  std::string Signup(const std::string& name) {
    Response r = Http(port_, "POST", "/api/auth/signup",
                      R"({"username":")" + name + R"(","password":"correct horse battery"})");
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_NE(r.Header("set-cookie").find("cs_session="), std::string::npos);
    EXPECT_NE(r.Header("set-cookie").find("httponly"), std::string::npos);
    Any json = r.Json();
    const Any* t = json.Find("token");
    return t != nullptr ? t->as_string() : "";
  }

  std::string CreateProject(const std::string& token, const std::string& tmpl = "python") {
    Response r = Http(port_, "POST", "/api/projects",
                      R"({"name":"My App","template":")" + tmpl + R"("})", token);
    EXPECT_EQ(r.status, 201) << r.body;
    Any json = r.Json();
    const Any* id = json.Find("id");
    return id != nullptr ? id->as_string() : "";
  }

  // Connects a WebSocket; returns the connection or the handshake error.
  Result<std::shared_ptr<net::WebSocket>> Ws(const std::string& path, WsRecorder& rec,
                                             const std::string& cookie = "") {
    std::promise<Result<std::shared_ptr<net::WebSocket>>> done;
    net::WebSocketClientOptions o;
    if (!cookie.empty()) o.headers.Add("Cookie", "cs_session=" + cookie);
    net::ConnectWebSocket(io_.get_executor(), "ws://127.0.0.1:" + std::to_string(port_) + path, o,
                          rec.Handlers(),
                          [&](Result<std::shared_ptr<net::WebSocket>> r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{std::in_place,
                                                                                  asio::make_work_guard(io_)};
  std::unique_ptr<Platform> platform_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(PlatformTest, HealthMetricsAndIndex) {
  EXPECT_EQ(Http(port_, "GET", "/healthz").body, "ok");
  Response m = Http(port_, "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("codesphere_platform_sandbox_starts_total"), std::string::npos);
  Response index = Http(port_, "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("cache-control"), "no-cache");
}

TEST_F(PlatformTest, SignupLoginMeLogout) {
  std::string token = Signup("alice");
  Response me = Http(port_, "GET", "/api/me", "", token);
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json().Find("username")->as_string(), "alice");
  // The cookie works as well as the bearer token.
  EXPECT_EQ(Http(port_, "GET", "/api/me", "", "", "Cookie: cs_session=" + token + "\r\n").status, 200);
  EXPECT_EQ(Http(port_, "POST", "/api/auth/signup",
                 R"({"username":"alice","password":"correct horse battery"})").status, 409);
  EXPECT_EQ(Http(port_, "POST", "/api/auth/login",
                 R"({"username":"alice","password":"wrong password!"})").status, 401);
  Response login = Http(port_, "POST", "/api/auth/login",
                        R"({"username":"alice","password":"correct horse battery"})");
  ASSERT_EQ(login.status, 200);
  EXPECT_EQ(Http(port_, "POST", "/api/auth/logout", "", token).status, 204);
  // The logged-out session is revoked.
  EXPECT_EQ(Http(port_, "GET", "/api/me", "", token).status, 401);
}

TEST_F(PlatformTest, EveryEndpointRefusesMissingBadAndWrongProjectTokens) {
  std::string alice = Signup("alice");
  std::string mallory = Signup("mallory");
  std::string p = CreateProject(alice);
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"GET", "/api/me"},
      {"GET", "/api/templates"},
      {"GET", "/api/projects"},
      {"GET", "/api/projects/" + p},
      {"PATCH", "/api/projects/" + p},
      {"DELETE", "/api/projects/" + p},
      {"POST", "/api/projects/" + p + "/fork"},
      {"POST", "/api/projects/" + p + "/members"},
      {"POST", "/api/projects/" + p + "/share-links"},
      {"GET", "/api/projects/" + p + "/files"},
      {"GET", "/api/projects/" + p + "/files/main.py"},
      {"PUT", "/api/projects/" + p + "/files/x.txt"},
      {"DELETE", "/api/projects/" + p + "/files/main.py"},
      {"POST", "/api/projects/" + p + "/dirs/d"},
      {"POST", "/api/projects/" + p + "/rename"},
      {"GET", "/api/projects/" + p + "/terminals"},
      {"POST", "/api/projects/" + p + "/terminals"},
      {"POST", "/api/projects/" + p + "/run"},
      {"POST", "/api/projects/" + p + "/stop"},
      {"POST", "/api/projects/" + p + "/preview"},
  };
  for (const auto& [method, path] : endpoints) {
    EXPECT_EQ(Http(port_, method, path).status, 401) << method << " " << path << " without a token";
    EXPECT_EQ(Http(port_, method, path, "", "garbage.token").status, 401) << method << " " << path;
    if (path.find(p) != std::string::npos) {
      // Another user's valid token: the project does not exist for them.
      EXPECT_EQ(Http(port_, method, path, "{}", mallory).status, 404) << method << " " << path;
    }
  }
  for (const std::string& ws : {"/yjs/" + p + "/main.py", "/pty/" + p + "/t1", "/events/" + p}) {
    auto rec = std::make_shared<WsRecorder>();
    EXPECT_THAT(Ws(ws, *rec).status(), StatusIs(StatusCode::kUnauthenticated)) << ws;
    EXPECT_THAT(Ws(ws + "?token=garbage", *rec).status(), StatusIs(StatusCode::kUnauthenticated)) << ws;
    EXPECT_THAT(Ws(ws + "?token=" + mallory, *rec).status(), StatusIs(StatusCode::kNotFound)) << ws;
    auto ok = Ws(ws + "?token=" + alice, *rec);
    ASSERT_TRUE(ok.ok()) << ws << ": " << ok.status().ToString();
    (*ok)->Close();
  }
  // The project is untouched.
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/main.py", "", alice).status, 200);
}

TEST_F(PlatformTest, ExpiredTokensAreRefused) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p, "", alice).status, 401);
  auto rec = std::make_shared<WsRecorder>();
  EXPECT_THAT(Ws("/events/" + p + "?token=" + alice, *rec).status(),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Ws("/yjs/" + p + "/main.py", *rec, alice).status(), StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(PlatformTest, TraversalIsRefused) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  std::filesystem::path ws = dir_.path() / "data" / "workspaces" / p;
  std::filesystem::create_directory_symlink("/etc", ws / "link");
  const std::string base = "/api/projects/" + p;
  for (const char* path : {"/files/../../metadata.db", "/files/%2e%2e/%2e%2e/metadata.db",
                                  "/files/a/../../x", "/files/link/passwd", "/files//etc/passwd",
                                  "/files/%2Fetc%2Fpasswd"}) {
    Response r = Http(port_, "GET", base + path, "", alice);
    EXPECT_TRUE(r.status == 400 || r.status == 403) << path << " -> " << r.status << " " << r.body;
    Response w = Http(port_, "PUT", base + path, "owned", alice);
    EXPECT_TRUE(w.status == 400 || w.status == 403) << path << " -> " << w.status;
  }
  EXPECT_EQ(Http(port_, "POST", base + "/rename", R"({"from":"main.py","to":"../evil.py"})", alice).status, 400);
  EXPECT_EQ(Http(port_, "POST", base + "/rename", R"({"from":"/etc/passwd","to":"x"})", alice).status, 400);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "workspaces" / "evil.py"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "x"));
}

TEST_F(PlatformTest, ProjectLifeCycleCreateWriteForkDelete) {
  std::string alice = Signup("alice");
  Response templates = Http(port_, "GET", "/api/templates", "", alice);
  ASSERT_EQ(templates.status, 200);
  EXPECT_NE(templates.body.find("\"python\""), std::string::npos);
  std::string p = CreateProject(alice);
  const std::string base = "/api/projects/" + p;
  Response files = Http(port_, "GET", base + "/files", "", alice);
  EXPECT_NE(files.body.find("\"main.py\""), std::string::npos) << files.body;
  EXPECT_EQ(Http(port_, "PUT", base + "/files/src/my%20file.txt", "hello world", alice).status, 200);
  EXPECT_EQ(Http(port_, "GET", base + "/files/src/my%20file.txt", "", alice).body, "hello world");
  EXPECT_EQ(Http(port_, "POST", base + "/rename", R"({"from":"src/my file.txt","to":"b.txt"})", alice).status, 200);
  EXPECT_EQ(Http(port_, "GET", base + "/files/b.txt", "", alice).body, "hello world");
  Response fork = Http(port_, "POST", base + "/fork", R"({"name":"copy"})", alice);
  ASSERT_EQ(fork.status, 201) << fork.body;
  std::string f = fork.Json().Find("id")->as_string();
  EXPECT_NE(f, p);
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + f + "/files/b.txt", "", alice).body, "hello world");
  EXPECT_EQ(Http(port_, "PATCH", "/api/projects/" + f, R"({"name":"renamed"})", alice).Json().Find("name")->as_string(),
            "renamed");
  EXPECT_EQ(Http(port_, "DELETE", base + "/files/b.txt", "", alice).status, 204);
  EXPECT_EQ(Http(port_, "GET", base + "/files/b.txt", "", alice).status, 404);
  EXPECT_EQ(Http(port_, "DELETE", "/api/projects/" + f, "", alice).status, 204);
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + f, "", alice).status, 404);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "workspaces" / f));
  Response list = Http(port_, "GET", "/api/projects", "", alice);
  EXPECT_NE(list.body.find(p), std::string::npos);
  EXPECT_EQ(list.body.find(f), std::string::npos);
}

TEST_F(PlatformTest, RolesAndShareLinks) {
  std::string alice = Signup("alice");
  std::string bob = Signup("bob");
  std::string carol = Signup("carol");
  std::string p = CreateProject(alice);
  const std::string base = "/api/projects/" + p;
  ASSERT_EQ(Http(port_, "POST", base + "/members", R"({"username":"bob","role":"viewer"})", alice).status, 200);
  EXPECT_EQ(Http(port_, "GET", base + "/files/main.py", "", bob).status, 200);
  EXPECT_EQ(Http(port_, "PUT", base + "/files/main.py", "x", bob).status, 403);
  EXPECT_EQ(Http(port_, "POST", base + "/terminals", "{}", bob).status, 403);
  EXPECT_EQ(Http(port_, "DELETE", base, "", bob).status, 403);
  Response link = Http(port_, "POST", base + "/share-links", R"({"role":"editor","expires_in_s":3600})", alice);
  ASSERT_EQ(link.status, 201) << link.body;
  std::string token = link.Json().Find("token")->as_string();
  EXPECT_EQ(link.Json().Find("url")->as_string(), "http://127.0.0.1:" + std::to_string(port_) + "/#/share/" + token);
  EXPECT_EQ(Http(port_, "POST", base + "/share-links", R"({"role":"editor"})", bob).status, 403);
  Response accepted = Http(port_, "POST", "/api/share-links/" + token + "/accept", "", carol);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.Json().Find("role")->as_string(), "editor");
  EXPECT_EQ(Http(port_, "PUT", base + "/files/carol.txt", "hi", carol).status, 200);
  // A share link is no session token, and a session token is no share link.
  EXPECT_EQ(Http(port_, "GET", "/api/me", "", token).status, 401);
  EXPECT_EQ(Http(port_, "POST", "/api/share-links/" + carol + "/accept", "", bob).status, 404);
}

TEST_F(PlatformTest, RateLimitsAnswer429) {
  TearDown();
  platform_.reset();
  io_.restart();
  work_.emplace(asio::make_work_guard(io_));
  Boot(/*login_burst=*/2);
  std::string alice = Signup("alice");
  Http(port_, "POST", "/api/auth/login", R"({"username":"alice","password":"correct horse battery"})");
  Response limited = Http(port_, "POST", "/api/auth/login",
                          R"({"username":"alice","password":"correct horse battery"})");
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  // Sandbox/terminal creation: create_burst is 3.
  std::string p = CreateProject(alice);
  int last = 0;
  for (int i = 0; i < 3; ++i) last = Http(port_, "POST", "/api/projects/" + p + "/terminals", "{}", alice).status;
  EXPECT_EQ(last, 429);
}

TEST_F(PlatformTest, TerminalRunsEchoAndRunShowsOutput) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  Response t = Http(port_, "POST", "/api/projects/" + p + "/terminals", "{}", alice);
  ASSERT_EQ(t.status, 201) << t.body;
  std::string id = t.Json().Find("id")->as_string();
  auto rec = std::make_shared<WsRecorder>();
  auto ws = Ws("/pty/" + p + "/" + id + "?cols=100&rows=30", *rec, alice);
  ASSERT_OK(ws.status());
  ASSERT_TRUE(rec->WaitFor([](WsRecorder& r) { return r.text.find("\"attach\"") != std::string::npos; }));
  std::string input = "0echo hello-$((6*7))\n";
  ASSERT_OK((*ws)->Send(AsBytes(input), net::MessageKind::kBinary));
  EXPECT_TRUE(rec->WaitFor([](WsRecorder& r) { return r.binary.find("hello-42") != std::string::npos; }))
      << rec->binary;
  Response list = Http(port_, "GET", "/api/projects/" + p + "/terminals", "", alice);
  EXPECT_NE(list.body.find("\"" + id + "\""), std::string::npos) << list.body;
  (*ws)->Close();

  // Run: the template's command in terminal "run"; events report it.
  auto events = std::make_shared<WsRecorder>();
  auto ev = Ws("/events/" + p, *events, alice);
  ASSERT_OK(ev.status());
  ASSERT_TRUE(events->WaitFor([](WsRecorder& r) { return r.text.find("\"presence\"") != std::string::npos; }));
  Response run = Http(port_, "POST", "/api/projects/" + p + "/run", "", alice);
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_TRUE(events->WaitFor([](WsRecorder& r) { return r.text.find("\"exited\"") != std::string::npos; }))
      << events->text;
  auto out = std::make_shared<WsRecorder>();
  auto rw = Ws("/pty/" + p + "/run", *out, alice);
  ASSERT_OK(rw.status());
  EXPECT_TRUE(out->WaitFor([](WsRecorder& r) { return r.binary.find("Hello, codesphere!") != std::string::npos; }))
      << out->binary;
  (*rw)->Close();
  (*ev)->Close();
}

// y-websocket: a viewer's update is answered with the auth message permission-denied and not
// applied; an editor's update reaches the workspace file.
TEST_F(PlatformTest, ViewerRoomUpdatesAreRefused) {
  std::string alice = Signup("alice");
  std::string bob = Signup("bob");
  std::string p = CreateProject(alice);
  ASSERT_EQ(Http(port_, "POST", "/api/projects/" + p + "/members", R"({"username":"bob","role":"viewer"})", alice).status, 200);
  auto update_message = [](const std::string& text) {
    crdt::Doc doc(crdt::DocOptions{4242, true});
    Bytes update;
    auto sub = doc.OnUpdate([&](ByteSpan u, const crdt::Transaction&) { update.assign(u.begin(), u.end()); });
    {
      crdt::Transaction txn(doc);
      (void)doc.GetText("monaco").Insert(txn, 0, text);
    }
    lib0::Encoder e;
    e.WriteVarUint(0);  // sync
    e.WriteVarUint(2);  // update
    e.WriteVarUint8Array(update);
    return e.Take();
  };
  std::string before = Http(port_, "GET", "/api/projects/" + p + "/files/main.py", "", alice).body;
  ASSERT_FALSE(before.empty());
  auto viewer = std::make_shared<WsRecorder>();
  auto vws = Ws("/yjs/" + p + "/main.py?token=" + bob, *viewer);
  ASSERT_OK(vws.status());
  ASSERT_TRUE(viewer->WaitFor([](WsRecorder& r) { return !r.frames.empty(); }));
  ASSERT_OK((*vws)->Send(update_message("VIEWER WAS HERE\n")));
  // The y-protocols auth message: [messageAuth = 2, permissionDenied = 0, reason].
  EXPECT_TRUE(viewer->WaitFor([](WsRecorder& r) {
    for (const auto& f : r.frames) {
      if (f.size() > 2 && f[0] == 2 && f[1] == 0) return true;
    }
    return false;
  }));
  (*vws)->Close();

  auto editor = std::make_shared<WsRecorder>();
  auto ews = Ws("/yjs/" + p + "/notes.md", *editor, alice);
  ASSERT_OK(ews.status());
  ASSERT_TRUE(editor->WaitFor([](WsRecorder& r) { return !r.frames.empty(); }));
  ASSERT_OK((*ews)->Send(update_message("written by alice\n")));
  std::filesystem::path notes = dir_.path() / "data" / "workspaces" / p / "notes.md";
  // The file is written after the update is durable and applied, which the echo proves.
  EXPECT_TRUE(editor->WaitFor([](WsRecorder& r) {
    for (const auto& f : r.frames) {
      if (std::string(f.begin(), f.end()).find("written by alice") != std::string::npos) return true;
    }
    return false;
  }));
  (*ews)->Close();
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/notes.md", "", alice).body, "written by alice\n");
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/main.py", "", alice).body, before);
}

// The namespace launcher where the machine allows it (probe first).
TEST(PlatformSandboxTest, NamespaceSandboxRunsTerminals) {
  if (Status probe = sandbox::ProbeLinuxNamespaceSupport(); !probe.ok()) {
    GTEST_SKIP() << "Linux namespaces unavailable: " << probe.ToString();
  }
  testing::TempDir dir;
  // The sandbox user must be able to reach its workspace below the temp dir.
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_exec);
  asio::io_context io;
  PlatformOptions o;
  o.data_dir = dir.path() / "data";
  o.templates_dir = testing::SourceDir() / "templates";
  o.sandbox = SandboxMode::kNamespaces;
  o.fast_password_hashing = true;
  o.sync_rooms = false;
  auto p = Platform::Create(io.get_executor(), o);
  ASSERT_OK(p.status());
  EXPECT_EQ((*p)->sandbox_kind(), "namespaces");
  (*p)->Start();
  auto guard = asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  std::uint16_t port = (*p)->port();
  Response s = Http(port, "POST", "/api/auth/signup", R"({"username":"ns","password":"correct horse battery"})");
  std::string token = s.Json().Find("token")->as_string();
  Response c = Http(port, "POST", "/api/projects", R"({"name":"ns","template":"python"})", token);
  std::string project = c.Json().Find("id")->as_string();
  Response term = Http(port, "POST", "/api/projects/" + project + "/terminals", "{}", token);
  ASSERT_EQ(term.status, 201) << term.body;
  auto rec = std::make_shared<WsRecorder>();
  std::promise<Result<std::shared_ptr<net::WebSocket>>> done;
  net::ConnectWebSocket(io.get_executor(),
                        "ws://127.0.0.1:" + std::to_string(port) + "/pty/" + project + "/" +
                            term.Json().Find("id")->as_string() + "?token=" + token,
                        {}, rec->Handlers(),
                        [&](Result<std::shared_ptr<net::WebSocket>> r) { done.set_value(std::move(r)); });
  auto ws = done.get_future().get();
  ASSERT_OK(ws.status());
  ASSERT_OK((*ws)->Send(AsBytes(std::string("0echo inside-$(hostname)-$(id -u)\n"))));
  EXPECT_TRUE(rec->WaitFor([&](WsRecorder& r) {
    return r.binary.find("inside-" + project.substr(0, 63) + "-1000") != std::string::npos;
  })) << rec->binary;
  (*ws)->Close();
  std::promise<void> stopped;
  (*p)->Stop([&] { stopped.set_value(); });
  stopped.get_future().wait_for(20s);
  guard.reset();
  io.stop();
  t.join();
}

}  // namespace
}  // namespace codesphere::server
