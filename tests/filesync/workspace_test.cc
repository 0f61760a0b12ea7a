// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Workspace + FileBinding: doc edits reach the disk, disk edits (sed -i, renames, deletes)
// reach the doc, and a real Yjs client (Node, tests/filesync/node) sees both with its
// concurrent typing preserved.
#include "codesphere/filesync/workspace.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "codesphere/base/any.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "tests/filesync/tree_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::filesync {
namespace {

using ::codesphere::testing::SourceDir;
using ::codesphere::testing::StatusIs;
namespace fs = std::filesystem;

// Polls until `done()` or 10 s pass; returns done(). Each round waits for inotify events.
template <typename F>
bool PollUntil(Workspace& ws, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    Status s = ws.PollFor(std::chrono::milliseconds(100));
    if (!s.ok()) ADD_FAILURE() << s;
  }
  return done();
}

std::string DocText(crdt::Doc& doc) { return doc.GetText("content").ToString(); }

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteFile(Root() / "notes.txt", "alpha\nbeta\ngamma\n");
    WorkspaceOptions o;
    o.write_debounce = std::chrono::milliseconds(0);
    auto ws = Workspace::Open(Root().string(), o);
    ASSERT_TRUE(ws.has_value()) << ws.error();
    ws_ = std::move(*ws);
  }
  fs::path Root() { return tmp_.path() / "ws"; }

  testing::ScratchDir tmp_{"codesphere-ws-"};
  std::unique_ptr<Workspace> ws_;
};

TEST_F(WorkspaceTest, BindingFillsTheDocAndDocEditsReachTheDisk) {
  crdt::Doc doc(crdt::DocOptions{1, true});
  ASSERT_OK_AND_ASSIGN(auto binding, ws_->Bind("notes.txt", doc, "content", 1001));
  EXPECT_EQ(DocText(doc), "alpha\nbeta\ngamma\n");
  {
    crdt::Transaction txn(doc, "user");
    ASSERT_OK(doc.GetText("content").Insert(txn, 6, "BETA? "));
  }
  ASSERT_TRUE(PollUntil(*ws_, [&] { return testing::ReadFile(Root() / "notes.txt") == "alpha\nBETA? beta\ngamma\n"; }));
  EXPECT_THAT(ws_->Bind("notes.txt", doc, "other", 1002), StatusIs(StatusCode::kAlreadyExists));
}

TEST_F(WorkspaceTest, ExternalEditMergesWithConcurrentTyping) {
  crdt::Doc doc(crdt::DocOptions{1, true});
  ASSERT_OK_AND_ASSIGN(auto binding, ws_->Bind("notes.txt", doc, "content", 1001));
  // A program rewrites the file (sed -i: temp file + rename) ...
  ASSERT_EQ(std::system(("sed -i 's/gamma/GAMMA/' '" + (Root() / "notes.txt").string() + "'").c_str()), 0);
  // ... while a collaborator types at the start (not yet on disk).
  {
    crdt::Transaction txn(doc, "user");
    ASSERT_OK(doc.GetText("content").Insert(txn, 0, ">> "));
  }
  ASSERT_TRUE(PollUntil(*ws_, [&] { return DocText(doc) == ">> alpha\nbeta\nGAMMA\n"; })) << DocText(doc);
  ASSERT_TRUE(PollUntil(*ws_, [&] { return testing::ReadFile(Root() / "notes.txt") == ">> alpha\nbeta\nGAMMA\n"; }));
}

TEST_F(WorkspaceTest, RenamesMoveTheBindingAndDeletesDetachIt) {
  crdt::Doc doc(crdt::DocOptions{1, true});
  ASSERT_OK_AND_ASSIGN(auto binding, ws_->Bind("notes.txt", doc, "content", 1001));
  std::vector<std::string> events;
  ws_->OnEvent([&](const FileEvent& e) { events.push_back(std::to_string(static_cast<int>(e.kind)) + ":" + e.path + ">" + e.new_path); });
  fs::create_directories(Root() / "docs");
  ASSERT_TRUE(PollUntil(*ws_, [&] { return !events.empty(); }));
  fs::rename(Root() / "notes.txt", Root() / "docs/renamed.txt");
  ASSERT_TRUE(PollUntil(*ws_, [&] { return binding->path() == "docs/renamed.txt"; }));
  // Edits keep flowing to the new name.
  {
    crdt::Transaction txn(doc, "user");
    ASSERT_OK(doc.GetText("content").Insert(txn, 0, "moved "));
  }
  ASSERT_TRUE(PollUntil(*ws_, [&] { return testing::ReadFile(Root() / "docs/renamed.txt").starts_with("moved alpha"); }));
  fs::remove(Root() / "docs/renamed.txt");
  ASSERT_TRUE(PollUntil(*ws_, [&] { return binding->deleted(); }));
  EXPECT_EQ(DocText(doc), "moved alpha\nbeta\ngamma\n");  // The doc keeps its text.
  bool saw_rename = false, saw_delete = false;
  for (const auto& e : events) {
    saw_rename |= e == "3:notes.txt>docs/renamed.txt";
    saw_delete |= e == "2:docs/renamed.txt>";
  }
  EXPECT_TRUE(saw_rename);
  EXPECT_TRUE(saw_delete);
}

TEST_F(WorkspaceTest, BindingOutlivingItsWorkspaceIsInert) {
  crdt::Doc doc(crdt::DocOptions{1, true});
  ASSERT_OK_AND_ASSIGN(auto binding, ws_->Bind("notes.txt", doc, "content", 1001));
  ws_.reset();
  {
    crdt::Transaction txn(doc, "user");
    ASSERT_OK(doc.GetText("content").Insert(txn, 0, "after close "));
  }
  EXPECT_THAT(binding->Flush(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(testing::ReadFile(Root() / "notes.txt"), "alpha\nbeta\ngamma\n");
}

TEST_F(WorkspaceTest, RefusesBinaryHugeIgnoredAndUnsafePaths) {
  crdt::Doc doc;
  testing::WriteFile(Root() / "blob.bin", std::string("\x00\x01\x02", 3));
  testing::WriteFile(Root() / "node_modules/x.js", "x");
  testing::WriteFile(Root() / "big.txt", std::string(2u << 20, 'a'));
  testing::ScratchDir outside("codesphere-outside-");
  testing::WriteFile(outside.path() / "secret.txt", "secret");
  fs::create_directory_symlink(outside.path(), Root() / "link");
  EXPECT_THAT(ws_->Bind("blob.bin", doc, "a", 2), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(ws_->Bind("big.txt", doc, "b", 2), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(ws_->Bind("node_modules/x.js", doc, "c", 2), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(ws_->Bind("link/secret.txt", doc, "d", 2), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(ws_->Bind("../outside.txt", doc, "e", 2), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ws_->ReadFile("/etc/passwd"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ws_->WriteFile("link/evil.txt", "x"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_FALSE(fs::exists(outside.path() / "evil.txt"));
  ASSERT_OK(ws_->WriteFile("new.txt", "fresh"));
  ASSERT_OK_AND_ASSIGN(std::string back, ws_->ReadFile("new.txt"));
  EXPECT_EQ(back, "fresh");
}

// A Yjs peer in Node, driven with JSON lines over pipes.
class YjsPeer {
 public:
  static std::unique_ptr<YjsPeer> Start(std::string* reason) {
    fs::path dir = SourceDir() / "tests/filesync/node";
    if (std::system("node --version >/dev/null 2>&1") != 0) {
      *reason = "node is not installed";
      return nullptr;
    }
    if (!fs::exists(dir / "node_modules/yjs")) {
      *reason = "run `npm ci` in tests/filesync/node (yjs missing)";
      return nullptr;
    }
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return nullptr;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      std::string script = (dir / "yjs_peer.mjs").string();
      ::execlp("node", "node", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    auto p = std::unique_ptr<YjsPeer>(new YjsPeer());
    p->pid_ = pid;
    p->to_ = ::fdopen(in[1], "w");
    p->from_ = ::fdopen(out[0], "r");
    return p;
  }
  ~YjsPeer() {
    std::fclose(to_);
    std::fclose(from_);
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  Any Call(const std::string& json) {
    std::fputs((json + "\n").c_str(), to_);
    std::fflush(to_);
    char* line = nullptr;
    size_t cap = 0;
    ssize_t n = ::getline(&line, &cap, from_);
    std::string s = n > 0 ? std::string(line, static_cast<std::size_t>(n)) : "";
    std::free(line);
    auto r = ParseJson(s);
    return r.has_value() ? *r : Any();
  }
  static std::string Field(const Any& a, const std::string& key) {
    if (!a.is_object()) return "";
    for (const auto& [k, v] : a.as_object()) {
      if (k == key && v.is_string()) return v.as_string();
    }
    return "";
  }

 private:
  YjsPeer() = default;
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

std::string B64(ByteSpan b) {
  std::string out(sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Bytes Unb64(const std::string& s) {
  Bytes out(s.size());
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  out.resize(len);
  return out;
}

TEST_F(WorkspaceTest, RealYjsClientSeesSedAndItsEditsLandOnDisk) {
  ASSERT_GE(sodium_init(), 0);
  std::string reason;
  auto peer = YjsPeer::Start(&reason);
  if (!peer) GTEST_SKIP() << reason;
  crdt::Doc doc(crdt::DocOptions{1, true});
  ASSERT_OK_AND_ASSIGN(auto binding, ws_->Bind("notes.txt", doc, "content", 1001));
  auto to_peer = [&] {
    std::string sv = YjsPeer::Field(peer->Call("{\"op\":\"state\"}"), "sv");
    Bytes update = crdt::EncodeStateAsUpdate(doc, *crdt::StateVector::Decode(Unb64(sv)));
    peer->Call("{\"op\":\"apply\",\"update\":\"" + B64(update) + "\"}");
  };
  auto from_peer = [&] {
    Bytes sv = crdt::EncodeStateVector(doc);
    std::string update = YjsPeer::Field(peer->Call("{\"op\":\"diff\",\"sv\":\"" + B64(sv) + "\"}"), "update");
    ASSERT_OK(crdt::ApplyUpdate(doc, Unb64(update), "yjs-peer"));
  };
  to_peer();
  EXPECT_EQ(YjsPeer::Field(peer->Call("{\"op\":\"state\"}"), "text"), "alpha\nbeta\ngamma\n");

  // 1. The Yjs client's edit lands on disk.
  peer->Call("{\"op\":\"insert\",\"index\":6,\"text\":\"NEW \"}");
  from_peer();
  ASSERT_TRUE(PollUntil(*ws_, [&] { return testing::ReadFile(Root() / "notes.txt") == "alpha\nNEW beta\ngamma\n"; }));

  // 2. sed -i on disk while the client keeps typing: both survive, everywhere.
  ASSERT_EQ(std::system(("sed -i 's/gamma/GAMMA/' '" + (Root() / "notes.txt").string() + "'").c_str()), 0);
  peer->Call("{\"op\":\"insert\",\"index\":0,\"text\":\"X\"}");
  from_peer();
  const std::string merged = "Xalpha\nNEW beta\nGAMMA\n";
  ASSERT_TRUE(PollUntil(*ws_, [&] { return DocText(doc) == merged; })) << DocText(doc);
  to_peer();
  EXPECT_EQ(YjsPeer::Field(peer->Call("{\"op\":\"state\"}"), "text"), merged);
  ASSERT_TRUE(PollUntil(*ws_, [&] { return testing::ReadFile(Root() / "notes.txt") == merged; }));
}

}  // namespace
}  // namespace codesphere::filesync
