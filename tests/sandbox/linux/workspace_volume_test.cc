// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/workspace_volume.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "codesphere/sandbox/safe_file.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::sandbox {
namespace {

namespace fs = std::filesystem;
using ::codesphere::testing::StatusIs;

bool IsMountPoint(const fs::path& path) {
  struct stat st, parent;
  return stat(path.c_str(), &st) == 0 && stat(path.parent_path().c_str(), &parent) == 0 &&
         st.st_dev != parent.st_dev;
}

class WorkspaceVolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Status s = ProbeWorkspaceVolumeSupport(); !s.ok()) {
      GTEST_SKIP() << "workspace volumes unavailable: " << s;
    }
    options_.image = (dir_.path() / "ws.img").string();
    options_.mount_point = (dir_.path() / "ws").string();
    options_.size_bytes = 16ull << 20;
  }

  void TearDown() override {
    // A failed test may leave its (or its child's) mount behind: never leave one on the host.
    while (IsMountPoint(options_.mount_point)) {
      if (umount2(options_.mount_point.c_str(), MNT_DETACH) != 0) break;
    }
  }

  // Writes 1 MiB files until the volume is full; returns how many fit.
  static int FillWithFiles(const SafeDir& ws, const std::string& prefix) {
    const std::string data(1 << 20, 'd');
    for (int i = 0; i < 1000; ++i) {
      Status s = ws.WriteFile(prefix + std::to_string(i), data);
      if (!s.ok()) {
        EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s;
        return i;
      }
    }
    ADD_FAILURE() << "the cap never held";
    return 1000;
  }

  codesphere::testing::TempDir dir_{"codesphere-volume-"};
  WorkspaceVolumeOptions options_;
};

TEST_F(WorkspaceVolumeTest, CapsTheTotalSizeAndKeepsDataAcrossMounts) {
  int fitted = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
    EXPECT_TRUE(IsMountPoint(options_.mount_point));
    EXPECT_TRUE(fs::is_empty(options_.mount_point)) << "no lost+found in a new workspace";
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    fitted = FillWithFiles(ws, "f");
    EXPECT_GE(fitted, 8);
    EXPECT_LT(fitted, 16);
    ASSERT_OK_AND_ASSIGN(WorkspaceVolumeUsage usage, volume->Usage());
    EXPECT_LE(usage.size_bytes, options_.size_bytes);
    EXPECT_LE(usage.image_allocated_bytes, options_.size_bytes + (1 << 20));
    EXPECT_LT(usage.free_bytes, 1u << 20);
    // Trim gives the blocks of deleted files back to the host disk.
    for (int i = 0; i < fitted / 2; ++i) ASSERT_OK(ws.Remove("f" + std::to_string(i)));
    ASSERT_OK(volume->Trim());
    ASSERT_OK_AND_ASSIGN(WorkspaceVolumeUsage after, volume->Usage());
    EXPECT_LT(after.image_allocated_bytes + (3u << 20), usage.image_allocated_bytes);
  }
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
  EXPECT_TRUE(fs::is_empty(options_.mount_point)) << "data landed on the host file system";
  ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
  ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
  ASSERT_OK_AND_ASSIGN(auto entries, ws.List("."));
  EXPECT_EQ(entries.size(), static_cast<size_t>(fitted - fitted / 2));
}

TEST_F(WorkspaceVolumeTest, SharedByHoldersAndUnmountedAfterTheLast) {
  ASSERT_OK_AND_ASSIGN(auto first, MountWorkspaceVolume(options_));
  ASSERT_OK_AND_ASSIGN(auto second, MountWorkspaceVolume(options_));
  EXPECT_EQ(first.get(), second.get());
  WorkspaceVolumeOptions bigger = options_;
  bigger.size_bytes = 32ull << 20;
  EXPECT_THAT(MountWorkspaceVolume(bigger), StatusIs(StatusCode::kFailedPrecondition));
  first.reset();
  EXPECT_TRUE(IsMountPoint(options_.mount_point));
  second.reset();
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
}

// Threads mounting and releasing one workspace at once: every mount succeeds, holders at
// the same time share one volume, and an unmount never races a new mount.
TEST_F(WorkspaceVolumeTest, ConcurrentMountsAndReleasesOfOneWorkspace) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        auto volume = MountWorkspaceVolume(options_);
        if (!volume.ok() || !IsMountPoint(options_.mount_point)) {
          ++failures;
          ADD_FAILURE() << (volume.ok() ? "not mounted" : volume.error().ToString());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
  ASSERT_OK_AND_ASSIGN(auto a, MountWorkspaceVolume(options_));
  std::shared_ptr<WorkspaceVolume> b;
  std::thread other([&] { b = *MountWorkspaceVolume(options_); });
  other.join();
  EXPECT_EQ(a.get(), b.get());
}

TEST_F(WorkspaceVolumeTest, GrowsAndShrinksWhileUnmounted) {
  {
    ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    ASSERT_OK(ws.WriteFile("keep", "kept"));
  }
  options_.size_bytes = 48ull << 20;
  {
    ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
    EXPECT_EQ(volume->size_bytes(), 48ull << 20);
    EXPECT_EQ(fs::file_size(options_.image), 48ull << 20);
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    EXPECT_EQ(*ws.ReadFile("keep"), "kept");
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK(ws.WriteFile("big" + std::to_string(i), std::string(1 << 20, 'b')));
    }
  }
  // 20 MiB of files do not fit into 16 MiB: refused, and the image is left as it was.
  options_.size_bytes = 16ull << 20;
  EXPECT_THAT(MountWorkspaceVolume(options_), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
  EXPECT_EQ(fs::file_size(options_.image), 48ull << 20);
  options_.size_bytes = 48ull << 20;
  {
    ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    for (int i = 2; i < 20; ++i) ASSERT_OK(ws.Remove("big" + std::to_string(i)));
  }
  options_.size_bytes = 24ull << 20;
  ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
  EXPECT_EQ(fs::file_size(options_.image), 24ull << 20);
  ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
  EXPECT_EQ(*ws.ReadFile("keep"), "kept");
  EXPECT_EQ(ws.ReadFile("big1")->size(), 1u << 20);
}

TEST_F(WorkspaceVolumeTest, RefusesBadOptionsAndNonEmptyWorkspaces) {
  WorkspaceVolumeOptions o = options_;
  o.size_bytes = 1 << 20;
  EXPECT_THAT(MountWorkspaceVolume(o), StatusIs(StatusCode::kInvalidArgument));
  o = options_;
  o.image = options_.mount_point + "/ws.img";
  EXPECT_THAT(MountWorkspaceVolume(o), StatusIs(StatusCode::kInvalidArgument));
  o = options_;
  o.mount_point = "relative/ws";
  EXPECT_THAT(MountWorkspaceVolume(o), StatusIs(StatusCode::kInvalidArgument));
  // Files already in the workspace would vanish under a new volume (unless moved in).
  fs::create_directories(options_.mount_point);
  std::ofstream(options_.mount_point + "/existing") << "x";
  EXPECT_THAT(MountWorkspaceVolume(options_), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_FALSE(fs::exists(options_.image));
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
}

TEST_F(WorkspaceVolumeTest, MovesExistingFilesIntoANewVolume) {
  ::codesphere::testing::TempDir outside("codesphere-outside-");
  std::ofstream(outside.path() / "secret") << "host";
  fs::create_directories(options_.mount_point + "/src/deep");
  std::ofstream(options_.mount_point + "/src/deep/main.c") << "int main() {}";
  std::ofstream(options_.mount_point + "/run.sh") << "#!/bin/sh";
  fs::permissions(options_.mount_point + "/run.sh", fs::perms(0751));
  fs::create_symlink(outside.path() / "secret", options_.mount_point + "/planted");
  options_.move_existing_files = true;
  {
    ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
    EXPECT_TRUE(IsMountPoint(options_.mount_point));
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    EXPECT_EQ(*ws.ReadFile("src/deep/main.c"), "int main() {}");
    ASSERT_OK_AND_ASSIGN(FileInfo run, ws.Stat("run.sh"));
    EXPECT_EQ(run.mode, 0751u);
    ASSERT_OK_AND_ASSIGN(FileInfo link, ws.Stat("planted"));
    EXPECT_EQ(link.type, FileType::kSymlink) << "a link is copied as a link, never followed";
    EXPECT_FALSE(fs::exists(options_.mount_point + "/lost+found"));
  }
  EXPECT_TRUE(fs::is_empty(options_.mount_point)) << "the originals stayed on the host";
  EXPECT_EQ(fs::file_size(outside.path() / "secret"), 4u);
  EXPECT_FALSE(fs::exists(options_.image + ".partial"));
  EXPECT_FALSE(fs::exists(options_.image + ".staging"));
}

TEST_F(WorkspaceVolumeTest, ExistingFilesThatDoNotFitStayWhereTheyAre) {
  fs::create_directories(options_.mount_point);
  std::ofstream(options_.mount_point + "/big") << std::string(20 << 20, 'b');
  options_.move_existing_files = true;
  EXPECT_THAT(MountWorkspaceVolume(options_), StatusIs(StatusCode::kResourceExhausted));
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
  EXPECT_EQ(fs::file_size(options_.mount_point + "/big"), 20u << 20);
  EXPECT_FALSE(fs::exists(options_.image));
  EXPECT_FALSE(fs::exists(options_.image + ".partial"));
  EXPECT_FALSE(fs::exists(options_.image + ".staging"));
}

// A host process with a file open in the volume keeps the file system alive after the last
// holder lets go: it is detached lazily, and the next mount uses the same device (one super
// block), never a second loop device over the same image.
TEST_F(WorkspaceVolumeTest, BusyVolumeIsDetachedLazilyAndMountedAgainFromTheSameDevice) {
  ASSERT_OK_AND_ASSIGN(auto volume, MountWorkspaceVolume(options_));
  ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
  ASSERT_OK(ws.WriteFile("held", "1"));
  volume.reset();
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
  ASSERT_OK(ws.WriteFile("written-while-detached", "2"));  // lands in the image
  ASSERT_OK_AND_ASSIGN(volume, MountWorkspaceVolume(options_));
  ASSERT_OK_AND_ASSIGN(SafeDir again, SafeDir::Open(options_.mount_point));
  EXPECT_EQ(*again.ReadFile("written-while-detached"), "2");
  struct stat a, b;
  ASSERT_EQ(fstat(ws.fd(), &a), 0);
  ASSERT_EQ(fstat(again.fd(), &b), 0);
  EXPECT_EQ(a.st_dev, b.st_dev);
  // Resizing is refused while the old mount is alive.
  WorkspaceVolumeOptions bigger = options_;
  bigger.size_bytes = 32ull << 20;
  volume.reset();
  EXPECT_THAT(MountWorkspaceVolume(bigger), StatusIs(StatusCode::kFailedPrecondition));
}

// A supervisor process that holds the image locks others out; when it dies without
// unmounting, the next one adopts its mount (and unmounts it when done).
TEST_F(WorkspaceVolumeTest, OtherProcessesAreLockedOutAndCrashedMountsAdopted) {
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t pid = fork();
  if (pid == 0) {
    auto volume = MountWorkspaceVolume(options_);
    char c = volume.ok() ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(2);
    if (read(done[0], &c, 1) < 0) _exit(2);
    _exit(0);  // "crash": no unmount
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_THAT(MountWorkspaceVolume(options_), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_EQ(write(done[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
  EXPECT_TRUE(IsMountPoint(options_.mount_point));
  {
    ASSERT_OK_AND_ASSIGN(auto adopted, MountWorkspaceVolume(options_));
    ASSERT_OK_AND_ASSIGN(SafeDir ws, SafeDir::Open(options_.mount_point));
    EXPECT_OK(ws.WriteFile("after-adoption", "ok"));
  }
  EXPECT_FALSE(IsMountPoint(options_.mount_point));
}

}  // namespace
}  // namespace codesphere::sandbox
