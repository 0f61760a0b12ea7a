// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int CountEntries(const fs::path& dir) {
  return static_cast<int>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(DurableFileTest, WritesAndReplacesWithMode) {
  testing::TempDir tmp;
  const fs::path file = tmp.path() / "f";
  AtomicWriteOptions private_file;
  private_file.mode = 0600;
  ASSERT_OK(WriteFileAtomically(file, AsBytes(std::string_view("first")), private_file));
  EXPECT_EQ(Slurp(file), "first");
  EXPECT_EQ(fs::status(file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  Bytes a = {'a', 'b'}, b = {'c'};
  ASSERT_OK(WriteFileAtomically(file, {ByteSpan(a), ByteSpan(b)}));
  EXPECT_EQ(Slurp(file), "abc");
  EXPECT_EQ(CountEntries(tmp.path()), 1);  // No temporary left behind.
}

TEST(DurableFileTest, ReplacesASymlinkInsteadOfWritingThroughIt) {
  testing::TempDir tmp;
  const fs::path canary = tmp.path() / "canary";
  { std::ofstream(canary) << "untouched"; }
  fs::create_directory(tmp.path() / "d");
  fs::create_symlink(canary, tmp.path() / "d" / "link");
  ASSERT_OK(WriteFileAtomically(tmp.path() / "d" / "link", AsBytes(std::string_view("new"))));
  EXPECT_EQ(Slurp(canary), "untouched");
  EXPECT_FALSE(fs::is_symlink(tmp.path() / "d" / "link"));
  EXPECT_EQ(Slurp(tmp.path() / "d" / "link"), "new");
}

TEST(DurableFileTest, FailedHookLeavesTargetAndNoTemporary) {
  testing::TempDir tmp;
  const fs::path file = tmp.path() / "f";
  AtomicWriteOptions options;
  options.sync = false;
  ASSERT_OK(WriteFileAtomically(file, AsBytes(std::string_view("old")), options));
  options.before_rename = [](int) { return PermissionDeniedError("no"); };
  EXPECT_THAT(WriteFileAtomically(file, AsBytes(std::string_view("new")), options),
              testing::StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(Slurp(file), "old");
  EXPECT_EQ(CountEntries(tmp.path()), 1);
}

TEST(DurableFileTest, TemporariesAreRecognisedByName) {
  testing::TempDir tmp;
  std::vector<std::string> seen;
  AtomicWriteOptions options;
  options.sync = false;
  options.before_rename = [&](int) {
    for (const auto& e : fs::directory_iterator(tmp.path())) seen.push_back(e.path().filename());
    return OkStatus();
  };
  ASSERT_OK(WriteFileAtomically(tmp.path() / "main.py", AsBytes(std::string_view("x")), options));
  ASSERT_EQ(seen.size(), 1u);  // the temporary, seen while it exists
  EXPECT_TRUE(IsAtomicWriteTemporary(seen[0])) << seen[0];
  EXPECT_FALSE(IsAtomicWriteTemporary("main.py"));
  EXPECT_FALSE(IsAtomicWriteTemporary(".main.py"));
  EXPECT_FALSE(IsAtomicWriteTemporary("main.py.tmp-0123456789abcdef"));   // not hidden
  EXPECT_FALSE(IsAtomicWriteTemporary(".main.py.tmp-0123456789abcdeg"));  // not hex
  EXPECT_FALSE(IsAtomicWriteTemporary(".main.py.tmp-0123456789abcde"));   // 15 digits
  EXPECT_FALSE(IsAtomicWriteTemporary(".tmp-0123456789abcdef"));          // no name
}

TEST(DurableFileTest, RefusesNamesThatAreNotOneComponent) {
  testing::TempDir tmp;
  int dir = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  for (std::string_view bad : {"", ".", "..", "a/b", "../x"}) {
    EXPECT_THAT(WriteFileAtomically(dir, bad, AsBytes(std::string_view("x"))),
                testing::StatusIs(StatusCode::kInvalidArgument))
        << bad;
  }
  ::close(dir);
  EXPECT_EQ(CountEntries(tmp.path()), 0);
}

TEST(DurableFileTest, MissingDirectoryIsNotFound) {
  testing::TempDir tmp;
  EXPECT_THAT(WriteFileAtomically(tmp.path() / "nope" / "f", AsBytes(std::string_view("x"))),
              testing::StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(SyncDirectory(tmp.path() / "nope"), testing::StatusIs(StatusCode::kNotFound));
  EXPECT_OK(SyncDirectory(tmp.path()));
}

}  // namespace
}  // namespace codesphere
