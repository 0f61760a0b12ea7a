// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/storage/local_dir_object_store.h"
#include "codesphere/storage/object_store_url.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/storage/object_store_conformance.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::storage::testing {
namespace {

using ::codesphere::testing::TempDir;
namespace fs = std::filesystem;

// Keeps every conformance test's directory alive until the process ends, then removes them
// (destroyed at exit, after every test and store is gone).
std::vector<std::unique_ptr<TempDir>>& Dirs() {
  static std::vector<std::unique_ptr<TempDir>> dirs;
  return dirs;
}

INSTANTIATE_TEST_SUITE_P(LocalDir, ObjectStoreConformanceTest,
                         ::testing::Values(ConformanceParam{
                             "LocalDir",
                             [](std::string*) -> std::unique_ptr<ObjectStore> {
                               Dirs().push_back(std::make_unique<TempDir>("codesphere-lds-"));
                               auto s = NewLocalDirObjectStore(Dirs().back()->path().string());
                               return s.has_value() ? std::move(*s) : nullptr;
                             },
                             8}),
                         PrintParam);

class LocalDirObjectStoreTest : public ::testing::Test {
 protected:
  TempDir dir_{"codesphere-lds-"};
  std::string root() const { return dir_.path().string(); }
};

TEST_F(LocalDirObjectStoreTest, ObjectsAreFilesAndSurviveReopen) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, NewLocalDirObjectStore(root()));
    ASSERT_OK(store->Put("a/b/c", ToBytes("hello")));
  }
  std::ifstream f(dir_.path() / "a/b/c");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello");
  ASSERT_OK_AND_ASSIGN(auto store, NewLocalDirObjectStore(root()));
  ASSERT_OK_AND_ASSIGN(GetResult r, store->Get("a/b/c"));
  EXPECT_EQ(AsStringView(r.value), "hello");
}

TEST_F(LocalDirObjectStoreTest, NoTempFilesRemainAndReservedNamesAreHidden) {
  ASSERT_OK_AND_ASSIGN(auto store, NewLocalDirObjectStore(root()));
  for (int i = 0; i < 20; ++i) ASSERT_OK(store->Put("k" + std::to_string(i), ToBytes("v")));
  EXPECT_TRUE(fs::is_empty(dir_.path() / ".codesphere-tmp"));
  ASSERT_OK_AND_ASSIGN(auto list, store->List(""));
  EXPECT_EQ(list.size(), 20u);
}

TEST_F(LocalDirObjectStoreTest, TwoInstancesOnOneDirectoryShareConditions) {
  ASSERT_OK_AND_ASSIGN(auto a, NewLocalDirObjectStore(root()));
  ASSERT_OK_AND_ASSIGN(auto b, NewLocalDirObjectStore(root()));
  PutOptions create;
  create.if_none_match = true;
  ASSERT_OK(a->Put("lock", ToBytes("a"), create));
  EXPECT_THAT(b->Put("lock", ToBytes("b"), create),
              ::codesphere::testing::StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(ObjectInfo info, b->Stat("lock"));
  PutOptions cas;
  cas.if_match = info.generation;
  ASSERT_OK(b->Put("lock", ToBytes("b"), cas));
  EXPECT_THAT(a->Put("lock", ToBytes("a2"), cas),
              ::codesphere::testing::StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(LocalDirObjectStoreTest, SymlinksInsideTheRootAreNotFollowed) {
  TempDir outside("codesphere-outside-");
  std::ofstream(outside.path() / "secret") << "s3cret";
  fs::create_directory_symlink(outside.path(), dir_.path() / "link");
  ASSERT_OK_AND_ASSIGN(auto store, NewLocalDirObjectStore(root()));
  EXPECT_THAT(store->Get("link/secret"), ::codesphere::testing::StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto list, store->List(""));
  EXPECT_TRUE(list.empty());
}

TEST_F(LocalDirObjectStoreTest, LargeObjectsRoundTripWithAndWithoutDirectIo) {
  // Page-aligned and unaligned sources, sizes on and off the 4 KiB block grid: O_DIRECT
  // writes whole blocks and cuts the padded tail off again.
  constexpr std::size_t kMax = (5u << 20) + 4096;
  void* raw = nullptr;
  ASSERT_EQ(::posix_memalign(&raw, 4096, kMax + 1), 0);
  std::unique_ptr<std::uint8_t, decltype(&std::free)> buf(static_cast<std::uint8_t*>(raw), &std::free);
  for (std::size_t i = 0; i < kMax + 1; ++i) buf.get()[i] = static_cast<std::uint8_t>(i * 131 + (i >> 12));
  for (bool direct : {true, false}) {
    LocalDirObjectStoreOptions o;
    o.direct_io = direct;
    ASSERT_OK_AND_ASSIGN(auto store, NewLocalDirObjectStore(root(), o));
    for (std::size_t size : {std::size_t{1} << 20, (std::size_t{3} << 20) + 123, kMax, kMax - 1}) {
      for (std::size_t offset : {0, 1}) {
        std::string key = "big/" + std::to_string(direct) + "-" + std::to_string(size) + "-" +
                          std::to_string(offset);
        ByteSpan value(buf.get() + offset, size);
        ASSERT_OK(store->Put(key, value));
        EXPECT_EQ(fs::file_size(dir_.path() / key), size) << key;
        ASSERT_OK_AND_ASSIGN(GetResult r, store->Get(key));
        ASSERT_EQ(r.value.size(), size) << key;
        EXPECT_TRUE(std::equal(r.value.begin(), r.value.end(), value.begin())) << key;
        GetOptions range;
        range.offset = size - 5000;
        range.length = 4000;
        ASSERT_OK_AND_ASSIGN(GetResult part, store->Get(key, range));
        EXPECT_TRUE(std::equal(part.value.begin(), part.value.end(), value.begin() + (size - 5000)));
      }
    }
  }
  EXPECT_TRUE(fs::is_empty(dir_.path() / ".codesphere-tmp"));
}

TEST_F(LocalDirObjectStoreTest, MissingRootWithoutCreateIsNotFound) {
  LocalDirObjectStoreOptions o;
  o.create = false;
  EXPECT_THAT(NewLocalDirObjectStore(root() + "/missing", o),
              ::codesphere::testing::StatusIs(StatusCode::kNotFound));
  std::ofstream(dir_.path() / "file") << "x";
  EXPECT_THAT(NewLocalDirObjectStore(root() + "/file", o),
              ::codesphere::testing::StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(LocalDirObjectStoreTest, OpensFromFileUrls) {
  ASSERT_OK_AND_ASSIGN(auto a, OpenObjectStore("file://" + root() + "/sub"));
  ASSERT_OK(a->Put("k", ToBytes("v")));
  ASSERT_OK_AND_ASSIGN(auto b, OpenObjectStore("file://" + root() + "/sub?fsync=false"));
  ASSERT_OK_AND_ASSIGN(GetResult r, b->Get("k"));
  EXPECT_EQ(AsStringView(r.value), "v");
  EXPECT_THAT(OpenObjectStore("file://" + root() + "?bogus=1"),
              ::codesphere::testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenObjectStore("file://relative/path"),
              ::codesphere::testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenObjectStore("ftp://x"), ::codesphere::testing::StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK(OpenObjectStore("memory:"));
}

}  // namespace
}  // namespace codesphere::storage::testing
