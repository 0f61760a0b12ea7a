// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/safe_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere {
namespace {

namespace fs = std::filesystem;
using ::codesphere::testing::StatusIs;

void WriteText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(SafePathTest, ValidatesRelativePaths) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a/", ".",
                          ".."}) {
    EXPECT_THAT(ValidateRelativePath(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(ValidateRelativePath(std::string("a\0b", 3)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRelativePath(std::string(5000, 'a')), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateRelativePath("a/b.c/..d/.e"));
}

TEST(SafePathTest, SplitsParentAndName) {
  EXPECT_EQ(SplitParent("a/b/c"), std::make_pair(std::string_view("a/b"), std::string_view("c")));
  EXPECT_EQ(SplitParent("c"), std::make_pair(std::string_view(), std::string_view("c")));
}

TEST(SafePathTest, OpenDirectoryCreatesAndRefusesFiles) {
  ::codesphere::testing::TempDir tmp("codesphere-safe-");
  const fs::path deep = tmp.path() / "x" / "y" / "z";
  EXPECT_THAT(OpenDirectory(deep.string(), false), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(OpenDirectory(deep.string(), true));
  EXPECT_TRUE(fs::is_directory(deep));
  ASSERT_OK(MakeDirectories(deep.string()));  // existing is fine
  WriteText(tmp.path() / "file", "f");
  EXPECT_THAT(OpenDirectory((tmp.path() / "file").string(), false),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenDirectory("", false), StatusIs(StatusCode::kInvalidArgument));
}

TEST(SafePathTest, ReadAllStopsAtTheLimit) {
  ::codesphere::testing::TempDir tmp("codesphere-safe-");
  WriteText(tmp.path() / "ten", "0123456789");
  std::string out;
  UniqueFd fd(open((tmp.path() / "ten").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_OK_AND_ASSIGN(std::size_t n, ReadAll(fd.get(), out, 10));
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(out, "0123456789");
  UniqueFd again(open((tmp.path() / "ten").c_str(), O_RDONLY | O_CLOEXEC));
  std::string cut = ">";
  EXPECT_THAT(ReadAll(again.get(), cut, 9), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_EQ(cut, ">012345678");
}

// Every lookup both with openat2 and with the O_NOFOLLOW walk used where it is missing.
class BeneathTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    DisableOpenat2ForTest(GetParam());
    WriteText(outside_.path() / "secret", "s");
    WriteText(root_.path() / "dir" / "file", "f");
    fs::create_directory_symlink(outside_.path(), root_.path() / "linkdir");
    fs::create_symlink(outside_.path() / "secret", root_.path() / "dir" / "linkfile");
    fs::create_symlink("../../", root_.path() / "dir" / "up");
    auto fd = OpenDirectory(root_.path().string(), false);
    ASSERT_OK(fd);
    rfd_ = std::move(*fd);
  }
  void TearDown() override { DisableOpenat2ForTest(false); }

  ::codesphere::testing::TempDir root_{"codesphere-safe-"};
  ::codesphere::testing::TempDir outside_{"codesphere-outside-"};
  UniqueFd rfd_;
};

TEST_P(BeneathTest, OpensInsideAndRefusesSymlinksAnywhere) {
  ASSERT_OK_AND_ASSIGN(UniqueFd file, OpenBeneath(rfd_.get(), "dir/file", O_RDONLY));
  std::string content;
  ASSERT_OK(ReadAll(file.get(), content));
  EXPECT_EQ(content, "f");
  for (const char* path : {"linkdir/secret", "dir/linkfile", "dir/up/etc", "linkdir"}) {
    EXPECT_THAT(OpenBeneath(rfd_.get(), path, O_RDONLY), StatusIs(StatusCode::kPermissionDenied))
        << path;
  }
  EXPECT_THAT(OpenBeneath(rfd_.get(), "linkdir", O_RDONLY | O_DIRECTORY),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenBeneath(rfd_.get(), "linkdir/new", O_WRONLY | O_CREAT, 0600),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenBeneath(rfd_.get(), "dir/linkfile", O_WRONLY | O_TRUNC),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_FALSE(fs::exists(outside_.path() / "new"));
  EXPECT_EQ(fs::file_size(outside_.path() / "secret"), 1u);
  EXPECT_THAT(OpenBeneath(rfd_.get(), "../x", O_RDONLY), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenBeneath(rfd_.get(), "dir/missing", O_RDONLY), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(OpenBeneath(rfd_.get(), "dir/created", O_WRONLY | O_CREAT | O_EXCL, 0600));
  EXPECT_TRUE(fs::is_regular_file(root_.path() / "dir" / "created"));
}

TEST_P(BeneathTest, RawFormOpensTheRootAndRefusesDotDot) {
  int fd = OpenBeneathRaw(rfd_.get(), ".", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_LT(OpenBeneathRaw(rfd_.get(), "dir/../..", O_RDONLY), 0);
  EXPECT_EQ(errno, EXDEV);
  EXPECT_LT(OpenBeneathRaw(rfd_.get(), "linkdir", O_RDONLY), 0);
  EXPECT_EQ(errno, ELOOP);
  // O_PATH|O_NOFOLLOW names the link itself (to lstat or chown it), never its target.
  fd = OpenBeneathRaw(rfd_.get(), "dir/linkfile", O_PATH);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  close(fd);
}

TEST_P(BeneathTest, OpensParents) {
  ASSERT_OK_AND_ASSIGN(ParentDir top, OpenParentBeneath(rfd_.get(), "name"));
  EXPECT_EQ(top.fd, rfd_.get());
  EXPECT_FALSE(top.owned.valid());
  ASSERT_OK_AND_ASSIGN(ParentDir nested, OpenParentBeneath(rfd_.get(), "dir/file"));
  EXPECT_TRUE(nested.owned.valid());
  EXPECT_EQ(nested.name, "file");
  EXPECT_EQ(faccessat(nested.fd, "file", F_OK, 0), 0);
  EXPECT_THAT(OpenParentBeneath(rfd_.get(), "linkdir/secret"),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenParentBeneath(rfd_.get(), "a//b"), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(BeneathTest, MakesDirectoriesBeneathOnly) {
  int created = 0;
  ASSERT_OK(MakeDirectoriesBeneath(rfd_.get(), "dir/a/b/c", 0750, true,
                                   [&](int fd) {
                                     struct stat st;
                                     EXPECT_EQ(fstat(fd, &st), 0);
                                     EXPECT_TRUE(S_ISDIR(st.st_mode));
                                     ++created;
                                   }));
  EXPECT_EQ(created, 3);
  EXPECT_TRUE(fs::is_directory(root_.path() / "dir" / "a" / "b" / "c"));
  EXPECT_OK(MakeDirectoriesBeneath(rfd_.get(), "dir/a", 0755, true));
  EXPECT_THAT(MakeDirectoriesBeneath(rfd_.get(), "dir/a", 0755, false),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(MakeDirectoriesBeneath(rfd_.get(), "linkdir/evil", 0755, true),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(MakeDirectoriesBeneath(rfd_.get(), "dir/linkfile/x", 0755, true),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_FALSE(fs::exists(outside_.path() / "evil"));
  EXPECT_THAT(MakeDirectoriesBeneath(rfd_.get(), "../x", 0755, true),
              StatusIs(StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Resolve, BeneathTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Walk" : "Openat2";
                         });

}  // namespace
}  // namespace codesphere
