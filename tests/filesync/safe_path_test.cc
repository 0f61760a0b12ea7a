// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/safe_path.h"

#include <fcntl.h>

#include "tests/filesync/tree_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::filesync::internal {
namespace {

using ::codesphere::testing::StatusIs;
namespace fs = std::filesystem;

TEST(SafePathTest, RejectsTraversalAndAbsolutePaths) {
  for (const char* p : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a/"}) {
    EXPECT_THAT(ValidateRelativePath(p), StatusIs(StatusCode::kInvalidArgument)) << p;
  }
  EXPECT_OK(ValidateRelativePath("a/b.c/..d"));
}

TEST(SafePathTest, OpenBeneathRefusesSymlinkedParentsAndFinalSymlinks) {
  ::codesphere::testing::TempDir root("codesphere-safe-"), outside("codesphere-outside-");
  testing::WriteFile(outside.path() / "secret", "s");
  testing::WriteFile(root.path() / "dir/file", "f");
  fs::create_directory_symlink(outside.path(), root.path() / "linkdir");
  fs::create_symlink(outside.path() / "secret", root.path() / "dir/linkfile");
  ASSERT_OK_AND_ASSIGN(UniqueFd rfd, OpenRootDir(root.path().string(), false));
  ASSERT_OK(OpenBeneath(rfd.get(), "dir/file", O_RDONLY));
  EXPECT_THAT(OpenBeneath(rfd.get(), "linkdir/secret", O_RDONLY), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenBeneath(rfd.get(), "dir/linkfile", O_RDONLY), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenBeneath(rfd.get(), "linkdir/new", O_WRONLY | O_CREAT, 0600),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_FALSE(fs::exists(outside.path() / "new"));
  EXPECT_THAT(OpenBeneath(rfd.get(), "../x", O_RDONLY), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace codesphere::filesync::internal
