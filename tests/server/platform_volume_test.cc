// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Per-project disk quotas (PlatformOptions::workspace_size_bytes): each workspace is an ext4
// volume in DATA/volumes/<project>.img mounted on DATA/workspaces/<project>. A terminal
// filling it gets ENOSPC at the cap while the platform keeps serving, REST writes past it
// are 507 and change nothing, the files survive a restart, a fork and a snapshot/restore,
// and deleting the project removes its image. Needs root and loop devices: skipped with
// the reason otherwise.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "tests/server/platform_testing.h"

namespace codesphere::server {
namespace {

constexpr std::uint64_t kCap = 16ull << 20;  // the smallest volume

// True when `dir` is the root of a mounted file system other than its parent's.
bool IsMountPoint(const std::filesystem::path& dir) {
  struct stat st {}, parent {};
  if (::stat(dir.c_str(), &st) != 0 || ::stat(dir.parent_path().c_str(), &parent) != 0) return false;
  return st.st_dev != parent.st_dev;
}

// Mount points below `prefix` in this process's mount table.
std::vector<std::string> MountsBelow(const std::string& prefix) {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point.rfind(prefix, 0) == 0) out.push_back(mount_point);
  }
  return out;
}

// The string member `key` of a JSON answer ("" when missing).
std::string JsonString(const Response& r, std::string_view key) {
  Any json = r.Json();
  const Any* v = json.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

class CappedPlatformTest : public PlatformTest {
 protected:
  void SetUp() override {
    if (Status probe = sandbox::ProbeWorkspaceVolumeSupport(); !probe.ok()) {
      GTEST_SKIP() << "workspace volumes unavailable: " << probe.ToString();
    }
    PlatformTest::SetUp();
  }
  void TearDown() override {
    PlatformTest::TearDown();
    // A stopped platform leaves no volume mounted.
    EXPECT_EQ(MountsBelow(data().string()), std::vector<std::string>{});
  }
  void Customize(PlatformOptions& o) override {
    o.workspace_size_bytes = cap_;
    o.sandbox = sandbox_;
    if (idle_.count() != 0) o.idle_timeout = o.snapshot_interval = idle_;
  }

  std::filesystem::path data() const { return dir_.path() / "data"; }
  std::filesystem::path Workspace(const std::string& p) const { return data() / "workspaces" / p; }
  std::filesystem::path Image(const std::string& p) const { return data() / "volumes" / (p + ".img"); }

  // Runs `command` in a new terminal of `project`; returns once `until` was printed.
  std::string RunInTerminal(const std::string& token, const std::string& project,
                            const std::string& command, const std::string& until) {
    Response t = Http(port_, "POST", "/api/projects/" + project + "/terminals", "{}", token);
    EXPECT_EQ(t.status, 201) << t.body;
    auto rec = std::make_shared<WsRecorder>();
    auto ws = Ws("/pty/" + project + "/" + JsonString(t, "id"), *rec, token);
    EXPECT_OK(ws.status());
    if (!ws.ok()) return "";
    EXPECT_TRUE(rec->WaitFor([](WsRecorder& r) { return r.text.find("\"attach\"") != std::string::npos; }));
    EXPECT_OK((*ws)->Send(AsBytes("0" + command + "\n"), net::MessageKind::kBinary));
    EXPECT_TRUE(rec->WaitFor([&](WsRecorder& r) { return r.binary.find(until) != std::string::npos; }, 30s))
        << rec->binary;
    (*ws)->Close();
    std::lock_guard<std::mutex> lock(rec->mu);
    return rec->binary;
  }

  std::uint64_t cap_ = kCap;
  SandboxMode sandbox_ = SandboxMode::kNone;
  std::chrono::milliseconds idle_{0};
};

TEST_F(CappedPlatformTest, TerminalFillingTheWorkspaceGetsEnospcAndTheServerKeepsServing) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  ASSERT_FALSE(p.empty());
  EXPECT_TRUE(std::filesystem::exists(Image(p)));
  EXPECT_TRUE(IsMountPoint(Workspace(p)));
  Response info = Http(port_, "GET", "/api/projects/" + p, "", alice);
  ASSERT_EQ(info.status, 200) << info.body;
  Any json = info.Json();
  const Any* disk = json.Find("disk");
  ASSERT_TRUE(disk != nullptr && disk->is_object()) << info.body;
  EXPECT_GT(disk->Find("size_bytes")->as_number(), 0);
  EXPECT_LE(disk->Find("size_bytes")->as_number(), static_cast<double>(kCap));

  // Far more than the cap: the shell's dd stops at ENOSPC.
  // ("r"c= : the terminal's echo of the command line does not contain the marker.)
  std::string out = RunInTerminal(alice, p, "dd if=/dev/zero of=big bs=1M count=64; echo \"r\"c=$?", "rc=");
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  std::error_code ec;
  EXPECT_LE(std::filesystem::file_size(Workspace(p) / "big", ec), kCap);
  // The host holds at most the cap for the project (the image is sparse).
  struct stat img {};
  ASSERT_EQ(::stat(Image(p).c_str(), &img), 0);
  EXPECT_LE(static_cast<std::uint64_t>(img.st_blocks) * 512, kCap + (1u << 20));

  // The platform keeps serving: the full project answers reads, refuses writes with 507,
  // and takes them again once space is freed; other projects are untouched.
  EXPECT_EQ(Http(port_, "GET", "/healthz").body, "ok");
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/main.py", "", alice).status, 200);
  Response full = Http(port_, "PUT", "/api/projects/" + p + "/files/note.txt", std::string(2 << 20, 'x'), alice);
  EXPECT_EQ(full.status, 507) << full.body;
  EXPECT_EQ(JsonString(full, "code"), "ResourceExhausted");
  std::string other = CreateProject(alice);
  EXPECT_EQ(Http(port_, "PUT", "/api/projects/" + other + "/files/note.txt", "fine", alice).status, 200);
  EXPECT_EQ(Http(port_, "DELETE", "/api/projects/" + p + "/files/big", "", alice).status, 204);
  EXPECT_EQ(Http(port_, "PUT", "/api/projects/" + p + "/files/note.txt", "room again", alice).status, 200);
  Response metrics = Http(port_, "GET", "/metrics");
  EXPECT_NE(metrics.body.find("codesphere_platform_workspace_full_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("codesphere_platform_workspace_volumes_mounted 2"), std::string::npos);
}

TEST_F(CappedPlatformTest, RestWriteBeyondTheCapIs507AndChangesNothing) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  const std::string base = "/api/projects/" + p;
  std::string original = Http(port_, "GET", base + "/files/main.py", "", alice).body;
  ASSERT_FALSE(original.empty());
  const std::string big(kCap + (1u << 20), 'z');
  Response r = Http(port_, "PUT", base + "/files/new/dir/big.bin", big, alice);
  EXPECT_EQ(r.status, 507) << r.body;
  EXPECT_NE(JsonString(r, "error").find("not enough space"), std::string::npos) << r.body;
  Response over = Http(port_, "PUT", base + "/files/main.py", big, alice);
  EXPECT_EQ(over.status, 507) << over.body;
  // Nothing changed: no file, no directory, the old content.
  EXPECT_EQ(Http(port_, "GET", base + "/files/new/dir/big.bin", "", alice).status, 404);
  EXPECT_EQ(Http(port_, "GET", base + "/files", "", alice).body.find("\"new\""), std::string::npos);
  EXPECT_EQ(Http(port_, "GET", base + "/files/main.py", "", alice).body, original);
}

TEST_F(CappedPlatformTest, FilesSurviveRestartForkAndSnapshotRestore) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  const std::string base = "/api/projects/" + p;
  ASSERT_EQ(Http(port_, "PUT", base + "/files/src/data.txt", "persisted", alice).status, 200);

  // A restart unmounts every volume; the next access mounts the image again.
  Restart();
  EXPECT_FALSE(IsMountPoint(Workspace(p)));
  EXPECT_TRUE(std::filesystem::is_empty(Workspace(p)));  // the files are in the image
  EXPECT_EQ(Http(port_, "GET", base + "/files/src/data.txt", "", alice).body, "persisted");
  EXPECT_TRUE(IsMountPoint(Workspace(p)));

  // A fork is a snapshot of the source restored into the fork's own volume.
  Response fork = Http(port_, "POST", base + "/fork", R"({"name":"copy"})", alice);
  ASSERT_EQ(fork.status, 201) << fork.body;
  std::string f = JsonString(fork, "id");
  EXPECT_TRUE(std::filesystem::exists(Image(f)));
  EXPECT_TRUE(IsMountPoint(Workspace(f)));
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + f + "/files/src/data.txt", "", alice).body, "persisted");
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + f + "/files/main.py", "", alice).status, 200);
  // Independent volumes.
  ASSERT_EQ(Http(port_, "PUT", "/api/projects/" + f + "/files/src/data.txt", "forked", alice).status, 200);
  EXPECT_EQ(Http(port_, "GET", base + "/files/src/data.txt", "", alice).body, "persisted");
}

TEST_F(CappedPlatformTest, DeletingAProjectRemovesItsImage) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  ASSERT_TRUE(std::filesystem::exists(Image(p)));
  RunInTerminal(alice, p, "echo done-$((1+1))", "done-2");
  EXPECT_EQ(Http(port_, "DELETE", "/api/projects/" + p, "", alice).status, 204);
  EXPECT_FALSE(std::filesystem::exists(Image(p)));
  EXPECT_FALSE(std::filesystem::exists(Workspace(p)));
  EXPECT_EQ(MountsBelow(Workspace(p).string()), std::vector<std::string>{});
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files", "", alice).status, 404);
}

TEST_F(CappedPlatformTest, AnUncappedProjectMovesIntoItsVolumeWhenACapIsSet) {
  cap_ = 0;  // (SetUp booted with the cap: start over without one)
  Restart();
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  ASSERT_EQ(Http(port_, "PUT", "/api/projects/" + p + "/files/old.txt", "from before", alice).status, 200);
  EXPECT_FALSE(std::filesystem::exists(Image(p)));
  Response info = Http(port_, "GET", "/api/projects/" + p, "", alice);
  EXPECT_TRUE(info.Json().Find("disk")->is_null()) << info.body;
  cap_ = kCap;
  Restart();
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/old.txt", "", alice).body, "from before");
  EXPECT_TRUE(std::filesystem::exists(Image(p)));
  EXPECT_TRUE(IsMountPoint(Workspace(p)));
  // And back without a cap: the image is still used (at its size), the files stay visible.
  cap_ = 0;
  Restart();
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/old.txt", "", alice).body, "from before");
}

TEST_F(CappedPlatformTest, IdleVolumesAreReleasedAndMountedAgainOnUse) {
  idle_ = std::chrono::milliseconds(200);  // maintenance ticks every 100 ms
  Restart();
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  ASSERT_EQ(Http(port_, "PUT", "/api/projects/" + p + "/files/kept.txt", "still here", alice).status, 200);
  ASSERT_TRUE(IsMountPoint(Workspace(p)));
  // Unused for longer than the idle timeout (the platform's clock): the tick trims and
  // unmounts it.
  clock_.Advance(std::chrono::minutes(1));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (IsMountPoint(Workspace(p)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // polling the mount table: no event to wait for
  }
  EXPECT_FALSE(IsMountPoint(Workspace(p)));
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/kept.txt", "", alice).body, "still here");
}

// The namespace launcher shares the platform's mount: what the terminal writes inside is what
// the REST API reads, and the cap holds inside the sandbox too.
class CappedNamespacePlatformTest : public CappedPlatformTest {
 protected:
  void SetUp() override {
    if (Status probe = sandbox::ProbeLinuxNamespaceSupport(); !probe.ok()) {
      GTEST_SKIP() << "Linux namespaces unavailable: " << probe.ToString();
    }
    // The sandbox user must be able to reach its workspace below the temp dir.
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all |
                                                  std::filesystem::perms::group_exec |
                                                  std::filesystem::perms::others_exec);
    sandbox_ = SandboxMode::kNamespaces;
    CappedPlatformTest::SetUp();
  }
};

TEST_F(CappedNamespacePlatformTest, SandboxesSeeTheCappedVolume) {
  std::string alice = Signup("alice");
  std::string p = CreateProject(alice);
  std::string out = RunInTerminal(
      alice, p,
      "echo inside > from-sandbox.txt; dd if=/dev/zero of=big bs=1M count=64; echo \"r\"c=$?",
      "rc=");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_EQ(Http(port_, "GET", "/api/projects/" + p + "/files/from-sandbox.txt", "", alice).body, "inside\n");
  Response full = Http(port_, "PUT", "/api/projects/" + p + "/files/x.txt", std::string(2 << 20, 'x'), alice);
  EXPECT_EQ(full.status, 507) << full.body;
}

}  // namespace
}  // namespace codesphere::server
