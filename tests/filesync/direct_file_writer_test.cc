// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/direct_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "tests/filesync/tree_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::filesync::internal {
namespace {

using ::codesphere::testing::TempDir;

// Splits [0, size) into pieces at random cut points, writes them in a shuffled order from
// four threads, and checks the file, for sizes on and off the block grid.
TEST(DirectFileWriterTest, PiecesInAnyOrderFromManyThreadsGiveTheExactFile) {
  TempDir dir("codesphere-dfw-");  // On the regular filesystem (tmpfs may lack O_DIRECT).
  std::mt19937 rng(7);
  for (std::size_t size : {std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{70000},
                           std::size_t{1} << 20, (std::size_t{3} << 20) + 17}) {
    std::string content(size, '\0');
    for (auto& c : content) c = static_cast<char>(rng());
    std::vector<std::size_t> cuts = {0, size};
    for (int i = 0; i < 40; ++i) cuts.push_back(rng() % size);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<std::pair<std::size_t, std::size_t>> pieces;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) pieces.emplace_back(cuts[i], cuts[i + 1]);
    std::shuffle(pieces.begin(), pieces.end(), rng);

    std::string path = (dir.path() / ("f" + std::to_string(size))).string();
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    int fd = ::open(path.c_str(), flags | O_DIRECT, 0600);
    if (fd < 0) fd = ::open(path.c_str(), flags, 0600);
    ASSERT_GE(fd, 0);
    DirectFileWriter writer(size);
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    std::vector<Status> results(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t i; (i = next++) < pieces.size();) {
          auto [b, e] = pieces[i];
          Status s = writer.Write(fd, b, AsBytes(std::string_view(content).substr(b, e - b)), "f");
          if (!s.ok()) results[t] = s;
        }
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) ASSERT_OK(r);
    ASSERT_OK(writer.Finish(fd, "f"));
    ::close(fd);
    EXPECT_EQ(testing::ReadFile(path), content) << size;
  }
}

TEST(DirectFileWriterTest, WritesPastTheEndAndMissingBytesAreErrors) {
  TempDir dir("codesphere-dfw-");
  std::string path = (dir.path() / "f").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  DirectFileWriter writer(5000);
  EXPECT_FALSE(writer.Write(fd, 4990, AsBytes(std::string(20, 'x')), "f").ok());
  ASSERT_OK(writer.Write(fd, 4096, AsBytes(std::string(10, 'x')), "f"));
  EXPECT_FALSE(writer.Finish(fd, "f").ok());  // The rest of the last block never came.
  ::close(fd);
}

}  // namespace
}  // namespace codesphere::filesync::internal
