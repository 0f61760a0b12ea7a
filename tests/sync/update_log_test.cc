// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sync/update_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sync {
namespace {

using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;

std::vector<std::string> Replay(const std::filesystem::path& p, UpdateLogRecovery* rec,
                                Status* status = nullptr) {
  std::vector<std::string> out;
  auto log = UpdateLog::Open(p, {}, [&](ByteSpan r) {
    out.emplace_back(AsStringView(r));
    return OkStatus();
  }, rec);
  if (status) *status = log.error();
  return out;
}

class UpdateLogTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "room.log";

  void Write(std::initializer_list<std::string_view> records) {
    ASSERT_OK_AND_ASSIGN(auto log,
                         UpdateLog::Open(path_, {}, [](ByteSpan) { return OkStatus(); }, nullptr));
    for (auto r : records) ASSERT_OK(log->Append(AsBytes(r)));
  }
};

TEST_F(UpdateLogTest, ReplaysAppendedRecordsInOrder) {
  Write({"a", "", "ccc"});
  ASSERT_OK_AND_ASSIGN(auto log, UpdateLog::Open(path_, {}, [](ByteSpan) { return OkStatus(); },
                                                 nullptr));
  std::string big(100000, 'x');
  ByteSpan batch[] = {AsBytes("d"), AsBytes(big)};
  ASSERT_OK(log->AppendBatch(batch));
  EXPECT_EQ(log->record_count(), 5u);
  log.reset();
  UpdateLogRecovery rec;
  auto records = Replay(path_, &rec);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0], "a");
  EXPECT_EQ(records[1], "");
  EXPECT_EQ(records[4], big);
  EXPECT_EQ(rec.truncated_bytes, 0u);
}

TEST_F(UpdateLogTest, TornTailIsCutAtLastGoodRecord) {
  Write({"one", "two"});
  auto size = std::filesystem::file_size(path_);
  for (std::uintmax_t cut = 1; cut < 8 + 3; ++cut) {
    std::filesystem::resize_file(path_, size - cut);
    UpdateLogRecovery rec;
    auto records = Replay(path_, &rec);
    ASSERT_EQ(records.size(), 1u) << cut;
    EXPECT_EQ(records[0], "one");
    EXPECT_EQ(rec.truncated_bytes, 8 + 3 - cut);
    // The cut is persistent, and appends continue cleanly after it.
    Write({"two"});
  }
}

TEST_F(UpdateLogTest, CorruptByteStopsReplayThere) {
  Write({"one", "two", "three"});
  int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t second_payload = 8 + (8 + 3) + 8;
  ASSERT_EQ(::pwrite(fd, "X", 1, second_payload), 1);
  ::close(fd);
  UpdateLogRecovery rec;
  auto records = Replay(path_, &rec);
  EXPECT_EQ(records, std::vector<std::string>{"one"});
  EXPECT_EQ(rec.truncated_bytes, (8u + 3) + (8u + 5));
}

TEST_F(UpdateLogTest, RejectsFilesThatAreNotLogs) {
  std::ofstream(path_) << "hello world, not a log";
  Status s;
  Replay(path_, nullptr, &s);
  EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss));
  // The file is left as it was.
  EXPECT_EQ(std::filesystem::file_size(path_), 22u);
}

TEST_F(UpdateLogTest, ReplayErrorsPropagate) {
  Write({"x"});
  auto log = UpdateLog::Open(path_, {}, [](ByteSpan) { return DataLossError("bad update"); },
                             nullptr);
  EXPECT_THAT(log, StatusIs(StatusCode::kDataLoss));
}

TEST_F(UpdateLogTest, OversizedRecordIsRefused) {
  UpdateLogOptions opts;
  opts.max_record_bytes = 4;
  ASSERT_OK_AND_ASSIGN(auto log,
                       UpdateLog::Open(path_, opts, [](ByteSpan) { return OkStatus(); }, nullptr));
  EXPECT_THAT(log->Append(AsBytes("12345")), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(log->Append(AsBytes("1234")));
}

}  // namespace
}  // namespace codesphere::sync
