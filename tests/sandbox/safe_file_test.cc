// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/safe_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "codesphere/base/safe_path.h"
#include "tests/sandbox/sandbox_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox {
namespace {

namespace fs = std::filesystem;
using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;

// Root chowns to a foreign id (so a chown through a link would show on the canary); others
// can only chown to themselves.
uid_t ChownTarget() { return geteuid() == 0 ? 4242 : geteuid(); }

class SafeDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = SafeDir::Open(root_.path().string());
    ASSERT_OK(dir);
    dir_.emplace(std::move(*dir));
  }

  void TearDown() override { DisableOpenat2ForTest(false); }
  void ExpectPlantedSymlinksNeverRedirect();

  TempDir root_;
  TempDir outside_;
  testing::HostCanary canary_{outside_.path()};
  std::optional<SafeDir> dir_;
};

TEST_F(SafeDirTest, WriteReadListStatRenameRemove) {
  ASSERT_OK(dir_->MakeDirectory("a/b", 0755, /*parents=*/true));
  ASSERT_OK(dir_->WriteFile("a/b/f.txt", "hello", 0640));
  ASSERT_OK_AND_ASSIGN(std::string text, dir_->ReadFile("a/b/f.txt"));
  EXPECT_EQ(text, "hello");
  ASSERT_OK_AND_ASSIGN(FileInfo info, dir_->Stat("a/b/f.txt"));
  EXPECT_EQ(info.type, FileType::kRegular);
  EXPECT_EQ(info.size, 5u);
  EXPECT_EQ(info.mode, 0640u);
  ASSERT_OK(dir_->WriteFile("a/b/f.txt", "replaced", 0644, /*fsync=*/true));
  EXPECT_EQ(*dir_->ReadFile("a/b/f.txt"), "replaced");
  ASSERT_OK(dir_->Rename("a/b/f.txt", "a/g.txt"));
  ASSERT_OK_AND_ASSIGN(auto entries, dir_->List("a"));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "b");
  EXPECT_EQ(entries[0].type, FileType::kDirectory);
  EXPECT_EQ(entries[1].name, "g.txt");
  ASSERT_OK(dir_->Chmod("a/g.txt", 0600));
  EXPECT_EQ(dir_->Stat("a/g.txt")->mode, 0600u);
  ASSERT_OK(dir_->Remove("a/g.txt"));
  EXPECT_THAT(dir_->ReadFile("a/g.txt"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(dir_->MakeDirectory("a"), StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK(dir_->RemoveAll("a"));
  EXPECT_OK(dir_->RemoveAll("a"));  // missing is fine
  EXPECT_TRUE(dir_->List("")->empty());
  // No temp files left behind by the atomic writes.
  EXPECT_TRUE(fs::is_empty(root_.path()));
}

TEST_F(SafeDirTest, RejectsBadPaths) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/."}) {
    EXPECT_THAT(dir_->ReadFile(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(dir_->WriteFile(bad, "x"), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(dir_->ReadFile("big"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(dir_->WriteFile("big", std::string(100, 'x')));
  EXPECT_THAT(dir_->ReadFile("big", 10), StatusIs(StatusCode::kResourceExhausted));
}

// Every SafeDir operation with links planted at a file, a directory and "/".
void SafeDirTest::ExpectPlantedSymlinksNeverRedirect() {
  fs::create_symlink(canary_.path(), root_.path() / "file-link");
  fs::create_symlink(outside_.path(), root_.path() / "dir-link");
  fs::create_symlink("/", root_.path() / "root-link");
  // Reads through links are refused.
  EXPECT_THAT(dir_->ReadFile("file-link"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(dir_->ReadFile("dir-link/canary"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(dir_->ReadFile("root-link/etc/passwd"), StatusIs(StatusCode::kPermissionDenied));
  // Writes below a linked directory are refused; a write at the link replaces the link.
  EXPECT_THAT(dir_->WriteFile("dir-link/canary", "pwned"), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(dir_->MakeDirectory("dir-link/sub", 0755, true), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(dir_->WriteFile("file-link", "mine"));
  EXPECT_FALSE(fs::is_symlink(root_.path() / "file-link"));
  fs::create_symlink(canary_.path(), root_.path() / "file-link2");
  EXPECT_THAT(dir_->Chmod("file-link2", 0777), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(dir_->Rename("dir-link/canary", "stolen"), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(dir_->ChownTree("", ChownTarget(), ChownTarget()));
  ASSERT_OK(dir_->RemoveAll("dir-link"));
  ASSERT_OK(dir_->RemoveAll("root-link"));
  canary_.ExpectIntact();
  EXPECT_TRUE(fs::exists(outside_.path()));
}

TEST_F(SafeDirTest, PlantedSymlinksNeverRedirect) { ExpectPlantedSymlinksNeverRedirect(); }

// The same where openat2 is missing: base/safe_path.h walks with O_NOFOLLOW instead.
TEST_F(SafeDirTest, PlantedSymlinksNeverRedirectWithoutOpenat2) {
  DisableOpenat2ForTest(true);
  ExpectPlantedSymlinksNeverRedirect();
  DisableOpenat2ForTest(false);
}

TEST_F(SafeDirTest, PlantedHardLinksAreReplacedNotWrittenThrough) {
  ASSERT_EQ(link(canary_.path().c_str(), (root_.path() / "hard").c_str()), 0);
  EXPECT_THAT(dir_->Chmod("hard", 0777), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_OK(dir_->ChownTree("", ChownTarget(), ChownTarget()));  // skips the multiply-linked file
  ASSERT_OK(dir_->WriteFile("hard", "pwned"));
  canary_.ExpectIntact();
  EXPECT_EQ(*dir_->ReadFile("hard"), "pwned");
  ASSERT_OK(dir_->RemoveAll("hard"));
  canary_.ExpectIntact();
}

TEST_F(SafeDirTest, ChownTreeChownsEverythingItOwns) {
  if (geteuid() != 0) GTEST_SKIP() << "chown to other users needs root";
  ASSERT_OK(dir_->MakeDirectory("d/e", 0755, true));
  ASSERT_OK(dir_->WriteFile("d/e/f", "x"));
  fs::create_symlink("/etc/passwd", root_.path() / "d" / "l");
  ASSERT_OK(dir_->ChownTree("", 4242, 4343));
  for (const char* p : {"d", "d/e", "d/e/f", "d/l"}) {
    ASSERT_OK_AND_ASSIGN(FileInfo info, dir_->Stat(p));
    EXPECT_EQ(info.uid, 4242u) << p;
    EXPECT_EQ(info.gid, 4343u) << p;
  }
  struct stat st;
  ASSERT_EQ(stat("/etc/passwd", &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(SafeDirTest, NewEntriesBelongToTheTreeOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "giving files away needs root";
  ASSERT_EQ(chown(root_.path().c_str(), 4242, 4343), 0);
  ASSERT_OK(dir_->MakeDirectory("x/y", 0755, true));
  ASSERT_OK(dir_->WriteFile("x/y/f", "data"));
  for (const char* p : {"x", "x/y", "x/y/f"}) {
    ASSERT_OK_AND_ASSIGN(FileInfo info, dir_->Stat(p));
    EXPECT_EQ(info.uid, 4242u) << p;
    EXPECT_EQ(info.gid, 4343u) << p;
  }
}

}  // namespace
}  // namespace codesphere::sandbox
