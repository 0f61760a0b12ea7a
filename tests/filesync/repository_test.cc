// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/filesync/repository.h"

#include <algorithm>
#include <atomic>

#include "codesphere/storage/faulty_object_store.h"
#include "codesphere/storage/local_dir_object_store.h"
#include "codesphere/storage/memory_object_store.h"
#include "filesync/blob_codec.h"
#include "tests/filesync/tree_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::filesync {
namespace {

using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;
using testing::DiffTrees;
using testing::MakeTree;
using testing::ReadFile;
using testing::WriteFile;
namespace fs = std::filesystem;

class RepositoryTest : public ::testing::Test {
 protected:
  RepositoryOptions Options() {
    RepositoryOptions o;
    o.cache_dir = (tmp_.path() / "cache").string();
    o.pack_size = 1u << 20;
    return o;
  }
  fs::path Src() { return tmp_.path() / "src"; }
  fs::path Dst(const std::string& name = "dst") { return tmp_.path() / name; }

  testing::ScratchDir tmp_{"codesphere-filesync-"};
  std::unique_ptr<storage::ObjectStore> mem_ = storage::NewMemoryObjectStore();
};

TEST_F(RepositoryTest, TenThousandFileRoundTripIsExact) {
  MakeTree(Src(), 10000, 1, 5u << 20);
  ASSERT_OK_AND_ASSIGN(auto store, storage::NewLocalDirObjectStore((tmp_.path() / "store").string(),
                                                                   storage::LocalDirObjectStoreOptions{true, false}));
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*store, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  EXPECT_EQ(saved.snapshot.files, 10001u);
  EXPECT_GE(saved.snapshot.symlinks, 4u);
  EXPECT_EQ(saved.files_unchanged, 0u);
  ASSERT_OK_AND_ASSIGN(RestoreStats restored, repo->Restore(saved.snapshot.id, Dst().string()));
  EXPECT_EQ(restored.files, 10001u);
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
  EXPECT_TRUE(fs::is_symlink(Dst() / "links/up"));
  EXPECT_TRUE(fs::is_directory(Dst() / "empty_dir/nested_empty"));
}

TEST_F(RepositoryTest, SecondSnapshotAfterOneChangeUploadsAtMostThreeChunks) {
  MakeTree(Src(), 300, 2, 9u << 20);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats first, repo->Save(Src().string()));
  // Append to the big multi-chunk file: only its last chunk(s) change.
  { std::ofstream(Src() / "big.bin", std::ios::app) << "one more line\n"; }
  ASSERT_OK_AND_ASSIGN(SaveStats second, repo->Save(Src().string()));
  EXPECT_EQ(second.snapshot.parent, first.snapshot.id);
  EXPECT_LE(second.new_chunks, 3u);
  EXPECT_GE(second.new_chunks, 1u);
  EXPECT_EQ(second.files_read, 1u);
  ASSERT_OK(repo->Restore(second.snapshot.id, Dst().string()));
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
}

TEST_F(RepositoryTest, WithoutCacheUnchangedContentIsStillDeduplicated) {
  MakeTree(Src(), 200, 3);
  RepositoryOptions o = Options();
  o.cache_dir.clear();
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, o));
  ASSERT_OK(repo->Save(Src().string()));
  WriteFile(Src() / "f5.txt", "changed\n");
  ASSERT_OK_AND_ASSIGN(SaveStats second, repo->Save(Src().string()));
  EXPECT_LE(second.new_chunks, 1u);
}

TEST_F(RepositoryTest, UnchangedTreeWritesOnlyAManifest) {
  MakeTree(Src(), 500, 4);
  storage::FaultyObjectStore counting(*mem_);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(counting, Options()));
  ASSERT_OK(repo->Save(Src().string()));
  std::int64_t before = counting.puts();
  ASSERT_OK_AND_ASSIGN(SaveStats again, repo->Save(Src().string()));
  EXPECT_EQ(counting.puts() - before, 1);
  EXPECT_EQ(again.new_chunks, 0u);
  EXPECT_EQ(again.files_read, 0u);
  EXPECT_EQ(again.packs_written, 0u);
}

TEST_F(RepositoryTest, InjectedFaultsLeaveNoPartialSnapshot) {
  MakeTree(Src(), 300, 5, 3u << 20);
  storage::FaultyObjectStore faulty(*mem_);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(faulty, Options()));
  for (const char* prefix : {"data/", "index/", "snapshots/"}) {
    // Packs: let one through, so the failure hits mid-save.
    int skip = std::string(prefix) == "data/" ? 1 : 0;
    faulty.FailOps(storage::ObjectStoreOp::kPut, prefix, UnavailableError("injected outage"), skip);
    auto r = repo->Save(Src().string());
    ASSERT_THAT(r, StatusIs(StatusCode::kUnavailable)) << prefix;
    EXPECT_NE(r.error().message().find("injected outage"), std::string::npos);
    ASSERT_OK_AND_ASSIGN(auto list, repo->List());
    EXPECT_TRUE(list.empty()) << prefix;
  }
  faulty.SetInjector(nullptr);
  ASSERT_OK_AND_ASSIGN(SaveStats ok, repo->Save(Src().string()));
  ASSERT_OK(repo->Restore(ok.snapshot.id, Dst().string()));
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
  // A failing read during restore is reported, not ignored.
  faulty.FailOps(storage::ObjectStoreOp::kGet, "data/", DataLossError("injected corruption"));
  EXPECT_THAT(repo->Restore(ok.snapshot.id, Dst("dst2").string()), StatusIs(StatusCode::kDataLoss));
}

// Every pack file of a local store.
std::vector<fs::path> PackFiles(const fs::path& store) {
  std::vector<fs::path> packs;
  for (const auto& e : fs::recursive_directory_iterator(store / "data")) {
    if (e.is_regular_file()) packs.push_back(e.path());
  }
  std::sort(packs.begin(), packs.end());
  return packs;
}

TEST_F(RepositoryTest, TruncatedOrCorruptPacksFailRestoreWithDataLoss) {
  MakeTree(Src(), 200, 12, 3u << 20);
  fs::path root = tmp_.path() / "store";
  ASSERT_OK_AND_ASSIGN(auto store, storage::NewLocalDirObjectStore(root.string()));
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*store, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  ASSERT_OK(repo->Restore(saved.snapshot.id, Dst("ok").string()));
  std::vector<fs::path> packs = PackFiles(root);
  ASSERT_GE(packs.size(), 2u);

  // Cut the largest pack short.
  fs::path largest = *std::max_element(packs.begin(), packs.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  std::string saved_bytes = ReadFile(largest);
  fs::resize_file(largest, fs::file_size(largest) - 100);
  auto truncated = repo->Restore(saved.snapshot.id, Dst("truncated").string());
  ASSERT_THAT(truncated, StatusIs(StatusCode::kDataLoss));
  EXPECT_NE(truncated.error().message().find("truncated"), std::string::npos);

  // Same length, one byte flipped in the middle: the chunk no longer matches its id.
  std::string flipped = saved_bytes;
  flipped[flipped.size() / 2] ^= 0x5a;
  WriteFile(largest, flipped);
  EXPECT_THAT(repo->Restore(saved.snapshot.id, Dst("flipped").string()), StatusIs(StatusCode::kDataLoss));

  // Put back, the snapshot restores again.
  WriteFile(largest, saved_bytes);
  ASSERT_OK(repo->Restore(saved.snapshot.id, Dst("repaired").string()));
  EXPECT_EQ(DiffTrees(Src(), Dst("repaired")), "");
}

TEST_F(RepositoryTest, CorruptIndexIsDataLossNotACrash) {
  MakeTree(Src(), 100, 13);
  RepositoryOptions o = Options();
  o.cache_dir.clear();  // The cache would serve the intact copy.
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, o));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  ASSERT_OK_AND_ASSIGN(auto indexes, mem_->List("index/"));
  ASSERT_EQ(indexes.size(), 1u);
  ASSERT_OK_AND_ASSIGN(storage::GetResult index, mem_->Get(indexes[0].key));
  // Truncated, then one byte flipped: both fail the checksum or the decoder.
  for (int variant = 0; variant < 2; ++variant) {
    Bytes bad = index.value;
    if (variant == 0) {
      bad.resize(bad.size() / 2);
    } else {
      bad[bad.size() - 3] ^= 1;
    }
    ASSERT_OK(mem_->Put(indexes[0].key, bad));
    EXPECT_THAT(repo->Restore(saved.snapshot.id, Dst("d" + std::to_string(variant)).string()),
                StatusIs(StatusCode::kDataLoss));
    EXPECT_THAT(repo->Save(Src().string()), StatusIs(StatusCode::kDataLoss));
  }
}

TEST_F(RepositoryTest, EncryptedRepositoryRoundTripsAndRejectsWrongKeys) {
  MakeTree(Src(), 100, 6);
  RepositoryOptions o = Options();
  o.key = NewRepositoryKey();
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, o));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  ASSERT_OK(repo->Restore(saved.snapshot.id, Dst().string()));
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
  // Stored bytes do not contain the plaintext.
  ASSERT_OK_AND_ASSIGN(auto packs, mem_->List("data/"));
  std::string needle = ReadFile(Src() / "f1.txt").substr(0, 20);
  for (const auto& p : packs) {
    ASSERT_OK_AND_ASSIGN(auto got, mem_->Get(p.key));
    EXPECT_EQ(std::string(AsStringView(got.value)).find(needle), std::string::npos);
  }
  RepositoryOptions wrong = Options();
  wrong.key = NewRepositoryKey();
  EXPECT_THAT(Repository::Open(*mem_, wrong), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(Repository::Open(*mem_, Options()), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(RepositoryTest, RestoreRefusesNonEmptyTargetAndBadIds) {
  MakeTree(Src(), 10, 7);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  WriteFile(Dst() / "existing", "x");
  EXPECT_THAT(repo->Restore(saved.snapshot.id, Dst().string()), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(repo->Restore("../../etc", Dst("d2").string()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(repo->Restore("0123abcd", Dst("d3").string()), StatusIs(StatusCode::kNotFound));
}

TEST_F(RepositoryTest, ManifestWithTraversalPathsIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  for (const char* bad : {"../escape", "/etc/passwd", "a/../../b", "a//b"}) {
    Manifest m;
    m.id = "00000000000000000001";
    ManifestEntry e;
    e.path = bad;
    e.type = EntryType::kDirectory;
    m.entries.push_back(e);
    internal::BlobCodec codec(std::nullopt, 1);
    ASSERT_OK(mem_->Put("snapshots/" + m.id, codec.Seal(EncodeManifest(m), "manifest")));
    EXPECT_THAT(repo->Restore(m.id, Dst(std::string("t") + std::to_string(bad[1])).string()),
                StatusIs(StatusCode::kInvalidArgument))
        << bad;
    ASSERT_OK(mem_->Delete("snapshots/" + m.id));
  }
}

TEST_F(RepositoryTest, SymlinksAreStoredNeverFollowed) {
  TempDir outside("codesphere-outside-");
  WriteFile(outside.path() / "secret.txt", "do not snapshot me");
  WriteFile(Src() / "a.txt", "a");
  fs::create_directory_symlink(outside.path(), Src() / "escape");
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string()));
  ASSERT_OK_AND_ASSIGN(Manifest m, repo->LoadManifest(saved.snapshot.id));
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(m.entries[1].path, "escape");
  EXPECT_EQ(m.entries[1].type, EntryType::kSymlink);
  EXPECT_EQ(m.entries[1].link_target, outside.path().string());
  ASSERT_OK(repo->Restore(saved.snapshot.id, Dst().string()));
  EXPECT_EQ(fs::read_symlink(Dst() / "escape"), outside.path());
}

TEST_F(RepositoryTest, GcDeletesUnreferencedChunksAndKeepsLiveSnapshots) {
  MakeTree(Src(), 200, 8, 3u << 20);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  ASSERT_OK_AND_ASSIGN(SaveStats first, repo->Save(Src().string()));
  fs::remove(Src() / "big.bin");
  WriteFile(Src() / "new.txt", "new content\n");
  ASSERT_OK_AND_ASSIGN(SaveStats second, repo->Save(Src().string()));
  ASSERT_OK(repo->Forget(first.snapshot.id));
  ASSERT_OK_AND_ASSIGN(GcStats gc, repo->Gc(GcOptions{0}));
  EXPECT_GE(gc.chunks_deleted, 3u);  // The 3 MiB file's chunks.
  EXPECT_GE(gc.packs_deleted, 1u);
  ASSERT_OK(repo->Restore(second.snapshot.id, Dst().string()));
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
  ASSERT_OK_AND_ASSIGN(auto indexes, mem_->List("index/"));
  EXPECT_EQ(indexes.size(), 1u);
  // A second gc finds nothing to do.
  ASSERT_OK_AND_ASSIGN(GcStats again, repo->Gc(GcOptions{0}));
  EXPECT_EQ(again.chunks_deleted, 0u);
  EXPECT_EQ(again.packs_deleted, 0u);
}

TEST_F(RepositoryTest, ForkSharesChunksUnderANewProject) {
  MakeTree(Src(), 50, 9);
  storage::FaultyObjectStore counting(*mem_);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(counting, Options()));
  SaveOptions so;
  so.project = "alice/app";
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string(), so));
  std::int64_t before = counting.puts();
  ASSERT_OK_AND_ASSIGN(SnapshotInfo fork, repo->Fork(saved.snapshot.id, "bob/app-fork"));
  EXPECT_EQ(counting.puts() - before, 1);
  EXPECT_NE(fork.id, saved.snapshot.id);
  EXPECT_EQ(fork.project, "bob/app-fork");
  EXPECT_EQ(fork.parent, saved.snapshot.id);
  ASSERT_OK(repo->Restore(fork.id, Dst().string()));
  EXPECT_EQ(DiffTrees(Src(), Dst()), "");
  ASSERT_OK_AND_ASSIGN(auto list, repo->List());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].project, "alice/app");
}

TEST_F(RepositoryTest, ProgressIsReportedAndFinishes) {
  MakeTree(Src(), 100, 10, 2u << 20);
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  std::atomic<int> calls{0};
  Progress last;
  SaveOptions so;
  so.progress = [&](const Progress& p) {
    ++calls;
    last = p;
  };
  ASSERT_OK_AND_ASSIGN(SaveStats saved, repo->Save(Src().string(), so));
  EXPECT_GE(calls.load(), 1);
  EXPECT_TRUE(last.done);
  EXPECT_EQ(last.files_done, last.files_total);
  EXPECT_EQ(last.bytes_done, last.bytes_total);
  RestoreOptions ro;
  Progress rlast;
  ro.progress = [&](const Progress& p) { rlast = p; };
  ASSERT_OK(repo->Restore(saved.snapshot.id, Dst().string(), ro));
  EXPECT_TRUE(rlast.done);
  EXPECT_EQ(rlast.bytes_done, rlast.bytes_total);
  EXPECT_EQ(rlast.files_done, rlast.files_total);
}

TEST_F(RepositoryTest, OpenValidatesOptionsAndExistence) {
  RepositoryOptions o = Options();
  o.create = false;
  EXPECT_THAT(Repository::Open(*mem_, o), StatusIs(StatusCode::kNotFound));
  o = Options();
  o.key = Bytes(5);
  EXPECT_THAT(Repository::Open(*mem_, o), StatusIs(StatusCode::kInvalidArgument));
  o = Options();
  o.chunker.avg_size = 1000;
  EXPECT_THAT(Repository::Open(*mem_, o), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*mem_, Options()));
  EXPECT_THAT(repo->Save((tmp_.path() / "missing").string()), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace codesphere::filesync
